//! The node keeps a ledger and answers the history, token and cluster methods as a validator
//! does: through the standard RPC client (which parses the validator's result types) and as
//! raw JSON.
#![allow(deprecated)] // RpcClient's signature-list config

mod common;

use base64::Engine;
use common::{funded, json_body, node, post, rpc, send, transfer, SOL};
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::{v0, VersionedMessage};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::config::{RpcBlockConfig, RpcTransactionConfig};
use solana_rpc_client_api::request::{RpcRequest, TokenAccountsFilter};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedTransaction, TransactionDetails, UiTransactionEncoding, UiTransactionTokenBalance,
};

use sluice_sdk::ix::{self, token};
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, Pubkey};

const MEMO: Pubkey = anchor_lang::pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

async fn raw(rpc: &RpcClient, method: &'static str, params: Value) -> Result<Value, i64> {
    rpc.send::<Value>(RpcRequest::Custom { method }, params).await.map_err(|e| match e.kind() {
        solana_rpc_client_api::client_error::ErrorKind::RpcError(
            solana_rpc_client_api::request::RpcError::RpcResponseError { code, .. },
        ) => *code,
        other => panic!("not an RPC error object: {other:?}"),
    })
}

fn amount_of(balances: &[UiTransactionTokenBalance], index: u8) -> String {
    balances.iter().find(|b| b.account_index == index).map(|b| b.ui_token_amount.amount.clone()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_transaction_reports_logs_balances_and_token_balances_of_a_token_transfer() {
    let net = node();
    let rpc = rpc(&net);
    let authority = funded(&rpc, 5 * SOL).await;
    let mut chain = RpcChain::new(&net.url, authority.insecure_clone());
    let mint = client::create_mint_of(&mut chain, &ix::TOKEN_2022, &authority.pubkey(), 6).await.unwrap();
    let (alice, bob) = (Keypair::new(), Pubkey::new_unique());
    let from = client::create_token_account(&mut chain, &mint, &alice.pubkey()).await.unwrap();
    let to = client::create_token_account(&mut chain, &mint, &bob).await.unwrap();
    client::mint_to(&mut chain, &mint, &from, &authority, 1_000_000).await.unwrap();

    let transfer_ix = token::transfer_checked(&ix::TOKEN_2022, &from, &mint, &to, &alice.pubkey(), 400_000, 6);
    let signature = send(&rpc, &[transfer_ix], &authority, &[&alice]).await;

    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Json),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let got = rpc.get_transaction_with_config(&signature, config).await.unwrap();
    let status = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone().unwrap();
    assert_eq!(got.slot, status.slot);
    assert_eq!(got.block_time, Some(rpc.get_block_time(got.slot).await.unwrap()));
    let EncodedTransaction::Json(ui) = &got.transaction.transaction else { panic!("json encoding") };
    assert_eq!(ui.signatures.first(), Some(&signature.to_string()));
    assert_eq!(ui.signatures.len(), 2, "the payer and alice sign");
    let meta = got.transaction.meta.unwrap();
    assert!(meta.err.is_none());
    assert_eq!(meta.fee, 10_000, "two signatures");
    // Keys: payer, alice, from, to, mint, the Token-2022 program.
    assert_eq!((meta.pre_balances.len(), meta.post_balances.len()), (6, 6));
    assert_eq!(meta.post_balances[0], meta.pre_balances[0] - meta.fee);
    let OptionSerializer::Some(logs) = meta.log_messages else { panic!("logs") };
    assert_eq!(logs.first().unwrap(), &format!("Program {} invoke [1]", ix::TOKEN_2022));
    assert_eq!(logs.last().unwrap(), &format!("Program {} success", ix::TOKEN_2022));
    let (OptionSerializer::Some(pre), OptionSerializer::Some(post)) =
        (meta.pre_token_balances, meta.post_token_balances)
    else {
        panic!("token balances")
    };
    let solana_transaction_status_client_types::UiMessage::Raw(message) = &ui.message else { panic!("raw message") };
    let index = |key: &Pubkey| message.account_keys.iter().position(|k| *k == key.to_string()).unwrap() as u8;
    let (source_index, destination_index) = (index(&from), index(&to));
    assert_eq!(amount_of(&pre, source_index), "1000000");
    assert_eq!(amount_of(&pre, destination_index), "0");
    assert_eq!(amount_of(&post, source_index), "600000");
    assert_eq!(amount_of(&post, destination_index), "400000");
    let source = post.iter().find(|b| b.account_index == source_index).unwrap();
    assert_eq!(source.mint, mint.to_string());
    assert_eq!(source.owner, OptionSerializer::Some(alice.pubkey().to_string()));
    assert_eq!(source.program_id, OptionSerializer::Some(ix::TOKEN_2022.to_string()));
    assert_eq!(source.ui_token_amount.ui_amount_string, "0.6");
    let OptionSerializer::Some(units) = meta.compute_units_consumed else { panic!("units") };
    assert!(units > 0, "the token program runs metered");

    // base64 carries the transaction as sent; base58 too.
    let b64 = raw(&rpc, "getTransaction", json!([signature.to_string(), { "encoding": "base64" }])).await.unwrap();
    assert_eq!(b64["transaction"][1], json!("base64"));
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64["transaction"][0].as_str().unwrap()).unwrap();
    let decoded: VersionedTransaction = bincode::deserialize(&bytes).unwrap();
    assert_eq!(decoded.signatures[0], signature);
    assert!(b64.get("version").is_none(), "no version without maxSupportedTransactionVersion");
    let b58 = raw(&rpc, "getTransaction", json!([signature.to_string(), "base58"])).await.unwrap();
    assert_eq!(bs58::decode(b58["transaction"][0].as_str().unwrap()).into_vec().unwrap(), bytes);
    let parsed =
        raw(&rpc, "getTransaction", json!([signature.to_string(), { "encoding": "jsonParsed" }])).await.unwrap();
    let instruction = &parsed["transaction"]["message"]["instructions"][0];
    assert_eq!(instruction["parsed"]["type"], json!("transferChecked"), "{instruction}");

    assert_eq!(raw(&rpc, "getTransaction", json!([Signature::from([7; 64]).to_string()])).await.unwrap(), Value::Null);
    let processed = raw(&rpc, "getTransaction", json!([signature.to_string(), { "commitment": "processed" }])).await;
    assert_eq!(processed.unwrap_err(), -32602, "a validator keeps no history below confirmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versioned_transactions_and_inner_instructions_are_served_as_a_validator_serves_them() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 5 * SOL).await;
    let mut chain = RpcChain::new(&net.url, payer.insecure_clone());
    let mint = client::create_mint_of(&mut chain, &ix::SPL_TOKEN, &payer.pubkey(), 2).await.unwrap();
    let wallet = Pubkey::new_unique();
    // The associated token program creates the account through the system and token programs.
    let create = token::create_associated(&ix::SPL_TOKEN, &payer.pubkey(), &wallet, &mint);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let message = v0::Message::try_compile(&payer.pubkey(), &[create], &[], blockhash).unwrap();
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[&payer]).unwrap();
    let signature = rpc.send_transaction(&tx).await.unwrap();

    let legacy_only = raw(&rpc, "getTransaction", json!([signature.to_string(), "json"])).await;
    assert_eq!(legacy_only.unwrap_err(), -32015);
    let got = raw(&rpc, "getTransaction", json!([signature.to_string(), { "maxSupportedTransactionVersion": 0 }]))
        .await
        .unwrap();
    assert_eq!(got["version"], json!(0));
    let inner = got["meta"]["innerInstructions"].as_array().expect("inner instructions");
    assert_eq!(inner.len(), 1, "{inner:?}");
    assert_eq!(inner[0]["index"], json!(0));
    assert!(inner[0]["instructions"].as_array().unwrap().len() >= 2, "{inner:?}");
    assert_eq!(got["meta"]["loadedAddresses"], json!({ "writable": [], "readonly": [] }));
    let ata = token::associated(&ix::SPL_TOKEN, &wallet, &mint);
    let post = &got["meta"]["postTokenBalances"];
    assert_eq!(post[0]["uiTokenAmount"]["amount"], json!("0"), "{post}");
    assert_eq!(post[0]["owner"], json!(wallet.to_string()));
    assert!(rpc.get_account(&ata).await.is_ok());

    // Blocks: the slot holds just this transaction.
    let slot = got["slot"].as_u64().unwrap();
    let config = RpcBlockConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        transaction_details: Some(TransactionDetails::Full),
        rewards: Some(false),
        commitment: Some(CommitmentConfig::finalized()),
        max_supported_transaction_version: Some(0),
    };
    let block = rpc.get_block_with_config(slot, config).await.unwrap();
    assert_eq!(block.parent_slot, slot - 1);
    assert_eq!(block.block_height, Some(rpc.get_block_height().await.unwrap()));
    let txs = block.transactions.unwrap();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0].transaction.decode().unwrap().signatures[0], signature);
    let signatures = raw(
        &rpc,
        "getBlock",
        json!([slot, { "transactionDetails": "signatures", "maxSupportedTransactionVersion": 0 }]),
    )
    .await
    .unwrap();
    assert_eq!(signatures["signatures"], json!([signature.to_string()]));
    let previous = rpc
        .get_block_with_config(
            slot - 1,
            RpcBlockConfig { max_supported_transaction_version: Some(0), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(block.previous_blockhash, previous.blockhash, "blocks chain");
    assert_eq!(raw(&rpc, "getBlock", json!([slot, "json"])).await.unwrap_err(), -32015);
    assert_eq!(raw(&rpc, "getBlock", json!([slot + 100])).await.unwrap_err(), -32004);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v0_transaction_loads_its_lookup_table_accounts_into_the_meta() {
    use solana_address_lookup_table_interface::instruction::{create_lookup_table, extend_lookup_table};
    use solana_address_lookup_table_interface::state::AddressLookupTable;

    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 5 * SOL).await;
    let (to, untouched) = (Pubkey::new_unique(), Pubkey::new_unique());
    let (create, table) = create_lookup_table(payer.pubkey(), payer.pubkey(), rpc.get_slot().await.unwrap());
    send(&rpc, &[create], &payer, &[]).await;
    send(&rpc, &[extend_lookup_table(table, payer.pubkey(), Some(payer.pubkey()), vec![to, untouched])], &payer, &[])
        .await;

    let lookup = solana_message::AddressLookupTableAccount { key: table, addresses: vec![to, untouched] };
    let pay = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 2_000_000);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let message = v0::Message::try_compile(&payer.pubkey(), &[pay], &[lookup], blockhash).unwrap();
    assert_eq!(message.address_table_lookups.len(), 1, "the destination comes from the table");
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[&payer]).unwrap();
    let signature = rpc.send_transaction(&tx).await.unwrap();

    let got = raw(&rpc, "getTransaction", json!([signature.to_string(), { "maxSupportedTransactionVersion": 0 }]))
        .await
        .unwrap();
    assert_eq!(got["meta"]["err"], json!(null), "{}", got["meta"]);
    assert_eq!(got["meta"]["loadedAddresses"], json!({ "writable": [to.to_string()], "readonly": [] }));
    // Keys: payer, the system program, then the loaded destination.
    assert_eq!(got["meta"]["preBalances"][2], json!(0));
    assert_eq!(got["meta"]["postBalances"][2], json!(2_000_000));
    let listed = rpc.get_signatures_for_address(&to).await.unwrap();
    assert_eq!(listed[0].signature, signature.to_string(), "a loaded address is indexed too");
    assert!(rpc.get_signatures_for_address(&untouched).await.unwrap().is_empty());
    let data = rpc.get_account_data(&table).await.unwrap();
    assert_eq!(AddressLookupTable::deserialize(&data).unwrap().addresses.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_for_an_address_come_newest_first_with_limit_before_and_until() {
    let net = node();
    let rpc = rpc(&net);
    let payer = funded(&rpc, 5 * SOL).await;
    let to = Pubkey::new_unique();
    let mut sent = vec![];
    for i in 0..3 {
        sent.push(transfer(&rpc, &payer, &to, 1_000_000 + i).await);
    }
    transfer(&rpc, &payer, &Pubkey::new_unique(), 1_000_000).await; // not naming `to`
    let memo = anchor_lang::solana_program::instruction::Instruction {
        program_id: MEMO,
        accounts: vec![anchor_lang::solana_program::instruction::AccountMeta::new_readonly(payer.pubkey(), true)],
        data: b"hello".to_vec(),
    };
    let pay = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 5);
    sent.push(send(&rpc, &[memo, pay], &payer, &[]).await);

    let all = rpc.get_signatures_for_address(&to).await.unwrap();
    let listed: Vec<String> = all.iter().map(|s| s.signature.clone()).collect();
    assert_eq!(listed, sent.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>());
    assert!(all.windows(2).all(|w| w[0].slot > w[1].slot));
    assert_eq!(all[0].memo.as_deref(), Some("[5] hello"));
    assert_eq!(all[1].memo, None);
    assert!(all.iter().all(|s| s.err.is_none() && s.block_time.is_some()));
    assert_eq!(
        all[0].confirmation_status,
        Some(solana_transaction_status_client_types::TransactionConfirmationStatus::Finalized)
    );

    let page = |before: Option<Signature>, until: Option<Signature>, limit| {
        let config = GetConfirmedSignaturesForAddress2Config {
            before,
            until,
            limit,
            commitment: Some(CommitmentConfig::confirmed()),
        };
        let rpc = &rpc;
        async move {
            rpc.get_signatures_for_address_with_config(&to, config)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.signature)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page(None, None, Some(2)).await, listed[..2]);
    assert_eq!(page(Some(sent[2]), None, None).await, vec![sent[1].to_string(), sent[0].to_string()]);
    assert_eq!(page(Some(sent[3]), Some(sent[0]), None).await, vec![sent[2].to_string(), sent[1].to_string()]);
    assert_eq!(page(Some(Signature::from([7; 64])), None, None).await, Vec::<String>::new());
    let over = raw(&rpc, "getSignaturesForAddress", json!([to.to_string(), { "limit": 1001 }])).await;
    assert_eq!(over.unwrap_err(), -32602);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_queries_find_accounts_of_both_programs_and_agree_with_the_mint() {
    let net = node();
    let rpc = rpc(&net);
    let authority = funded(&rpc, 10 * SOL).await;
    let mut chain = RpcChain::new(&net.url, authority.insecure_clone());
    let owner = Pubkey::new_unique();
    let mut found = vec![];
    for (program, decimals) in [(ix::SPL_TOKEN, 6u8), (ix::TOKEN_2022, 9u8)] {
        let mint = client::create_mint_of(&mut chain, &program, &authority.pubkey(), decimals).await.unwrap();
        let mine = client::create_token_account(&mut chain, &mint, &owner).await.unwrap();
        let big = client::create_token_account(&mut chain, &mint, &Pubkey::new_unique()).await.unwrap();
        let small = client::create_token_account(&mut chain, &mint, &Pubkey::new_unique()).await.unwrap();
        client::mint_to(&mut chain, &mint, &mine, &authority, 3_000).await.unwrap();
        client::mint_to(&mut chain, &mint, &big, &authority, 50_000).await.unwrap();
        client::mint_to(&mut chain, &mint, &small, &authority, 20).await.unwrap();
        found.push((program, mint, mine, big, small, decimals));
    }

    for (program, mint, mine, big, small, decimals) in &found {
        let by_program =
            rpc.get_token_accounts_by_owner(&owner, TokenAccountsFilter::ProgramId(*program)).await.unwrap();
        assert_eq!(by_program.iter().map(|a| a.pubkey.clone()).collect::<Vec<_>>(), vec![mine.to_string()]);
        let by_mint = rpc.get_token_accounts_by_owner(&owner, TokenAccountsFilter::Mint(*mint)).await.unwrap();
        assert_eq!(by_mint.len(), 1);
        let solana_account_decoder::UiAccountData::Json(parsed) = &by_mint[0].account.data else {
            panic!("jsonParsed: {:?}", by_mint[0].account.data)
        };
        assert_eq!(parsed.program, if *program == ix::SPL_TOKEN { "spl-token" } else { "spl-token-2022" });
        assert_eq!(parsed.parsed["info"]["tokenAmount"]["amount"], json!("3000"));
        assert_eq!(parsed.parsed["info"]["mint"], json!(mint.to_string()));
        let raw_b64 = raw(
            &rpc,
            "getTokenAccountsByOwner",
            json!([owner.to_string(), { "programId": program.to_string() }, { "encoding": "base64" }]),
        )
        .await
        .unwrap();
        assert_eq!(raw_b64["value"][0]["account"]["data"][1], json!("base64"));
        assert!(raw_b64["context"]["slot"].as_u64().unwrap() > 0);

        let supply = rpc.get_token_supply(mint).await.unwrap();
        assert_eq!((supply.amount.as_str(), supply.decimals), ("53020", *decimals));
        let balance = rpc.get_token_account_balance(mine).await.unwrap();
        assert_eq!((balance.amount.as_str(), balance.decimals), ("3000", *decimals));
        let largest = rpc.get_token_largest_accounts(mint).await.unwrap();
        let order: Vec<String> = largest.iter().map(|a| a.address.clone()).collect();
        assert_eq!(order, vec![big.to_string(), mine.to_string(), small.to_string()]);
        let total: u64 = largest.iter().map(|a| a.amount.amount.parse::<u64>().unwrap()).sum();
        assert_eq!(total.to_string(), supply.amount, "the largest accounts hold the whole supply");
    }
    let (_, mint, mine, ..) = found[0];
    assert_eq!(raw(&rpc, "getTokenSupply", json!([mine.to_string()])).await.unwrap_err(), -32602);
    assert_eq!(raw(&rpc, "getTokenAccountBalance", json!([mint.to_string()])).await.unwrap_err(), -32602);
    let bad_program = json!([owner.to_string(), { "programId": Pubkey::new_unique().to_string() }]);
    assert_eq!(raw(&rpc, "getTokenAccountsByOwner", bad_program).await.unwrap_err(), -32602);
    // getAccountInfo's jsonParsed reads token accounts too (it needs the mint's decimals).
    let info = raw(&rpc, "getAccountInfo", json!([mine.to_string(), { "encoding": "jsonParsed" }])).await.unwrap();
    assert_eq!(info["value"]["data"]["parsed"]["info"]["tokenAmount"]["decimals"], json!(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_methods_follow_the_slots_the_node_produced() {
    let net = node();
    let rpc = rpc(&net);
    let first = rpc.minimum_ledger_slot().await.unwrap();
    assert_eq!(rpc.get_first_available_block().await.unwrap(), first);
    let payer = funded(&rpc, 5 * SOL).await;
    // A transaction offering a compute-unit price.
    let mut price = vec![3u8];
    price.extend_from_slice(&7_500u64.to_le_bytes());
    let budget = anchor_lang::solana_program::instruction::Instruction {
        program_id: anchor_lang::pubkey!("ComputeBudget111111111111111111111111111111"),
        accounts: vec![],
        data: price,
    };
    let pay = solana_system_interface::instruction::transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_000);
    send(&rpc, &[budget.clone(), pay.clone()], &payer, &[]).await;
    let slot = rpc.get_slot().await.unwrap();
    assert_eq!(rpc.get_transaction_count().await.unwrap(), 2, "the airdrop and the payment");

    let epoch = rpc.get_epoch_info().await.unwrap();
    assert_eq!((epoch.absolute_slot, epoch.block_height), (slot, rpc.get_block_height().await.unwrap()));
    assert_eq!(epoch.transaction_count, Some(2));
    let schedule = rpc.get_epoch_schedule().await.unwrap();
    assert_eq!(schedule.get_epoch_and_slot_index(slot), (epoch.epoch, epoch.slot_index));
    assert_eq!(rpc.get_blocks(first, None).await.unwrap(), (first..=slot).collect::<Vec<_>>());
    assert_eq!(rpc.get_blocks_with_limit(first, 2).await.unwrap(), vec![first, first + 1]);

    let fees = rpc.get_recent_prioritization_fees(&[payer.pubkey()]).await.unwrap();
    assert_eq!(fees.last().map(|f| (f.slot, f.prioritization_fee)), Some((slot, 7_500)));
    assert!(fees.windows(2).all(|w| w[0].slot < w[1].slot));

    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let message = solana_message::Message::new_with_blockhash(&[budget, pay], Some(&payer.pubkey()), &blockhash);
    let fee = rpc.get_fee_for_message(&message).await.unwrap();
    assert!(fee > 5_000, "a priority fee on top of the signature's: {fee}");
    assert!(rpc.is_blockhash_valid(&blockhash, CommitmentConfig::confirmed()).await.unwrap());
    assert!(!rpc.is_blockhash_valid(&solana_hash::Hash::new_unique(), CommitmentConfig::confirmed()).await.unwrap());
    let too_late = raw(&rpc, "getBalance", json!([payer.pubkey().to_string(), { "minContextSlot": slot + 10 }])).await;
    assert_eq!(too_late.unwrap_err(), -32016);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_batches_unknown_methods_and_browser_preflights_get_their_answers() {
    let net = node();
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "getSlot" },
        { "jsonrpc": "2.0", "id": 2, "method": "getNothing", "params": [] },
        { "jsonrpc": "2.0", "id": 3, "method": "getBalance", "params": ["not-a-key"] },
        { "jsonrpc": "2.0", "id": 4, "method": "getHealth" },
    ]);
    let response = post(&net.url, &batch.to_string());
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let answers = json_body(&response);
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 4);
    assert!(answers[0]["result"].as_u64().is_some());
    assert_eq!(answers[1]["error"]["code"], json!(-32601));
    assert_eq!(answers[1]["id"], json!(2));
    assert_eq!(answers[2]["error"]["code"], json!(-32602));
    assert_eq!(answers[3]["result"], json!("ok"));

    let one = json_body(&post(&net.url, r#"{"jsonrpc":"2.0","id":"x","method":"getFirstAvailableBlockNope"}"#));
    assert_eq!((one["id"].clone(), one["error"]["code"].clone()), (json!("x"), json!(-32601)));

    // A browser app on another origin asks first.
    use std::io::{Read, Write};
    let addr = net.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let preflight = format!(
        "OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
    );
    s.write_all(preflight.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.to_ascii_lowercase().contains("access-control-allow-origin: *"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_events_and_refusals_reach_clients_in_the_validator_log_form() {
    use anchor_lang::Discriminator;
    use sluice::instructions::CreatePoolArgs;
    use sluice::state::{PoolParams, RedemptionParams};

    let net = node();
    let rpc = rpc(&net);
    let authority = funded(&rpc, 10 * SOL).await;
    let mut chain = RpcChain::new(&net.url, authority.insecure_clone());
    let mint = client::create_mint(&mut chain, &authority.pubkey(), 6).await.unwrap();
    let params = |max_rate_move_bps| PoolParams {
        max_oracle_age_secs: 86_400,
        max_nav_age_secs: 3_600,
        max_rate_move_bps,
        pool_cap: 1_000_000_000_000,
        permissioned: false,
        overdue_steps: sluice::state::DEFAULT_OVERDUE_STEPS,
        redemption: RedemptionParams::RECOMMENDED,
    };
    let args = |p| CreatePoolArgs {
        pool_id: 3,
        guardian: authority.pubkey(),
        publishers: std::array::from_fn(|i| if i == 0 { authority.pubkey() } else { Pubkey::default() }),
        params: p,
    };
    let mut ws = common::Ws::connect(&net.ws_url).await;
    let logs_sub = ws.subscribe("logsSubscribe", json!([{ "mentions": [sluice::ID.to_string()] }])).await;

    client::create_pool(&mut chain, &authority, &mint, args(params(100))).await.unwrap();

    let pool = sluice_sdk::pda::pool(&authority.pubkey(), 3);
    let signature = rpc.get_signatures_for_address(&pool).await.unwrap()[0].signature.clone();
    let got = raw(&rpc, "getTransaction", json!([signature, "json"])).await.unwrap();
    let logs: Vec<String> = serde_json::from_value(got["meta"]["logMessages"].clone()).unwrap();
    assert!(logs.contains(&"Program log: Instruction: CreatePool".to_string()), "{logs:#?}");
    let data = logs.iter().find_map(|l| l.strip_prefix("Program data: ")).expect("the PoolCreated event");
    let bytes = base64::engine::general_purpose::STANDARD.decode(data).unwrap();
    assert_eq!(&bytes[..8], sluice::events::PoolCreated::DISCRIMINATOR);
    assert!(!logs.iter().any(|l| l.contains(sluice::events::NATIVE_EVENT_MARK)), "{logs:#?}");

    let notified = ws.expect("logsNotification", logs_sub).await;
    assert_eq!(notified["value"]["signature"], json!(signature));
    assert_eq!(notified["value"]["logs"], json!(logs), "the websocket sees the same lines");

    // A refused transaction, sent with and without preflight.
    let book = Keypair::new();
    let keys = ix::PoolKeys::new(&authority.pubkey(), 4, mint, ix::SPL_TOKEN, book.pubkey());
    let space = sluice::state::Book::SPACE;
    let lamports = rpc.get_minimum_balance_for_rent_exemption(space).await.unwrap();
    let refused_ixs = [
        ix::allocate_book(&authority.pubkey(), &book.pubkey(), lamports),
        ix::create_pool(&authority.pubkey(), &keys, CreatePoolArgs { pool_id: 4, ..args(params(0)) }),
    ];
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(
        &refused_ixs,
        Some(&authority.pubkey()),
        &[&authority, &book],
        blockhash,
    );
    // Refused in preflight: the failure's data carries Anchor's error line.
    let e = rpc.send_transaction(&tx).await.unwrap_err();
    let solana_rpc_client_api::client_error::ErrorKind::RpcError(
        solana_rpc_client_api::request::RpcError::RpcResponseError {
            code: -32002,
            data: solana_rpc_client_api::request::RpcResponseErrorData::SendTransactionPreflightFailure(sim),
            ..
        },
    ) = e.kind()
    else {
        panic!("a preflight failure: {e:?}")
    };
    let preflight_logs = sim.logs.clone().unwrap();
    assert!(preflight_logs.iter().any(|l| l.starts_with("Program log: AnchorError occurred.")), "{preflight_logs:#?}");
    // Without preflight it is committed, and its logs name the error too.
    let config = solana_rpc_client_api::config::RpcSendTransactionConfig { skip_preflight: true, ..Default::default() };
    let failed = rpc.send_transaction_with_config(&tx, config).await.unwrap();
    let got = raw(&rpc, "getTransaction", json!([failed.to_string(), "json"])).await.unwrap();
    assert!(got["meta"]["err"]["InstructionError"].is_array(), "{}", got["meta"]);
    let logs: Vec<String> = serde_json::from_value(got["meta"]["logMessages"].clone()).unwrap();
    assert!(logs.iter().any(|l| l.starts_with("Program log: AnchorError occurred.")), "{logs:#?}");
    let refused = ws.expect("logsNotification", logs_sub).await;
    assert!(refused["value"]["err"]["InstructionError"].is_array(), "{refused}");
}
