//! The PubSub websocket: JSON-RPC subscriptions answered with a validator's notification
//! shapes. The node broadcasts a [`Notice`] after each transaction, clock move and slot; every
//! connection matches them against its own subscriptions.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::extract::ws::{Message, WebSocket};
use serde_json::{json, Value};
use solana_account::Account;
use solana_account_decoder::parse_account_data::AccountAdditionalDataV3;
use solana_account_decoder::{encode_ui_account, UiAccountEncoding, UiDataSliceConfig};
use solana_clock::Slot;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig, RpcTransactionLogsConfig,
    RpcTransactionLogsFilter,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    ProcessedSignatureResult, ReceivedSignatureResult, Response, RpcKeyedAccount, RpcLogsResponse, RpcResponseContext,
    RpcSignatureResult, SlotInfo,
};
use solana_signature::Signature;
use solana_transaction_error::TransactionError;
use tokio::sync::{broadcast, Mutex};

use crate::node::{matches_filter, Node, RpcFault};

/// What happened on the node, as connections need it to notify.
#[derive(Clone)]
pub enum Notice {
    /// The node moved to a new slot.
    Slot(SlotInfo),
    /// Accounts whose lamports, owner or data changed, in their new state (a closed account
    /// as the empty system account a validator reports).
    Accounts { slot: Slot, changes: Vec<AccountChange> },
    /// A transaction was committed.
    Transaction {
        slot: Slot,
        signature: Signature,
        err: Option<TransactionError>,
        logs: Vec<String>,
        keys: Vec<Pubkey>,
    },
}

#[derive(Clone)]
pub struct AccountChange {
    pub address: Pubkey,
    pub account: Account,
    /// The mint's decimals and extensions, for `jsonParsed` token accounts.
    pub token_display: Option<AccountAdditionalDataV3>,
}

/// Subscription ids are unique across connections, as a validator's are.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Clone, Debug)]
struct AccountView {
    encoding: UiAccountEncoding,
    data_slice: Option<UiDataSliceConfig>,
}

impl AccountView {
    fn of(config: &RpcAccountInfoConfig) -> AccountView {
        // The validator's default for subscriptions: the legacy base58 string.
        AccountView { encoding: config.encoding.unwrap_or(UiAccountEncoding::Binary), data_slice: config.data_slice }
    }

    fn show(&self, change: &AccountChange) -> solana_account_decoder::UiAccount {
        encode_ui_account(&change.address, &change.account, self.encoding, change.token_display, self.data_slice)
    }
}

#[derive(Clone, Debug)]
enum Subscription {
    Signature { signature: Signature, received: bool },
    Account { address: Pubkey, view: AccountView },
    Program { program: Pubkey, filters: Vec<RpcFilterType>, view: AccountView },
    Logs { mentions: Option<Pubkey> },
    Slot,
    Root,
}

const UNSUBSCRIBE: [&str; 6] = [
    "signatureUnsubscribe",
    "accountUnsubscribe",
    "programUnsubscribe",
    "logsUnsubscribe",
    "slotUnsubscribe",
    "rootUnsubscribe",
];

/// One websocket connection: requests in, replies and notifications out.
pub async fn connection(mut socket: WebSocket, node: Arc<Mutex<Node>>, notices: broadcast::Sender<Arc<Notice>>) {
    // Subscribing to the broadcast before reading any request means no notice can fall
    // between a subscription and the state it was checked against.
    let mut events = notices.subscribe();
    let mut subs: HashMap<u64, Subscription> = HashMap::new();
    loop {
        let out = tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => answer(text.as_str(), &mut subs, &node).await,
                Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                    Ok(text) => answer(text, &mut subs, &node).await,
                    Err(_) => vec![fault(Value::Null, parse_error())],
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    log::debug!("websocket closed: {e}");
                    return;
                }
                None => return,
            },
            notice = events.recv() => match notice {
                Ok(notice) => notify(&notice, &mut subs),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    log::warn!("a websocket client fell behind; {missed} notices dropped");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        for message in out {
            if socket.send(Message::Text(message.to_string().into())).await.is_err() {
                return;
            }
        }
    }
}

fn parse_error() -> RpcFault {
    RpcFault { code: -32700, message: "Parse error".into(), data: None }
}

fn fault(id: Value, f: RpcFault) -> Value {
    crate::server::error_response(id, f)
}

/// Replies to a request or batch, each followed by any notification it makes due at once.
async fn answer(text: &str, subs: &mut HashMap<u64, Subscription>, node: &Arc<Mutex<Node>>) -> Vec<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(batch)) => {
            let mut replies = Vec::with_capacity(batch.len());
            let mut later = Vec::new();
            for request in batch {
                let (reply, notes) = one(request, subs, node).await;
                replies.push(reply);
                later.extend(notes);
            }
            let mut out = vec![Value::Array(replies)];
            out.extend(later);
            out
        }
        Ok(request) => {
            let (reply, notes) = one(request, subs, node).await;
            let mut out = vec![reply];
            out.extend(notes);
            out
        }
        Err(_) => vec![fault(Value::Null, parse_error())],
    }
}

async fn one(request: Value, subs: &mut HashMap<u64, Subscription>, node: &Arc<Mutex<Node>>) -> (Value, Vec<Value>) {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return (fault(id, RpcFault { code: -32600, message: "Invalid request".into(), data: None }), vec![]);
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return (fault(id, RpcFault::invalid_params("params must be an array")), vec![]),
    };
    if UNSUBSCRIBE.contains(&method) {
        let result = params
            .first()
            .and_then(Value::as_u64)
            .and_then(|sub| subs.remove(&sub))
            .map(|_| json!(true))
            .ok_or_else(|| RpcFault { code: -32602, message: "Invalid subscription id.".into(), data: None });
        return (reply(id, result), vec![]);
    }
    let subscription = match subscription(method, &params) {
        Ok(s) => s,
        Err(f) => return (fault(id, f), vec![]),
    };
    let sub = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut notes = Vec::new();
    if let Subscription::Signature { signature, received } = &subscription {
        // Already processed: notify now, as the transaction will not come again.
        if let Some((slot, err)) = node.lock().await.signature_result(signature) {
            if *received {
                notes.push(notification("signatureNotification", sub, received_value(slot)));
            }
            notes.push(notification("signatureNotification", sub, processed_value(slot, err)));
            return (reply(id, Ok(json!(sub))), notes);
        }
    }
    subs.insert(sub, subscription);
    (reply(id, Ok(json!(sub))), notes)
}

fn reply(id: Value, result: Result<Value, RpcFault>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "result": result, "id": id }),
        Err(f) => fault(id, f),
    }
}

fn param<T: serde::de::DeserializeOwned + Default>(params: &[Value], i: usize, what: &str) -> Result<T, RpcFault> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| RpcFault::invalid_params(format!("{what}: {e}"))),
    }
}

fn key(params: &[Value], what: &str) -> Result<String, RpcFault> {
    params
        .first()
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RpcFault::invalid_params(format!("missing {what}")))
}

fn pubkey(s: &str) -> Result<Pubkey, RpcFault> {
    Pubkey::from_str(s).map_err(|_| RpcFault::invalid_params("Invalid pubkey"))
}

fn subscription(method: &str, params: &[Value]) -> Result<Subscription, RpcFault> {
    Ok(match method {
        "signatureSubscribe" => {
            let s = key(params, "signature")?;
            let signature = Signature::from_str(&s).map_err(|_| RpcFault::invalid_params("Invalid signature"))?;
            let config: RpcSignatureSubscribeConfig = param(params, 1, "config")?;
            Subscription::Signature { signature, received: config.enable_received_notification.unwrap_or(false) }
        }
        "accountSubscribe" => {
            let address = pubkey(&key(params, "pubkey")?)?;
            let config: RpcAccountInfoConfig = param(params, 1, "config")?;
            Subscription::Account { address, view: AccountView::of(&config) }
        }
        "programSubscribe" => {
            let program = pubkey(&key(params, "program id")?)?;
            let config: RpcProgramAccountsConfig = param(params, 1, "config")?;
            let filters = config.filters.unwrap_or_default();
            for f in &filters {
                f.verify().map_err(|e| RpcFault::invalid_params(e.to_string()))?;
            }
            Subscription::Program { program, filters, view: AccountView::of(&config.account_config) }
        }
        "logsSubscribe" => {
            let filter: RpcTransactionLogsFilter = match params.first() {
                Some(v) => {
                    serde_json::from_value(v.clone()).map_err(|e| RpcFault::invalid_params(format!("filter: {e}")))?
                }
                None => return Err(RpcFault::invalid_params("missing filter")),
            };
            let _config: Option<RpcTransactionLogsConfig> = param(params, 1, "config")?;
            let mentions = match filter {
                RpcTransactionLogsFilter::All | RpcTransactionLogsFilter::AllWithVotes => None,
                RpcTransactionLogsFilter::Mentions(keys) => match keys.as_slice() {
                    [one] => Some(pubkey(one)?),
                    _ => {
                        return Err(RpcFault {
                            code: -32602,
                            message: "Invalid Request: Only 1 address supported".into(),
                            data: None,
                        })
                    }
                },
            };
            Subscription::Logs { mentions }
        }
        "slotSubscribe" => Subscription::Slot,
        "rootSubscribe" => Subscription::Root,
        other => return Err(RpcFault::method_not_found(other)),
    })
}

fn notification(method: &str, subscription: u64, result: impl serde::Serialize) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": method,
        "params": { "result": result, "subscription": subscription },
    })
}

fn in_context<T: serde::Serialize>(slot: Slot, value: T) -> Response<T> {
    Response { context: RpcResponseContext::new(slot), value }
}

fn processed_value(slot: Slot, err: Option<TransactionError>) -> Response<RpcSignatureResult> {
    in_context(slot, RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err: err.map(Into::into) }))
}

fn received_value(slot: Slot) -> Response<RpcSignatureResult> {
    in_context(slot, RpcSignatureResult::ReceivedSignature(ReceivedSignatureResult::ReceivedSignature))
}

/// The notifications a notice makes due on this connection; signature subscriptions end with
/// theirs.
fn notify(notice: &Notice, subs: &mut HashMap<u64, Subscription>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut done = Vec::new();
    let mut ids: Vec<&u64> = subs.keys().collect();
    ids.sort();
    for id in ids {
        let sub = &subs[id];
        match (notice, sub) {
            (Notice::Slot(info), Subscription::Slot) => out.push(notification("slotNotification", *id, info)),
            (Notice::Slot(info), Subscription::Root) => out.push(notification("rootNotification", *id, info.root)),
            (Notice::Accounts { slot, changes }, Subscription::Account { address, view }) => {
                for change in changes.iter().filter(|c| c.address == *address) {
                    out.push(notification("accountNotification", *id, in_context(*slot, view.show(change))));
                }
            }
            (Notice::Accounts { slot, changes }, Subscription::Program { program, filters, view }) => {
                for change in changes.iter().filter(|c| {
                    c.account.owner == *program && filters.iter().all(|f| matches_filter(f, &c.account.data))
                }) {
                    let value = RpcKeyedAccount { pubkey: change.address.to_string(), account: view.show(change) };
                    out.push(notification("programNotification", *id, in_context(*slot, value)));
                }
            }
            (Notice::Transaction { slot, signature, err, .. }, Subscription::Signature { signature: s, received })
                if s == signature =>
            {
                if *received {
                    out.push(notification("signatureNotification", *id, received_value(*slot)));
                }
                out.push(notification("signatureNotification", *id, processed_value(*slot, err.clone())));
                done.push(*id);
            }
            (Notice::Transaction { slot, signature, err, logs, keys }, Subscription::Logs { mentions })
                if mentions.is_none_or(|m| keys.contains(&m)) =>
            {
                let value = RpcLogsResponse {
                    signature: signature.to_string(),
                    err: err.clone().map(Into::into),
                    logs: logs.clone(),
                };
                out.push(notification("logsNotification", *id, in_context(*slot, value)));
            }
            _ => {}
        }
    }
    for id in done {
        subs.remove(&id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_subscription_fires_once_and_logs_follow_their_mentions() {
        let (signature, mentioned) = (Signature::from([7; 64]), Pubkey::new_unique());
        let mut subs = HashMap::new();
        subs.insert(1, Subscription::Signature { signature, received: false });
        subs.insert(2, Subscription::Logs { mentions: Some(mentioned) });
        subs.insert(3, Subscription::Logs { mentions: Some(Pubkey::new_unique()) });
        subs.insert(4, Subscription::Logs { mentions: None });
        let notice = Notice::Transaction {
            slot: 9,
            signature,
            err: None,
            logs: vec!["Program 11111111111111111111111111111111 success".into()],
            keys: vec![mentioned],
        };
        let out = notify(&notice, &mut subs);
        let methods: Vec<(&str, u64)> = out
            .iter()
            .map(|n| (n["method"].as_str().unwrap(), n["params"]["subscription"].as_u64().unwrap()))
            .collect();
        assert_eq!(methods, vec![("signatureNotification", 1), ("logsNotification", 2), ("logsNotification", 4)]);
        assert_eq!(out[0]["params"]["result"]["context"]["slot"], json!(9));
        assert_eq!(out[0]["params"]["result"]["value"], json!({ "err": null }));
        assert_eq!(out[1]["params"]["result"]["value"]["signature"], json!(signature.to_string()));
        assert!(!subs.contains_key(&1), "a signature subscription ends with its notification");
        assert_eq!(notify(&notice, &mut subs).len(), 2);
    }
}
