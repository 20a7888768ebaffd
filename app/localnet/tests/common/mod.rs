//! What the localnet tests share: a node on free ports, funded keypairs, a websocket client
//! that keeps notifications apart from replies, and a plain HTTP POST.
#![allow(dead_code)] // each test file uses its own part

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tokio_tungstenite::tungstenite::Message;

use sluice_localnet::{Background, Options};
use sluice_sdk::Pubkey;

pub const SOL: u64 = 1_000_000_000;

pub fn node() -> Background {
    Background::start(Options { listen: "127.0.0.1:0".parse().unwrap(), time_scale: 0 }).unwrap()
}

pub fn rpc(net: &Background) -> RpcClient {
    RpcClient::new_with_commitment(net.url.clone(), CommitmentConfig::confirmed())
}

pub async fn funded(rpc: &RpcClient, lamports: u64) -> Keypair {
    let k = Keypair::new();
    rpc.request_airdrop(&k.pubkey(), lamports).await.unwrap();
    k
}

/// Sends a transfer and returns its signature (final when the call returns).
pub async fn transfer(rpc: &RpcClient, from: &Keypair, to: &Pubkey, lamports: u64) -> Signature {
    let ix = solana_system_interface::instruction::transfer(&from.pubkey(), to, lamports);
    send(rpc, &[ix], from, &[]).await
}

pub async fn send(
    rpc: &RpcClient,
    ixs: &[anchor_lang::solana_program::instruction::Instruction],
    payer: &Keypair,
    signers: &[&Keypair],
) -> Signature {
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let mut all = vec![payer];
    all.extend_from_slice(signers);
    let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, blockhash);
    rpc.send_transaction(&tx).await.unwrap()
}

/// A JSON-RPC websocket client that sets notifications aside while it waits for a reply.
pub struct Ws {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    notifications: VecDeque<Value>,
    next_id: u64,
}

impl Ws {
    pub async fn connect(url: &str) -> Ws {
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Ws { socket, notifications: VecDeque::new(), next_id: 1 }
    }

    pub async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    async fn read(&mut self, wait: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) | Ok(None) => return None,
                Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => panic!("websocket: {e}"),
            }
        }
    }

    /// The next message that is not a notification (a reply or a batch of them).
    pub async fn reply(&mut self) -> Value {
        loop {
            let message = self.read(Duration::from_secs(10)).await.expect("a reply");
            if message.get("method").is_some() {
                self.notifications.push_back(message);
            } else {
                return message;
            }
        }
    }

    /// Calls `method`; Ok(result) or Err(error object).
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send_text(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string()).await;
        let reply = self.reply().await;
        assert_eq!(reply["id"], json!(id), "{reply}");
        match reply.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(reply["result"].clone()),
        }
    }

    pub async fn subscribe(&mut self, method: &str, params: Value) -> u64 {
        let id = self.call(method, params).await.unwrap();
        id.as_u64().unwrap_or_else(|| panic!("subscription id {id}"))
    }

    /// The next notification, or None if none comes within `wait`.
    pub async fn notification(&mut self, wait: Duration) -> Option<Value> {
        if let Some(n) = self.notifications.pop_front() {
            return Some(n);
        }
        let message = self.read(wait).await?;
        assert!(message.get("method").is_some(), "expected a notification: {message}");
        Some(message)
    }

    pub async fn expect(&mut self, method: &str, subscription: u64) -> Value {
        let n = self.notification(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no {method}"));
        assert_eq!(n["method"], json!(method), "{n}");
        assert_eq!(n["params"]["subscription"], json!(subscription), "{n}");
        n["params"]["result"].clone()
    }
}

/// POSTs `body` to the node and returns the HTTP response, head and body.
pub fn post(url: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The JSON body of an HTTP response.
pub fn json_body(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}
