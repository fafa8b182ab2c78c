//! `ipmi-sel`: thin command-line front end over the `ipmi-sel` crate.
mod args;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use args::{Cli, Cmd, Format, OutArgs, TargetArgs};
use clap::Parser;
use ipmi_sel::event::{CSV_COLUMNS, SeverityFilter, TABLE_COLUMNS};
use ipmi_sel::watch::{self, Inventory, Sinks};
use ipmi_sel::{Event, input};

/// Why the run ends early: an exit code with a message, or the output
/// could not be written.
enum Fail {
    Code(i32, String),
    Write(std::io::Error),
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Self {
        Fail::Write(e)
    }
}

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
        Err(Fail::Code(c, msg)) => {
            eprintln!("ipmi-sel: {msg}");
            c
        }
        // A closed pipe (`ipmi-sel ... | head`) is a normal way to stop.
        Err(Fail::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(Fail::Write(e)) => {
            eprintln!("ipmi-sel: cannot write the output: {e}");
            3
        }
    };
    std::process::exit(code);
}

async fn run(cli: Cli) -> Result<i32, Fail> {
    match cli.cmd {
        Cmd::Decode { inputs, out } => {
            let results = inputs.iter().map(|i| input::decode_arg(i));
            print_results(results, &out, false)
        }
        Cmd::Fetch { target, out } => {
            let inv = inventory_from(&target)?;
            let (pb, cb) = progress(inv.hosts.len());
            let results = watch::fetch_all(&inv, cb).await;
            if let Some(pb) = pb {
                pb.finish_and_clear();
            }
            print_results(results.into_iter().map(|(_, r)| r), &out, true)
        }
        Cmd::Watch {
            inventory,
            interval,
            once,
        } => watch_cmd(&inventory, interval, once).await,
        Cmd::Check { target, window } => check(&target, window).await,
    }
}

/// Print every input's events; exit 2 if one failed, else 1 if an entry
/// reached `--fail-on`, else 0.
fn print_results(
    results: impl Iterator<Item = Result<Vec<Event>, ipmi_sel::Error>>,
    out: &OutArgs,
    with_host: bool,
) -> Result<i32, Fail> {
    let filter = out.filter();
    let mut printer = Printer::new(out.format, with_host)?;
    let (mut failed, mut hit) = (false, false);
    for r in results {
        match r {
            Ok(evs) => {
                hit |= filter.fails(&evs);
                printer.print_all(&evs, &filter)?;
            }
            Err(e) => {
                failed = true;
                eprintln!("ipmi-sel: {e}");
            }
        }
    }
    printer.finish()?;
    Ok(if failed {
        2
    } else if hit {
        1
    } else {
        0
    })
}

fn inventory_from(t: &TargetArgs) -> Result<Inventory, Fail> {
    let cfg = |e: ipmi_sel::Error| Fail::Code(3, e.to_string());
    let mut inv = if let Some(p) = &t.inventory {
        let mut inv = Inventory::load(p).map_err(cfg)?;
        inv.select(&t.hosts).map_err(cfg)?;
        inv
    } else {
        if t.password_env.is_none() && t.password_file.is_none() {
            return Err(Fail::Code(
                3,
                "give --password-env VAR or --password-file PATH (passwords are never taken from the command line)".into(),
            ));
        }
        Inventory::single(t.url_host(t.url.as_deref().unwrap_or_default()))
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

async fn watch_cmd(path: &std::path::Path, interval: Duration, once: bool) -> Result<i32, Fail> {
    let inv = Inventory::load(path).map_err(|e| Fail::Code(3, e.to_string()))?;
    let mut sinks_cfg = inv.sinks.clone();
    if sinks_cfg.is_empty() {
        sinks_cfg.push(watch::SinkConfig::Stdout { format: None });
    }
    let sinks = Sinks::new(sinks_cfg).map_err(|e| Fail::Code(3, e.to_string()))?;
    loop {
        let (pb, cb) = progress(inv.hosts.len());
        let reports = watch::poll_once(&inv, &sinks, cb).await;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        let (mut bad, mut alerted) = (0, 0);
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
    let mut out = std::io::stdout().lock();
    let inv = match inventory_from(t) {
        Ok(i) => i,
        Err(Fail::Code(_, m)) => {
            writeln!(out, "IPMI-SEL UNKNOWN - {}", m.replace(['\n', '|'], " "))?;
            out.flush()?;
            return Ok(3);
        }
        Err(e) => return Err(e),
    };
    let results = watch::fetch_all(&inv, Arc::new(|_h: &str| {})).await;
    let r = watch::check(&results, watch::now(), window.as_secs() as i64);
    writeln!(out, "{}", r.line)?;
    out.flush()?;
    Ok(r.code)
}

/// The I/O error inside a CSV error (so a closed pipe stays recognisable).
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        k => std::io::Error::other(format!("{k:?}")),
    }
}

/// Table (aligned at the end), CSV or JSONL on stdout; every write error
/// is returned.
struct Printer {
    format: Format,
    with_host: bool,
    rows: Vec<[String; 8]>,
    csv: Option<csv::Writer<std::io::Stdout>>,
}

impl Printer {
    fn new(format: Format, with_host: bool) -> std::io::Result<Self> {
        let mut csv = None;
        if format == Format::Csv {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(CSV_COLUMNS).map_err(csv_io)?;
            csv = Some(w);
        }
        Ok(Printer {
            format,
            with_host,
            rows: Vec::new(),
            csv,
        })
    }

    fn print_all(&mut self, evs: &[Event], filter: &SeverityFilter) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        for e in filter.shown(evs) {
            match self.format {
                Format::Jsonl => writeln!(stdout, "{}", serde_json::to_string(e)?)?,
                Format::Csv => {
                    if let Some(w) = self.csv.as_mut() {
                        w.write_record(e.csv_record()).map_err(csv_io)?;
                    }
                }
                Format::Table => self.rows.push(e.table_cells()),
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.csv.as_mut() {
            w.flush()?;
        }
        let mut out = std::io::stdout().lock();
        if self.format == Format::Table && !self.rows.is_empty() {
            let skip = usize::from(!self.with_host);
            let mut w = TABLE_COLUMNS.map(str::len);
            for r in &self.rows {
                for (i, c) in r.iter().enumerate() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
            let heads = TABLE_COLUMNS.map(String::from);
            for r in std::iter::once(&heads).chain(&self.rows) {
                let mut s = String::new();
                for (i, c) in r.iter().enumerate().skip(skip) {
                    if i == r.len() - 1 {
                        s.push_str(c);
                    } else {
                        s.push_str(&format!("{c:<width$}  ", width = w[i]));
                    }
                }
                writeln!(out, "{}", s.trim_end())?;
            }
        }
        out.flush()
    }
}
