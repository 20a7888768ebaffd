//! Wallet, issuer and servicer commands over JSON-RPC.
//!
//! Wallet and cluster come from the Solana CLI config unless `--url` / `--keypair` /
//! `--config` say otherwise; the wallet signs and pays. Every command prints a table for
//! people or, with `--json`, one JSON object for scripts. Amounts are whole tokens with the
//! mint's decimals, converted exactly; slippage bounds round against the caller.

use std::collections::HashMap;
use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::instructions::{AddReceivableArgs, DepositArgs, PublishRatesArgs, RedeemInstantArgs, SwapArgs};
use sluice::math::allocation::value_of;
use sluice::math::dcf::ClassRates;
use sluice::math::time::MAX_RISK_CLASSES;
use sluice::state::{Pool, QUEUE_CAPACITY};
use sluice_sdk::chain::{Chain, ChainError, DevChain};
use sluice_sdk::config::{read_keypair, write_keypair, SolanaCliConfig};
use sluice_sdk::ix::{self, AmmKeys, PoolKeys, QueueKeys, Trader};
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::units::{format_amount, format_price, parse_amount, parse_date};
use sluice_sdk::{client, pda, preview};

pub const COMMANDS: &[&str] = &[
    "pools",
    "position",
    "deposit",
    "redeem",
    "cancel",
    "claim",
    "swap",
    "add-liquidity",
    "remove-liquidity",
    "reprice",
    "admit",
    "add-receivable",
    "repay",
    "write-down",
    "publish-rates",
    "fund-reserve",
    "address",
    "airdrop",
    "keygen",
];

/// What a failed command tells its user to do next, by program error.
fn hint(name: &str) -> &'static str {
    match name {
        "NavStale" => "run `sluice reprice <POOL>` (or wait for a keeper), then retry",
        "OracleStale" | "OracleNotPublished" => "the rate oracle must publish fresh rates first",
        "NotMember" => "ask the issuer to admit this wallet (`sluice admit`)",
        "MembershipExpired" => "ask the issuer to renew this wallet's membership",
        "PoolPaused" => "the guardian paused the pool; wait for it to be unpaused",
        "SlippageExceeded" | "PayoutBelowMinimum" => "prices moved; retry or raise --slippage-bps",
        "InstantTooLarge" | "InstantCapReached" | "CashFloorReached" => "queue it: add --queue",
        "WrongStage" => "instant exits are closed in this stage; queue the redemption (--queue)",
        "JuniorNotFunded" => "the junior tranche must take deposits first",
        "SubordinationBreached" => "a smaller amount, or a more junior tranche, keeps the cushion",
        "PoolCapExceeded" => "the pool is full; deposit less",
        "NothingToClaim" => "nothing is owed yet; batches pay queued requests over time",
        "NotAuthority" => "sign with the pool authority's keypair (--keypair)",
        "NotPublisher" => "sign with an oracle publisher's keypair (--keypair)",
        "DeadlinePassed" => "the cluster clock passed the deadline; retry",
        "EmptyAmm" => "the market has no liquidity yet",
        "BelowMinimumRequest" => "queue at least the pool's minimum, or the whole balance",
        "CancelLocked" => "a request can be cancelled once it has waited one batch interval; retry later",
        "TrancheImpaired" => "the tranche carries a loss and takes no deposits until it recovers",
        "UnownedValue" => "the tranche's residual goes to the buy-back reserve, which the issuer must set up first",
        _ => "",
    }
}

pub struct Flags {
    pub json: bool,
    values: HashMap<String, Vec<String>>,
    switches: Vec<String>,
    pub positional: Vec<String>,
}

const VALUE_FLAGS: &[&str] = &[
    "--url",
    "-u",
    "--keypair",
    "-k",
    "--config",
    "-C",
    "--slippage-bps",
    "--owner",
    "--expires",
    "--face",
    "--funded",
    "--due",
    "--class",
    "--document",
    "--pay-to",
    "--market-bps",
    "--outfile",
];
const SWITCHES: &[&str] = &["--json", "--instant", "--queue", "--force"];

impl Flags {
    pub fn parse(args: &[String]) -> Result<Flags, String> {
        let mut f = Flags { json: false, values: HashMap::new(), switches: Vec::new(), positional: Vec::new() };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if VALUE_FLAGS.contains(&a.as_str()) {
                let v = it.next().ok_or(format!("{a} needs a value"))?;
                let key = match a.as_str() {
                    "-u" => "--url",
                    "-k" => "--keypair",
                    "-C" => "--config",
                    k => k,
                };
                f.values.entry(key.to_string()).or_default().push(v.clone());
            } else if SWITCHES.contains(&a.as_str()) {
                f.switches.push(a.clone());
            } else if a.starts_with("--") {
                return Err(format!("unknown option {a}"));
            } else {
                f.positional.push(a.clone());
            }
        }
        f.json = f.has("--json");
        Ok(f)
    }

    fn has(&self, s: &str) -> bool {
        self.switches.iter().any(|x| x == s)
    }
    fn value(&self, k: &str) -> Option<&str> {
        self.values.get(k).and_then(|v| v.last()).map(String::as_str)
    }
    fn all(&self, k: &str) -> &[String] {
        self.values.get(k).map_or(&[], Vec::as_slice)
    }
    fn required(&self, k: &str) -> Result<&str, Failure> {
        self.value(k).ok_or_else(|| Failure::usage(format!("{k} is required")))
    }
    fn arg(&self, i: usize, what: &str) -> Result<&str, Failure> {
        self.positional.get(i).map(String::as_str).ok_or_else(|| Failure::usage(format!("missing <{what}>")))
    }
}

/// A failed command: what went wrong, what to do, and the exit code.
pub struct Failure {
    pub message: String,
    pub name: Option<String>,
    pub code: Option<u32>,
    pub hint: String,
    pub exit: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), name: None, code: None, hint: String::new(), exit: 2 }
    }
    fn other(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), name: None, code: None, hint: String::new(), exit: 1 }
    }
    pub fn json(&self) -> Value {
        json!({ "error": { "message": self.message, "name": self.name, "code": self.code, "hint": self.hint } })
    }
}

impl From<ChainError> for Failure {
    fn from(e: ChainError) -> Self {
        let named = e.sluice_code().and_then(sluice_sdk::errors::lookup);
        match named {
            Some(n) => Failure {
                message: format!("Sluice refused: {} ({}): {}", n.name, n.code, n.msg),
                name: Some(n.name.to_string()),
                code: Some(n.code),
                hint: hint(&n.name).to_string(),
                exit: 1,
            },
            None => {
                let hint = match &e {
                    ChainError::Transport(_) => {
                        "is the cluster reachable? check --url (a local node: `sluice localnet`)"
                    }
                    ChainError::Transaction(m) if m.contains("debit an account") || m.contains("insufficient") => {
                        "the wallet needs SOL for fees: `sluice airdrop 1` on a local cluster"
                    }
                    _ => "",
                };
                Failure { message: e.to_string(), name: None, code: None, hint: hint.into(), exit: 1 }
            }
        }
    }
}

type Outcome = Result<(Value, String), Failure>;

struct Ctx {
    chain: RpcChain,
    wallet: Keypair,
    slippage_bps: u64,
}

struct Loaded {
    pool: Pool,
    keys: PoolKeys,
    decimals: u8,
}

fn pubkey(s: &str, what: &str) -> Result<Pubkey, Failure> {
    s.parse().map_err(|_| Failure::usage(format!("<{what}>: not an address: {s}")))
}

fn amount(s: &str, decimals: u8, what: &str) -> Result<u64, Failure> {
    parse_amount(s, decimals).map_err(|e| Failure::usage(format!("<{what}>: {e}")))
}

fn tranche_arg(f: &Flags, i: usize, pool: &Pool) -> Result<u8, Failure> {
    let s = f.arg(i, "TRANCHE")?;
    let names = ["senior", "mezzanine", "junior"];
    let t = match s.parse::<u8>() {
        Ok(t) => t,
        // Names follow the usual layout: senior first, junior last.
        Err(_) if s == "junior" => pool.tranche_count.saturating_sub(1),
        Err(_) => {
            names.iter().position(|n| *n == s).map(|p| p as u8).ok_or(Failure::usage(format!("<TRANCHE>: {s}?")))?
        }
    };
    if t >= pool.tranche_count {
        return Err(Failure::usage(format!("the pool has {} tranche(s); no tranche {t}", pool.tranche_count)));
    }
    Ok(t)
}

/// Lower bound after slippage, rounded down (against the caller).
fn at_least(expected: u64, slippage_bps: u64) -> u64 {
    (expected as u128 * (10_000 - slippage_bps.min(10_000)) as u128 / 10_000) as u64
}

/// Upper bound after slippage, rounded up (against the caller).
fn at_most(expected: u64, slippage_bps: u64) -> u64 {
    (expected as u128 * (10_000 + slippage_bps) as u128).div_ceil(10_000) as u64
}

impl Ctx {
    fn me(&self) -> Pubkey {
        self.wallet.pubkey()
    }

    async fn load(&mut self, address: &str) -> Result<Loaded, Failure> {
        let address = pubkey(address, "POOL")?;
        let pool = client::try_pool(&mut self.chain, &address)
            .await?
            .ok_or_else(|| Failure::other(format!("no Sluice pool at {address}")))?;
        let keys = PoolKeys::of(&pool);
        let decimals = client::mint_decimals(&mut self.chain, &pool.base_mint).await?;
        Ok(Loaded { pool, keys, decimals })
    }

    async fn send(&mut self, ixs: &[Instruction]) -> Result<(), Failure> {
        let wallet = self.wallet.insecure_clone();
        Ok(self.chain.send(ixs, &[&wallet]).await?)
    }

    /// `reprice` first when the stored NAV is too old for the command.
    async fn fresh_nav(&mut self, l: &Loaded) -> Result<Vec<Instruction>, Failure> {
        let now = self.chain.now().await?;
        Ok(if l.pool.nav_is_fresh(now) { vec![] } else { vec![ix::reprice(&l.keys)] })
    }

    async fn balance(&mut self, account: &Pubkey) -> Result<u64, Failure> {
        Ok(client::balance_or_zero(&mut self.chain, account).await?)
    }
}

pub async fn run(command: &str, f: &Flags) -> Outcome {
    let config = SolanaCliConfig::load(f.value("--config").map(std::path::Path::new))
        .map_err(|e| Failure::usage(e.to_string()))?;
    let keypair_path = config.keypair_path(f.value("--keypair").map(std::path::Path::new));
    if command == "keygen" {
        return keygen(f, keypair_path);
    }
    let wallet = read_keypair(&keypair_path)
        .map_err(|e| Failure { hint: "create one with `sluice keygen`".into(), ..Failure::usage(e.to_string()) })?;
    let url = config.url(f.value("--url"));
    let slippage_bps = match f.value("--slippage-bps") {
        Some(s) => s.parse().map_err(|_| Failure::usage("--slippage-bps: a number of basis points"))?,
        None => 50,
    };
    let mut ctx = Ctx { chain: RpcChain::new(&url, wallet.insecure_clone()), wallet, slippage_bps };
    match command {
        "address" => {
            let me = ctx.me();
            Ok((json!({ "address": me.to_string() }), me.to_string()))
        }
        "airdrop" => {
            let sol: f64 = f.arg(0, "SOL")?.parse().map_err(|_| Failure::usage("<SOL>: a number"))?;
            let lamports = (sol * 1e9) as u64;
            let me = ctx.me();
            ctx.chain.airdrop(&me, lamports).await?;
            let balance = ctx.chain.client().get_balance(&me).await.map_err(|e| Failure::other(e.to_string()))?;
            Ok((
                json!({ "address": me.to_string(), "lamports": lamports, "balance": balance }),
                format!("{sol} SOL to {me}; balance {} SOL", balance as f64 / 1e9),
            ))
        }
        "pools" => pools(&mut ctx).await,
        "position" => position(&mut ctx, f).await,
        "deposit" => deposit(&mut ctx, f).await,
        "redeem" => redeem(&mut ctx, f).await,
        "cancel" => cancel(&mut ctx, f).await,
        "claim" => claim(&mut ctx, f).await,
        "swap" => swap(&mut ctx, f).await,
        "add-liquidity" | "remove-liquidity" => liquidity(&mut ctx, f, command == "add-liquidity").await,
        "reprice" => {
            let l = ctx.load(f.arg(0, "POOL")?).await?;
            ctx.send(&[ix::reprice(&l.keys)]).await?;
            let pool = client::pool(&mut ctx.chain, &l.keys.pool).await?;
            Ok((
                json!({ "pool": l.keys.pool.to_string(), "nav": pool.nav }),
                format!("NAV {}", format_amount(pool.nav, l.decimals)),
            ))
        }
        "admit" => {
            let l = ctx.load(f.arg(0, "POOL")?).await?;
            let who = pubkey(f.arg(1, "WALLET")?, "WALLET")?;
            let expires =
                parse_date(f.required("--expires")?).map_err(|e| Failure::usage(format!("--expires: {e}")))?;
            let me = ctx.me();
            ctx.send(&[ix::set_member(&me, &l.keys.pool, &who, expires)]).await?;
            Ok((
                json!({ "pool": l.keys.pool.to_string(), "wallet": who.to_string(), "member": pda::member(&l.keys.pool, &who).to_string(), "expires_at": expires }),
                format!("{who} admitted until {}", f.required("--expires")?),
            ))
        }
        "add-receivable" => add_receivable(&mut ctx, f).await,
        "repay" => {
            let l = ctx.load(f.arg(0, "POOL")?).await?;
            let index: u64 = f.arg(1, "INDEX")?.parse().map_err(|_| Failure::usage("<INDEX>: a number"))?;
            let amt = amount(f.arg(2, "AMOUNT")?, l.decimals, "AMOUNT")?;
            let me = ctx.me();
            let source = ix::token::associated(&me, &l.keys.base_mint);
            ctx.send(&[ix::record_repayment(&me, &l.keys, index, &source, amt)]).await?;
            let r = client::receivable(&mut ctx.chain, &pda::receivable(&l.keys.pool, index)).await?;
            Ok((
                json!({ "receivable": index, "repaid": amt, "outstanding": r.outstanding, "status": format!("{:?}", r.status) }),
                format!(
                    "receivable {index}: repaid {}, outstanding {}",
                    format_amount(amt, l.decimals),
                    format_amount(r.outstanding, l.decimals)
                ),
            ))
        }
        "write-down" => {
            let l = ctx.load(f.arg(0, "POOL")?).await?;
            let index: u64 = f.arg(1, "INDEX")?.parse().map_err(|_| Failure::usage("<INDEX>: a number"))?;
            let recovery = amount(f.arg(2, "EXPECTED-RECOVERY")?, l.decimals, "EXPECTED-RECOVERY")?;
            let me = ctx.me();
            ctx.send(&[ix::write_down(&me, &l.keys, index, recovery)]).await?;
            Ok((
                json!({ "receivable": index, "expected_recovery": recovery }),
                format!("receivable {index} written down to {}", format_amount(recovery, l.decimals)),
            ))
        }
        "publish-rates" => {
            let l = ctx.load(f.arg(0, "POOL")?).await?;
            let market: u32 =
                f.required("--market-bps")?.parse().map_err(|_| Failure::usage("--market-bps: a number"))?;
            let given = f.all("--class");
            if given.len() != MAX_RISK_CLASSES {
                return Err(Failure::usage(format!("--class PD:REC, exactly {MAX_RISK_CLASSES} times")));
            }
            let mut classes = [ClassRates { default_probability_bps: 0, recovery_bps: 0 }; MAX_RISK_CLASSES];
            for (slot, g) in classes.iter_mut().zip(given) {
                let (pd, rec) = g.split_once(':').ok_or(Failure::usage(format!("--class {g}: PD:REC in bps")))?;
                let n = |s: &str| s.parse::<u32>().map_err(|_| Failure::usage(format!("--class {g}: PD:REC in bps")));
                *slot = ClassRates { default_probability_bps: n(pd)?, recovery_bps: n(rec)? };
            }
            let sequence = client::oracle(&mut ctx.chain, &l.keys.oracle).await?.sequence + 1;
            let me = ctx.me();
            ctx.send(&[ix::publish_rates(
                &me,
                &l.keys,
                PublishRatesArgs { sequence, market_rate_bps: market, classes },
            )])
            .await?;
            Ok((json!({ "sequence": sequence, "market_rate_bps": market }), format!("rates #{sequence} published")))
        }
        "fund-reserve" => {
            let l = ctx.load(f.arg(0, "POOL")?).await?;
            let amt = amount(f.arg(1, "AMOUNT")?, l.decimals, "AMOUNT")?;
            let me = ctx.me();
            let source = ix::token::associated(&me, &l.keys.base_mint);
            ctx.send(&[ix::fund_reserve(&me, &l.keys, &source, amt)]).await?;
            let pool = client::pool(&mut ctx.chain, &l.keys.pool).await?;
            Ok((
                json!({ "funded": amt, "reserve_balance": pool.reserve_balance, "reserve_target": pool.reserve_target() }),
                format!(
                    "reserve {} (target {})",
                    format_amount(pool.reserve_balance, l.decimals),
                    format_amount(pool.reserve_target(), l.decimals)
                ),
            ))
        }
        other => Err(Failure::usage(format!("unknown command {other}"))),
    }
}

fn keygen(f: &Flags, default: PathBuf) -> Outcome {
    let path = f.value("--outfile").map(PathBuf::from).unwrap_or(default);
    if path.exists() && !f.has("--force") {
        return Err(Failure::usage(format!("{} exists; add --force to overwrite", path.display())));
    }
    let k = Keypair::new();
    write_keypair(&k, &path).map_err(|e| Failure::other(e.to_string()))?;
    Ok((
        json!({ "address": k.pubkey().to_string(), "path": path.display().to_string() }),
        format!("{} written to {}", k.pubkey(), path.display()),
    ))
}

fn stage_name(pool: &Pool) -> String {
    format!("{:?}", pool.stage)
}

async fn pools(ctx: &mut Ctx) -> Outcome {
    let found = ctx.chain.accounts_of_type(&sluice::ID, Pool::DISCRIMINATOR).await?;
    let mut rows = Vec::new();
    let mut text = format!("{:<44} {:>8} {:>20} {:>20}  prices\n", "pool", "stage", "NAV", "cash");
    for (address, data) in found {
        let Ok(pool) = sluice_sdk::state::pool(&data) else { continue };
        let decimals = client::mint_decimals(&mut ctx.chain, &pool.base_mint).await?;
        let prices: Vec<String> = pool.active_tranches().iter().map(|t| format_price(t.price_e12)).collect();
        text += &format!(
            "{:<44} {:>8} {:>20} {:>20}  {}\n",
            address.to_string(),
            stage_name(&pool),
            format_amount(pool.nav, decimals),
            format_amount(pool.cash, decimals),
            prices.join(" / ")
        );
        rows.push(json!({
            "pool": address.to_string(),
            "authority": pool.authority.to_string(),
            "base_mint": pool.base_mint.to_string(),
            "stage": stage_name(&pool),
            "paused": pool.paused,
            "nav": pool.nav,
            "cash": pool.cash,
            "decimals": decimals,
            "tranches": pool.active_tranches().iter().enumerate().map(|(i, t)| json!({
                "index": i, "mint": t.mint.to_string(), "price_e12": t.price_e12, "supply": t.supply, "value": t.value, "coupon_bps": t.coupon_bps,
            })).collect::<Vec<_>>(),
        }));
    }
    let n = rows.len();
    Ok((json!({ "pools": rows }), format!("{text}{n} pool(s)")))
}

async fn position(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let owner = match f.value("--owner") {
        Some(o) => pubkey(o, "--owner")?,
        None => ctx.me(),
    };
    let d = l.decimals;
    let base = ctx.balance(&ix::token::associated(&owner, &l.keys.base_mint)).await?;
    let mut holdings = Vec::new();
    let mut requests = Vec::new();
    let mut text = format!(
        "{owner} in pool {} ({})\n  base tokens {}\n",
        l.keys.pool,
        stage_name(&l.pool),
        format_amount(base, d)
    );
    let now = ctx.chain.now().await?;
    for (i, t) in l.pool.active_tranches().iter().enumerate() {
        let tokens = ctx.balance(&ix::token::associated(&owner, &t.mint)).await?;
        let value = value_of(tokens, t.value, t.supply);
        text += &format!(
            "  tranche {i}: {} tokens at {} = {}\n",
            format_amount(tokens, d),
            format_price(t.price_e12),
            format_amount(value, d)
        );
        holdings.push(json!({ "tranche": i, "tokens": tokens, "value": value, "price_e12": t.price_e12 }));
        if t.queue == Pubkey::default() {
            continue;
        }
        let queue = client::queue(&mut ctx.chain, &t.queue).await?;
        for id in t.queue_head..t.queue_tail {
            let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
            if r.owner != owner || r.is_done() {
                continue;
            }
            let fill = preview::expected_fill(&l.pool, i as u8, &r, now).unwrap_or_default();
            text += &format!(
                "    request {id}: {} tokens queued, {} claimable, next batch pays ~{}\n",
                format_amount(r.remaining, d),
                format_amount(r.claimable, d),
                format_amount(fill.paid + fill.reserve_pays, d)
            );
            requests.push(json!({
                "tranche": i, "id": id, "original": r.original, "remaining": r.remaining, "claimable": r.claimable,
                "next_batch_paid": fill.paid + fill.reserve_pays,
            }));
        }
    }
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "owner": owner.to_string(), "stage": stage_name(&l.pool), "base": base, "holdings": holdings, "requests": requests }),
        text.trim_end().to_string(),
    ))
}

async fn deposit(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let tranche = tranche_arg(f, 1, &l.pool)?;
    let amt = amount(f.arg(2, "AMOUNT")?, l.decimals, "AMOUNT")?;
    let me = ctx.me();
    let mint = l.keys.tranche_mint(tranche);
    let base = ix::token::associated(&me, &l.keys.base_mint);
    let holding = ix::token::associated(&me, &mint);
    let expected =
        preview::deposit_tokens(&l.pool, tranche, amt).ok_or(Failure::other("deposit preview overflowed"))?;
    let member = l.pool.params.permissioned.then(|| pda::member(&l.keys.pool, &me));
    let reserve = (l.pool.reserve_vault != Pubkey::default()).then_some(l.pool.reserve_vault);
    let args = DepositArgs { tranche, amount: amt, min_tokens_out: at_least(expected, ctx.slippage_bps) };
    let mut ixs = ctx.fresh_nav(&l).await?;
    ixs.push(ix::token::create_associated(&me, &me, &mint));
    ixs.push(ix::deposit(&me, &l.keys, &base, &holding, member, reserve, args));
    let before = ctx.balance(&holding).await?;
    ctx.send(&ixs).await?;
    let received = ctx.balance(&holding).await? - before;
    Ok((
        json!({ "pool": l.keys.pool.to_string(), "tranche": tranche, "deposited": amt, "tokens": received, "token_account": holding.to_string() }),
        format!(
            "deposited {} into tranche {tranche}: {} tokens",
            format_amount(amt, l.decimals),
            format_amount(received, l.decimals)
        ),
    ))
}

fn queue_keys(l: &Loaded, tranche: u8) -> Result<QueueKeys, Failure> {
    let q = l.pool.tranches[tranche as usize].queue;
    if q == Pubkey::default() {
        return Err(Failure::other(format!(
            "redemption is not set up for tranche {tranche}; the issuer must run init_redemption"
        )));
    }
    Ok(QueueKeys::new(&l.keys, tranche, q))
}

async fn redeem(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let tranche = tranche_arg(f, 1, &l.pool)?;
    let me = ctx.me();
    let holding = ix::token::associated(&me, &l.keys.tranche_mint(tranche));
    let held = ctx.balance(&holding).await?;
    let tokens = match f.arg(2, "TOKENS")? {
        "all" => held,
        s => amount(s, l.decimals, "TOKENS")?,
    };
    if tokens == 0 || tokens > held {
        return Err(Failure::usage(format!(
            "the wallet holds {} tokens of tranche {tranche}",
            format_amount(held, l.decimals)
        )));
    }
    let (value, fee) = preview::instant_redemption(&l.pool, tranche, tokens).unwrap_or_default();
    let instant = if f.has("--queue") {
        false
    } else if f.has("--instant") {
        true
    } else {
        l.pool.stage == sluice::state::Stage::Normal && value <= l.pool.params.redemption.instant_threshold
    };
    if instant {
        let base = ix::token::associated(&me, &l.keys.base_mint);
        let reserve = (l.pool.reserve_vault != Pubkey::default()).then_some(l.pool.reserve_vault);
        let args = RedeemInstantArgs { tranche, tokens, min_out: at_least(value - fee, ctx.slippage_bps) };
        let mut ixs = ctx.fresh_nav(&l).await?;
        ixs.push(ix::token::create_associated(&me, &me, &l.keys.base_mint));
        ixs.push(ix::redeem_instant(&me, &l.keys, &holding, &base, reserve, args));
        let before = ctx.balance(&base).await?;
        ctx.send(&ixs).await?;
        let paid = ctx.balance(&base).await? - before;
        Ok((
            json!({ "mode": "instant", "pool": l.keys.pool.to_string(), "tranche": tranche, "tokens": tokens, "paid": paid }),
            format!(
                "redeemed {} tokens instantly for {}",
                format_amount(tokens, l.decimals),
                format_amount(paid, l.decimals)
            ),
        ))
    } else {
        let q = queue_keys(&l, tranche)?;
        ctx.send(&[ix::request_redemption(&me, &l.keys, &q, &holding, tokens)]).await?;
        let after = client::pool(&mut ctx.chain, &l.keys.pool).await?;
        // The new request is the newest of this owner's in the queue.
        let queue = client::queue(&mut ctx.chain, &q.queue).await?;
        let t = after.tranches[tranche as usize];
        let id = (t.queue_head..t.queue_tail)
            .rev()
            .find(|id| queue.requests[(id % QUEUE_CAPACITY as u64) as usize].owner == me)
            .ok_or(Failure::other("request not found after queuing"))?;
        let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
        Ok((
            json!({ "mode": "queued", "pool": l.keys.pool.to_string(), "tranche": tranche, "tokens": tokens, "id": id, "installment": r.installment, "stage": stage_name(&after) }),
            format!(
                "queued request {id}: {} tokens, paid in batches of up to {} tokens; collect with `sluice claim`",
                format_amount(tokens, l.decimals),
                format_amount(r.installment, l.decimals)
            ),
        ))
    }
}

async fn cancel(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let tranche = tranche_arg(f, 1, &l.pool)?;
    let id: u64 = f.arg(2, "REQUEST-ID")?.parse().map_err(|_| Failure::usage("<REQUEST-ID>: a number"))?;
    let q = queue_keys(&l, tranche)?;
    let me = ctx.me();
    let holding = ix::token::associated(&me, &q.tranche_mint);
    let before = ctx.balance(&holding).await?;
    ctx.send(&[
        ix::token::create_associated(&me, &me, &q.tranche_mint),
        ix::cancel_redemption(&me, &l.keys, &q, &holding, id),
    ])
    .await?;
    let returned = ctx.balance(&holding).await? - before;
    Ok((
        json!({ "tranche": tranche, "id": id, "tokens_returned": returned }),
        format!("request {id} cancelled: {} tokens returned", format_amount(returned, l.decimals)),
    ))
}

async fn claim(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let me = ctx.me();
    let base = ix::token::associated(&me, &l.keys.base_mint);
    let mut owed: Vec<(QueueKeys, u64, u64)> = Vec::new();
    for (i, t) in l.pool.active_tranches().iter().enumerate() {
        if t.queue == Pubkey::default() {
            continue;
        }
        let q = QueueKeys::new(&l.keys, i as u8, t.queue);
        let queue = client::queue(&mut ctx.chain, &t.queue).await?;
        for id in t.queue_head..t.queue_tail {
            let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
            if r.owner == me && r.claimable > 0 {
                owed.push((q, id, r.claimable));
            }
        }
    }
    if owed.is_empty() {
        return Err(Failure { hint: hint("NothingToClaim").into(), ..Failure::other("nothing to claim") });
    }
    let before = ctx.balance(&base).await?;
    // A handful of claims per transaction keeps well inside the size limit.
    for chunk in owed.chunks(6) {
        let mut ixs = vec![ix::token::create_associated(&me, &me, &l.keys.base_mint)];
        ixs.extend(chunk.iter().map(|(q, id, _)| ix::claim(&me, &l.keys, q, *id, &base)));
        ctx.send(&ixs).await?;
    }
    let claimed = ctx.balance(&base).await? - before;
    let ids: Vec<Value> =
        owed.iter().map(|(q, id, c)| json!({ "tranche": q.tranche, "id": id, "amount": c })).collect();
    Ok((
        json!({ "claimed": claimed, "requests": ids }),
        format!("claimed {} from {} request(s)", format_amount(claimed, l.decimals), owed.len()),
    ))
}

async fn market(ctx: &mut Ctx, l: &Loaded, tranche: u8) -> Result<(AmmKeys, sluice::state::Amm, u64, u64), Failure> {
    let m = AmmKeys::new(&l.keys, tranche);
    if !client::exists(&mut ctx.chain, &m.amm).await? {
        return Err(Failure::other(format!("tranche {tranche} has no market")));
    }
    let amm = client::amm(&mut ctx.chain, &m.amm).await?;
    let x = client::token_balance(&mut ctx.chain, &m.tranche_vault).await?;
    let y = client::token_balance(&mut ctx.chain, &m.base_vault).await?;
    Ok((m, amm, x, y))
}

fn trader(ctx: &Ctx, l: &Loaded, m: &AmmKeys, with_lp: bool) -> Trader {
    let me = ctx.me();
    Trader {
        user: me,
        tranche_account: ix::token::associated(&me, &l.keys.tranche_mint(m.tranche)),
        base_account: ix::token::associated(&me, &l.keys.base_mint),
        lp_account: with_lp.then(|| ix::token::associated(&me, &m.lp_mint)),
        member: l.pool.params.permissioned.then(|| pda::member(&l.keys.pool, &me)),
    }
}

async fn swap(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let tranche = tranche_arg(f, 1, &l.pool)?;
    let buy = match f.arg(2, "buy|sell")? {
        "buy" => true,
        "sell" => false,
        s => return Err(Failure::usage(format!("buy or sell, not {s}"))),
    };
    let amount_in = amount(f.arg(3, "AMOUNT")?, l.decimals, "AMOUNT")?;
    let (m, amm, x, y) = market(ctx, &l, tranche).await?;
    if amm.lp_supply == 0 {
        return Err(Failure {
            hint: hint("EmptyAmm").into(),
            ..Failure::other(format!("the tranche {tranche} market holds no liquidity"))
        });
    }
    let quote = preview::swap_quote(&l.pool, &amm, x, y, buy, amount_in)
        .ok_or(Failure::other("the market cannot quote this trade"))?;
    let t = trader(ctx, &l, &m, false);
    let now = ctx.chain.now().await?;
    let args = SwapArgs {
        buy_tranche: buy,
        amount_in,
        min_out: at_least(quote.amount_out, ctx.slippage_bps).max(1),
        deadline: now + 120,
    };
    let receive = if buy { t.tranche_account } else { t.base_account };
    let receive_mint = if buy { l.keys.tranche_mint(tranche) } else { l.keys.base_mint };
    let before = ctx.balance(&receive).await?;
    let me = ctx.me();
    ctx.send(&[ix::token::create_associated(&me, &me, &receive_mint), ix::swap(&l.keys, &m, &t, args)]).await?;
    let out = ctx.balance(&receive).await? - before;
    let after = client::amm(&mut ctx.chain, &m.amm).await?;
    Ok((
        json!({ "side": if buy { "buy" } else { "sell" }, "amount_in": amount_in, "amount_out": out, "fee": quote.fee, "fee_bps": quote.fee_bps, "price_e12": after.last_price_e12 }),
        format!(
            "{} {} for {} (fee {} bps); market price now {}",
            if buy { "paid" } else { "sold" },
            format_amount(amount_in, l.decimals),
            format_amount(out, l.decimals),
            quote.fee_bps,
            format_price(after.last_price_e12)
        ),
    ))
}

async fn liquidity(ctx: &mut Ctx, f: &Flags, add: bool) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let tranche = tranche_arg(f, 1, &l.pool)?;
    let (m, amm, x, y) = market(ctx, &l, tranche).await?;
    let (rx, ry) = amm.reserves(x, y).map_err(|_| Failure::other("market reserves inconsistent"))?;
    let t = trader(ctx, &l, &m, true);
    let me = ctx.me();
    let lp_account = t.lp_account.expect("with LP");
    let ix = if add {
        if amm.lp_supply == 0 || ry == 0 {
            return Err(Failure::other("the market is empty; its first liquidity comes from the issuer"));
        }
        let base_in = amount(f.arg(2, "BASE-AMOUNT")?, l.decimals, "BASE-AMOUNT")?;
        let lp = (base_in as u128 * amm.lp_supply as u128 / ry as u128) as u64;
        let (need_x, need_y) =
            sluice::math::amm::deposit_for_lp(lp, amm.lp_supply, rx, ry).ok_or(Failure::other("amount too large"))?;
        ix::add_liquidity(&l.keys, &m, &t, lp, at_most(need_x, ctx.slippage_bps), at_most(need_y, ctx.slippage_bps))
    } else {
        let held = ctx.balance(&lp_account).await?;
        let lp = match f.arg(2, "LP")? {
            "all" => held,
            s => s.parse().map_err(|_| Failure::usage("<LP>: LP units or all"))?,
        };
        let (out_x, out_y) =
            sluice::math::amm::withdraw_for_lp(lp, amm.lp_supply, rx, ry).ok_or(Failure::other("amount too large"))?;
        ix::remove_liquidity(&l.keys, &m, &t, lp, at_least(out_x, ctx.slippage_bps), at_least(out_y, ctx.slippage_bps))
    };
    let lp_before = ctx.balance(&lp_account).await?;
    let ixs = vec![
        ix::token::create_associated(&me, &me, &m.lp_mint),
        ix::token::create_associated(&me, &me, &l.keys.tranche_mint(tranche)),
        ix::token::create_associated(&me, &me, &l.keys.base_mint),
        ix,
    ];
    ctx.send(&ixs).await?;
    let lp_after = ctx.balance(&lp_account).await?;
    let change = lp_after as i128 - lp_before as i128;
    Ok((
        json!({ "tranche": tranche, "lp_change": change, "lp_balance": lp_after }),
        format!("LP balance {lp_after} ({change:+})"),
    ))
}

async fn add_receivable(ctx: &mut Ctx, f: &Flags) -> Outcome {
    let l = ctx.load(f.arg(0, "POOL")?).await?;
    let d = l.decimals;
    let face = amount(f.required("--face")?, d, "--face")?;
    let funded = amount(f.required("--funded")?, d, "--funded")?;
    let due_ts = parse_date(f.required("--due")?).map_err(|e| Failure::usage(format!("--due: {e}")))?;
    let risk_class: u8 = f.required("--class")?.parse().map_err(|_| Failure::usage("--class: 0 to 3"))?;
    let document = f.required("--document")?;
    let document_hash = sluice_sdk::units::document_hash(document);
    let me = ctx.me();
    let pay_to = match f.value("--pay-to") {
        Some(w) => pubkey(w, "--pay-to")?,
        None => me,
    };
    let index = l.pool.receivable_count;
    let borrower = ix::token::associated(&pay_to, &l.keys.base_mint);
    let args = AddReceivableArgs { face_value: face, funded, due_ts, risk_class, document_hash };
    ctx.send(&[
        ix::token::create_associated(&me, &pay_to, &l.keys.base_mint),
        ix::add_receivable(&me, &l.keys, index, &borrower, args),
    ])
    .await?;
    Ok((
        json!({ "index": index, "receivable": pda::receivable(&l.keys.pool, index).to_string(), "face_value": face, "funded": funded, "due_ts": due_ts }),
        format!(
            "receivable {index} added: face {}, funded {} to {pay_to}",
            format_amount(face, d),
            format_amount(funded, d)
        ),
    ))
}
