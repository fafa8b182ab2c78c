//! Many files on all cores, per-connection summaries, client lists and
//! writing the matching conversations.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use pcap_core::writer::{PcapOptions, PcapWriter, PcapngWriter, TsResolution};
use pcap_core::{Endian, FlowKey, Input, LinkType};

use crate::http::Matcher;
use crate::scan::{
    FileReport, Match, ScanOptions, conversation_packets, scan_capture, scan_capture_parallel,
    scan_stream,
};

pub use pcap_core::input::{InputOptions, is_stream};
pub use pcap_core::inputs::{CAPTURE_EXTENSIONS, expand as discover, expand_noted};

/// The result of scanning one file.
#[derive(Debug)]
pub struct FileResult<S> {
    /// The file.
    pub path: PathBuf,
    /// Whatever the fold built from the file's matches.
    pub state: S,
    /// Counters and the error that stopped the walk, if any.
    pub report: FileReport,
    /// The file could not be opened (not a capture, unreadable).
    pub open_error: Option<pcap_core::Error>,
    /// Size in bytes.
    pub bytes: u64,
}

/// How each file is scanned.
#[derive(Clone, Debug, Default)]
pub enum Mode {
    /// The prefiltered scan with split-header carry-over ([`crate::scan`]);
    /// a single file is cut into chunks on all threads.
    #[default]
    Fast,
    /// TCP reassembly ([`crate::reassemble`]); one thread per file.
    Reassemble(crate::reassemble::ReassembleOptions),
}

/// Scans `files` on `threads` threads: one file per thread at a time, or,
/// for a single file, that file cut into chunks on all threads;
/// `fold` adds each match to the file's state. `deliver` receives the
/// files in the order given, each as soon as it and all before it are done.
/// `progress` is called from the workers with bytes walked.
#[allow(clippy::too_many_arguments)]
pub fn scan_files<S, F, P>(
    files: &[PathBuf],
    matcher: &Matcher,
    opts: &ScanOptions,
    mode: &Mode,
    threads: usize,
    fold: F,
    progress: P,
    mut deliver: impl FnMut(FileResult<S>),
) where
    S: Default + Send,
    F: Fn(&mut S, Match) + Sync,
    P: Fn(u64) + Sync,
{
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, FileResult<S>)>();
    if files.len() == 1 && threads > 1 && matches!(mode, Mode::Fast) {
        let r = scan_one(&files[0], matcher, opts, mode, threads, &fold, &progress);
        deliver(r);
        return;
    }
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, files.len().max(1)) {
            let tx = tx.clone();
            let (next, fold, progress) = (&next, &fold, &progress);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let r = scan_one(path, matcher, opts, mode, 1, fold, progress);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut want = 0usize;
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&want) {
                deliver(r);
                want += 1;
            }
        }
    });
}

fn scan_one<S: Default>(
    path: &Path,
    matcher: &Matcher,
    opts: &ScanOptions,
    mode: &Mode,
    threads: usize,
    fold: &(impl Fn(&mut S, Match) + Sync),
    progress: &(impl Fn(u64) + Sync),
) -> FileResult<S> {
    let mut state = S::default();
    let mut input = match Input::open(path, &opts.input) {
        Ok(c) => c,
        Err(e) => {
            return FileResult {
                path: path.to_path_buf(),
                state,
                report: FileReport::default(),
                open_error: Some(e),
                bytes: 0,
            };
        }
    };
    let cap = match &mut input {
        Input::Mapped(cap) => cap,
        Input::Stream(stream) => {
            // Read once, in order, through a bounded buffer.
            let report = if let Mode::Reassemble(ro) = mode {
                crate::reassemble::scan_walk_reassembled(
                    &mut pcap_core::Walk::Stream(stream),
                    matcher,
                    ro,
                    |m| fold(&mut state, m),
                    progress,
                )
            } else {
                scan_stream(stream, matcher, opts, |m| fold(&mut state, m), progress)
            };
            return FileResult {
                path: path.to_path_buf(),
                state,
                report,
                open_error: None,
                bytes: stream.offset(),
            };
        }
    };
    let cap = &*cap;
    let bytes = cap.bytes().len() as u64;
    let report = if let Mode::Reassemble(ro) = mode {
        crate::reassemble::scan_capture_reassembled(
            cap,
            matcher,
            ro,
            |m| fold(&mut state, m),
            progress,
        )
    } else if threads > 1 || crate::scan::lanes_for(cap, opts) > 1 {
        // Split over the threads, or on one thread in lanes (headers
        // first), which on a cached pcap reads less than streaming it.
        scan_capture_parallel(
            cap,
            matcher,
            opts,
            threads,
            |m| fold(&mut state, m),
            progress,
        )
    } else {
        scan_capture(cap, matcher, opts, |m| fold(&mut state, m), progress)
    };
    FileResult {
        path: path.to_path_buf(),
        state,
        report,
        open_error: None,
        bytes,
    }
}

/// One connection behind the proxy (`--summary`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// The connection.
    pub flow: FlowKey,
    /// The side that sent the matching requests (the proxy).
    pub client: (IpAddr, u16),
    /// The side that received them (the server).
    pub server: (IpAddr, u16),
    /// The first file the connection was seen in.
    pub file: PathBuf,
    /// Packets carrying a match.
    pub matching_packets: u64,
    /// Every client address found in the connection's headers.
    pub client_ips: BTreeSet<IpAddr>,
    /// All packets of the connection, both directions (second pass).
    pub packets: u64,
    /// Bytes on the wire of those packets.
    pub bytes: u64,
    /// First packet of the connection (ns since the epoch).
    pub first_ns: i64,
    /// Last packet of the connection.
    pub last_ns: i64,
}

/// Builds conversations from matches.
#[derive(Debug, Default)]
pub struct Conversations {
    map: HashMap<FlowKey, Conversation>,
}

impl Conversations {
    /// Adds one match found in `file`.
    pub fn add(&mut self, file: &Path, m: &Match) {
        let c = self.map.entry(m.flow()).or_insert_with(|| Conversation {
            flow: m.flow(),
            client: (m.src_ip, m.src_port),
            server: (m.dst_ip, m.dst_port),
            file: file.to_path_buf(),
            matching_packets: 0,
            client_ips: BTreeSet::new(),
            packets: 0,
            bytes: 0,
            first_ns: m.ts_ns,
            last_ns: m.ts_ns,
        });
        c.client_ips.insert(m.hit.client_ip);
    }

    /// Counts one matching packet (call once per packet, not per hit).
    pub fn count_matching_packet(&mut self, m: &Match) {
        if let Some(c) = self.map.get_mut(&m.flow()) {
            c.matching_packets += 1;
        }
    }

    /// The connections.
    pub fn flows(&self) -> HashSet<FlowKey> {
        self.map.keys().copied().collect()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Second pass over `files`: counts every packet of each connection,
    /// both directions, and writes them to `writer` if given. Files that
    /// fail are returned with their error; the others are still done.
    pub fn complete(
        &mut self,
        files: &[PathBuf],
        input: &pcap_core::InputOptions,
        mut writer: Option<&mut ConversationWriter>,
    ) -> Vec<pcap_core::Error> {
        let flows = self.flows();
        for c in self.map.values_mut() {
            c.packets = 0;
            c.bytes = 0;
            c.first_ns = i64::MAX;
            c.last_ns = i64::MIN;
        }
        let mut errors = Vec::new();
        for path in files {
            let mut cap = match Input::open(path, input) {
                Ok(c) => c,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let mut write_err = None;
            let r = conversation_packets(&mut cap.walk(), &flows, |pkt, key| {
                if let Some(c) = self.map.get_mut(&key) {
                    c.packets += 1;
                    c.bytes += u64::from(pkt.origlen);
                    c.first_ns = c.first_ns.min(pkt.ts_ns);
                    c.last_ns = c.last_ns.max(pkt.ts_ns);
                }
                if let Some(w) = writer.as_deref_mut()
                    && write_err.is_none()
                    && let Err(e) = w.write(pkt.linktype, pkt.ts_ns, pkt.origlen, pkt.data)
                {
                    write_err = Some(e);
                }
            });
            if let Err(e) = r {
                errors.push(e);
            }
            if let Some(e) = write_err {
                errors.push(pcap_core::Error::Io {
                    path: writer
                        .as_deref()
                        .map(|w| w.path.clone())
                        .unwrap_or_default(),
                    source: e,
                });
            }
        }
        errors
    }

    /// The connections ordered by first packet, then 5-tuple.
    pub fn into_sorted(self) -> Vec<Conversation> {
        let mut v: Vec<_> = self.map.into_values().collect();
        v.sort_by_key(|c| (c.first_ns, c.flow));
        v
    }
}

/// One client address seen in the headers (`--list`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSeen {
    /// The address.
    pub client_ip: IpAddr,
    /// Header occurrences naming it.
    pub hits: u64,
    /// How many of those were at position 0 (the original client).
    pub as_origin: u64,
    /// Distinct connections it was seen in.
    pub connections: u64,
    /// First and last time seen (ns since the epoch).
    pub first_ns: i64,
    /// Last time seen.
    pub last_ns: i64,
}

/// Counts client addresses (`--list`).
#[derive(Debug, Default)]
pub struct ClientList {
    map: HashMap<IpAddr, ClientSeen>,
    /// (client, connection) pairs, to count distinct connections per client.
    pairs: HashSet<(IpAddr, FlowKey)>,
}

impl ClientList {
    /// Adds one match.
    pub fn add(&mut self, m: &Match) {
        let c = self.map.entry(m.hit.client_ip).or_insert(ClientSeen {
            client_ip: m.hit.client_ip,
            hits: 0,
            as_origin: 0,
            connections: 0,
            first_ns: m.ts_ns,
            last_ns: m.ts_ns,
        });
        c.hits += 1;
        c.as_origin += u64::from(m.hit.position == 0);
        c.first_ns = c.first_ns.min(m.ts_ns);
        c.last_ns = c.last_ns.max(m.ts_ns);
        self.pairs.insert((m.hit.client_ip, m.flow()));
    }

    /// Merges another list into this one.
    pub fn merge(&mut self, other: ClientList) {
        if self.map.is_empty() {
            *self = other;
            return;
        }
        for (ip, c) in other.map {
            let e = self.map.entry(ip).or_insert(ClientSeen {
                hits: 0,
                as_origin: 0,
                ..c.clone()
            });
            e.hits += c.hits;
            e.as_origin += c.as_origin;
            e.first_ns = e.first_ns.min(c.first_ns);
            e.last_ns = e.last_ns.max(c.last_ns);
        }
        self.pairs.extend(other.pairs);
    }

    /// Most frequent first, then by address.
    pub fn into_sorted(mut self) -> Vec<ClientSeen> {
        for (ip, _) in &self.pairs {
            if let Some(c) = self.map.get_mut(ip) {
                c.connections += 1;
            }
        }
        let mut v: Vec<ClientSeen> = self.map.into_values().collect();
        v.sort_unstable_by(|a, b| b.hits.cmp(&a.hits).then(a.client_ip.cmp(&b.client_ip)));
        v
    }
}

enum Sink {
    Pcap(PcapWriter<io::BufWriter<std::fs::File>>, LinkType),
    Pcapng(
        PcapngWriter<io::BufWriter<std::fs::File>>,
        HashMap<LinkType, u32>,
    ),
}

/// Writes packets to a capture file: pcapng (one interface per link type)
/// if the name ends in `.pcapng`, else classic pcap with nanosecond
/// timestamps (one link type only).
pub struct ConversationWriter {
    path: PathBuf,
    sink: Option<Sink>,
    pending_file: Option<std::fs::File>,
}

impl ConversationWriter {
    /// Creates (truncates) the file.
    pub fn create(path: &Path) -> io::Result<ConversationWriter> {
        let f = std::fs::File::create(path)?;
        Ok(ConversationWriter {
            path: path.to_path_buf(),
            sink: None,
            pending_file: Some(f),
        })
    }

    /// Writes the file header, on the first packet (whose link type a
    /// classic pcap takes) or at `finish` for an empty capture.
    fn open_sink(&mut self, linktype: LinkType) -> io::Result<Sink> {
        let f = io::BufWriter::new(
            self.pending_file
                .take()
                .ok_or_else(|| io::Error::other("writer closed"))?,
        );
        let ng = self
            .path
            .to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".pcapng");
        Ok(if ng {
            Sink::Pcapng(PcapngWriter::new(f, Endian::Little)?, HashMap::new())
        } else {
            let mut o = PcapOptions::new(linktype);
            o.nanos = true;
            Sink::Pcap(PcapWriter::new(f, o)?, linktype)
        })
    }

    /// Appends one packet.
    pub fn write(
        &mut self,
        linktype: LinkType,
        ts_ns: i64,
        origlen: u32,
        data: &[u8],
    ) -> io::Result<()> {
        if self.sink.is_none() {
            self.sink = Some(self.open_sink(linktype)?);
        }
        match self.sink.as_mut().expect("set above") {
            Sink::Pcap(w, lt) => {
                if *lt != linktype {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "the matching packets have several link types ({} and {}); write to a .pcapng file instead",
                            lt.0, linktype.0
                        ),
                    ));
                }
                w.write_packet(ts_ns, origlen, data)
            }
            Sink::Pcapng(w, ifaces) => {
                let id = match ifaces.get(&linktype) {
                    Some(&id) => id,
                    None => {
                        let id = w.add_interface(linktype, 262_144, TsResolution::Decimal(9))?;
                        ifaces.insert(linktype, id);
                        id
                    }
                };
                w.write_packet(id, ts_ns, origlen, data)
            }
        }
    }

    /// Flushes; an empty capture (no packets) still gets a valid header.
    pub fn finish(mut self) -> io::Result<()> {
        let sink = match self.sink.take() {
            Some(sink) => sink,
            None => self.open_sink(LinkType::ETHERNET)?,
        };
        match sink {
            Sink::Pcap(w, _) => w.into_inner().map(drop),
            Sink::Pcapng(w, _) => w.into_inner().map(drop),
        }
    }
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC with microseconds,
/// like `2026-11-25T10:00:00.001000Z` (truncated; see
/// [`pcap_core::time::Rfc3339`]).
pub fn format_ts(ts_ns: i64) -> String {
    pcap_core::time::format_rfc3339(ts_ns, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(format_ts(0), "1970-01-01T00:00:00.000000Z");
        // 2026-11-25T10:00:00Z (date -u -d @1795600800)
        assert_eq!(
            format_ts(1_795_600_800_001_000_000),
            "2026-11-25T10:00:00.001000Z"
        );
        assert_eq!(
            format_ts(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(format_ts(-1_000), "1969-12-31T23:59:59.999999Z");
    }
}
