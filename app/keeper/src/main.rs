//! `sluice-keeper`: watches Sluice pools and cranks what is due — `reprice`,
//! `write_down_overdue`, `update_stage`, `process_batch`, claim pushes, reserve recycling,
//! `reserve_buyback`, and in permissioned pools `freeze_holder` for tranche token accounts
//! whose owner's membership lapsed (revoked or expired) — then tends baskets (`rebalance`: collect into the sleeve, then
//! the rule's request or deposit) once their pools are repriced, deciding with the
//! program's own functions (see `sluice_sdk::keeper`), so it never sends a crank the
//! program would refuse except when another keeper got there first, which it counts and
//! moves past (a refused basket crank is logged and counted, and the pass goes on).
//! Transport failures are retried with exponential backoff. Structured logs (JSON lines)
//! go to stderr; Prometheus metrics and a health check are served on localhost. Ctrl-C or
//! SIGTERM lets the current pass finish, then exits.
#![allow(deprecated)]

mod metrics;

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use clap::{ArgGroup, CommandFactory, Parser};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

use sluice::state::{Basket, Member, Pool, Receivable, Stage};
use sluice_sdk::chain::{Chain, ChainError, DryRun};
use sluice_sdk::client;
use sluice_sdk::config::{read_keypair, SolanaCliConfig};
use sluice_sdk::ix;
use sluice_sdk::keeper::{holders_to_freeze, tend_basket, BasketReport, HolderAccount, Keeper, TickReport};
use sluice_sdk::rpc::RpcChain;

/// Watches Sluice pools and cranks what is due, deciding with the program's own functions.
///
/// Reprice, overdue write-downs, stage updates, batches, claim pushes, reserve recycling
/// and buy-backs, freezes of lapsed holders in permissioned pools; baskets' rebalances.
/// Structured logs (JSON lines) on stderr; Prometheus /metrics and /health on --metrics.
#[derive(Parser, Debug)]
#[command(name = "sluice-keeper", version, args_override_self = true)]
#[command(group(ArgGroup::new("targets").required(true).multiple(true).args(["pools", "baskets", "all"])))]
struct Args {
    /// A pool to watch (repeat for more)
    #[arg(long = "pool", value_name = "ADDRESS", value_parser = address)]
    pools: Vec<Pubkey>,
    /// A basket to tend (repeat for more)
    #[arg(long = "basket", value_name = "ADDRESS", value_parser = address)]
    baskets: Vec<Pubkey>,
    /// Every Sluice pool and basket on the cluster (re-discovered each minute)
    #[arg(long)]
    all: bool,
    /// Pause between passes, seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    interval: u64,
    /// One pass, then exit (0 when no pass failed)
    #[arg(long)]
    once: bool,
    /// Read and log what would be sent; send nothing
    #[arg(long)]
    dry_run: bool,
    /// Pay batch payouts straight to owners' base-token accounts
    #[arg(long)]
    push_claims: bool,
    /// How often to scan receivables for overdue write-downs, seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 3_600)]
    overdue_interval: u64,
    /// How often to scan a permissioned pool's tranche token accounts and freeze those whose
    /// owner is no longer a live member, seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    freeze_interval: u64,
    /// Priority fee, micro-lamports per compute unit
    #[arg(long, value_name = "MICRO-LAMPORTS", default_value_t = 0)]
    priority_fee: u64,
    /// Prometheus /metrics and /health
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9464", conflicts_with = "no_metrics")]
    metrics: SocketAddr,
    /// No metrics endpoint
    #[arg(long)]
    no_metrics: bool,
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta), as the Solana CLI
    #[arg(short = 'u', long, value_name = "URL")]
    url: Option<String>,
    /// The keeper's keypair file (signs and pays), as the Solana CLI
    #[arg(short = 'k', long, value_name = "PATH")]
    keypair: Option<String>,
    /// A Solana CLI config file
    #[arg(short = 'C', long, value_name = "PATH")]
    config: Option<String>,
}

/// Completion scripts: `sluice-keeper completions SHELL` is not a keeper run, so it is read
/// before the keeper's own arguments.
#[derive(Parser, Debug)]
#[command(name = "sluice-keeper")]
struct Completions {
    /// Print a completion script for SHELL and exit
    #[arg(long, value_name = "SHELL")]
    completions: clap_complete::Shell,
}

fn address(s: &str) -> Result<Pubkey, String> {
    s.parse().map_err(|_| format!("not an address: {s}"))
}

impl Args {
    /// The metrics address, unless turned off.
    fn metrics(&self) -> Option<SocketAddr> {
        (!self.no_metrics).then_some(self.metrics)
    }
}

/// One JSON line on stderr.
fn log(level: &str, msg: &str, fields: Value) {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let mut line = json!({ "ts": (ts * 1000.0).round() / 1000.0, "level": level, "msg": msg });
    if let (Some(obj), Value::Object(extra)) = (line.as_object_mut(), fields) {
        obj.extend(extra);
    }
    eprintln!("{line}");
}

fn stage_code(s: Stage) -> u8 {
    match s {
        Stage::Normal => 0,
        Stage::Stress => 1,
        Stage::Crisis => 2,
    }
}

fn error_kind(e: &ChainError) -> &'static str {
    match e {
        ChainError::Transport(_) => "transport",
        ChainError::Program { .. } => "program",
        _ => "other",
    }
}

/// Backoff for transport failures: 0.5 s doubling up to 30 s, five retries.
struct Backoff {
    delay: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { delay: Duration::from_millis(500), attempt: 0 }
    }
}

impl Backoff {
    /// Whether to try `address` (a `kind`: pool or basket) again after `error`; if so,
    /// counts and logs the retry and waits first.
    async fn again(&mut self, metrics: &metrics::Shared, kind: &str, address: &Pubkey, error: &str) -> bool {
        if self.attempt >= 5 {
            return false;
        }
        self.attempt += 1;
        metrics.lock().expect("metrics").retries += 1;
        let mut fields = json!({ "error": error, "attempt": self.attempt, "delay_ms": self.delay.as_millis() as u64 });
        fields[kind] = json!(address.to_string());
        log("warn", "transport error; retrying", fields);
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(Duration::from_secs(30));
        true
    }
}

struct Watcher {
    chain: RpcChain,
    wallet: Keypair,
    args: Args,
    metrics: metrics::Shared,
    pools: Vec<Pubkey>,
    baskets: Vec<Pubkey>,
    /// Tip accounts already known to exist.
    tip_ready: Vec<Pubkey>,
    /// When `--all` last listed the cluster's pools.
    discovered_at: Option<std::time::Instant>,
    /// When each pool was last scanned, by scan: receivables for overdue write-downs,
    /// tranche holders for lapsed members.
    scanned: Vec<(Pubkey, Scan, std::time::Instant)>,
}

/// The scans a pool gets at their own cadence (`--overdue-interval`, `--freeze-interval`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    Overdue,
    Holders,
}

/// What a pool's pass did beyond the keeper's tick.
struct PoolPass {
    tick: TickReport,
    /// Lapsed holders' accounts frozen (or, in a dry run, that would be).
    frozen: Vec<HolderAccount>,
}

/// How often `--all` lists the cluster's pools again (a `getProgramAccounts` scan).
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(60);

impl Watcher {
    async fn discover(&mut self) -> Result<(), ChainError> {
        let due = self.discovered_at.is_none_or(|t| t.elapsed() >= DISCOVERY_INTERVAL);
        if self.args.all && due {
            self.discovered_at = Some(std::time::Instant::now());
            let found = self.chain.accounts_of_type(&sluice::ID, Pool::DISCRIMINATOR).await?;
            let mut pools: Vec<Pubkey> = found.into_iter().map(|(k, _)| k).collect();
            pools.extend(self.args.pools.iter().copied());
            pools.sort();
            pools.dedup();
            let found = self.chain.accounts_of_type(&sluice::ID, Basket::DISCRIMINATOR).await?;
            let mut baskets: Vec<Pubkey> = found.into_iter().map(|(k, _)| k).collect();
            baskets.extend(self.args.baskets.iter().copied());
            baskets.sort();
            baskets.dedup();
            if pools != self.pools || baskets != self.baskets {
                let names = |v: &[Pubkey]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
                log("info", "watching", json!({ "pools": names(&pools), "baskets": names(&baskets) }));
            }
            self.pools = pools;
            self.baskets = baskets;
        }
        Ok(())
    }

    /// One pool, one pass; transport failures retried with backoff (0.5 s doubling, 5 tries).
    async fn tick_pool(&mut self, address: Pubkey) -> Result<PoolPass, ChainError> {
        let mut backoff = Backoff::default();
        loop {
            match self.try_tick(address).await {
                Err(ChainError::Transport(m)) if backoff.again(&self.metrics, "pool", &address, &m).await => {}
                other => return other,
            }
        }
    }

    async fn try_tick(&mut self, address: Pubkey) -> Result<PoolPass, ChainError> {
        let pool = client::pool(&mut self.chain, &address).await?;
        let market = {
            let mut found = None;
            for t in 0..pool.tranche_count {
                if client::exists(&mut self.chain, &sluice_sdk::pda::amm(&address, t)).await? {
                    found = Some(t);
                    break;
                }
            }
            found
        };
        // Built from the pool as it stands: queues and markets may appear after start.
        let keeper = Keeper::for_pool(self.wallet.insecure_clone(), &pool, market, self.args.push_claims);
        {
            let mut m = self.metrics.lock().expect("metrics");
            let g = m.pools.entry(address.to_string()).or_default();
            g.stage = stage_code(pool.stage);
            g.nav = pool.nav;
            g.queued = pool.active_tranches().iter().map(|t| t.queue_tail - t.queue_head).collect();
        }
        // Overdue write-downs first, so the tick's reprice already reflects them.
        let overdue =
            if self.scan_due(&address, Scan::Overdue) { self.overdue(&address, &pool).await? } else { vec![] };
        // Lapsed members lose the use of their tranche tokens as soon as a keeper sees them.
        let lapsed = if pool.params.permissioned && self.scan_due(&address, Scan::Holders) {
            self.lapsed_holders(&address, &pool).await?
        } else {
            vec![]
        };
        if self.args.dry_run {
            let mut dry = DryRun::new(&mut self.chain);
            keeper.write_down_overdue(&mut dry, &overdue).await?;
            keeper.freeze_holders(&mut dry, &lapsed).await?;
            let report = keeper.tick(&mut dry).await?;
            let names = dry.names();
            log("info", "dry run", json!({ "pool": address.to_string(), "would_send": names }));
            return Ok(PoolPass { tick: report, frozen: lapsed });
        }
        if !self.tip_ready.contains(&keeper.tip_account) {
            if !client::exists(&mut self.chain, &keeper.tip_account).await? {
                let me = self.wallet.pubkey();
                let wallet = self.wallet.insecure_clone();
                let create = ix::token::create_associated(&pool.base_token_program, &me, &me, &pool.base_mint);
                self.chain.send(&[create], &[&wallet]).await?;
            }
            self.tip_ready.push(keeper.tip_account);
        }
        let (written, raced) = keeper.write_down_overdue(&mut self.chain, &overdue).await?;
        if written > 0 {
            *self.metrics.lock().expect("metrics").cranks.entry("write_down_overdue").or_default() += written as u64;
            log("info", "written down", json!({ "pool": address.to_string(), "receivables": written }));
        }
        let (frozen, freeze_raced) = keeper.freeze_holders(&mut self.chain, &lapsed).await?;
        if !frozen.is_empty() {
            let mut m = self.metrics.lock().expect("metrics");
            *m.cranks.entry("freeze_holder").or_default() += frozen.len() as u64;
            m.holders_frozen += frozen.len() as u64;
        }
        let mut report = keeper.tick(&mut self.chain).await?;
        report.raced += raced + freeze_raced;
        Ok(PoolPass { tick: report, frozen })
    }

    /// Whether this pool is due for `scan`: every pass with `--once`, else once per its
    /// interval.
    fn scan_due(&mut self, pool: &Pubkey, scan: Scan) -> bool {
        let now = std::time::Instant::now();
        let every = Duration::from_secs(match scan {
            Scan::Overdue => self.args.overdue_interval,
            Scan::Holders => self.args.freeze_interval,
        });
        match self.scanned.iter_mut().find(|(p, s, _)| p == pool && *s == scan) {
            Some((_, _, at)) if !self.args.once && now.duration_since(*at) < every => false,
            Some((_, _, at)) => {
                *at = now;
                true
            }
            None => {
                self.scanned.push((*pool, scan, now));
                true
            }
        }
    }

    /// The pool's tranche token accounts whose owner is no longer a live member (one
    /// `getProgramAccounts` for the pool's member records, one per tranche mint).
    async fn lapsed_holders(&mut self, address: &Pubkey, pool: &Pool) -> Result<Vec<HolderAccount>, ChainError> {
        let filters = [(0, Member::DISCRIMINATOR.to_vec()), (8, address.to_bytes().to_vec())];
        let found = self.chain.accounts_matching(&sluice::ID, &filters).await?;
        let members: Vec<Member> = found.iter().filter_map(|(_, data)| sluice_sdk::state::member(data).ok()).collect();
        let mut accounts = Vec::new();
        for (t, tranche) in pool.active_tranches().iter().enumerate() {
            let found = self.chain.accounts_matching(&ix::TOKEN_2022, &[(0, tranche.mint.to_bytes().to_vec())]).await?;
            for (account, data) in found {
                // The mint's own account and anything else that is not a token account of it.
                let Ok(a) = sluice_sdk::state::token_account(&data) else { continue };
                if a.mint != tranche.mint {
                    continue;
                }
                let frozen = a.state == sluice_sdk::state::AccountState::Frozen;
                accounts.push(HolderAccount { tranche: t as u8, account, owner: a.owner, frozen });
            }
        }
        let now = self.chain.now().await?;
        Ok(holders_to_freeze(address, pool, &accounts, &members, now))
    }

    /// Receivables the overdue schedule says to write down now (one `getProgramAccounts`).
    async fn overdue(&mut self, address: &Pubkey, pool: &Pool) -> Result<Vec<u64>, ChainError> {
        let filters = [(0, Receivable::DISCRIMINATOR.to_vec()), (8, address.to_bytes().to_vec())];
        let found = self.chain.accounts_matching(&sluice::ID, &filters).await?;
        let receivables: Vec<Receivable> =
            found.iter().filter_map(|(_, data)| sluice_sdk::state::receivable(data).ok()).collect();
        let now = self.chain.now().await?;
        Ok(sluice_sdk::keeper::overdue_due(pool, &receivables, now))
    }

    /// One basket, one pass; transport failures retried as for a pool.
    /// One basket, one pass; transport failures retried like a pool's.
    async fn tend_basket(&mut self, address: Pubkey) -> Result<(BasketReport, Vec<String>), ChainError> {
        let mut backoff = Backoff::default();
        loop {
            let result = if self.args.dry_run {
                let mut dry = DryRun::new(&mut self.chain);
                let r = tend_basket(&mut dry, &self.wallet, &address).await;
                r.map(|r| (r, dry.names()))
            } else {
                tend_basket(&mut self.chain, &self.wallet, &address).await.map(|r| (r, vec![]))
            };
            match result {
                Err(ChainError::Transport(m)) if backoff.again(&self.metrics, "basket", &address, &m).await => {}
                other => return other,
            }
        }
    }

    /// Every basket after every pool (their NAVs fresh by now); a refused crank is logged
    /// and counted, and the other baskets are still tended. False when a basket could not
    /// be read.
    async fn tend_baskets(&mut self) -> bool {
        let mut ok = true;
        for address in self.baskets.clone() {
            let (r, would_send) = match self.tend_basket(address).await {
                Ok(r) => r,
                Err(e) => {
                    ok = false;
                    *self.metrics.lock().expect("metrics").errors.entry(error_kind(&e)).or_default() += 1;
                    log(
                        "error",
                        "basket tick failed",
                        json!({ "basket": address.to_string(), "error": e.explain(), "kind": error_kind(&e) }),
                    );
                    continue;
                }
            };
            let key = address.to_string();
            if self.args.dry_run {
                log("info", "dry run", json!({ "basket": key, "would_send": would_send }));
                continue;
            }
            {
                let mut m = self.metrics.lock().expect("metrics");
                for (kind, n) in [("collect", r.collected), ("request", r.requested), ("deposit", r.deposited)] {
                    if n > 0 {
                        *m.basket_rebalances.entry(kind).or_default() += n as u64;
                    }
                }
                if r.repriced > 0 {
                    *m.cranks.entry("reprice").or_default() += r.repriced as u64;
                }
                if r.bought_back > 0 {
                    *m.cranks.entry("basket_buyback").or_default() += 1;
                }
                m.basket_failures += r.failures.len() as u64;
                m.raced += r.raced as u64;
                let g = m.baskets.entry(key.clone()).or_default();
                g.sleeve = r.sleeve_balance;
                if let Some(v) = r.value {
                    g.value = v;
                }
                g.paused = r.paused;
            }
            for (index, error) in &r.failures {
                log("warn", "rebalance refused", json!({ "basket": key, "index": index, "error": error }));
            }
            if r.stale {
                log("warn", "basket not tended: a constituent's NAV is stale", json!({ "basket": key }));
            }
            if r.collected + r.requested + r.deposited + r.repriced + r.raced > 0 || r.bought_back > 0 {
                log(
                    "info",
                    "basket rebalanced",
                    json!({
                        "basket": key, "collected": r.collected, "requested": r.requested, "deposited": r.deposited, "bought_back": r.bought_back,
                        "repriced": r.repriced, "raced": r.raced, "paused": r.paused, "sleeve": r.sleeve_balance, "value": r.value,
                    }),
                );
            }
        }
        ok
    }

    /// A pass over every pool, then every basket; true when none failed.
    async fn pass(&mut self) -> bool {
        if let Err(e) = self.discover().await {
            log("error", "pool discovery failed", json!({ "error": e.to_string() }));
            *self.metrics.lock().expect("metrics").errors.entry(error_kind(&e)).or_default() += 1;
            return false;
        }
        let mut ok = true;
        for address in self.pools.clone() {
            match self.tick_pool(address).await {
                Ok(PoolPass { tick: r, frozen }) => {
                    if !frozen.is_empty() {
                        let accounts: Vec<Value> = frozen
                            .iter()
                            .map(|h| json!({ "tranche": h.tranche, "account": h.account.to_string(), "owner": h.owner.to_string() }))
                            .collect();
                        let msg = if self.args.dry_run { "would freeze lapsed holders" } else { "holders frozen" };
                        log(
                            "info",
                            msg,
                            json!({ "pool": address.to_string(), "frozen": frozen.len(), "accounts": accounts }),
                        );
                    }
                    let mut m = self.metrics.lock().expect("metrics");
                    for (kind, n) in [
                        ("reprice", u32::from(r.repriced)),
                        ("update_stage", u32::from(r.stage_change.is_some())),
                        ("process_batch", r.batch_calls),
                        ("claims_pushed", r.claims_pushed),
                        ("recycle_reserve", r.recycled),
                        ("reserve_buyback", r.buybacks),
                        ("park_claim", r.parked),
                    ] {
                        if n > 0 && !self.args.dry_run {
                            *m.cranks.entry(kind).or_default() += n as u64;
                        }
                    }
                    m.raced += r.raced as u64;
                    let blocked = r.blocked.map(|b| (b.kind(), b.to_string()));
                    let was = m.pools.get(&address.to_string()).and_then(|g| g.blocked.clone());
                    if let Some(g) = m.pools.get_mut(&address.to_string()) {
                        g.blocked = blocked.clone();
                    }
                    drop(m);
                    // Nothing due is said, with why, whenever the pool's work is blocked; and once
                    // when it clears.
                    match (&blocked, &was) {
                        (Some((kind, why)), _) => {
                            log("warn", "blocked", json!({ "pool": address.to_string(), "reason": kind, "why": why }))
                        }
                        (None, Some(_)) => log("info", "unblocked", json!({ "pool": address.to_string() })),
                        (None, None) => {}
                    }
                    let did = r.repriced
                        || r.stage_change.is_some()
                        || r.batch_calls + r.claims_pushed + r.recycled + r.buybacks + r.parked + r.raced > 0;
                    if did && !self.args.dry_run {
                        log(
                            "info",
                            "cranked",
                            json!({
                                "pool": address.to_string(), "repriced": r.repriced,
                                "stage": r.stage_change.map(|s| format!("{s:?}")), "batch_calls": r.batch_calls,
                                "claims_pushed": r.claims_pushed, "recycled": r.recycled, "buybacks": r.buybacks, "parked": r.parked, "raced": r.raced,
                            }),
                        );
                    }
                }
                Err(e) => {
                    ok = false;
                    *self.metrics.lock().expect("metrics").errors.entry(error_kind(&e)).or_default() += 1;
                    log(
                        "error",
                        "tick failed",
                        json!({ "pool": address.to_string(), "error": e.explain(), "kind": error_kind(&e) }),
                    );
                }
            }
        }
        if !self.tend_baskets().await {
            ok = false;
        }
        let mut m = self.metrics.lock().expect("metrics");
        m.ticks += 1;
        if ok {
            m.last_success =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        }
        ok
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn run(args: Args) -> ExitCode {
    let config = match SolanaCliConfig::load(args.config.as_deref().map(Path::new)) {
        Ok(c) => c,
        Err(e) => {
            log("error", "config", json!({ "error": e.to_string() }));
            return ExitCode::from(2);
        }
    };
    let wallet = match read_keypair(&config.keypair_path(args.keypair.as_deref().map(Path::new))) {
        Ok(k) => k,
        Err(e) => {
            log("error", "keypair", json!({ "error": e.to_string() }));
            return ExitCode::from(2);
        }
    };
    let url = config.url(args.url.as_deref());
    let mut chain = RpcChain::new(&url, wallet.insecure_clone());
    chain.priority_fee = args.priority_fee;
    let metrics: metrics::Shared =
        Arc::new(Mutex::new(metrics::Metrics { interval_secs: args.interval, ..Default::default() }));
    let mut server = None;
    if let Some(addr) = args.metrics() {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                let bound = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
                log("info", "metrics", json!({ "listen": bound }));
                server = Some(tokio::spawn(metrics::serve(listener, metrics.clone())));
            }
            Err(e) => {
                log("error", "metrics endpoint", json!({ "listen": addr.to_string(), "error": e.to_string() }));
                return ExitCode::from(2);
            }
        }
    }
    log(
        "info",
        "starting",
        json!({ "url": url, "keeper": wallet.pubkey().to_string(), "dry_run": args.dry_run, "once": args.once, "interval_secs": args.interval }),
    );
    let once = args.once;
    let interval = Duration::from_secs(args.interval.max(1));
    let (pools, baskets) = (args.pools.clone(), args.baskets.clone());
    let mut w = Watcher {
        chain,
        wallet,
        args,
        metrics,
        pools,
        baskets,
        tip_ready: vec![],
        discovered_at: None,
        scanned: vec![],
    };
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut failures = 0u64;
    let mut passes = 0u64;
    loop {
        passes += 1;
        if !w.pass().await {
            failures += 1;
        }
        if once {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = &mut shutdown => {
                log("info", "shutting down", json!({}));
                break;
            }
        }
    }
    if let Some(s) = server {
        s.abort();
    }
    log("info", "stopped", json!({ "passes": passes, "failed_passes": failures }));
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    sluice_sdk::config::quiet_on_closed_pipe();
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    if let Ok(c) = Completions::try_parse() {
        clap_complete::generate(c.completions, &mut Args::command(), "sluice-keeper", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let args = Args::parse();
    tokio::runtime::Runtime::new().expect("tokio runtime").block_on(run(args))
}
