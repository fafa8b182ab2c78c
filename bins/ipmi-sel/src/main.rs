//! `ipmi-sel`: thin command-line front end over the `ipmi-sel` crate.
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use ipmi_sel::watch::{self, HostConfig, Inventory, Kind, Settings, Sinks};
use ipmi_sel::{Event, Severity, parse};

const EXIT_CODES: &str = "\
Exit codes (decode, fetch, watch): 0 ok; 1 an entry at or above --fail-on was
found; 2 some input or host failed (the others were still processed);
3 usage, configuration or internal error.
Exit codes (check, Nagios plugin convention): 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN (host unreadable or usage error).";

/// Decode and watch BMC System Event Logs (Supermicro web UI, Redfish, saved files).
#[derive(Parser)]
#[command(
    version,
    after_help = "\
Examples:
  ipmi-sel decode 020002124c015d33000413006fa58012
  ipmi-sel decode --format jsonl saved_SEL_INFO.xml entries.json sel.bin
  BMC_PASSWORD=... ipmi-sel fetch --url https://10.0.0.5 --user ADMIN --password-env BMC_PASSWORD
  ipmi-sel fetch --inventory fleet.toml --host probe-01 --format csv
  ipmi-sel watch --inventory fleet.toml --interval 5m
  ipmi-sel check --inventory fleet.toml --window 24h

Passwords are never taken from argv: use --password-env VAR or
--password-file PATH (mode 0600), or the inventory's password_env /
password_file. HTTPS certificates are verified unless --pinned-cert PEM or
--insecure is given.
"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Decode saved SEL data: SEL_INFO.XML answers, Redfish entries JSON, raw binary dumps, hex records.
    #[command(after_help = format!("\
INPUT is a file (kind detected from its content), `-` for stdin, or hex
records given directly (32 hex digits per record).

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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Sev {
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
struct OutArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Only print entries at or above this severity.
    #[arg(long, value_enum, default_value = "info")]
    min_severity: Sev,
    /// Exit 1 when an entry at or above this severity is found.
    #[arg(long, value_enum)]
    fail_on: Option<Sev>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum SourceKind {
    Supermicro,
    Redfish,
}

#[derive(ClapArgs)]
struct TargetArgs {
    /// Inventory file (instead of --url).
    #[arg(long, conflicts_with = "url")]
    inventory: Option<PathBuf>,
    /// Only these inventory hosts (repeatable).
    #[arg(long = "host", requires = "inventory")]
    hosts: Vec<String>,
    /// BMC URL, e.g. https://10.0.0.5.
    #[arg(long, required_unless_present = "inventory")]
    url: Option<String>,
    /// Source kind.
    #[arg(long, value_enum, default_value = "supermicro")]
    kind: SourceKind,
    /// Login user.
    #[arg(long, default_value = "ADMIN")]
    user: String,
    /// Environment variable holding the password.
    #[arg(long, conflicts_with = "password_file")]
    password_env: Option<String>,
    /// File holding the password (mode 0600).
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Trust exactly this PEM certificate (self-signed BMCs).
    #[arg(long, conflicts_with = "insecure")]
    pinned_cert: Option<PathBuf>,
    /// Do not verify the certificate at all.
    #[arg(long)]
    insecure: bool,
    /// Redfish SEL entries path (discovered when absent).
    #[arg(long)]
    redfish_log: Option<String>,
    /// Redfish authentication.
    #[arg(long, default_value = "session", value_parser = ["session", "basic"])]
    redfish_auth: String,
    /// Request timeout (e.g. 20s).
    #[arg(long, default_value = "20s", value_parser = parse_dur)]
    timeout: Duration,
    /// Hosts polled at once (inventory).
    #[arg(long)]
    concurrency: Option<usize>,
}

fn parse_dur(s: &str) -> Result<Duration, String> {
    watch::parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration like 90s, 5m, 24h"))
}

struct Fail(i32, String);

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ipmi-sel: cannot start the async runtime: {e}");
            std::process::exit(3);
        }
    };
    let code = match rt.block_on(run(cli)) {
        Ok(c) => c,
        Err(Fail(c, msg)) => {
            eprintln!("ipmi-sel: {msg}");
            c
        }
    };
    std::process::exit(code);
}

async fn run(cli: Cli) -> Result<i32, Fail> {
    match cli.cmd {
        Cmd::Decode { inputs, out } => decode(&inputs, &out),
        Cmd::Fetch { target, out } => fetch(&target, &out).await,
        Cmd::Watch {
            inventory,
            interval,
            once,
        } => watch_cmd(&inventory, interval, once).await,
        Cmd::Check { target, window } => check(&target, window).await,
    }
}

fn looks_hex(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_hexdigit).count();
    digits >= 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b' ' | b':' | b'-' | b',' | b'x' | b'X'))
}

fn decode(inputs: &[String], out: &OutArgs) -> Result<i32, Fail> {
    let mut printer = Printer::new(out.format, false);
    let mut failed = false;
    let mut hit = false;
    for inp in inputs {
        let r = if inp == "-" {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| ipmi_sel::Error::io("<stdin>", e))
                .and_then(|_| parse::parse_any(&b, "<stdin>"))
        } else if std::path::Path::new(inp).exists() {
            std::fs::read(inp)
                .map_err(|e| ipmi_sel::Error::io(inp, e))
                .and_then(|b| parse::parse_any(&b, inp))
        } else if looks_hex(inp) {
            parse::parse_hex(inp, "argument")
        } else {
            Err(ipmi_sel::Error::Parse {
                origin: inp.clone(),
                detail: "no such file, and not hex records (32 hex digits per record)".into(),
            })
        };
        match r {
            Ok(evs) => hit |= printer.print_all(&evs, out),
            Err(e) => {
                failed = true;
                eprintln!("ipmi-sel: {e}");
            }
        }
    }
    printer.finish();
    Ok(exit_code(failed, hit))
}

fn exit_code(failed: bool, hit: bool) -> i32 {
    if failed {
        2
    } else if hit {
        1
    } else {
        0
    }
}

fn inventory_from(t: &TargetArgs) -> Result<Inventory, Fail> {
    let cfg = |e: ipmi_sel::Error| Fail(3, e.to_string());
    let mut inv = if let Some(p) = &t.inventory {
        let mut inv = Inventory::load(p).map_err(cfg)?;
        inv.select(&t.hosts).map_err(cfg)?;
        inv
    } else {
        let url = t.url.clone().unwrap_or_default();
        if t.password_env.is_none() && t.password_file.is_none() {
            return Err(Fail(
                3,
                "give --password-env VAR or --password-file PATH (passwords are never taken from the command line)".into(),
            ));
        }
        let name = url
            .split("://")
            .last()
            .unwrap_or(&url)
            .trim_end_matches('/')
            .to_string();
        Inventory {
            path: PathBuf::from("<command line>"),
            settings: Settings::default(),
            hosts: vec![HostConfig {
                name,
                kind: if t.kind == SourceKind::Redfish {
                    Kind::Redfish
                } else {
                    Kind::Supermicro
                },
                url: Some(url),
                path: None,
                user: Some(t.user.clone()),
                password_env: t.password_env.clone(),
                password_file: t.password_file.clone(),
                password: None,
                insecure: t.insecure,
                pinned_cert: t.pinned_cert.clone(),
                redfish_log: t.redfish_log.clone(),
                redfish_auth: Some(t.redfish_auth.clone()),
                timeout_secs: Some(t.timeout.as_secs().max(1)),
            }],
            sinks: Vec::new(),
        }
    };
    if let Some(c) = t.concurrency {
        inv.settings.concurrency = c.max(1);
    }
    Ok(inv)
}

type OnDone = Arc<dyn Fn(&str) + Send + Sync>;

fn progress(n: usize) -> (Option<indicatif::ProgressBar>, OnDone) {
    if n > 1 && std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(n as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} hosts {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let p2 = pb.clone();
        (Some(pb), Arc::new(move |_h: &str| p2.inc(1)))
    } else {
        (None, Arc::new(|_h: &str| {}))
    }
}

async fn fetch(t: &TargetArgs, out: &OutArgs) -> Result<i32, Fail> {
    let inv = inventory_from(t)?;
    let (pb, cb) = progress(inv.hosts.len());
    let results = watch::fetch_all(&inv, cb).await;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let mut printer = Printer::new(out.format, true);
    let mut failed = false;
    let mut hit = false;
    for (_, r) in &results {
        match r {
            Ok(evs) => hit |= printer.print_all(evs, out),
            Err(e) => {
                failed = true;
                eprintln!("ipmi-sel: {e}");
            }
        }
    }
    printer.finish();
    Ok(exit_code(failed, hit))
}

async fn watch_cmd(path: &std::path::Path, interval: Duration, once: bool) -> Result<i32, Fail> {
    let inv = Inventory::load(path).map_err(|e| Fail(3, e.to_string()))?;
    let mut sinks_cfg = inv.sinks.clone();
    if sinks_cfg.is_empty() {
        sinks_cfg.push(watch::SinkConfig::Stdout { format: None });
    }
    let sinks = Sinks::new(sinks_cfg).map_err(|e| Fail(3, e.to_string()))?;
    loop {
        let (pb, cb) = progress(inv.hosts.len());
        let reports = watch::poll_once(&inv, &sinks, cb).await;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        let mut bad = 0;
        let mut alerted = 0;
        for r in &reports {
            alerted += r.alerted;
            if let Some(e) = &r.error {
                bad += 1;
                eprintln!("ipmi-sel: {e}");
            }
            for e in &r.sink_errors {
                bad += 1;
                eprintln!("ipmi-sel: {}: {e}", r.host);
            }
        }
        eprintln!(
            "ipmi-sel: polled {} host(s) at {}: {alerted} alert(s), {bad} problem(s)",
            reports.len(),
            watch::now_rfc3339()
        );
        if once {
            return Ok(if bad > 0 { 2 } else { 0 });
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {},
            _ = tokio::signal::ctrl_c() => return Ok(0),
        }
    }
}

async fn check(t: &TargetArgs, window: Duration) -> Result<i32, Fail> {
    let inv = match inventory_from(t) {
        Ok(i) => i,
        Err(Fail(_, m)) => {
            println!("IPMI-SEL UNKNOWN - {}", m.replace(['\n', '|'], " "));
            return Ok(3);
        }
    };
    let results = watch::fetch_all(&inv, Arc::new(|_h: &str| {})).await;
    let r = watch::check(&results, watch::now(), window.as_secs() as i64);
    println!("{}", r.line);
    Ok(r.code)
}

struct Printer {
    format: Format,
    with_host: bool,
    rows: Vec<[String; 8]>,
    csv: Option<csv::Writer<std::io::Stdout>>,
}

impl Printer {
    fn new(format: Format, with_host: bool) -> Self {
        let mut csv = None;
        if format == Format::Csv {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            let _ = w.write_record([
                "host",
                "record_id",
                "timestamp",
                "sensor_type_code",
                "sensor_type",
                "sensor_number",
                "event_type_code",
                "direction",
                "description",
                "severity",
                "bus",
                "devfn",
                "raw",
            ]);
            csv = Some(w);
        }
        Printer {
            format,
            with_host,
            rows: Vec::new(),
            csv,
        }
    }

    /// Print the events that pass the filter; true if one reaches --fail-on.
    fn print_all(&mut self, evs: &[Event], out: &OutArgs) -> bool {
        let min: Severity = out.min_severity.into();
        let fail: Option<Severity> = out.fail_on.map(Into::into);
        let mut hit = false;
        let stdout = std::io::stdout();
        for e in evs {
            if fail.is_some_and(|f| e.severity >= f) {
                hit = true;
            }
            if e.severity < min {
                continue;
            }
            let opt = |v: Option<u8>| v.map(|x| x.to_string()).unwrap_or_default();
            match self.format {
                Format::Jsonl => {
                    if let Ok(s) = serde_json::to_string(e) {
                        let _ = writeln!(stdout.lock(), "{s}");
                    }
                }
                Format::Csv => {
                    if let Some(w) = self.csv.as_mut() {
                        let _ = w.write_record([
                            e.host.clone().unwrap_or_default(),
                            e.record_id.to_string(),
                            e.timestamp.clone().unwrap_or_default(),
                            opt(e.sensor_type_code),
                            e.sensor_type.clone().unwrap_or_default(),
                            opt(e.sensor_number),
                            opt(e.event_type_code),
                            e.direction.clone().unwrap_or_default(),
                            e.description.clone(),
                            e.severity.to_string(),
                            opt(e.bus),
                            opt(e.devfn),
                            e.raw.clone().unwrap_or_default(),
                        ]);
                    }
                }
                Format::Table => self.rows.push([
                    e.host.clone().unwrap_or_default(),
                    e.record_id.to_string(),
                    e.timestamp.clone().unwrap_or_else(|| "-".into()),
                    e.severity.to_string(),
                    match (e.sensor_type.as_deref(), e.sensor_type_code) {
                        (Some(n), Some(c)) => format!("{n} (0x{c:02x})"),
                        (Some(n), None) => n.to_string(),
                        _ => "-".into(),
                    },
                    e.sensor_number
                        .map(|n| format!("0x{n:02x}"))
                        .unwrap_or_else(|| "-".into()),
                    e.direction.clone().unwrap_or_else(|| "-".into()),
                    e.description.clone(),
                ]),
            }
        }
        hit
    }

    fn finish(&mut self) {
        if let Some(w) = self.csv.as_mut() {
            let _ = w.flush();
        }
        if self.format != Format::Table || self.rows.is_empty() {
            return;
        }
        let head = [
            "HOST",
            "ID",
            "TIME",
            "SEVERITY",
            "SENSOR TYPE",
            "NUM",
            "DIRECTION",
            "DESCRIPTION",
        ];
        let skip = usize::from(!self.with_host);
        let mut w = [0usize; 8];
        for (i, h) in head.iter().enumerate() {
            w[i] = h.len();
        }
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let mut out = std::io::stdout().lock();
        let line = |cells: Vec<&str>, out: &mut std::io::StdoutLock<'_>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().skip(skip) {
                if i == 7 {
                    s.push_str(c);
                } else {
                    s.push_str(&format!("{c:<width$}  ", width = w[i]));
                }
            }
            let _ = writeln!(out, "{}", s.trim_end());
        };
        line(head.to_vec(), &mut out);
        for r in &self.rows {
            line(r.iter().map(String::as_str).collect(), &mut out);
        }
    }
}
