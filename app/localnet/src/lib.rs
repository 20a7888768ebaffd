//! `sluice localnet`: the embedded bank behind a Solana JSON-RPC endpoint.
//!
//! The Solana test validator cannot load a natively built program, so Sluice ships this
//! node: one bank with Sluice registered natively (or its SBF build, when `SBF_OUT_DIR`
//! holds `sluice.so`) and the real SPL Token, Token-2022 and Associated Token programs, answering the
//! subset of the JSON-RPC API that the SDK, the tools and standard clients use — with the
//! same result shapes and error objects as a validator. Two extensions serve demos and
//! tests: `sluice_advanceClock [seconds]` and `sluice_faucet`.
//!
//! Transactions are processed one at a time in arrival order and are final when
//! `sendTransaction` returns, so every commitment level reads the same state.

pub mod http;
pub mod node;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Mutex;

pub use node::{Node, RpcFault};

#[derive(Clone, Debug)]
pub struct Options {
    /// Address to listen on; port 0 picks a free one.
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

/// A running node.
pub struct Localnet {
    pub addr: SocketAddr,
    pub node: Arc<Mutex<Node>>,
    server: tokio::task::JoinHandle<()>,
    clock: Option<tokio::task::JoinHandle<()>>,
}

impl Localnet {
    /// Starts the bank and the server on the current tokio runtime.
    pub async fn start(opts: Options) -> std::io::Result<Localnet> {
        let listener = TcpListener::bind(opts.listen).await?;
        let addr = listener.local_addr()?;
        let node = Arc::new(Mutex::new(Node::start().await));
        let server = tokio::spawn(http::serve(listener, node.clone()));
        let clock = (opts.time_scale > 0).then(|| {
            let node = node.clone();
            let step = i64::from(opts.time_scale);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = node.lock().await.advance_clock(step).await {
                        log::warn!("clock: {e:?}");
                    }
                }
            })
        });
        Ok(Localnet { addr, node, server, clock })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
        if let Some(c) = &self.clock {
            c.abort();
        }
    }
}

/// A node on its own thread and runtime, for tests and tools that are not async: it lives
/// until the returned guard is dropped.
pub struct Background {
    pub url: String,
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
                        let _ = ready_tx.send(Ok(net.url()));
                        let _ = stop_rx.await;
                        drop(net);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        });
        let url = ready_rx.recv().map_err(std::io::Error::other)??;
        Ok(Background { url, stop: Some(stop_tx), thread: Some(thread) })
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
