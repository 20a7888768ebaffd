//! The localnet answers as a validator does: through the standard RPC client, program
//! errors arrive with their codes and change nothing, filters select, and malformed calls
//! get JSON-RPC error objects.

use serde_json::json;
use solana_keypair::Keypair;
use solana_rpc_client_api::client_error::ErrorKind;
use solana_rpc_client_api::request::{RpcError, RpcRequest};
use solana_signer::Signer;
use solana_transaction::Transaction;

use anchor_lang::Discriminator;
use sluice::error::SluiceError;
use sluice::instructions::CreatePoolArgs;
use sluice::state::{Book, Pool, PoolParams, RedemptionParams};
use sluice_localnet::{Background, Options};
use sluice_sdk::chain::{Chain, DevChain};
use sluice_sdk::rpc::RpcChain;
use sluice_sdk::{client, pda, Pubkey};

fn node() -> Background {
    Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).unwrap()
}

fn params() -> PoolParams {
    PoolParams {
        max_oracle_age_secs: 86_400,
        max_nav_age_secs: 3_600,
        max_rate_move_bps: 100,
        pool_cap: 1_000_000_000_000,
        permissioned: false,
        overdue_steps: sluice::state::DEFAULT_OVERDUE_STEPS,
        redemption: RedemptionParams::RECOMMENDED,
    }
}

fn code_of(e: &solana_rpc_client_api::client_error::Error) -> i64 {
    match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError { code, .. }) => *code,
        other => panic!("not an RPC error object: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn program_errors_arrive_named_and_change_nothing_then_filters_find_the_pool() {
    let net = node();
    let authority = Keypair::new();
    let mut chain = RpcChain::new(&net.url, authority.insecure_clone());
    chain.airdrop(&authority.pubkey(), 10_000_000_000).await.unwrap();
    let mint = client::create_mint(&mut chain, &authority.pubkey(), 6).await.unwrap();
    let args = |params| CreatePoolArgs {
        pool_id: 7,
        guardian: authority.pubkey(),
        publishers: std::array::from_fn(|i| if i == 0 { authority.pubkey() } else { Pubkey::default() }),
        params,
    };

    let bad = PoolParams { max_rate_move_bps: 0, ..params() };
    let e = client::create_pool(&mut chain, &authority, &mint, args(bad)).await.unwrap_err();
    assert!(e.is(SluiceError::InvalidParams), "{e:?}");
    assert_eq!(
        e,
        sluice_sdk::chain::ChainError::Program { instruction: 1, code: u32::from(SluiceError::InvalidParams) }
    );
    let pool = pda::pool(&authority.pubkey(), 7);
    assert!(chain.account(&pool).await.unwrap().is_none(), "a refused transaction left a pool");

    let keys = client::create_pool(&mut chain, &authority, &mint, args(params())).await.unwrap();
    let pools = chain.accounts_of_type(&sluice::ID, Pool::DISCRIMINATOR).await.unwrap();
    assert_eq!(pools.iter().map(|p| p.0).collect::<Vec<_>>(), vec![pool]);
    let books = chain.accounts_of_type(&sluice::ID, Book::DISCRIMINATOR).await.unwrap();
    assert_eq!(books.iter().map(|p| p.0).collect::<Vec<_>>(), vec![keys.book]);
    assert_eq!(books[0].1.len(), Book::SPACE);
    assert_eq!(client::pool(&mut chain, &pool).await.unwrap().authority, authority.pubkey());

    // The clock moves only when asked (time scale 0).
    let t0 = chain.now().await.unwrap();
    chain.advance_clock(3_600).await.unwrap();
    assert_eq!(chain.now().await.unwrap(), t0 + 3_600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_calls_get_json_rpc_error_objects() {
    let net = node();
    let payer = Keypair::new();
    let mut chain = RpcChain::new(&net.url, payer.insecure_clone());
    chain.airdrop(&payer.pubkey(), 5_000_000_000).await.unwrap();
    let rpc = chain.client();

    let e = rpc.send::<serde_json::Value>(RpcRequest::Custom { method: "getNothing" }, json!([])).await.unwrap_err();
    assert_eq!(code_of(&e), -32601);
    let e = rpc.send::<serde_json::Value>(RpcRequest::GetBalance, json!(["not-a-key"])).await.unwrap_err();
    assert_eq!(code_of(&e), -32602);
    let e = rpc
        .send::<serde_json::Value>(RpcRequest::RequestAirdrop, json!([payer.pubkey().to_string(), u64::MAX]))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), -32602);

    // A forged signature is refused before execution.
    let to = Pubkey::new_unique();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1_000_000);
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let mut tx =
        Transaction::new_signed_with_payer(std::slice::from_ref(&ix), Some(&payer.pubkey()), &[&payer], blockhash);
    let good = tx.clone();
    tx.signatures[0] = Keypair::new().sign_message(b"not this message");
    assert_eq!(code_of(&rpc.send_transaction(&tx).await.unwrap_err()), -32003);
    assert_eq!(rpc.get_balance(&to).await.unwrap(), 0);

    // Simulation reports logs and units without committing.
    let sim = rpc.simulate_transaction(&good).await.unwrap().value;
    assert!(sim.err.is_none(), "{sim:?}");
    assert!(sim.logs.unwrap().iter().any(|l| l.contains("11111111111111111111111111111111")));
    assert_eq!(rpc.get_balance(&to).await.unwrap(), 0);

    // Sent once it lands; sent again it is a duplicate.
    rpc.send_and_confirm_transaction(&good).await.unwrap();
    assert_eq!(rpc.get_balance(&to).await.unwrap(), 1_000_000);
    let e = rpc.send_transaction(&good).await.unwrap_err();
    assert_eq!(code_of(&e), -32002);
    assert_eq!(e.get_transaction_error(), Some(solana_transaction_error::TransactionError::AlreadyProcessed));
    assert_eq!(rpc.get_balance(&to).await.unwrap(), 1_000_000);

    // An unknown blockhash is refused as a validator refuses it.
    let stale =
        Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], solana_hash::Hash::new_unique());
    let e = rpc.send_transaction(&stale).await.unwrap_err();
    assert_eq!(e.get_transaction_error(), Some(solana_transaction_error::TransactionError::BlockhashNotFound));

    // Plain HTTP: health, and a body that is not JSON.
    let addr = net.url.trim_start_matches("http://").to_string();
    let health = raw(&addr, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200") && health.ends_with("ok"), "{health}");
    let junk = raw(&addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope");
    assert!(junk.contains("-32700"), "{junk}");
}

fn raw(addr: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_scale_runs_the_cluster_clock_faster() {
    let net = Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 3_600 }).unwrap();
    let mut chain = RpcChain::new(&net.url, Keypair::new());
    let t0 = chain.now().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let t1 = chain.now().await.unwrap();
    assert!(t1 - t0 >= 3_600 && t1 - t0 <= 4 * 3_600, "{t0} → {t1}");
}
