//! The capture scan: packets -> TCP segments -> [`Tracker`] -> [`Connection`]s.

use crate::tracker::{Handshake, Limits, Segment, Side, Stats, Tracker};
use pcap_core::{Capture, FlowKey, L4, Packet};

use super::conn::Connection;

/// How often (in bytes of capture) the progress callback is called.
pub const PROGRESS_STEP: u64 = 8 << 20;

/// What a scan of one capture produced besides its rows.
#[derive(Debug, Default)]
pub struct ScanSummary {
    /// Packets read.
    pub packets: u64,
    /// Tracker counters (flows, drops, truncations).
    pub stats: Stats,
    /// The error that stopped the file early (rows found before it were
    /// delivered).
    pub error: Option<pcap_core::Error>,
}

/// Feeds one packet to the tracker. Returns nothing: rows go to `emit`.
#[inline]
pub fn feed(
    tracker: &mut Tracker<FlowKey>,
    pkt: &Packet<'_>,
    tracked_only: bool,
    emit: &mut impl FnMut(FlowKey, Handshake),
) {
    let Ok(d) = pkt.decode() else { return };
    let L4::Tcp(t) = d.l4 else { return };
    let (syn, fin, rst) = (t.syn(), t.fin(), t.rst());
    if t.payload.is_empty() && !(syn || fin || rst) {
        return; // pure ACK
    }
    // Unless a flow with these ports awaits a hello, only a new hello or a
    // flag can change anything (connections already reported just wait for
    // FIN/RST/SYN): skip building the key and the lookup for the bulk of
    // the traffic.
    let hint = t.src_port ^ t.dst_port;
    if !(tracker.may_await(hint) || syn || fin || rst)
        && (tracked_only || crate::record::sniff(t.payload) == crate::record::Sniff::No)
    {
        return;
    }
    let key = FlowKey::new(d.src, t.src_port, d.dst, t.dst_port, d.ip_proto);
    let side = if key.is_from_lower(d.src, t.src_port) {
        Side::A
    } else {
        Side::B
    };
    let seg = Segment {
        frame: pkt.frame,
        ts_ns: pkt.ts_ns,
        // A SYN occupies one sequence number: TCP Fast Open data
        // starts after it.
        seq: if syn { t.seq.wrapping_add(1) } else { t.seq },
        fin,
        rst,
        syn,
        payload: t.payload,
    };
    tracker.push_with(key, hint, side, &seg, !tracked_only, emit);
}

/// Scans a whole capture on the calling thread, delivering rows to `sink`
/// in the order their handshakes complete. `progress` gets byte deltas.
pub fn scan_sequential(
    cap: &Capture,
    limits: Limits,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Connection),
) -> ScanSummary {
    let file = cap.path().display().to_string();
    let mut tracker: Tracker<FlowKey> = Tracker::new(limits);
    let mut emit = |k: FlowKey, h: Handshake| sink(Connection::new(&file, &k, h));
    let mut out = ScanSummary::default();
    let mut it = cap.packets();
    let mut reported = 0u64;
    loop {
        match it.next() {
            Some(Ok(pkt)) => {
                out.packets += 1;
                feed(&mut tracker, &pkt, false, &mut emit);
                if out.packets % 4096 == 0 {
                    let off = it.offset();
                    if off - reported >= PROGRESS_STEP {
                        progress(off - reported);
                        reported = off;
                    }
                }
            }
            Some(Err(e)) => {
                out.error = Some(e);
                break;
            }
            None => break,
        }
    }
    progress((cap.bytes().len() as u64).saturating_sub(reported));
    out.stats = tracker.finish(&mut emit);
    out
}

/// Files smaller than this are not split (threads would cost more than they save).
pub const SPLIT_MIN_BYTES: usize = 32 << 20;

/// Chunks a thread walks at once by default ([`super::AuditOptions::lanes`]):
/// the scan reads only the first bytes of each TCP payload, so interleaved
/// headers-only walks skip the bulk of the file (see `docs/BENCHMARKS.md`).
pub const LANES: usize = 16;

/// A row with the frame at which it was emitted (`u64::MAX`: at the end).
type Emitted = (u64, FlowKey, Handshake);

struct ChunkState {
    tracker: Tracker<FlowKey>,
    /// Rows not yet final: those without a ClientHello (a boundary merge may
    /// drop them), or all rows when not summarising.
    rows: Vec<Emitted>,
    /// With `--summary`: rows with a ClientHello, already counted.
    found: bool,
    count: u64,
    summary: super::Summary,
    packets: u64,
    bytes: u64,
}

/// Scans one capture on `threads` cores (0 = all) by cutting it into
/// chunks (pcap-core's [`parallel::split_each`](pcap_core::parallel::split_each)),
/// each thread walking [`super::AuditOptions::lanes`] chunks at once
/// (headers only), then joins handshakes that straddle a chunk boundary: the unfinished
/// flows of chunk *k* are followed through chunk *k+1* by a fix-up tracker
/// that sees only their packets (until none of them awaits a hello), and
/// what chunk *k+1* reported on its own for a flow chunk *k* was tracking
/// (a ServerHello without its ClientHello, a retransmitted ClientHello) is
/// dropped. The rows are the ones a sequential scan reports, in the same
/// order (tested for every chunk size from 600 bytes up).
///
/// With `--summary`, rows that have a ClientHello are counted inside the
/// chunk (memory stays bounded); a ClientHello retransmitted right across a
/// chunk boundary is then counted twice (rare; rows are exact). Chunks are
/// joined as they arrive, in file order: only the chunks in flight are held
/// (pcap-core bounds them to a few per thread and lane).
///
/// Classic pcap files are split; pcapng, ERF and small files are scanned
/// sequentially (see [`scan_sequential`]). `chunk_size` 0 picks a size.
pub fn scan_parallel(
    cap: &Capture,
    opts: &super::AuditOptions,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    col: &mut super::Collector<'_>,
) -> ScanSummary {
    let limits = opts.limits;
    let chunk_size = opts.chunk_size;
    let summarize = col.summarizes();
    let pcap_core::Format::Pcap {
        endian,
        nanos,
        modified,
        linktype,
        ..
    } = cap.format()
    else {
        return scan_sequential(cap, limits, progress, &mut |c| col.accept(c));
    };
    let threads = if threads == 0 {
        pcap_core::parallel::threads()
    } else {
        threads
    };
    let lanes = if opts.lanes == 0 { LANES } else { opts.lanes };
    if (threads < 2 && lanes < 2) || (chunk_size == 0 && cap.bytes().len() < SPLIT_MIN_BYTES) {
        return scan_sequential(cap, limits, progress, &mut |c| col.accept(c));
    }
    // The trackers of the chunks walked at once share the buffer budget.
    let limits = crate::tracker::Limits {
        max_buffered: (limits.max_buffered / lanes).max(4 * limits.per_direction),
        ..limits
    };
    let walk = PcapRecords {
        endian,
        nanos,
        modified,
        linktype,
    };
    let file = cap.path().display().to_string();
    let split_opts = pcap_core::parallel::SplitOptions {
        threads,
        chunk_size,
        lanes,
    };
    let mut merge = Merge {
        cap,
        walk: &walk,
        limits,
        file: &file,
        progress,
        col,
        out: ScanSummary::default(),
        carry: Vec::new(),
        absorbed: std::collections::HashSet::new(),
    };
    let end = pcap_core::parallel::split_each(
        cap,
        split_opts,
        || ChunkState {
            tracker: Tracker::new(limits),
            rows: Vec::new(),
            found: false,
            count: 0,
            summary: super::Summary::default(),
            packets: 0,
            bytes: 0,
        },
        |st, pkt| {
            st.packets += 1;
            st.bytes += u64::from(pkt.caplen) + 16;
            let frame = pkt.frame;
            let ChunkState {
                tracker,
                rows,
                found,
                count,
                summary,
                ..
            } = st;
            feed(tracker, pkt, false, &mut |k, h| {
                if summarize && h.client.is_some() {
                    // Final already: count it here, keeping memory bounded.
                    let c = Connection::new(&file, &k, h);
                    if opts.fail_on.is_some_and(|t| c.at_or_below(t)) {
                        *found = true;
                    }
                    if opts.max_version.is_none_or(|m| c.at_or_below(m)) {
                        *count += 1;
                        summary.add(&c);
                    }
                } else {
                    rows.push((frame, k, h));
                }
            });
            if st.packets.is_multiple_of(8192) {
                progress(st.bytes);
                st.bytes = 0;
            }
        },
        |chunk| merge.chunk(chunk),
    );
    merge.finish(end.error)
}

/// Joins the chunks of a split scan, in file order, as they arrive.
struct Merge<'a, 'c> {
    cap: &'a Capture,
    walk: &'a PcapRecords,
    limits: Limits,
    file: &'a str,
    progress: &'a (dyn Fn(u64) + Sync),
    col: &'a mut super::Collector<'c>,
    out: ScanSummary,
    /// Flows unfinished at the end of the previous chunk.
    carry: Vec<(FlowKey, crate::tracker::PendingFlow)>,
    /// Flows the previous chunks were tracking at their end.
    absorbed: std::collections::HashSet<FlowKey>,
}

impl Merge<'_, '_> {
    fn deliver(&mut self, rows: Vec<Emitted>) {
        for (_, k, h) in rows {
            self.col.accept(Connection::new(self.file, &k, h));
        }
    }

    fn chunk(&mut self, chunk: pcap_core::parallel::Chunk<ChunkState>) {
        let limits = self.limits;
        let base = chunk.first_frame - 1;
        let mut st = chunk.state;
        (self.progress)(st.bytes);
        let chunk_summary = std::mem::take(&mut st.summary);
        self.col.absorb(st.found, st.count, chunk_summary);
        self.out.packets += st.packets;
        let mut rows: Vec<Emitted> = st
            .rows
            .into_iter()
            .map(|(f, k, mut h)| {
                h.shift_frames(base);
                (f + base, k, h)
            })
            .collect();
        let mut done_here = st.tracker.completed_keys();
        let mut pending = st.tracker.take_pending();
        for (_, p) in pending.iter_mut() {
            p.shift_frames(base);
        }
        self.out.stats.merge(&st.tracker.stats());
        // Follow the previous chunk's unfinished flows through this one.
        let mut resolved: std::collections::HashMap<FlowKey, u64> =
            std::collections::HashMap::new();
        let mut fixed: Vec<Emitted> = Vec::new();
        if !self.carry.is_empty() {
            let mut fix = Tracker::new(limits);
            for (k, p) in self.carry.drain(..) {
                fix.adopt(k, p);
            }
            let data = self.cap.bytes();
            let end = (chunk.end as usize).min(data.len());
            let mut pos = chunk.start as usize;
            let mut frame = chunk.first_frame;
            let mut n = 0u32;
            loop {
                // Connections already emitted stay in `fix` only to absorb
                // retransmissions: stop when no hello is awaited any more.
                n = n.wrapping_add(1);
                if n % 64 == 1 && !fix.has_unfinished() {
                    break;
                }
                let Some((pkt, next)) = self.walk.record(data, pos, end, frame) else {
                    break;
                };
                feed(&mut fix, &pkt, true, &mut |k, h| fixed.push((frame, k, h)));
                pos = next;
                frame += 1;
            }
            for (f, k, _) in &fixed {
                resolved.insert(*k, *f);
            }
            done_here.extend(fix.completed_keys());
            // Still unfinished at the end of this chunk: carried on, in
            // place of whatever this chunk started for the same flow.
            let leftover = fix.take_pending();
            self.out.stats.merge(&fix.stats());
            for (k, _) in &leftover {
                resolved.insert(*k, u64::MAX);
            }
            pending.retain(|(k, _)| !leftover.iter().any(|(l, _)| l == k));
            pending.extend(leftover);
        }
        // What this chunk reported on its own for a flow the previous chunk
        // was tracking belongs to that flow, as in a sequential scan: a
        // ServerHello without its ClientHello (joined by the fix-up, or a
        // retransmission), or a retransmitted ClientHello before the flow
        // was resolved.
        if !self.absorbed.is_empty() {
            let absorbed = &self.absorbed;
            let stale = |k: &FlowKey, client: bool, frame: u64| {
                absorbed.contains(k) && (!client || frame <= resolved.get(k).copied().unwrap_or(0))
            };
            rows.retain(|(_, k, h)| !stale(k, h.client.is_some(), h.first_frame));
            pending.retain(|(k, p)| {
                resolved.get(k) == Some(&u64::MAX)
                    || !stale(k, p.has_client_hello(), p.first_frame())
            });
        }
        if !fixed.is_empty() {
            rows.extend(fixed);
            rows.sort_by_key(|(f, _, _)| *f);
        }
        self.absorbed = pending.iter().map(|(k, _)| *k).chain(done_here).collect();
        self.carry = pending;
        self.deliver(rows);
    }

    fn finish(mut self, error: Option<pcap_core::Error>) -> ScanSummary {
        if !self.carry.is_empty() {
            let mut last = Tracker::new(self.limits);
            let mut carry = std::mem::take(&mut self.carry);
            carry.sort_by_key(|(_, p)| p.first_frame());
            for (k, p) in carry {
                last.adopt(k, p);
            }
            let mut rows = Vec::new();
            last.finish(&mut |k, h| rows.push((u64::MAX, k, h)));
            self.deliver(rows);
        }
        self.out.error = error;
        self.out
    }
}

/// A minimal walk over classic pcap records from a known record start, for
/// the fix-up pass (pcap-core's chunk walker is not public).
struct PcapRecords {
    endian: pcap_core::Endian,
    nanos: bool,
    modified: bool,
    linktype: pcap_core::LinkType,
}

impl PcapRecords {
    fn u32(&self, b: &[u8], off: usize) -> u32 {
        let a = [b[off], b[off + 1], b[off + 2], b[off + 3]];
        match self.endian {
            pcap_core::Endian::Big => u32::from_be_bytes(a),
            _ => u32::from_le_bytes(a),
        }
    }

    /// The record at `pos` (before `end`), and the offset of the next one.
    fn record<'a>(
        &self,
        data: &'a [u8],
        pos: usize,
        end: usize,
        frame: u64,
    ) -> Option<(Packet<'a>, usize)> {
        let hl = if self.modified { 24 } else { 16 };
        if pos >= end || end - pos < hl {
            return None;
        }
        let sec = i64::from(self.u32(data, pos));
        let frac = i64::from(self.u32(data, pos + 4));
        let caplen = self.u32(data, pos + 8);
        let origlen = self.u32(data, pos + 12);
        let start = pos + hl;
        let stop = start.checked_add(caplen as usize).filter(|&s| s <= end)?;
        let ts_ns = sec * 1_000_000_000 + if self.nanos { frac } else { frac * 1000 };
        let pkt = Packet {
            frame,
            ts_ns,
            caplen,
            origlen,
            linktype: self.linktype,
            data: &data[start..stop],
        };
        Some((pkt, stop))
    }
}
