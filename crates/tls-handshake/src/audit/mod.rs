//! Capture auditing (feature `audit`): scan captures for TLS handshakes and
//! report one row per connection (who connects with which version, to which
//! service). This is the engine of the `tls-audit` tool, which only parses
//! arguments and prints.
//!
//! Unlike the rest of the crate this module does I/O: it opens capture files
//! with `pcap-core`, walks directories ([`inputs`]) and uses threads. It is
//! off by default; enable it with
//! `tls-handshake = { workspace = true, features = ["audit"] }`.
//!
//! * [`Audit`] runs over files on all cores and delivers [`Connection`] rows
//!   (or a [`Summary`]) with a [`Report`] of totals.
//! * [`scan`]: the scan of one capture, sequential or split over cores.
//! * [`filter`]: tshark-style filters (server network, port, SNI glob,
//!   time range) over the rows, also used by the scan to skip frames.
//!
//! ```no_run
//! use tls_handshake::Version;
//! use tls_handshake::audit::{Audit, AuditOptions};
//!
//! let files = vec!["capture.pcap".into()];
//! let opts = AuditOptions { max_version: Some(Version::TLS11), ..AuditOptions::default() };
//! let report = Audit::new(opts).run(&files, |row| {
//!     println!("{} -> {}:{} {:?}", row.client_ip, row.server_ip, row.server_port, row.version);
//! }, |file, err| eprintln!("{}: {err}", file.display()));
//! println!("{} weak connections, {} file(s) failed", report.connections, report.files_failed);
//! ```

pub mod conn;
pub mod filter;
pub use pcap_core::InputOptions;
pub use pcap_core::inputs;
pub mod scan;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

pub use conn::Connection;
pub use filter::Filter;
use pcap_core::Input;
pub use summary::{Summary, SummaryRow};

use crate::Version;
use crate::tracker::{Limits, Stats};

/// Settings of an audit run.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// Tracker limits (per flow, in total, idle timeout), per worker.
    pub limits: Limits,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Report only connections at or below this version
    /// ([`Connection::at_or_below`]).
    pub max_version: Option<Version>,
    /// Set [`Report::found`] when a connection is at or below this version.
    pub fail_on: Option<Version>,
    /// Report (and judge for `fail_on`, count in the summary) only the
    /// connections that pass this filter; the scan also skips frames that
    /// cannot belong to one (see [`filter`]).
    pub filter: Filter,
    /// Aggregate into [`Report::summary`] instead of delivering rows.
    pub summary: bool,
    /// Chunk size when one file is split over cores (0: automatic).
    pub chunk_size: usize,
    /// Chunks each thread walks at once, interleaved, when a file is split
    /// (0: [`pcap_core::parallel::header_lanes`] decides; 1: one at a
    /// time). See
    /// [`pcap_core::parallel::SplitOptions::lanes`].
    pub lanes: usize,
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// Files read to the end.
    pub files_ok: usize,
    /// Files that could not be opened or stopped early on an error.
    pub files_failed: usize,
    /// Packets read.
    pub packets: u64,
    /// Connections reported (after `max_version`).
    pub connections: u64,
    /// A connection at or below `fail_on` was seen.
    pub found: bool,
    /// With `summary`: the aggregated rows.
    pub summary: Summary,
    /// Tracker counters summed over all files.
    pub stats: Stats,
}

/// Applies the filter, `max_version`, `fail_on` and the summary to rows.
pub struct Collector<'a> {
    filter: Filter,
    max_version: Option<Version>,
    fail_on: Option<Version>,
    summarize: bool,
    /// Set when a row at or below `fail_on` passed.
    pub found: bool,
    /// Rows that passed the filter.
    pub count: u64,
    /// The aggregate (with `summary`).
    pub summary: Summary,
    rows: Box<dyn FnMut(Connection) + 'a>,
}

impl<'a> Collector<'a> {
    /// A collector for `opts` delivering rows (when not summarising) to `rows`.
    pub fn new(opts: &AuditOptions, rows: impl FnMut(Connection) + 'a) -> Self {
        Collector {
            filter: opts.filter.clone(),
            max_version: opts.max_version,
            fail_on: opts.fail_on,
            summarize: opts.summary,
            found: false,
            count: 0,
            summary: Summary::default(),
            rows: Box::new(rows),
        }
    }

    /// True when rows are aggregated rather than delivered.
    pub fn summarizes(&self) -> bool {
        self.summarize
    }

    /// True when `c` passes the filter and `max_version`, setting
    /// [`found`](Self::found) when it is at or below `fail_on`: whether
    /// the row is to be delivered or counted.
    pub fn wants(&mut self, c: &Connection) -> bool {
        if !self.filter.matches(c) {
            return false;
        }
        if let Some(t) = self.fail_on
            && c.at_or_below(t)
        {
            self.found = true;
        }
        self.max_version.is_none_or(|max| c.at_or_below(max))
    }

    /// Takes one row.
    pub fn accept(&mut self, c: Connection) {
        if !self.wants(&c) {
            return;
        }
        self.count += 1;
        if self.summarize {
            self.summary.add(&c);
        } else {
            (self.rows)(c);
        }
    }

    /// Takes the counts of another collector (a chunk's).
    pub fn absorb(&mut self, found: bool, count: u64, summary: Summary) {
        self.found |= found;
        self.count += count;
        self.summary.merge(summary);
    }
}

/// Runs audits over capture files.
pub struct Audit {
    opts: AuditOptions,
    progress: Box<dyn Fn(u64) + Sync>,
    input: pcap_core::InputOptions,
}

enum Msg {
    Rows(Vec<Connection>),
    Done {
        packets: u64,
        stats: Stats,
        error: Option<String>,
    },
}

impl Audit {
    /// An audit with the given options.
    pub fn new(opts: AuditOptions) -> Self {
        Audit {
            opts,
            progress: Box::new(|_| {}),
            input: pcap_core::InputOptions::default(),
        }
    }

    /// How inputs are opened: regular files are mapped, pipes, FIFOs,
    /// standard input (`-`) and `.gz` files streamed; this sets the FIFO
    /// timeout and the `.gz` limits (see [`pcap_core::Input::open`]).
    pub fn with_input(mut self, input: pcap_core::InputOptions) -> Self {
        self.input = input;
        self
    }

    /// Sets a callback that receives byte counts as the files are read
    /// (from worker threads).
    pub fn with_progress(mut self, f: impl Fn(u64) + Sync + 'static) -> Self {
        self.progress = Box::new(f);
        self
    }

    fn threads(&self) -> usize {
        if self.opts.threads > 0 {
            self.opts.threads
        } else {
            pcap_core::parallel::threads()
        }
    }

    /// Scans `files` on all cores: with at least as many files as cores
    /// (and more than one core), one file per core; otherwise each file in
    /// turn split into chunks walked on all cores (one included) in
    /// interleaved lanes, the chunks streamed back in order so memory stays
    /// bounded on captures of any size.
    /// Rows that pass `max_version` are delivered on the calling thread,
    /// file by file in the order given, each file's rows in the order their
    /// handshakes complete (with `summary`, they are counted into
    /// [`Report::summary`] instead). A file that fails is reported to
    /// `on_error` (its rows up to the error are still counted) and the run
    /// goes on.
    pub fn run(
        &self,
        files: &[PathBuf],
        on_row: impl FnMut(Connection),
        mut on_error: impl FnMut(&Path, &str),
    ) -> Report {
        let mut report = Report::default();
        let mut col = Collector::new(&self.opts, on_row);
        let threads = self.threads();
        // One core, or fewer files than cores: files one after the other,
        // each split over all threads (on one thread too: the interleaved
        // headers-only walk of a split is what makes one core fast).
        if files.len() < threads || threads == 1 {
            for path in files {
                let input = match Input::open(path, &self.input) {
                    Ok(c) => c,
                    Err(e) => {
                        report.files_failed += 1;
                        on_error(path, &e.to_string());
                        continue;
                    }
                };
                let s = match input {
                    Input::Mapped(cap) => {
                        scan::scan_parallel(&cap, &self.opts, threads, &*self.progress, &mut col)
                    }
                    Input::Stream(mut st) => {
                        let (limits, filter) = (self.opts.limits, &self.opts.filter);
                        scan::scan_stream_filtered(
                            &mut st,
                            limits,
                            filter,
                            &*self.progress,
                            &mut |c| col.accept(c),
                        )
                    }
                };
                report.packets += s.packets;
                report.stats.merge(&s.stats);
                match s.error {
                    Some(e) => {
                        report.files_failed += 1;
                        on_error(path, &e.to_string());
                    }
                    None => report.files_ok += 1,
                }
            }
        } else {
            self.run_per_file(files, threads, &mut col, &mut report, &mut on_error);
        }
        report.found = col.found;
        report.connections = col.count;
        report.summary = std::mem::take(&mut col.summary);
        report
    }

    fn run_per_file(
        &self,
        files: &[PathBuf],
        threads: usize,
        col: &mut Collector<'_>,
        report: &mut Report,
        on_error: &mut impl FnMut(&Path, &str),
    ) {
        let next = AtomicUsize::new(0);
        // Bounded: a file scanned ahead of the one being printed waits instead
        // of piling up its rows (memory stays bounded by the flow caps).
        let (txs, rxs): (Vec<_>, Vec<_>) = files
            .iter()
            .map(|_| mpsc::sync_channel::<Msg>(IN_FLIGHT_BATCHES))
            .unzip();
        let progress = &*self.progress;
        // Each worker scans its file on one thread in interleaved lanes and
        // forwards every row; filtering and summarising happen here.
        let per_file = AuditOptions {
            threads: 1,
            max_version: None,
            fail_on: None,
            summary: false,
            ..self.opts.clone()
        };
        let per_file = &per_file;
        let input = &self.input;
        std::thread::scope(|s| {
            for _ in 0..threads.min(files.len()).max(1) {
                let txs = &txs;
                let next = &next;
                s.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        scan_file(path, per_file, input, progress, &txs[i]);
                    }
                });
            }
            for (i, rx) in rxs.into_iter().enumerate() {
                for msg in rx {
                    match msg {
                        Msg::Rows(rows) => rows.into_iter().for_each(|r| col.accept(r)),
                        Msg::Done {
                            packets,
                            stats,
                            error,
                        } => {
                            report.packets += packets;
                            report.stats.merge(&stats);
                            match error {
                                Some(e) => {
                                    report.files_failed += 1;
                                    on_error(&files[i], &e);
                                }
                                None => report.files_ok += 1,
                            }
                            break;
                        }
                    }
                }
            }
        });
    }
}

/// Rows are sent to the output thread in batches of this size.
const BATCH: usize = 256;
/// Batches a worker may have queued for the output thread.
const IN_FLIGHT_BATCHES: usize = 64;

fn scan_file(
    path: &Path,
    opts: &AuditOptions,
    input: &pcap_core::InputOptions,
    progress: &(dyn Fn(u64) + Sync),
    tx: &mpsc::SyncSender<Msg>,
) {
    let input = match Input::open(path, input) {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Msg::Done {
                packets: 0,
                stats: Stats::default(),
                error: Some(e.to_string()),
            });
            return;
        }
    };
    let mut batch = Vec::with_capacity(BATCH);
    let mut col = Collector::new(opts, |row| {
        batch.push(row);
        if batch.len() == BATCH {
            let _ = tx.send(Msg::Rows(std::mem::replace(
                &mut batch,
                Vec::with_capacity(BATCH),
            )));
        }
    });
    let summary = match input {
        Input::Mapped(cap) => scan::scan_parallel(&cap, opts, 1, progress, &mut col),
        Input::Stream(mut st) => {
            scan::scan_stream_filtered(&mut st, opts.limits, &opts.filter, progress, &mut |c| {
                col.accept(c)
            })
        }
    };
    drop(col);
    if !batch.is_empty() {
        let _ = tx.send(Msg::Rows(batch));
    }
    let _ = tx.send(Msg::Done {
        packets: summary.packets,
        stats: summary.stats,
        error: summary.error.as_ref().map(ToString::to_string),
    });
}
