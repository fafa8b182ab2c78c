//! The capture scan: packets -> TCP segments -> [`Tracker`] -> [`Connection`]s,
//! and UDP datagrams that start with a QUIC long header -> [`QuicTracker`].

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::ja4::Transport;
use crate::quic::{QuicTracker, is_long_header_candidate};
use crate::tracker::{Handshake, Limits, Segment, Side, Stats, Tracker};
use pcap_core::{Capture, FlowKey, L4, Packet, TcpFlags};

use super::conn::Connection;
use super::filter::Filter;

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

/// Feeds one packet to the tracker. Returns nothing: rows go to `emit`,
/// and the flow key of every TCP segment with SYN, FIN or RST goes to
/// `flags` (a split scan needs them to tell a reused 5-tuple from a
/// retransmission at chunk boundaries).
///
/// UDP is ignored here; [`feed_with_quic`] also hands QUIC datagrams on.
#[inline]
pub fn feed(
    tracker: &mut Tracker<FlowKey>,
    pkt: &Packet<'_>,
    tracked_only: bool,
    emit: &mut impl FnMut(FlowKey, Handshake),
    flags: &mut impl FnMut(FlowKey),
) {
    feed_with_quic(tracker, pkt, tracked_only, emit, flags, &mut |_, _, _| {});
}

/// [`feed`], and every UDP datagram that starts like a QUIC long-header
/// packet of a known version (first byte and version: five byte reads, so
/// the TCP path does not slow down) goes to `quic` with its flow key and
/// sending side.
#[inline]
pub fn feed_with_quic(
    tracker: &mut Tracker<FlowKey>,
    pkt: &Packet<'_>,
    tracked_only: bool,
    emit: &mut impl FnMut(FlowKey, Handshake),
    flags: &mut impl FnMut(FlowKey),
    quic: &mut impl FnMut(FlowKey, Side, &[u8]),
) {
    feed_filtered(tracker, pkt, tracked_only, None, emit, flags, quic);
}

/// [`feed_with_quic`], leaving out the packets whose addresses and ports
/// rule out every connection `filter` lets through
/// ([`Filter::packet_may_match`]): as if they were not in the capture.
#[inline]
pub fn feed_filtered(
    tracker: &mut Tracker<FlowKey>,
    pkt: &Packet<'_>,
    tracked_only: bool,
    filter: Option<&Filter>,
    emit: &mut impl FnMut(FlowKey, Handshake),
    flags: &mut impl FnMut(FlowKey),
    quic: &mut impl FnMut(FlowKey, Side, &[u8]),
) {
    if drops_early(tracker, pkt, tracked_only) {
        return;
    }
    feed_decoded(tracker, pkt, tracked_only, filter, emit, flags, quic);
}

/// Whether [`feed_filtered`] would drop `pkt` on what [`Packet::peek`]
/// shows (a pure ACK, a datagram that cannot be a QUIC Initial, a segment
/// that can neither start a hello nor matter to a flow awaiting one),
/// without decoding it: most packets of a capture. Small enough to inline
/// into a scan's per-packet loop; the rest of the work is out of line.
#[inline(always)]
fn drops_early(tracker: &Tracker<FlowKey>, pkt: &Packet<'_>, tracked_only: bool) -> bool {
    let Some(q) = pkt.peek() else { return false };
    if q.proto == pcap_core::layers::ip_proto::UDP {
        return !is_long_header_candidate(q.payload);
    }
    // Written as few branches on the packet's bytes as possible: empty
    // payloads (bare ACKs) and the first bytes of random payloads come in
    // no order a branch predictor can learn.
    if q.flags & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST) != 0 {
        return false;
    }
    if !q.payload.is_empty() & tracker.may_await(q.src_port ^ q.dst_port) {
        return false;
    }
    // Nothing awaited here: only a new hello matters (an empty payload is
    // none).
    tracked_only
        || !crate::record::may_start_hello(q.payload)
        || crate::record::sniff(q.payload) == crate::record::Sniff::No
}

/// [`feed_filtered`] past [`drops_early`]: the full decode and the tracker.
#[inline(never)]
fn feed_decoded(
    tracker: &mut Tracker<FlowKey>,
    pkt: &Packet<'_>,
    tracked_only: bool,
    filter: Option<&Filter>,
    emit: &mut impl FnMut(FlowKey, Handshake),
    flags: &mut impl FnMut(FlowKey),
    quic: &mut impl FnMut(FlowKey, Side, &[u8]),
) {
    let Ok(d) = pkt.decode() else { return };
    let t = match d.l4 {
        L4::Tcp(t) => t,
        L4::Udp(u) => {
            if is_long_header_candidate(u.payload)
                && filter.is_none_or(|f| f.packet_may_match(d.src, u.src_port, d.dst, u.dst_port))
            {
                let key = FlowKey::new(d.src, u.src_port, d.dst, u.dst_port, d.ip_proto);
                let side = if key.is_from_lower(d.src, u.src_port) {
                    Side::A
                } else {
                    Side::B
                };
                quic(key, side, u.payload);
            }
            return;
        }
        _ => return,
    };
    let (syn, fin, rst) = (t.syn(), t.fin(), t.rst());
    if t.payload.is_empty() && !(syn || fin || rst) {
        return; // pure ACK
    }
    if filter.is_some_and(|f| !f.packet_may_match(d.src, t.src_port, d.dst, t.dst_port)) {
        return;
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
    if syn || fin || rst {
        flags(key);
    }
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
    scan_sequential_filtered(cap, limits, &Filter::default(), progress, sink)
}

/// [`scan_sequential`] skipping the frames `filter` rules out (see
/// [`ScanFilter`]). `sink` still gets every row the trackers produce:
/// rows are filtered by the caller ([`super::Collector`]).
pub fn scan_sequential_filtered(
    cap: &Capture,
    limits: Limits,
    filter: &Filter,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Connection),
) -> ScanSummary {
    let mut walk = pcap_core::Walk::Mapped(cap.packets());
    let out = scan_walk(&mut walk, cap.path(), limits, filter, progress, sink);
    let end = walk.offset();
    progress((cap.bytes().len() as u64).saturating_sub(end));
    out
}

/// [`scan_sequential`] over a [`pcap_core::Stream`] (pipe, FIFO, standard
/// input, `.gz`): one pass, memory bounded by the stream's buffer and the
/// tracker's limits.
pub fn scan_stream(
    stream: &mut pcap_core::Stream,
    limits: Limits,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Connection),
) -> ScanSummary {
    scan_stream_filtered(stream, limits, &Filter::default(), progress, sink)
}

/// [`scan_stream`] skipping the frames `filter` rules out (see
/// [`scan_sequential_filtered`]); past `until` with no handshake in
/// progress it stops reading.
pub fn scan_stream_filtered(
    stream: &mut pcap_core::Stream,
    limits: Limits,
    filter: &Filter,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Connection),
) -> ScanSummary {
    let path = stream.path().to_path_buf();
    scan_walk(
        &mut pcap_core::Walk::Stream(stream),
        &path,
        limits,
        filter,
        progress,
        sink,
    )
}

/// How a scan uses a [`Filter`] before decoding: the frames before
/// [`Filter::skip_before_ns`] are skipped, frames at or after `until` only
/// continue handshakes already in progress (they cannot start one that
/// matches), and the packets whose addresses and ports rule out every
/// matching connection are left out ([`feed_filtered`]). A sequential scan
/// also stops once it is well past `until` ([`Filter::is_past_end`]) with
/// no handshake in progress.
///
/// Rows are the ones of a scan without the filter, filtered, except around
/// the idle timeout: a handshake whose hello came more than the timeout
/// before `since` and whose rest comes after it, with no frame in between,
/// can be reported from its rest (a full scan evicts it too when other
/// traffic drives the tracker's clock).
#[derive(Clone, Copy, Debug)]
pub struct ScanFilter<'f> {
    filter: Option<&'f Filter>,
    skip_before: Option<i64>,
    idle_timeout_ns: i64,
}

impl<'f> ScanFilter<'f> {
    /// The scan's view of `filter` for trackers with `limits`.
    pub fn new(filter: &'f Filter, limits: &Limits) -> Self {
        ScanFilter {
            filter: (!filter.is_empty()).then_some(filter),
            skip_before: filter.skip_before_ns(limits.idle_timeout_ns),
            idle_timeout_ns: limits.idle_timeout_ns,
        }
    }

    /// The filter for [`feed_filtered`] (`None` when it has no address or
    /// port field).
    #[inline]
    pub fn packets(&self) -> Option<&'f Filter> {
        self.filter
            .filter(|f| !(f.servers.is_empty() && f.ports.is_empty()))
    }

    /// True for a frame to skip unread.
    #[inline]
    pub fn skip(&self, ts_ns: i64) -> bool {
        self.skip_before.is_some_and(|t| ts_ns < t)
    }

    /// True for a frame that may only continue a handshake in progress.
    #[inline]
    pub fn late(&self, ts_ns: i64) -> bool {
        self.filter.is_some_and(|f| f.is_late(ts_ns))
    }

    /// True for a frame after which a scan with nothing in progress may stop.
    #[inline]
    pub fn past_end(&self, ts_ns: i64) -> bool {
        self.filter
            .is_some_and(|f| f.is_past_end(ts_ns, self.idle_timeout_ns))
    }
}

fn scan_walk(
    walk: &mut pcap_core::Walk<'_>,
    path: &std::path::Path,
    limits: Limits,
    filter: &Filter,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Connection),
) -> ScanSummary {
    let sf = ScanFilter::new(filter, &limits);
    let file = path.display().to_string();
    let mut tracker: Tracker<FlowKey> = Tracker::new(limits);
    let mut quic: QuicTracker<FlowKey> = QuicTracker::new(limits);
    // Both trackers deliver through one sink, in the order the rows complete.
    let sink = std::cell::RefCell::new(sink);
    let emit_to = |k: FlowKey, h: Handshake, t: Transport| {
        (sink.borrow_mut())(Connection::over(&file, &k, h, t));
    };
    let mut emit = |k: FlowKey, h: Handshake| emit_to(k, h, Transport::Tcp);
    let mut emit_quic = |k: FlowKey, h: Handshake| emit_to(k, h, Transport::Quic);
    let mut out = ScanSummary::default();
    let mut reported = 0u64;
    let mut next_stop_check = 0u64;
    loop {
        if out.packets % 4096 == 0 {
            let off = walk.offset();
            if off - reported >= PROGRESS_STEP {
                progress(off - reported);
                reported = off;
            }
        }
        match walk.next_packet() {
            Some(Ok(pkt)) => {
                out.packets += 1;
                let (frame, ts) = (pkt.frame, pkt.ts_ns);
                if sf.skip(ts) {
                    continue;
                }
                let late = sf.late(ts);
                if late && out.packets >= next_stop_check && sf.past_end(ts) {
                    if !tracker.has_unfinished() && !quic.has_unfinished(ts) {
                        // Whatever follows starts after `until`.
                        break;
                    }
                    // The QUIC check walks its connections: not too often.
                    next_stop_check =
                        out.packets + if tracker.has_unfinished() { 64 } else { 4096 };
                }
                feed_filtered(
                    &mut tracker,
                    &pkt,
                    late,
                    sf.packets(),
                    &mut emit,
                    &mut |_| {},
                    &mut |k, side, d| {
                        if !late || quic.is_tracking(&k) {
                            quic.push(k, side, frame, ts, d, &mut emit_quic);
                        }
                    },
                );
            }
            Some(Err(e)) => {
                out.error = Some(e);
                break;
            }
            None => break,
        }
    }
    progress(walk.offset().saturating_sub(reported));
    out.stats = tracker.finish(&mut emit);
    out.stats.merge(&quic.finish(&mut emit_quic));
    out
}

/// Files smaller than this are not split (threads would cost more than they save).
pub const SPLIT_MIN_BYTES: usize = 32 << 20;

/// A row with the frame at which it was emitted (`u64::MAX`: at the end).
type Emitted = (u64, FlowKey, Handshake);

/// A UDP datagram that starts like a QUIC long header, kept by a chunk for
/// the merge: QUIC connections are followed on one [`QuicTracker`] in file
/// order (the keys of a server's Initials come from the client's first
/// one, which may lie in an earlier chunk).
struct QuicDatagram {
    /// Chunk-local frame number.
    frame: u64,
    ts_ns: i64,
    key: FlowKey,
    side: Side,
    bytes: Vec<u8>,
}

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
    /// Segments with SYN, FIN or RST: a 64-bit hash of the flow key (see
    /// [`key_hash`]) and the chunk-local frame number, 16 bytes each.
    flags: Vec<(u64, u32)>,
    /// QUIC long-header datagrams, in frame order.
    quic: Vec<QuicDatagram>,
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
/// Every format is split (pcap, pcapng, ERF); files under
/// [`SPLIT_MIN_BYTES`] are scanned sequentially (see [`scan_sequential`])
/// unless `chunk_size` is set. `chunk_size` 0 picks a size.
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
    let threads = if threads == 0 {
        pcap_core::parallel::threads()
    } else {
        threads
    };
    // The scan reads only the first bytes of each TCP payload.
    let lanes = match opts.lanes {
        0 => pcap_core::parallel::header_lanes(cap),
        n => n,
    };
    if (threads < 2 && lanes < 2) || (chunk_size == 0 && cap.bytes().len() < SPLIT_MIN_BYTES) {
        return scan_sequential_filtered(cap, limits, &opts.filter, progress, &mut |c| {
            col.accept(c)
        });
    }
    // The trackers of the chunks walked at once share the buffer budget.
    let limits = crate::tracker::Limits {
        max_buffered: (limits.max_buffered / lanes).max(4 * limits.per_direction),
        ..limits
    };
    let file = cap.path().display().to_string();
    let sf = ScanFilter::new(&opts.filter, &limits);
    let split_opts = pcap_core::parallel::SplitOptions {
        threads,
        chunk_size,
        lanes,
    };
    let spare = SpareRows::default();
    let mut merge = Merge {
        cap,
        limits,
        sf,
        file: &file,
        progress,
        col,
        out: ScanSummary::default(),
        carry: Vec::new(),
        absorbed: HashSet::new(),
        quic: QuicTracker::new(limits),
        spare: &spare,
    };
    // Everything past `drops_early`, for the few packets it keeps: out of
    // line, so that the closure below stays small enough to be inlined
    // into the lanes' loop (callgrind on 32 MiB of small frames: 108.6 M
    // -> 99.6 M instructions). (`identity`: an attribute on a closure is
    // accepted in argument position, not in a `let`.)
    let keep = std::convert::identity(
        #[inline(never)]
        |st: &mut ChunkState, pkt: &Packet<'_>, late: bool| {
            let frame = pkt.frame;
            let ChunkState {
                tracker,
                rows,
                found,
                count,
                summary,
                flags,
                quic,
                ..
            } = st;
            let mut on_flag = |k| flags.push((key_hash(&k), frame as u32));
            let ts_ns = pkt.ts_ns;
            feed_decoded(
                tracker,
                pkt,
                late,
                sf.packets(),
                &mut |k, h| {
                    if summarize && h.client.is_some() {
                        // Final already: count it here, keeping memory bounded.
                        let c = Connection::new(&file, &k, h);
                        if !opts.filter.matches(&c) {
                            return;
                        }
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
                },
                &mut on_flag,
                &mut |key, side, d| {
                    quic.push(QuicDatagram {
                        frame,
                        ts_ns,
                        key,
                        side,
                        bytes: d.to_vec(),
                    })
                },
            );
        },
    );
    let end = pcap_core::parallel::split_each(
        cap,
        split_opts,
        || ChunkState {
            tracker: Tracker::new(limits),
            rows: spare.take(),
            found: false,
            count: 0,
            summary: super::Summary::default(),
            packets: 0,
            bytes: 0,
            flags: Vec::new(),
            quic: Vec::new(),
        },
        // Inlined into the lanes' loop: the counters and the test that
        // drops most packets; the rest is one call away.
        #[inline(always)]
        |st: &mut ChunkState, pkt: &Packet<'_>| {
            st.packets += 1;
            st.bytes += u64::from(pkt.caplen) + 16;
            if st.packets.is_multiple_of(8192) {
                progress(st.bytes);
                st.bytes = 0;
            }
            if sf.skip(pkt.ts_ns) {
                return;
            }
            let late = sf.late(pkt.ts_ns);
            // Most packets end here, before the closures below are built.
            if drops_early(&st.tracker, pkt, late) {
                return;
            }
            keep(st, pkt, late);
        },
        |chunk| merge.chunk(chunk),
    );
    merge.finish(end.error)
}

/// Joins the chunks of a split scan, in file order, as they arrive.
struct Merge<'a, 'c> {
    cap: &'a Capture,
    limits: Limits,
    /// The filter's early skips, as the chunks applied them.
    sf: ScanFilter<'a>,
    file: &'a str,
    progress: &'a (dyn Fn(u64) + Sync),
    col: &'a mut super::Collector<'c>,
    out: ScanSummary,
    /// Flows unfinished at the end of the previous chunk.
    carry: Vec<(FlowKey, crate::tracker::PendingFlow)>,
    /// Flows the previous chunks were tracking at their end.
    absorbed: HashSet<FlowKey>,
    /// The QUIC connections, followed over all chunks in file order.
    quic: QuicTracker<FlowKey>,
    /// Row vectors delivered and emptied, for the chunks still to start
    /// (see [`SpareRows`]).
    spare: &'a SpareRows,
}

/// Emptied row vectors handed back to new chunks: a chunk's rows grow to
/// a thousand or so handshakes (~half a MiB), and a fresh vector grown
/// each time cost its copies and the first touch of every page (perf on
/// 256 MiB of small frames: ~7 % of tls-audit's time zeroing pages for
/// them).
#[derive(Default)]
struct SpareRows(Mutex<Vec<Vec<Emitted>>>);

impl SpareRows {
    /// At most this many are kept (the chunks in flight are fewer).
    const KEEP: usize = 64;

    fn take(&self) -> Vec<Emitted> {
        self.0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default()
    }

    fn give(&self, rows: Vec<Emitted>) {
        debug_assert!(rows.is_empty());
        if rows.capacity() == 0 {
            return;
        }
        if let Ok(mut v) = self.0.lock()
            && v.len() < Self::KEEP
        {
            v.push(rows);
        }
    }
}

impl Merge<'_, '_> {
    /// Delivers TCP `rows` and QUIC `quic` rows (each in frame order)
    /// merged by frame: the order a sequential scan reports them in.
    fn deliver(&mut self, mut rows: Vec<Emitted>, quic: Vec<Emitted>) {
        let mut q = quic.into_iter().peekable();
        for (f, k, h) in rows.drain(..) {
            while let Some((_, qk, qh)) = q.next_if(|(qf, _, _)| *qf < f) {
                self.col
                    .accept(Connection::over(self.file, &qk, qh, Transport::Quic));
            }
            self.col.accept(Connection::new(self.file, &k, h));
        }
        for (_, qk, qh) in q {
            self.col
                .accept(Connection::over(self.file, &qk, qh, Transport::Quic));
        }
        self.spare.give(rows);
    }

    fn chunk(&mut self, chunk: pcap_core::parallel::Chunk<ChunkState>) {
        let limits = self.limits;
        let base = chunk.first_frame - 1;
        // For the fix-up below (the iterator does not borrow the chunk).
        let again = chunk.packets(self.cap);
        let mut st = chunk.state;
        (self.progress)(st.bytes);
        let mut quic_rows: Vec<Emitted> = Vec::new();
        for d in std::mem::take(&mut st.quic) {
            let frame = d.frame + base;
            if self.sf.late(d.ts_ns) && !self.quic.is_tracking(&d.key) {
                continue; // as in a sequential scan
            }
            self.quic
                .push(d.key, d.side, frame, d.ts_ns, &d.bytes, &mut |k, h| {
                    quic_rows.push((frame, k, h))
                });
        }
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
        let mut resolved: HashMap<FlowKey, u64> = HashMap::new();
        let mut fixed: Vec<Emitted> = Vec::new();
        // Flows the fix-up saw end (a SYN, FIN or RST; no tombstone kept).
        let mut ended: HashMap<FlowKey, u64> = HashMap::new();
        let mut fix_tombstones = Vec::new();
        let carried: HashSet<FlowKey> = self.carry.iter().map(|(k, _)| *k).collect();
        if !self.carry.is_empty() {
            let mut fix = Tracker::new(limits);
            for (k, p) in self.carry.drain(..) {
                fix.adopt(k, p);
            }
            let mut n = 0u32;
            for pkt in again {
                // Connections already emitted stay in `fix` only to absorb
                // retransmissions: stop when no hello is awaited any more.
                n = n.wrapping_add(1);
                if n % 64 == 1 && !fix.has_unfinished() {
                    break;
                }
                let Ok(mut pkt) = pkt else { break };
                if self.sf.skip(pkt.ts_ns) {
                    continue; // skipped by the chunk too
                }
                pkt.frame += base;
                let frame = pkt.frame;
                feed_filtered(
                    &mut fix,
                    &pkt,
                    true,
                    self.sf.packets(),
                    &mut |k, h| fixed.push((frame, k, h)),
                    &mut |_| {},
                    &mut |_, _, _| {},
                );
            }
            for (f, k, _) in &fixed {
                resolved.insert(*k, *f);
            }
            fix_tombstones = fix.completed_keys();
            for (f, k, _) in &fixed {
                if !fix_tombstones.contains(k) {
                    ended.insert(*k, *f);
                }
            }
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
        // For each flow the previous chunks left behind (unfinished, or
        // reported and kept as a tombstone that absorbs retransmissions
        // until a SYN, FIN or RST), the frame after which the sequential
        // scan would treat its 5-tuple as new: what this chunk reported
        // for it before that belongs to the old flow (a ServerHello without
        // its ClientHello that the fix-up joined, a retransmission) and is
        // dropped; what starts after it is a new connection and is kept.
        let mut flag_frames: HashMap<u64, Vec<u64>> = HashMap::new();
        if !self.absorbed.is_empty() {
            let wanted: HashSet<u64> = self.absorbed.iter().map(key_hash).collect();
            for (h, f) in std::mem::take(&mut st.flags) {
                if wanted.contains(&h) {
                    flag_frames.entry(h).or_default().push(u64::from(f) + base);
                }
            }
        }
        let first_flag_after = |k: &FlowKey, after: u64| {
            flag_frames
                .get(&key_hash(k))
                .and_then(|v| v.iter().copied().find(|&f| f > after))
        };
        let end_of = |k: &FlowKey| -> u64 {
            if let Some(&e) = ended.get(k) {
                return e; // the fix-up saw the unfinished flow end
            }
            match resolved.get(k) {
                Some(&u64::MAX) => u64::MAX, // still unfinished
                // completed by the fix-up: a tombstone from then on
                Some(&r) => first_flag_after(k, r).unwrap_or(u64::MAX),
                // a tombstone from an earlier chunk
                None => first_flag_after(k, 0).unwrap_or(u64::MAX),
            }
        };
        if !self.absorbed.is_empty() {
            let absorbed = &self.absorbed;
            let stale = |k: &FlowKey, frame: u64| absorbed.contains(k) && frame <= end_of(k);
            rows.retain(|(_, k, h)| !stale(k, h.first_frame));
            pending
                .retain(|(k, p)| resolved.get(k) == Some(&u64::MAX) || !stale(k, p.first_frame()));
        }
        if !fixed.is_empty() {
            rows.extend(fixed);
            rows.sort_by_key(|(f, _, _)| *f);
        }
        // Tombstones that live on into the next chunk: this chunk's own,
        // the fix-up's and the earlier chunks' that no SYN, FIN or RST
        // ended here.
        let old_tombstones: Vec<FlowKey> = self
            .absorbed
            .iter()
            .filter(|k| !carried.contains(k) && !resolved.contains_key(k) && end_of(k) == u64::MAX)
            .copied()
            .collect();
        done_here.extend(
            fix_tombstones
                .into_iter()
                .filter(|k| end_of(k) == u64::MAX)
                .chain(old_tombstones),
        );
        self.absorbed = pending.iter().map(|(k, _)| *k).chain(done_here).collect();
        self.carry = pending;
        self.deliver(rows, quic_rows);
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
            self.deliver(rows, Vec::new());
        }
        let quic = std::mem::replace(&mut self.quic, QuicTracker::new(self.limits));
        let mut rows = Vec::new();
        let stats = quic.finish(&mut |k, h| rows.push((u64::MAX, k, h)));
        self.out.stats.merge(&stats);
        self.deliver(Vec::new(), rows);
        self.out.error = error;
        self.out
    }
}

/// A fixed 64-bit hash of a flow key, to remember many keys in little
/// memory (two keys that collide would only merge their SYN/FIN/RST
/// frames; at 64 bits that does not happen in practice).
fn key_hash(k: &FlowKey) -> u64 {
    use std::hash::{Hash, Hasher};
    // Hashes alike in every chunk and thread of a run (no random keys).
    let mut h = crate::tracker::FlowHasher::default();
    k.hash(&mut h);
    h.finish()
}
