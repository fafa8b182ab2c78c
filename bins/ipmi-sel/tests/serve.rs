//! The exporter (`ipmi-sel serve`) as a process against simulated BMCs
//! (bmc-sim, in this test process), scraped over HTTP; `/metrics` parsed
//! with a Prometheus text parser (`prometheus-parse`). Waits are bounded
//! polls for a state ("until the metric shows X, at most 60 s"), never
//! assertions on speed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PW: &str = "serve-Pa55word";
const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");
const WAIT: Duration = Duration::from_secs(60);

fn sim(count: usize, faults: Vec<bmc_sim::Faults>) -> bmc_sim::SimServer {
    let cfg = bmc_sim::SimConfig {
        count,
        password: PW.into(),
        page_size: 4,
        faults,
        ..Default::default()
    };
    bmc_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap()).expect("start the simulator")
}

/// An HTTP/1.1 request with a plain TCP client: (status, body).
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn inventory(dir: &Path, sim: &bmc_sim::SimServer) -> PathBuf {
    let inv = format!(
        "[settings]\nmin_severity = \"critical\"\nstate_dir = \"state\"\n\n\
         [[sink]]\ntype = \"jsonl\"\npath = \"alerts.jsonl\"\n\n\
         [[host]]\nname = \"bmc0\"\nkind = \"supermicro\"\nurl = \"{}\"\nuser = \"ADMIN\"\npassword_env = \"SERVE_PW\"\n\n\
         [[host]]\nname = \"bmc1\"\nkind = \"redfish\"\nurl = \"{}\"\nuser = \"ADMIN\"\npassword_env = \"SERVE_PW\"\n",
        sim.url(0),
        sim.url(1)
    );
    let p = dir.join("fleet.toml");
    std::fs::write(&p, inv).unwrap();
    p
}

struct Exporter {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
}

impl Exporter {
    fn start(inv: &Path) -> Exporter {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--inventory",
                inv.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--interval",
                "1s",
            ])
            .env("SERVE_PW", PW)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for l in err.lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        let first = rx
            .recv_timeout(WAIT)
            .expect("the exporter announces itself");
        let addr = first
            .strip_prefix("ipmi-sel: serving http://")
            .and_then(|r| r.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("first stderr line: {first}"))
            .to_string();
        Exporter {
            child,
            addr,
            stderr: rx,
        }
    }

    fn scrape(&self) -> Vec<prometheus_parse::Sample> {
        let (status, body) = http(&self.addr, "GET", "/metrics", "");
        assert_eq!(status, 200, "{body}");
        prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string())))
            .expect("/metrics parses as the Prometheus text format")
            .samples
    }

    /// Scrape until `ok` holds for the samples (at most `WAIT`).
    fn scrape_until(&self, what: &str, ok: impl Fn(&Metrics) -> bool) -> Metrics {
        let t0 = Instant::now();
        loop {
            let m = Metrics(self.scrape());
            if ok(&m) {
                return m;
            }
            assert!(t0.elapsed() < WAIT, "never saw {what}; last scrape: {m:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM, then the exit code and the rest of stderr.
    fn terminate(mut self) -> (Option<i32>, String) {
        // SAFETY: the pid is our running child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let st = self.child.wait().unwrap();
        let rest: Vec<String> = self.stderr.try_iter().collect();
        (st.code(), rest.join("\n"))
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Metrics(Vec<prometheus_parse::Sample>);

impl Metrics {
    fn value(s: &prometheus_parse::Sample) -> f64 {
        use prometheus_parse::Value;
        match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => f64::NAN,
        }
    }

    /// The one sample of `name` with these labels.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(Self::value)
    }

    fn is_counter(&self, name: &str) -> bool {
        self.0
            .iter()
            .filter(|s| s.metric == name)
            .all(|s| matches!(s.value, prometheus_parse::Value::Counter(_)))
    }

    /// Every counter series, by metric and labels.
    fn counters(&self) -> HashMap<String, f64> {
        self.0
            .iter()
            .filter(|s| matches!(s.value, prometheus_parse::Value::Counter(_)))
            .map(|s| {
                let mut l: Vec<_> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                l.sort();
                (format!("{}{{{}}}", s.metric, l.join(",")), Self::value(s))
            })
            .collect()
    }

    fn events_sum(&self, host: &str) -> f64 {
        self.0
            .iter()
            .filter(|s| s.metric == "ipmi_sel_events_total" && s.labels.get("host") == Some(host))
            .map(Self::value)
            .sum()
    }

    fn polled(&self, host: &str) -> bool {
        self.get("ipmi_sel_last_poll_success", &[("host", host)]) == Some(1.0)
    }
}

fn event_alerts(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("alerts.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["alert"] == "event")
        .collect()
}

#[test]
fn exporter_metrics_counters_survive_restarts_and_alerts_go_out_once() {
    let sim = sim(2, Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), &sim);

    let ex = Exporter::start(&inv);
    let (status, body) = http(&ex.addr, "GET", "/healthz", "");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let m = ex.scrape_until("both hosts polled", |m| {
        m.polled("bmc0") && m.polled("bmc1")
    });
    // bmc0 (Supermicro CGI): 12 routine entries + a PCI SERR and PERR.
    assert_eq!(m.get("ipmi_sel_entries", &[("host", "bmc0")]), Some(14.0));
    assert_eq!(m.get("ipmi_sel_entries", &[("host", "bmc1")]), Some(12.0));
    assert_eq!(
        m.get("ipmi_sel_pci_errors_total", &[("host", "bmc0")]),
        Some(2.0)
    );
    assert_eq!(
        m.get("ipmi_sel_pci_errors_total", &[("host", "bmc1")]),
        Some(0.0)
    );
    assert_eq!(
        m.get(
            "ipmi_sel_events_total",
            &[
                ("host", "bmc0"),
                ("severity", "critical"),
                ("sensor_type", "Critical Interrupt")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(m.events_sum("bmc0"), 14.0);
    assert_eq!(m.events_sum("bmc1"), 12.0);
    assert!(m.is_counter("ipmi_sel_events_total") && m.is_counter("ipmi_sel_pci_errors_total"));
    assert!(
        m.get("ipmi_sel_last_poll_timestamp_seconds", &[("host", "bmc0")])
            .unwrap()
            > 1.7e9
    );
    assert!(
        m.get("ipmi_sel_poll_duration_seconds", &[("host", "bmc1")])
            .unwrap()
            >= 0.0
    );
    // Neither the CGI nor Redfish reports the SEL's free space.
    assert_eq!(m.get("ipmi_sel_free_bytes", &[("host", "bmc0")]), None);
    assert_eq!(event_alerts(dir.path()).len(), 2);

    // A new PCI SERR on bmc1 alerts once and counts.
    let (st, _) = http(
        &sim.addr.to_string(),
        "POST",
        "/bmc/1/_sim/add",
        "020002124c015d33000413006fa58012",
    );
    assert_eq!(st, 200);
    let m = ex.scrape_until("the new PCI error on bmc1", |m| {
        m.get("ipmi_sel_pci_errors_total", &[("host", "bmc1")]) == Some(1.0)
    });
    assert_eq!(m.get("ipmi_sel_entries", &[("host", "bmc1")]), Some(13.0));
    let before = m.counters();
    let (code, err) = ex.terminate();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stopped; state written"), "{err}");
    assert_eq!(event_alerts(dir.path()).len(), 3);

    // bmc0's SEL is cleared while the exporter is down; after the restart
    // the gauge follows the SEL, the counters never go down (the clear
    // record adds one), nothing alerts again.
    let (st, _) = http(&sim.addr.to_string(), "POST", "/bmc/0/_sim/clear", "");
    assert_eq!(st, 200);
    let ex = Exporter::start(&inv);
    // Before the first poll ends the counters already hold the persisted totals.
    let early = Metrics(ex.scrape());
    assert_eq!(
        early.get("ipmi_sel_pci_errors_total", &[("host", "bmc0")]),
        Some(2.0)
    );
    // A cleared SEL holds one entry: the "log area reset/cleared" record.
    let m = ex.scrape_until("bmc0 polled after the clear", |m| {
        m.polled("bmc0")
            && m.polled("bmc1")
            && m.get("ipmi_sel_entries", &[("host", "bmc0")]) == Some(1.0)
    });
    let after = m.counters();
    for (k, v) in &before {
        assert!(
            after.get(k).copied().unwrap_or(-1.0) >= *v,
            "{k} went from {v} to {:?}",
            after.get(k)
        );
    }
    assert_eq!(
        m.get("ipmi_sel_pci_errors_total", &[("host", "bmc0")]),
        Some(2.0)
    );
    assert_eq!(m.events_sum("bmc0"), 15.0);
    // Several polls later, still no repeated alert.
    std::thread::sleep(Duration::from_millis(2500));
    let (code, err) = ex.terminate();
    assert_eq!(code, Some(0), "{err}");
    let alerts = event_alerts(dir.path());
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    let mut ids: Vec<_> = alerts
        .iter()
        .map(|a| format!("{}|{}|{}", a["host"], a["record_id"], a["raw"]))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "an alert was repeated: {alerts:?}");
}

/// SIGTERM while a poll is under way: the poll is finished (its alerts
/// sent), the state written, exit 0.
#[test]
fn sigterm_during_a_poll_finishes_it_and_writes_the_state() {
    let slow = bmc_sim::Faults {
        slow_ms: 1500,
        ..Default::default()
    };
    let sim = sim(2, vec![slow.clone(), slow]);
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), &sim);
    let ex = Exporter::start(&inv);
    // The first poll starts right after the announcement and takes several
    // slow requests per host.
    std::thread::sleep(Duration::from_millis(300));
    let (code, err) = ex.terminate();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("polled 2 host(s)"), "{err}");
    assert!(err.contains("stopped; state written"), "{err}");
    let state = dir.path().join("state");
    for h in ["bmc0", "bmc1"] {
        let st = ipmi_sel::watch::load_state(&ipmi_sel::watch::state_path(&state, h))
            .unwrap()
            .unwrap_or_else(|| panic!("no state for {h}"));
        assert!(!st.seen.is_empty(), "{h}: {st:?}");
    }
    assert_eq!(st_pci(&state, "bmc0"), 2);
    assert_eq!(event_alerts(dir.path()).len(), 2);
}

fn st_pci(state: &Path, h: &str) -> u64 {
    ipmi_sel::watch::load_state(&ipmi_sel::watch::state_path(state, h))
        .unwrap()
        .unwrap()
        .pci_errors_total
}
