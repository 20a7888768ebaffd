//! The basket commands end to end: `sluice basket …` with `--json` against `sluice localnet`
//! through the real RPC client, over the example migration's senior tranche: create, admit a
//! constituent, exchange in, rebalance into the pool's queue, the pool's batch pays, rebalance
//! collects into the sleeve, a sleeve redemption and an in-kind exchange out.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sluice_localnet::{Background, Options};
use sluice_migrate::{migrate, Mode, Spec};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::config::write_keypair;
use sluice_sdk::ix;
use sluice_sdk::keeper::Keeper;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, pda, preview, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

const DAY: i64 = 86_400;
const UNIT: u64 = 1_000_000;

/// A membership expiry a year from today.
fn next_year() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    sluice_sdk::units::format_date(now + 365 * DAY)
}

struct World {
    net: Background,
    dir: PathBuf,
    issuer: Keypair,
    issuer_file: PathBuf,
    pool: Pubkey,
}

fn sluice(world: &World, keypair: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .args(["--url", &world.net.url, "--keypair", keypair.to_str().unwrap(), "--json"])
        .output()
        .expect("sluice runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), json, stderr)
}

fn ok(world: &World, keypair: &Path, args: &[&str]) -> Value {
    let (code, json, stderr) = sluice(world, keypair, args);
    assert_eq!(code, Some(0), "{args:?}: {json} {stderr}");
    json
}

/// A named refusal: exit 1, the program error's name in the JSON and on stderr, a hint.
fn refused(world: &World, keypair: &Path, args: &[&str], name: &str) -> Value {
    let (code, json, stderr) = sluice(world, keypair, args);
    assert_eq!(code, Some(1), "{args:?}: {json} {stderr}");
    assert_eq!(json["error"]["name"], name, "{args:?}: {json}");
    assert!(!json["error"]["hint"].as_str().unwrap().is_empty(), "{json}");
    assert!(stderr.contains(name), "{stderr}");
    json
}

async fn world() -> World {
    let net = Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).unwrap();
    let dir = std::env::temp_dir().join(format!("sluice-basket-{}-{}", std::process::id(), Keypair::new().pubkey()));
    std::fs::create_dir_all(&dir).unwrap();
    let issuer = Keypair::new();
    let issuer_file = dir.join("issuer.json");
    write_keypair(&issuer, &issuer_file).unwrap();
    let mut chain = RpcChain::new(&net.url, issuer.insecure_clone());
    chain.airdrop(&issuer.pubkey(), 100_000_000_000).await.unwrap();
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/examples/harbor-trade-2027a.toml");
    let now = chain.now().await.unwrap();
    let spec_path = sluice_migrate::rehearsal::rehearsal_copy(&spec_path, &dir.join("spec"), now, 90).unwrap();
    let spec = Spec::load(&spec_path, now, &issuer.pubkey()).unwrap();
    migrate(&mut chain, &issuer, &spec, Mode::Apply).await.unwrap();
    let pool = pda::pool(&issuer.pubkey(), spec.pool_id);
    World { net, dir, issuer, issuer_file, pool }
}

/// A funded wallet holding `base` base tokens, as a keypair file.
async fn investor(w: &World, name: &str, base: u64) -> (Keypair, PathBuf) {
    let k = Keypair::new();
    let path = w.dir.join(format!("{name}.json"));
    write_keypair(&k, &path).unwrap();
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());
    chain.airdrop(&k.pubkey(), 2_000_000_000).await.unwrap();
    let pool = client::pool(&mut chain, &w.pool).await.unwrap();
    let account = ix::token::associated(&k.pubkey(), &pool.base_mint);
    let me = w.issuer.pubkey();
    chain
        .send(
            &[
                ix::token::create_associated(&me, &k.pubkey(), &pool.base_mint),
                ix::token::mint_to(&pool.base_mint, &account, &me, base),
            ],
            &[],
        )
        .await
        .unwrap();
    (k, path)
}

async fn keeper_for(chain: &mut RpcChain, w: &World) -> Keeper {
    let pool = client::pool(chain, &w.pool).await.unwrap();
    let wallet = Keypair::new();
    chain.airdrop(&wallet.pubkey(), 1_000_000_000).await.unwrap();
    let me = chain.payer().pubkey();
    chain.send(&[ix::token::create_associated(&me, &wallet.pubkey(), &pool.base_mint)], &[]).await.unwrap();
    Keeper::for_pool(wallet, &pool, None, false)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basket_over_the_senior_tranche_through_the_cli() {
    let w = world().await;
    let pool = w.pool.to_string();
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());
    let base_mint = client::pool(&mut chain, &w.pool).await.unwrap().base_mint;
    let (alice, alice_file) = investor(&w, "alice", 100_000 * UNIT).await;

    // The issuer creates the basket (default policy) and admits the senior tranche.
    let created = ok(&w, &w.issuer_file, &["basket", "create", "--id", "1", "--base-mint", &base_mint.to_string()]);
    let basket_key = pda::basket(&w.issuer.pubkey(), 1);
    assert_eq!(created["basket"], basket_key.to_string(), "{created}");
    assert_eq!(created["params"]["sleeve_target_bps"], 1_000);
    let basket = basket_key.to_string();
    let added = ok(
        &w,
        &w.issuer_file,
        &[
            "basket",
            "add-constituent",
            &basket,
            &pool,
            "senior",
            "--haircut-bps",
            "200",
            "--cap-bps",
            "10000",
            "--target-bps",
            "6000",
        ],
    );
    assert_eq!((added["index"].clone(), added["tranche"].clone()), (0.into(), 0.into()), "{added}");
    let listed = ok(&w, &alice_file, &["basket", "list"]);
    assert!(listed["baskets"].as_array().unwrap().iter().any(|b| b["basket"] == basket.as_str()), "{listed}");

    // The pool is permissioned: Alice and the basket itself (which queues and deposits) are admitted.
    for who in [alice.pubkey(), basket_key] {
        ok(&w, &w.issuer_file, &["admit", &pool, &who.to_string(), "--expires", &next_year()]);
    }
    let d = ok(&w, &alice_file, &["deposit", &pool, "senior", "60000"]);
    let senior_tokens = u(&d["tokens"]);

    // Exchange in 50,000 senior tokens: basket tokens as previewed.
    let x = ok(&w, &alice_file, &["basket", "exchange-in", &basket, &pool, "senior", "50000"]);
    let basket_tokens = u(&x["basket_tokens"]);
    assert_eq!(basket_tokens, u(&x["expected"]), "{x}");
    assert!(basket_tokens > 0 && x["index"] == 0, "{x}");
    let shown = ok(&w, &alice_file, &["basket", "show", &basket]);
    assert_eq!(u(&shown["supply"]), basket_tokens, "{shown}");
    assert_eq!(u(&shown["constituents"][0]["held"]), 50_000 * UNIT, "{shown}");
    assert_eq!(u(&shown["sleeve_balance"]), 0);

    // An empty sleeve pays nothing: a named refusal, before any transaction.
    refused(&w, &alice_file, &["basket", "redeem", &basket, "100"], "SleeveBelowFloor");

    // Rebalance asks the senior queue for a tenth of the value; then nothing is left to do.
    let r = ok(&w, &alice_file, &["basket", "rebalance", &basket]);
    assert_eq!(r["action"]["kind"], "request", "{r}");
    assert_eq!(r["action"]["index"], 0);
    assert!(r["collected"].as_array().unwrap().is_empty(), "{r}");
    let requested = u(&r["action"]["tokens"]);
    let shown = ok(&w, &alice_file, &["basket", "show", &basket]);
    assert_eq!(u(&shown["constituents"][0]["in_flight_tokens"]), requested, "{shown}");
    assert_eq!(u(&shown["constituents"][0]["held"]), 50_000 * UNIT - requested, "{shown}");
    let again = refused(&w, &alice_file, &["basket", "rebalance", &basket], "NothingToRebalance");
    assert!(again["error"]["hint"].as_str().unwrap().contains("band"), "{again}");

    // A day later the pool's batch pays the basket's request; rebalance collects it.
    let mut keeper_chain = RpcChain::new(&w.net.url, Keypair::new());
    let payer = keeper_chain.payer().pubkey();
    keeper_chain.airdrop(&payer, 2_000_000_000).await.unwrap();
    keeper_chain.advance_clock(DAY + 60).await.unwrap();
    let keeper = keeper_for(&mut keeper_chain, &w).await;
    let report = keeper.tick(&mut keeper_chain).await.unwrap();
    assert!(report.batch_calls >= 1, "{report:?}");
    let r = ok(&w, &alice_file, &["basket", "rebalance", &basket]);
    let collected = r["collected"].as_array().unwrap();
    assert_eq!(collected.len(), 1, "{r}");
    let sleeve = u(&collected[0]["amount"]);
    assert!(sleeve > 0, "{r}");
    assert_eq!(u(&r["sleeve_balance"]), sleeve, "{r}");

    // A sleeve redemption pays exactly the program's preview in base tokens.
    let view = client::basket_view(&mut chain, &basket_key).await.unwrap();
    let now = chain.now().await.unwrap();
    let value = view.value(now).unwrap().0;
    let tokens = (1_000 * UNIT).min((view.basket.supply as u128 * sleeve as u128 / (4 * value as u128)) as u64);
    let expected = preview::basket_redeem(&view, tokens, now).unwrap();
    let alice_base = ix::token::associated(&alice.pubkey(), &base_mint);
    let base_before = client::token_balance(&mut chain, &alice_base).await.unwrap();
    let amount = sluice_sdk::units::format_amount(tokens, 6).replace(',', "");
    let paid = ok(&w, &alice_file, &["basket", "redeem", &basket, &amount]);
    assert_eq!(u(&paid["tokens"]), tokens, "{paid}");
    assert_eq!(u(&paid["paid"]), expected, "{paid}");
    assert_eq!(client::token_balance(&mut chain, &alice_base).await.unwrap() - base_before, expected);

    // An exchange out pays a slice of the senior tokens and of the sleeve, in kind.
    let view = client::basket_view(&mut chain, &basket_key).await.unwrap();
    let slices = preview::basket_exchange_out(&view, 10_000 * UNIT).unwrap();
    let alice_senior =
        ix::token::associated(&alice.pubkey(), &client::pool(&mut chain, &w.pool).await.unwrap().tranches[0].mint);
    let senior_before = client::token_balance(&mut chain, &alice_senior).await.unwrap();
    assert_eq!(senior_before, senior_tokens - 50_000 * UNIT);
    let base_before = client::token_balance(&mut chain, &alice_base).await.unwrap();
    let out = ok(&w, &alice_file, &["basket", "exchange-out", &basket, "10000"]);
    assert_eq!(u(&out["constituents"][0]["tokens"]), slices[0], "{out}");
    assert_eq!(u(&out["base"]), slices[1], "{out}");
    assert!(slices[0] > 0, "{out}");
    assert_eq!(client::token_balance(&mut chain, &alice_senior).await.unwrap() - senior_before, slices[0]);
    assert_eq!(client::token_balance(&mut chain, &alice_base).await.unwrap() - base_before, slices[1]);

    // What remains is Alice's position.
    let p = ok(&w, &alice_file, &["basket", "position", &basket]);
    assert_eq!(u(&p["tokens"]), basket_tokens - tokens - 10_000 * UNIT, "{p}");
    assert_eq!(p["share_bps"], 10_000, "{p}");
    std::fs::remove_dir_all(&w.dir).ok();
}
