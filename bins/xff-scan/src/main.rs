//! `xff-scan`: thin command-line front end over `xff_scan::report`
//! (parses arguments, prints rows).
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use netops_cli::{Progress, TableStyle, Writer, exit};
use xff_scan::batch::{InputOptions, Mode, expand_noted, is_stream};
use xff_scan::report::{self, Kind, ReportOptions};
use xff_scan::scan::ScanOptions;
use xff_scan::{HeaderSpec, Matcher, TargetSet, default_headers};

const AFTER_HELP: &str = "\
Examples:
  xff-scan --ip 203.0.113.77 testdata/xff
      every request packet whose proxy headers name that client
  xff-scan --ip 203.0.113.0/24 --ip 2001:db8::/32 --summary /captures/
      one row per connection (5-tuple) behind the proxy
  xff-scan --ip 203.0.113.77 --write client.pcap big.pcap
      also save the complete matching conversations, both directions
  xff-scan --list --format csv capture.pcapng
      every client address seen in the headers, with counts
  xff-scan --ip 198.51.100.9 --header X-Client-IP --header X-Forwarded-For cap.pcap
      search other headers (replaces the default list)

Headers searched by default (names case-insensitive): X-Forwarded-For,
Forwarded (RFC 7239 for=), X-Real-IP, True-Client-IP, CF-Connecting-IP.
Only HTTP/1.x request header blocks in TCP payloads are read: addresses in
bodies, responses, Referer or other protocols are never reported.

Columns (one row per matching request packet): file, frame, ts (the
packet's time), client_ip, client_port, server_ip, server_port (the TCP
connection: usually the proxy and the server), header, forwarded_ip (the
address the header names), position (0 is the leftmost entry, the original
client), method, http_host (the Host header).
--summary: file, client_ip, client_port, server_ip, server_port, transport,
forwarded_ips, matching_packets, packets, bytes, first_seen, last_seen.
--list: forwarded_ip, hits, as_origin, connections, first_seen, last_seen.
Times are RFC 3339 UTC with microseconds (docs/CLI-CONTRACT.md).

Headers split across TCP segments of one flow are found (bounded carry-over
per flow). Only --reassemble also finds request lines cut across segments,
segments captured out of order, and pipelined requests that start in the
middle of a segment after a body that spanned segments. It decodes every
packet and reads each file on one thread: about 1.6x the CPU time of the
default scan on mostly non-HTTP captures, 1.2x on dense HTTP.

--write does a second pass over the inputs and saves every packet of the
matching connections, both directions (pcapng if the name ends in .pcapng).

Input: files, directories, `-` (standard input), pipes, FIFOs, /dev/stdin
and <(...) are read; streams in order through a bounded buffer. Limits
(FIFO wait, .gz size) and their variables: docs/LIMITS.md.

Exit status:
  0  at least one match (or --list found addresses)
  1  no match
  2  some input could not be read completely (the rest was scanned)
  3  usage error or output failure";

/// Find a client hidden behind a proxy or load balancer: every packet whose
/// X-Forwarded-For / Forwarded / X-Real-IP headers name it, and the
/// connections (5-tuples) they belong to.
#[derive(Parser, Debug)]
#[command(name = "xff-scan", version, after_help = AFTER_HELP)]
struct Args {
    /// Client address or CIDR to look for (IPv4 or IPv6); repeat or
    /// separate with commas.
    #[arg(
        long = "ip",
        value_name = "ADDR|CIDR",
        value_delimiter = ',',
        required_unless_present = "list"
    )]
    ips: Vec<String>,

    /// List every client address seen in the headers, with counts.
    #[arg(long, conflicts_with_all = ["ips", "summary", "write"])]
    list: bool,

    /// One row per connection (5-tuple) instead of one per packet.
    #[arg(long)]
    summary: bool,

    /// Save the complete matching conversations to this capture file.
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,

    /// Reassemble TCP streams: also finds request lines cut across
    /// segments, out-of-order and retransmitted segments, and requests that
    /// start mid-segment after a multi-segment body. Decodes every packet
    /// (slower; one thread per file).
    #[arg(long)]
    reassemble: bool,

    /// Header to search (replaces the default list); repeatable.
    #[arg(long = "header", value_name = "NAME")]
    headers: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Never show a progress bar (`--no-progress` is the old name).
    #[arg(long, short, alias = "no-progress")]
    quiet: bool,

    /// Capture files (pcap, pcapng, ERF, optionally .gz) or directories.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array of the rows.
    Json,
}

/// Exit status when nothing matched (grep's convention).
const NO_MATCH: u8 = 1;

fn main() -> ExitCode {
    run(netops_cli::parse())
}

fn run(args: Args) -> ExitCode {
    let fail = |msg: String| {
        netops_cli::warn(msg);
        ExitCode::from(exit::USAGE)
    };
    let headers = if args.headers.is_empty() {
        default_headers()
    } else {
        match args
            .headers
            .iter()
            .map(|h| {
                HeaderSpec::from_name(h)
                    .ok_or_else(|| format!("--header {h:?} is not a valid HTTP header name"))
            })
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(h) => h,
            Err(e) => return fail(e),
        }
    };
    let targets = if args.list {
        None
    } else {
        match TargetSet::parse(&args.ips) {
            Ok(t) => Some(t),
            Err(e) => return fail(e.to_string()),
        }
    };
    let matcher = Matcher::new(headers, targets);

    let input = match InputOptions::from_env() {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let found = expand_noted(&args.paths);
    let (files, missing) = (found.files, found.errors);
    for (p, e) in &missing {
        netops_cli::warn(format_args!("{}: {e}; skipped", p.display()));
    }
    for (p, why) in &found.skipped {
        netops_cli::warn(format_args!("note: {}: {why}", p.display()));
    }
    if (args.summary || args.write.is_some())
        && let Some(p) = files.iter().find(|p| is_stream(p))
    {
        return fail(format!(
            "{}: --summary and --write read the captures twice, and a pipe, FIFO or standard \
             input can be read only once; save it to a file first (e.g. tcpdump -w file.pcap)",
            p.display()
        ));
    }
    if files.is_empty() {
        netops_cli::warn(format_args!(
            "no capture files found in the given paths (looked for *.{{{}}}, also .gz)",
            xff_scan::batch::CAPTURE_EXTENSIONS.join(",")
        ));
        return ExitCode::from(exit::FAILED);
    }
    let bar = Progress::files(&files, args.quiet);

    let kind = if args.list {
        Kind::List
    } else if args.summary {
        Kind::Summary
    } else {
        Kind::Packets
    };
    let format = match args.format {
        Format::Table => netops_cli::Format::Table,
        Format::Csv => netops_cli::Format::Csv,
        Format::Jsonl => netops_cli::Format::Jsonl,
        Format::Json => netops_cli::Format::Json,
    };
    let mut out = Writer::stdout(format, output::columns_for(kind))
        .table_style(TableStyle::new().header_when_empty(false));
    let opts = ReportOptions {
        kind,
        mode: if args.reassemble {
            Mode::Reassemble(Default::default())
        } else {
            Mode::Fast
        },
        scan: ScanOptions {
            input,
            ..ScanOptions::default()
        },
        threads: args.threads.unwrap_or(0),
        write: args.write.clone(),
    };
    let header_names: Vec<&str> = matcher.headers().iter().map(|h| h.name()).collect();
    let result = report::run(
        &files,
        &matcher,
        &opts,
        |n| bar.inc(n),
        |file, m| {
            if kind != Kind::Packets {
                return;
            }
            out.row(&output::packet_row(file, m, &header_names));
        },
        |p| bar.warn(p),
    );
    bar.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    for c in &report.conversations {
        out.row(&output::summary_row(c));
    }
    for c in &report.clients {
        out.row(&output::list_row(c));
    }
    if report.unfinished > 0 && !args.reassemble {
        netops_cli::warn(format_args!(
            "note: {} request header block(s) split across TCP segments could not be completed \
             (segment lost or out of order); --reassemble follows them",
            report.unfinished
        ));
    }
    let empty_table = format == netops_cli::Format::Table && out.rows() == 0;
    let finished = out.finish();
    if empty_table {
        netops_cli::warn(format_args!(
            "no match in {} file(s){}",
            files.len(),
            if args.list {
                ""
            } else {
                "; try --list to see which client addresses the headers carry"
            }
        ));
    }
    finished.exit_code(if report.failed || !missing.is_empty() {
        exit::FAILED
    } else if report.found() {
        exit::OK
    } else {
        NO_MATCH
    })
}
