//! The two listeners a validator opens: HTTP JSON-RPC (single and batch requests, `GET
//! /health`) and, on the next port, the PubSub websocket.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, Mutex};
use tower_http::cors::CorsLayer;

use crate::node::{Node, RpcFault};
use crate::pubsub::{self, Notice};

/// Largest request body accepted (a full batch of transactions fits easily).
const MAX_BODY: usize = 8 << 20;

pub async fn serve_http(listener: TcpListener, node: Arc<Mutex<Node>>) {
    let app = Router::new()
        .route("/", post(rpc))
        .route("/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Browser apps on another origin (a dev server) call the node, as they call a validator.
        .layer(CorsLayer::permissive())
        .with_state(node);
    if let Err(e) = axum::serve(listener, app).await {
        log::warn!("http server: {e}");
    }
}

#[derive(Clone)]
struct PubSub {
    node: Arc<Mutex<Node>>,
    notices: broadcast::Sender<Arc<Notice>>,
}

pub async fn serve_pubsub(listener: TcpListener, node: Arc<Mutex<Node>>, notices: broadcast::Sender<Arc<Notice>>) {
    // Any path upgrades, as on a validator's websocket port.
    let app = Router::new().fallback(upgrade).with_state(PubSub { node, notices });
    if let Err(e) = axum::serve(listener, app).await {
        log::warn!("pubsub server: {e}");
    }
}

async fn upgrade(State(state): State<PubSub>, ws: WebSocketUpgrade) -> impl IntoResponse {
    ws.on_upgrade(move |socket| pubsub::connection(socket, state.node, state.notices))
}

async fn rpc(State(node): State<Arc<Mutex<Node>>>, body: Bytes) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], answer(&body, &node).await.to_string())
}

pub(crate) fn error_response(id: Value, f: RpcFault) -> Value {
    let mut error = json!({ "code": f.code, "message": f.message });
    if let Some(data) = f.data {
        error["data"] = data;
    }
    json!({ "jsonrpc": "2.0", "error": error, "id": id })
}

async fn one(request: Value, node: &Arc<Mutex<Node>>) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return error_response(id, RpcFault { code: -32600, message: "Invalid request".into(), data: None });
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return error_response(id, RpcFault::invalid_params("params must be an array")),
    };
    let result = node.lock().await.call(method, &params).await;
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "result": result, "id": id }),
        Err(f) => {
            log::debug!("{method}: {}", f.message);
            error_response(id, f)
        }
    }
}

async fn answer(body: &[u8], node: &Arc<Mutex<Node>>) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => {
            let mut out = Vec::with_capacity(batch.len());
            for request in batch {
                out.push(one(request, node).await);
            }
            Value::Array(out)
        }
        Ok(request) => one(request, node).await,
        Err(_) => error_response(Value::Null, RpcFault { code: -32700, message: "Parse error".into(), data: None }),
    }
}
