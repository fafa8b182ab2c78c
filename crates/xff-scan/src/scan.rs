//! Scanning captures: the prefiltered packet walk, split-header carry-over,
//! and the second pass that collects whole conversations.
//!
//! # How the scan is fast
//!
//! Every HTTP/1.x request line contains the case-sensitive literal
//! `" HTTP/1."` ([`REQUEST_LINE_NEEDLE`]). The
//! scan searches for it (an AVX2 loop without per-call setup, `memmem`
//! elsewhere) over the raw capture bytes in blocks of
//! [`BLOCK`] bytes, ahead of the record walk, so that the walk (which only
//! reads the record headers) then touches memory that is already in cache.
//! Only packets that contain a hit are decoded (link, VLAN, IP, TCP) and
//! parsed as HTTP; all other packets cost a record-header read. Header
//! names are matched case-insensitively after that, so no case-insensitive
//! multi-pattern search is needed on the hot path.
//!
//! # Lanes: reading less than the file
//!
//! A request starts its TCP payload (the scan only reports header blocks
//! that begin a segment or continue one), so a packet whose payload does
//! not start with a method token and a space cannot match unless a split
//! header block of its flow is pending. [`scan_capture_parallel`] on a
//! classic pcap or ERF file that is mostly in the page cache therefore
//! walks [`pcap_core::parallel::LANES`] chunks per thread at once with pcap-core's headers-only
//! walk and looks at a packet's payload beyond its first bytes only when it
//! starts like a request (or a block is pending); then it applies the same
//! `" HTTP/1."` verdict as the streaming scan, so the matches are the same
//! (tested at every chunk size). Random payloads fail the test on their
//! first byte or two, and their cache lines are never loaded. This is used
//! on one thread too (see `batch`); pcapng files and files mostly on disk
//! are streamed through the search instead.
//!
//! # Split headers
//!
//! A request whose header block does not end in its first segment leaves a
//! bounded [`Carry`] for its flow (the method, the `Host` so
//! far and the unfinished line, at most
//! [`MAX_CARRY_LINE`](crate::MAX_CARRY_LINE) bytes). While any flow has a
//! carry pending, every packet is decoded to find the next in-sequence
//! segment of that flow, so the cost of the scan grows with the number of
//! split header blocks, not with the capture size. A carry is dropped when
//! the next segment of the flow is not the expected sequence number (loss,
//! reordering), after [`ScanOptions::carry_timeout_ns`] of capture time, or
//! when more than [`ScanOptions::max_carry_flows`] flows are pending (the
//! oldest goes). Dropped carries are counted in [`FileReport::carry_dropped`].
//!
//! What this does not find; [`crate::reassemble`] (`--reassemble`) does, at
//! the cost of decoding every packet: a request line itself cut across
//! segments; requests that start in the middle of a segment after a body
//! that spanned segments; segments captured out of order. A retransmitted
//! request is reported once per packet that carries it.
//!
//! # Why not search for the header names directly
//!
//! Header names are case-insensitive, so a literal search for them would
//! need a case-insensitive multi-pattern search on the hot path, and a hit
//! would still have to be checked to be inside a request header block. The
//! request line's `" HTTP/1."` is case-sensitive, single, and marks exactly
//! the packets whose payload must be parsed; behind a load balancer almost
//! every request carries `X-Forwarded-For` anyway, so searching for the
//! names would not decode fewer packets.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use pcap_core::{Capture, FlowKey, L4, Packet};

use crate::http::{Carry, Hit, Matcher, REQUEST_LINE_NEEDLE};

/// Bytes searched ahead of the record walk at a time: small enough that
/// the walk that follows reads record headers from the L1 cache.
pub const BLOCK: usize = 16 * 1024;

/// Progress is reported in steps of about this many bytes.
const PROGRESS_STEP: usize = 1 << 20;

/// Tuning of the scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Most flows with a split header block pending at once.
    pub max_carry_flows: usize,
    /// How long (capture time) a split header block waits for its next
    /// segment.
    pub carry_timeout_ns: i64,
    /// Chunk size for [`scan_capture_parallel`] (0 = chosen by
    /// `pcap_core::parallel`).
    pub chunk_size: usize,
    /// Chunks each thread of [`scan_capture_parallel`] walks at once,
    /// headers first (0 = [`lanes_for`] decides; 1 = stream each chunk
    /// through the prefilter search).
    pub lanes: usize,
    /// How inputs are opened (FIFO timeout, `.gz` limits); see
    /// [`pcap_core::Input::open`].
    pub input: pcap_core::InputOptions,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            max_carry_flows: 4096,
            carry_timeout_ns: 30_000_000_000,
            chunk_size: 0,
            lanes: 0,
            input: pcap_core::InputOptions::default(),
        }
    }
}

/// One matching packet: where it is and what it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// 1-based frame number in its file.
    pub frame: u64,
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Source address of the packet (the proxy side).
    pub src_ip: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination address (the server).
    pub dst_ip: IpAddr,
    /// Destination port.
    pub dst_port: u16,
    /// What was found.
    pub hit: Hit,
}

impl Match {
    fn dir(&self) -> Dir {
        Dir {
            src: self.src_ip,
            sport: self.src_port,
            dst: self.dst_ip,
            dport: self.dst_port,
        }
    }

    /// The direction-independent 5-tuple of the packet's connection.
    pub fn flow(&self) -> FlowKey {
        FlowKey::new(self.src_ip, self.src_port, self.dst_ip, self.dst_port, 6)
    }
}

/// What a scan of one file did besides matching.
#[derive(Debug, Default)]
pub struct FileReport {
    /// Frames read.
    pub frames: u64,
    /// Frames decoded (prefilter hits plus packets walked while a split
    /// header was pending).
    pub decoded: u64,
    /// Split header blocks given up on (see the module docs).
    pub carry_dropped: u64,
    /// The error that stopped the walk early (truncated or corrupt file);
    /// matches before it are still reported.
    pub error: Option<pcap_core::Error>,
}

/// One direction of a TCP connection (the key of per-direction state).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Dir {
    pub(crate) src: IpAddr,
    pub(crate) sport: u16,
    pub(crate) dst: IpAddr,
    pub(crate) dport: u16,
}

impl Dir {
    /// The direction a decoded TCP segment travels in.
    pub(crate) fn of(d: &pcap_core::Decoded<'_>, tcp: &pcap_core::Tcp<'_>) -> Dir {
        Dir {
            src: d.src,
            sport: tcp.src_port,
            dst: d.dst,
            dport: tcp.dst_port,
        }
    }
}

struct Pending {
    carry: Carry,
    next_seq: u32,
    since_ns: i64,
}

struct Carries {
    map: HashMap<Dir, Pending>,
    order: VecDeque<(i64, Dir)>,
    dropped: u64,
}

impl Carries {
    fn insert(&mut self, dir: Dir, p: Pending, opts: &ScanOptions) {
        self.order.push_back((p.since_ns, dir));
        self.map.insert(dir, p);
        while self.map.len() > opts.max_carry_flows {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        while let Some((since, dir)) = self.order.pop_front() {
            if self.map.get(&dir).is_some_and(|p| p.since_ns == since) {
                self.map.remove(&dir);
                self.dropped += 1;
                return;
            }
        }
    }

    fn expire(&mut self, now_ns: i64, opts: &ScanOptions) {
        while let Some(&(since, dir)) = self.order.front() {
            if now_ns.saturating_sub(since) <= opts.carry_timeout_ns {
                break;
            }
            self.order.pop_front();
            if self.map.get(&dir).is_some_and(|p| p.since_ns == since) {
                self.map.remove(&dir);
                self.dropped += 1;
            }
        }
        if self.map.is_empty() {
            self.order.clear();
        }
    }
}

/// The per-packet state of a scan over one stretch of a capture: the
/// prefilter hits ahead of the walk and the pending split headers.
struct Scanner<'c> {
    bytes: &'c [u8],
    finder: crate::search::Needle,
    searched: Option<usize>,
    hits: VecDeque<usize>,
    carries: Carries,
    out: Vec<Match>,
    frames: u64,
    decoded: u64,
    walked: usize,
}

impl<'c> Scanner<'c> {
    fn new(cap: &'c Capture) -> Scanner<'c> {
        Scanner {
            bytes: cap.bytes(),
            ..Scanner::new_stream()
        }
    }

    /// A scanner for packets that are not slices of one mapping.
    fn new_stream() -> Scanner<'c> {
        Scanner {
            bytes: &[],
            finder: crate::search::Needle::new(REQUEST_LINE_NEEDLE),
            searched: None,
            hits: VecDeque::new(),
            carries: Carries {
                map: HashMap::new(),
                order: VecDeque::new(),
                dropped: 0,
            },
            out: Vec::new(),
            frames: 0,
            decoded: 0,
            walked: 0,
        }
    }

    /// Searches ahead to `end` and says whether a prefilter hit lies
    /// entirely inside `off..end`.
    #[inline(always)]
    fn is_candidate(&mut self, off: usize, end: usize) -> bool {
        let nlen = REQUEST_LINE_NEEDLE.len();
        let mut searched = *self.searched.get_or_insert(off);
        while searched < end {
            let stop = searched.saturating_add(BLOCK).min(self.bytes.len());
            let from = searched.saturating_sub(nlen - 1);
            self.finder
                .find_into(&self.bytes[from..stop], from, &mut self.hits);
            self.walked += stop - searched;
            searched = stop;
        }
        self.searched = Some(searched);
        while self.hits.front().is_some_and(|&h| h < off) {
            self.hits.pop_front();
        }
        self.hits.front().is_some_and(|&h| h + nlen <= end)
    }

    /// Handles one packet of a headers-only walk (lanes): reads the
    /// packet's bytes beyond its headers only when its TCP payload starts
    /// like a request line (a method token and a space, the first thing
    /// [`Matcher::scan_payload`] requires) or a split header block is
    /// pending. Otherwise the prefilter verdict is the one [`Scanner::packet`]
    /// would reach (a `" HTTP/1."` inside the packet), so the matches are
    /// the same.
    #[inline]
    fn packet_headers_first(&mut self, pkt: &Packet<'_>, matcher: &Matcher, opts: &ScanOptions) {
        self.frames += 1;
        if self.carries.map.is_empty() {
            // The cheap look ([`Packet::peek`]) covers the commonest frames.
            let payload = match pkt.peek() {
                Some(q) if q.proto == pcap_core::layers::ip_proto::TCP => q.payload,
                Some(_) => return,
                None => {
                    let Ok(d) = pkt.decode() else { return };
                    let L4::Tcp(tcp) = d.l4 else { return };
                    tcp.payload
                }
            };
            if !crate::http::starts_like_request(payload) {
                return;
            }
        }
        self.headers_candidate(pkt, matcher, opts);
    }

    /// The rest of [`Scanner::packet_headers_first`] for the few packets
    /// that may start a request: out of line, so that the per-packet code
    /// the lanes run for every record stays small.
    #[inline(never)]
    fn headers_candidate(&mut self, pkt: &Packet<'_>, matcher: &Matcher, opts: &ScanOptions) {
        let candidate = self.finder.contains(pkt.data);
        self.process(pkt, candidate, matcher, opts);
    }

    /// Handles one packet; matches go to `self.out`.
    #[inline]
    fn packet(&mut self, pkt: &Packet<'_>, matcher: &Matcher, opts: &ScanOptions) {
        self.frames += 1;
        let base = self.bytes.as_ptr() as usize;
        let ptr = pkt.data.as_ptr() as usize;
        let candidate = if ptr >= base && ptr + pkt.data.len() <= base + self.bytes.len() {
            let off = ptr - base;
            self.is_candidate(off, off + pkt.data.len())
        } else {
            true // not zero-copy: look at every packet
        };
        self.process(pkt, candidate, matcher, opts);
    }

    #[inline]
    fn process(
        &mut self,
        pkt: &Packet<'_>,
        candidate: bool,
        matcher: &Matcher,
        opts: &ScanOptions,
    ) {
        if !candidate && self.carries.map.is_empty() {
            return;
        }
        if !self.carries.map.is_empty() {
            self.carries.expire(pkt.ts_ns, opts);
        }
        if scan_packet(
            pkt,
            candidate,
            matcher,
            opts,
            &mut self.carries,
            &mut self.out,
        ) {
            self.decoded += 1;
        }
    }

    /// The fast path for classic pcap: walks the records with pcap-core's
    /// cursor ([`Capture::pcap_records`]: no per-packet prefetching or
    /// [`Packet`] construction, the prefilter has just brought the bytes
    /// into cache) and builds a [`Packet`] only for candidates and while a
    /// split header is pending. Returns the error that ended the walk.
    fn walk_pcap(
        &mut self,
        records: pcap_core::PcapRecords<'c>,
        matcher: &Matcher,
        opts: &ScanOptions,
        on_match: &mut impl FnMut(Match),
        progress: &mut impl FnMut(u64),
        reported: &mut usize,
    ) -> Option<pcap_core::Error> {
        for rec in records {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => return Some(e),
            };
            let data = rec.data();
            let start = rec.data_offset();
            self.frames += 1;
            let candidate = self.is_candidate(start, start + data.len());
            if candidate || !self.carries.map.is_empty() {
                self.process(&rec.packet(), candidate, matcher, opts);
                for m in self.out.drain(..) {
                    on_match(m);
                }
            }
            if self.walked >= *reported + PROGRESS_STEP {
                progress((self.walked - *reported) as u64);
                *reported = self.walked;
            }
        }
        None
    }
}

/// Scans one capture on the calling thread; calls `on_match` for every
/// matching packet in frame order and `progress` with the number of bytes
/// searched since the last call.
///
/// A truncated or corrupt file stops the walk; the error is returned in
/// [`FileReport::error`] after the matches before it were delivered.
pub fn scan_capture(
    cap: &Capture,
    matcher: &Matcher,
    opts: &ScanOptions,
    mut on_match: impl FnMut(Match),
    mut progress: impl FnMut(u64),
) -> FileReport {
    let bytes = cap.bytes();
    let mut sc = Scanner::new(cap);
    let mut report = FileReport::default();
    let mut reported = 0usize;
    if let Some(records) = cap.pcap_records() {
        report.error = sc.walk_pcap(
            records,
            matcher,
            opts,
            &mut on_match,
            &mut progress,
            &mut reported,
        );
        return finish(sc, report, bytes.len(), reported, &mut progress);
    }
    for pkt in cap.packets() {
        let pkt = match pkt {
            Ok(p) => p,
            Err(e) => {
                report.error = Some(e);
                break;
            }
        };
        sc.packet(&pkt, matcher, opts);
        for m in sc.out.drain(..) {
            on_match(m);
        }
        if sc.walked >= reported + PROGRESS_STEP {
            progress((sc.walked - reported) as u64);
            reported = sc.walked;
        }
    }
    finish(sc, report, bytes.len(), reported, &mut progress)
}

/// [`scan_capture`] for a [`pcap_core::Stream`] (pipe, FIFO, standard
/// input, `.gz`): the headers-first test on each packet as it arrives
/// (the same matches as the mapped scan), memory bounded by the stream's
/// buffer and the carry limits.
pub fn scan_stream(
    stream: &mut pcap_core::Stream,
    matcher: &Matcher,
    opts: &ScanOptions,
    mut on_match: impl FnMut(Match),
    mut progress: impl FnMut(u64),
) -> FileReport {
    let mut sc = Scanner::new_stream();
    let mut report = FileReport::default();
    let mut reported = 0u64;
    while let Some(pkt) = stream.next_packet() {
        let pkt = match pkt {
            Ok(p) => p,
            Err(e) => {
                report.error = Some(e);
                break;
            }
        };
        sc.packet_headers_first(&pkt, matcher, opts);
        for m in sc.out.drain(..) {
            on_match(m);
        }
        if sc.frames.is_multiple_of(4096) {
            let at = stream.offset();
            if at >= reported + PROGRESS_STEP as u64 {
                progress(at - reported);
                reported = at;
            }
        }
    }
    let end = stream.offset();
    finish(sc, report, end as usize, reported as usize, &mut progress)
}

fn finish(
    sc: Scanner<'_>,
    mut report: FileReport,
    len: usize,
    reported: usize,
    progress: &mut impl FnMut(u64),
) -> FileReport {
    if len > reported {
        progress((len - reported) as u64);
    }
    report.frames = sc.frames;
    report.decoded = sc.decoded;
    report.carry_dropped = sc.carries.dropped + sc.carries.map.len() as u64;
    report
}

/// How many lanes a split scan of `cap` uses: a request starts a TCP
/// payload, so a headers-only walk in lanes reads little else of a cached
/// file ([`pcap_core::parallel::header_lanes`] decides, unless
/// [`ScanOptions::lanes`] is set).
pub fn lanes_for(cap: &Capture, opts: &ScanOptions) -> usize {
    match opts.lanes {
        0 => pcap_core::parallel::header_lanes(cap),
        n => n,
    }
}

/// Scans one capture on `threads` threads (0 = all cores) by cutting it
/// into chunks with [`pcap_core::parallel::split_each`]; the matches come back
/// in frame order with absolute frame numbers, exactly as
/// [`scan_capture`] reports them, as soon as each chunk and all before it
/// are done. A header block split across segments that fall into different
/// chunks is joined: the blocks a chunk leaves unfinished are followed
/// through the next chunk's packets until they end (tested for every chunk
/// size on the split-header fixture). `progress` is called from the
/// worker threads.
pub fn scan_capture_parallel(
    cap: &Capture,
    matcher: &Matcher,
    opts: &ScanOptions,
    threads: usize,
    mut on_match: impl FnMut(Match),
    progress: impl Fn(u64) + Sync,
) -> FileReport {
    let lanes = lanes_for(cap, opts);
    let split_opts = pcap_core::parallel::SplitOptions {
        threads,
        chunk_size: opts.chunk_size,
        lanes,
    };
    let mut report = FileReport::default();
    // Split header blocks left unfinished by the chunk delivered last.
    let mut pending = Carries {
        map: HashMap::new(),
        order: VecDeque::new(),
        dropped: 0,
    };
    // Chunks arrive in file order while later ones are still scanned, so
    // matches print as the scan goes and memory holds only the chunks in
    // flight.
    let end = pcap_core::parallel::split_each(
        cap,
        split_opts,
        || (Scanner::new(cap), Vec::new(), 0usize),
        #[inline(always)]
        |state: &mut (Scanner<'_>, Vec<Match>, usize), pkt| {
            // Most packets of a headers-only walk start no request: that
            // test stays small enough to be inlined into the lanes' loop,
            // and everything else is one call away.
            let (sc, _, reported) = state;
            if lanes > 1 {
                sc.walked += pkt.data.len() + 16;
                if sc.carries.map.is_empty()
                    && sc.walked < *reported + PROGRESS_STEP
                    && !may_start_request(pkt)
                {
                    return;
                }
            }
            split_step(state, *pkt, lanes, matcher, opts, &progress);
        },
        |chunk| {
            let base = chunk.first_frame - 1;
            let again = chunk.packets(cap);
            let (mut sc, found, _) = chunk.state;
            report.frames += chunk.frames;
            report.decoded += sc.decoded;
            report.carry_dropped += sc.carries.dropped;
            let mut found: Vec<Match> = found
                .into_iter()
                .map(|mut m| {
                    m.frame += base;
                    m
                })
                .collect();
            // Header blocks the previous chunk left unfinished continue in
            // this one: follow them as the sequential scan would, and let
            // what that finds replace this chunk's own view of those
            // segments (which, lacking the start, found nothing there).
            if !pending.map.is_empty() {
                let (fixed, touched) = follow_carries(
                    again,
                    base,
                    matcher,
                    opts,
                    &mut pending,
                    &mut report.decoded,
                );
                if !touched.is_empty() {
                    found.retain(|m| !touched.contains(&(m.frame, m.dir())));
                    found.extend(fixed);
                    found.sort_by_key(|m| m.frame);
                }
                // What is still unfinished replaces this chunk's own carry
                // for the same direction.
                for (dir, p) in std::mem::take(&mut pending.map) {
                    sc.carries.insert(dir, p, opts);
                }
                report.carry_dropped += pending.dropped;
            }
            pending = std::mem::replace(
                &mut sc.carries,
                Carries {
                    map: HashMap::new(),
                    order: VecDeque::new(),
                    dropped: 0,
                },
            );
            pending.dropped = 0;
            for m in found {
                on_match(m);
            }
        },
    );
    report.carry_dropped += pending.map.len() as u64;
    report.error = end.error;
    report
}

/// What a packet of a headers-only walk must show to be looked at
/// further: a TCP payload that starts like a request line, or a frame
/// [`Packet::peek`] cannot read (the full decode then decides).
#[inline(always)]
fn may_start_request(pkt: &Packet<'_>) -> bool {
    match pkt.peek() {
        Some(q) => {
            q.proto == pcap_core::layers::ip_proto::TCP
                && crate::http::starts_like_request(q.payload)
        }
        None => true,
    }
}

/// One packet of [`scan_capture_parallel`]'s walk past the inlined test
/// of its closure: out of line, so that the test stays small. The packet
/// comes by value: by reference it had to be built in memory (timestamp
/// included) for every packet before the test; by value only on this
/// path (callgrind, 32 MiB of small frames: 53.1 M -> 50.9 M
/// instructions).
#[inline(never)]
fn split_step(
    (sc, found, reported): &mut (Scanner<'_>, Vec<Match>, usize),
    pkt: Packet<'_>,
    lanes: usize,
    matcher: &Matcher,
    opts: &ScanOptions,
    progress: &impl Fn(u64),
) {
    if lanes > 1 {
        sc.packet_headers_first(&pkt, matcher, opts);
    } else {
        sc.packet(&pkt, matcher, opts);
    }
    if !sc.out.is_empty() {
        found.append(&mut sc.out);
    }
    if sc.walked >= *reported + PROGRESS_STEP {
        progress((sc.walked - *reported) as u64);
        *reported = sc.walked;
    }
}

/// Follows the header blocks in `carries` (left unfinished by the previous
/// chunk) through a chunk's packets, until none is left: returns the
/// matches found in those segments (absolute frames) and the (frame,
/// direction) pairs of the segments that continued a block. Carries still
/// unfinished at the chunk's end stay in `carries`.
fn follow_carries(
    packets: pcap_core::Packets<'_>,
    base: u64,
    matcher: &Matcher,
    opts: &ScanOptions,
    carries: &mut Carries,
    decoded: &mut u64,
) -> (Vec<Match>, HashSet<(u64, Dir)>) {
    let mut out = Vec::new();
    let mut touched = HashSet::new();
    let needle = memchr::memmem::Finder::new(REQUEST_LINE_NEEDLE);
    for pkt in packets {
        if carries.map.is_empty() {
            break;
        }
        let Ok(mut pkt) = pkt else { break };
        pkt.frame += base;
        carries.expire(pkt.ts_ns, opts);
        let Ok(d) = pkt.decode() else { continue };
        let L4::Tcp(tcp) = d.l4 else { continue };
        let dir = Dir::of(&d, &tcp);
        if !carries.map.contains_key(&dir) {
            continue;
        }
        // The same prefilter verdict the sequential scan had for it.
        let candidate = needle.find(pkt.data).is_some();
        let before = out.len();
        if scan_packet(&pkt, candidate, matcher, opts, carries, &mut out) {
            *decoded += 1;
        }
        if !tcp.payload.is_empty() || out.len() > before {
            touched.insert((pkt.frame, dir));
        }
    }
    (out, touched)
}

/// Decodes one packet and runs the matcher; returns whether it decoded.
fn scan_packet(
    pkt: &Packet<'_>,
    candidate: bool,
    matcher: &Matcher,
    opts: &ScanOptions,
    carries: &mut Carries,
    out: &mut Vec<Match>,
) -> bool {
    let Ok(d) = pkt.decode() else {
        return false;
    };
    let L4::Tcp(tcp) = d.l4 else {
        return true;
    };
    let dir = Dir::of(&d, &tcp);
    let payload = tcp.payload;
    let mut hits = Vec::new();
    let mut carry_out = None;
    if let Some(p) = carries.map.get(&dir) {
        if payload.is_empty() {
            return true; // pure ACK: keep waiting
        }
        let diff = tcp.seq.wrapping_sub(p.next_seq) as i32;
        if diff < 0 && !candidate {
            return true; // retransmission of data already seen
        }
        let p = carries.map.remove(&dir).expect("checked above");
        if diff == 0 {
            carry_out = matcher.scan_continuation(p.carry, payload, &mut hits);
        } else {
            carries.dropped += 1;
            if candidate {
                carry_out = matcher.scan_payload(payload, &mut hits);
            }
        }
    } else if candidate {
        carry_out = matcher.scan_payload(payload, &mut hits);
    }
    if let Some(carry) = carry_out {
        carries.insert(
            dir,
            Pending {
                carry,
                next_seq: tcp.seq.wrapping_add(payload.len() as u32),
                since_ns: pkt.ts_ns,
            },
            opts,
        );
    }
    out.extend(hits.into_iter().map(|hit| Match {
        frame: pkt.frame,
        ts_ns: pkt.ts_ns,
        src_ip: d.src,
        src_port: tcp.src_port,
        dst_ip: d.dst,
        dst_port: tcp.dst_port,
        hit,
    }));
    true
}

/// Second pass: calls `f` for every TCP packet whose connection is in
/// `flows`, in frame order. Used for `--write` and `--summary`.
pub fn conversation_packets(
    walk: &mut pcap_core::Walk<'_>,
    flows: &HashSet<FlowKey>,
    mut f: impl FnMut(&Packet<'_>, FlowKey),
) -> Result<(), pcap_core::Error> {
    if flows.is_empty() {
        return Ok(());
    }
    while let Some(pkt) = walk.next_packet() {
        let pkt = pkt?;
        let Ok(d) = pkt.decode() else { continue };
        let L4::Tcp(tcp) = d.l4 else { continue };
        let key = FlowKey::new(d.src, tcp.src_port, d.dst, tcp.dst_port, 6);
        if flows.contains(&key) {
            f(&pkt, key);
        }
    }
    Ok(())
}
