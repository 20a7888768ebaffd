//! `sluice demo`: a pool's life on an embedded chain, step by step.

mod basket;

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::instructions::*;
use sluice::math::allocation::value_of;
use sluice::math::dcf::{overdue_haircut_bps, ClassRates, OverdueStep};
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::{PoolParams, ReceivableStatus, RedemptionParams, Stage, MAX_PUBLISHERS};
use sluice_sdk::chain::{BankChain, Chain, ChainError, DevChain};
use sluice_sdk::ix::{self, PoolKeys};
use sluice_sdk::keeper::Keeper;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, pda, preview};

const UNIT: u64 = 1_000_000;
const TRANCHES: [(&str, u16, u16); 3] = [("senior", 800, 2_000), ("mezzanine", 1_200, 1_000), ("junior", 0, 0)];
/// The tranche tokens' metadata (name, symbol) as wallets show it.
const TOKENS: [(&str, &str); 3] = [
    ("Sluice Demo SME Receivables Senior", "SDSME-S"),
    ("Sluice Demo SME Receivables Mezzanine", "SDSME-M"),
    ("Sluice Demo SME Receivables Junior", "SDSME-J"),
];

/// `sluice demo`'s options.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// JSON-RPC URL of a `sluice localnet` [default: an embedded chain]
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Receivables in the pool (1 to 2000)
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clamped::<1, 2_000>)]
    receivables: usize,
    /// Monthly steps of the pool's life (1 to 60)
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clamped::<1, 60>)]
    steps: usize,
    /// Days the redemption wave lasts (1 to 120)
    #[arg(long, value_name = "N", default_value_t = 40, value_parser = clamped::<1, 120>)]
    wave_days: usize,
}

/// A number, clamped into `LO..=HI`.
fn clamped<const LO: usize, const HI: usize>(s: &str) -> Result<usize, String> {
    s.parse::<usize>().map(|v| v.clamp(LO, HI)).map_err(|_| "needs a number".to_string())
}

/// Deterministic generator so every run tells the same story.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Repays,
    Defaults,
    GoesOverdue,
}

struct Loan {
    index: u64,
    face: u64,
    due: i64,
    fate: Fate,
}

struct Demo<C> {
    chain: C,
    issuer: Keypair,
    publisher: Keypair,
    keys: PoolKeys,
    issuer_base: Pubkey,
    sequence: u64,
    /// Last published market rate.
    market: u32,
}

fn usd(v: u64) -> String {
    let whole = (v / UNIT).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", v % UNIT / 10_000)
}

fn price(p: u64) -> String {
    format!("{}.{:06}", p / 1_000_000_000_000, p % 1_000_000_000_000 / 1_000_000)
}

fn rates(sequence: u64, market_rate_bps: u32) -> PublishRatesArgs {
    let class = |pd, rec| ClassRates { default_probability_bps: pd, recovery_bps: rec };
    PublishRatesArgs {
        sequence,
        market_rate_bps,
        classes: [class(100, 6_000), class(300, 5_000), class(700, 4_000), class(1_500, 3_000)],
    }
}

impl<C: DevChain> Demo<C> {
    async fn send(
        &mut self,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        signers: &[&Keypair],
    ) -> Result<(), String> {
        self.chain.send(ixs, signers).await.map_err(describe)
    }

    async fn publish(&mut self, market_rate_bps: u32) -> Result<(), String> {
        self.sequence += 1;
        self.market = market_rate_bps;
        let ix = ix::publish_rates(&self.publisher.pubkey(), &self.keys, rates(self.sequence, market_rate_bps));
        let publisher = self.publisher.insecure_clone();
        self.send(&[ix], &[&publisher]).await
    }

    /// Reprices, then checks the program's figures against the SDK's own computation and the
    /// pool's invariants. Any mismatch ends the demo with an error.
    async fn reprice_and_check(&mut self) -> Result<preview::NavPreview, String> {
        let c = &mut self.chain;
        let pool = client::pool(c, &self.keys.pool).await.map_err(describe)?;
        let book = client::book(c, &self.keys.book).await.map_err(describe)?;
        let oracle = client::oracle(c, &self.keys.oracle).await.map_err(describe)?;
        let now = c.now().await.map_err(describe)?;
        let expected = preview::nav(&pool, &book, &oracle, now).ok_or("NAV preview overflowed")?;
        self.send(&[ix::reprice(&self.keys)], &[]).await?;

        let c = &mut self.chain;
        let pool = client::pool(c, &self.keys.pool).await.map_err(describe)?;
        let book = client::book(c, &self.keys.book).await.map_err(describe)?;
        let vault = client::token_balance(c, &self.keys.vault).await.map_err(describe)?;
        let n = pool.tranche_count as usize;
        let values: Vec<u64> = pool.tranches[..n].iter().map(|t| t.value).collect();
        let mut problems = Vec::new();
        if pool.nav != expected.nav || values[..] != expected.tranche_values[..n] {
            problems.push(format!("on-chain NAV {} differs from the SDK's {}", pool.nav, expected.nav));
        }
        if values.iter().sum::<u64>() != pool.nav {
            problems.push("tranche values do not sum to NAV".into());
        }
        if vault < pool.cash {
            problems.push(format!("vault holds {vault} but the pool accounts for {}", pool.cash));
        }
        if book.invariant(None).is_err() {
            problems.push("book aggregates disagree with their cells".into());
        }
        for (i, t) in pool.tranches[..n].iter().enumerate() {
            let supply = client::mint_supply(c, &self.keys.tranche_mint(i as u8)).await.map_err(describe)?;
            if supply != t.supply {
                problems.push(format!("tranche {i}: mint supply {supply} vs recorded {}", t.supply));
            }
        }
        if problems.is_empty() {
            Ok(expected)
        } else {
            Err(format!("invariant failed: {}", problems.join("; ")))
        }
    }
}

/// A chain error in words a person can act on.
fn describe(e: ChainError) -> String {
    e.explain()
}

fn header() {
    println!(
        "{:>4} {:>5} {:>16} {:>15} {:>15} {:>13} {:>10} {:>10} {:>10} {:>7}  events",
        "step", "day", "NAV", "cash", "book (DCF)", "impaired", "senior", "mezzanine", "junior", "buffer"
    );
}

fn row(step: usize, day: i64, nav: &preview::NavPreview, events: &str) {
    let p = nav.tranche_prices_e12;
    let buffer = nav.junior_buffer_bps();
    println!(
        "{:>4} {:>5} {:>16} {:>15} {:>15} {:>13} {:>10} {:>10} {:>10} {:>6}.{}%  {}",
        step,
        day,
        usd(nav.nav),
        usd(nav.cash),
        usd(nav.book_value),
        usd(nav.impaired_value),
        price(p[0]),
        price(p[1]),
        price(p[2]),
        buffer / 100,
        buffer % 100 / 10,
        events
    );
}

pub async fn run(opts: Options) -> Result<(), String> {
    match opts.url.clone() {
        None => run_on(BankChain::start().await, opts, "an embedded chain").await,
        Some(url) => {
            let mut chain = RpcChain::new(&url, Keypair::new());
            let payer = chain.payer().pubkey();
            chain.airdrop(&payer, 10_000 * 1_000_000_000).await.map_err(describe)?;
            run_on(chain, opts, &url).await
        }
    }
}

async fn run_on<C: DevChain>(mut chain: C, opts: Options, place: &str) -> Result<(), String> {
    let issuer = Keypair::new();
    let guardian = Keypair::new();
    let publisher = Keypair::new();
    for k in [&issuer, &guardian, &publisher] {
        chain.airdrop(&k.pubkey(), 1_000 * 1_000_000_000).await.map_err(describe)?;
    }
    let base_mint = client::create_mint(&mut chain, &issuer.pubkey(), 6).await.map_err(describe)?;
    let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
    publishers[0] = publisher.pubkey();
    let params = PoolParams {
        max_oracle_age_secs: 2 * 86_400,
        max_nav_age_secs: 3_600,
        max_rate_move_bps: 100,
        pool_cap: 50_000_000 * UNIT,
        permissioned: true,
        overdue_steps: [
            OverdueStep { days: 30, haircut_bps: 2_500 },
            OverdueStep { days: 60, haircut_bps: 5_000 },
            OverdueStep { days: 90, haircut_bps: 10_000 },
        ],
        redemption: RedemptionParams::RECOMMENDED,
    };
    let args = CreatePoolArgs { pool_id: 1, guardian: guardian.pubkey(), publishers, params };
    let keys = client::create_pool(&mut chain, &issuer, &base_mint, args).await.map_err(describe)?;
    let issuer_base = client::create_token_account(&mut chain, &base_mint, &issuer.pubkey()).await.map_err(describe)?;
    client::mint_to(&mut chain, &base_mint, &issuer_base, &issuer, 100_000_000 * UNIT).await.map_err(describe)?;
    let mut d = Demo { chain, issuer, publisher, keys, issuer_base, sequence: 0, market: 0 };

    println!("Sluice demo: an SME receivables pool on {place}");
    println!("  pool      {}", d.keys.pool);
    for (i, ((name, coupon, sub), (token, symbol))) in TRANCHES.iter().zip(TOKENS).enumerate() {
        let issuer = d.issuer.insecure_clone();
        let metadata = TrancheMetadata { name: token.into(), symbol: symbol.into(), uri: String::new() };
        let tranche = AddTrancheArgs { coupon_bps: *coupon, min_subordination_bps: *sub, metadata };
        d.send(&[ix::add_tranche(&issuer.pubkey(), &d.keys, i as u8, tranche)], &[&issuer]).await?;
        let mint = d.keys.tranche_mint(i as u8);
        // What a wallet reads from the mint itself (Token-2022 metadata).
        let shown = client::mint_metadata(&mut d.chain, &mint).await.map_err(describe)?;
        if (shown.name.as_str(), shown.symbol.as_str()) != (token, symbol) {
            return Err(format!("invariant failed: tranche {i} mint names itself {:?} ({})", shown.name, shown.symbol));
        }
        println!(
            "  tranche {i} {name:<9} coupon {:>5.2}%  min subordination {:>4.1}%  {} \"{}\"  mint {mint}",
            *coupon as f64 / 100.0,
            *sub as f64 / 100.0,
            shown.symbol,
            shown.name,
        );
    }
    println!("  tokens    Token-2022; permissioned: accounts start frozen, members' are thawed (`thaw_holder`)");
    d.publish(800).await?;

    // Investors: KYC'd members funding junior first so each senior layer has its cushion.
    let mut investors: Vec<Investor> = Vec::new();
    for (tranche, amount) in [(2u8, 3_000_000 * UNIT), (1, 2_000_000 * UNIT), (0, 5_000_000 * UNIT)] {
        let wallet = Keypair::new();
        d.chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.map_err(describe)?;
        let base = client::create_token_account(&mut d.chain, &base_mint, &wallet.pubkey()).await.map_err(describe)?;
        let issuer = d.issuer.insecure_clone();
        client::mint_to(&mut d.chain, &base_mint, &base, &issuer, amount * 2).await.map_err(describe)?;
        let expires = d.chain.now().await.map_err(describe)? + 3 * 365 * SECONDS_PER_DAY;
        d.send(&[ix::set_member(&issuer.pubkey(), &d.keys.pool, &wallet.pubkey(), expires)], &[&issuer]).await?;
        let tokens = client::create_token_account(&mut d.chain, &d.keys.tranche_mint(tranche), &wallet.pubkey())
            .await
            .map_err(describe)?;
        // Frozen at creation in this permissioned pool; anyone may thaw a member's account.
        if !client::is_frozen(&mut d.chain, &tokens).await.map_err(describe)? {
            return Err("invariant failed: a new tranche account of a permissioned pool is not frozen".into());
        }
        d.send(&[ix::thaw_holder(&wallet.pubkey(), &d.keys.pool, tranche, &tokens, &wallet.pubkey())], &[&wallet])
            .await?;
        investors.push((wallet, base, tokens, tranche, amount));
    }
    d.send(&[ix::reprice(&d.keys)], &[]).await?;
    for (wallet, base, tokens, tranche, amount) in &investors {
        let member = Some(pda::member(&d.keys.pool, &wallet.pubkey()));
        let deposit = DepositArgs { tranche: *tranche, amount: *amount, min_tokens_out: *amount };
        d.send(&[ix::deposit(&wallet.pubkey(), &d.keys, base, tokens, member, None, deposit)], &[wallet]).await?;
    }

    // Receivables: invoices and small loans over four risk classes, due within ~3 years.
    let borrower =
        client::create_token_account(&mut d.chain, &base_mint, &Keypair::new().pubkey()).await.map_err(describe)?;
    let mut rng = Rng(0x5eed_5105_51ce);
    let today = d.chain.now().await.map_err(describe)?.div_euclid(SECONDS_PER_DAY);
    let mut loans = Vec::new();
    let mut paid_out = 0;
    let (mut defaulted, mut late) = (false, false);
    for index in 0..opts.receivables as u64 {
        let class = (rng.next() % 4) as u8;
        let face = rng.range(5_000, 55_000) * UNIT;
        let due_days = rng.range(20, 1_000) as i64;
        let fate = if !defaulted && class == 3 && due_days < 150 {
            defaulted = true;
            Fate::Defaults
        } else if !late && class == 2 && due_days < 120 {
            late = true;
            Fate::GoesOverdue
        } else {
            Fate::Repays
        };
        let due = (today + due_days) * SECONDS_PER_DAY;
        // The issuer buys at a simple annual discount for time and risk, per class.
        let discount_bps = [850u64, 950, 1_250, 1_900][class as usize] * due_days as u64 / 365;
        let funded = face / 10_000 * (10_000 - discount_bps.min(5_000));
        let args = AddReceivableArgs {
            face_value: face,
            funded,
            due_ts: due,
            risk_class: class,
            document_hash: [index as u8; 32],
        };
        let issuer = d.issuer.insecure_clone();
        d.send(&[ix::add_receivable(&issuer.pubkey(), &d.keys, index, &borrower, args)], &[&issuer]).await?;
        loans.push(Loan { index, face, due, fate });
        paid_out += funded;
    }
    println!("  deposits  {} across 3 investors", usd(10_000_000 * UNIT));
    println!(
        "  funded    {} receivables, face {}, paid out {}\n",
        loans.len(),
        usd(loans.iter().map(|l| l.face).sum()),
        usd(paid_out)
    );

    header();
    let nav = d.reprice_and_check().await?;
    row(0, 0, &nav, "initial pricing");

    let mut market = 800u32;
    for step in 1..=opts.steps {
        d.chain.advance_clock(30 * SECONDS_PER_DAY).await.map_err(describe)?;
        let now = d.chain.now().await.map_err(describe)?;
        market = if step <= 6 { market + 25 } else { market.saturating_sub(25).max(700) };
        d.publish(market).await?;
        let mut events = Vec::new();
        let (mut repaid, mut repaid_amount) = (0, 0);
        let issuer = d.issuer.insecure_clone();
        for loan in loans.iter().filter(|l| l.due <= now) {
            let address = pda::receivable(&d.keys.pool, loan.index);
            let r = client::receivable(&mut d.chain, &address).await.map_err(describe)?;
            match (loan.fate, r.status) {
                (Fate::Repays, ReceivableStatus::Performing) => {
                    d.send(
                        &[ix::record_repayment(&issuer.pubkey(), &d.keys, loan.index, &d.issuer_base, r.outstanding)],
                        &[&issuer],
                    )
                    .await?;
                    repaid += 1;
                    repaid_amount += r.outstanding;
                }
                (Fate::Defaults, ReceivableStatus::Performing) => {
                    let recovery = loan.face / 10 * 3;
                    d.send(&[ix::write_down(&issuer.pubkey(), &d.keys, loan.index, recovery)], &[&issuer]).await?;
                    events.push(format!("#{} defaults: marked at 30% recovery", loan.index));
                }
                (Fate::GoesOverdue, status) => {
                    // A keeper cranks the schedule only when it has a further step to apply.
                    let due_haircut = overdue_haircut_bps(&params.overdue_steps, (now - loan.due) / SECONDS_PER_DAY);
                    let target = r.outstanding as u128 * (10_000 - due_haircut) as u128 / 10_000;
                    let carried = if status == ReceivableStatus::Performing { r.outstanding } else { r.carried_value };
                    if due_haircut > 0 && target < carried as u128 {
                        d.send(&[ix::write_down_overdue(&d.keys, loan.index)], &[]).await?;
                        events.push(format!("#{} overdue: schedule haircut {}%", loan.index, due_haircut / 100));
                    }
                }
                _ => {}
            }
        }
        if repaid > 0 {
            events.insert(0, format!("{repaid} repaid ({})", usd(repaid_amount)));
        }
        if step == 7 {
            // A new senior investor buys in at the accrued price.
            let (wallet, base, tokens, _, _) = &investors[2];
            d.send(&[ix::reprice(&d.keys)], &[]).await?;
            let member = Some(pda::member(&d.keys.pool, &wallet.pubkey()));
            let args = DepositArgs { tranche: 0, amount: 250_000 * UNIT, min_tokens_out: 1 };
            d.send(&[ix::deposit(&wallet.pubkey(), &d.keys, base, tokens, member, None, args)], &[wallet]).await?;
            events.push(format!("senior deposit {}", usd(250_000 * UNIT)));
        }
        let nav = d.reprice_and_check().await?;
        row(step, step as i64 * 30, &nav, &events.join("; "));
    }
    let keeper = redemption_wave(&mut d, &investors, &loans, &borrower, opts.wave_days).await?;
    market_episode(&mut d, &investors[2], keeper).await?;
    println!("\nEvery step: on-chain NAV equals the SDK's independent computation; tranche values sum to NAV;");
    println!("the vault covers the pool's cash, claims and fees; book aggregates match their cells; mint");
    println!("supplies match.");
    Ok(())
}

type Investor = (Keypair, Pubkey, Pubkey, u8, u64);

/// A run on the pool: holders queue large redemptions while most cash is lent out. The
/// queue pushes the pool into Stress, daily batches pay in installments, the reserve buys
/// what the vault cannot, repayments refill cash, and the pool returns to Normal.
async fn redemption_wave<C: DevChain>(
    d: &mut Demo<C>,
    investors: &[Investor],
    loans: &[Loan],
    borrower: &Pubkey,
    days: usize,
) -> Result<Keeper, String> {
    let issuer = d.issuer.insecure_clone();
    let mut queues = Vec::new();
    for t in 0..3u8 {
        queues.push(client::init_redemption(&mut d.chain, &issuer, &d.keys, t).await.map_err(describe)?);
    }
    d.send(&[ix::init_reserve(&issuer.pubkey(), &d.keys)], &[&issuer]).await?;
    let reserve = Some(pda::reserve(&d.keys.pool));
    let pool = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?;
    let funding = pool.reserve_target();
    d.send(&[ix::fund_reserve(&issuer.pubkey(), &d.keys, &d.issuer_base, funding)], &[&issuer]).await?;

    let wallet = Keypair::new();
    d.chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.map_err(describe)?;
    let tip_account =
        client::create_token_account(&mut d.chain, &d.keys.base_mint, &wallet.pubkey()).await.map_err(describe)?;
    // Claims are pushed to the base-token account each investor deposited from.
    let owners: Vec<(Pubkey, Pubkey)> = investors.iter().map(|i| (i.0.pubkey(), i.1)).collect();
    let keeper = Keeper {
        wallet,
        tip_account,
        keys: d.keys,
        queues: queues.clone(),
        reserve,
        market: None,
        claim_route: Some(Box::new(move |owner| owners.iter().find(|o| o.0 == *owner).map(|o| o.1))),
    };

    // A calm week first: a basket over the senior and mezzanine tranches fills its sleeve
    // through the senior queue, cranked like any other keeper work.
    let mut basket = d.open_basket(&investors[2]).await?;
    println!("Calm week: the keeper's rebalance queues the basket's refill; daily batches pay it into the sleeve.");
    println!("{:>4} {:>14} {:>14} {:>15}  events", "day", "sleeve", "in flight", "basket value");
    for day in 1..=7 {
        d.chain.advance_clock(SECONDS_PER_DAY).await.map_err(describe)?;
        d.publish(d.market).await?;
        d.reprice_and_check().await?;
        keeper.tick(&mut d.chain).await.map_err(describe)?;
        let wallet = keeper.wallet.insecure_clone();
        let events = d.tend_basket(&basket, &wallet).await?;
        let (sleeve, in_flight, value) = d.basket_sleeve(&basket).await?;
        println!("{:>4} {:>14} {:>14} {:>15}  {}", day, usd(sleeve), usd(in_flight), usd(value), events.join("; "));
    }

    // The issuer lends out most of the cash for ten days: 4 % of NAV stays in the vault.
    let pool = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?;
    let now = d.chain.now().await.map_err(describe)?;
    let keep = pool.nav / 100 * 4;
    if pool.cash > keep {
        let index = pool.receivable_count;
        let amount = pool.cash - keep;
        let due = (now.div_euclid(SECONDS_PER_DAY) + 10) * SECONDS_PER_DAY;
        let args = AddReceivableArgs {
            face_value: amount,
            funded: amount,
            due_ts: due,
            risk_class: 0,
            document_hash: [0xee; 32],
        };
        d.send(&[ix::add_receivable(&issuer.pubkey(), &d.keys, index, borrower, args)], &[&issuer]).await?;
    }
    d.send(&[ix::reprice(&d.keys)], &[]).await?;

    // The wave: every investor asks for an eighth of its holding.
    for (wallet, _, tokens, tranche, _) in investors {
        let held = client::token_balance(&mut d.chain, tokens).await.map_err(describe)?;
        let q = &queues[*tranche as usize];
        d.send(&[ix::request_redemption(&wallet.pubkey(), &d.keys, q, tokens, held / 8)], &[wallet]).await?;
    }

    println!("\nRedemption wave: each investor queues an eighth of its tokens while most cash is lent out");
    println!("for ten days. Daily batches pay 1/7 of each large request; the reserve buys what cash cannot.");
    println!(
        "{:>4} {:>7} {:>15} {:>14} {:>14} {:>14} {:>14}  events",
        "day", "stage", "queued value", "paid (vault)", "bought (res.)", "reserve", "cash"
    );
    let mut calm_days = 0;
    for day in 1..=days {
        d.chain.advance_clock(SECONDS_PER_DAY).await.map_err(describe)?;
        let now = d.chain.now().await.map_err(describe)?;
        d.publish(d.market).await?;
        let mut events = Vec::new();
        // Borrowers repay what falls due.
        for loan in loans.iter().filter(|l| l.due <= now && l.fate == Fate::Repays) {
            let r =
                client::receivable(&mut d.chain, &pda::receivable(&d.keys.pool, loan.index)).await.map_err(describe)?;
            if r.status == ReceivableStatus::Performing {
                d.send(
                    &[ix::record_repayment(&issuer.pubkey(), &d.keys, loan.index, &d.issuer_base, r.outstanding)],
                    &[&issuer],
                )
                .await?;
            }
        }
        let big = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?.receivable_count - 1;
        let r = client::receivable(&mut d.chain, &pda::receivable(&d.keys.pool, big)).await.map_err(describe)?;
        if r.due_ts <= now && r.status == ReceivableStatus::Performing {
            d.send(&[ix::record_repayment(&issuer.pubkey(), &d.keys, big, &d.issuer_base, r.outstanding)], &[&issuer])
                .await?;
            events.push(format!("large loan repaid ({})", usd(r.outstanding)));
        }
        d.reprice_and_check().await?;
        // The keeper reads the state first and sends only the cranks that are due.
        let before = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?;
        let report = keeper.tick(&mut d.chain).await.map_err(describe)?;
        if let Some(stage) = report.stage_change {
            events.push(format!("stage → {stage:?}"));
        }
        if report.recycled > 0 {
            events.push("pool buys back the reserve's tokens at NAV".to_string());
        }
        let wallet = keeper.wallet.insecure_clone();
        events.extend(d.tend_basket(&basket, &wallet).await?);
        if day == 2 {
            events.push(d.exit_through_basket(&mut basket, &investors[1]).await?);
        }
        let after = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?;
        let queued: u64 = after.active_tranches().iter().map(|t| value_of(t.queued_tokens, t.value, t.supply)).sum();
        let paid: u64 = if after.batch.id != before.batch.id { after.batch.paid.iter().sum() } else { 0 };
        let bought: u64 = if after.batch.id != before.batch.id { after.batch.reserve_paid.iter().sum() } else { 0 };
        println!(
            "{:>4} {:>7} {:>15} {:>14} {:>14} {:>14} {:>14}  {}",
            day,
            format!("{:?}", after.stage),
            usd(queued),
            usd(paid),
            usd(bought),
            usd(after.reserve_balance),
            usd(after.cash),
            events.join("; ")
        );
        calm_days = if after.stage == Stage::Normal && queued == 0 { calm_days + 1 } else { 0 };
        if calm_days >= 2 {
            break;
        }
    }
    Ok(keeper)
}

/// A market for the senior tranche: a holder provides liquidity, a forced seller dumps
/// tokens, the price falls under NAV, the pool reads it as stress, and the reserve's daily
/// buy-backs pull the price back to the trigger.
async fn market_episode<C: DevChain>(d: &mut Demo<C>, holder: &Investor, mut keeper: Keeper) -> Result<(), String> {
    let (wallet, base, tokens, _, _) = holder;
    let issuer = d.issuer.insecure_clone();
    let m = ix::AmmKeys::new(&d.keys, 0);
    d.send(&[ix::create_amm(&issuer.pubkey(), &d.keys, &m, sluice::state::AmmParams::RECOMMENDED)], &[&issuer]).await?;
    keeper.market = Some(m);
    let lp = client::create_token_account(&mut d.chain, &m.lp_mint, &wallet.pubkey()).await.map_err(describe)?;
    let trader = ix::Trader {
        user: wallet.pubkey(),
        tranche_account: *tokens,
        base_account: *base,
        lp_account: Some(lp),
        member: Some(pda::member(&d.keys.pool, &wallet.pubkey())),
    };
    d.send(&[ix::reprice(&d.keys)], &[]).await?;
    let pool = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?;
    let nav_price = pool.tranches[0].price_e12;
    let side = 400_000 * UNIT;
    let base_side = (side as u128 * nav_price as u128 / 1_000_000_000_000) as u64;
    d.send(&[ix::add_liquidity(&d.keys, &m, &trader, 0, side, base_side)], &[wallet]).await?;

    println!("\nMarket episode: a senior market opens at NAV; a forced seller dumps 70,000 tokens.");
    println!(
        "{:>4} {:>7} {:>10} {:>10} {:>9} {:>14} {:>12} {:>10}  events",
        "day", "stage", "price", "NAV", "discount", "reserve", "depth 1%", "spread"
    );
    let now = d.chain.now().await.map_err(describe)?;
    let dump = SwapArgs { buy_tranche: false, amount_in: 70_000 * UNIT, min_out: 0, deadline: now + 60 };
    d.send(&[ix::swap(&d.keys, &m, &trader, dump)], &[wallet]).await?;
    let dumped_to = client::amm(&mut d.chain, &m.amm).await.map_err(describe)?.twap.last_price_e12;
    for day in 0..6 {
        let mut events = Vec::new();
        if day > 0 {
            d.chain.advance_clock(SECONDS_PER_DAY).await.map_err(describe)?;
            d.publish(d.market).await?;
        } else {
            events.push(format!("70,000 tokens dumped: price {}", price(dumped_to)));
        }
        d.reprice_and_check().await?;
        let before = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?.reserve_balance;
        let report = keeper.tick(&mut d.chain).await.map_err(describe)?;
        if let Some(stage) = report.stage_change {
            events.push(format!("stage → {stage:?}"));
        }
        if report.recycled > 0 {
            events.push("pool buys back the reserve's tokens at NAV".to_string());
        }
        if report.buybacks > 0 {
            let after = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?.reserve_balance;
            events.push(match before.checked_sub(after).filter(|_| report.recycled == 0) {
                Some(spent) => format!("reserve buys back for {}", usd(spent)),
                None => "reserve buys back".to_string(),
            });
        }
        let pool = client::pool(&mut d.chain, &d.keys.pool).await.map_err(describe)?;
        let amm = client::amm(&mut d.chain, &m.amm).await.map_err(describe)?;
        // The spot discount, for the table; the stage and buy-backs act on the time-weighted one.
        let nav_price = pool.tranches[0].price_e12;
        let discount =
            (nav_price.saturating_sub(amm.twap.last_price_e12) as u128 * 10_000 / nav_price.max(1) as u128) as u64;
        println!(
            "{:>4} {:>7} {:>10} {:>10} {:>8}% {:>14} {:>12} {:>8}bp  {}",
            day,
            format!("{:?}", pool.stage),
            price(amm.twap.last_price_e12),
            price(pool.tranches[0].price_e12),
            format!("{}.{:02}", discount / 100, discount % 100),
            usd(pool.reserve_balance),
            usd(amm.liquidity.depth_1pct),
            amm.liquidity.spread_bps,
            events.join("; ")
        );
    }
    Ok(())
}
