//! Just enough HTTP/1.1 for JSON-RPC clients: `POST /` with a JSON body (single or batch
//! request), keep-alive, and `GET /health` as validators answer it.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use crate::node::{Node, RpcFault};

/// Largest request body accepted (a full batch of transactions fits easily).
const MAX_BODY: usize = 8 << 20;

pub async fn serve(listener: TcpListener, node: Arc<Mutex<Node>>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let node = node.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, node).await {
                        log::debug!("connection closed: {e}");
                    }
                });
            }
            Err(e) => log::warn!("accept: {e}"),
        }
    }
}

async fn connection(stream: TcpStream, node: Arc<Mutex<Node>>) -> std::io::Result<()> {
    // Small request/response pairs: without this, Nagle's algorithm and delayed ACKs add
    // tens of milliseconds to every call.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        let mut close = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap_or(0),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let (status, body) = if method == "GET" && path == "/health" {
            ("200 OK", "ok".to_string())
        } else if method != "POST" {
            ("405 Method Not Allowed", String::new())
        } else if length > MAX_BODY {
            ("413 Payload Too Large", String::new())
        } else {
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).await?;
            ("200 OK", answer(&body, &node).await.to_string())
        };
        let content_type = if body.starts_with(['{', '[']) { "application/json" } else { "text/plain" };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        write.write_all((head + &body).as_bytes()).await?;
        write.flush().await?;
        if close {
            return Ok(());
        }
    }
}

fn fault(id: Value, f: RpcFault) -> Value {
    let mut error = json!({ "code": f.code, "message": f.message });
    if let Some(data) = f.data {
        error["data"] = data;
    }
    json!({ "jsonrpc": "2.0", "error": error, "id": id })
}

async fn one(request: Value, node: &Arc<Mutex<Node>>) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return fault(id, RpcFault { code: -32600, message: "Invalid request".into(), data: None });
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return fault(id, RpcFault::invalid_params("params must be an array")),
    };
    let result = node.lock().await.call(method, &params).await;
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "result": result, "id": id }),
        Err(f) => {
            log::debug!("{method}: {}", f.message);
            fault(id, f)
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
        Err(_) => fault(Value::Null, RpcFault { code: -32700, message: "Parse error".into(), data: None }),
    }
}
