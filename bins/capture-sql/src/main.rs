//! `capture-sql`: SQL over packet captures (tables `tls`, `http`, `flows`).
//! Parses arguments, calls `capture_sql` and prints.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

mod cluster_cmd;

use capture_sql::query::{self, OutputFormat};
use capture_sql::{CaptureSet, TableOptions};
use clap::{Parser, ValueEnum};
use netops_cli::exit;

/// Default region size on the local engine: regions are bounded by the
/// partitions (cores) anyway, small regions spread a file over them.
const LOCAL_SPLIT_MIB: u64 = 64;
/// Default region size on a cluster: each region is a Ballista task with a
/// few milliseconds of scheduling, a shuffle file and a status round trip;
/// on a 1 GiB capture, over five runs each, two executors ran `count(*)`
/// a median 1.73x faster than one with 512 MiB regions and 1.33x with
/// 256 MiB (docs/BENCHMARKS.md).
const CLUSTER_SPLIT_MIB: u64 = 512;

const EXAMPLES: &str = "\
Tables:
  tls    file, frame, first_seen, client_ip, client_port, server_ip, server_port,
         transport, version, client_version, offered_versions, sni, alpn, cipher, ja4,
         ja4s, wrapped, cert_* (the rows of tls-audit; transport tcp or quic; frame: the
         ClientHello's frame number in the file)
  http   file, frame, ts, client_ip, client_port, server_ip, server_port, method,
         http_host, path, forwarded_for, headers, complete (one row per HTTP/1.x request)
  flows  file, transport, client_ip, client_port, server_ip, server_port, first_seen,
         last_seen, client_packets, client_bytes, server_packets, server_bytes,
         tcp_flags, tcp_flag_bits (one row per TCP/UDP flow)

Examples:
  capture-sql \"SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC\" testdata/tls
  capture-sql --format csv \"SELECT sni, client_ip FROM tls WHERE version = 'TLS 1.0'\" /captures
  capture-sql \"SELECT * FROM flows WHERE server_ip = '203.0.113.7'
               AND first_seen >= TIMESTAMP '2026-11-25T02:00:00Z'\" '/captures/*.pcap.gz'
  capture-sql \"SELECT t.sni, f.server_bytes FROM tls t JOIN flows f USING
               (client_ip, client_port, server_ip, server_port)\" cap.pcapng
  capture-sql \"COPY (SELECT * FROM tls) TO 'tls.parquet'\" /captures
  capture-sql --explain \"SELECT count(*) FROM http WHERE http_host = 'shop.example'\" cap.pcap

Exit status (docs/CLI-CONTRACT.md): 0 ok (also when the reader closes the
pipe early); 2 some capture could not be read to the end (its rows before
the damage are in the result; the error names the file and offset on
stderr; also when an executor of --cluster scanned it), or the cluster could
not be reached; 3 usage error, a query that does not run (bad SQL, unknown
table or column), or output that could not be written.";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Jsonl,
    Parquet,
}

/// Run SQL over packet captures (pcap, pcapng, ERF, .gz; files, directories, globs).
#[derive(Parser, Debug)]
#[command(name = "capture-sql", version, after_help = EXAMPLES)]
struct Cli {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the result to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print the query plan instead of running the query.
    #[arg(long)]
    explain: bool,
    /// Partitions (threads) to run on (0: one per core). With --cluster,
    /// the partitions (tasks) of each stage (0: two per executor).
    #[arg(long, default_value_t = 0)]
    partitions: usize,
    /// Cut `tls` and `http` capture files larger than this many MiB into
    /// regions scanned in parallel (default: 64 locally, 512 with
    /// --cluster, where every region is a task with its own scheduling
    /// cost). Locally, without this option, a `tls` scan with no filter
    /// and no LIMIT walks each file whole on several threads instead (the
    /// faster walk of tls-audit).
    #[arg(long, value_name = "MIB")]
    split_mib: Option<u64>,
    /// Run on a Ballista cluster (`df://HOST:PORT` of `capture-sql
    /// scheduler`) instead of locally; the paths must be readable by every
    /// executor.
    #[arg(long, value_name = "URL")]
    cluster: Option<String>,
    /// Set a DataFusion session option before the query, like `SET` in
    /// datafusion-cli (repeatable), e.g. `--set
    /// datafusion.execution.batch_size=4096`; with --cluster the
    /// scheduler plans with them too.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
    set: Vec<(String, String)>,
    /// The SQL query.
    sql: String,
    /// Capture files, directories or globs.
    paths: Vec<String>,
}

fn main() -> ExitCode {
    // `capture-sql scheduler ...` / `capture-sql executor ...`: the cluster
    // processes (see `cluster_cmd`).
    let argv: Vec<String> = std::env::args().collect();
    match argv.get(1).map(String::as_str) {
        Some("scheduler") => return cluster_cmd::scheduler(&argv[2..]),
        Some("executor") => return cluster_cmd::executor(&argv[2..]),
        _ => {}
    }
    // Usage errors exit 3 (clap's own 2 reads as "a capture failed");
    // `--generate` prints completions or the man page.
    let cli: Cli = netops_cli::parse();
    let format = match cli.format {
        Format::Table => OutputFormat::Table,
        Format::Csv => OutputFormat::Csv,
        Format::Jsonl => OutputFormat::Jsonl,
        Format::Parquet => OutputFormat::Parquet,
    };
    let (files, problems) = CaptureSet::find(&cli.paths);
    let mut status = exit::OK;
    for p in &problems {
        eprintln!("capture-sql: {p}");
        status = exit::FAILED;
    }
    let opts = TableOptions {
        split_bytes: cli
            .split_mib
            .unwrap_or(if cli.cluster.is_some() {
                CLUSTER_SPLIT_MIB
            } else {
                LOCAL_SPLIT_MIB
            })
            .max(1)
            << 20,
        // Locally a `tls` file is walked whole on threads (faster than
        // regions) unless regions are asked for.
        whole_files_on_threads: cli.cluster.is_none() && cli.split_mib.is_none(),
        ..TableOptions::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("capture-sql: cannot start the runtime: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let (local, mut scan_errors) = query::local_context(cli.partitions);
    let mut stdout = PipeWatch {
        inner: std::io::stdout().lock(),
        closed: false,
    };
    let result = runtime.block_on(async {
        let ctx = match &cli.cluster {
            Some(url) => match capture_sql::cluster::remote_context(url, cli.partitions).await {
                Ok(c) => c,
                Err(e) => return Err(query::QueryError::Other(e.to_string())),
            },
            None => local,
        };
        // on a cluster, the executors' reports are fetched into the
        // remote session's own collector
        if let Some(e) = query::scan_errors(&ctx) {
            scan_errors = e;
        }
        for (key, value) in &cli.set {
            query::set_option(&ctx, key, value)?;
        }
        query::register_tables(&ctx, Arc::new(files), &opts)?;
        query::run(
            &ctx,
            &cli.sql,
            cli.explain,
            format,
            cli.output.as_deref(),
            &mut stdout,
        )
        .await
    });
    for e in scan_errors.take() {
        eprintln!("capture-sql: {e}");
        status = exit::FAILED;
    }
    ExitCode::from(match result {
        Ok(_) => status,
        // `capture-sql ... | head -1`: quiet, the run's status.
        Err(query::QueryError::Output(_)) if stdout.closed && cli.output.is_none() => status,
        Err(e) => {
            eprintln!("capture-sql: {e}");
            match e {
                // The cluster could not be reached: a host failed.
                query::QueryError::Other(_) => exit::FAILED,
                // The query does not plan or run, or the output was not written.
                _ => exit::USAGE,
            }
        }
    })
}

/// `--set KEY=VALUE`.
fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// Standard output that remembers whether the reader went away, so a
/// closed pipe is told apart from a write error (docs/CLI-CONTRACT.md).
struct PipeWatch<W> {
    inner: W,
    closed: bool,
}

impl<W: std::io::Write> PipeWatch<W> {
    fn note<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.closed = true;
        }
        r
    }
}

impl<W: std::io::Write> std::io::Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}
