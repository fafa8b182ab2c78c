//! `ipmi-sel`: thin command-line front end over the `ipmi-sel` crate.
mod args;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use args::{Cli, Cmd, Format, OutArgs, SelCmd, TargetArgs};
use ipmi_sel::event::{CSV_COLUMNS, FILE_COLUMN, TABLE_COLUMNS};
use ipmi_sel::watch::{self, Inventory, Sinks};
use ipmi_sel::{Event, SelSource, input};
use netops_cli::{Finished, Progress, TableStyle, Value, Writer, columns, exit, warn};

/// A run that ends early: exit code and message.
struct Fail(u8, String);

fn main() -> ExitCode {
    let cli: Cli = netops_cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            warn(format_args!("cannot start the async runtime: {e}"));
            return ExitCode::from(exit::USAGE);
        }
    };
    ExitCode::from(match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(Fail(code, msg)) => {
            warn(msg);
            code
        }
    })
}

async fn run(cli: Cli) -> Result<u8, Fail> {
    match cli.cmd {
        Cmd::Decode { inputs, out } => {
            let results = inputs.iter().map(|i| input::decode_arg(i));
            Ok(print_results(results, &out, false))
        }
        Cmd::Fetch { target, out } => {
            let inv = inventory_from(&target)?;
            let (pb, cb) = progress(inv.hosts.len());
            let results = watch::fetch_all(&inv, cb).await;
            pb.finish();
            Ok(print_results(
                results.into_iter().map(|(_, r)| r),
                &out,
                true,
            ))
        }
        Cmd::Watch {
            inventory,
            interval,
            once,
        } => watch_cmd(&inventory, interval, once).await,
        Cmd::Check { target, window } => Ok(check(&target, window).await),
        Cmd::Sel(op) => sel_cmd(op).await,
        Cmd::Serve {
            inventory,
            listen,
            interval,
            limits,
        } => serve_cmd(&inventory, listen, interval, &limits).await,
    }
}

/// Print every input's events; exit 3 on a configuration mistake (or when
/// the output could not be written), else 2 if an input failed, else 1 if
/// an entry reached `--fail-on`, else 0.
fn print_results(
    results: impl Iterator<Item = Result<Vec<Event>, ipmi_sel::Error>>,
    out: &OutArgs,
    with_host: bool,
) -> u8 {
    let filter = out.filter();
    let mut printer = Printer::new(out.format, with_host);
    let (mut failed, mut hit, mut config) = (false, false, false);
    for r in results {
        match r {
            Err(e) if e.is_config() => {
                config = true;
                warn(e);
            }
            Ok(evs) => {
                hit |= filter.fails(&evs);
                for e in filter.shown(&evs) {
                    printer.print(e);
                }
            }
            Err(e) => {
                failed = true;
                warn(e);
            }
        }
    }
    printer.finish().code(if config {
        exit::USAGE
    } else if failed {
        exit::FAILED
    } else if hit {
        exit::FOUND
    } else {
        exit::OK
    })
}

fn inventory_from(t: &TargetArgs) -> Result<Inventory, Fail> {
    let cfg = |e: ipmi_sel::Error| Fail(exit::USAGE, e.to_string());
    let mut inv = if let Some(p) = &t.inventory {
        let mut inv = Inventory::load(p).map_err(cfg)?;
        inv.select(&t.hosts).map_err(cfg)?;
        inv
    } else {
        if t.password_env.is_none() && t.password_file.is_none() {
            return Err(Fail(
                exit::USAGE,
                "give --password-env VAR or --password-file PATH (passwords are never taken from the command line)".into(),
            ));
        }
        let h = t.url_host(t.url.as_deref().unwrap_or_default());
        h.validate()
            .map_err(|d| Fail(exit::USAGE, format!("host {}: {d}", h.name)))?;
        Inventory::single(h)
    };
    // A password that cannot be loaded is a local mistake: exit 3 before
    // any host is asked, one line per host.
    let bad = inv.check_secrets();
    if let Some((last, rest)) = bad.split_last() {
        for e in rest {
            warn(e);
        }
        return Err(Fail(exit::USAGE, last.to_string()));
    }
    if let Some(c) = t.concurrency {
        inv.settings.concurrency = c.max(1);
    }
    t.limits.apply(&mut inv.settings);
    Ok(inv)
}

type OnDone = Arc<dyn Fn(&str) + Send + Sync>;

/// A bar over the hosts (only for several hosts, on a terminal).
fn progress(n: usize) -> (Progress, OnDone) {
    let pb = if n > 1 {
        Progress::count(n as u64, "hosts", false)
    } else {
        Progress::hidden()
    };
    let p2 = pb.clone();
    (pb, Arc::new(move |_h: &str| p2.inc(1)))
}

async fn watch_cmd(path: &std::path::Path, interval: Duration, once: bool) -> Result<u8, Fail> {
    let inv = Inventory::load(path).map_err(|e| Fail(exit::USAGE, e.to_string()))?;
    let mut sinks_cfg = inv.sinks.clone();
    if sinks_cfg.is_empty() {
        sinks_cfg.push(watch::SinkConfig::Stdout { format: None });
    }
    let sinks = Sinks::new(sinks_cfg).map_err(|e| Fail(exit::USAGE, e.to_string()))?;
    loop {
        let (pb, cb) = progress(inv.hosts.len());
        let reports = watch::poll_once(&inv, &sinks, cb).await;
        pb.finish();
        let (bad, config) = report_poll(&reports);
        if once {
            return Ok(if config > 0 {
                exit::USAGE
            } else if bad > 0 {
                exit::FAILED
            } else {
                exit::OK
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {},
            _ = tokio::signal::ctrl_c() => return Ok(exit::OK),
        }
    }
}

/// Warn about each host's problems and print the poll's summary line;
/// returns the number of problems and of configuration errors (hosts not
/// polled because of a mistake on this side, never reported as down).
fn report_poll(reports: &[watch::PollReport]) -> (usize, usize) {
    let (mut bad, mut alerted, mut config) = (0, 0, 0);
    for r in reports {
        alerted += r.alerted;
        if let Some(e) = &r.config_error {
            config += 1;
            warn(format_args!("configuration error, not polled: {e}"));
        }
        if let Some(e) = &r.error {
            bad += 1;
            warn(e);
        }
        for e in &r.sink_errors {
            bad += 1;
            warn(format_args!("{}: {e}", r.host));
        }
    }
    let cfg = if config > 0 {
        format!(", {config} configuration error(s)")
    } else {
        String::new()
    };
    warn(format_args!(
        "polled {} host(s) at {}: {alerted} alert(s), {bad} problem(s){cfg}",
        reports.len(),
        watch::now_rfc3339()
    ));
    (bad, config)
}

/// The exporter: bind, announce the address, run until SIGTERM/Ctrl-C.
async fn serve_cmd(
    path: &std::path::Path,
    listen: std::net::SocketAddr,
    interval: Duration,
    limits: &args::LimitArgs,
) -> Result<u8, Fail> {
    let usage = |e: String| Fail(exit::USAGE, e);
    let mut inv = Inventory::load(path).map_err(|e| usage(e.to_string()))?;
    limits.apply(&mut inv.settings);
    let mut sinks_cfg = inv.sinks.clone();
    if sinks_cfg.is_empty() {
        sinks_cfg.push(watch::SinkConfig::Stdout { format: None });
    }
    let sinks = Sinks::new(sinks_cfg).map_err(|e| usage(e.to_string()))?;
    // Signal handlers are installed before the first poll, so a SIGTERM
    // during it is caught (and the poll finished) instead of killing us.
    let shutdown = shutdown_signal().map_err(|e| usage(format!("cannot catch SIGTERM: {e}")))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| usage(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| usage(e.to_string()))?;
    warn(format_args!("serving http://{addr}/metrics"));
    ipmi_sel::exporter::serve(&inv, &sinks, listener, interval, shutdown, |r| {
        report_poll(r);
    })
    .await
    .map_err(|e| Fail(exit::FAILED, e.to_string()))?;
    warn("stopped; state written");
    Ok(exit::OK)
}

/// The sources of the hosts `target` names (configuration checked first).
fn sources(t: &TargetArgs) -> Result<Vec<ipmi_sel::AnySource>, Fail> {
    let inv = inventory_from(t)?;
    let cache = ipmi_sel::source::ClientCache::default();
    inv.hosts
        .iter()
        .map(|h| {
            watch::build_source(h, &inv.settings, &cache).map_err(|e| {
                let code = if e.is_config() {
                    exit::USAGE
                } else {
                    exit::FAILED
                };
                Fail(code, e.to_string())
            })
        })
        .collect()
}

/// The exit code of a failed `sel` operation on one host: 3 when the
/// source kind cannot do it (or for a configuration mistake), else 2.
fn op_code(e: &ipmi_sel::Error) -> u8 {
    if e.is_config() || matches!(e, ipmi_sel::Error::Unsupported { .. }) {
        exit::USAGE
    } else {
        exit::FAILED
    }
}

/// `sel info`, `sel get ID`, `sel clear --yes-clear`, host by host.
async fn sel_cmd(op: SelCmd) -> Result<u8, Fail> {
    match op {
        SelCmd::Info { target, format } => {
            let mut code = exit::OK;
            let fmt = match format {
                Format::Table => netops_cli::Format::Table,
                Format::Csv => netops_cli::Format::Csv,
                Format::Jsonl => netops_cli::Format::Jsonl,
            };
            let mut w = Writer::stdout(fmt, columns(&ipmi_sel::ops::SUMMARY_COLUMNS))
                .table_style(TableStyle::new().null("-"));
            for mut src in sources(&target)? {
                match src.sel_info().await {
                    Ok(s) => {
                        let cells = s.cells();
                        let row: Vec<Value<'_>> = cells
                            .iter()
                            .enumerate()
                            .map(|(i, c)| match i {
                                3..=5 if !c.is_empty() => {
                                    c.parse::<u64>().map(Value::U64).unwrap_or(Value::Null)
                                }
                                _ if c.is_empty() => Value::Null,
                                _ => Value::from(c.as_str()),
                            })
                            .collect();
                        w.row(&row);
                    }
                    Err(e) => {
                        code = code.max(op_code(&e));
                        warn(e);
                    }
                }
            }
            Ok(w.finish().code(code))
        }
        SelCmd::Get { id, target, out } => {
            let mut results = Vec::new();
            for mut src in sources(&target)? {
                results.push(src.sel_get(id).await.map(|e| vec![e]));
            }
            let unsupported = results
                .iter()
                .any(|r| r.as_ref().err().is_some_and(|e| op_code(e) == exit::USAGE));
            let code = print_results(results.into_iter(), &out, true);
            Ok(if unsupported { exit::USAGE } else { code })
        }
        SelCmd::Clear { target, yes_clear } => {
            let srcs = sources(&target)?;
            if !yes_clear {
                return Err(Fail(
                    exit::USAGE,
                    format!(
                        "not clearing the SEL of {} host(s): give --yes-clear to erase every entry (read them first with `ipmi-sel fetch`)",
                        srcs.len()
                    ),
                ));
            }
            let mut code = exit::OK;
            let mut lines = String::new();
            for mut src in srcs {
                match src.sel_clear().await {
                    Ok(()) => lines.push_str(&format!("{}: SEL cleared\n", src.name())),
                    Err(e) => {
                        code = code.max(op_code(&e));
                        warn(e);
                    }
                }
            }
            Ok(netops_cli::write_stdout(lines.as_bytes()).code(code))
        }
    }
}

/// SIGTERM or SIGINT, with the handlers installed now.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// The Nagios plugin: one status line, its code (3 UNKNOWN for a bad
/// configuration).
async fn check(t: &TargetArgs, window: Duration) -> u8 {
    let inv = match inventory_from(t) {
        Ok(i) => i,
        Err(Fail(_, m)) => {
            let line = format!("IPMI-SEL UNKNOWN - {}\n", m.replace(['\n', '|'], " "));
            return netops_cli::write_stdout(line.as_bytes()).code(3);
        }
    };
    let results = watch::fetch_all(&inv, Arc::new(|_h: &str| {})).await;
    let r = watch::check(&results, watch::now(), window.as_secs() as i64);
    let code = u8::try_from(r.code).unwrap_or(3);
    netops_cli::write_stdout(format!("{}\n", r.line).as_bytes()).code(code)
}

/// Table or CSV through the shared writer (the columns of `ipmi_sel::event`);
/// JSON Lines are the `Event`'s own serialisation (its documented fields,
/// absent ones left out), under the same write-error policy.
enum Printer {
    Rows {
        w: Writer<netops_cli::Stdout>,
        csv: bool,
        /// The table's first column is FILE (decode), not HOST (fetch).
        file: bool,
    },
    Jsonl(std::io::BufWriter<std::io::Stdout>, std::io::Result<()>),
}

impl Printer {
    fn new(format: Format, with_host: bool) -> Printer {
        let mut table = TABLE_COLUMNS;
        if !with_host {
            table[0] = FILE_COLUMN;
        }
        let cols: &[&'static str] = match format {
            Format::Jsonl => {
                return Printer::Jsonl(std::io::BufWriter::new(std::io::stdout()), Ok(()));
            }
            Format::Csv => &CSV_COLUMNS,
            Format::Table => &table,
        };
        let format = if format == Format::Csv {
            netops_cli::Format::Csv
        } else {
            netops_cli::Format::Table
        };
        let w = Writer::stdout(format, columns(cols))
            .table_style(TableStyle::new().header_when_empty(false));
        Printer::Rows {
            w,
            csv: format == netops_cli::Format::Csv,
            file: !with_host,
        }
    }

    fn print(&mut self, e: &Event) {
        match self {
            Printer::Rows { w, csv, file } => {
                let cells: Vec<Value<'_>> = if *csv {
                    e.csv_record().into_iter().map(Value::from).collect()
                } else {
                    e.table_cells(*file).into_iter().map(Value::from).collect()
                };
                w.row(&cells);
            }
            Printer::Jsonl(out, r @ Ok(())) => {
                *r = serde_json::to_writer(&mut *out, e)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
            }
            Printer::Jsonl(..) => {}
        }
    }

    fn finish(self) -> Finished {
        match self {
            Printer::Rows { w, .. } => w.finish(),
            Printer::Jsonl(mut out, r) => Finished::from_result(r.and_then(|()| out.flush())),
        }
    }
}
