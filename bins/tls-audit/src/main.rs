//! `tls-audit`: thin command-line front end over `tls_handshake::audit`
//! (parses arguments, prints rows).

mod output;
mod parquet_out;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use netops_cli::{Format, Progress, TableStyle, Writer, exit};
use tls_handshake::Version;
use tls_handshake::audit::filter::{Filter, Network, SniGlob, parse_time};
use tls_handshake::audit::{Audit, AuditOptions, Connection};

const EXAMPLES: &str = "\
Examples:
  tls-audit testdata/tls                         table of every TLS connection
  tls-audit --summary /captures/web01            who connects with which version
  tls-audit --max-version tls1.1 --summary caps/ only SSL 3.0 .. TLS 1.1
  tls-audit --fail-on tls1.1 --format jsonl x.pcap.gz   scheduled check
  tls-audit --format csv caps/ > tls.csv         like the old script's CSV
  tls-audit --format parquet caps/ > tls.parquet for DuckDB, Spark, pandas
  tls-audit --server 10.20.0.0/16 --port 443 --sni '*.example.com' \
            --since '2026-11-25 08:00' --until 2026-11-26 caps/
                                    one service, one day (like tshark -Y)

Filters (each may be repeated: any value matches; different filters must
all match; they apply to rows, --summary, --max-version and --fail-on):
  --server ADDR[/PREFIX]  the server's address is in the network
  --port N                the client's or the server's port is N
  --sni GLOB              the SNI matches, case-insensitively (* any run of
                          characters, dots included; ? one); no SNI never matches
  --since T / --until T   first_seen in [since, until); T is RFC 3339
                          (2026-11-25T08:00:00Z) or YYYY-MM-DD[ HH:MM[:SS]] in UTC
Frames outside the time range or not between matching addresses and ports
are skipped before the handshake trackers; a capture is read no further
once it is past --until with no handshake in progress.

Columns: file, frame (tshark's frame.number of the ClientHello in the file:
its first segment, or the first QUIC Initial carrying it; empty/null without
a ClientHello), first_seen, client_ip, client_port, server_ip, server_port,
transport (tcp, or quic for the hellos in QUIC Initial packets), version
(what the ServerHello negotiated; empty/null when none was captured),
client_version (highest the client offered), offered_versions, sni, alpn,
cipher, ja4 (q... for QUIC), ja4s (the ServerHello's fingerprint), wrapped
(tds: the handshake rode in SQL Server's TDS PRELOGIN packets), then the
server certificate (TLS <= 1.2 sends it in the clear; empty for TLS 1.3):
cert_cn, cert_san, cert_issuer, cert_not_before, cert_not_after,
cert_key_type, cert_key_bits, cert_signature, cert_self_signed,
cert_chain_len, cert_expired (at capture time), cert_weak_key (RSA/DSA < 2048
or EC < 224 bits), cert_weak_signature (MD5, SHA-1). The table shows
cert_cn, cert_not_after and cert_flags (the flags that are set) only, and no
ja4s and no frame; --summary adds the same three.

TLS is found by content on any TCP port, also after a plaintext prelude
(STARTTLS in SMTP, IMAP, POP3, FTP, LDAP, XMPP; PostgreSQL, MySQL, RDP), and
QUIC v1/v2/draft-29 Initials on any UDP port (decrypted with the keys from
the client's connection ID); handshakes and certificate chains split over
records, TCP segments, CRYPTO frames and QUIC packets are reassembled; VLAN,
IPv6, pcap, pcapng, ERF and .gz are read. Directories are searched
recursively for *.pcap, *.pcapng, *.cap, *.ntar, *.erf and *.gz (FIFOs and
sockets there are skipped with a note). `-`, pipes, FIFOs, /dev/stdin and
<(...) are read as streams:
  tcpdump -i eth0 -w - | tls-audit -
Limits (FIFO wait, .gz size) and their variables: docs/LIMITS.md.

--max-version and --fail-on judge a connection by its negotiated version,
or, when the server's answer was not captured, by the highest version the
client offered; --summary ranks its rows the same way (weakest first: a
client that offered only SSL 3.0 and got no answer comes first) and shows
that version as client_version.

Exit status:
  0  every file was read (and, with --fail-on, nothing at or below it)
  1  --fail-on: at least one connection at or below the given version
  2  some file or directory could not be read completely (named on stderr)
  3  usage error (also a bad filter value, or --since not before --until),
     or output could not be written
With --fail-on, 1 wins over 2 (the failed file is still named on stderr).";

/// List TLS connections (over TCP and QUIC) in captures with the version
/// each one negotiated: who still connects with SSL 3.0, TLS 1.0 or TLS 1.1.
#[derive(Parser, Debug)]
#[command(version, after_help = EXAMPLES)]
struct Args {
    /// Capture files and directories (searched recursively); `-` reads
    /// standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format [default: table, also when piped; see docs/CLI-CONTRACT.md].
    #[arg(long, value_enum)]
    format: Option<Fmt>,

    /// One row per (client_ip, server_ip, server_port, transport, sni,
    /// version, client_version, server certificate) with connection counts
    /// and first/last seen, weakest versions first (by the negotiated
    /// version, else the highest one the client offered).
    #[arg(long)]
    summary: bool,

    /// Only connections whose server address is in this network (an
    /// address or ADDR/PREFIX, IPv4 or IPv6); repeat for several.
    #[arg(long, value_name = "ADDR[/PREFIX]")]
    server: Vec<Network>,

    /// Only connections with this port on either side; repeat for several.
    #[arg(long, value_name = "N")]
    port: Vec<u16>,

    /// Only connections whose SNI matches this case-insensitive glob (`*`,
    /// `?`; `*.example.com`); repeat for several. Connections without SNI
    /// never match.
    #[arg(long, value_name = "GLOB")]
    sni: Vec<SniGlob>,

    /// Only connections first seen at or after this time: RFC 3339
    /// (2026-11-25T08:00:00Z) or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<i64>,

    /// Only connections first seen before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    until: Option<i64>,

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

    /// Bytes kept per direction of a connection while its hello (or the
    /// server's certificate chain) is incomplete.
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
    /// One JSON array of the rows.
    Json,
    /// Apache Parquet on stdout (the columns of capture-sql's `tls` table).
    Parquet,
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::from_name(s)
        .ok_or_else(|| format!("unknown version {s:?}; use ssl3, tls1.0, tls1.1, tls1.2 or tls1.3"))
}

fn main() -> ExitCode {
    run(netops_cli::parse())
}

fn run(args: Args) -> ExitCode {
    let filter = Filter {
        servers: args.server.clone(),
        ports: args.port.clone(),
        sni: args.sni.clone(),
        since_ns: args.since,
        until_ns: args.until,
    };
    if let Err(e) = filter.check() {
        netops_cli::warn(e);
        return ExitCode::from(exit::USAGE);
    }
    let format = match args.format {
        Some(Fmt::Table) => Format::Table,
        Some(Fmt::Csv) => Format::Csv,
        Some(Fmt::Jsonl) => Format::Jsonl,
        Some(Fmt::Json) => Format::Json,
        Some(Fmt::Parquet) => Format::Csv, // handled below, before any row is written
        None => Format::Table,
    };
    let input = match tls_handshake::audit::InputOptions::from_env() {
        Ok(i) => i,
        Err(e) => {
            netops_cli::warn(e);
            return ExitCode::from(exit::USAGE);
        }
    };
    let found = tls_handshake::audit::inputs::expand_noted(&args.paths);
    let (files, bad_paths) = (found.files, found.errors);
    let mut failed = false;
    for (p, e) in &bad_paths {
        netops_cli::warn(format_args!(
            "{}: {e}; check the path and its permissions",
            p.display()
        ));
        failed = true;
    }
    for (p, why) in &found.skipped {
        netops_cli::warn(format_args!("note: {}: {why}", p.display()));
    }
    if files.is_empty() && bad_paths.is_empty() {
        netops_cli::warn(
            "no capture files (*.pcap, *.pcapng, *.cap, *.ntar, *.erf, *.dmp, also .gz) under the given paths",
        );
        return ExitCode::from(exit::FAILED);
    }

    let bar = Progress::files(&files, args.quiet);
    let limits = tls_handshake::tracker::Limits {
        per_direction: args.flow_bytes.max(64),
        max_flows: args.max_flows.max(1),
        ..Default::default()
    };
    let tick = bar.clone();
    let audit = Audit::new(AuditOptions {
        limits,
        threads: args.threads,
        max_version: args.max_version,
        fail_on: args.fail_on,
        filter,
        summary: args.summary,
        chunk_size: 0,
        lanes: 0,
    })
    .with_progress(move |n| tick.inc(n))
    .with_input(input);

    if matches!(args.format, Some(Fmt::Parquet)) {
        if args.summary {
            netops_cli::warn(
                "--summary has no parquet form; write the rows and group them in SQL (capture-sql)",
            );
            return ExitCode::from(exit::USAGE);
        }
        let report = parquet_out::run(&audit, &files, |_, msg| {
            bar.warn(msg);
            failed = true;
        });
        bar.finish();
        let status = |found: bool| {
            if found {
                exit::FOUND
            } else if failed {
                exit::FAILED
            } else {
                exit::OK
            }
        };
        return match report {
            Ok(r) => ExitCode::from(status(r.found)),
            // A closed pipe is quiet and keeps the run's status (netops-cli's rule).
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(status(false)),
            Err(e) => {
                netops_cli::warn(format_args!("cannot write the output: {e}"));
                ExitCode::from(exit::USAGE)
            }
        };
    }
    // The table sizes its columns from the first 500 rows, then streams.
    let table = format == Format::Table;
    let mut out = Writer::stdout(format, output::header(args.summary, table))
        .table_style(TableStyle::new().null("-").sample(500));
    // Per negotiated version (None: no ServerHello), for the footer.
    // (Keyed by the typed version: a row's name is only needed for the footer.)
    let mut by_version: std::collections::BTreeMap<(u32, Option<u16>), u64> = Default::default();
    let report = audit.run(
        &files,
        |c: Connection| {
            *by_version
                .entry((
                    c.version_raw.map_or(u32::MAX, |v| v.rank()),
                    c.version_raw.map(|v| v.0),
                ))
                .or_default() += 1;
            if table {
                out.row(&output::table_row(&c));
            } else {
                out.row(&output::all_values(&c));
            }
        },
        |_, msg| {
            bar.warn(msg);
            failed = true;
        },
    );
    bar.finish();
    if args.summary {
        for r in report.summary.rows() {
            out.row(&output::summary_row(&r));
        }
    }
    let finished = out.finish();
    if format == Format::Table && !args.summary && std::io::stderr().is_terminal() {
        // A one-line digest for people reading the table.
        let parts: Vec<String> = by_version
            .iter()
            .map(|(&(_, v), n)| match v {
                Some(v) => format!("{n} {}", tls_handshake::Version(v).name()),
                None => format!("{n} without ServerHello"),
            })
            .collect();
        netops_cli::warn(format_args!(
            "{} connection(s) in {} file(s): {}; see --summary for who to call, --max-version tls1.1 for the weak ones",
            report.connections,
            report.files_ok + report.files_failed,
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(", ")
            }
        ));
    }
    let s = report.stats;
    if s.dropped_capacity > 0 || s.truncated > 0 {
        netops_cli::warn(format_args!(
            "warning: {} connection(s) not tracked because --max-flows was reached, {} hello(s) larger than --flow-bytes or the buffer cap skipped",
            s.dropped_capacity, s.truncated
        ));
    }
    finished.exit_code(if report.found {
        exit::FOUND
    } else if failed {
        exit::FAILED
    } else {
        exit::OK
    })
}
