//! The PubSub websocket answers as a validator's: subscriptions notify with the validator's
//! shapes when transactions, accounts, logs and slots change, unsubscribing stops them, and
//! the standard Rust PubSub client reads every notification.

mod common;

use std::time::Duration;

use common::{funded, node, rpc, send, transfer, Ws, SOL};
use futures_util::StreamExt;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcSignatureSubscribeConfig, RpcTransactionLogsConfig, RpcTransactionLogsFilter,
};
use solana_rpc_client_api::response::{ProcessedSignatureResult, RpcSignatureResult};
use solana_signer::Signer;

use sluice_sdk::chain::DevChain;
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, Pubkey};

const QUIET: Duration = Duration::from_millis(400);
const SYSTEM: &str = "11111111111111111111111111111111";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_subscription_fires_once_for_a_sent_transfer() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 2 * SOL).await;
    let to = Pubkey::new_unique();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1_000_000);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
    let signature = tx.signatures[0];

    let mut ws = Ws::connect(&net.ws_url).await;
    let sub = ws.subscribe("signatureSubscribe", json!([signature.to_string(), { "commitment": "confirmed" }])).await;
    assert!(ws.notification(QUIET).await.is_none(), "notified before the transaction was sent");
    rpc.send_transaction(&tx).await.unwrap();

    let result = ws.expect("signatureNotification", sub).await;
    let status = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone().unwrap();
    assert_eq!(result["context"]["slot"], json!(status.slot));
    assert_eq!(result["value"], json!({ "err": null }));
    assert!(ws.notification(QUIET).await.is_none(), "a signature notifies once");
    // It unsubscribed itself with its notification.
    let e = ws.call("signatureUnsubscribe", json!([sub])).await.unwrap_err();
    assert_eq!(e["code"], json!(-32602), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_already_processed_is_notified_at_once_with_its_error() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, SOL).await;
    // More than the payer holds: committed as failed (the fee is charged) without preflight.
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &Pubkey::new_unique(), 5 * SOL);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
    let config = solana_rpc_client_api::config::RpcSendTransactionConfig { skip_preflight: true, ..Default::default() };
    let signature = rpc.send_transaction_with_config(&tx, config).await.unwrap();

    let mut ws = Ws::connect(&net.ws_url).await;
    let sub = ws
        .subscribe("signatureSubscribe", json!([signature.to_string(), { "enableReceivedNotification": true }]))
        .await;
    let received = ws.expect("signatureNotification", sub).await;
    assert_eq!(received["value"], json!("receivedSignature"));
    let processed = ws.expect("signatureNotification", sub).await;
    assert_eq!(processed["value"]["err"], json!({ "InstructionError": [0, { "Custom": 1 }] }), "{processed}");
    assert!(ws.notification(QUIET).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_subscription_sees_each_change_until_unsubscribed() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 2 * SOL).await;
    let to = Pubkey::new_unique();
    let mut ws = Ws::connect(&net.ws_url).await;
    let account = ws.subscribe("accountSubscribe", json!([to.to_string(), { "encoding": "base64" }])).await;
    // The slot subscription shows when a transaction has been processed.
    let slots = ws.subscribe("slotSubscribe", json!([])).await;

    let signature = transfer(&rpc, &payer, &to, 3_000_000).await;
    let slot = ws.expect("slotNotification", slots).await["slot"].as_u64().unwrap();
    let result = ws.expect("accountNotification", account).await;
    assert_eq!(result["context"]["slot"], json!(slot));
    assert_eq!(result["value"]["lamports"], json!(3_000_000));
    assert_eq!(result["value"]["owner"], json!(SYSTEM));
    assert_eq!(result["value"]["data"], json!(["", "base64"]));
    let status = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone().unwrap();
    assert_eq!(status.slot, slot);

    // A transaction that leaves the account alone does not notify it.
    transfer(&rpc, &payer, &Pubkey::new_unique(), 1_000_000).await;
    ws.expect("slotNotification", slots).await;
    transfer(&rpc, &payer, &to, 1_000_000).await;
    ws.expect("slotNotification", slots).await;
    assert_eq!(ws.expect("accountNotification", account).await["value"]["lamports"], json!(4_000_000));

    assert_eq!(ws.call("accountUnsubscribe", json!([account])).await.unwrap(), json!(true));
    transfer(&rpc, &payer, &to, 1_000_000).await;
    ws.expect("slotNotification", slots).await;
    assert!(ws.notification(QUIET).await.is_none(), "notified after unsubscribing");
    assert_eq!(rpc.get_balance(&to).await.unwrap(), 5_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_subscription_with_mentions_sees_only_transactions_naming_the_key() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 2 * SOL).await;
    let (watched, other) = (Pubkey::new_unique(), Pubkey::new_unique());
    let mut ws = Ws::connect(&net.ws_url).await;
    let mentions = ws.subscribe("logsSubscribe", json!([{ "mentions": [watched.to_string()] }])).await;
    let all = ws.subscribe("logsSubscribe", json!(["all", { "commitment": "finalized" }])).await;

    let to_other = transfer(&rpc, &payer, &other, 1_000_000).await;
    let to_watched = transfer(&rpc, &payer, &watched, 1_000_000).await;

    let first = ws.expect("logsNotification", all).await;
    assert_eq!(first["value"]["signature"], json!(to_other.to_string()));
    let second = ws.expect("logsNotification", mentions).await;
    assert_eq!(second["value"]["signature"], json!(to_watched.to_string()));
    assert_eq!(second["value"]["err"], json!(null));
    let logs: Vec<String> = serde_json::from_value(second["value"]["logs"].clone()).unwrap();
    assert_eq!(logs, vec![format!("Program {SYSTEM} invoke [1]"), format!("Program {SYSTEM} success")]);
    let third = ws.expect("logsNotification", all).await;
    assert_eq!(third["value"]["signature"], json!(to_watched.to_string()));
    assert!(ws.notification(QUIET).await.is_none());

    assert_eq!(ws.call("logsUnsubscribe", json!([mentions])).await.unwrap(), json!(true));
    transfer(&rpc, &payer, &watched, 1_000_000).await;
    assert_eq!(ws.expect("logsNotification", all).await["value"]["err"], json!(null));
    assert!(ws.notification(QUIET).await.is_none(), "the mentions subscription is gone");

    let e = ws.call("logsSubscribe", json!([{ "mentions": [watched.to_string(), other.to_string()] }])).await;
    assert_eq!(e.unwrap_err()["code"], json!(-32602));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_subscription_sees_the_slot_move_with_each_transaction_and_clock_move() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 2 * SOL).await;
    let mut chain = RpcChain::new(&net.url, payer.insecure_clone());
    let mut ws = Ws::connect(&net.ws_url).await;
    let slots = ws.subscribe("slotSubscribe", json!([])).await;
    let s0 = rpc.get_slot().await.unwrap();
    let h0 = rpc.get_block_height().await.unwrap();

    transfer(&rpc, &payer, &Pubkey::new_unique(), 1_000_000).await;
    assert_eq!(ws.expect("slotNotification", slots).await, json!({ "slot": s0 + 1, "parent": s0, "root": s0 }));
    assert_eq!(rpc.get_slot().await.unwrap(), s0 + 1);
    assert_eq!(rpc.get_block_height().await.unwrap(), h0 + 1);

    // The clock moves by what it is told, and only then: slots do not move it.
    let t0 = sluice_sdk::chain::Chain::now(&mut chain).await.unwrap();
    chain.advance_clock(600).await.unwrap();
    assert_eq!(ws.expect("slotNotification", slots).await["slot"], json!(s0 + 2));
    for _ in 0..3 {
        transfer(&rpc, &payer, &Pubkey::new_unique(), 1_000_000).await;
        ws.expect("slotNotification", slots).await;
    }
    assert_eq!(sluice_sdk::chain::Chain::now(&mut chain).await.unwrap(), t0 + 600);
    assert_eq!(rpc.get_slot().await.unwrap(), s0 + 5);
    assert_eq!(rpc.get_block_time(s0 + 5).await.unwrap(), t0 + 600);
    assert_eq!(rpc.get_block_time(s0 + 1).await.unwrap(), t0);

    assert_eq!(ws.call("slotUnsubscribe", json!([slots])).await.unwrap(), json!(true));
    transfer(&rpc, &payer, &Pubkey::new_unique(), 1_000_000).await;
    assert!(ws.notification(QUIET).await.is_none(), "notified after unsubscribing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn program_subscription_applies_data_size_and_memcmp_filters() {
    let net = node();
    let rpc = rpc(&net);
    let authority = funded(&rpc, 5 * SOL).await;
    let mut chain = RpcChain::new(&net.url, authority.insecure_clone());
    let program = sluice_sdk::ix::SPL_TOKEN;
    let mint = client::create_mint_of(&mut chain, &program, &authority.pubkey(), 6).await.unwrap();
    let holder = Pubkey::new_unique();
    let account = client::create_token_account(&mut chain, &mint, &holder).await.unwrap();

    let mut ws = Ws::connect(&net.ws_url).await;
    let of_mint = ws
        .subscribe(
            "programSubscribe",
            json!([program.to_string(), {
                "encoding": "jsonParsed",
                "filters": [{ "dataSize": 165 }, { "memcmp": { "offset": 0, "bytes": mint.to_string() } }],
            }]),
        )
        .await;
    let of_other_mint = ws
        .subscribe(
            "programSubscribe",
            json!([program.to_string(), {
                "encoding": "base64",
                "filters": [{ "memcmp": { "offset": 0, "bytes": Pubkey::new_unique().to_string() } }],
            }]),
        )
        .await;
    let mints = ws
        .subscribe(
            "programSubscribe",
            json!([program.to_string(), { "filters": [{ "dataSize": 82 }], "encoding": "base64" }]),
        )
        .await;

    client::mint_to(&mut chain, &mint, &account, &authority, 2_500_000).await.unwrap();
    // One transaction changed the mint (supply) and the account (amount), in key order.
    let mut seen = vec![];
    for _ in 0..2 {
        let n = ws.notification(Duration::from_secs(10)).await.expect("a program notification");
        assert_eq!(n["method"], json!("programNotification"), "{n}");
        seen.push((n["params"]["subscription"].as_u64().unwrap(), n["params"]["result"].clone()));
    }
    seen.sort_by_key(|(sub, _)| *sub);
    assert_eq!(seen[0].0, of_mint);
    let value = &seen[0].1["value"];
    assert_eq!(value["pubkey"], json!(account.to_string()));
    let info = &value["account"]["data"]["parsed"]["info"];
    assert_eq!(info["tokenAmount"]["amount"], json!("2500000"), "{value}");
    assert_eq!(info["tokenAmount"]["uiAmountString"], json!("2.5"));
    assert_eq!(info["owner"], json!(holder.to_string()));
    assert_eq!(seen[1].0, mints);
    assert_eq!(seen[1].1["value"]["pubkey"], json!(mint.to_string()));
    assert!(ws.notification(QUIET).await.is_none(), "the other mint's subscription stays quiet");
    assert_eq!(ws.call("programUnsubscribe", json!([of_other_mint])).await.unwrap(), json!(true));
}

async fn within<F: std::future::Future>(f: F) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::time::timeout(Duration::from_secs(10), f).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_solana_pubsub_client_reads_every_notification_kind() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 2 * SOL).await;
    let to = Keypair::new().pubkey();
    let pubsub = PubsubClient::new(&net.ws_url).await.unwrap();
    let confirmed = Some(CommitmentConfig::confirmed());

    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 7_000_000);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
    let config = RpcSignatureSubscribeConfig { commitment: confirmed, enable_received_notification: None };
    let (mut signature, _unsub_signature) = pubsub.signature_subscribe(&tx.signatures[0], Some(config)).await.unwrap();
    let account_config = RpcAccountInfoConfig { commitment: confirmed, ..Default::default() };
    let (mut account, _unsub_account) = pubsub.account_subscribe(&to, Some(account_config)).await.unwrap();
    let (mut logs, _unsub_logs) = pubsub
        .logs_subscribe(
            RpcTransactionLogsFilter::Mentions(vec![to.to_string()]),
            RpcTransactionLogsConfig { commitment: confirmed },
        )
        .await
        .unwrap();
    let (mut slots, unsub_slots) = pubsub.slot_subscribe().await.unwrap();

    rpc.send_transaction(&tx).await.unwrap();
    let s = within(signature.next()).await.unwrap().unwrap();
    assert_eq!(s.value, RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err: None }));
    let a = within(account.next()).await.unwrap().unwrap();
    assert_eq!((a.value.lamports, a.context.slot), (7_000_000, s.context.slot));
    let l = within(logs.next()).await.unwrap().unwrap();
    assert_eq!(l.value.signature, tx.signatures[0].to_string());
    let slot = within(slots.next()).await.unwrap().unwrap();
    assert_eq!(slot.slot, s.context.slot);
    unsub_slots().await;
    send(&rpc, &[solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1)], &payer, &[]).await;
    assert_eq!(within(account.next()).await.unwrap().unwrap().value.lamports, 7_000_001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pubsub_methods_bad_ids_and_batches_get_json_rpc_answers() {
    let net = node();
    let mut ws = Ws::connect(&net.ws_url).await;
    assert_eq!(ws.call("blockSubscribeNope", json!([])).await.unwrap_err()["code"], json!(-32601));
    assert_eq!(ws.call("slotUnsubscribe", json!([987_654])).await.unwrap_err()["code"], json!(-32602));
    assert_eq!(ws.call("accountSubscribe", json!(["not-a-key"])).await.unwrap_err()["code"], json!(-32602));

    ws.send_text(
        json!([
            { "jsonrpc": "2.0", "id": 10, "method": "slotSubscribe" },
            { "jsonrpc": "2.0", "id": 11, "method": "rootSubscribe" },
            { "jsonrpc": "2.0", "id": 12, "method": "nope" },
        ])
        .to_string(),
    )
    .await;
    let batch = ws.reply().await;
    let batch = batch.as_array().expect("a batch answer");
    assert_eq!(batch.len(), 3);
    let (slot_sub, root_sub) = (batch[0]["result"].as_u64().unwrap(), batch[1]["result"].as_u64().unwrap());
    assert_ne!(slot_sub, root_sub);
    assert_eq!(batch[2]["error"]["code"], json!(-32601));

    ws.send_text("{nope".into()).await;
    assert_eq!(ws.reply().await["error"]["code"], json!(-32700));

    let rpc = rpc(&net);
    let payer = funded(&rpc, SOL).await;
    let slot = ws.expect("slotNotification", slot_sub).await["slot"].as_u64().unwrap();
    assert_eq!(ws.expect("rootNotification", root_sub).await, json!(slot - 1));
    assert_eq!(rpc.get_balance(&payer.pubkey()).await.unwrap(), SOL);
}
