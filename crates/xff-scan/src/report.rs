//! A whole `xff-scan` run as one library call: scan many files, hand every
//! match over in file and frame order, then (for `--summary` and
//! `--write`) a second pass that completes the matching conversations,
//! and (for `--list`) the client addresses counted.
//!
//! ```no_run
//! use std::path::PathBuf;
//! use xff_scan::report::{Kind, ReportOptions, run};
//! use xff_scan::{Matcher, TargetSet, default_headers};
//!
//! let targets = TargetSet::parse(&["203.0.113.0/24"]).unwrap();
//! let matcher = Matcher::new(default_headers(), Some(targets));
//! let files = vec![PathBuf::from("capture.pcap")];
//! let opts = ReportOptions { kind: Kind::Summary, ..Default::default() };
//! let report = run(&files, &matcher, &opts, |_| {}, |_, _| {}, |p| eprintln!("{p}")).unwrap();
//! for c in &report.conversations {
//!     println!("{:?} -> {:?}: {} packets", c.client, c.server, c.packets);
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::batch::{
    ClientList, ClientSeen, Conversation, ConversationWriter, Conversations, Mode, scan_files,
};
use crate::http::Matcher;
use crate::scan::{Match, ScanOptions};

/// What the run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// Every match (one per header address per packet), handed to the
    /// `on_match` callback.
    #[default]
    Packets,
    /// Also the matching connections, completed by a second pass
    /// ([`Report::conversations`]).
    Summary,
    /// Client addresses seen in the headers, counted
    /// ([`Report::clients`]); use a [`Matcher`] without targets to see
    /// every address. No match is handed to `on_match`.
    List,
}

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// What to report.
    pub kind: Kind,
    /// The scan per file (fast or `--reassemble`).
    pub mode: Mode,
    /// Options of the fast scan.
    pub scan: ScanOptions,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Save every packet of the matching connections, both directions, to
    /// this capture file (pcapng if the name ends in `.pcapng`); needs the
    /// second pass, which also fills in the conversations' counts.
    pub write: Option<PathBuf>,
}

/// A file that could not be read completely; the run goes on with the
/// others.
#[derive(Debug)]
pub enum Problem {
    /// The file could not be opened (not a capture, unreadable); skipped.
    Open(pcap_core::Error),
    /// The walk stopped early (truncated or corrupt file); matches before
    /// that point are reported.
    Stopped(pcap_core::Error),
    /// The second pass (`--summary`/`--write`) failed on a file, or
    /// writing the matching packets failed.
    SecondPass(pcap_core::Error),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Open(e) => write!(f, "{e}; skipped"),
            Problem::Stopped(e) => write!(f, "{e}; matches before it are reported"),
            Problem::SecondPass(e) => write!(f, "second pass: {e}"),
        }
    }
}

/// The capture file for [`ReportOptions::write`] could not be created or
/// finished: the run has no complete result.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Files scanned (including failed ones).
    pub files: usize,
    /// Matches found (one per header address per packet; 0 for
    /// [`Kind::List`], which counts into [`Report::clients`]).
    pub matches: u64,
    /// Whether some file could not be read completely (each was handed to
    /// `on_problem`).
    pub failed: bool,
    /// Header blocks split across TCP segments that could not be completed
    /// (a segment lost or out of order); [`Mode::Reassemble`] follows them.
    pub unfinished: u64,
    /// [`Kind::Summary`]: the matching connections, by first packet then
    /// 5-tuple, with their packet and byte counts over both directions.
    pub conversations: Vec<Conversation>,
    /// [`Kind::List`]: client addresses, most frequent first.
    pub clients: Vec<ClientSeen>,
}

impl Report {
    /// Whether anything was found (a match, or a client address).
    pub fn found(&self) -> bool {
        self.matches > 0 || !self.clients.is_empty()
    }
}

#[derive(Default)]
struct PerFile {
    matches: Vec<Match>,
    list: ClientList,
}

/// Scans `files` with `matcher`. `progress` gets the bytes walked (from the
/// worker threads); `on_match` every match with its file, in file order and
/// frame order within a file, as soon as the file is done; `on_problem`
/// each file that could not be read completely. Fails only when the
/// [`ReportOptions::write`] file cannot be written.
pub fn run(
    files: &[PathBuf],
    matcher: &Matcher,
    opts: &ReportOptions,
    progress: impl Fn(u64) + Sync,
    mut on_match: impl FnMut(&Path, &Match),
    mut on_problem: impl FnMut(&Problem),
) -> Result<Report, WriteError> {
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let list_mode = opts.kind == Kind::List;
    let second_pass = opts.kind == Kind::Summary || opts.write.is_some();
    let mut report = Report {
        files: files.len(),
        ..Default::default()
    };
    let mut conv = Conversations::default();
    let mut list = ClientList::default();
    scan_files(
        files,
        matcher,
        &opts.scan,
        &opts.mode,
        threads,
        |s: &mut PerFile, m| {
            if list_mode {
                s.list.add(&m);
            } else {
                s.matches.push(m);
            }
        },
        progress,
        |r| {
            if let Some(e) = r.open_error {
                on_problem(&Problem::Open(e));
                report.failed = true;
                return;
            }
            report.unfinished += r.report.carry_dropped;
            if let Some(e) = r.report.error {
                on_problem(&Problem::Stopped(e));
                report.failed = true;
            }
            list.merge(r.state.list);
            let mut last_frame = 0;
            for m in &r.state.matches {
                report.matches += 1;
                if second_pass {
                    conv.add(&r.path, m);
                    if m.frame != last_frame {
                        conv.count_matching_packet(m);
                        last_frame = m.frame;
                    }
                }
                on_match(&r.path, m);
            }
        },
    );

    if second_pass {
        let mut writer = match &opts.write {
            Some(p) => Some(ConversationWriter::create(p).map_err(|source| WriteError {
                path: p.clone(),
                source,
            })?),
            None => None,
        };
        for e in conv.complete(files, &opts.scan.input, writer.as_mut()) {
            on_problem(&Problem::SecondPass(e));
            report.failed = true;
        }
        if let (Some(w), Some(p)) = (writer, &opts.write) {
            w.finish().map_err(|source| WriteError {
                path: p.clone(),
                source,
            })?;
        }
    }
    if opts.kind == Kind::Summary {
        report.conversations = conv.into_sorted();
    }
    if list_mode {
        report.clients = list.into_sorted();
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TargetSet, default_headers};

    /// The checked-in fixture (`testdata/xff`, see its README).
    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/xff/headers.pcap")
    }

    #[test]
    fn packets_summary_and_list_agree() {
        let files = vec![fixture()];
        let targets = TargetSet::parse(&["0.0.0.0/0", "::/0"]).unwrap();
        let m = Matcher::new(default_headers(), Some(targets));
        let mut seen = Vec::new();
        let packets = run(
            &files,
            &m,
            &ReportOptions::default(),
            |_| {},
            |_, m| seen.push(m.clone()),
            |p| panic!("{p}"),
        )
        .unwrap();
        assert!(packets.found());
        assert_eq!(packets.matches, seen.len() as u64);
        assert!(packets.conversations.is_empty() && packets.clients.is_empty());
        // Frame order within the file.
        assert!(seen.windows(2).all(|w| w[0].frame <= w[1].frame));

        let summary = run(
            &files,
            &m,
            &ReportOptions {
                kind: Kind::Summary,
                threads: 1,
                ..Default::default()
            },
            |_| {},
            |_, _| {},
            |p| panic!("{p}"),
        )
        .unwrap();
        assert_eq!(summary.matches, packets.matches);
        let flows: std::collections::BTreeSet<_> = seen.iter().map(|m| m.flow()).collect();
        assert_eq!(summary.conversations.len(), flows.len());
        for c in &summary.conversations {
            // The second pass counts both directions, at least the matches.
            assert!(c.packets >= c.matching_packets && c.matching_packets > 0);
        }

        let list = run(
            &files,
            &Matcher::new(default_headers(), None),
            &ReportOptions {
                kind: Kind::List,
                ..Default::default()
            },
            |_| {},
            |_, _| panic!("list mode hands no match over"),
            |p| panic!("{p}"),
        )
        .unwrap();
        assert!(list.found() && list.matches == 0);
        let hits: u64 = list.clients.iter().map(|c| c.hits).sum();
        assert!(hits >= packets.matches, "every address, not only targets");
    }

    #[test]
    fn problems_are_reported_and_the_write_file_is_checked() {
        let d = tempfile::tempdir().unwrap();
        let good = fixture();
        let bad = d.path().join("bad.pcap");
        std::fs::write(&bad, b"not a capture at all").unwrap();
        let m = Matcher::new(default_headers(), None);
        let mut problems = Vec::new();
        let r = run(
            &[bad.clone(), good.clone()],
            &m,
            &ReportOptions {
                kind: Kind::List,
                ..Default::default()
            },
            |_| {},
            |_, _| {},
            |p| problems.push(p.to_string()),
        )
        .unwrap();
        assert!(r.failed && r.found());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("bad.pcap") && problems[0].ends_with("; skipped"));

        let err = run(
            &[good],
            &m,
            &ReportOptions {
                write: Some(d.path().join("no-such-dir/out.pcap")),
                ..Default::default()
            },
            |_| {},
            |_, _| {},
            |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("no-such-dir/out.pcap: "), "{err}");
    }
}
