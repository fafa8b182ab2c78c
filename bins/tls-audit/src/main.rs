//! `tls-audit`: thin command-line front end over `tls_handshake::audit`
//! (parses arguments, prints rows).

mod output;
mod parquet_out;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use output::{COLUMNS, Format, RowWriter, SUMMARY_COLUMNS, fields, summary_fields};
use tls_handshake::Version;
use tls_handshake::audit::{Audit, AuditOptions, Connection};

const EXAMPLES: &str = "\
Examples:
  tls-audit testdata/tls                         table of every TLS connection
  tls-audit --summary /captures/web01            who connects with which version
  tls-audit --max-version tls1.1 --summary caps/ only SSL 3.0 .. TLS 1.1
  tls-audit --fail-on tls1.1 --format jsonl x.pcap.gz   scheduled check
  tls-audit --format csv caps/ > tls.csv         like the old script's CSV
  tls-audit --format parquet caps/ > tls.parquet for DuckDB, Spark, pandas

Columns: file, first_seen, client_ip, client_port, server_ip, server_port,
version (what the ServerHello negotiated; empty/null when none was captured),
client_version (highest the client offered), offered_versions, sni, alpn,
cipher, ja4. TLS is found by content on any port; handshakes split over
records and TCP segments are reassembled; VLAN, IPv6, pcap, pcapng, ERF and
.gz are read. Directories are searched recursively for *.pcap, *.pcapng,
*.cap, *.ntar, *.erf and *.gz.

--max-version and --fail-on judge a connection by its negotiated version,
or, when the server's answer was not captured, by the highest version the
client offered.

Exit status:
  0  every file was read (and, with --fail-on, nothing at or below it)
  1  --fail-on: at least one connection at or below the given version
  2  some file or directory could not be read completely (named on stderr)
  3  usage error, or output could not be written
With --fail-on, 1 wins over 2 (the failed file is still named on stderr).";

/// List TLS connections in captures with the version each one negotiated:
/// who still connects with SSL 3.0, TLS 1.0 or TLS 1.1.
#[derive(Parser, Debug)]
#[command(version, after_help = EXAMPLES)]
struct Args {
    /// Capture files and directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_enum)]
    format: Option<Fmt>,

    /// One row per (client_ip, server_ip, server_port, sni, version) with
    /// connection counts and first/last seen, weakest versions first.
    #[arg(long)]
    summary: bool,

    /// Show only connections at or below this version (ssl3, tls1.0,
    /// tls1.1, tls1.2, tls1.3).
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    max_version: Option<Version>,

    /// Exit with status 1 when any connection is at or below this version.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    fail_on: Option<Version>,

    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,

    /// Bytes kept per direction of a connection while its hello is incomplete.
    #[arg(long, default_value_t = 16 * 1024, value_name = "BYTES")]
    flow_bytes: usize,

    /// Connections tracked at once per worker (memory bound).
    #[arg(long, default_value_t = 500_000, value_name = "N")]
    max_flows: usize,

    /// Never show a progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Fmt {
    Table,
    Csv,
    Jsonl,
    /// Apache Parquet on stdout (the columns of capture-sql's `tls` table).
    Parquet,
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::from_name(s)
        .ok_or_else(|| format!("unknown version {s:?}; use ssl3, tls1.0, tls1.1, tls1.2 or tls1.3"))
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tls-audit: cannot write the output: {e}");
            ExitCode::from(3)
        }
    }
}

fn run(args: Args) -> std::io::Result<u8> {
    let format = match args.format {
        Some(Fmt::Table) => Format::Table,
        Some(Fmt::Csv) => Format::Csv,
        Some(Fmt::Jsonl) => Format::Jsonl,
        Some(Fmt::Parquet) => Format::Csv, // handled below, before any row is written
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Csv,
    };
    let (files, bad_paths) = tls_handshake::audit::inputs::expand(&args.paths);
    let mut failed = false;
    for (p, e) in &bad_paths {
        eprintln!(
            "tls-audit: {}: {e}; check the path and its permissions",
            p.display()
        );
        failed = true;
    }
    if files.is_empty() && bad_paths.is_empty() {
        eprintln!(
            "tls-audit: no capture files (*.pcap, *.pcapng, *.cap, *.ntar, *.erf, *.dmp, also .gz) under the given paths"
        );
        return Ok(2);
    }

    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress_bar(total, args.quiet);
    let limits = tls_handshake::tracker::Limits {
        per_direction: args.flow_bytes.max(64),
        max_flows: args.max_flows.max(1),
        ..Default::default()
    };
    let mut audit = Audit::new(AuditOptions {
        limits,
        threads: args.threads,
        max_version: args.max_version,
        fail_on: args.fail_on,
        summary: args.summary,
        chunk_size: 0,
        lanes: 0,
    });
    if let Some(bar) = bar.clone() {
        audit = audit.with_progress(move |n| bar.inc(n));
    }

    if matches!(args.format, Some(Fmt::Parquet)) {
        if args.summary {
            eprintln!(
                "tls-audit: --summary has no parquet form; write the rows and group them in SQL"
            );
            return Ok(3);
        }
        let report = parquet_out::run(&audit, &files, |_, msg| {
            eprintln!("tls-audit: {msg}");
            failed = true;
        })?;
        return Ok(if report.found {
            1
        } else if failed {
            2
        } else {
            0
        });
    }
    let stdout = std::io::stdout().lock();
    let out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let headers: &[&'static str] = if args.summary {
        &SUMMARY_COLUMNS
    } else {
        &COLUMNS
    };
    let mut writer = RowWriter::new(format, headers, out)?;
    let mut write_err: Option<std::io::Error> = None;
    // Per negotiated version (None: no ServerHello), for the footer.
    let mut by_version: std::collections::BTreeMap<(u32, Option<String>), u64> = Default::default();
    let report = audit.run(
        &files,
        |c: Connection| {
            *by_version
                .entry((
                    c.version_raw.map_or(u32::MAX, |v| v.rank()),
                    c.version.clone(),
                ))
                .or_default() += 1;
            if write_err.is_none()
                && let Err(e) = writer.row(|null| fields(&c, null), &c)
            {
                write_err = Some(e);
            }
        },
        |_, msg| {
            if let Some(bar) = &bar {
                bar.suspend(|| eprintln!("tls-audit: {msg}"));
            } else {
                eprintln!("tls-audit: {msg}");
            }
            failed = true;
        },
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let found = report.found;
    if let Some(e) = write_err {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(if found { 1 } else { 0 });
        }
        return Err(e);
    }
    if args.summary {
        for r in report.summary.rows() {
            writer.row(|null| summary_fields(&r, null), &r)?;
        }
    }
    match writer.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if format == Format::Table && !args.summary && std::io::stderr().is_terminal() {
        // A one-line digest for people reading the table.
        let parts: Vec<String> = by_version
            .iter()
            .map(|((_, v), n)| format!("{n} {}", v.as_deref().unwrap_or("without ServerHello")))
            .collect();
        eprintln!(
            "tls-audit: {} connection(s) in {} file(s): {}; see --summary for who to call, --max-version tls1.1 for the weak ones",
            report.connections,
            report.files_ok + report.files_failed,
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(", ")
            }
        );
    }
    let s = report.stats;
    if s.dropped_capacity > 0 || s.truncated > 0 {
        eprintln!(
            "tls-audit: warning: {} connection(s) not tracked because --max-flows was reached, {} hello(s) larger than --flow-bytes or the buffer cap skipped",
            s.dropped_capacity, s.truncated
        );
    }
    let _ = std::io::stderr().flush();
    Ok(if found {
        1
    } else if failed {
        2
    } else {
        0
    })
}

fn progress_bar(total: u64, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
