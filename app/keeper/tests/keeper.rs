//! `sluice-keeper` end to end over `sluice localnet`: a queue of 1,000 requests cleared,
//! two keepers racing without a failed or duplicated payout, dry runs that send nothing,
//! the metrics and health endpoint with a graceful stop, and a basket's sleeve refilled
//! through its pool's queue.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anchor_lang::prelude::Pubkey;
use sluice::state::{Pool, QUEUE_CAPACITY};
use sluice_localnet::{Background, Options};
use sluice_migrate::{migrate, Mode, Spec};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::config::write_keypair;
use sluice_sdk::ix::{self, PoolKeys, QueueKeys};
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, pda};
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = 86_400;
const TOKENS_PER_REQUEST: u64 = 150_000_000;

/// The issuer's transfer of `amount` senior tokens to `to`'s account (Token-2022).
fn give_senior(
    keys: &PoolKeys,
    issuer: &Pubkey,
    to: &Pubkey,
    amount: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    let senior = keys.tranche_mint(0);
    ix::token::transfer_checked(
        &ix::TOKEN_2022,
        &ix::token::associated(&ix::TOKEN_2022, issuer, &senior),
        &senior,
        &ix::token::associated(&ix::TOKEN_2022, to, &senior),
        issuer,
        amount,
        6,
    )
}

struct World {
    net: Background,
    dir: PathBuf,
    pool: Pubkey,
    keys: PoolKeys,
    holders: Vec<Keypair>,
    chain: RpcChain,
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-keeper-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The example pool, with `holders` wallets each queuing `per_holder` senior requests.
async fn world(name: &str, holders: usize, per_holder: usize) -> World {
    let net = Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).unwrap();
    let dir = scratch(name);
    let issuer = Keypair::new();
    let mut chain = RpcChain::new(&net.url, issuer.insecure_clone());
    chain.airdrop(&issuer.pubkey(), 500_000_000_000).await.unwrap();
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/examples/harbor-trade-2027a.toml");
    let now = chain.now().await.unwrap();
    let spec_path = sluice_migrate::rehearsal::rehearsal_copy(&spec_path, &dir.join("spec"), now, 90).unwrap();
    // One installment: each holder's 100 requests form a large exit (installments hold per
    // holder), and the test is about clearing a queue, not about pacing it.
    let text = std::fs::read_to_string(&spec_path).unwrap();
    assert!(text.contains("installments = 7"));
    std::fs::write(&spec_path, text.replace("installments = 7", "installments = 1")).unwrap();
    let spec = Spec::load(&spec_path, now, &issuer.pubkey()).unwrap();
    migrate(&mut chain, &issuer, &spec, Mode::Apply).await.unwrap();
    let pool_address = pda::pool(&issuer.pubkey(), spec.pool_id);
    let pool = client::pool(&mut chain, &pool_address).await.unwrap();
    let keys = PoolKeys::of(&pool);
    let senior = keys.tranche_mint(0);
    let q = QueueKeys::new(&keys, 0, pool.tranches[0].queue);
    let me = issuer.pubkey();

    let mut wallets = Vec::new();
    for _ in 0..holders {
        let h = Keypair::new();
        // Holders pay the rent of their holder record on their first request.
        chain.airdrop(&h.pubkey(), 100_000_000).await.unwrap();
        let tokens = ix::token::associated(&ix::TOKEN_2022, &h.pubkey(), &senior);
        let amount = TOKENS_PER_REQUEST * per_holder as u64;
        // The pool is permissioned: a holder is a member, its account thawed, before it
        // receives tranche tokens.
        let expires = now + 3 * 365 * DAY;
        chain.send(&[ix::set_member(&me, &pool_address, &h.pubkey(), expires)], &[]).await.unwrap();
        let mut ixs = vec![
            ix::token::create_associated(&ix::TOKEN_2022, &me, &h.pubkey(), &senior),
            ix::thaw_holder(&me, &pool_address, 0, &tokens, &h.pubkey()),
            ix::token::create_associated(&keys.base_token_program, &me, &h.pubkey(), &keys.base_mint),
        ];
        ixs.push(give_senior(&keys, &me, &h.pubkey(), amount));
        chain.send(&ixs, &[]).await.unwrap();
        for chunk in (0..per_holder).collect::<Vec<_>>().chunks(10) {
            let ixs: Vec<_> = chunk
                .iter()
                .map(|_| ix::request_redemption(&h.pubkey(), &keys, &q, &tokens, TOKENS_PER_REQUEST))
                .collect();
            chain.send(&ixs, &[&h]).await.unwrap();
        }
        wallets.push(h);
    }
    World { net, dir, pool: pool_address, keys, holders: wallets, chain }
}

impl World {
    fn keeper_file(&self, name: &str) -> PathBuf {
        let path = self.dir.join(format!("{name}.json"));
        let k = Keypair::new();
        write_keypair(&k, &path).unwrap();
        path
    }

    async fn fund(&mut self, keypair: &Path) {
        let k = sluice_sdk::config::read_keypair(keypair).unwrap();
        self.chain.airdrop(&k.pubkey(), 5_000_000_000).await.unwrap();
    }

    fn keeper(&self, keypair: &Path, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sluice-keeper"));
        c.args(["--pool", &self.pool.to_string(), "--url", &self.net.url, "--keypair", keypair.to_str().unwrap()]);
        c.args(extra);
        c
    }

    async fn pool(&mut self) -> Pool {
        client::pool(&mut self.chain, &self.pool).await.unwrap()
    }

    /// (live requests, tokens still queued, payouts unclaimed) in the senior queue.
    async fn queue_state(&mut self) -> (u64, u64, u64) {
        let pool = self.pool().await;
        let t = pool.tranches[0];
        let queue = client::queue(&mut self.chain, &t.queue).await.unwrap();
        let mut live = 0;
        let (mut remaining, mut claimable) = (0, 0);
        for id in t.queue_head..t.queue_tail {
            let r = queue.requests[(id % QUEUE_CAPACITY as u64) as usize];
            if !r.is_done() {
                live += 1;
            }
            remaining += r.remaining;
            claimable += r.claimable;
        }
        (live, remaining, claimable)
    }

    async fn received(&mut self) -> Vec<u64> {
        let mut out = Vec::new();
        for h in &self.holders {
            let account = ix::token::associated(&self.keys.base_token_program, &h.pubkey(), &self.keys.base_mint);
            out.push(client::token_balance(&mut self.chain, &account).await.unwrap());
        }
        out
    }
}

fn succeeded(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "keeper exited {:?}:\n{stderr}", out.status);
    stderr
}

/// Every holder asked for the same tokens at one batch price: payouts agree to within one
/// base unit per request, and none is paid twice.
fn assert_equal_payouts(received: &[u64], per_holder: u64) {
    let (lo, hi) = (received.iter().min().unwrap(), received.iter().max().unwrap());
    assert!(*lo > 0, "{received:?}");
    assert!(hi - lo <= per_holder, "payouts differ: {received:?}");
    let fair = TOKENS_PER_REQUEST * per_holder;
    assert!(*hi <= fair * 11 / 10 && *lo >= fair * 9 / 10, "{received:?} vs {fair} at about NAV");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_clears_a_queue_of_1000_requests() {
    let mut w = world("thousand", 10, 100).await;
    assert_eq!(w.queue_state().await.0, 1_000);
    let keeper = w.keeper_file("keeper");
    w.fund(&keeper).await;

    // A dry run reports the work and sends nothing.
    let before = w.pool().await;
    let out = w.keeper(&keeper, &["--once", "--dry-run", "--push-claims", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert!(log.contains("\"would_send\"") && log.contains("process_batch"), "{log}");
    let after = w.pool().await;
    assert_eq!((before.batch.id, before.nav_time), (after.batch.id, after.nav_time), "a dry run changed the pool");
    assert_eq!(w.queue_state().await.0, 1_000);

    // Passes a day apart until the queue is empty.
    let mut days = 0;
    while w.queue_state().await != (0, 0, 0) {
        assert!(days < 10, "queue not cleared in 10 days: {:?}", w.queue_state().await);
        w.chain.advance_clock(DAY + 60).await.unwrap();
        let out = w.keeper(&keeper, &["--once", "--push-claims", "--no-metrics"]).output().unwrap();
        succeeded(&out);
        days += 1;
    }
    let received = w.received().await;
    assert_equal_payouts(&received, 100);
    // Nothing left owed, nothing paid twice: the pool owes no claims.
    assert_eq!(w.pool().await.claimable, 0);
    std::fs::remove_dir_all(&w.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keepers_racing_neither_fail_nor_pay_twice() {
    let mut w = world("race", 6, 50).await;
    let (a, b) = (w.keeper_file("a"), w.keeper_file("b"));
    w.fund(&a).await;
    w.fund(&b).await;
    let mut days = 0;
    while w.queue_state().await != (0, 0, 0) {
        assert!(days < 10, "queue not cleared: {:?}", w.queue_state().await);
        w.chain.advance_clock(DAY + 60).await.unwrap();
        let args = ["--once", "--push-claims", "--no-metrics"];
        let first = w.keeper(&a, &args).stderr(Stdio::piped()).spawn().unwrap();
        // One of them pays a priority fee (its compute limit sized by simulation).
        let second =
            w.keeper(&b, &[&args[..], &["--priority-fee", "1000"]].concat()).stderr(Stdio::piped()).spawn().unwrap();
        let (first, second) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
        for log in [succeeded(&first), succeeded(&second)] {
            assert!(!log.contains("\"level\":\"error\""), "{log}");
        }
        days += 1;
    }
    let received = w.received().await;
    assert_equal_payouts(&received, 50);
    assert_eq!(w.pool().await.claimable, 0);
    std::fs::remove_dir_all(&w.dir).ok();
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, text.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_then_a_graceful_stop() {
    let mut w = world("metrics", 1, 5).await;
    let keeper = w.keeper_file("keeper");
    w.fund(&keeper).await;
    w.chain.advance_clock(DAY + 60).await.unwrap();
    let mut child = w
        .keeper(&keeper, &["--interval", "1", "--push-claims", "--metrics", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut listen = None;
    let mut cranked = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        if v["msg"] == "metrics" {
            listen = v["listen"].as_str().map(String::from);
        }
        if v["msg"] == "cranked" && v["batch_calls"].as_u64() > Some(0) {
            cranked = true;
            break;
        }
    }
    assert!(cranked, "the keeper never ran a batch");
    let addr = listen.expect("metrics address logged");
    let (status, body) = http_get(&addr, "/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("sluice_keeper_cranks_total{kind=\"process_batch\"}"), "{body}");
    assert!(body.contains(&format!("sluice_pool_stage{{pool=\"{}\"}}", w.pool)), "{body}");
    // Healthy once the pass that cranked has finished.
    let healthy = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&addr, "/health").0 == 200
    });
    assert!(healthy, "/health never turned 200");
    assert_eq!(http_get(&addr, "/nope").0, 404);

    // SIGTERM: the pass in progress ends, then the keeper exits cleanly.
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status:?}: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
    std::fs::remove_dir_all(&w.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_receivables_are_written_down_on_schedule() {
    let mut w = world("overdue", 0, 0).await;
    let keeper = w.keeper_file("keeper");
    w.fund(&keeper).await;
    let pool = w.pool().await;
    let mut receivables = Vec::new();
    for i in 0..pool.receivable_count {
        receivables.push(client::receivable(&mut w.chain, &pda::receivable(&w.pool, i)).await.unwrap());
    }
    // Nobody repays: 31 days after the first due date, the 30-day step applies to it.
    let first_due = receivables.iter().map(|r| r.due_ts).min().unwrap();
    let now = w.chain.now().await.unwrap();
    w.chain.advance_clock(first_due + 31 * DAY - now).await.unwrap();
    let now = w.chain.now().await.unwrap();
    let expected = sluice_sdk::keeper::overdue_due(&pool, &receivables, now);
    assert!(!expected.is_empty());

    let out = w.keeper(&keeper, &["--once", "--dry-run", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert_eq!(log.matches("write_down_overdue").count(), expected.len(), "{log}");

    let out = w.keeper(&keeper, &["--once", "--no-metrics"]).output().unwrap();
    succeeded(&out);
    for r in &receivables {
        let after = client::receivable(&mut w.chain, &pda::receivable(&w.pool, r.index)).await.unwrap();
        assert_eq!(sluice::instructions::overdue_write_down(&after, &pool.params.overdue_steps, now), None);
        if expected.contains(&r.index) {
            // The schedule accrues daily: 25 % at 30 days, + 2,500 / 30 bps a day (rounded up).
            let days = (now - r.due_ts).div_euclid(DAY);
            let haircut = sluice::math::dcf::overdue_haircut_bps(&pool.params.overdue_steps, days) as u64;
            if r.due_ts == first_due {
                assert_eq!(haircut, 2_584, "31 days overdue");
            }
            let carried = (r.outstanding as u128 * (10_000 - haircut) as u128 / 10_000) as u64;
            assert_eq!(after.carried_value, carried, "haircut {haircut} bps, floored");
        } else {
            assert_eq!(after.status, r.status, "receivable {} not yet 30 days overdue", r.index);
        }
    }
    // A second pass finds nothing more to do.
    let out = w.keeper(&keeper, &["--once", "--no-metrics"]).output().unwrap();
    assert!(!succeeded(&out).contains("written down"));
    std::fs::remove_dir_all(&w.dir).ok();
}

#[test]
fn a_keeper_without_pools_or_with_bad_flags_exits_2() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_sluice-keeper")).args(args).output().unwrap();
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).to_string();
    let out = run(&["--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--pool <ADDRESS>") && stderr(&out).contains("--all"), "{}", stderr(&out));
    let out = run(&["--pool", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not an address: not-an-address"), "{}", stderr(&out));
    let out = run(&["--basket", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not an address: nope"), "{}", stderr(&out));
    let out = run(&["--all", "--interval"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--interval <SECONDS>"), "{}", stderr(&out));
    let out = run(&["--all", "extra"]);
    assert_eq!(out.status.code(), Some(2), "an extra argument is refused");
    // --help, --version and completions answer without a cluster.
    for args in [&["--help"][..], &["--version"], &["--completions", "bash"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty());
    }
    assert!(String::from_utf8_lossy(&run(&["--completions", "bash"]).stdout).contains("--freeze-interval"));
}

/// The rates the oracle holds, published again: a day later they keep the pool priceable.
async fn republish_rates(w: &mut World) {
    let oracle = client::oracle(&mut w.chain, &w.keys.oracle).await.unwrap();
    let args = sluice::instructions::PublishRatesArgs {
        sequence: oracle.sequence + 1,
        market_rate_bps: oracle.market_rate_bps,
        classes: oracle.classes,
    };
    let me = w.chain.payer().pubkey();
    w.chain.send(&[ix::publish_rates(&me, &w.keys, args)], &[]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_refills_a_baskets_sleeve_through_the_queue() {
    let mut w = world("basket", 0, 0).await;
    let keeper = w.keeper_file("keeper");
    w.fund(&keeper).await;
    // The example's basket (created by the migration) over the senior and mezzanine
    // tranches: the issuer moves 200,000 senior tokens into it; its sleeve is empty.
    let me = w.chain.payer().pubkey();
    let basket_address = pda::basket(&me, 2_027_001);
    let basket = client::basket(&mut w.chain, &basket_address).await.unwrap();
    let b = ix::BasketKeys::new(&me, basket.basket_id, basket.base_mint, w.keys.base_token_program);
    let senior = w.keys.tranche_mint(0);
    let view = client::basket_view(&mut w.chain, &basket_address).await.unwrap();
    let exchange = ix::exchange_in(
        &me,
        &b,
        &senior,
        &ix::token::associated(&ix::TOKEN_2022, &me, &senior),
        &ix::token::associated(&ix::TOKEN_2022, &me, &b.mint),
        Some(pda::member(&w.pool, &me)),
        &view.priced_accounts(),
        sluice::instructions::ExchangeInArgs { index: 0, tokens: 200_000_000_000, min_out: 0 },
    );
    w.chain.send(&[ix::token::create_associated(&ix::TOKEN_2022, &me, &me, &b.mint), exchange], &[]).await.unwrap();
    assert_eq!(client::basket(&mut w.chain, &basket_address).await.unwrap().sleeve_balance, 0);

    // A dry run names the crank and sends nothing.
    let basket_arg = basket_address.to_string();
    let out = w.keeper(&keeper, &["--basket", &basket_arg, "--once", "--dry-run", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert!(log.contains("\"basket\"") && log.contains("rebalance"), "{log}");
    assert!(!client::basket(&mut w.chain, &basket_address).await.unwrap().constituents[0].request_open);

    // Pools first, then the basket: the rule asks the senior queue for the sleeve's target.
    let out = w.keeper(&keeper, &["--basket", &basket_arg, "--once", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert!(log.contains("\"basket rebalanced\"") && log.contains("\"requested\":1"), "{log}");
    let c = client::basket(&mut w.chain, &basket_address).await.unwrap().constituents[0];
    assert!(c.request_open, "a request was placed: {log}");

    // Days pass: the keeper (finding pool and basket itself) runs the batch that pays the
    // request, then collects the payment into the sleeve.
    let mut days = 0;
    loop {
        let basket = client::basket(&mut w.chain, &basket_address).await.unwrap();
        if basket.sleeve_balance > 0 {
            assert_eq!(client::token_balance(&mut w.chain, &b.sleeve).await.unwrap(), basket.sleeve_balance);
            break;
        }
        assert!(days < 5, "the sleeve was not refilled in 5 days");
        w.chain.advance_clock(DAY + 60).await.unwrap();
        republish_rates(&mut w).await;
        let mut all = Command::new(env!("CARGO_BIN_EXE_sluice-keeper"));
        all.args(["--all", "--once", "--no-metrics", "--url", &w.net.url, "--keypair", keeper.to_str().unwrap()]);
        let log = succeeded(&all.output().unwrap());
        assert!(!log.contains("\"level\":\"error\"") && !log.contains("rebalance refused"), "{log}");
        days += 1;
    }
    assert!(days >= 1, "paid by a later day's batch");
    let basket = client::basket(&mut w.chain, &basket_address).await.unwrap();
    assert!(!basket.constituents[0].request_open, "paid in full, collected and closed");
    let now = w.chain.now().await.unwrap();
    let value = client::basket_view(&mut w.chain, &basket_address).await.unwrap().value(now).unwrap().0;
    // Within the band around the 10 % target (the request asked for tokens worth it).
    let share = basket.sleeve_balance as u128 * 10_000 / value as u128;
    assert!((700..=1_300).contains(&share), "sleeve {} of value {value}", basket.sleeve_balance);

    // A sleeve redemption takes the sleeve below its band; while the guardian (here the
    // issuer) has the basket paused, the keeper places no request, and no error either.
    let redeem = ix::redeem_basket(
        &me,
        &b,
        &ix::token::associated(&ix::TOKEN_2022, &me, &b.mint),
        &ix::token::associated(&w.keys.base_token_program, &me, &w.keys.base_mint),
        &client::basket_view(&mut w.chain, &basket_address).await.unwrap().priced_accounts(),
        sluice::instructions::RedeemBasketArgs { tokens: basket.supply / 25, min_out: 0 },
    );
    w.chain.send(&[redeem, ix::set_basket_paused(&me, &b, true)], &[]).await.unwrap();
    let out = w.keeper(&keeper, &["--basket", &basket_arg, "--once", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert!(!log.contains("\"requested\":1") && !log.contains("\"level\":\"error\""), "{log}");
    assert!(!client::basket(&mut w.chain, &basket_address).await.unwrap().constituents[0].request_open);
    // Unpaused, the next pass asks the queue again.
    w.chain.send(&[ix::set_basket_paused(&me, &b, false)], &[]).await.unwrap();
    let out = w.keeper(&keeper, &["--basket", &basket_arg, "--once", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert!(log.contains("\"requested\":1"), "{log}");
    assert!(client::basket(&mut w.chain, &basket_address).await.unwrap().constituents[0].request_open);
    std::fs::remove_dir_all(&w.dir).ok();
}

/// Membership decides who may hold tranche tokens: once a member's record expires or is
/// revoked, the keeper freezes its accounts, and only those: a live member's, the issuer's,
/// the pool's own (escrows, market vault) and the member basket's vaults stay thawed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_freezes_the_accounts_of_lapsed_members_only() {
    let mut w = world("freeze", 0, 0).await;
    let keeper = w.keeper_file("keeper");
    w.fund(&keeper).await;
    let me = w.chain.payer().pubkey();
    let senior = w.keys.tranche_mint(0);
    let account = |owner: &Pubkey| ix::token::associated(&ix::TOKEN_2022, owner, &senior);
    let now = w.chain.now().await.unwrap();

    // Three investors holding senior tokens: admitted for a year, for two days, and one the
    // issuer revokes (without freezing it itself).
    let (staying, lapsing, revoked) = (Keypair::new(), Keypair::new(), Keypair::new());
    for (h, expires) in [(&staying, now + 365 * DAY), (&lapsing, now + 2 * DAY), (&revoked, now + 365 * DAY)] {
        w.chain.airdrop(&h.pubkey(), 100_000_000).await.unwrap();
        let ixs = [
            ix::set_member(&me, &w.pool, &h.pubkey(), expires),
            ix::token::create_associated(&ix::TOKEN_2022, &me, &h.pubkey(), &senior),
            ix::thaw_holder(&me, &w.pool, 0, &account(&h.pubkey()), &h.pubkey()),
            give_senior(&w.keys, &me, &h.pubkey(), 1_000_000_000),
        ];
        w.chain.send(&ixs, &[]).await.unwrap();
    }
    w.chain.send(&[ix::revoke_member(&me, &w.pool, &revoked.pubkey())], &[]).await.unwrap();
    w.chain.advance_clock(3 * DAY).await.unwrap();
    republish_rates(&mut w).await;
    let lapsed = [lapsing.pubkey(), revoked.pubkey()];
    let pool = w.pool().await;
    let mut untouched = vec![account(&staying.pubkey()), account(&me)];
    untouched.extend(pool.active_tranches().iter().map(|t| t.escrow));
    // The basket over the senior and mezzanine tranches is a member: its vaults stay thawed.
    let basket = pda::basket(&me, 2_027_001);
    untouched.extend([0u8, 1].map(|t| pda::basket_vault(&basket, &w.keys.tranche_mint(t))));
    untouched.push(ix::AmmKeys::new(&w.keys, 0).tranche_vault);
    for a in &untouched {
        assert!(!client::is_frozen(&mut w.chain, a).await.unwrap(), "{a} frozen before the keeper ran");
    }

    // A dry run names the two cranks and sends nothing.
    let out = w.keeper(&keeper, &["--once", "--dry-run", "--no-metrics"]).output().unwrap();
    let log = succeeded(&out);
    assert_eq!(log.matches("\"freeze_holder\"").count(), 2, "{log}");
    assert!(log.contains("would freeze lapsed holders"), "{log}");
    for owner in &lapsed {
        assert!(!client::is_frozen(&mut w.chain, &account(owner)).await.unwrap(), "a dry run froze {owner}");
    }

    // The keeper, with its metrics: exactly the two lapsed accounts frozen, counted.
    let mut child =
        w.keeper(&keeper, &["--interval", "1", "--metrics", "127.0.0.1:0"]).stderr(Stdio::piped()).spawn().unwrap();
    // Should the keeper never freeze anything, stop it after a minute rather than hang.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (pid, watched) = (child.id().to_string(), done.clone());
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        if !watched.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
    });
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut listen, mut frozen) = (None, None);
    for line in lines.by_ref() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v["msg"] == "metrics" {
            listen = v["listen"].as_str().map(String::from);
        }
        if v["msg"] == "holders frozen" {
            frozen = Some(v);
            break;
        }
        assert_ne!(v["level"], "error", "{v}");
    }
    let frozen = frozen.expect("the keeper froze no holder");
    assert_eq!(frozen["frozen"], 2, "{frozen}");
    let mut owners: Vec<String> =
        frozen["accounts"].as_array().unwrap().iter().map(|a| a["owner"].as_str().unwrap().to_string()).collect();
    owners.sort();
    let mut expected: Vec<String> = lapsed.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(owners, expected, "{frozen}");
    let addr = listen.expect("metrics address logged");
    let (_, body) = http_get(&addr, "/metrics");
    assert!(body.contains("sluice_keeper_holders_frozen_total 2"), "{body}");
    assert!(body.contains("sluice_keeper_cranks_total{kind=\"freeze_holder\"} 2"), "{body}");
    // Later passes find nothing more to freeze.
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let (_, body) = http_get(&addr, "/metrics");
    assert!(body.contains("sluice_keeper_holders_frozen_total 2"), "{body}");
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    assert!(!rest.iter().any(|l| l.contains("holders frozen") || l.contains("\"level\":\"error\"")), "{rest:?}");

    for owner in &lapsed {
        assert!(client::is_frozen(&mut w.chain, &account(owner)).await.unwrap(), "{owner} not frozen");
    }
    for a in &untouched {
        assert!(!client::is_frozen(&mut w.chain, a).await.unwrap(), "{a} frozen by the keeper");
    }
    // A lapsed holder's tokens no longer move; a member's still do.
    let mut lapsing_chain = RpcChain::new(&w.net.url, lapsing.insecure_clone());
    let to_staying = ix::token::transfer_checked(
        &ix::TOKEN_2022,
        &account(&lapsing.pubkey()),
        &senior,
        &account(&staying.pubkey()),
        &lapsing.pubkey(),
        1,
        6,
    );
    let e = lapsing_chain.send(&[to_staying], &[]).await.unwrap_err();
    assert!(matches!(e, sluice_sdk::chain::ChainError::Program { code: 17, .. }), "{e:?}");
    w.chain.send(&[give_senior(&w.keys, &me, &staying.pubkey(), 1)], &[]).await.unwrap();
    // And the program agrees with the keeper's choice: a live member is not freezable.
    let e = w
        .chain
        .send(&[ix::freeze_holder(&me, &w.pool, 0, &account(&staying.pubkey()), &staying.pubkey())], &[])
        .await
        .unwrap_err();
    assert!(e.is(sluice::error::SluiceError::HolderStillMember), "{e:?}");
    std::fs::remove_dir_all(&w.dir).ok();
}

/// A pool stuck on a stale oracle: the keeper sends nothing it knows would be refused, and
/// says why — a `blocked` line with the reason every pass; once rates are published again it
/// reprices and the line is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_says_why_a_pool_on_a_stale_oracle_is_stuck() {
    let mut w = world("blocked", 0, 0).await;
    let keeper = w.keeper_file("keeper");
    w.fund(&keeper).await;
    let max_age = w.pool().await.params.max_oracle_age_secs as i64;
    w.chain.advance_clock(max_age + DAY).await.unwrap();
    let stderr = succeeded(&w.keeper(&keeper, &["--once", "--no-metrics"]).output().unwrap());
    let blocked = stderr.lines().find(|l| l.contains("\"msg\":\"blocked\"")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(blocked.contains("\"reason\":\"oracle_stale\"") && blocked.contains("publisher"), "{blocked}");
    assert!(!stderr.contains("\"msg\":\"cranked\""), "nothing can be cranked: {stderr}");
    // Fresh rates: the next pass reprices and the pool is no longer blocked.
    republish_rates(&mut w).await;
    let stderr = succeeded(&w.keeper(&keeper, &["--once", "--no-metrics"]).output().unwrap());
    assert!(stderr.contains("\"repriced\":true") && !stderr.contains("\"msg\":\"blocked\""), "{stderr}");
    std::fs::remove_dir_all(&w.dir).ok();
}
