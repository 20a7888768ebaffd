//! The wallet commands end to end: `sluice` binaries with `--json` against `sluice localnet`
//! through the real RPC client, on a pool set up by the example migration.

mod common;
use common::*;

use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::client;
use sluice_sdk::ix;
use sluice_sdk::rpc::RpcChain;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_redeem_and_claim_through_the_cli() {
    let w = world().await;
    let pool = w.pool.to_string();
    let (alice, alice_file) = investor(&w, "alice", 100_000_000_000).await;

    // Listing shows the migrated pool.
    let pools = ok(&w, &alice_file, &["pools"]);
    let listed = pools["pools"].as_array().unwrap();
    assert!(listed.iter().any(|p| p["pool"] == pool.as_str()), "{pools}");

    // Not yet admitted: a named refusal with advice, and nothing moves.
    let (code, refusal, stderr) = sluice(&w, &alice_file, &["deposit", &pool, "senior", "10000"]);
    assert_eq!(code, Some(1), "{refusal}");
    assert_eq!(refusal["error"]["name"], "NotMember", "{refusal}");
    assert!(refusal["error"]["hint"].as_str().unwrap().contains("admit"), "{refusal}");
    assert!(stderr.contains("NotMember"));

    // Bad input is a usage error (exit 2) named in the JSON, before any transaction.
    let (code, bad, _) = sluice(&w, &alice_file, &["deposit", &pool, "senior", "1.0000001"]);
    assert_eq!(code, Some(2), "{bad}");
    assert!(bad["error"]["message"].as_str().unwrap().contains("more than 6 decimals"), "{bad}");
    let (code, bad, _) = sluice(&w, &alice_file, &["deposit", &pool, "7", "10"]);
    assert_eq!(code, Some(2), "{bad}");
    assert!(bad["error"]["message"].as_str().unwrap().contains("no tranche 7"), "{bad}");

    let admitted = ok(&w, &w.issuer_file, &["admit", &pool, &alice.pubkey().to_string(), "--expires", &next_year()]);
    assert_eq!(admitted["wallet"], alice.pubkey().to_string());

    // Deposit 60,000 into senior.
    let d = ok(&w, &alice_file, &["deposit", &pool, "senior", "60000"]);
    assert_eq!(d["deposited"], 60_000_000_000u64);
    let tokens = d["tokens"].as_u64().unwrap();
    assert!(tokens > 59_000_000_000 && tokens <= 60_000_000_000, "{d}");

    let p = ok(&w, &alice_file, &["position", &pool]);
    assert_eq!(p["holdings"][0]["tokens"], tokens);
    assert_eq!(p["base"], 40_000_000_000u64);

    // A small redemption is paid at once, at NAV less the instant fee.
    let r = ok(&w, &alice_file, &["redeem", &pool, "0", "1000"]);
    assert_eq!(r["mode"], "instant", "{r}");
    let paid = r["paid"].as_u64().unwrap();
    assert!(paid > 990_000_000 && paid < 1_020_000_000, "{r}");

    // The rest is above the instant threshold: it queues, to be paid in installments.
    let q = ok(&w, &alice_file, &["redeem", &pool, "0", "all", "--queue"]);
    assert_eq!(q["mode"], "queued", "{q}");
    assert_eq!(q["tokens"], tokens - 1_000_000_000);
    let id = q["id"].as_u64().unwrap();
    let p = ok(&w, &alice_file, &["position", &pool]);
    assert_eq!(p["holdings"][0]["tokens"], 0);
    assert_eq!(p["requests"][0]["id"], id);

    // Nothing is owed before a batch runs.
    let (code, nothing, _) = sluice(&w, &alice_file, &["claim", &pool]);
    assert_eq!(code, Some(1));
    assert!(nothing["error"]["hint"].as_str().unwrap().contains("batches"), "{nothing}");

    // A day later a keeper runs the batch; the claim collects the first installment.
    let mut chain = RpcChain::new(&w.net.url, Keypair::new());
    let payer = chain.payer().pubkey();
    chain.airdrop(&payer, 2_000_000_000).await.unwrap();
    chain.advance_clock(DAY + 60).await.unwrap();
    let keeper = keeper_for(&mut chain, &w).await;
    let report = keeper.tick(&mut chain).await.unwrap();
    assert!(report.batch_calls >= 1, "{report:?}");
    let c = ok(&w, &alice_file, &["claim", &pool]);
    let claimed = c["claimed"].as_u64().unwrap();
    assert!(claimed > 0, "{c}");
    assert_eq!(c["requests"][0]["id"], id);
    let base_mint = client::pool(&mut chain, &w.pool).await.unwrap().base_mint;
    let base_after =
        client::token_balance(&mut chain, &ix::token::associated(&ix::SPL_TOKEN, &alice.pubkey(), &base_mint))
            .await
            .unwrap();
    assert_eq!(base_after, 40_000_000_000 + paid + claimed);
    assert!(claimed < (tokens - 1_000_000_000) / 2, "a large request is paid over several batches: {c}");

    // What remains queued can be cancelled back.
    let x = ok(&w, &alice_file, &["cancel", &pool, "0", &id.to_string()]);
    assert!(x["tokens_returned"].as_u64().unwrap() > 0, "{x}");
    std::fs::remove_dir_all(&w.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_and_provide_liquidity_through_the_cli() {
    let w = world().await;
    let pool = w.pool.to_string();
    let (alice, alice_file) = investor(&w, "trader", 50_000_000_000).await;
    ok(&w, &w.issuer_file, &["admit", &pool, &alice.pubkey().to_string(), "--expires", &next_year()]);

    // An empty market: a named refusal.
    let (code, empty, _) = sluice(&w, &alice_file, &["swap", &pool, "senior", "buy", "100"]);
    assert_eq!(code, Some(1), "{empty}");
    assert!(empty["error"]["hint"].as_str().unwrap().contains("no liquidity"), "{empty}");

    // The issuer gives the empty senior market its first liquidity, at NAV, with the CLI.
    let seeded = ok(&w, &w.issuer_file, &["add-liquidity", &pool, "senior", "200000"]);
    assert!(seeded["lp_change"].as_i64().unwrap() > 0, "{seeded}");
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());
    let p = client::pool(&mut chain, &w.pool).await.unwrap();
    let m = ix::AmmKeys::new(&ix::PoolKeys::of(&p), 0);
    assert_eq!(client::token_balance(&mut chain, &m.base_vault).await.unwrap(), 200_000_000_000);
    let nav_tokens = client::token_balance(&mut chain, &m.tranche_vault).await.unwrap() as u128;
    let price_e12 = p.tranches[0].price_e12 as u128;
    assert!((nav_tokens * price_e12 / 1_000_000_000_000).abs_diff(200_000_000_000) <= 1, "opens at NAV");

    let bought = ok(&w, &alice_file, &["swap", &pool, "senior", "buy", "1000"]);
    let out = bought["amount_out"].as_u64().unwrap();
    assert!(out > 980_000_000 && out < 1_000_000_000, "fee and price impact: {bought}");
    let sold = ok(&w, &alice_file, &["swap", &pool, "senior", "sell", "500"]);
    // A round trip costs fees: 500 tokens sell for less than they cost.
    let back = sold["amount_out"].as_u64().unwrap() as u128;
    assert!(back > 0 && back * (out as u128) < 500_000_000 * 1_000_000_000, "{bought} then {sold}");

    let added = ok(&w, &alice_file, &["add-liquidity", &pool, "senior", "200"]);
    let lp = added["lp_change"].as_i64().unwrap();
    assert!(lp > 0, "{added}");
    let removed = ok(&w, &alice_file, &["remove-liquidity", &pool, "senior", "all"]);
    assert_eq!(removed["lp_change"].as_i64().unwrap(), -lp);
    assert_eq!(removed["lp_balance"], 0);

    // The best exit: the plan splits the tokens, and the exit pays what it planned at once.
    ok(&w, &alice_file, &["deposit", &pool, "senior", "30000"]);
    let (code, bad, _) = sluice(&w, &alice_file, &["exit", &pool, "senior", "100", "--max-discount-bps", "9000"]);
    assert_eq!(code, Some(2), "a tolerance over 50 % is a usage error: {bad}");
    let plan = ok(&w, &alice_file, &["exit", &pool, "senior", "25000", "--dry-run"]);
    let part = |v: &serde_json::Value, k: &str| v[k]["tokens"].as_u64().unwrap();
    let p = &plan["plan"];
    assert_eq!(part(p, "instant") + part(p, "market") + part(p, "queue") + part(p, "kept"), 25_000_000_000, "{plan}");
    let left = ok(&w, &alice_file, &["exit", &pool, "senior", "25000"]);
    let p = &left["plan"];
    assert_eq!(part(p, "instant") + part(p, "market") + part(p, "queue") + part(p, "kept"), 25_000_000_000, "{left}");
    let done = &left["done"];
    let now_paid = done["instant_paid"].as_u64().unwrap_or(0) + done["market_paid"].as_u64().unwrap_or(0);
    assert_eq!(done["paid"].as_u64().unwrap(), now_paid, "{left}");
    assert!(p["instant"]["tokens"].as_u64().unwrap() > 0 && now_paid >= p["instant"]["base"].as_u64().unwrap());
    assert_eq!(done["request_id"].is_u64(), part(p, "queue") > 0, "{left}");
    std::fs::remove_dir_all(&w.dir).ok();
}

/// A new user's dead ends are named before anything is sent: no base-token account, too few
/// base tokens, a receivable the pool does not have; the issuer can send base tokens; every
/// landed transaction's signature is in the output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_users_dead_ends_are_named_and_the_issuer_sends_base_tokens() {
    let w = world().await;
    let pool = w.pool.to_string();
    let bob = Keypair::new();
    let bob_file = w.dir.join("bob.json");
    sluice_sdk::config::write_keypair(&bob, &bob_file).unwrap();
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());
    chain.airdrop(&bob.pubkey(), 1_000_000_000).await.unwrap();
    ok(&w, &w.issuer_file, &["admit", &pool, &bob.pubkey().to_string(), "--expires", &next_year()]);

    let (code, none, _) = sluice(&w, &bob_file, &["deposit", &pool, "senior", "100"]);
    assert_eq!(code, Some(1), "{none}");
    assert!(none["error"]["message"].as_str().unwrap().contains("no account of the pool's base token"), "{none}");
    assert!(none["error"]["hint"].as_str().unwrap().contains("sluice transfer"), "{none}");

    let sent = ok(&w, &w.issuer_file, &["transfer", &pool, "50", &bob.pubkey().to_string()]);
    assert_eq!((sent["sent"].as_u64(), sent["balance"].as_u64()), (Some(50_000_000), Some(50_000_000)), "{sent}");
    assert_eq!(sent["signatures"].as_array().map(Vec::len), Some(1), "{sent}");

    let (code, short, _) = sluice(&w, &bob_file, &["deposit", &pool, "senior", "100"]);
    assert_eq!(code, Some(1), "{short}");
    assert!(
        short["error"]["message"].as_str().unwrap().contains("holds 50.000000 base tokens, fewer than 100.000000"),
        "{short}"
    );

    let d = ok(&w, &bob_file, &["deposit", &pool, "junior", "40"]);
    let signature = d["signatures"][0].as_str().expect("the deposit's signature").to_string();
    let status = chain.client().get_signature_status(&signature.parse().unwrap()).await.unwrap();
    assert_eq!(status, Some(Ok(())), "the printed signature is the landed deposit");

    let (code, missing, _) = sluice(&w, &w.issuer_file, &["repay", &pool, "999999", "1"]);
    assert_eq!(code, Some(2), "{missing}");
    assert!(
        missing["error"]["message"].as_str().unwrap().contains("receivable 999999 is not in this pool"),
        "{missing}"
    );
    let (code, _, _) = sluice(&w, &w.issuer_file, &["transfer", &pool, "1", "not-an-address"]);
    assert_eq!(code, Some(2));
    std::fs::remove_dir_all(&w.dir).ok();
}
