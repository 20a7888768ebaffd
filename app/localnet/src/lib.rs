//! `sluice localnet`: the embedded bank behind a Solana JSON-RPC endpoint and its PubSub
//! websocket.
//!
//! The Solana test validator cannot load a natively built program, so Sluice ships this
//! node: one bank with Sluice registered natively (or its SBF build, when `SBF_OUT_DIR`
//! holds `sluice.so`) and the real SPL Token, Token-2022 and Associated Token programs,
//! answering the part of the JSON-RPC and PubSub APIs that the SDK, the tools and standard
//! clients use — with the same result shapes and error objects as a validator. Two
//! extensions serve demos and tests: `sluice_advanceClock [seconds]` and `sluice_faucet`.
//!
//! Transactions are processed one at a time in arrival order, each in a slot of its own, and
//! are final when `sendTransaction` returns, so every commitment level reads the same state.

mod history;
pub mod ledger;
pub mod node;
pub mod pubsub;
pub mod server;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Mutex;

pub use node::{Node, RpcFault};

#[derive(Clone, Debug)]
pub struct Options {
    /// Address of the HTTP JSON-RPC endpoint; the PubSub websocket listens on the next port,
    /// as a validator's does. Port 0 picks free ones.
    pub listen: SocketAddr,
    /// Cluster seconds per wall-clock second; 0 stops the clock (tests move it with
    /// `sluice_advanceClock`).
    pub time_scale: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { listen: SocketAddr::from(([127, 0, 0, 1], 8899)), time_scale: 1 }
    }
}

/// Binds HTTP on `listen` and the websocket on the port after it. For port 0 it looks for
/// such a pair too (clients derive the websocket URL from the HTTP port that way), and takes
/// any free port for the websocket if none turns up.
async fn bind(listen: SocketAddr) -> std::io::Result<(TcpListener, TcpListener)> {
    let next = |port: u16| port.checked_add(1).map(|p| SocketAddr::new(listen.ip(), p));
    if listen.port() != 0 {
        let http = TcpListener::bind(listen).await?;
        let ws_addr = next(listen.port())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no port after 65535"))?;
        return Ok((http, TcpListener::bind(ws_addr).await?));
    }
    for _ in 0..32 {
        let http = TcpListener::bind(listen).await?;
        if let Some(ws_addr) = next(http.local_addr()?.port()) {
            if let Ok(ws) = TcpListener::bind(ws_addr).await {
                return Ok((http, ws));
            }
        }
    }
    Ok((TcpListener::bind(listen).await?, TcpListener::bind(listen).await?))
}

/// A running node.
pub struct Localnet {
    pub addr: SocketAddr,
    pub ws_addr: SocketAddr,
    pub node: Arc<Mutex<Node>>,
    server: tokio::task::JoinHandle<()>,
    pubsub: tokio::task::JoinHandle<()>,
    clock: Option<tokio::task::JoinHandle<()>>,
}

impl Localnet {
    /// Starts the bank and the servers on the current tokio runtime.
    pub async fn start(opts: Options) -> std::io::Result<Localnet> {
        let (http, ws) = bind(opts.listen).await?;
        let (addr, ws_addr) = (http.local_addr()?, ws.local_addr()?);
        let node = Node::start().await;
        let notices = node.notices();
        let node = Arc::new(Mutex::new(node));
        let server = tokio::spawn(server::serve_http(http, node.clone()));
        let pubsub = tokio::spawn(server::serve_pubsub(ws, node.clone(), notices));
        let clock = (opts.time_scale > 0).then(|| {
            let node = node.clone();
            let step = i64::from(opts.time_scale);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = node.lock().await.tick(step).await {
                        log::warn!("clock: {e:?}");
                    }
                }
            })
        });
        Ok(Localnet { addr, ws_addr, node, server, pubsub, clock })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The PubSub websocket's URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    /// Serves until the task is cancelled or the process ends.
    pub async fn wait(mut self) {
        let server = std::mem::replace(&mut self.server, tokio::spawn(async {}));
        let _ = server.await;
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        self.server.abort();
        self.pubsub.abort();
        if let Some(c) = &self.clock {
            c.abort();
        }
    }
}

/// A node on its own thread and runtime, for tests and tools that are not async: it lives
/// until the returned guard is dropped.
pub struct Background {
    pub url: String,
    /// The PubSub websocket's URL.
    pub ws_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn start(opts: Options) -> std::io::Result<Background> {
        // The bank logs every instruction at debug level unless told otherwise.
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            rt.block_on(async move {
                match Localnet::start(opts).await {
                    Ok(net) => {
                        let _ = ready_tx.send(Ok((net.url(), net.ws_url())));
                        let _ = stop_rx.await;
                        drop(net);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        });
        let (url, ws_url) = ready_rx.recv().map_err(std::io::Error::other)??;
        Ok(Background { url, ws_url, stop: Some(stop_tx), thread: Some(thread) })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
