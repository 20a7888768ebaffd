//! Counters and gauges the keeper exports as Prometheus text on `/metrics`, and `/health`
//! (200 while ticks succeed, 503 once the last success is older than three intervals).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Default)]
pub struct Metrics {
    pub ticks: u64,
    /// Cranks sent, by kind.
    pub cranks: BTreeMap<&'static str, u64>,
    pub raced: u64,
    /// Tranche token accounts of lapsed members frozen (`freeze_holder`).
    pub holders_frozen: u64,
    /// Failed ticks, by kind (transport, program, other).
    pub errors: BTreeMap<&'static str, u64>,
    pub retries: u64,
    pub last_success: i64,
    /// Per pool: stage (0 Normal, 1 Stress, 2 Crisis), NAV, queued requests per tranche.
    pub pools: BTreeMap<String, PoolGauges>,
    /// Basket `rebalance` cranks sent, by what they did (collect, request, deposit).
    pub basket_rebalances: BTreeMap<&'static str, u64>,
    /// Basket `rebalance` cranks the program refused (logged; the pass goes on).
    pub basket_failures: u64,
    /// Per basket: sleeve as accounted, value, paused.
    pub baskets: BTreeMap<String, BasketGauges>,
    pub interval_secs: u64,
}

#[derive(Default, Clone)]
pub struct BasketGauges {
    pub sleeve: u64,
    pub value: u64,
    pub paused: bool,
}

#[derive(Default, Clone)]
pub struct PoolGauges {
    pub stage: u8,
    pub nav: u64,
    pub queued: Vec<u64>,
    /// Why the pool's work cannot be done now (`keeper::Blocked`): its kind and the reason.
    pub blocked: Option<(&'static str, String)>,
}

pub type Shared = Arc<Mutex<Metrics>>;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Metrics {
    pub fn healthy(&self) -> bool {
        self.last_success > 0 && now() - self.last_success <= 3 * self.interval_secs.max(10) as i64
    }

    /// The pools whose work is blocked, with why: `/health` reports them, so an operator's
    /// check sees a pool stuck on a stale oracle though every tick succeeds.
    pub fn blocked(&self) -> Vec<String> {
        self.pools.iter().filter_map(|(pool, g)| g.blocked.as_ref().map(|(_, why)| format!("{pool}: {why}"))).collect()
    }

    /// `/health`: status line and body.
    pub fn health(&self) -> (&'static str, String) {
        let blocked = self.blocked();
        if !self.healthy() {
            ("503 Service Unavailable", "no successful tick recently\n".into())
        } else if !blocked.is_empty() {
            ("503 Service Unavailable", format!("blocked work\n{}\n", blocked.join("\n")))
        } else {
            ("200 OK", "ok\n".into())
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "# HELP sluice_keeper_ticks_total Passes over all watched pools.\n# TYPE sluice_keeper_ticks_total counter"
        );
        let _ = writeln!(w, "sluice_keeper_ticks_total {}", self.ticks);
        let _ = writeln!(
            w,
            "# HELP sluice_keeper_cranks_total Cranks sent, by kind.\n# TYPE sluice_keeper_cranks_total counter"
        );
        for (k, v) in &self.cranks {
            let _ = writeln!(w, "sluice_keeper_cranks_total{{kind=\"{k}\"}} {v}");
        }
        let _ = writeln!(w, "# HELP sluice_keeper_raced_total Cranks another keeper did first.\n# TYPE sluice_keeper_raced_total counter");
        let _ = writeln!(w, "sluice_keeper_raced_total {}", self.raced);
        let _ = writeln!(w, "# HELP sluice_keeper_holders_frozen_total Tranche token accounts of lapsed members frozen.\n# TYPE sluice_keeper_holders_frozen_total counter");
        let _ = writeln!(w, "sluice_keeper_holders_frozen_total {}", self.holders_frozen);
        let _ = writeln!(
            w,
            "# HELP sluice_keeper_errors_total Failed pool ticks, by kind.\n# TYPE sluice_keeper_errors_total counter"
        );
        for (k, v) in &self.errors {
            let _ = writeln!(w, "sluice_keeper_errors_total{{kind=\"{k}\"}} {v}");
        }
        let _ = writeln!(
            w,
            "# HELP sluice_keeper_retries_total Transport retries.\n# TYPE sluice_keeper_retries_total counter"
        );
        let _ = writeln!(w, "sluice_keeper_retries_total {}", self.retries);
        let _ = writeln!(w, "# HELP sluice_keeper_last_success_timestamp_seconds Unix time of the last tick without errors.\n# TYPE sluice_keeper_last_success_timestamp_seconds gauge");
        let _ = writeln!(w, "sluice_keeper_last_success_timestamp_seconds {}", self.last_success);
        let _ = writeln!(w, "# HELP sluice_pool_stage 0 Normal, 1 Stress, 2 Crisis.\n# TYPE sluice_pool_stage gauge");
        for (p, g) in &self.pools {
            let _ = writeln!(w, "sluice_pool_stage{{pool=\"{p}\"}} {}", g.stage);
        }
        let _ = writeln!(w, "# HELP sluice_pool_nav Pool NAV in base units.\n# TYPE sluice_pool_nav gauge");
        for (p, g) in &self.pools {
            let _ = writeln!(w, "sluice_pool_nav{{pool=\"{p}\"}} {}", g.nav);
        }
        let _ = writeln!(w, "# HELP sluice_pool_queued_requests Live requests in a tranche's redemption queue.\n# TYPE sluice_pool_queued_requests gauge");
        for (p, g) in &self.pools {
            for (t, q) in g.queued.iter().enumerate() {
                let _ = writeln!(w, "sluice_pool_queued_requests{{pool=\"{p}\",tranche=\"{t}\"}} {q}");
            }
        }
        let _ = writeln!(w, "# HELP sluice_pool_blocked 1 while a pool's work cannot be done by anyone (paused, or a stale NAV the oracle cannot refresh), by reason.\n# TYPE sluice_pool_blocked gauge");
        for (p, g) in &self.pools {
            let reason = g.blocked.as_ref().map_or("none", |(kind, _)| kind);
            let _ = writeln!(
                w,
                "sluice_pool_blocked{{pool=\"{p}\",reason=\"{reason}\"}} {}",
                u8::from(g.blocked.is_some())
            );
        }
        let _ = writeln!(w, "# HELP sluice_keeper_basket_rebalances_total Basket rebalance cranks sent, by kind (collect, request, deposit).\n# TYPE sluice_keeper_basket_rebalances_total counter");
        for (k, v) in &self.basket_rebalances {
            let _ = writeln!(w, "sluice_keeper_basket_rebalances_total{{kind=\"{k}\"}} {v}");
        }
        let _ = writeln!(w, "# HELP sluice_keeper_basket_rebalance_failures_total Basket rebalance cranks the program refused.\n# TYPE sluice_keeper_basket_rebalance_failures_total counter");
        let _ = writeln!(w, "sluice_keeper_basket_rebalance_failures_total {}", self.basket_failures);
        let _ = writeln!(w, "# HELP sluice_basket_sleeve Basket sleeve balance as accounted, in base units.\n# TYPE sluice_basket_sleeve gauge");
        for (b, g) in &self.baskets {
            let _ = writeln!(w, "sluice_basket_sleeve{{basket=\"{b}\"}} {}", g.sleeve);
        }
        let _ = writeln!(w, "# HELP sluice_basket_value Basket value at its constituents' NAVs, in base units.\n# TYPE sluice_basket_value gauge");
        for (b, g) in &self.baskets {
            let _ = writeln!(w, "sluice_basket_value{{basket=\"{b}\"}} {}", g.value);
        }
        let _ = writeln!(w, "# HELP sluice_basket_paused 1 while the basket's guardian has paused it.\n# TYPE sluice_basket_paused gauge");
        for (b, g) in &self.baskets {
            let _ = writeln!(w, "sluice_basket_paused{{basket=\"{b}\"}} {}", u8::from(g.paused));
        }
        let _ = writeln!(w, "# HELP sluice_keeper_up 1 while healthy.\n# TYPE sluice_keeper_up gauge");
        let _ = writeln!(w, "sluice_keeper_up {}", u8::from(self.healthy()));
        out
    }
}

/// Serves `/metrics` and `/health` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            let mut line = String::new();
            if reader.read_line(&mut line).await.is_err() {
                return;
            }
            // Drain the headers.
            loop {
                let mut h = String::new();
                match reader.read_line(&mut h).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) if h.trim().is_empty() => break,
                    Ok(_) => {}
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let (status, body, kind) = {
                let m = metrics.lock().expect("metrics lock");
                match path {
                    "/metrics" => ("200 OK", m.render(), "text/plain; version=0.0.4"),
                    "/health" => {
                        let (status, body) = m.health();
                        (status, body, "text/plain")
                    }
                    _ => ("404 Not Found", String::new(), "text/plain"),
                }
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = write.write_all(head.as_bytes()).await;
            let _ = write.write_all(body.as_bytes()).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_turns_unhealthy_when_ticks_stop() {
        let mut m = Metrics { interval_secs: 10, ..Metrics::default() };
        assert!(!m.healthy());
        m.ticks = 3;
        *m.cranks.entry("process_batch").or_default() += 4;
        m.pools.insert("P".into(), PoolGauges { stage: 1, nav: 7, queued: vec![5, 0], blocked: None });
        *m.basket_rebalances.entry("collect").or_default() += 2;
        m.basket_failures = 1;
        m.holders_frozen = 2;
        m.baskets.insert("B".into(), BasketGauges { sleeve: 11, value: 100, paused: false });
        m.last_success = now();
        assert!(m.healthy());
        let text = m.render();
        assert!(text.contains("sluice_keeper_ticks_total 3"));
        assert!(text.contains("sluice_keeper_cranks_total{kind=\"process_batch\"} 4"));
        assert!(text.contains("sluice_pool_queued_requests{pool=\"P\",tranche=\"0\"} 5"));
        assert!(text.contains("sluice_keeper_up 1"));
        assert!(text.contains("sluice_keeper_basket_rebalances_total{kind=\"collect\"} 2"));
        assert!(text.contains("sluice_keeper_basket_rebalance_failures_total 1"));
        assert!(text.contains("sluice_keeper_holders_frozen_total 2"));
        assert!(text.contains("sluice_basket_sleeve{basket=\"B\"} 11"));
        assert!(text.contains("sluice_basket_value{basket=\"B\"} 100"));
        assert!(text.contains("sluice_pool_blocked{pool=\"P\",reason=\"none\"} 0"));
        assert_eq!(m.health().0, "200 OK");
        // A pool stuck on a stale oracle: every tick succeeds, and yet /health says why not.
        m.pools.get_mut("P").unwrap().blocked = Some(("oracle_stale", "the oracle's rates are old".into()));
        assert!(m.render().contains("sluice_pool_blocked{pool=\"P\",reason=\"oracle_stale\"} 1"));
        let (status, body) = m.health();
        assert_eq!(status, "503 Service Unavailable");
        assert!(body.contains("P: the oracle's rates are old"), "{body}");
        m.last_success = now() - 31;
        assert!(!m.healthy());
    }
}
