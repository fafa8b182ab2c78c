//! `tls-audit` as a library: scan captures for TLS handshakes and report one
//! row per connection (who connects with which version, to which service).
//!
//! The binary only parses arguments and prints; everything else is here so
//! that tests (and other programs) can drive it.
//!
//! ```no_run
//! use tls_audit::{Audit, AuditOptions};
//!
//! let files = vec!["capture.pcap".into()];
//! let mut n = 0;
//! let report = Audit::new(AuditOptions::default()).run(&files, |row| {
//!     println!("{} -> {}:{} {:?}", row.client_ip, row.server_ip, row.server_port, row.version);
//!     n += 1;
//! }, |file, err| eprintln!("{}: {err}", file.display()));
//! assert_eq!(report.files_failed, 0);
//! ```
#![deny(missing_docs)]

pub mod conn;
pub mod inputs;
pub mod output;
pub mod scan;
pub mod synth;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

pub use conn::Connection;
use pcap_core::Capture;
use tls_handshake::tracker::{Limits, Stats};

/// Settings of an audit run.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// Tracker limits (per flow, in total, idle timeout), per worker.
    pub limits: Limits,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// Totals of a run.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Files read to the end.
    pub files_ok: usize,
    /// Files that could not be opened or stopped early on an error.
    pub files_failed: usize,
    /// Packets read.
    pub packets: u64,
    /// Connections reported.
    pub connections: u64,
    /// Tracker counters summed over all files.
    pub stats: Stats,
}

/// Runs audits over capture files.
pub struct Audit {
    opts: AuditOptions,
    progress: Box<dyn Fn(u64) + Sync>,
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
        }
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
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }

    /// Scans `files` on all cores. Rows are delivered on the calling thread,
    /// file by file in the order given, each file's rows in the order their
    /// handshakes complete. A file that fails is reported to `on_error` (its
    /// rows up to the error are still delivered) and the run goes on.
    pub fn run(
        &self,
        files: &[PathBuf],
        mut on_row: impl FnMut(Connection),
        mut on_error: impl FnMut(&Path, &str),
    ) -> Report {
        let mut report = Report::default();
        let next = AtomicUsize::new(0);
        let (txs, rxs): (Vec<_>, Vec<_>) = files.iter().map(|_| mpsc::channel::<Msg>()).unzip();
        let progress = &*self.progress;
        let limits = self.opts.limits;
        std::thread::scope(|s| {
            for _ in 0..self.threads().min(files.len().max(1)) {
                let txs = &txs;
                let next = &next;
                s.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        scan_file(path, limits, progress, &txs[i]);
                    }
                });
            }
            for (i, rx) in rxs.into_iter().enumerate() {
                for msg in rx {
                    match msg {
                        Msg::Rows(rows) => {
                            report.connections += rows.len() as u64;
                            rows.into_iter().for_each(&mut on_row);
                        }
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
        report
    }
}

/// Rows are sent to the output thread in batches of this size.
const BATCH: usize = 256;

fn scan_file(path: &Path, limits: Limits, progress: &(dyn Fn(u64) + Sync), tx: &mpsc::Sender<Msg>) {
    let cap = match Capture::open(path) {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Msg::Done {
                packets: 0,
                stats: Stats::default(),
                error: Some(advice(&e)),
            });
            return;
        }
    };
    let mut batch = Vec::with_capacity(BATCH);
    let summary = scan::scan_sequential(&cap, limits, progress, &mut |row| {
        batch.push(row);
        if batch.len() == BATCH {
            let _ = tx.send(Msg::Rows(std::mem::replace(
                &mut batch,
                Vec::with_capacity(BATCH),
            )));
        }
    });
    if !batch.is_empty() {
        let _ = tx.send(Msg::Rows(batch));
    }
    let _ = tx.send(Msg::Done {
        packets: summary.packets,
        stats: summary.stats,
        error: summary.error.as_ref().map(advice),
    });
}

/// pcap-core's messages already name the file, offset and frame and say
/// what to do.
fn advice(e: &pcap_core::Error) -> String {
    e.to_string()
}
