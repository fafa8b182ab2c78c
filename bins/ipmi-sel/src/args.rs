//! Command-line arguments of `ipmi-sel` (clap definitions and help texts).
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use ipmi_sel::Severity;
use ipmi_sel::event::SeverityFilter;
use ipmi_sel::watch::{self, HostConfig, Kind};

const EXIT_CODES: &str = "\
Exit codes (decode, fetch, watch): 0 ok; 1 an entry at or above --fail-on was
found; 2 some input or host failed (the others were still processed);
3 usage, configuration, output-write or internal error (a closed pipe, as
with `| head`, is not an error). A configuration mistake (password variable
unset or empty, password file missing, unreadable or readable by others, a
bad URL, an inventory error) is 3 with one line naming the host and what to
fix; fetch and check find it before asking any host, and watch/serve never
report it as the host being DOWN.
Exit codes (check, Nagios plugin convention): 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN (host unreadable or usage error).";

/// Decode and watch BMC System Event Logs (Supermicro web UI, Redfish, saved files).
#[derive(Parser)]
#[command(
    name = "ipmi-sel",
    version,
    after_help = "\
Examples:
  ipmi-sel decode 020002124c015d33000413006fa58012
  ipmi-sel decode --format jsonl saved_SEL_INFO.xml entries.json sel.bin
  BMC_PASSWORD=... ipmi-sel fetch --url https://10.0.0.5 --user ADMIN --password-env BMC_PASSWORD
  ipmi-sel fetch --inventory fleet.toml --host probe-01 --format csv
  ipmi-sel watch --inventory fleet.toml --interval 5m
  ipmi-sel check --inventory fleet.toml --window 24h

A --url without a scheme means https:// (plain http:// is used only when
written); a BMC that answers plain HTTP there is named as such.
Passwords are never taken from argv: use --password-env VAR or
--password-file PATH (mode 0600), or the inventory's password_env /
password_file. HTTPS certificates are verified unless --pinned-cert PEM or
--insecure is given.
"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Decode saved SEL data: SEL_INFO.XML answers, Redfish entries JSON, raw binary dumps, hex records.
    #[command(after_help = format!("\
INPUT is a file (kind detected from its content), `-` for stdin, or hex
records given directly (32 hex digits per record).

Every record names its file, also when only one is given: the FILE column
of the table, `file` in CSV and JSON Lines (the path as given, `-` for
stdin; empty / absent for hex arguments). The SENSOR column (`sensor_name`)
is the sensor's name when the input carries it (SEL_INFO.XML, Redfish).

Examples:
  ipmi-sel decode 020002124c015d33000413006fa58012 0100029e40c45c20000405516ff0ffff
  ipmi-sel decode --format jsonl --min-severity warning sel.xml

{EXIT_CODES}"))]
    Decode {
        /// Files, `-`, or hex records.
        #[arg(required = true)]
        inputs: Vec<String>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Fetch and decode the SEL of one host (or the named inventory hosts).
    #[command(after_help = format!("\
Examples:
  BMC_PASSWORD=... ipmi-sel fetch --url https://10.0.0.5 --user ADMIN --password-env BMC_PASSWORD
  ipmi-sel fetch --url 10.0.0.6 --kind redfish --user admin --password-file ~/.bmcpw --pinned-cert bmc6.pem
  ipmi-sel fetch --inventory fleet.toml --host probe-01 --fail-on critical
  ipmi-sel fetch --kind ipmi --url ipmi://10.0.0.7 --user admin --password-env BMC_PASSWORD
  ipmi-sel fetch --kind ipmi --url ipmi://10.0.0.8:6230 --cipher-suite 3 --user admin --password-env BMC_PASSWORD

Rows carry the sensor's name (SENSOR column, `sensor_name` in CSV and JSON
Lines) where the source gives it: the SDR repository for --kind ipmi, the
web UI's SENSOR_ID, Redfish's Name.

{EXIT_CODES}"))]
    Fetch {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Poll a fleet, alert once per new event (state files), repeat every --interval.
    #[command(after_help = format!("\
The inventory (TOML) lists [settings], [[host]] and [[sink]] tables; see the
ipmi_sel::watch documentation. Alerts go to the sinks: stdout, jsonl (file),
command (event JSON on stdin), webhook (JSON POST). A host that stops
answering is reported once (and again when it is back); the others are still
polled.

Examples:
  ipmi-sel watch --inventory fleet.toml --interval 5m
  ipmi-sel watch --inventory fleet.toml --once      # for cron / systemd timers

{EXIT_CODES}"))]
    Watch {
        /// Inventory file.
        #[arg(long)]
        inventory: PathBuf,
        /// Poll interval (e.g. 90s, 5m, 1h).
        #[arg(long, default_value = "5m", value_parser = parse_dur)]
        interval: Duration,
        /// Poll once and exit.
        #[arg(long)]
        once: bool,
    },
    /// Prometheus exporter: the watch loop plus /metrics and /healthz over HTTP.
    #[command(after_help = "\
Runs `watch` (same inventory, sinks and state files: each event alerts once)
and serves the metrics in the Prometheus text format on --listen:
  /metrics   ipmi_sel_entries, ipmi_sel_events_total{severity,sensor_type},
             ipmi_sel_pci_errors_total, ipmi_sel_last_poll_success,
             ipmi_sel_last_poll_timestamp_seconds,
             ipmi_sel_poll_duration_seconds, ipmi_sel_free_bytes (when known)
  /healthz   200 ok while the loop runs
The counters are persisted in the state files and never go down across
restarts. SIGTERM or Ctrl-C finishes the poll under way (state written) and
exits 0. The first line on stderr is `ipmi-sel: serving http://ADDR/metrics`.

Examples:
  ipmi-sel serve --inventory /etc/ipmi-sel/fleet.toml --listen 127.0.0.1:9290 --interval 5m

Exit codes: 0 stopped by SIGTERM/Ctrl-C; 3 configuration error or cannot listen.")]
    Serve {
        /// Inventory file.
        #[arg(long)]
        inventory: PathBuf,
        /// Address of the metrics server (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:9290")]
        listen: std::net::SocketAddr,
        /// Poll interval (e.g. 90s, 5m, 1h).
        #[arg(long, default_value = "5m", value_parser = parse_dur)]
        interval: Duration,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// SEL housekeeping like `ipmitool sel info|get|clear`: info, one entry by ID, clear.
    #[command(subcommand)]
    Sel(SelCmd),
    /// Nagios/Icinga plugin: one status line with perfdata, exit 0/1/2/3.
    #[command(after_help = "\
CRITICAL when a critical entry (e.g. PCI PERR/SERR, uncorrectable) is in the
window; else UNKNOWN when a host could not be read; else WARNING for warning
entries; else OK. Entries without an absolute timestamp are not counted.

Examples:
  ipmi-sel check --inventory fleet.toml --host probe-01 --window 24h
  ipmi-sel check --url https://10.0.0.5 --user ADMIN --password-file /etc/nagios/bmcpw

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")]
    Check {
        #[command(flatten)]
        target: TargetArgs,
        /// Only entries newer than this count (e.g. 24h, 7d).
        #[arg(long, default_value = "24h", value_parser = parse_dur)]
        window: Duration,
    },
}

const SEL_KINDS: &str = "\
What each source kind can do:
  kind        info                                   get            clear
  ipmi        Get SEL Info (version, entries, free   Get SEL Entry  Clear SEL
              bytes, last add/erase, overflow)
  redfish     entries, MaxNumberOfRecords, policy    yes            LogService.ClearLog
  supermicro  entries                                yes            not supported (exit 3)";

#[derive(Subcommand)]
pub enum SelCmd {
    /// SEL summary per host (ipmitool sel info): version, entries, free bytes, last add/erase, overflow.
    #[command(after_help = format!("\
Examples:
  ipmi-sel sel info --kind ipmi --url ipmi://10.0.0.7 --user admin --password-env BMC_PASSWORD
  ipmi-sel sel info --inventory fleet.toml --format csv

{SEL_KINDS}

Columns: host, kind, version, entries, free_bytes, max_entries, last_add,
last_erase, overflow, supports (empty where the kind does not say).

{EXIT_CODES}"))]
    Info {
        #[command(flatten)]
        target: TargetArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// One SEL entry by record ID (ipmitool sel get ID), decimal or 0x hex.
    #[command(after_help = format!("\
Examples:
  ipmi-sel sel get 0x0010 --kind ipmi --url ipmi://10.0.0.7 --user admin --password-env BMC_PASSWORD
  ipmi-sel sel get 16 --url https://10.0.0.5 --password-env BMC_PASSWORD --format jsonl

An ID the SEL does not hold fails that host (exit 2).

{SEL_KINDS}

{EXIT_CODES}"))]
    Get {
        /// Record ID (decimal, or hex with 0x).
        #[arg(value_parser = parse_id)]
        id: u16,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Erase the SEL (ipmitool sel clear); only with --yes-clear.
    #[command(after_help = format!("\
The entries are gone afterwards: read them first (ipmi-sel fetch). Without
--yes-clear nothing is cleared and the exit code is 3. For --kind ipmi the
user needs the operator privilege.

Examples:
  ipmi-sel sel clear --yes-clear --kind ipmi --url ipmi://10.0.0.7 --user admin --password-env BMC_PASSWORD

{SEL_KINDS}

{EXIT_CODES}"))]
    Clear {
        #[command(flatten)]
        target: TargetArgs,
        /// Really clear (required).
        #[arg(long)]
        yes_clear: bool,
    },
}

fn parse_id(s: &str) -> Result<u16, String> {
    ipmi_sel::ops::parse_record_id(s)
        .ok_or_else(|| format!("{s:?} is not a record ID (0-65535, or 0x0000-0xffff)"))
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Sev {
    Info,
    Warning,
    Critical,
}

impl From<Sev> for Severity {
    fn from(s: Sev) -> Self {
        match s {
            Sev::Info => Severity::Info,
            Sev::Warning => Severity::Warning,
            Sev::Critical => Severity::Critical,
        }
    }
}

#[derive(ClapArgs)]
pub struct OutArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Only print entries at or above this severity.
    #[arg(long, value_enum, default_value = "info")]
    pub min_severity: Sev,
    /// Exit 1 when an entry at or above this severity is found.
    #[arg(long, value_enum)]
    pub fail_on: Option<Sev>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SourceKind {
    Supermicro,
    Redfish,
    /// IPMI v2.0 over LAN (RMCP+), --url ipmi://HOST[:PORT]
    Ipmi,
}

#[derive(ClapArgs)]
pub struct TargetArgs {
    /// Inventory file (instead of --url).
    #[arg(long, conflicts_with = "url")]
    pub inventory: Option<PathBuf>,
    /// Only these inventory hosts (repeatable).
    // `requires` alone lets `--url U --host H` through (clap excuses a
    // requirement that conflicts with a given option): refuse it outright.
    #[arg(long = "host", requires = "inventory", conflicts_with = "url")]
    pub hosts: Vec<String>,
    /// BMC URL, e.g. https://10.0.0.5 (ipmi://10.0.0.5[:623] for --kind ipmi). Without a scheme (10.0.0.5, 10.0.0.5:8443/path) it means https://; http:// only when written.
    #[arg(long, required_unless_present = "inventory")]
    pub url: Option<String>,
    /// Source kind.
    #[arg(long, value_enum, default_value = "supermicro")]
    pub kind: SourceKind,
    /// Login user.
    #[arg(long, default_value = "ADMIN")]
    pub user: String,
    /// Environment variable holding the password.
    #[arg(long, conflicts_with = "password_file")]
    pub password_env: Option<String>,
    /// File holding the password (mode 0600).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Trust exactly this PEM certificate (self-signed BMCs).
    #[arg(long, conflicts_with = "insecure")]
    pub pinned_cert: Option<PathBuf>,
    /// Do not verify the certificate at all.
    #[arg(long)]
    pub insecure: bool,
    /// Redfish SEL entries path (discovered when absent).
    #[arg(long)]
    pub redfish_log: Option<String>,
    /// Redfish authentication.
    #[arg(long, default_value = "session", value_parser = ["session", "basic"])]
    pub redfish_auth: String,
    /// Request timeout (e.g. 20s).
    #[arg(long, default_value = "20s", value_parser = parse_dur)]
    pub timeout: Duration,
    /// Hosts polled at once (inventory).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// RMCP+ cipher suite for --kind ipmi: 17 or 3 (default: 17, falling back to 3).
    #[arg(long, value_parser = ["3", "17"])]
    pub cipher_suite: Option<String>,
    /// --kind ipmi: clear the BMC's SEL after reading it (needs operator privilege).
    #[arg(long)]
    pub clear_sel: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Resource limits (docs/LIMITS.md); they override the inventory's settings.
#[derive(ClapArgs)]
pub struct LimitArgs {
    /// Largest HTTP answer read per request, e.g. 8MiB (default 4MiB, inventory max_body_bytes).
    #[arg(long, value_parser = parse_size)]
    pub max_body: Option<usize>,
    /// Deadline for the whole poll of one host, e.g. 2m (default 120s, inventory poll_deadline_secs).
    #[arg(long, value_parser = parse_dur)]
    pub poll_deadline: Option<Duration>,
    /// Most Redfish pages per host (default 2000, inventory max_pages).
    #[arg(long)]
    pub max_pages: Option<usize>,
    /// Most Redfish entries per host (default 65536, inventory max_entries).
    #[arg(long)]
    pub max_entries: Option<usize>,
}

impl LimitArgs {
    /// Override the inventory's settings with the flags given.
    pub fn apply(&self, s: &mut watch::Settings) {
        if let Some(b) = self.max_body {
            s.max_body_bytes = b.max(1);
        }
        if let Some(d) = self.poll_deadline {
            s.poll_deadline_secs = d.as_secs().max(1);
        }
        if let Some(p) = self.max_pages {
            s.max_pages = p.max(1);
        }
        if let Some(e) = self.max_entries {
            s.max_entries = e.max(1);
        }
    }
}

pub fn parse_size(s: &str) -> Result<usize, String> {
    watch::parse_size(s).ok_or_else(|| format!("{s:?} is not a size like 8MiB, 512KiB, 1048576"))
}

pub fn parse_dur(s: &str) -> Result<Duration, String> {
    watch::parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration like 90s, 5m, 24h"))
}

impl OutArgs {
    /// `--min-severity` and `--fail-on`.
    pub fn filter(&self) -> SeverityFilter {
        SeverityFilter {
            min: self.min_severity.into(),
            fail_on: self.fail_on.map(Into::into),
        }
    }
}

impl TargetArgs {
    /// The one host `--url` and the other flags describe.
    pub fn url_host(&self, url: &str) -> HostConfig {
        let kind = match self.kind {
            SourceKind::Supermicro => Kind::Supermicro,
            SourceKind::Redfish => Kind::Redfish,
            SourceKind::Ipmi => Kind::Ipmi,
        };
        let mut h = HostConfig::for_url(url, kind, &self.user);
        h.password_env = self.password_env.clone();
        h.password_file = self.password_file.clone();
        h.insecure = self.insecure;
        h.pinned_cert = self.pinned_cert.clone();
        h.redfish_log = self.redfish_log.clone();
        h.redfish_auth = Some(self.redfish_auth.clone());
        h.timeout_secs = Some(self.timeout.as_secs().max(1));
        if self.kind == SourceKind::Ipmi {
            h.cipher_suite = self.cipher_suite.as_deref().and_then(|c| c.parse().ok());
            h.clear_sel = self.clear_sel;
        }
        h
    }
}
