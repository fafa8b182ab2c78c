//! Fleet watch: a TOML inventory, concurrent polling with a limit, a state
//! file per host so each event alerts exactly once across runs, alert sinks,
//! and the Nagios/Icinga `check` evaluation.
//!
//! Inventory example:
//!
//! ```toml
//! [settings]
//! concurrency = 50          # hosts polled at once
//! timeout_secs = 20         # per request
//! state_dir = "/var/lib/ipmi-sel"   # default: <inventory dir>/ipmi-sel-state
//! min_severity = "warning"  # alert on warning and critical
//! baseline = false          # true: first run records existing events silently
//! max_body_bytes = 4194304  # largest HTTP answer read (docs/LIMITS.md)
//! poll_deadline_secs = 120  # whole poll of one host
//! max_pages = 2000          # Redfish pages per host
//! max_entries = 65536       # Redfish entries per host
//!
//! [[host]]
//! name = "probe-01"
//! kind = "supermicro"       # supermicro | redfish | ipmi | offline
//! url = "https://10.0.0.5"
//! user = "ADMIN"
//! password_env = "BMC_PASSWORD"          # or password_file = "/etc/ipmi-sel/pw" (mode 0600)
//! pinned_cert = "/etc/ipmi-sel/probe-01.pem"   # or insecure = true
//!
//! [[host]]
//! name = "r640-07"
//! kind = "ipmi"             # IPMI v2.0 over LAN (RMCP+), UDP
//! url = "ipmi://10.0.0.7"   # ipmi://HOST[:PORT], port 623 by default
//! cipher_suite = 17         # 17 or 3; unset: 17, falling back to 3
//! user = "admin"
//! password_env = "BMC_PASSWORD"
//!
//! [[sink]]
//! type = "jsonl"
//! path = "/var/log/ipmi-sel/alerts.jsonl"
//! ```
//!
//! Exactly once: the state file of a host holds the identities (record id,
//! timestamp and raw bytes) of the entries seen in its last successful poll.
//! An entry alerts when its identity is new; this stays right when the SEL is
//! cleared or record ids wrap, because a reused id comes with a new
//! timestamp. The state is written atomically (temp file, fsync, rename)
//! after the sinks accepted the alerts; an alert a sink refused is retried on
//! the next poll. A crash between delivery and the state write can repeat an
//! alert once (at-least-once), never lose one.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::decode::{self, Severity};
use crate::error::Error;
use crate::event::Event;
use crate::source::{
    AnySource, ClientCache, Credentials, HttpOptions, Limits, OfflineSource, RedfishAuth,
    RedfishSource, SecretRef, SelSource, SupermicroSource, TlsMode,
};

/// Inventory-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Hosts polled at once.
    pub concurrency: usize,
    /// HTTP timeout per request, seconds.
    pub timeout_secs: u64,
    /// Where the per-host state files live.
    pub state_dir: Option<PathBuf>,
    /// Lowest severity that alerts.
    pub min_severity: Severity,
    /// Record existing events silently on a host's first poll.
    pub baseline: bool,
    /// Largest HTTP response body read, bytes (see [`Limits`]).
    pub max_body_bytes: usize,
    /// Deadline of the whole poll of one host (all its requests), seconds.
    pub poll_deadline_secs: u64,
    /// Most Redfish pages per host and poll.
    pub max_pages: usize,
    /// Most Redfish entries per host and poll.
    pub max_entries: usize,
}

impl Settings {
    /// Default of [`Settings::poll_deadline_secs`]: 120 s.
    pub const POLL_DEADLINE_SECS: u64 = 120;

    /// The per-host resource limits these settings describe.
    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes.max(1),
            max_pages: self.max_pages.max(1),
            max_entries: self.max_entries.max(1),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: 20,
            timeout_secs: 20,
            state_dir: None,
            min_severity: Severity::Warning,
            baseline: false,
            max_body_bytes: Limits::MAX_BODY_BYTES,
            poll_deadline_secs: Self::POLL_DEADLINE_SECS,
            max_pages: Limits::MAX_PAGES,
            max_entries: Limits::MAX_ENTRIES,
        }
    }
}

/// Source kind of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Supermicro web UI (CGI).
    Supermicro,
    /// Redfish.
    Redfish,
    /// A saved file (for testing a pipeline).
    Offline,
    /// IPMI v2.0 over LAN (RMCP+), `url = "ipmi://HOST[:PORT]"`.
    Ipmi,
}

/// One `[[host]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Unique name (used in alerts and the state file name).
    pub name: String,
    /// Source kind.
    pub kind: Kind,
    /// BMC URL (`https://10.0.0.5`); for supermicro/redfish.
    #[serde(default)]
    pub url: Option<String>,
    /// Saved file; for offline.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Login user.
    #[serde(default)]
    pub user: Option<String>,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File (mode 0600) holding the password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Present only to refuse it with a clear message.
    #[serde(default)]
    pub password: Option<toml::Value>,
    /// Skip certificate verification (explicit opt-in).
    #[serde(default)]
    pub insecure: bool,
    /// Trust exactly this PEM certificate.
    #[serde(default)]
    pub pinned_cert: Option<PathBuf>,
    /// Redfish SEL entries collection path (discovered when absent).
    #[serde(default)]
    pub redfish_log: Option<String>,
    /// `session` (default) or `basic`.
    #[serde(default)]
    pub redfish_auth: Option<String>,
    /// Per-host timeout override, seconds.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// RMCP+ cipher suite for kind ipmi: 17 or 3 (unset: 17, then 3).
    #[serde(default)]
    pub cipher_suite: Option<u8>,
    /// Kind ipmi: clear the SEL after each successful read (explicit
    /// opt-in; the entries read are still handled).
    #[serde(default)]
    pub clear_sel: bool,
}

impl HostConfig {
    /// Check what can be checked without the network or the secret: the
    /// fields the kind needs, the URL's form (`ipmi://HOST[:PORT]` for
    /// ipmi, `http(s)://HOST[:PORT][/PATH]` or a bare `HOST[:PORT]`, taken
    /// as https, for supermicro and redfish), one password reference.
    /// The message says what to fix; [`Inventory::parse`] prefixes the file
    /// and host.
    pub fn validate(&self) -> Result<(), String> {
        let h = self;
        match h.kind {
            Kind::Offline => {
                if h.path.is_none() {
                    return Err("kind offline needs path".into());
                }
                return Ok(());
            }
            Kind::Ipmi => {
                let url = h.url.as_deref().unwrap_or_default();
                if crate::lan::parse_url(url).is_none() {
                    return Err(format!(
                        "kind ipmi needs url = \"ipmi://HOST[:PORT]\", not {url:?}; write e.g. ipmi://10.0.0.5 or ipmi://10.0.0.5:623"
                    ));
                }
                if let Some(c) = h.cipher_suite
                    && crate::lan::wire::CipherSuite::from_id(c).is_none()
                {
                    return Err(format!("cipher_suite {c} is not supported; use 17 or 3"));
                }
            }
            Kind::Supermicro | Kind::Redfish => {
                if h.cipher_suite.is_some() || h.clear_sel {
                    return Err("cipher_suite and clear_sel are only for kind ipmi".into());
                }
                let Some(url) = h.url.as_deref() else {
                    return Err("needs url".into());
                };
                if let Err(Error::Config { detail, .. }) = crate::source::base_url(&h.name, url) {
                    return Err(detail);
                }
            }
        }
        if h.url.is_none() {
            return Err("needs url".into());
        }
        if h.user.is_none() {
            return Err("needs user".into());
        }
        if h.password_env.is_some() == h.password_file.is_some() {
            return Err("set exactly one of password_env or password_file".into());
        }
        if h.insecure && h.pinned_cert.is_some() {
            return Err("insecure and pinned_cert exclude each other".into());
        }
        if let Some(a) = &h.redfish_auth
            && a != "session"
            && a != "basic"
        {
            return Err(format!("redfish_auth {a:?} must be session or basic"));
        }
        Ok(())
    }

    /// Load the host's password from its reference, as the poll would: an
    /// unset or empty variable, a missing, unreadable, empty or
    /// group/world-readable file is an [`Error::Config`] naming the host.
    /// Offline hosts need none.
    pub fn check_secret(&self) -> Result<(), Error> {
        if self.kind == Kind::Offline {
            return Ok(());
        }
        secret_ref(self)?
            .load(&format!("host {}", self.name))
            .map(|_| ())
    }

    /// A host given on the command line by its URL: named after the URL
    /// without scheme and trailing slash (`https://10.0.0.5/` is `10.0.0.5`),
    /// no password reference, certificates verified, default timeout. Set
    /// the `pub` fields for the rest, then use [`Inventory::single`].
    ///
    /// ```
    /// use ipmi_sel::watch::{HostConfig, Kind};
    /// let h = HostConfig::for_url("https://10.0.0.5/", Kind::Redfish, "ADMIN");
    /// assert_eq!(h.name, "10.0.0.5");
    /// assert_eq!(h.url.as_deref(), Some("https://10.0.0.5/"));
    /// ```
    pub fn for_url(url: &str, kind: Kind, user: &str) -> HostConfig {
        let name = url
            .split("://")
            .last()
            .unwrap_or(url)
            .trim_end_matches('/')
            .to_string();
        HostConfig {
            name,
            kind,
            url: Some(url.to_string()),
            path: None,
            user: Some(user.to_string()),
            password_env: None,
            password_file: None,
            password: None,
            insecure: false,
            pinned_cert: None,
            redfish_log: None,
            redfish_auth: None,
            timeout_secs: None,
            cipher_suite: None,
            clear_sel: false,
        }
    }
}

/// One `[[sink]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum SinkConfig {
    /// Print each alert on stdout (`format` = `text` or `jsonl`).
    Stdout {
        /// `text` (default) or `jsonl`.
        #[serde(default)]
        format: Option<String>,
    },
    /// Append each alert as a JSON line to a file.
    Jsonl {
        /// Log file.
        path: PathBuf,
    },
    /// Run a command (no shell) with the alert JSON on stdin.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Seconds before the command is killed (default 30).
        #[serde(default)]
        timeout_secs: Option<u64>,
    },
    /// POST the alert JSON to a URL.
    Webhook {
        /// Endpoint.
        url: String,
        /// Environment variable with a bearer token (optional).
        #[serde(default)]
        token_env: Option<String>,
        /// Skip certificate verification.
        #[serde(default)]
        insecure: bool,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryFile {
    #[serde(default)]
    settings: Settings,
    #[serde(default, rename = "host")]
    hosts: Vec<HostConfig>,
    #[serde(default, rename = "sink")]
    sinks: Vec<SinkConfig>,
}

/// A loaded, validated inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// File it came from.
    pub path: PathBuf,
    /// Settings.
    pub settings: Settings,
    /// Hosts.
    pub hosts: Vec<HostConfig>,
    /// Sinks.
    pub sinks: Vec<SinkConfig>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Inventory {
    /// Load and validate an inventory file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parse inventory text; `path` names it in errors and anchors relative
    /// paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        let p = path.display().to_string();
        let f: InventoryFile = toml::from_str(text).map_err(|e| Error::Config {
            path: p.clone(),
            detail: match e.span() {
                Some(s) => format!("line {}: {}", line_of(text, s.start), e.message()),
                None => e.message().to_string(),
            },
        })?;
        let mut names = HashSet::new();
        for (i, h) in f.hosts.iter().enumerate() {
            let at = |d: String| Error::Config {
                path: p.clone(),
                detail: format!("host #{} ({:?}): {d}", i + 1, h.name),
            };
            if h.name.trim().is_empty() {
                return Err(at("name is empty".into()));
            }
            if !names.insert(h.name.clone()) {
                return Err(at("duplicate host name".into()));
            }
            if h.password.is_some() {
                return Err(at(
                    "inline passwords are not allowed; use password_env = \"VAR\" or password_file = \"/path\" (mode 0600)".into(),
                ));
            }
            h.validate().map_err(at)?;
        }
        if f.settings.concurrency == 0 {
            return Err(Error::Config {
                path: p,
                detail: "settings.concurrency must be at least 1".into(),
            });
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut inv = Inventory {
            path: path.to_path_buf(),
            settings: f.settings,
            hosts: f.hosts,
            sinks: f.sinks,
        };
        let rel = |q: &mut PathBuf| {
            if q.is_relative() {
                *q = base.join(&*q);
            }
        };
        for h in &mut inv.hosts {
            h.path.as_mut().map(rel);
            h.password_file.as_mut().map(rel);
            h.pinned_cert.as_mut().map(rel);
        }
        if let Some(d) = inv.settings.state_dir.as_mut() {
            rel(d);
        }
        for s in &mut inv.sinks {
            if let SinkConfig::Jsonl { path } = s {
                rel(path);
            }
        }
        Ok(inv)
    }

    /// An inventory of one host (from the command line): default settings,
    /// no sinks, named `<command line>` in errors.
    pub fn single(host: HostConfig) -> Inventory {
        Inventory {
            path: PathBuf::from("<command line>"),
            settings: Settings::default(),
            hosts: vec![host],
            sinks: Vec::new(),
        }
    }

    /// Check every host's password reference ([`HostConfig::check_secret`]):
    /// one [`Error::Config`] per host whose secret cannot be loaded.
    /// `fetch` and `check` call it before touching the network, so a local
    /// mistake exits 3 instead of failing hosts one by one.
    pub fn check_secrets(&self) -> Vec<Error> {
        self.hosts
            .iter()
            .filter_map(|h| h.check_secret().err())
            .collect()
    }

    /// Directory of the state files.
    pub fn state_dir(&self) -> PathBuf {
        self.settings.state_dir.clone().unwrap_or_else(|| {
            self.path
                .parent()
                .unwrap_or(Path::new("."))
                .join("ipmi-sel-state")
        })
    }

    /// Keep only the named hosts (for `check --host`/`fetch --host`).
    pub fn select(&mut self, names: &[String]) -> Result<(), Error> {
        if names.is_empty() {
            return Ok(());
        }
        for n in names {
            if !self.hosts.iter().any(|h| &h.name == n) {
                return Err(Error::Config {
                    path: self.path.display().to_string(),
                    detail: format!("no host named {n:?} in the inventory"),
                });
            }
        }
        self.hosts.retain(|h| names.contains(&h.name));
        Ok(())
    }
}

fn secret_ref(h: &HostConfig) -> Result<SecretRef, Error> {
    match (&h.password_env, &h.password_file) {
        (Some(v), _) => Ok(SecretRef::Env(v.clone())),
        (None, Some(f)) => Ok(SecretRef::File(f.clone())),
        (None, None) => Err(Error::Config {
            path: format!("host {}", h.name),
            detail: "no password_env or password_file; set one (passwords are never inline)".into(),
        }),
    }
}

/// Build the source of a host.
pub fn build_source(
    h: &HostConfig,
    settings: &Settings,
    cache: &ClientCache,
) -> Result<AnySource, Error> {
    let owner = format!("host {}", h.name);
    if h.kind == Kind::Offline {
        let p = h.path.clone().unwrap_or_default();
        return Ok(AnySource::Offline(OfflineSource::new(&h.name, p)));
    }
    let secret = secret_ref(h)?;
    let creds = Credentials {
        user: h.user.clone().unwrap_or_default(),
        password: secret.load(&owner)?,
    };
    if h.kind == Kind::Ipmi {
        let url = h.url.clone().unwrap_or_default();
        return Ok(AnySource::Lan(
            crate::lan::LanSource::new(&h.name, &url, creds, lan_options(h, settings))?
                .clear_after_read(h.clear_sel),
        ));
    }
    let tls = if h.insecure {
        TlsMode::Insecure
    } else if let Some(p) = &h.pinned_cert {
        TlsMode::Pinned(p.clone())
    } else {
        TlsMode::Verify
    };
    let opts = HttpOptions {
        timeout: Duration::from_secs(h.timeout_secs.unwrap_or(settings.timeout_secs).max(1)),
        tls,
    };
    let client = cache.get(&opts, &owner)?;
    let url = h.url.clone().unwrap_or_default();
    Ok(match h.kind {
        Kind::Supermicro => AnySource::Supermicro(
            SupermicroSource::new(&h.name, &url, client, creds)?.with_limits(settings.limits()),
        ),
        _ => {
            let auth = if h.redfish_auth.as_deref() == Some("basic") {
                RedfishAuth::Basic
            } else {
                RedfishAuth::Session
            };
            AnySource::Redfish(
                RedfishSource::new(&h.name, &url, client, creds, auth, h.redfish_log.clone())?
                    .with_limits(settings.limits()),
            )
        }
    })
}

/// The RMCP+ options of an `ipmi` host: the request timeout
/// (`timeout_secs`) is split over a first try and 3 retries, each try
/// waiting at least 250 ms.
pub fn lan_options(h: &HostConfig, settings: &Settings) -> crate::lan::LanOptions {
    let mut o = crate::lan::LanOptions::default();
    let total = Duration::from_secs(h.timeout_secs.unwrap_or(settings.timeout_secs).max(1));
    o.timeout = (total / (o.retries + 1)).max(Duration::from_millis(250));
    o.cipher_suite = h
        .cipher_suite
        .and_then(crate::lan::wire::CipherSuite::from_id);
    o
}

/// A host name and what fetching its SEL gave.
pub type HostResult = (String, Result<Vec<Event>, Error>);

/// One host's fetch with what the exporter reports beside the entries.
#[derive(Debug)]
pub struct HostFetch {
    /// Host name.
    pub host: String,
    /// The entries, or why there are none.
    pub result: Result<Vec<Event>, Error>,
    /// Wall time of the fetch (login to logout), capped by the deadline.
    pub duration: Duration,
    /// SEL free space in bytes, when the source knows it.
    pub free_bytes: Option<u64>,
}

/// Fetch every host of the inventory with the concurrency limit. Results
/// come back in inventory order. `on_done` is called as each host finishes
/// (for a progress bar).
pub async fn fetch_all(
    inv: &Inventory,
    on_done: Arc<dyn Fn(&str) + Send + Sync>,
) -> Vec<HostResult> {
    fetch_all_timed(inv, on_done)
        .await
        .into_iter()
        .map(|f| (f.host, f.result))
        .collect()
}

/// [`fetch_all`] with each host's duration and SEL free space. The whole
/// poll of one host (every request, every page) is bounded by
/// [`Settings::poll_deadline_secs`]: past it the fetch is dropped, which
/// closes its connections, and the host fails with [`Error::Deadline`].
pub async fn fetch_all_timed(
    inv: &Inventory,
    on_done: Arc<dyn Fn(&str) + Send + Sync>,
) -> Vec<HostFetch> {
    let cache = ClientCache::default();
    let sem = Arc::new(tokio::sync::Semaphore::new(inv.settings.concurrency));
    let deadline = Duration::from_secs(inv.settings.poll_deadline_secs.max(1));
    let mut set = tokio::task::JoinSet::new();
    for (i, h) in inv.hosts.iter().enumerate() {
        let src = build_source(h, &inv.settings, &cache);
        let sem = sem.clone();
        let name = h.name.clone();
        let on_done = on_done.clone();
        set.spawn(async move {
            let mut took = Duration::ZERO;
            let mut free = None;
            let r = match src {
                Ok(mut s) => {
                    let _permit = sem.acquire_owned().await;
                    let t0 = std::time::Instant::now();
                    let r = match tokio::time::timeout(deadline, s.fetch()).await {
                        Ok(r) => r,
                        Err(_) => Err(Error::Deadline {
                            host: name.clone(),
                            secs: deadline.as_secs(),
                        }),
                    };
                    took = t0.elapsed();
                    if r.is_ok() {
                        free = s.free_bytes();
                    }
                    r
                }
                Err(e) => Err(e),
            };
            on_done(&name);
            (i, name, r, took, free)
        });
    }
    let mut out: Vec<Option<HostFetch>> = (0..inv.hosts.len()).map(|_| None).collect();
    while let Some(j) = set.join_next().await {
        match j {
            Ok((i, host, result, duration, free_bytes)) => {
                out[i] = Some(HostFetch {
                    host,
                    result,
                    duration,
                    free_bytes,
                })
            }
            Err(e) => eprintln!("ipmi-sel: internal error in a poll task: {e}"),
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.unwrap_or_else(|| {
                let n = inv.hosts[i].name.clone();
                let e = Error::Transport {
                    host: n.clone(),
                    detail: "poll task failed".into(),
                };
                HostFetch {
                    host: n,
                    result: Err(e),
                    duration: Duration::ZERO,
                    free_bytes: None,
                }
            })
        })
        .collect()
}

/// Per-host state persisted between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HostState {
    /// Format version.
    pub version: u32,
    /// Identities ([`Event::identity`]) of the entries already handled.
    pub seen: Vec<String>,
    /// Last poll error, if the last poll failed.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Seconds since 1970 of the last successful poll that changed the state
    /// (unchanged state is not rewritten).
    #[serde(default)]
    pub last_ok: Option<i64>,
    /// Entries ever seen on this host, by severity and then sensor type
    /// name (`unknown` when the source gave none). Only ever grows, also
    /// when the SEL is cleared: the exporter's `ipmi_sel_events_total`.
    #[serde(default)]
    pub events_total: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
    /// PCI/PCIe errors ever seen on this host (entries with a PCI
    /// location): the exporter's `ipmi_sel_pci_errors_total`.
    #[serde(default)]
    pub pci_errors_total: u64,
}

impl HostState {
    /// Count a newly seen entry in the totals.
    pub fn count(&mut self, ev: &Event) {
        let st = ev.sensor_type.as_deref().unwrap_or("unknown");
        *self
            .events_total
            .entry(ev.severity.as_str().to_string())
            .or_default()
            .entry(st.to_string())
            .or_default() += 1;
        if is_pci_error(ev) {
            self.pci_errors_total += 1;
        }
    }
}

/// A PCI/PCIe error: a Critical Interrupt (0x13) entry that names a PCI
/// bus and device (PCI PERR/SERR, bus correctable/uncorrectable/fatal).
pub fn is_pci_error(ev: &Event) -> bool {
    ev.sensor_type_code == Some(0x13) && ev.bus.is_some()
}

/// File name of a host's state (name sanitised to `[A-Za-z0-9._-]`).
pub fn state_path(dir: &Path, host: &str) -> PathBuf {
    let safe: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Distinguish names that sanitise alike.
    let h = host.bytes().fold(0xcbf2_9ce4_8422_2325u64, |a, b| {
        (a ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    dir.join(format!("{safe}.{:08x}.state.json", h as u32))
}

/// Load a host's state; `Ok(None)` when there is none yet.
pub fn load_state(path: &Path) -> Result<Option<HostState>, Error> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| Error::Config {
            path: path.display().to_string(),
            detail: format!(
                "line {}: corrupt state file ({e}); delete it to start over (events will alert again)",
                e.line()
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Write `bytes` to `path` atomically: temp file in the same directory,
/// fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|s| s.to_str()).unwrap_or("state"),
        std::process::id()
    ));
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// What an alert sink receives: an event, or a host that stopped answering.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "alert", rename_all = "snake_case")]
pub enum Alert {
    /// A new SEL entry.
    Event(Box<Event>),
    /// A host whose poll failed after it had worked (or on its first poll).
    HostDown {
        /// Host name.
        host: String,
        /// The error.
        error: String,
    },
    /// A host that answers again.
    HostUp {
        /// Host name.
        host: String,
    },
}

impl Alert {
    /// One human-readable line.
    pub fn text(&self) -> String {
        match self {
            Alert::Event(e) => format!(
                "{} {} {} {} #{} {}{} (record {})",
                e.timestamp.as_deref().unwrap_or("-"),
                e.host.as_deref().unwrap_or("-"),
                e.severity.as_str().to_uppercase(),
                e.sensor_type.as_deref().unwrap_or("OEM"),
                e.sensor_number
                    .map(|n| format!("0x{n:02x}"))
                    .unwrap_or_else(|| "-".into()),
                e.description,
                if e.direction.as_deref() == Some("deassertion") {
                    " (deasserted)"
                } else {
                    ""
                },
                e.record_id
            ),
            Alert::HostDown { host, error } => {
                let e = error.strip_prefix(&format!("{host}: ")).unwrap_or(error);
                format!("{host} DOWN: {e}")
            }
            Alert::HostUp { host } => format!("{host} UP again"),
        }
    }
}

/// Delivers alerts to the configured sinks.
pub struct Sinks {
    sinks: Vec<SinkConfig>,
    client: reqwest::Client,
    insecure_client: reqwest::Client,
    lock: tokio::sync::Mutex<()>,
}

impl Sinks {
    /// Build from configuration.
    pub fn new(sinks: Vec<SinkConfig>) -> Result<Self, Error> {
        let mk = |insecure: bool| {
            let mut b = reqwest::Client::builder().timeout(Duration::from_secs(15));
            if insecure {
                b = b.tls_danger_accept_invalid_certs(true);
            }
            b.build().map_err(|e| Error::Config {
                path: "webhook sink".into(),
                detail: format!("cannot build the HTTP client: {e}"),
            })
        };
        Ok(Sinks {
            sinks,
            client: mk(false)?,
            insecure_client: mk(true)?,
            lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Deliver one alert to every sink. Returns the sink errors (empty:
    /// delivered everywhere).
    pub async fn deliver(&self, alert: &Alert) -> Vec<String> {
        let json = match serde_json::to_string(alert) {
            Ok(j) => j,
            Err(e) => return vec![format!("cannot serialise alert: {e}")],
        };
        let mut errs = Vec::new();
        // Sinks are serialised so lines never interleave.
        let _g = self.lock.lock().await;
        for s in &self.sinks {
            if let Err(e) = self.one(s, alert, &json).await {
                errs.push(e);
            }
        }
        errs
    }

    async fn one(&self, s: &SinkConfig, alert: &Alert, json: &str) -> Result<(), String> {
        match s {
            SinkConfig::Stdout { format } => {
                let line = if format.as_deref() == Some("jsonl") {
                    json.to_string()
                } else {
                    alert.text()
                };
                let mut out = std::io::stdout().lock();
                writeln!(out, "{line}")
                    .and_then(|_| out.flush())
                    .map_err(|e| format!("stdout sink: {e}"))
            }
            SinkConfig::Jsonl { path } => {
                let mut o = std::fs::OpenOptions::new();
                o.create(true).append(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    o.mode(0o640);
                }
                let mut f = o
                    .open(path)
                    .map_err(|e| format!("jsonl sink {}: {e}", path.display()))?;
                f.write_all(format!("{json}\n").as_bytes())
                    .and_then(|_| f.sync_data())
                    .map_err(|e| format!("jsonl sink {}: {e}", path.display()))
            }
            SinkConfig::Command { argv, timeout_secs } => {
                let Some((prog, args)) = argv.split_first() else {
                    return Err("command sink: argv is empty".into());
                };
                run_command(
                    prog,
                    args,
                    json,
                    Duration::from_secs(timeout_secs.unwrap_or(30)),
                )
                .await
                .map_err(|e| format!("command sink {prog}: {e}"))
            }
            SinkConfig::Webhook {
                url,
                token_env,
                insecure,
            } => {
                let c = if *insecure {
                    &self.insecure_client
                } else {
                    &self.client
                };
                let mut req = c
                    .post(url)
                    .header("Content-Type", "application/json")
                    .body(json.to_string());
                if let Some(var) = token_env {
                    let tok = std::env::var(var)
                        .map_err(|_| format!("webhook sink: env var {var} (token) is not set"))?;
                    req = req.bearer_auth(tok);
                }
                let r = req
                    .send()
                    .await
                    .map_err(|e| format!("webhook sink {url}: {}", crate::source::chain(&e)))?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("webhook sink {url}: HTTP {}", r.status().as_u16()))
                }
            }
        }
    }
}

async fn run_command(
    prog: &str,
    args: &[String],
    json: &str,
    timeout: Duration,
) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(prog)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(json.as_bytes()).await;
        let _ = stdin.write_all(b"\n").await;
    }
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(st)) if st.success() => Ok(()),
        Ok(Ok(st)) => Err(format!("exited with {st}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!("killed after {}s", timeout.as_secs()))
        }
    }
}

/// Outcome of polling one host.
#[derive(Debug, Clone, Serialize)]
pub struct PollReport {
    /// Host.
    pub host: String,
    /// Error, when the poll (or state handling) failed.
    pub error: Option<String>,
    /// A local configuration mistake that kept this host from being polled
    /// (its password variable unset, its password file unreadable or
    /// group/world-readable). Not a host failure: no DOWN alert, no failed
    /// poll in the metrics; `error` stays `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_error: Option<String>,
    /// Entries in the SEL.
    pub records: usize,
    /// Entries not seen before.
    pub new: usize,
    /// Alerts delivered (new entries at or above `min_severity`).
    pub alerted: usize,
    /// Sink failures (alerts retried next poll).
    pub sink_errors: Vec<String>,
    /// Wall time of the fetch, seconds.
    #[serde(default)]
    pub duration_secs: f64,
    /// SEL free space, bytes, when the source knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
    /// Seconds since 1970 when the poll of this host ended.
    #[serde(default)]
    pub finished_at: i64,
    /// The host's persisted totals after this poll (they never go down).
    #[serde(skip)]
    pub totals: Option<HostState>,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Poll every host once: fetch, compare with the state, alert, save state.
/// One host failing never stops the others.
pub async fn poll_once(
    inv: &Inventory,
    sinks: &Sinks,
    on_done: Arc<dyn Fn(&str) + Send + Sync>,
) -> Vec<PollReport> {
    let dir = inv.state_dir();
    // Two watchers on one state directory would both alert: refuse.
    let _lock = match lock_state_dir(&dir) {
        Ok(l) => l,
        Err(e) => {
            let msg = e.to_string();
            return inv
                .hosts
                .iter()
                .map(|h| PollReport {
                    host: h.name.clone(),
                    error: Some(msg.clone()),
                    config_error: None,
                    records: 0,
                    new: 0,
                    alerted: 0,
                    sink_errors: Vec::new(),
                    duration_secs: 0.0,
                    free_bytes: None,
                    finished_at: now_unix(),
                    totals: None,
                })
                .collect();
        }
    };
    let results = fetch_all_timed(inv, on_done).await;
    let mut reports = Vec::with_capacity(results.len());
    let mut writes = Vec::new();
    for f in results {
        let (mut rep, w) = handle_host(inv, sinks, &dir, f.host, f.result).await;
        rep.duration_secs = f.duration.as_secs_f64();
        rep.free_bytes = f.free_bytes;
        if let Some(w) = w {
            writes.push((reports.len(), w));
        }
        reports.push(rep);
    }
    // State files are written (fsync + rename) in parallel: on a busy disk
    // 1,000 sequential fsyncs take seconds.
    let errors = tokio::task::spawn_blocking(move || write_states(writes))
        .await
        .unwrap_or_default();
    for (i, e) in errors {
        if let Some(r) = reports.get_mut(i) {
            r.error.get_or_insert(e);
        }
    }
    reports
}

/// Take the exclusive lock of a state directory (`watch.lock`, an advisory
/// file lock released when the returned file is dropped or the process
/// exits).
pub fn lock_state_dir(dir: &Path) -> Result<std::fs::File, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let p = dir.join("watch.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(|e| Error::io(&p, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Config {
            path: p.display().to_string(),
            detail: "another ipmi-sel watch is using this state directory; stop it or give this one its own state_dir".into(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&p, e)),
    }
}

fn write_states(writes: Vec<(usize, (PathBuf, Vec<u8>))>) -> Vec<(usize, String)> {
    let threads = 16.min(writes.len().max(1));
    let chunk = writes.len().div_ceil(threads).max(1);
    std::thread::scope(|sc| {
        let handles: Vec<_> = writes
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .filter_map(|(i, (p, b))| {
                            write_atomic(p, b).err().map(|e| (*i, e.to_string()))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

async fn handle_host(
    inv: &Inventory,
    sinks: &Sinks,
    dir: &Path,
    host: String,
    r: Result<Vec<Event>, Error>,
) -> (PollReport, Option<(PathBuf, Vec<u8>)>) {
    let path = state_path(dir, &host);
    let mut rep = PollReport {
        host: host.clone(),
        error: None,
        config_error: None,
        records: 0,
        new: 0,
        alerted: 0,
        sink_errors: Vec::new(),
        duration_secs: 0.0,
        free_bytes: None,
        finished_at: now_unix(),
        totals: None,
    };
    let prev = match load_state(&path) {
        Ok(p) => p,
        Err(e) => {
            rep.error = Some(e.to_string());
            return (rep, None);
        }
    };
    let first = prev.is_none();
    let before = prev.clone();
    let mut state = prev.unwrap_or(HostState {
        version: 1,
        ..HostState::default()
    });
    match r {
        // A mistake on this side (the host was not even asked): reported as
        // such, never as the host being down; its state (up/down, seen
        // entries, whether it ever answered) is left as it was.
        Err(e) if e.is_config() => {
            rep.config_error = Some(e.to_string());
            rep.totals = before;
            return (rep, None);
        }
        Err(e) => {
            let msg = e.to_string();
            rep.error = Some(msg.clone());
            // Alert on the transition to down only.
            if state.last_error.is_none() {
                let errs = sinks
                    .deliver(&Alert::HostDown {
                        host: host.clone(),
                        error: msg.clone(),
                    })
                    .await;
                rep.sink_errors.extend(errs);
            }
            state.last_error = Some(msg);
        }
        Ok(events) => {
            rep.records = events.len();
            if state.last_error.is_some() && !first {
                let errs = sinks.deliver(&Alert::HostUp { host: host.clone() }).await;
                rep.sink_errors.extend(errs);
            }
            let prev_seen = std::mem::take(&mut state.seen);
            let seen: HashSet<&str> = prev_seen.iter().map(String::as_str).collect();
            let mut keep: Vec<String> = Vec::with_capacity(events.len());
            for ev in &events {
                let id = ev.identity();
                if seen.contains(id.as_str()) {
                    keep.push(id);
                    continue;
                }
                rep.new += 1;
                let alert =
                    !(first && inv.settings.baseline) && ev.severity >= inv.settings.min_severity;
                if alert {
                    let errs = sinks.deliver(&Alert::Event(Box::new(ev.clone()))).await;
                    if errs.is_empty() {
                        rep.alerted += 1;
                        keep.push(id);
                        state.count(ev);
                    } else {
                        // Not remembered: retried on the next poll.
                        rep.sink_errors.extend(errs);
                    }
                } else {
                    keep.push(id);
                    state.count(ev);
                }
            }
            state.seen = keep;
            state.last_error = None;
            state.last_ok = Some(now_unix());
        }
    }
    rep.totals = Some(state.clone());
    // Unchanged state (the steady case) is not rewritten.
    let changed = before
        .as_ref()
        .is_none_or(|b| b.seen != state.seen || b.last_error != state.last_error);
    if !changed {
        return (rep, None);
    }
    match serde_json::to_vec_pretty(&state) {
        Ok(b) => (rep, Some((path, b))),
        Err(e) => {
            rep.error.get_or_insert(format!("{}: {e}", path.display()));
            (rep, None)
        }
    }
}

/// Nagios/Icinga plugin result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub code: i32,
    /// The one status line, with perfdata after `|`.
    pub line: String,
}

/// Evaluate fetched SELs the Nagios way: CRITICAL when a critical entry
/// (asserted) is in the window, else UNKNOWN when a host could not be read,
/// else WARNING for warning entries, else OK. Entries without an absolute
/// timestamp (pre-init) are not counted.
pub fn check(results: &[HostResult], now: i64, window_secs: i64) -> CheckResult {
    let mut crit = 0usize;
    let mut warn = 0usize;
    let mut records = 0usize;
    let mut failed: Vec<String> = Vec::new();
    let mut worst: Option<&Event> = None;
    for (_, r) in results {
        match r {
            Err(e) => failed.push(e.to_string()),
            Ok(evs) => {
                records += evs.len();
                for e in evs {
                    let Some(t) = e.unix_time else { continue };
                    if t < now - window_secs || t > now + 86_400 {
                        continue;
                    }
                    match e.severity {
                        Severity::Critical => crit += 1,
                        Severity::Warning => warn += 1,
                        Severity::Info => continue,
                    }
                    let better = match worst {
                        None => true,
                        Some(w) => (e.severity, e.unix_time) > (w.severity, w.unix_time),
                    };
                    if better {
                        worst = Some(e);
                    }
                }
            }
        }
    }
    let (code, word) = if crit > 0 {
        (2, "CRITICAL")
    } else if !failed.is_empty() {
        (3, "UNKNOWN")
    } else if warn > 0 {
        (1, "WARNING")
    } else {
        (0, "OK")
    };
    let hours = window_secs as f64 / 3600.0;
    let mut line = format!(
        "IPMI-SEL {word} - {crit} critical, {warn} warning in the last {hours}h on {} host(s)",
        results.len()
    );
    if let Some(w) = worst {
        line.push_str(&format!(
            "; latest worst: {} {} at {}",
            w.host.as_deref().unwrap_or("-"),
            w.description,
            w.timestamp.as_deref().unwrap_or("-")
        ));
    }
    if !failed.is_empty() {
        line.push_str(&format!(
            "; {} unreadable: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    // One line: strip newlines and the perfdata separator from messages.
    let mut line = line.replace(['\n', '\r'], " ").replace('|', "/");
    line.push_str(&format!(
        " | critical={crit};;1;0 warning={warn};1;;0 records={records};;;0 hosts={};;;0 hosts_failed={};;;0",
        results.len(),
        failed.len()
    ));
    CheckResult { code, line }
}

/// Parse a duration like `90s`, `15m`, `24h`, `7d` (plain number: seconds).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1),
        'm' => (&s[..s.len() - 1], 60),
        'h' => (&s[..s.len() - 1], 3600),
        'd' => (&s[..s.len() - 1], 86_400),
        c if c.is_ascii_digit() => (s, 1),
        _ => return None,
    };
    let n: u64 = num.parse().ok()?;
    Some(Duration::from_secs(n.checked_mul(mult)?))
}

/// Parse a size like `8MiB`, `512KiB`, `1GiB`, `4M`, `100k` (binary
/// multiples; a plain number is bytes).
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: usize = num.parse().ok()?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Current time, seconds since 1970 (for `check`).
pub fn now() -> i64 {
    now_unix()
}

/// RFC 3339 rendering of [`now`], for messages.
pub fn now_rfc3339() -> String {
    decode::format_utc(now_unix())
}
