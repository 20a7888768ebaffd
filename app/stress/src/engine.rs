//! The stress lab's engine: builds a Sluice pool on the embedded bank as a scenario
//! describes it, then runs the scenario's days — every action a real transaction — and
//! measures each day against the liquidity limit (`measure::liquidity_limit`).
//!
//! The pool: an issuer (also the servicer), a guardian and a rate publisher; holders per
//! tranche with uneven holdings; a generated book funded from the vault, each receivable
//! paid to its own borrower account; redemption set up for every tranche; the buy-back
//! reserve funded by the issuer; each market seeded at NAV by a market-maker member.
//!
//! A day, from 00:01 UTC: the publisher publishes (the day's oracle moves, within the
//! pool's bound); the servicer books the day's repayments, recoveries and defaults
//! (`record_repayment`, `write_down`); holders of the day's exits redeem at once when the
//! program would allow it (`redeem_instant`) and queue otherwise (`request_redemption`);
//! market sellers and buyers trade; the arbitrageur buys under NAV and redeems. Then the
//! clock moves in the keepers' cadence: each keeper on duty writes down what is overdue
//! and runs `Keeper::tick` (reprice, stage, batches, claim pushes, recycling, buy-backs);
//! after the day's first keeper round, holders pull what is claimable. A wallet reprices a
//! stale pool before a priced action, as `sluice` does.
//!
//! A refused action is counted (`DayRow::refused`, `Summary::refusals`) and the run goes
//! on; only transport errors end it. After every transaction the decoded pool must pass
//! `Pool::invariant` and its vault must cover what it owes (`Pool::check_cash`); at the
//! end of every day the book, mint supplies, escrows and the reserve vault are checked too.
//! A broken invariant ends the run with an error naming the transaction.
//!
//! What counts: requested = the value (at the NAV price when asked) of every exit the pool
//! or a market accepted — holders' instant exits and requests, the arbitrageur's
//! redemptions, market sellers' sales. Paid, by source: vault = instant exits (their value:
//! the fee is part of what the exit took from cash) and batch fills redeemed by the pool;
//! reserve = what the reserve paid for tokens, in batch fills and on the market
//! (`reserve_buyback`); market = base tokens exit sellers received. Payable = requested less
//! what still waits at a day's end that the program's subordination rule holds in
//! (`measure::held_by_subordination` on the decoded pool); efficiency is paid against the
//! smaller of payable and the limit.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::instructions::{
    instant_payout, AddReceivableArgs, AddTrancheArgs, CreatePoolArgs, DepositArgs, PublishRatesArgs,
    RedeemInstantArgs, SwapArgs, TrancheMetadata,
};
use sluice::math::allocation::{tokens_within, value_of};
use sluice::math::amm::{liquidity, price_e12, Quote};
use sluice::math::dcf::{ClassRates, MAX_DEFAULT_PROBABILITY_BPS, MAX_MARKET_RATE_BPS};
use sluice::math::time::SECONDS_PER_DAY;
use sluice::state::{Pool, PoolParams, ReceivableStatus, Stage, DEFAULT_OVERDUE_STEPS, MAX_PUBLISHERS, QUEUE_CAPACITY};
use sluice_sdk::chain::{BankChain, Chain, ChainError, RawAccount};
use sluice_sdk::ix::{self, AmmKeys, PoolKeys, QueueKeys, Trader};
use sluice_sdk::keeper::{overdue_due, Keeper};
use sluice_sdk::{client, errors, pda, preview};

use crate::measure;
use crate::report::{DayRow, PaidBySource, Report, Summary};
use crate::scenario::{tranche_name, Route, Scenario, Side, UNIT};

const DAY: i64 = SECONDS_PER_DAY;
const HOUR: i64 = 3_600;
const BPS: u64 = 10_000;
const SOL: u64 = 1_000_000_000;
/// A day's first step: just after UTC midnight, when due dates fall and a NAV goes stale.
const DAY_STARTS_AT: i64 = 60;

/// Runs `scenario` on a fresh embedded bank; `progress` sees each day's row as it is done.
/// Errors: a transport failure, a setup step the program refused, or a broken invariant.
pub async fn run(scenario: &Scenario, mut progress: impl FnMut(&DayRow)) -> Result<Report, String> {
    scenario.validate()?;
    let mut lab = Lab::build(scenario).await?;
    let mut rows = Vec::with_capacity(scenario.days as usize);
    for day in 1..=scenario.days {
        lab.run_day(day).await?;
        let row = lab.day_row(day).await?;
        progress(&row);
        rows.push(row);
    }
    let summary = summarize(scenario, &lab.start, &rows, lab.chain.transactions, &lab.chain.refusals);
    Ok(Report { rows, summary })
}

/// The run in a few numbers, from its rows (`report::Summary` documents each).
pub fn summarize(
    scenario: &Scenario,
    start: &StartState,
    rows: &[DayRow],
    transactions: u32,
    refusals: &BTreeMap<String, u32>,
) -> Summary {
    let mut paid = PaidBySource::default();
    let mut requested = 0u64;
    let (mut cum_requested, mut cum_paid) = (Vec::new(), Vec::new());
    for r in rows {
        requested += r.requested;
        paid.vault += r.paid.vault;
        paid.reserve += r.paid.reserve;
        paid.market += r.paid.market;
        paid.basket += r.paid.basket;
        cum_requested.push(requested);
        cum_paid.push(paid.total());
    }
    let limit = rows.last().map_or(0, |r| r.limit);
    let held_by_subordination = rows.last().map_or(0, |r| r.held);
    let payable = measure::requested_payable(requested, held_by_subordination);
    // A day beyond the run's length reads its last day.
    let by_day = |day: usize| {
        let i = day.min(rows.len()).saturating_sub(1);
        rows.get(i).map_or(BPS, |_| measure::share_bps(cum_paid[i], cum_requested[i]))
    };
    let mut loss_bps = [0i64; 3];
    if let Some(last) = rows.last() {
        for (i, loss) in loss_bps.iter_mut().enumerate() {
            *loss = measure::loss_bps(start.prices_e12[i], last.prices_e12[i]);
        }
    }
    let mut stages = vec![(0, start.stage.clone())];
    for r in rows {
        if stages.last().is_none_or(|(_, s)| *s != r.stage) {
            stages.push((r.day, r.stage.clone()));
        }
    }
    let with_market = !scenario.markets.is_empty();
    let day7 = rows.get(7usize.min(rows.len()).saturating_sub(1));
    Summary {
        scenario: scenario.name.clone(),
        days: rows.len() as u32,
        tranches: scenario.tranche_count(),
        requested,
        payable,
        held_by_subordination,
        paid,
        efficiency_bps: measure::efficiency_bps(paid.total(), payable, limit),
        paid_by_day_bps: [by_day(1), by_day(3), by_day(7), by_day(30)],
        loss_bps,
        max_market_discount_bps: rows.iter().map(|r| r.max_discount_bps).max().unwrap_or(0),
        day7_market_discount_bps: day7.map_or(0, |r| r.market_discount_bps),
        max_spread_bps: rows.iter().map(|r| r.spread_bps).max().unwrap_or(0),
        min_depth: if with_market { rows.iter().map(|r| r.depth).min().unwrap_or(0) } else { 0 },
        stages,
        reserve_spent: rows.iter().map(|r| r.reserve_spent).sum(),
        reserve_recovered: rows.iter().map(|r| r.reserve_recovered).sum(),
        keeper_txs: rows.iter().map(|r| r.keeper_txs).sum(),
        transactions,
        limit,
        refused: rows.iter().map(|r| r.refused).sum(),
        refusals: refusals.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    }
}

/// Whether `redeem_instant` of `tokens` of `tranche` would pass the program's checks at
/// `now` for a holder that has used `used_today` of its instant threshold, and pay something:
/// the program's own `plan_instant`, on the decoded pool.
pub fn instant_allowed(pool: &Pool, used_today: u64, tranche: u8, tokens: u64, now: i64) -> bool {
    preview::instant_exit(pool, used_today, tranche, tokens, now).is_ok_and(|(value, fee)| value > fee)
}

/// What the transactions since the last row did, as the recorder saw them.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    keeper_txs: u32,
    refused: u32,
    /// Instant exits (value) and batch fills redeemed by the pool.
    vault_paid: u64,
    /// What the reserve paid for queued tokens in batches, and for tokens on a market.
    reserve_in_batches: u64,
    reserve_on_market: u64,
    /// What the pool paid the reserve back for its tokens (`recycle_reserve`).
    reserve_recovered: u64,
}

/// The bank behind every transaction of a run: counts and attributes each one, and checks
/// the pool after each.
struct Recorder {
    bank: BankChain,
    /// The pool and its vault, once created.
    watched: Option<(Pubkey, Pubkey)>,
    /// Transactions sent now are a keeper's.
    keeper_sending: bool,
    tally: Tally,
    transactions: u32,
    refusals: BTreeMap<String, u32>,
    violation: Option<String>,
}

/// The Sluice instructions a transaction carries, by name.
fn instruction_names(ixs: &[Instruction]) -> Vec<&'static str> {
    ixs.iter()
        .filter(|i| i.program_id == sluice::ID)
        .map(|i| errors::instruction_name(&i.data).unwrap_or("unknown instruction"))
        .collect()
}

fn refusal_name(names: &[&str], e: &ChainError) -> String {
    let what = names.last().copied().unwrap_or("token or system instruction");
    let why = e.sluice_code().and_then(errors::lookup).map_or_else(|| e.to_string(), |x| x.name.clone());
    format!("{what}: {why}")
}

fn sum(values: &[u64]) -> u64 {
    values.iter().sum()
}

impl Recorder {
    fn new(bank: BankChain) -> Recorder {
        Recorder {
            bank,
            watched: None,
            keeper_sending: false,
            tally: Tally::default(),
            transactions: 0,
            refusals: BTreeMap::new(),
            violation: None,
        }
    }

    /// Sends; `Ok(false)` when the program refused (counted), `Err` only for transport
    /// errors and broken invariants.
    async fn act(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<bool, String> {
        match self.send(ixs, signers).await {
            Ok(()) => Ok(true),
            Err(ChainError::Transport(m)) => Err(m),
            Err(_) => Ok(false),
        }
    }

    /// Sends a setup step, which must succeed.
    async fn must(&mut self, ixs: &[Instruction], signers: &[&Keypair], what: &str) -> Result<(), String> {
        self.send(ixs, signers).await.map_err(|e| format!("setup ({what}): {}", e.explain()))
    }

    fn take_tally(&mut self) -> Tally {
        std::mem::take(&mut self.tally)
    }

    /// Books what a successful transaction moved, from the pool before and after it.
    fn attribute(&mut self, names: &[&str], before: &Pool, after: &Pool) {
        let t = &mut self.tally;
        for name in names {
            match *name {
                "redeem_instant" => t.vault_paid += before.cash.saturating_sub(after.cash),
                "process_batch" => {
                    // A call opens a batch only when none is open: a new id starts from zero.
                    let same = after.batch.id == before.batch.id;
                    let (paid, bought) =
                        if same { (sum(&before.batch.paid), sum(&before.batch.reserve_paid)) } else { (0, 0) };
                    t.vault_paid += sum(&after.batch.paid).saturating_sub(paid);
                    t.reserve_in_batches += sum(&after.batch.reserve_paid).saturating_sub(bought);
                }
                "reserve_buyback" => {
                    t.reserve_on_market += before.reserve_balance.saturating_sub(after.reserve_balance)
                }
                "recycle_reserve" => {
                    t.reserve_recovered += after.reserve_balance.saturating_sub(before.reserve_balance)
                }
                _ => {}
            }
        }
    }
}

impl Chain for Recorder {
    fn payer(&self) -> &Keypair {
        self.bank.payer()
    }

    async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<(), ChainError> {
        if let Some(v) = &self.violation {
            return Err(ChainError::Transport(v.clone()));
        }
        let names = instruction_names(ixs);
        let before = match self.watched {
            Some((pool, _)) => Some(client::pool(&mut self.bank, &pool).await?),
            None => None,
        };
        self.transactions += 1;
        if self.keeper_sending {
            self.tally.keeper_txs += 1;
        }
        match self.bank.send(ixs, signers).await {
            Ok(()) => {}
            Err(ChainError::Transport(m)) => return Err(ChainError::Transport(m)),
            Err(e) => {
                self.tally.refused += 1;
                *self.refusals.entry(refusal_name(&names, &e)).or_default() += 1;
                return Err(e);
            }
        }
        if let (Some((pool, vault)), Some(before)) = (self.watched, before) {
            let after = client::pool(&mut self.bank, &pool).await?;
            let held = client::token_balance(&mut self.bank, &vault).await?;
            if let Err(e) = after.invariant().and_then(|()| after.check_cash(held)) {
                let what = if names.is_empty() { "a token transfer".to_string() } else { names.join(" + ") };
                let v = format!("invariant broken after {what}: {e}");
                self.violation = Some(v.clone());
                return Err(ChainError::Transport(v));
            }
            self.attribute(&names, &before, &after);
        }
        Ok(())
    }

    async fn account(&mut self, address: &Pubkey) -> Result<Option<RawAccount>, ChainError> {
        self.bank.account(address).await
    }

    async fn now(&mut self) -> Result<i64, ChainError> {
        self.bank.now().await
    }

    async fn rent_exempt_minimum(&mut self, len: usize) -> Result<u64, ChainError> {
        self.bank.rent_exempt_minimum(len).await
    }
}

fn fatal(e: ChainError) -> String {
    e.explain()
}

/// Deterministic generator (xorshift), so a scenario and its seed always tell one story.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// A member's wallet: its keypair, base-token account and tranche token accounts (all
/// associated accounts; tranche accounts exist only for the tranches it was given).
struct Wallet {
    key: Keypair,
    base: Pubkey,
    tranche: [Pubkey; 3],
}

/// Who owns a queued request the lab tracks for pulls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Holder(u8, usize),
    Arbitrageur,
}

/// A receivable of the generated book and what the scenario has in store for it.
#[derive(Clone, Debug)]
struct Loan {
    index: u64,
    face: u64,
    tenor: u32,
    /// The day the servicer books its repayment (due day, shifted for late or early payers).
    repay_day: u32,
    /// (day written down, recovery, day the recovery is paid).
    default: Option<(u32, u64, u32)>,
    repaid: bool,
}

/// The pool as set up, before day 1: what losses and the limit are measured from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StartState {
    pub prices_e12: [u128; 3],
    pub cash: u64,
    pub reserve: u64,
    pub stage: String,
    pub nav: u64,
}

/// What the actors did today (the recorder tallies the rest).
#[derive(Clone, Copy, Debug, Default)]
struct Today {
    requested: u64,
    market_paid: u64,
    repaid: u64,
    defaulted: u64,
    /// Deepest discount of the first market seen so far today.
    max_discount_bps: Option<i64>,
}

struct Lab<'s> {
    s: &'s Scenario,
    chain: Recorder,
    issuer: Keypair,
    publisher: Keypair,
    keys: PoolKeys,
    queues: Vec<QueueKeys>,
    reserve: Option<Pubkey>,
    issuer_base: Pubkey,
    holders: Vec<Vec<Wallet>>,
    /// Markets, most senior first.
    markets: Vec<AmmKeys>,
    /// Per scenario keeper: its `Keeper` for the pool (with the first market) and one per
    /// further market (buy-backs only).
    keepers: Vec<Vec<Keeper>>,
    arbitrageur: Option<Wallet>,
    buyer: Option<Wallet>,
    loans: Vec<Loan>,
    /// Per day: (tranche, holder, tokens).
    exits: BTreeMap<u32, Vec<(u8, usize, u64)>>,
    /// Requests to pull: (tranche, id, owner).
    open_requests: Vec<(u8, u64, Owner)>,
    /// Per day 1..=days (index 0 unused): the rates the publisher moves toward.
    rate_targets: Vec<(u32, [u32; 4])>,
    setup_day: i64,
    start: StartState,
    repaid_total: u64,
    market_taken_total: u64,
    /// Everything requested so far (the running sum of the days' `requested`).
    requested_total: u64,
    today: Today,
}

impl<'s> Lab<'s> {
    async fn build(s: &'s Scenario) -> Result<Lab<'s>, String> {
        let mut chain = Recorder::new(BankChain::start().await);
        let now = chain.now().await.map_err(fatal)?;
        // Set up at 01:00 UTC; day 1 starts at the next midnight.
        let setup_day = now.div_euclid(DAY) + 1;
        chain.bank.set_clock(setup_day * DAY + HOUR).await.map_err(fatal)?;
        let (issuer, guardian, publisher) = (Keypair::new(), Keypair::new(), Keypair::new());
        let payer = chain.payer().pubkey();
        let fund = |to: &Keypair, sol: u64| system_instruction::transfer(&payer, &to.pubkey(), sol * SOL);
        chain.must(&[fund(&issuer, 1_000), fund(&guardian, 1), fund(&publisher, 1)], &[], "fund the issuer").await?;
        let base_mint = client::create_mint(&mut chain, &issuer.pubkey(), 6).await.map_err(fatal)?;

        let p = &s.pool;
        let n = s.tranche_count();
        let size = p.size * UNIT;
        let pool_cap = p.pool_cap.map_or(size.saturating_mul(2), |c| c.saturating_mul(UNIT));
        let params = PoolParams {
            max_oracle_age_secs: p.max_oracle_age_secs,
            max_nav_age_secs: p.max_nav_age_secs,
            max_rate_move_bps: p.max_rate_move_bps,
            pool_cap,
            permissioned: p.permissioned,
            overdue_steps: DEFAULT_OVERDUE_STEPS,
            redemption: s.redemption_params(),
        };
        let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
        publishers[0] = publisher.pubkey();
        let args = CreatePoolArgs { pool_id: 1, guardian: guardian.pubkey(), publishers, params };
        let keys = client::create_pool(&mut chain, &issuer, &base_mint, args).await.map_err(fatal)?;
        chain.watched = Some((keys.pool, keys.vault));
        for (i, (coupon_bps, min_subordination_bps)) in s.tranche_terms().into_iter().enumerate() {
            let name = tranche_name(i as u8, n);
            let mut title = name.to_string();
            title[..1].make_ascii_uppercase();
            let metadata = TrancheMetadata {
                name: format!("Sluice Stress Lab {title}"),
                symbol: format!("SLAB-{}", title.chars().next().unwrap_or('T')),
                uri: String::new(),
            };
            let args = AddTrancheArgs { coupon_bps, min_subordination_bps, metadata };
            chain.must(&[ix::add_tranche(&issuer.pubkey(), &keys, i as u8, args)], &[&issuer], "add_tranche").await?;
        }
        let r = &s.rates;
        let rates = rates_args(1, r.market_rate_bps, r.default_probability_bps, r.recovery_bps);
        chain.must(&[ix::publish_rates(&publisher.pubkey(), &keys, rates)], &[&publisher], "publish_rates").await?;
        let issuer_base =
            client::create_token_account(&mut chain, &base_mint, &issuer.pubkey()).await.map_err(fatal)?;
        client::mint_to(&mut chain, &base_mint, &issuer_base, &issuer, size.saturating_mul(4)).await.map_err(fatal)?;
        let mut queues = Vec::new();
        for t in 0..n {
            queues.push(client::init_redemption(&mut chain, &issuer, &keys, t).await.map_err(fatal)?);
        }
        chain.must(&[ix::init_reserve(&issuer.pubkey(), &keys)], &[&issuer], "init_reserve").await?;
        let reserve = Some(pda::reserve(&keys.pool));

        let mut lab = Lab {
            s,
            chain,
            issuer,
            publisher,
            keys,
            queues,
            reserve,
            issuer_base,
            holders: (0..n).map(|_| Vec::new()).collect(),
            markets: Vec::new(),
            keepers: Vec::new(),
            arbitrageur: None,
            buyer: None,
            loans: Vec::new(),
            exits: BTreeMap::new(),
            open_requests: Vec::new(),
            rate_targets: Vec::new(),
            setup_day,
            start: StartState::default(),
            repaid_total: 0,
            market_taken_total: 0,
            requested_total: 0,
            today: Today::default(),
        };
        lab.chain.must(&[ix::reprice(&lab.keys)], &[], "reprice").await?;

        // Each tranche's deposits: its holders', then the market maker's side of its market,
        // junior first so that every senior deposit finds its subordination.
        let sides: Vec<u64> = (0..n).map(|t| s.market_side(t)).collect();
        let maker = if s.markets.is_empty() {
            None
        } else {
            let tranches: Vec<u8> = (0..n).filter(|t| sides[*t as usize] > 0).collect();
            // It deposits its tranche sides now; it brings the base sides when the markets open.
            Some(lab.wallet(&tranches, sides.iter().sum::<u64>()).await?)
        };
        for t in (0..n).rev() {
            for amount in lab.holder_deposits(t) {
                let wallet = lab.wallet(&[t], amount).await?;
                lab.deposit(&wallet, t, amount).await?;
                lab.holders[t as usize].push(wallet);
            }
            if let Some(maker) = maker.as_ref().filter(|_| sides[t as usize] > 0) {
                lab.deposit(maker, t, sides[t as usize]).await?;
            }
        }

        lab.fund_book().await?;
        lab.chain.must(&[ix::reprice(&lab.keys)], &[], "reprice").await?;
        let pool = lab.pool().await?;
        let funding = (pool.nav as u128 * s.reserve_share_bps() as u128 / BPS as u128) as u64;
        if funding > 0 {
            let ix = ix::fund_reserve(&lab.issuer.pubkey(), &lab.keys, &lab.issuer_base, funding);
            lab.chain.must(&[ix], &[&lab.issuer], "fund_reserve").await?;
        }
        if let Some(maker) = &maker {
            lab.open_markets(maker).await?;
        }
        lab.hire_keepers().await?;
        if let Some(a) = &s.arbitrageur {
            let capital = a.capital.unwrap_or(p.size / 100).max(1) * UNIT;
            let tranches: Vec<u8> = lab.markets.iter().map(|m| m.tranche).collect();
            lab.arbitrageur = Some(lab.wallet(&tranches, capital).await?);
        }
        let buys: Vec<&crate::scenario::TradeSpec> = s.trades.iter().filter(|t| t.side == Side::Buy).collect();
        if !buys.is_empty() {
            let mut tranches: Vec<u8> = buys.iter().map(|t| s.tranche(&t.tranche)).collect();
            tranches.dedup();
            let budget: u64 = buys
                .iter()
                .map(|t| t.base_per_day * UNIT * (t.to_day.unwrap_or(t.from_day) - t.from_day + 1) as u64)
                .sum();
            lab.buyer = Some(lab.wallet(&tranches, budget).await?);
        }
        lab.plan()?;
        lab.start = lab.start_state().await?;
        Ok(lab)
    }

    async fn pool(&mut self) -> Result<Pool, String> {
        client::pool(&mut self.chain, &self.keys.pool).await.map_err(fatal)
    }

    async fn now(&mut self) -> Result<i64, String> {
        self.chain.now().await.map_err(fatal)
    }

    async fn balance(&mut self, account: &Pubkey) -> Result<u64, String> {
        client::balance_or_zero(&mut self.chain, account).await.map_err(fatal)
    }

    /// A funded member wallet with accounts for `tranches` (thawed in a permissioned pool).
    async fn wallet(&mut self, tranches: &[u8], base_amount: u64) -> Result<Wallet, String> {
        let key = Keypair::new();
        let owner = key.pubkey();
        let payer = self.chain.payer().pubkey();
        let program = self.keys.base_token_program;
        let base = ix::token::associated(&program, &owner, &self.keys.base_mint);
        let mut ixs = vec![
            system_instruction::transfer(&payer, &owner, SOL),
            ix::token::create_associated(&program, &payer, &owner, &self.keys.base_mint),
        ];
        if base_amount > 0 {
            ixs.push(ix::token::mint_to(&program, &self.keys.base_mint, &base, &self.issuer.pubkey(), base_amount));
        }
        let permissioned = self.s.pool.permissioned;
        if permissioned {
            let expires = self.now().await? + 5 * 365 * DAY;
            ixs.push(ix::set_member(&self.issuer.pubkey(), &self.keys.pool, &owner, expires));
        }
        self.chain.must(&ixs, &[&self.issuer], "a member's wallet").await?;
        let mut tranche = [Pubkey::default(); 3];
        for (t, account) in tranche.iter_mut().enumerate() {
            *account = ix::token::associated(&ix::TOKEN_2022, &owner, &self.keys.tranche_mint(t as u8));
        }
        for &t in tranches {
            let mint = self.keys.tranche_mint(t);
            let mut ixs = vec![ix::token::create_associated(&ix::TOKEN_2022, &payer, &owner, &mint)];
            if permissioned {
                ixs.push(ix::thaw_holder(&payer, &self.keys.pool, t, &tranche[t as usize], &owner));
            }
            self.chain.must(&ixs, &[], "a tranche token account").await?;
        }
        Ok(Wallet { key, base, tranche })
    }

    fn member(&self, owner: &Pubkey) -> Option<Pubkey> {
        self.s.pool.permissioned.then(|| pda::member(&self.keys.pool, owner))
    }

    async fn deposit(&mut self, w: &Wallet, tranche: u8, amount: u64) -> Result<(), String> {
        let owner = w.key.pubkey();
        let args = DepositArgs { tranche, amount, min_tokens_out: 0 };
        let member = self.member(&owner);
        let ix = ix::deposit(&owner, &self.keys, &w.base, &w.tranche[tranche as usize], member, None, args);
        self.chain.must(&[ix], &[&w.key], "deposit").await
    }

    /// Generates and funds the book: receivables of the scenario's classes and tenors whose
    /// fundings take all but the cash share of NAV, each paid to its own borrower account.
    async fn fund_book(&mut self) -> Result<(), String> {
        let s = self.s;
        let p = &s.pool;
        let pool = self.pool().await?;
        let target = (pool.nav as u128 * (BPS - p.cash_share_bps as u64) as u128 / BPS as u128) as u64;
        let mut rng = Rng::new(s.seed);
        let count = p.receivables as usize;
        let weights: Vec<u64> = (0..count).map(|_| rng.between(50, 150)).collect();
        let fundings = measure::pro_rata_shares(target, &weights);
        let rent = self.chain.rent_exempt_minimum(ix::token::ACCOUNT_LEN).await.map_err(fatal)?;
        let payer = self.chain.payer().pubkey();
        for funded in fundings {
            if funded == 0 {
                continue;
            }
            let pick = rng.between(0, BPS - 1) as u32;
            let mut class = 0u8;
            let mut acc = 0u32;
            for (c, share) in p.risk_mix_bps.iter().enumerate() {
                acc += share;
                if pick < acc {
                    class = c as u8;
                    break;
                }
            }
            let tenor = rng.between(p.tenor_days[0] as u64, p.tenor_days[1] as u64) as u32;
            let face = measure::face_for(funded, p.purchase_discount_bps[class as usize], tenor);
            let index = self.loans.len() as u64;
            let borrower = Keypair::new();
            let args = AddReceivableArgs {
                face_value: face,
                funded,
                due_ts: (self.setup_day + tenor as i64) * DAY,
                risk_class: class,
                document_hash: pda::receivable(&self.keys.pool, index).to_bytes(),
            };
            let program = self.keys.base_token_program;
            let borrower_owner = Keypair::new().pubkey();
            let mut ixs = ix::token::create_account(
                &program,
                &payer,
                &borrower.pubkey(),
                &self.keys.base_mint,
                &borrower_owner,
                ix::token::ACCOUNT_LEN,
                rent,
            )
            .to_vec();
            ixs.push(ix::add_receivable(&self.issuer.pubkey(), &self.keys, index, &borrower.pubkey(), args));
            self.chain.must(&ixs, &[&self.issuer, &borrower], "add_receivable").await?;
            self.loans.push(Loan { index, face, tenor, repay_day: tenor, default: None, repaid: false });
        }
        Ok(())
    }

    /// Creates each market and has the market maker seed it at the NAV price.
    async fn open_markets(&mut self, maker: &Wallet) -> Result<(), String> {
        let mut specs: Vec<_> = self.s.markets.iter().map(|m| (self.s.tranche(&m.tranche), m.params.apply())).collect();
        specs.sort_by_key(|(t, _)| *t);
        let payer = self.chain.payer().pubkey();
        let owner = maker.key.pubkey();
        for (t, params) in specs {
            let m = AmmKeys::new(&self.keys, t);
            let ix = ix::create_amm(&self.issuer.pubkey(), &self.keys, &m, params);
            self.chain.must(&[ix], &[&self.issuer], "create_amm").await?;
            let tokens = self.balance(&maker.tranche[t as usize]).await?;
            let pool = self.pool().await?;
            let tr = pool.tranches[t as usize];
            let base = value_of(tokens, tr.value, tr.supply);
            // As much in base tokens as its tranche tokens are worth at NAV, brought now.
            let mint = ix::token::mint_to(
                &self.keys.base_token_program,
                &self.keys.base_mint,
                &maker.base,
                &self.issuer.pubkey(),
                base,
            );
            self.chain.must(&[mint], &[&self.issuer], "the market maker's base side").await?;
            let lp = ix::token::associated(&ix::TOKEN_2022, &owner, &m.lp_mint);
            let trader = Trader {
                user: owner,
                tranche_account: maker.tranche[t as usize],
                base_account: maker.base,
                lp_account: Some(lp),
                member: self.member(&owner),
            };
            let ixs = [
                ix::token::create_associated(&ix::TOKEN_2022, &payer, &owner, &m.lp_mint),
                ix::add_liquidity(&self.keys, &m, &trader, 0, tokens, base),
            ];
            self.chain.must(&ixs, &[&maker.key], "add_liquidity").await?;
            self.markets.push(m);
        }
        Ok(())
    }

    async fn hire_keepers(&mut self) -> Result<(), String> {
        let payer = self.chain.payer().pubkey();
        let pool = self.pool().await?;
        for _ in 0..self.s.keepers.len() {
            let wallet = Keypair::new();
            let owner = wallet.pubkey();
            let program = self.keys.base_token_program;
            let ixs = [
                system_instruction::transfer(&payer, &owner, 10 * SOL),
                ix::token::create_associated(&program, &payer, &owner, &self.keys.base_mint),
            ];
            self.chain.must(&ixs, &[], "a keeper's wallet").await?;
            let main = Keeper::for_pool(wallet.insecure_clone(), &pool, self.markets.first().map(|m| m.tranche), true);
            let mut group = vec![];
            for m in self.markets.iter().skip(1) {
                group.push(Keeper {
                    wallet: wallet.insecure_clone(),
                    tip_account: main.tip_account,
                    keys: self.keys,
                    queues: vec![],
                    reserve: self.reserve,
                    market: Some(*m),
                    claim_route: None,
                });
            }
            group.insert(0, main);
            self.keepers.push(group);
        }
        Ok(())
    }

    /// Turns the scenario's schedules into per-day work: who exits how much when, which
    /// receivables default, pay late or early, and the rates the publisher moves toward.
    fn plan(&mut self) -> Result<(), String> {
        let s = self.s;
        let mut rng = Rng::new(s.seed ^ 0x5eed);
        // Holders' starting balances are their deposits (tokens minted 1:1 into new tranches).
        for (k, e) in s.exits.iter().enumerate() {
            let t = s.tranche(&e.tranche);
            let balances: Vec<u64> = self.holder_deposits(t);
            let mut order: Vec<usize> = (0..balances.len()).collect();
            rng.shuffle(&mut order);
            order.truncate(e.holders.unwrap_or(s.pool.holders_per_tranche) as usize);
            let total = (balances.iter().sum::<u64>() as u128 * e.share_bps as u128 / BPS as u128) as u64;
            let held: Vec<u64> = order.iter().map(|i| balances[*i]).collect();
            let shares = measure::pro_rata_shares(total, &held);
            if shares.iter().zip(&held).any(|(share, h)| share > h) {
                return Err(format!(
                    "exits[{k}].share_bps: {} bps of the tranche is more than its {} taking-part holders hold",
                    e.share_bps,
                    order.len()
                ));
            }
            let to = e.to_day.unwrap_or(e.from_day);
            for (holder, share) in order.iter().zip(shares) {
                for (d, tokens) in measure::spread_over_days(share, to - e.from_day + 1).into_iter().enumerate() {
                    if tokens > 0 {
                        self.exits.entry(e.from_day + d as u32).or_default().push((t, *holder, tokens));
                    }
                }
            }
        }
        let face_at_start: u64 = self.loans.iter().map(|l| l.face).sum();
        for d in &s.defaults {
            let target = (face_at_start as u128 * d.share_bps as u128 / BPS as u128) as u64;
            let mut candidates: Vec<usize> = (0..self.loans.len())
                .filter(|i| self.loans[*i].default.is_none() && self.loans[*i].tenor > d.day)
                .collect();
            rng.shuffle(&mut candidates);
            let mut hit = 0u64;
            for i in candidates {
                if hit >= target {
                    break;
                }
                let l = &mut self.loans[i];
                let recovery = (l.face as u128 * d.recovery_bps as u128 / BPS as u128) as u64;
                l.default = Some((d.day, recovery, d.day + d.recovery_days));
                hit += l.face;
            }
        }
        let rp = &s.repayments;
        let mut order: Vec<usize> = (0..self.loans.len()).collect();
        rng.shuffle(&mut order);
        let late = self.loans.len() * rp.late_share_bps as usize / BPS as usize;
        let early = self.loans.len() * rp.early_share_bps as usize / BPS as usize;
        for (k, i) in order.into_iter().enumerate() {
            let l = &mut self.loans[i];
            if k < late {
                l.repay_day = l.tenor + rp.late_days;
            } else if k < late + early {
                l.repay_day = l.tenor.saturating_sub(rp.early_days).max(1);
            }
        }
        let r = &s.rates;
        self.rate_targets = vec![(r.market_rate_bps, r.default_probability_bps); s.days as usize + 1];
        for (day, target) in self.rate_targets.iter_mut().enumerate() {
            let moves = s.oracle.iter().filter(|m| m.day as usize <= day);
            let (market, pd) = moves.fold((0i64, 0i64), |(a, b), m| {
                (a + m.market_rate_change_bps as i64, b + m.default_probability_change_bps as i64)
            });
            target.0 = measure::shifted(r.market_rate_bps, market, MAX_MARKET_RATE_BPS);
            target.1 = r.default_probability_bps.map(|x| measure::shifted(x, pd, MAX_DEFAULT_PROBABILITY_BPS));
        }
        Ok(())
    }

    /// What each holder of tranche `t` deposits, in holder order (weights 1, 2, 3, 4, 1, …).
    fn holder_deposits(&self, t: u8) -> Vec<u64> {
        let holders = self.s.tranche_size(t) - self.s.market_side(t);
        let weights: Vec<u64> = (0..self.s.pool.holders_per_tranche as u64).map(|i| 1 + i % 4).collect();
        measure::pro_rata_shares(holders, &weights)
    }

    async fn start_state(&mut self) -> Result<StartState, String> {
        let pool = self.fresh_pool().await?;
        let nav = self.nav_now(&pool).await?;
        Ok(StartState {
            prices_e12: nav.1,
            cash: pool.cash,
            reserve: pool.reserve_balance,
            stage: format!("{:?}", pool.stage),
            nav: nav.0,
        })
    }

    /// NAV and tranche prices now, as `reprice` would compute them (the SDK's preview), or
    /// the stored ones where the preview overflows.
    async fn nav_now(&mut self, pool: &Pool) -> Result<(u64, [u128; 3], [u64; 3]), String> {
        let book = client::book(&mut self.chain, &self.keys.book).await.map_err(fatal)?;
        let oracle = client::oracle(&mut self.chain, &self.keys.oracle).await.map_err(fatal)?;
        let now = self.now().await?;
        let (mut prices, mut values) = ([0u128; 3], [0u64; 3]);
        match preview::nav(pool, &book, &oracle, now) {
            Some(v) => {
                for i in 0..pool.tranche_count as usize {
                    prices[i] = v.tranche_prices_e12[i] as u128;
                    values[i] = v.tranche_values[i];
                }
                Ok((v.nav, prices, values))
            }
            None => {
                for (i, t) in pool.active_tranches().iter().enumerate() {
                    prices[i] = t.price_e12 as u128;
                    values[i] = t.value;
                }
                Ok((pool.nav, prices, values))
            }
        }
    }

    /// The pool with a fresh NAV: a wallet reprices a stale one before a priced action.
    async fn fresh_pool(&mut self) -> Result<Pool, String> {
        let now = self.now().await?;
        let pool = self.pool().await?;
        if pool.nav_is_fresh(now) {
            return Ok(pool);
        }
        self.chain.act(&[ix::reprice(&self.keys)], &[]).await?;
        self.pool().await
    }

    fn day_start(&self, day: u32) -> i64 {
        (self.setup_day + day as i64) * DAY + DAY_STARTS_AT
    }

    async fn run_day(&mut self, day: u32) -> Result<(), String> {
        self.today = Today::default();
        let first_hour = (day - 1) * 24;
        let mut hours: Vec<u32> = (first_hour..first_hour + 24)
            .filter(|h| *h == first_hour || self.s.keepers.iter().any(|k| k.ticks_at(*h)))
            .collect();
        hours.dedup();
        let start = self.day_start(day);
        for hour in hours {
            self.chain.bank.set_clock(start + (hour - first_hour) as i64 * HOUR).await.map_err(fatal)?;
            if hour == first_hour {
                self.publish(day).await?;
                self.service(day).await?;
                self.redeem(day).await?;
                self.trade(day).await?;
                self.arbitrage().await?;
            }
            self.keepers_tick(day, hour).await?;
            self.watch_market().await?;
            if hour == first_hour {
                self.pull_claims().await?;
            }
        }
        Ok(())
    }

    /// The publisher's daily rates: toward the day's target, within the pool's move bound.
    async fn publish(&mut self, day: u32) -> Result<(), String> {
        if self.s.rates.outage_days.contains(&day) {
            return Ok(());
        }
        let oracle = client::oracle(&mut self.chain, &self.keys.oracle).await.map_err(fatal)?;
        let bound = self.s.pool.max_rate_move_bps;
        let (market, pds) = self.rate_targets[day as usize];
        let market = measure::step_toward(oracle.market_rate_bps, market, bound);
        let mut pd = [0u32; 4];
        for (i, p) in pd.iter_mut().enumerate() {
            *p = measure::step_toward(oracle.classes[i].default_probability_bps, pds[i], bound);
        }
        let args = rates_args(oracle.sequence + 1, market, pd, self.s.rates.recovery_bps);
        let ix = ix::publish_rates(&self.publisher.pubkey(), &self.keys, args);
        self.chain.act(&[ix], &[&self.publisher]).await?;
        Ok(())
    }

    /// The servicer's day: defaults written down, repayments and recoveries booked.
    async fn service(&mut self, day: u32) -> Result<(), String> {
        let issuer = self.issuer.pubkey();
        for k in 0..self.loans.len() {
            let l = self.loans[k].clone();
            if let Some((on, recovery, paid_on)) = l.default {
                if on == day {
                    let ix = ix::write_down(&issuer, &self.keys, l.index, recovery);
                    if self.chain.act(&[ix], &[&self.issuer]).await? {
                        self.today.defaulted += l.face;
                    }
                }
                if paid_on == day && recovery > 0 {
                    let ix = ix::record_repayment(&issuer, &self.keys, l.index, &self.issuer_base, recovery);
                    if self.chain.act(&[ix], &[&self.issuer]).await? {
                        self.today.repaid += recovery;
                    }
                }
                continue;
            }
            if l.repay_day == day && !l.repaid {
                let ix = ix::record_repayment(&issuer, &self.keys, l.index, &self.issuer_base, l.face);
                if self.chain.act(&[ix], &[&self.issuer]).await? {
                    self.today.repaid += l.face;
                    self.loans[k].repaid = true;
                }
            }
        }
        self.repaid_total += self.today.repaid;
        Ok(())
    }

    fn wallet_of(&self, owner: Owner) -> &Wallet {
        match owner {
            Owner::Holder(t, i) => &self.holders[t as usize][i],
            Owner::Arbitrageur => self.arbitrageur.as_ref().expect("an arbitrageur"),
        }
    }

    /// Instant threshold `owner` has used in tranche `t` in the current 24 h window.
    async fn instant_used(&mut self, t: u8, owner: &Pubkey, now: i64) -> Result<u64, String> {
        client::instant_used(&mut self.chain, &self.keys.pool, t, owner, now).await.map_err(fatal)
    }

    /// `owner` leaves with `tokens` of tranche `t`: at once when the program would allow it,
    /// else through the queue. Returns the value asked (0 when refused).
    async fn exit(&mut self, t: u8, owner: Owner, tokens: u64) -> Result<u64, String> {
        let (key, holding, base) = {
            let w = self.wallet_of(owner);
            (w.key.insecure_clone(), w.tranche[t as usize], w.base)
        };
        let tokens = tokens.min(self.balance(&holding).await?);
        if tokens == 0 {
            return Ok(0);
        }
        let pool = self.fresh_pool().await?;
        let now = self.now().await?;
        let tr = pool.tranches[t as usize];
        let value = value_of(tokens, tr.value, tr.supply);
        let used = self.instant_used(t, &key.pubkey(), now).await?;
        if instant_allowed(&pool, used, t, tokens, now) {
            let (value, fee) = instant_payout(&pool, t as usize, tokens);
            let args = RedeemInstantArgs { tranche: t, tokens, min_out: value - fee };
            let ix = ix::redeem_instant(&key.pubkey(), &self.keys, &holding, &base, self.reserve, args);
            if self.chain.act(&[ix], &[&key]).await? {
                return Ok(value);
            }
        }
        let pool = self.pool().await?;
        let id = pool.tranches[t as usize].queue_tail;
        let q = self.queues[t as usize];
        let ix = ix::request_redemption(&key.pubkey(), &self.keys, &q, &holding, tokens);
        if self.chain.act(&[ix], &[&key]).await? {
            self.open_requests.push((t, id, owner));
            return Ok(value);
        }
        Ok(0)
    }

    async fn redeem(&mut self, day: u32) -> Result<(), String> {
        for (t, holder, tokens) in self.exits.get(&day).cloned().unwrap_or_default() {
            self.today.requested += self.exit(t, Owner::Holder(t, holder), tokens).await?;
        }
        Ok(())
    }

    /// A market's account, its vault balances and the curve's reserves.
    async fn market(&mut self, m: &AmmKeys) -> Result<(sluice::state::Amm, u64, u64), String> {
        let amm = client::amm(&mut self.chain, &m.amm).await.map_err(fatal)?;
        let tv = client::token_balance(&mut self.chain, &m.tranche_vault).await.map_err(fatal)?;
        let bv = client::token_balance(&mut self.chain, &m.base_vault).await.map_err(fatal)?;
        Ok((amm, tv, bv))
    }

    fn market_of(&self, t: u8) -> AmmKeys {
        *self.markets.iter().find(|m| m.tranche == t).expect("validated market")
    }

    fn trader(&self, w: &Wallet, t: u8) -> Trader {
        let user = w.key.pubkey();
        Trader {
            user,
            tranche_account: w.tranche[t as usize],
            base_account: w.base,
            lp_account: None,
            member: self.member(&user),
        }
    }

    /// The day's market sales (holders leaving through the market) and purchases.
    async fn trade(&mut self, day: u32) -> Result<(), String> {
        let s = self.s;
        let trades = s.trades.iter().filter(|t| t.from_day <= day && day <= t.to_day.unwrap_or(t.from_day));
        for spec in trades {
            let t = s.tranche(&spec.tranche);
            let m = self.market_of(t);
            let base_amount = spec.base_per_day * UNIT;
            let pool = self.fresh_pool().await?;
            let (amm, tv, bv) = self.market(&m).await?;
            let now = self.now().await?;
            match spec.side {
                Side::Sell => {
                    // The tranche's largest holder sells.
                    let mut seller = (0usize, 0u64);
                    for i in 0..self.holders[t as usize].len() {
                        let account = self.holders[t as usize][i].tranche[t as usize];
                        let b = self.balance(&account).await?;
                        if b > seller.1 {
                            seller = (i, b);
                        }
                    }
                    let tr = pool.tranches[t as usize];
                    let mut tokens = tokens_within(base_amount, tr.value, tr.supply).min(seller.1);
                    if spec.route == Route::Best {
                        let owner = self.holders[t as usize][seller.0].key.pubkey();
                        let used = self.instant_used(t, &owner, now).await?;
                        let market = preview::ExitMarket { amm: &amm, tranche_vault: tv, base_vault: bv };
                        let plan = preview::plan_exit(
                            &pool,
                            Some(market),
                            used,
                            t,
                            tokens,
                            seller.1,
                            now,
                            spec.max_discount_bps,
                        );
                        if plan.instant_tokens > 0 {
                            self.today.requested +=
                                self.exit(t, Owner::Holder(t, seller.0), plan.instant_tokens).await?;
                        }
                        self.sell(t, seller.0, plan.market_tokens, now).await?;
                        if plan.queued_tokens > 0 {
                            self.today.requested +=
                                self.exit(t, Owner::Holder(t, seller.0), plan.queued_tokens).await?;
                        }
                        continue;
                    }
                    if pool.stage == Stage::Crisis {
                        let band = amm.params.crisis_band_bps as u64;
                        let lands = |k: u64| quote(&pool, &amm, tv, bv, false, k).map(|q| q.deviation_bps);
                        tokens = measure::largest_where(tokens, |k| lands(k).is_some_and(|d| d <= band));
                    }
                    self.sell(t, seller.0, tokens, now).await?;
                }
                Side::Buy => {
                    let Some(w) = &self.buyer else { continue };
                    let (key, trader) = (w.key.insecure_clone(), self.trader(w, t));
                    let amount = base_amount.min(self.balance(&trader.base_account).await?);
                    let Some(q) = quote(&pool, &amm, tv, bv, true, amount).filter(|q| q.amount_out > 0) else {
                        continue;
                    };
                    if pool.stage == Stage::Crisis && q.deviation_bps > amm.params.crisis_band_bps as u64 {
                        continue;
                    }
                    let args =
                        SwapArgs { buy_tranche: true, amount_in: amount, min_out: q.amount_out, deadline: now + 60 };
                    self.chain.act(&[ix::swap(&self.keys, &m, &trader, args)], &[&key]).await?;
                    self.watch_market().await?;
                }
            }
        }
        Ok(())
    }

    /// Holder `holder` of tranche `t` sells `tokens` on the tranche's market at the quote.
    async fn sell(&mut self, t: u8, holder: usize, tokens: u64, now: i64) -> Result<(), String> {
        let m = self.market_of(t);
        let pool = self.fresh_pool().await?;
        let (amm, tv, bv) = self.market(&m).await?;
        let Some(q) = quote(&pool, &amm, tv, bv, false, tokens).filter(|q| tokens > 0 && q.amount_out > 0) else {
            return Ok(());
        };
        let tr = pool.tranches[t as usize];
        let w = &self.holders[t as usize][holder];
        let (key, trader) = (w.key.insecure_clone(), self.trader(w, t));
        let before = self.balance(&trader.base_account).await?;
        let args = SwapArgs { buy_tranche: false, amount_in: tokens, min_out: q.amount_out, deadline: now + 60 };
        if self.chain.act(&[ix::swap(&self.keys, &m, &trader, args)], &[&key]).await? {
            let received = self.balance(&trader.base_account).await?.saturating_sub(before);
            self.today.requested += value_of(tokens, tr.value, tr.supply);
            self.today.market_paid += received;
            self.market_taken_total += received;
            self.watch_market().await?;
        }
        Ok(())
    }

    /// The arbitrageur's day: on each market, buys as much as a redemption of what it buys
    /// pays more for than it costs, by its edge — at the instant payout when the program
    /// would take the purchase at once, else at the queued one — then redeems it.
    async fn arbitrage(&mut self) -> Result<(), String> {
        let s = self.s;
        let Some(spec) = &s.arbitrageur else { return Ok(()) };
        let edge = spec.min_edge_bps as u64;
        for m in self.markets.clone() {
            let t = m.tranche;
            let pool = self.fresh_pool().await?;
            let (amm, tv, bv) = self.market(&m).await?;
            let now = self.now().await?;
            let (key, trader) = {
                let w = self.arbitrageur.as_ref().expect("an arbitrageur");
                (w.key.insecure_clone(), self.trader(w, t))
            };
            let capital = self.balance(&trader.base_account).await?;
            let tr = pool.tranches[t as usize];
            let p = pool.params.redemption;
            let queued_keeps = if pool.stage == Stage::Normal { BPS } else { BPS - p.buyback_discount_bps as u64 };
            let instant_keeps = BPS - p.instant_fee_bps as u64;
            let crisis_band = (pool.stage == Stage::Crisis).then_some(amm.params.crisis_band_bps as u64);
            // It buys while the last token bought (the landing price, grossed up for the fee)
            // still costs less than a redemption pays for it, by the edge.
            let pays = |spend: u64, keeps: u64| {
                quote(&pool, &amm, tv, bv, true, spend).is_some_and(|q| {
                    let payout = value_of(q.amount_out, tr.value, tr.supply) as u128 * keeps as u128;
                    let marginal = q.price_e12 as u128 * (BPS + edge) as u128 * BPS as u128;
                    let pays_per_token = tr.price_e12 as u128 * keeps as u128 * (BPS - q.fee_bps as u64) as u128;
                    crisis_band.is_none_or(|band| q.deviation_bps <= band)
                        && q.amount_out > 0
                        && marginal <= pays_per_token
                        && payout >= spend as u128 * (BPS + edge) as u128
                })
            };
            let mut spend = measure::largest_where(capital, |b| pays(b, queued_keeps));
            let used = self.instant_used(t, &key.pubkey(), now).await?;
            let bought_at = |b: u64| quote(&pool, &amm, tv, bv, true, b).map_or(0, |q| q.amount_out);
            if instant_allowed(&pool, used, t, bought_at(spend), now) {
                spend = measure::largest_where(spend, |b| pays(b, instant_keeps));
            }
            if spend < UNIT {
                continue;
            }
            let out = bought_at(spend);
            let before = self.balance(&trader.tranche_account).await?;
            let args = SwapArgs { buy_tranche: true, amount_in: spend, min_out: out, deadline: now + 60 };
            if self.chain.act(&[ix::swap(&self.keys, &m, &trader, args)], &[&key]).await? {
                let bought = self.balance(&trader.tranche_account).await?.saturating_sub(before);
                self.today.requested += self.exit(t, Owner::Arbitrageur, bought).await?;
            }
        }
        Ok(())
    }

    /// Notes the first market's discount to the NAV price it trades at, for the day's deepest.
    async fn watch_market(&mut self) -> Result<(), String> {
        let Some(m) = self.markets.first().copied() else { return Ok(()) };
        let pool = self.pool().await?;
        let (amm, tv, bv) = self.market(&m).await?;
        let Some(spot) = amm.reserves(tv, bv).ok().and_then(|(x, y)| price_e12(x, y)) else { return Ok(()) };
        let discount = measure::discount_bps(pool.tranches[m.tranche as usize].price_e12, spot);
        self.today.max_discount_bps = Some(self.today.max_discount_bps.map_or(discount, |d| d.max(discount)));
        Ok(())
    }

    /// Each keeper on duty at `hour` (hours into the run): overdue write-downs, then a tick.
    async fn keepers_tick(&mut self, day: u32, hour: u32) -> Result<(), String> {
        let on_duty: Vec<usize> = (0..self.s.keepers.len()).filter(|k| self.s.keepers[*k].ticks_at(hour)).collect();
        if on_duty.is_empty() {
            return Ok(());
        }
        let now = self.now().await?;
        let overdue = self.overdue(day, now).await?;
        for k in on_duty {
            self.chain.keeper_sending = true;
            let mut result = Ok(());
            if !overdue.is_empty() {
                result = self.keepers[k][0].write_down_overdue(&mut self.chain, &overdue).await.map(|_| ());
            }
            for keeper in &self.keepers[k] {
                if !matches!(result, Err(ChainError::Transport(_))) {
                    result = keeper.tick(&mut self.chain).await.map(|_| ());
                }
            }
            self.chain.keeper_sending = false;
            // A refused crank ends that keeper's pass (it is counted); transport errors end the run.
            if let Err(ChainError::Transport(m)) = result {
                return Err(m);
            }
        }
        Ok(())
    }

    /// Receivables past due and not repaid whose overdue schedule calls for a write-down.
    async fn overdue(&mut self, day: u32, now: i64) -> Result<Vec<u64>, String> {
        let mut receivables = Vec::new();
        let pool = self.pool().await?;
        for l in self.loans.iter().filter(|l| l.tenor < day && !l.repaid) {
            let address = pda::receivable(&self.keys.pool, l.index);
            let r = client::receivable(&mut self.chain, &address).await.map_err(fatal)?;
            if r.status != ReceivableStatus::Repaid {
                receivables.push(r);
            }
        }
        Ok(overdue_due(&pool, &receivables, now))
    }

    /// Holders (and the arbitrageur) pull what their requests hold.
    async fn pull_claims(&mut self) -> Result<(), String> {
        if self.open_requests.is_empty() {
            return Ok(());
        }
        let pool = self.pool().await?;
        let mut still_open = Vec::new();
        for t in 0..pool.tranche_count {
            let mine: Vec<(u64, Owner)> = self.open_requests.iter().filter(|r| r.0 == t).map(|r| (r.1, r.2)).collect();
            if mine.is_empty() {
                continue;
            }
            let q = self.queues[t as usize];
            let queue = client::queue(&mut self.chain, &q.queue).await.map_err(fatal)?;
            let head = pool.tranches[t as usize].queue_head;
            for (id, owner) in mine {
                let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
                let (key, base) = {
                    let w = self.wallet_of(owner);
                    (w.key.insecure_clone(), w.base)
                };
                if id < head || r.owner != key.pubkey() {
                    continue; // finished and dropped from the queue
                }
                let mut claimable = r.claimable;
                if claimable > 0
                    && self.chain.act(&[ix::claim(&key.pubkey(), &self.keys, &q, id, &base)], &[&key]).await?
                {
                    claimable = 0;
                }
                if r.remaining > 0 || claimable > 0 {
                    still_open.push((t, id, owner));
                }
            }
        }
        self.open_requests = still_open;
        Ok(())
    }

    /// The day as read at its end, after the day's keeper work; also checks what only a
    /// whole read can: the book, mint supplies, escrows and the reserve vault.
    async fn day_row(&mut self, day: u32) -> Result<DayRow, String> {
        let pool = self.pool().await?;
        self.check_accounts(&pool, day).await?;
        let (nav, prices, values) = self.nav_now(&pool).await?;
        let queued = pool
            .active_tranches()
            .iter()
            .enumerate()
            .map(|(i, t)| value_of(t.queued_tokens, values[i], t.supply))
            .sum();
        let (market_price_e12, market_discount_bps, spread_bps, depth) = match self.markets.first().copied() {
            Some(m) => self.market_figures(&pool, &m, prices[m.tranche as usize] as u64).await?,
            None => (0, 0, 0, 0),
        };
        // What the subordination rule holds in, by the program's own rule on the pool as the
        // day ends, valued like the queue.
        let held_tokens = measure::held_by_subordination(&pool);
        let held =
            pool.active_tranches().iter().enumerate().map(|(i, t)| value_of(held_tokens[i], values[i], t.supply)).sum();
        let tally = self.chain.take_tally();
        let today = self.today;
        self.requested_total += today.requested;
        let limit = measure::liquidity_limit(
            self.start.cash,
            self.repaid_total,
            measure::cash_floor(pool.nav, pool.params.redemption.cash_floor_bps),
            self.start.reserve,
            self.market_taken_total,
        );
        Ok(DayRow {
            day,
            nav,
            cash: pool.cash,
            prices_e12: prices,
            requested: today.requested,
            paid: PaidBySource {
                vault: tally.vault_paid,
                reserve: tally.reserve_in_batches + tally.reserve_on_market,
                market: today.market_paid,
                basket: 0,
            },
            queued,
            limit,
            held,
            payable: measure::requested_payable(self.requested_total, held),
            stage: format!("{:?}", pool.stage),
            market_price_e12,
            market_discount_bps,
            max_discount_bps: today.max_discount_bps.map_or(market_discount_bps, |d| d.max(market_discount_bps)),
            spread_bps,
            depth,
            reserve_balance: pool.reserve_balance,
            reserve_spent: tally.reserve_in_batches + tally.reserve_on_market,
            reserve_recovered: tally.reserve_recovered,
            defaulted: today.defaulted,
            repaid: today.repaid,
            keeper_txs: tally.keeper_txs,
            refused: tally.refused,
        })
    }

    /// (spot price, discount to `nav_price`, round-trip spread of a typical order, depth
    /// within 2 %) of market `m`.
    async fn market_figures(
        &mut self,
        pool: &Pool,
        m: &AmmKeys,
        nav_price: u64,
    ) -> Result<(u128, i64, u64, u64), String> {
        let (amm, tv, bv) = self.market(m).await?;
        let Ok((x, y)) = amm.reserves(tv, bv) else { return Ok((0, 0, 0, 0)) };
        let spot = price_e12(x, y).unwrap_or(0);
        let tr = pool.tranches[m.tranche as usize];
        let fees = amm.params.fees(pool.stage);
        let depth = liquidity(x, y, fees, amm.params.reference_trade, 0, tr.value).depth_2pct;
        let order = measure::typical_order(depth);
        let spread = match preview::swap_quote(pool, &amm, tv, bv, true, order) {
            Some(buy) => {
                // The curve after the buy: its output out, the input in less the fee shares set aside.
                let mut after = amm.clone();
                after.set_aside_fee(buy.fee, true);
                let back = preview::swap_quote(pool, &after, tv - buy.amount_out, bv + order, false, buy.amount_out);
                measure::round_trip_cost_bps(order, back.map_or(0, |q| q.amount_out))
            }
            None => BPS,
        };
        Ok((spot as u128, measure::discount_bps(nav_price, spot), spread, depth))
    }

    async fn check_accounts(&mut self, pool: &Pool, day: u32) -> Result<(), String> {
        let book = client::book(&mut self.chain, &self.keys.book).await.map_err(fatal)?;
        let mut problems = Vec::new();
        if book.invariant(None).is_err() {
            problems.push("the book's aggregates disagree with its cells".to_string());
        }
        for (i, t) in pool.active_tranches().iter().enumerate() {
            let supply = client::mint_supply(&mut self.chain, &t.mint).await.map_err(fatal)?;
            if supply != t.supply {
                problems.push(format!("tranche {i}: mint supply {supply}, the pool records {}", t.supply));
            }
            let escrow = self.balance(&t.escrow).await?;
            if pool.check_escrow(i, escrow).is_err() {
                problems.push(format!("tranche {i}: escrow {escrow} short of queued and reserve tokens"));
            }
        }
        if let Some(reserve) = self.reserve {
            let held = self.balance(&reserve).await?;
            if held < pool.reserve_balance {
                problems.push(format!("reserve vault {held} short of its balance {}", pool.reserve_balance));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("invariant broken at the end of day {day}: {}", problems.join("; ")))
        }
    }
}

fn rates_args(sequence: u64, market_rate_bps: u32, pd: [u32; 4], recovery: [u32; 4]) -> PublishRatesArgs {
    let mut classes = [ClassRates::default(); 4];
    for (i, c) in classes.iter_mut().enumerate() {
        *c = ClassRates { default_probability_bps: pd[i], recovery_bps: recovery[i] };
    }
    PublishRatesArgs { sequence, market_rate_bps, classes }
}

/// The program's quote for a swap on a market (vault balances `tv`, `bv`).
fn quote(pool: &Pool, amm: &sluice::state::Amm, tv: u64, bv: u64, buy: bool, amount: u64) -> Option<Quote> {
    if amount == 0 {
        return None;
    }
    preview::swap_quote(pool, amm, tv, bv, buy, amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: u32, requested: u64, vault: u64, limit: u64, stage: &str) -> DayRow {
        DayRow {
            day,
            requested,
            paid: PaidBySource { vault, ..Default::default() },
            limit,
            stage: stage.into(),
            prices_e12: [1_000_000_000_000, 1_000_000_000_000, 500_000_000_000],
            ..Default::default()
        }
    }

    #[test]
    fn the_summary_adds_up_the_rows() {
        let scenario = Scenario::parse("name = \"t\"\ndays = 3\n", "t.toml").unwrap();
        let start = StartState {
            prices_e12: [990_000_000_000, 1_000_000_000_000, 1_000_000_000_000],
            stage: "Normal".into(),
            ..Default::default()
        };
        let rows = [row(1, 1_000, 100, 500, "Normal"), row(2, 0, 300, 600, "Stress"), row(3, 0, 190, 600, "Stress")];
        let s = summarize(&scenario, &start, &rows, 42, &BTreeMap::from([("swap: SlippageExceeded".into(), 2)]));
        assert_eq!((s.requested, s.paid.total(), s.limit), (1_000, 590, 600));
        // 590 paid against min(1,000 asked, 600 allowed).
        assert_eq!(s.efficiency_bps, 9_833);
        // Day 1: 100 of 1,000; days 3, 7 and 30 read the last day: 590 of 1,000.
        assert_eq!(s.paid_by_day_bps, [1_000, 5_900, 5_900, 5_900]);
        assert_eq!(s.loss_bps, [-101, 0, 5_000]);
        assert_eq!(s.stages, vec![(0, "Normal".to_string()), (2, "Stress".to_string())]);
        assert_eq!((s.transactions, s.refusals.len()), (42, 1));
    }

    #[test]
    fn what_subordination_holds_in_is_not_due() {
        let scenario = Scenario::parse("name = \"t\"\ndays = 2\n", "t.toml").unwrap();
        let start = StartState { stage: "Normal".into(), ..Default::default() };
        // 1,000 asked, 940 paid; 60 still wait at the end, held in by subordination.
        let mut last = row(2, 0, 440, 5_000, "Normal");
        last.held = 60;
        let rows = [row(1, 1_000, 500, 4_000, "Normal"), last];
        let s = summarize(&scenario, &start, &rows, 0, &BTreeMap::new());
        assert_eq!((s.requested, s.payable, s.held_by_subordination), (1_000, 940, 60));
        assert_eq!(s.efficiency_bps, 10_000);
        // Paid by day still counts against everything asked.
        assert_eq!(s.paid_by_day_bps[1], 9_400);
    }
}
