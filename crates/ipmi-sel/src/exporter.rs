//! Prometheus exporter (`ipmi-sel serve`): the watch loop ([`poll_once`],
//! so alerts go out exactly once with the same state files as `watch`)
//! plus an HTTP server with `/metrics` (Prometheus text format 0.0.4) and
//! `/healthz`.
//!
//! Metrics, each labelled `host`:
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `ipmi_sel_entries` | gauge | entries in the SEL at the last successful poll |
//! | `ipmi_sel_events_total{severity,sensor_type}` | counter | entries ever seen |
//! | `ipmi_sel_pci_errors_total` | counter | PCI/PCIe error entries ever seen |
//! | `ipmi_sel_last_poll_success` | gauge | 1 when the last poll worked, else 0 |
//! | `ipmi_sel_last_poll_timestamp_seconds` | gauge | when the last poll (of any outcome) ended |
//! | `ipmi_sel_poll_duration_seconds` | gauge | how long the last poll took |
//! | `ipmi_sel_free_bytes` | gauge | SEL free space, only for sources that know it |
//! | `ipmi_sel_config_error` | gauge | 1 while a configuration mistake (unset password variable, unreadable password file) keeps the host from being polled, else 0 |
//!
//! A configuration mistake is not a failed poll: the host was never asked,
//! so its `ipmi_sel_last_poll_*` series are left out (not set to 0) until
//! it is polled again, and no DOWN alert goes out.
//!
//! The counters are the totals persisted in each host's state file
//! ([`HostState::events_total`], [`HostState::pci_errors_total`]), so they
//! never go down across restarts of the exporter, nor when a SEL is
//! cleared; only deleting the state file resets them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus::{Encoder, GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::error::Error;
use crate::watch::{HostState, Inventory, PollReport, Sinks, load_state, poll_once, state_path};

/// The exporter's metrics.
pub struct Metrics {
    registry: Registry,
    entries: IntGaugeVec,
    events: IntCounterVec,
    pci: IntCounterVec,
    success: IntGaugeVec,
    timestamp: IntGaugeVec,
    duration: GaugeVec,
    free: IntGaugeVec,
    config_error: IntGaugeVec,
}

fn metric_error(e: prometheus::Error) -> Error {
    Error::Config {
        path: "metrics".into(),
        detail: format!("cannot register a metric: {e}"),
    }
}

impl Metrics {
    /// Register every metric (no series yet).
    pub fn new() -> Result<Self, Error> {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str| -> Result<IntGaugeVec, Error> {
            let g = IntGaugeVec::new(Opts::new(name, help), &["host"]).map_err(metric_error)?;
            registry
                .register(Box::new(g.clone()))
                .map_err(metric_error)?;
            Ok(g)
        };
        let entries = gauge(
            "ipmi_sel_entries",
            "Entries in the SEL at the last successful poll.",
        )?;
        let success = gauge(
            "ipmi_sel_last_poll_success",
            "1 when the last poll of the host worked, 0 when it failed.",
        )?;
        let timestamp = gauge(
            "ipmi_sel_last_poll_timestamp_seconds",
            "Seconds since 1970 when the last poll of the host ended (whatever its outcome).",
        )?;
        let free = gauge(
            "ipmi_sel_free_bytes",
            "Free space of the SEL in bytes (only for sources that report it).",
        )?;
        let config_error = gauge(
            "ipmi_sel_config_error",
            "1 while a configuration mistake (unset password variable, unreadable password file) keeps the host from being polled, else 0.",
        )?;
        let duration = GaugeVec::new(
            Opts::new(
                "ipmi_sel_poll_duration_seconds",
                "Wall time of the last poll of the host.",
            ),
            &["host"],
        )
        .map_err(metric_error)?;
        registry
            .register(Box::new(duration.clone()))
            .map_err(metric_error)?;
        let events = IntCounterVec::new(
            Opts::new(
                "ipmi_sel_events_total",
                "SEL entries ever seen on the host, by severity and sensor type (persisted; never goes down).",
            ),
            &["host", "severity", "sensor_type"],
        )
        .map_err(metric_error)?;
        registry
            .register(Box::new(events.clone()))
            .map_err(metric_error)?;
        let pci = IntCounterVec::new(
            Opts::new(
                "ipmi_sel_pci_errors_total",
                "PCI/PCIe error entries ever seen on the host (persisted; never goes down).",
            ),
            &["host"],
        )
        .map_err(metric_error)?;
        registry
            .register(Box::new(pci.clone()))
            .map_err(metric_error)?;
        Ok(Metrics {
            registry,
            entries,
            events,
            pci,
            success,
            timestamp,
            duration,
            free,
            config_error,
        })
    }

    /// Start the counters of every host at its persisted totals, so a
    /// restarted exporter continues where the last one stopped. A host
    /// without a state file starts at 0; an unreadable one is reported by
    /// its first poll.
    pub fn load_states(&self, inv: &Inventory) {
        let dir = inv.state_dir();
        for h in &inv.hosts {
            self.pci.with_label_values(&[h.name.as_str()]).inc_by(0);
            if let Ok(Some(st)) = load_state(&state_path(&dir, &h.name)) {
                self.set_totals(&h.name, &st);
            }
        }
    }

    /// Raise a counter to `value` (counters only go up).
    fn raise(c: &prometheus::IntCounter, value: u64) {
        let cur = c.get();
        if value > cur {
            c.inc_by(value - cur);
        }
    }

    fn set_totals(&self, host: &str, st: &HostState) {
        for (sev, by_type) in &st.events_total {
            for (st_name, n) in by_type {
                Self::raise(
                    &self
                        .events
                        .with_label_values(&[host, sev.as_str(), st_name.as_str()]),
                    *n,
                );
            }
        }
        Self::raise(&self.pci.with_label_values(&[host]), st.pci_errors_total);
    }

    /// Take in the reports of one poll.
    pub fn record(&self, reports: &[PollReport]) {
        for r in reports {
            let h = r.host.as_str();
            if r.config_error.is_some() {
                self.config_error.with_label_values(&[h]).set(1);
                for g in [&self.success, &self.timestamp, &self.free] {
                    let _ = g.remove_label_values(&[h]);
                }
                let _ = self.duration.remove_label_values(&[h]);
                continue;
            }
            self.config_error.with_label_values(&[h]).set(0);
            let ok = r.error.is_none();
            self.success.with_label_values(&[h]).set(i64::from(ok));
            self.timestamp.with_label_values(&[h]).set(r.finished_at);
            self.duration.with_label_values(&[h]).set(r.duration_secs);
            if ok {
                self.entries
                    .with_label_values(&[h])
                    .set(i64::try_from(r.records).unwrap_or(i64::MAX));
            }
            match r.free_bytes {
                Some(b) => self
                    .free
                    .with_label_values(&[h])
                    .set(i64::try_from(b).unwrap_or(i64::MAX)),
                None => {
                    let _ = self.free.remove_label_values(&[h]);
                }
            }
            if let Some(st) = &r.totals {
                self.set_totals(h, st);
            }
        }
    }

    /// The metrics in the Prometheus text format (0.0.4).
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail on I/O; a bad metric family would
        // be our bug, and then the page is simply shorter.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

async fn metrics_page(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        m.render(),
    )
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// Run the exporter until `shutdown` resolves: poll every host at once,
/// then every `interval`, alerting through `sinks` exactly as `watch` does
/// (same state files), and serve `/metrics` and `/healthz` on `listener`.
/// `on_poll` sees each poll's reports (for logging).
///
/// Shutdown is graceful: a poll under way is finished (it ends within the
/// poll deadline) so its alerts and state are written, then the HTTP server
/// stops accepting and finishes the requests in flight.
pub async fn serve(
    inv: &Inventory,
    sinks: &Sinks,
    listener: tokio::net::TcpListener,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
    on_poll: impl Fn(&[PollReport]),
) -> Result<(), Error> {
    let metrics = Arc::new(Metrics::new()?);
    metrics.load_states(inv);
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/healthz", get(healthz))
        .with_state(metrics.clone());
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    tokio::pin!(shutdown);
    let mut stopping = false;
    while !stopping {
        let poll = poll_once(inv, sinks, Arc::new(|_h: &str| {}));
        tokio::pin!(poll);
        // A shutdown request during a poll is remembered, and the poll is
        // finished first (its alerts were sent: the state must be written).
        let reports = tokio::select! {
            r = &mut poll => r,
            _ = &mut shutdown => {
                stopping = true;
                poll.await
            }
        };
        metrics.record(&reports);
        on_poll(&reports);
        if !stopping {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = &mut shutdown => stopping = true,
            }
        }
    }
    let _ = stop_tx.send(());
    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Error::Transport {
            host: addr,
            detail: format!("metrics server failed: {e}"),
        }),
        Err(e) => Err(Error::Transport {
            host: addr,
            detail: format!("metrics server task failed: {e}"),
        }),
    }
}
