//! Compliant tranche tokens through the CLI, against `sluice localnet` on the example
//! migration's permissioned pool: tokens wallets can name (`pools`, `set-metadata`), accounts
//! that start frozen and are thawed only for members (`thaw`, `admit`, `deposit`), a
//! transfer to a non-member refused, and a revoked member frozen and thawed again on renewal.

mod common;
use common::*;

use sluice::instructions::CreatePoolArgs;
use sluice::state::{PoolParams, RedemptionParams, MAX_PUBLISHERS};
use sluice_sdk::chain::{Chain, ChainError};
use sluice_sdk::ix;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, Pubkey};
use solana_keypair::Keypair;
use solana_signer::Signer;

const UNIT: u64 = 1_000_000;

/// Token-2022 (and SPL Token) `AccountFrozen`.
const ACCOUNT_FROZEN: u32 = 17;

fn senior_account(w: &World, owner: &Pubkey) -> Pubkey {
    ix::token::associated(&ix::TOKEN_2022, owner, &sluice_sdk::pda::tranche_mint(&w.pool, 0))
}

/// Moves `amount` senior tokens from `from`'s account to `to`'s, as any wallet would.
async fn transfer(w: &World, from: &Keypair, to: &Pubkey, amount: u64) -> Result<(), ChainError> {
    let mut chain = RpcChain::new(&w.net.url, from.insecure_clone());
    let mint = sluice_sdk::pda::tranche_mint(&w.pool, 0);
    let ix = ix::token::transfer_checked(
        &ix::TOKEN_2022,
        &senior_account(w, &from.pubkey()),
        &mint,
        &senior_account(w, to),
        &from.pubkey(),
        amount,
        6,
    );
    chain.send(&[ix], &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tranche_tokens_are_held_only_by_members_through_the_cli() {
    let w = world().await;
    let pool = w.pool.to_string();
    let (alice, alice_file) = investor(&w, "alice", 100_000 * UNIT).await;
    let (bob, bob_file) = investor(&w, "bob", 1_000 * UNIT).await;
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());

    // Wallets can name the tokens: the migration's metadata, read from the mints.
    let pools = ok(&w, &alice_file, &["pools"]);
    let listed = pools["pools"].as_array().unwrap().iter().find(|p| p["pool"] == pool.as_str()).unwrap().clone();
    assert_eq!(listed["permissioned"], true, "{listed}");
    assert_eq!(listed["tranches"][0]["name"], "Harbor Trade 2027-A Senior", "{listed}");
    assert_eq!(listed["tranches"][0]["symbol"], "HT27A-SR");
    assert_eq!(listed["tranches"][2]["symbol"], "HTR2027A-J");

    // Bob is no member: his thaw is refused by the program and opens nothing.
    let r = refused(&w, &bob_file, &["thaw", &pool, "senior"], "NotMember");
    assert!(r["error"]["hint"].as_str().unwrap().contains("admit"), "{r}");
    assert!(!client::exists(&mut chain, &senior_account(&w, &bob.pubkey())).await.unwrap());

    // Alice is admitted and deposits: her account is opened and thawed on the way.
    ok(&w, &w.issuer_file, &["admit", &pool, &alice.pubkey().to_string(), "--expires", &next_year()]);
    let d = ok(&w, &alice_file, &["deposit", &pool, "senior", "10000"]);
    let tokens = d["tokens"].as_u64().unwrap();
    assert!(tokens > 0, "{d}");
    let p = ok(&w, &alice_file, &["position", &pool]);
    assert_eq!((p["holdings"][0]["tokens"].as_u64(), p["holdings"][0]["frozen"].clone()), (Some(tokens), false.into()));
    assert_eq!(p["holdings"][1]["frozen"], serde_json::Value::Null, "no mezzanine account: {p}");
    // Nothing of hers is frozen: `thaw` says so, by name for one tranche.
    let (code, none, _) = sluice(&w, &alice_file, &["thaw", &pool]);
    assert_eq!(code, Some(1), "{none}");
    assert!(none["error"]["message"].as_str().unwrap().contains("no frozen tranche account"), "{none}");
    refused(&w, &alice_file, &["thaw", &pool, "senior"], "HolderNotFrozen");

    // A transfer to a non-member's account fails: it was opened frozen.
    let me = w.issuer.pubkey();
    let mint = sluice_sdk::pda::tranche_mint(&w.pool, 0);
    chain.send(&[ix::token::create_associated(&ix::TOKEN_2022, &me, &bob.pubkey(), &mint)], &[]).await.unwrap();
    assert!(client::is_frozen(&mut chain, &senior_account(&w, &bob.pubkey())).await.unwrap());
    let e = transfer(&w, &alice, &bob.pubkey(), 1_000 * UNIT).await.unwrap_err();
    assert!(matches!(e, ChainError::Program { code: ACCOUNT_FROZEN, .. }), "{e:?}");
    assert_eq!(client::token_balance(&mut chain, &senior_account(&w, &alice.pubkey())).await.unwrap(), tokens);

    // Admitting Bob thaws the account he already has; then he can receive.
    let admitted = ok(&w, &w.issuer_file, &["admit", &pool, &bob.pubkey().to_string(), "--expires", &next_year()]);
    let bobs = senior_account(&w, &bob.pubkey()).to_string();
    assert_eq!(admitted["thawed"], serde_json::json!([bobs]), "{admitted}");
    transfer(&w, &alice, &bob.pubkey(), 1_000 * UNIT).await.unwrap();
    assert_eq!(client::token_balance(&mut chain, &senior_account(&w, &bob.pubkey())).await.unwrap(), 1_000 * UNIT);
    // Bob opens and thaws his mezzanine account by himself, before anyone sends him any.
    let t = ok(&w, &bob_file, &["thaw", &pool, "mezzanine"]);
    assert_eq!((t["accounts"][0]["opened"].clone(), t["accounts"][0]["frozen"].clone()), (true.into(), false.into()));

    // The issuer revokes Alice and freezes her account in the same transaction: she can no
    // longer move her tokens, nor thaw them; her position says so.
    let alices = senior_account(&w, &alice.pubkey());
    chain
        .send(
            &[
                ix::revoke_member(&me, &w.pool, &alice.pubkey()),
                ix::freeze_holder(&me, &w.pool, 0, &alices, &alice.pubkey()),
            ],
            &[],
        )
        .await
        .unwrap();
    let e = transfer(&w, &alice, &bob.pubkey(), 1_000 * UNIT).await.unwrap_err();
    assert!(matches!(e, ChainError::Program { code: ACCOUNT_FROZEN, .. }), "{e:?}");
    let p = ok(&w, &alice_file, &["position", &pool]);
    assert_eq!(p["holdings"][0]["frozen"], true, "{p}");
    refused(&w, &alice_file, &["thaw", &pool], "NotMember");
    refused(&w, &alice_file, &["deposit", &pool, "senior", "100"], "NotMember");

    // Renewed, her frozen account is thawed by the admission itself.
    let renewed = ok(&w, &w.issuer_file, &["admit", &pool, &alice.pubkey().to_string(), "--expires", &next_year()]);
    assert_eq!(renewed["thawed"], serde_json::json!([alices.to_string()]), "{renewed}");
    transfer(&w, &alice, &bob.pubkey(), 1_000 * UNIT).await.unwrap();

    // A permissionless pool's accounts are never frozen: nothing to thaw, by name.
    let base_mint = client::pool(&mut chain, &w.pool).await.unwrap().base_mint;
    let mut publishers = [Pubkey::default(); MAX_PUBLISHERS];
    publishers[0] = me;
    let params = PoolParams {
        max_oracle_age_secs: 86_400,
        max_nav_age_secs: 3_600,
        max_rate_move_bps: 100,
        pool_cap: 1_000_000 * UNIT,
        permissioned: false,
        overdue_steps: sluice::state::DEFAULT_OVERDUE_STEPS,
        redemption: RedemptionParams::RECOMMENDED,
    };
    let args = CreatePoolArgs { pool_id: 77, guardian: me, publishers, params };
    let open = client::create_pool(&mut chain, &w.issuer, &base_mint, args).await.unwrap();
    refused(&w, &alice_file, &["thaw", &open.pool.to_string()], "NotPermissioned");
    std::fs::remove_dir_all(&w.dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuer_sets_a_tranche_tokens_metadata() {
    let w = world().await;
    let pool = w.pool.to_string();
    let (_, alice_file) = investor(&w, "alice", UNIT).await;
    let mut chain = RpcChain::new(&w.net.url, w.issuer.insecure_clone());
    let mint = sluice_sdk::pda::tranche_mint(&w.pool, 0);

    // Only the symbol given: name and URI stay.
    let set = ok(&w, &w.issuer_file, &["set-metadata", &pool, "senior", "--symbol", "HT27A-S1"]);
    assert_eq!(set["before"]["symbol"], "HT27A-SR", "{set}");
    assert_eq!(set["metadata"]["symbol"], "HT27A-S1", "{set}");
    let m = client::mint_metadata(&mut chain, &mint).await.unwrap();
    assert_eq!(
        (m.name.as_str(), m.symbol.as_str(), m.uri.as_str()),
        ("Harbor Trade 2027-A Senior", "HT27A-S1", "https://harbor.example/2027-a/senior.json")
    );
    // A longer name (the authority pays the extra rent) and no URI.
    let name = "Harbor Trade Receivables 2027-A Senior Notes";
    ok(&w, &w.issuer_file, &["set-metadata", &pool, "0", "--name", name, "--uri", ""]);
    let m = client::mint_metadata(&mut chain, &mint).await.unwrap();
    assert_eq!((m.name.as_str(), m.symbol.as_str(), m.uri.as_str()), (name, "HT27A-S1", ""));
    let pools = ok(&w, &alice_file, &["pools"]);
    assert!(pools["pools"].as_array().unwrap().iter().any(|p| p["tranches"][0]["name"] == name), "{pools}");

    // Refusals: not the authority (by the program), out of bounds (before sending), nothing
    // to set (a usage error).
    refused(&w, &alice_file, &["set-metadata", &pool, "senior", "--symbol", "X"], "NotAuthority");
    let long = "S".repeat(17);
    let r = refused(&w, &w.issuer_file, &["set-metadata", &pool, "senior", "--symbol", &long], "InvalidMetadata");
    assert!(r["error"]["hint"].as_str().unwrap().contains("16"), "{r}");
    refused(&w, &w.issuer_file, &["set-metadata", &pool, "senior", "--name", ""], "InvalidMetadata");
    assert_eq!(client::mint_metadata(&mut chain, &mint).await.unwrap().symbol, "HT27A-S1");
    let (code, usage, _) = sluice(&w, &w.issuer_file, &["set-metadata", &pool, "senior"]);
    assert_eq!(code, Some(2), "{usage}");
    assert!(usage["error"]["message"].as_str().unwrap().contains("--name, --symbol or --uri"), "{usage}");
    std::fs::remove_dir_all(&w.dir).ok();
}
