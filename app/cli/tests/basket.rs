//! The basket commands end to end: `sluice basket …` with `--json` against `sluice localnet`
//! through the real RPC client, over the example migration's senior tranche: create, admit a
//! constituent, exchange in, rebalance into the pool's queue, the pool's batch pays, rebalance
//! collects into the sleeve, a sleeve redemption and an in-kind exchange out.

mod common;
use common::*;

use serde_json::Value;
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::ix;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, pda, preview};
use solana_keypair::Keypair;
use solana_signer::Signer;

const UNIT: u64 = 1_000_000;

fn view_keys(view: &client::BasketView) -> ix::BasketKeys {
    ix::BasketKeys::new(&view.basket.creator, view.basket.basket_id, view.basket.base_mint, ix::SPL_TOKEN)
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

    // The pool is permissioned: the basket's vault was made frozen, like every tranche
    // account, and stays so until the basket itself (which queues and deposits) is admitted.
    assert_eq!(added["vault_frozen"], true, "{added}");
    ok(&w, &w.issuer_file, &["admit", &pool, &alice.pubkey().to_string(), "--expires", &next_year()]);
    let d = ok(&w, &alice_file, &["deposit", &pool, "senior", "60000"]);
    let senior_tokens = u(&d["tokens"]);
    let (code, frozen, stderr) = sluice(&w, &alice_file, &["basket", "exchange-in", &basket, &pool, "senior", "100"]);
    assert_eq!(code, Some(1), "{frozen}");
    assert!(frozen["error"]["hint"].as_str().unwrap().contains("frozen"), "{frozen}");
    assert!(stderr.contains("what to do"), "{stderr}");
    let vault = pda::basket_vault(&basket_key, &pda::tranche_mint(&w.pool, 0));
    let admitted = ok(&w, &w.issuer_file, &["admit", &pool, &basket_key.to_string(), "--expires", &next_year()]);
    assert_eq!(admitted["thawed"], serde_json::json!([vault.to_string()]), "the admission thaws the vault: {admitted}");
    assert!(!client::is_frozen(&mut chain, &vault).await.unwrap());

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
    let alice_base = ix::token::associated(&ix::SPL_TOKEN, &alice.pubkey(), &base_mint);
    let base_before = client::token_balance(&mut chain, &alice_base).await.unwrap();
    let amount = sluice_sdk::units::format_amount(tokens, 6).replace(',', "");
    let paid = ok(&w, &alice_file, &["basket", "redeem", &basket, &amount]);
    assert_eq!(u(&paid["tokens"]), tokens, "{paid}");
    assert_eq!(u(&paid["paid"]), expected, "{paid}");
    assert_eq!(client::token_balance(&mut chain, &alice_base).await.unwrap() - base_before, expected);

    // An exchange out pays a slice of the senior tokens and of the sleeve, in kind.
    let view = client::basket_view(&mut chain, &basket_key).await.unwrap();
    let slices = preview::basket_exchange_out(&view, 10_000 * UNIT).unwrap();
    let alice_senior = ix::token::associated(
        &ix::TOKEN_2022,
        &alice.pubkey(),
        &client::pool(&mut chain, &w.pool).await.unwrap().tranches[0].mint,
    );
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

    // The basket token's market: the issuer opens it, Alice seeds it at the basket price,
    // buys through the CLI exactly as quoted; at the price the sleeve has nothing to buy back.
    let opened = ok(&w, &w.issuer_file, &["basket", "create-market", &basket]);
    let m = ix::BasketMarketKeys::new(&ix::BasketKeys::new(&w.issuer.pubkey(), 1, base_mint, ix::SPL_TOKEN));
    assert_eq!(opened["market"], m.market.to_string(), "{opened}");
    let me = alice.pubkey();
    let trader = ix::BasketTrader {
        user: me,
        token_account: ix::token::associated(&ix::TOKEN_2022, &me, &pda::basket_mint(&basket_key)),
        base_account: alice_base,
        lp_account: Some(ix::token::associated(&ix::TOKEN_2022, &me, &m.lp_mint)),
    };
    let view = client::basket_view(&mut chain, &basket_key).await.unwrap();
    let now = chain.now().await.unwrap();
    let seed = 5_000 * UNIT;
    let seed_base = (seed as u128 * view.value(now).unwrap().0 as u128 / view.basket.supply as u128) as u64;
    let mut alice_chain = RpcChain::new(&w.net.url, alice.insecure_clone());
    alice_chain
        .send(
            &[
                ix::token::create_associated(&ix::TOKEN_2022, &me, &me, &m.lp_mint),
                ix::add_basket_liquidity(&view_keys(&view), &m, &trader, 0, seed, seed_base),
            ],
            &[],
        )
        .await
        .unwrap();
    let (market, reserves) = client::basket_market_reserves(&mut chain, &m.market).await.unwrap();
    let quote = preview::basket_swap_quote(&view, &market, reserves, true, 100 * UNIT, now).unwrap();
    let bought = ok(&w, &alice_file, &["basket", "swap", &basket, "buy", "100"]);
    assert_eq!(u(&bought["amount_out"]), quote.quote.amount_out, "{bought}");
    refused(&w, &alice_file, &["basket", "buyback", &basket], "NothingToProcess");
    std::fs::remove_dir_all(&w.dir).ok();
}
