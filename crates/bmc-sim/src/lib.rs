//! A BMC simulator: many simulated BMCs behind one HTTP listener, each
//! serving Supermicro's CGI web UI and a Redfish SEL log from fixtures, with
//! switchable faults. Used by the `ipmi-sel` tests, the benchmark and the
//! `bmc-sim` binary; no production package depends on it.
//!
//! BMC `n` lives under `/bmc/<n>/` (BMC 0 also at `/`). Control endpoints
//! (no auth, bind to 127.0.0.1 only): `POST /bmc/<n>/_sim/faults` (JSON
//! [`Faults`]), `POST /bmc/<n>/_sim/clear` (SEL cleared),
//! `POST /bmc/<n>/_sim/add` (body: hex record(s); record IDs are assigned),
//! `GET /_sim/stats`.

#![deny(missing_docs)]

pub mod hostile;
pub mod lan;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use ipmi_sel::decode::{self, RECORD_LEN, SelRecord, Severity};
use ipmi_sel::tables;

/// Switchable faults of one simulated BMC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Every login fails (HTTP 200 without a session, like the real thing).
    pub wrong_password: bool,
    /// The next SEL request finds its session expired (once).
    pub expire_once: bool,
    /// Every SEL request finds its session expired.
    pub expire_always: bool,
    /// Delay every response by this many milliseconds.
    pub slow_ms: u64,
    /// Answer every request with HTTP 500.
    pub http_500: bool,
    /// Cut the SEL XML / JSON answer in half.
    pub truncated: bool,
    /// Answer the SEL request with an HTML error page.
    pub html_error: bool,
    /// Require the CSRF token header (newer firmware).
    pub csrf: bool,
}

impl Faults {
    /// Switch one fault on from `name` or `name=value` (the field names of
    /// this struct, e.g. `wrong_password`, `slow_ms=3000`).
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let (name, value) = spec.split_once('=').unwrap_or((spec, ""));
        let flag = |v: &str| -> Result<bool, String> {
            match v {
                "" | "1" | "true" | "on" => Ok(true),
                "0" | "false" | "off" => Ok(false),
                _ => Err(format!("fault {name}: {v:?} is not true/false")),
            }
        };
        match name {
            "wrong_password" => self.wrong_password = flag(value)?,
            "expire_once" => self.expire_once = flag(value)?,
            "expire_always" => self.expire_always = flag(value)?,
            "http_500" => self.http_500 = flag(value)?,
            "truncated" => self.truncated = flag(value)?,
            "html_error" => self.html_error = flag(value)?,
            "csrf" => self.csrf = flag(value)?,
            "slow_ms" => {
                self.slow_ms = value.parse().map_err(|_| {
                    format!("fault slow_ms: {value:?} is not a number of milliseconds")
                })?
            }
            _ => {
                return Err(format!(
                    "unknown fault {name:?}; one of wrong_password, expire_once, expire_always, slow_ms=N, http_500, truncated, html_error, csrf"
                ));
            }
        }
        Ok(())
    }
}

/// Simulator configuration.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Number of BMCs.
    pub count: usize,
    /// User name every BMC accepts.
    pub user: String,
    /// Password every BMC accepts.
    pub password: String,
    /// Redfish page size (entries per page).
    pub page_size: usize,
    /// Records per BMC in the generated fixtures.
    pub records: usize,
    /// Faults switched on at start, by BMC index (missing: none).
    pub faults: Vec<Faults>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            count: 1,
            user: "ADMIN".into(),
            password: "ADMIN".into(),
            page_size: 50,
            records: 12,
            faults: Vec::new(),
        }
    }
}

/// SEL capacity (records) the simulated BMCs announce (Redfish
/// `MaxNumberOfRecords`).
pub const SEL_CAPACITY: usize = 512;

struct Bmc {
    records: Vec<[u8; RECORD_LEN]>,
    next_id: u16,
    faults: Faults,
    sessions: HashSet<String>,
    tokens: HashSet<String>,
}

struct Sim {
    cfg: SimConfig,
    bmcs: Vec<Mutex<Bmc>>,
    counter: AtomicU64,
    requests: AtomicU64,
    logins: AtomicU64,
    logouts: AtomicU64,
}

/// Base timestamp of the generated fixtures: 2026-11-01T00:00:00Z.
pub const FIXTURE_EPOCH: u32 = 1_793_491_200;

fn rec(id: u16, ts: u32, gen_id: u16, st: u8, num: u8, et: u8, d: [u8; 3]) -> [u8; RECORD_LEN] {
    let mut r = [0u8; RECORD_LEN];
    r[0..2].copy_from_slice(&id.to_le_bytes());
    r[2] = 0x02;
    r[3..7].copy_from_slice(&ts.to_le_bytes());
    r[7..9].copy_from_slice(&gen_id.to_le_bytes());
    r[9] = 0x04;
    r[10] = st;
    r[11] = num;
    r[12] = et;
    r[13..16].copy_from_slice(&d);
    r
}

/// The deterministic SEL of simulated BMC `index`: a mix of routine events
/// and, on every third BMC (index % 3 == 0), a PCI SERR and a PCI PERR
/// from the BIOS SMI handler (generator 0x0033) on bus 0x80+index%16,
/// devfn 0x12 and 0x10.
pub fn fixture_records(index: usize, count: usize) -> Vec<[u8; RECORD_LEN]> {
    let mut out = Vec::with_capacity(count);
    let base = FIXTURE_EPOCH + (index as u32 % 1000) * 60;
    let bus = 0x80u8.wrapping_add((index % 16) as u8);
    for i in 0..count {
        let id = (i + 1) as u16;
        let ts = base + (i as u32) * 3_600;
        let r = match i % 6 {
            // Chassis intrusion, as in the field notes' sample.
            0 => rec(id, ts, 0x0020, 0x05, 0x51, 0x6F, [0xF0, 0xFF, 0xFF]),
            // Power button pressed.
            1 => rec(id, ts, 0x0020, 0x14, 0x02, 0x6F, [0x00, 0xFF, 0xFF]),
            // CPU temperature upper non-critical going high, reading/threshold.
            2 => rec(id, ts, 0x0020, 0x01, 0x31, 0x01, [0x57, 0x55, 0x50]),
            // Correctable ECC, DIMM 3.
            3 => rec(id, ts, 0x0033, 0x0C, 0x08, 0x6F, [0xA0, 0x00, 0x03]),
            // Supermicro OEM sensor 0xC8 (as in the notes).
            4 => rec(id, ts, 0x0020, 0xC8, 0xFF, 0x6F, [0xA0, 0xFF, 0xFF]),
            // Same temperature deasserted.
            _ => rec(id, ts, 0x0020, 0x01, 0x31, 0x81, [0x57, 0x50, 0x50]),
        };
        out.push(r);
    }
    if index.is_multiple_of(3) && count >= 2 {
        let n = out.len();
        let ts = base + (n as u32) * 3_600;
        out.push(rec(
            n as u16 + 1,
            ts,
            0x0033,
            0x13,
            0x00,
            0x6F,
            [0xA5, bus, 0x12],
        ));
        out.push(rec(
            n as u16 + 2,
            ts + 7,
            0x0033,
            0x13,
            0x00,
            0x6F,
            [0xA4, bus, 0x10],
        ));
    }
    out
}

/// An inventory (TOML) for `ipmi-sel watch/check/fetch --inventory` that
/// points at `count` simulated BMCs on `addr` (Supermicro CGI), password
/// from the env var `password_env`.
pub fn inventory_toml(
    addr: SocketAddr,
    count: usize,
    password_env: &str,
    concurrency: usize,
) -> String {
    let mut s = format!(
        "# Generated by bmc-sim for {count} simulated BMCs on {addr}.\n\
         [settings]\nconcurrency = {concurrency}\ntimeout_secs = 20\nmin_severity = \"critical\"\n\n\
         [[sink]]\ntype = \"stdout\"\n\n"
    );
    for n in 0..count {
        s.push_str(&format!(
            "[[host]]\nname = \"bmc{n}\"\nkind = \"supermicro\"\nurl = \"http://{addr}/bmc/{n}\"\nuser = \"ADMIN\"\npassword_env = \"{password_env}\"\n\n"
        ));
    }
    s
}

/// Render records as Supermicro's `SEL_INFO.XML` answer.
pub fn render_sel_xml(records: &[[u8; RECORD_LEN]]) -> String {
    let mut s = String::with_capacity(120 + records.len() * 130);
    s.push_str("<?xml version=\"1.0\"?>\n<IPMI>\n  <SEL_INFO>\n");
    s.push_str(&format!(
        "    <SEL TOTAL_NUMBER=\"{:04x}\"/>\n",
        records.len()
    ));
    for raw in records {
        let r = SelRecord::decode(*raw);
        let time = match r.timestamp.and_then(|t| t.unix()) {
            Some(t) => decode::format_utc(i64::from(t))
                .replace('-', "/")
                .replace('T', " ")
                .trim_end_matches('Z')
                .to_string(),
            None => "Pre-Init".into(),
        };
        let (sensor, ertype) = match r.system() {
            Some(e) if e.sensor_type == 0x05 => ("Chassis Intru   ".to_string(), "6f".to_string()),
            Some(e) if e.sensor_type == 0x01 => ("CPU Temp        ".to_string(), "01".to_string()),
            Some(_) | None => ("NO Sensor String".to_string(), "FF".to_string()),
        };
        s.push_str(&format!(
            "    <SEL TIME=\"{time}\" SEL_RD=\"{}\" SENSOR_ID=\"{sensor}\" ERTYPE=\"{ertype}\"/>\n",
            decode::hex(raw)
        ));
    }
    s.push_str("  </SEL_INFO>\n</IPMI>\n");
    s
}

/// Render one record as a Redfish `LogEntry`.
pub fn redfish_entry(prefix: &str, raw: &[u8; RECORD_LEN]) -> serde_json::Value {
    let r = SelRecord::decode(*raw);
    let id = r.record_id;
    let created = r
        .timestamp
        .and_then(|t| t.unix())
        .map(|t| decode::format_utc(i64::from(t)).replace('Z', "+00:00"));
    let sev = match r.severity() {
        Severity::Info => "OK",
        Severity::Warning => "Warning",
        Severity::Critical => "Critical",
    };
    let mut v = serde_json::json!({
        "@odata.id": format!("{prefix}/redfish/v1/Systems/1/LogServices/SEL/Entries/{id}"),
        "@odata.type": "#LogEntry.v1_9_0.LogEntry",
        "Id": id.to_string(),
        "Name": "System Event Log Entry",
        "EntryType": "SEL",
        "Message": r.description(),
        "Severity": sev,
    });
    if let Some(c) = created {
        v["Created"] = c.into();
    }
    if let Some(e) = r.system() {
        v["SensorType"] = tables::sensor_type_name(e.sensor_type).into();
        if e.sensor_type >= 0xC0 {
            v["OemSensorType"] = format!("0x{:02X}", e.sensor_type).into();
        }
        v["SensorNumber"] = e.sensor_number.into();
        v["EntryCode"] = if e.deassertion { "Deassert" } else { "Assert" }.into();
        v["GeneratorId"] = format!("0x{:04X}", e.generator.raw).into();
    }
    v
}

/// A running simulator.
pub struct SimServer {
    /// Bound address.
    pub addr: SocketAddr,
    https: bool,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SimServer {
    /// Base URL of BMC `n` (`http://127.0.0.1:port/bmc/n`).
    pub fn url(&self, n: usize) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}/bmc/{n}", self.addr)
    }
    /// Stop the server and wait for its thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }
    fn stop_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Start the simulator on `addr` (use `127.0.0.1:0` for an ephemeral port)
/// in its own thread and tokio runtime.
pub fn spawn(cfg: SimConfig, addr: SocketAddr) -> std::io::Result<SimServer> {
    spawn_inner(cfg, addr, None)
}

fn spawn_inner(
    cfg: SimConfig,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<SimServer> {
    let https = tls.is_some();
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("bmc-sim".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("bmc-sim: cannot start runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                let Ok(l) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let stop = async move {
                    let _ = rx.await;
                };
                match tls {
                    Some(acceptor) => {
                        let l = TlsListener { tcp: l, acceptor };
                        let _ = axum::serve(l, build_app(cfg))
                            .with_graceful_shutdown(stop)
                            .await;
                    }
                    None => {
                        let _ = serve(cfg, l, stop).await;
                    }
                }
            });
        })?;
    Ok(SimServer {
        addr,
        https,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// A certificate and key for the simulator's HTTPS mode.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The certificate, PEM (what a user would pin).
    pub cert_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TlsIdentity {
    /// A fresh self-signed certificate for the given subject alternative
    /// names (like a BMC's factory certificate).
    pub fn self_signed(names: &[&str]) -> Result<Self, String> {
        let ck = rcgen::generate_simple_self_signed(
            names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .map_err(|e| format!("cannot generate a certificate: {e}"))?;
        Ok(TlsIdentity {
            cert_pem: ck.cert.pem(),
            cert_der: ck.cert.der().to_vec(),
            key_der: ck.signing_key.serialize_der(),
        })
    }

    fn acceptor(&self) -> std::io::Result<tokio_rustls::TlsAcceptor> {
        use tokio_rustls::rustls;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let cert = rustls::pki_types::CertificateDer::from(self.cert_der.clone());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(vec![cert], key))
            .map_err(std::io::Error::other)?;
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
    }
}

struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (s, a) = match self.tcp.accept().await {
                Ok(x) => x,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            // A client that rejects our certificate just fails its handshake.
            if let Ok(Ok(t)) =
                tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(s)).await
            {
                return (t, a);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Like [`spawn`], serving HTTPS with `identity`.
pub fn spawn_tls(
    cfg: SimConfig,
    addr: SocketAddr,
    identity: &TlsIdentity,
) -> std::io::Result<SimServer> {
    let acceptor = identity.acceptor()?;
    spawn_inner(cfg, addr, Some(acceptor))
}

fn build_app(cfg: SimConfig) -> Router {
    let bmcs = (0..cfg.count)
        .map(|i| {
            let records = fixture_records(i, cfg.records);
            Mutex::new(Bmc {
                next_id: records.len() as u16 + 1,
                records,
                faults: cfg.faults.get(i).cloned().unwrap_or_default(),
                sessions: HashSet::new(),
                tokens: HashSet::new(),
            })
        })
        .collect();
    let sim = Arc::new(Sim {
        cfg,
        bmcs,
        counter: AtomicU64::new(1),
        requests: AtomicU64::new(0),
        logins: AtomicU64::new(0),
        logouts: AtomicU64::new(0),
    });
    Router::new().fallback(handle).with_state(sim)
}

/// Serve HTTPS on an already bound listener until `shutdown` resolves.
pub async fn serve_tls(
    cfg: SimConfig,
    listener: tokio::net::TcpListener,
    identity: &TlsIdentity,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let l = TlsListener {
        tcp: listener,
        acceptor: identity.acceptor()?,
    };
    axum::serve(l, build_app(cfg))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serve on an already bound listener until `shutdown` resolves.
pub async fn serve(
    cfg: SimConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, build_app(cfg))
        .with_graceful_shutdown(shutdown)
        .await
}

fn html(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html")],
        body.to_string(),
    )
        .into_response()
}

fn json(status: StatusCode, v: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

const LOGIN_PAGE: &str = "<html><head><title>Login</title><META HTTP-EQUIV=\"refresh\" CONTENT=\"0;URL=/\"></head><body></body></html>";

fn form_value(body: &[u8], key: &str) -> Option<String> {
    let s = std::str::from_utf8(body).ok()?;
    s.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (url_decode(k) == key).then(|| url_decode(v))
    })
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn cookie_sid(h: &HeaderMap) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("SID=").map(str::to_string))
}

fn basic_ok(h: &HeaderMap, cfg: &SimConfig) -> bool {
    use std::fmt::Write;
    let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(b64) = v.strip_prefix("Basic ") else {
        return false;
    };
    // Encode expected instead of decoding the header.
    let plain = format!("{}:{}", cfg.user, cfg.password);
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut enc = String::new();
    for chunk in plain.as_bytes().chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= n {
                let _ = enc.write_char(char::from(T[((v >> (18 - 6 * k)) & 63) as usize]));
            } else {
                enc.push('=');
            }
        }
    }
    b64.trim() == enc
}

async fn handle(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.requests.fetch_add(1, Ordering::Relaxed);
    let path = uri.path();
    if path == "/_sim/stats" {
        return json(
            StatusCode::OK,
            &serde_json::json!({
                "requests": sim.requests.load(Ordering::Relaxed),
                "logins": sim.logins.load(Ordering::Relaxed),
                "logouts": sim.logouts.load(Ordering::Relaxed),
                "bmcs": sim.cfg.count,
            }),
        );
    }
    let (idx, prefix, rest) = match path.strip_prefix("/bmc/") {
        Some(r) => {
            let (n, rest) = r.split_once('/').unwrap_or((r, ""));
            match n.parse::<usize>() {
                Ok(i) => (i, format!("/bmc/{i}"), format!("/{rest}")),
                Err(_) => return html(StatusCode::NOT_FOUND, "<html>no such BMC</html>"),
            }
        }
        None => (0, String::new(), path.to_string()),
    };
    let Some(bmc) = sim.bmcs.get(idx) else {
        return html(StatusCode::NOT_FOUND, "<html>no such BMC</html>");
    };
    // Control endpoints bypass faults.
    if let Some(op) = rest.strip_prefix("/_sim/") {
        let mut b = bmc.lock().unwrap_or_else(|e| e.into_inner());
        return match op {
            "faults" => match serde_json::from_slice::<Faults>(&body) {
                Ok(f) => {
                    b.faults = f;
                    json(StatusCode::OK, &serde_json::json!({"ok": true}))
                }
                Err(e) => json(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"error": e.to_string()}),
                ),
            },
            "clear" => {
                // A cleared SEL restarts record IDs and logs the clear itself
                // (Event Logging Disabled, offset 2 Log Area Reset/Cleared).
                let now = FIXTURE_EPOCH + 30 * 86_400;
                b.records = vec![rec(1, now, 0x0020, 0x10, 0x07, 0x6F, [0x02, 0xFF, 0xFF])];
                b.next_id = 2;
                json(StatusCode::OK, &serde_json::json!({"ok": true}))
            }
            "add" => {
                let text = String::from_utf8_lossy(&body);
                match decode::parse_hex_records(&text) {
                    Ok(recs) => {
                        let mut ids = Vec::new();
                        for r in recs {
                            let mut raw = r.raw;
                            let id = b.next_id;
                            b.next_id = b.next_id.wrapping_add(1).max(1);
                            raw[0..2].copy_from_slice(&id.to_le_bytes());
                            b.records.push(raw);
                            ids.push(id);
                        }
                        json(StatusCode::OK, &serde_json::json!({"ids": ids}))
                    }
                    Err(e) => json(StatusCode::BAD_REQUEST, &serde_json::json!({"error": e})),
                }
            }
            _ => html(StatusCode::NOT_FOUND, "<html>unknown control</html>"),
        };
    }
    let faults = bmc.lock().unwrap_or_else(|e| e.into_inner()).faults.clone();
    if faults.slow_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.slow_ms)).await;
    }
    if faults.http_500 {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            "<html><head><title>500 Internal Server Error</title></head></html>",
        );
    }
    let cfg = &sim.cfg;
    match (method.clone(), rest.as_str()) {
        (Method::POST, "/cgi/login.cgi") => {
            sim.logins.fetch_add(1, Ordering::Relaxed);
            let ok = !faults.wrong_password
                && form_value(&body, "name").as_deref() == Some(cfg.user.as_str())
                && form_value(&body, "pwd").as_deref() == Some(cfg.password.as_str());
            if !ok {
                // Like the real firmware: 200, an HTML page, no session.
                return html(
                    StatusCode::OK,
                    "<html><head><title>Login</title></head><body><script>alert('Invalid Username or Password');</script></body></html>",
                );
            }
            let sid = format!(
                "{:016x}",
                sim.counter
                    .fetch_add(1, Ordering::Relaxed)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            );
            bmc.lock()
                .unwrap_or_else(|e| e.into_inner())
                .sessions
                .insert(sid.clone());
            (
                StatusCode::OK,
                [
                    (header::SET_COOKIE, format!("SID={sid}; path=/; secure; HttpOnly")),
                    (header::CONTENT_TYPE, "text/html".to_string()),
                ],
                "<html><head><META HTTP-EQUIV=\"refresh\" CONTENT=\"0;URL=/cgi/url_redirect.cgi?url_name=mainmenu\"></head></html>",
            )
                .into_response()
        }
        (Method::GET, "/cgi/url_redirect.cgi") => {
            let sid = cookie_sid(&headers);
            let b = bmc.lock().unwrap_or_else(|e| e.into_inner());
            if !sid.is_some_and(|s| b.sessions.contains(&s)) {
                return html(StatusCode::OK, LOGIN_PAGE);
            }
            if faults.csrf {
                let tok = format!(
                    "{:032x}",
                    u128::from(idx as u64 + 7).wrapping_mul(0x1234_5678_9ABC_DEF1)
                );
                html(
                    StatusCode::OK,
                    &format!(
                        "<html><head><script>SmcCsrfInsert (\"CSRF_TOKEN\", \"{tok}\");</script></head><body>menu</body></html>"
                    ),
                )
            } else {
                html(StatusCode::OK, "<html><body>menu</body></html>")
            }
        }
        (Method::POST, "/cgi/ipmi.cgi") => {
            let sid = cookie_sid(&headers);
            let mut b = bmc.lock().unwrap_or_else(|e| e.into_inner());
            let valid = sid.as_ref().is_some_and(|s| b.sessions.contains(s));
            if !valid || faults.expire_always {
                return html(StatusCode::OK, LOGIN_PAGE);
            }
            if faults.expire_once {
                b.faults.expire_once = false;
                if let Some(s) = &sid {
                    b.sessions.remove(s);
                }
                return html(StatusCode::OK, LOGIN_PAGE);
            }
            if faults.csrf {
                let want = format!(
                    "{:032x}",
                    u128::from(idx as u64 + 7).wrapping_mul(0x1234_5678_9ABC_DEF1)
                );
                if headers.get("CSRF_TOKEN").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
                    return html(
                        StatusCode::OK,
                        "<html><head><title>Error</title></head><body>Invalid CSRF token</body></html>",
                    );
                }
            }
            if faults.html_error {
                return html(
                    StatusCode::OK,
                    "<html><head><title>Error</title></head><body>Internal error</body></html>",
                );
            }
            if form_value(&body, "SEL_INFO.XML").as_deref() != Some("(1,c0)") {
                return (StatusCode::OK, "<?xml version=\"1.0\"?><IPMI></IPMI>").into_response();
            }
            let mut xml = render_sel_xml(&b.records);
            if faults.truncated {
                xml.truncate(xml.len() / 2);
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/xml")],
                xml,
            )
                .into_response()
        }
        (Method::GET, "/cgi/logout.cgi") => {
            sim.logouts.fetch_add(1, Ordering::Relaxed);
            if let Some(s) = cookie_sid(&headers) {
                bmc.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .sessions
                    .remove(&s);
            }
            html(StatusCode::OK, "<html>bye</html>")
        }
        (Method::POST, "/redfish/v1/SessionService/Sessions") => {
            sim.logins.fetch_add(1, Ordering::Relaxed);
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let ok = !faults.wrong_password
                && v.get("UserName").and_then(|x| x.as_str()) == Some(cfg.user.as_str())
                && v.get("Password").and_then(|x| x.as_str()) == Some(cfg.password.as_str());
            if !ok {
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"error": {"code": "Base.1.8.GeneralError", "message": "Invalid username or password"}}),
                );
            }
            let n = sim.counter.fetch_add(1, Ordering::Relaxed);
            let tok = format!("{:016x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            bmc.lock()
                .unwrap_or_else(|e| e.into_inner())
                .tokens
                .insert(tok.clone());
            let loc = format!("{prefix}/redfish/v1/SessionService/Sessions/{tok}");
            (
                StatusCode::CREATED,
                [
                    ("X-Auth-Token", tok.clone()),
                    ("Location", loc.clone()),
                    ("Content-Type", "application/json".to_string()),
                ],
                serde_json::json!({"@odata.id": loc, "Id": tok, "UserName": cfg.user}).to_string(),
            )
                .into_response()
        }
        (Method::DELETE, p) if p.starts_with("/redfish/v1/SessionService/Sessions/") => {
            sim.logouts.fetch_add(1, Ordering::Relaxed);
            let tok = p.rsplit('/').next().unwrap_or("");
            bmc.lock()
                .unwrap_or_else(|e| e.into_inner())
                .tokens
                .remove(tok);
            StatusCode::NO_CONTENT.into_response()
        }
        // The standard Redfish action that empties a log (`ipmi-sel sel clear`).
        (Method::POST, "/redfish/v1/Systems/1/LogServices/SEL/Actions/LogService.ClearLog") => {
            let mut b = bmc.lock().unwrap_or_else(|e| e.into_inner());
            let tok_ok = headers
                .get("X-Auth-Token")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| b.tokens.contains(t));
            if !(tok_ok || basic_ok(&headers, cfg)) {
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"error": "unauthorized"}),
                );
            }
            b.records.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        (Method::GET, p) if p.starts_with("/redfish/v1") => {
            let mut b = bmc.lock().unwrap_or_else(|e| e.into_inner());
            let tok_ok = headers
                .get("X-Auth-Token")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| b.tokens.contains(t));
            let p = p.trim_end_matches('/');
            if p != "/redfish/v1" && !(tok_ok || basic_ok(&headers, cfg)) {
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"error": "unauthorized"}),
                );
            }
            if p.ends_with("/Entries") && (faults.expire_always || faults.expire_once) {
                if faults.expire_once {
                    b.faults.expire_once = false;
                }
                b.tokens.clear();
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"error": "session expired"}),
                );
            }
            if faults.html_error {
                return html(
                    StatusCode::OK,
                    "<html><head><title>Error</title></head></html>",
                );
            }
            redfish_get(&sim, &b, &prefix, p, uri.query(), faults.truncated)
        }
        _ => html(
            StatusCode::NOT_FOUND,
            "<html><head><title>404 Not Found</title></head></html>",
        ),
    }
}

fn redfish_get(
    sim: &Sim,
    b: &Bmc,
    prefix: &str,
    p: &str,
    query: Option<&str>,
    truncated: bool,
) -> Response {
    let id = |s: &str| serde_json::json!({"@odata.id": format!("{prefix}{s}")});
    let v = match p {
        "/redfish/v1" => serde_json::json!({
            "@odata.id": format!("{prefix}/redfish/v1"),
            "RedfishVersion": "1.11.0",
            "Systems": id("/redfish/v1/Systems"),
            "Managers": id("/redfish/v1/Managers"),
            "SessionService": id("/redfish/v1/SessionService"),
        }),
        "/redfish/v1/Systems" => serde_json::json!({
            "Members": [id("/redfish/v1/Systems/1")], "Members@odata.count": 1
        }),
        "/redfish/v1/Managers" => serde_json::json!({
            "Members": [id("/redfish/v1/Managers/1")], "Members@odata.count": 1
        }),
        "/redfish/v1/Managers/1/LogServices" => {
            serde_json::json!({"Members": [], "Members@odata.count": 0})
        }
        "/redfish/v1/Systems/1/LogServices" => serde_json::json!({
            "Members": [id("/redfish/v1/Systems/1/LogServices/SEL")], "Members@odata.count": 1
        }),
        "/redfish/v1/Systems/1/LogServices/SEL" => serde_json::json!({
            "Id": "SEL", "Name": "System Event Log", "LogEntryType": "SEL",
            "MaxNumberOfRecords": SEL_CAPACITY,
            "OverWritePolicy": "WrapsWhenFull",
            "Entries": id("/redfish/v1/Systems/1/LogServices/SEL/Entries"),
            "Actions": {"#LogService.ClearLog": {
                "target": format!("{prefix}/redfish/v1/Systems/1/LogServices/SEL/Actions/LogService.ClearLog")
            }},
        }),
        "/redfish/v1/Systems/1/LogServices/SEL/Entries" => {
            let skip = query
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("$skip=")))
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0);
            let page = sim.cfg.page_size.max(1);
            let members: Vec<_> = b
                .records
                .iter()
                .skip(skip)
                .take(page)
                .map(|r| redfish_entry(prefix, r))
                .collect();
            let mut v = serde_json::json!({
                "@odata.id": format!("{prefix}/redfish/v1/Systems/1/LogServices/SEL/Entries"),
                "Name": "Log Entry Collection",
                "Members@odata.count": b.records.len(),
                "Members": members,
            });
            if skip + page < b.records.len() {
                v["Members@odata.nextLink"] = format!(
                    "{prefix}/redfish/v1/Systems/1/LogServices/SEL/Entries?$skip={}",
                    skip + page
                )
                .into();
            }
            if truncated {
                let s = v.to_string();
                return (StatusCode::OK, s[..s.len() / 2].to_string()).into_response();
            }
            v
        }
        _ => {
            return json(
                StatusCode::NOT_FOUND,
                &serde_json::json!({"error": format!("no resource {p}")}),
            );
        }
    };
    json(StatusCode::OK, &v)
}
