//! `--reassemble`: per-connection TCP stream reassembly in front of a
//! streaming HTTP request parser.
//!
//! What it adds over the default scan ([`crate::scan`]): request lines cut
//! across segments, header blocks over any number of segments, segments
//! that arrive out of order or are retransmitted, pipelined requests that
//! start in the middle of a segment after a body that spanned segments
//! (`Content-Length` or chunked), and connections whose first captured
//! packet is mid-stream (it resynchronises at the next segment that starts
//! with a request line).
//!
//! What it costs: every packet is decoded (no prefilter), and each
//! direction of each open connection holds a little state: at most
//! [`ReassembleOptions::max_ooo_bytes`] of out-of-order segments and
//! [`MAX_STREAM_HOLD`](crate::MAX_STREAM_HOLD) bytes of an unfinished line.
//! At most [`ReassembleOptions::max_flows`] directions are tracked; idle
//! ones are dropped after [`ReassembleOptions::idle_timeout_ns`]. One file
//! is read by one thread (connections cross any chunk boundary); several
//! files still use all cores.

use std::collections::{BTreeMap, HashMap};

use pcap_core::{Capture, L4};

use crate::scan::Dir;

use crate::http::{Matcher, RequestStream};
use crate::scan::{FileReport, Match};

/// Limits of the reassembly.
#[derive(Clone, Debug)]
pub struct ReassembleOptions {
    /// Most connection directions tracked at once (the least recently
    /// active are dropped first).
    pub max_flows: usize,
    /// Out-of-order bytes held per direction while waiting for a gap to
    /// fill; when exceeded, the gap is taken as lost.
    pub max_ooo_bytes: usize,
    /// A direction idle this long (capture time) is forgotten.
    pub idle_timeout_ns: i64,
}

impl Default for ReassembleOptions {
    fn default() -> ReassembleOptions {
        ReassembleOptions {
            max_flows: 65_536,
            max_ooo_bytes: 256 * 1024,
            idle_timeout_ns: 300_000_000_000,
        }
    }
}

struct Seg {
    frame: u64,
    ts_ns: i64,
    data: Vec<u8>,
}

struct DirState {
    next_seq: u32,
    ooo: BTreeMap<u32, Seg>,
    ooo_bytes: usize,
    stream: RequestStream,
    last_ns: i64,
}

const TCP_SYN: u8 = 0x02;
const TCP_FIN: u8 = 0x01;
const TCP_RST: u8 = 0x04;

/// Scans one capture with TCP reassembly; calls `on_match` in frame order
/// (a match is attributed to the frame whose bytes completed its header
/// line) and `progress` with bytes walked.
pub fn scan_capture_reassembled(
    cap: &Capture,
    matcher: &Matcher,
    opts: &ReassembleOptions,
    on_match: impl FnMut(Match),
    progress: impl FnMut(u64),
) -> FileReport {
    scan_walk_reassembled(
        &mut pcap_core::Walk::Mapped(cap.packets()),
        matcher,
        opts,
        on_match,
        progress,
    )
}

/// [`scan_capture_reassembled`] over any walk (a mapped file or a
/// [`pcap_core::Stream`]).
pub fn scan_walk_reassembled(
    walk: &mut pcap_core::Walk<'_>,
    matcher: &Matcher,
    opts: &ReassembleOptions,
    mut on_match: impl FnMut(Match),
    mut progress: impl FnMut(u64),
) -> FileReport {
    let mut report = FileReport::default();
    let mut dirs: HashMap<Dir, DirState> = HashMap::new();
    let mut found: Vec<Match> = Vec::new();
    let mut hits = Vec::new();
    let mut reported = 0u64;
    loop {
        if report.frames.is_multiple_of(65_536) {
            let at = walk.offset();
            if at > reported {
                progress(at - reported);
                reported = at;
            }
        }
        let Some(pkt) = walk.next_packet() else { break };
        let pkt = match pkt {
            Ok(p) => p,
            Err(e) => {
                report.error = Some(e);
                break;
            }
        };
        report.frames += 1;
        if report.frames.is_multiple_of(65_536) {
            sweep(&mut dirs, pkt.ts_ns, opts, &mut report);
        }
        let Ok(d) = pkt.decode() else { continue };
        let L4::Tcp(tcp) = d.l4 else { continue };
        report.decoded += 1;
        let dir = Dir::of(&d, &tcp);
        let payload = tcp.payload;
        if tcp.flags & TCP_SYN != 0 {
            dirs.insert(
                dir,
                DirState {
                    next_seq: tcp.seq.wrapping_add(1),
                    ooo: BTreeMap::new(),
                    ooo_bytes: 0,
                    stream: RequestStream::from_start(),
                    last_ns: pkt.ts_ns,
                },
            );
            if dirs.len() > opts.max_flows {
                evict(&mut dirs, opts.max_flows, &mut report);
            }
            continue;
        }
        let closing = tcp.flags & (TCP_FIN | TCP_RST) != 0;
        if payload.is_empty() {
            if closing {
                dirs.remove(&dir);
            }
            continue;
        }
        let st = dirs.entry(dir).or_insert_with(|| DirState {
            next_seq: tcp.seq,
            ooo: BTreeMap::new(),
            ooo_bytes: 0,
            stream: RequestStream::mid_stream(),
            last_ns: pkt.ts_ns,
        });
        st.last_ns = pkt.ts_ns;
        let emit = |hits: &mut Vec<crate::Hit>, found: &mut Vec<Match>, frame: u64, ts_ns: i64| {
            found.extend(hits.drain(..).map(|hit| Match {
                frame,
                ts_ns,
                src_ip: dir.src,
                src_port: dir.sport,
                dst_ip: dir.dst,
                dst_port: dir.dport,
                hit,
            }));
        };
        let rel = tcp.seq.wrapping_sub(st.next_seq) as i32;
        let len = payload.len() as u32;
        if st.stream.is_resyncing() && st.ooo.is_empty() {
            // Order does not matter until a request line starts a segment.
            st.stream.feed(matcher, payload, true, &mut hits);
            emit(&mut hits, &mut found, pkt.frame, pkt.ts_ns);
            if rel >= 0 || !st.stream.is_resyncing() {
                st.next_seq = tcp.seq.wrapping_add(len);
            }
        } else if rel == 0 {
            st.stream.feed(matcher, payload, true, &mut hits);
            emit(&mut hits, &mut found, pkt.frame, pkt.ts_ns);
            st.next_seq = st.next_seq.wrapping_add(len);
        } else if rel < 0 {
            // Retransmission, possibly with new bytes at its end.
            let old = rel.unsigned_abs();
            if old < len {
                st.stream
                    .feed(matcher, &payload[old as usize..], false, &mut hits);
                emit(&mut hits, &mut found, pkt.frame, pkt.ts_ns);
                st.next_seq = st.next_seq.wrapping_add(len - old);
            }
        } else if st.ooo_bytes + payload.len() <= opts.max_ooo_bytes {
            st.ooo_bytes += payload.len();
            st.ooo.entry(tcp.seq).or_insert(Seg {
                frame: pkt.frame,
                ts_ns: pkt.ts_ns,
                data: payload.to_vec(),
            });
        } else {
            // The gap is not going to fill: take it as lost.
            report.carry_dropped += 1;
            st.ooo.clear();
            st.ooo_bytes = 0;
            st.stream.lose_sync();
            st.stream.feed(matcher, payload, true, &mut hits);
            emit(&mut hits, &mut found, pkt.frame, pkt.ts_ns);
            st.next_seq = tcp.seq.wrapping_add(len);
        }
        // Deliver buffered segments that are now in sequence.
        while let Some(&seq) = st
            .ooo
            .keys()
            .find(|&&s| (s.wrapping_sub(st.next_seq) as i32) <= 0)
        {
            let seg = st.ooo.remove(&seq).expect("key just found");
            st.ooo_bytes -= seg.data.len();
            let old = st.next_seq.wrapping_sub(seq) as usize;
            if old < seg.data.len() {
                st.stream
                    .feed(matcher, &seg.data[old..], old == 0, &mut hits);
                emit(&mut hits, &mut found, seg.frame, seg.ts_ns);
                st.next_seq = st.next_seq.wrapping_add((seg.data.len() - old) as u32);
            }
        }
        if closing {
            dirs.remove(&dir);
        }
    }
    let end = walk.offset();
    if end > reported {
        progress(end - reported);
    }
    report.carry_dropped += dirs.values().filter(|s| !s.ooo.is_empty()).count() as u64;
    // Out-of-order delivery can complete a line in an earlier frame.
    found.sort_by_key(|m| m.frame);
    for m in found {
        on_match(m);
    }
    report
}

fn sweep(
    dirs: &mut HashMap<Dir, DirState>,
    now_ns: i64,
    opts: &ReassembleOptions,
    report: &mut FileReport,
) {
    dirs.retain(|_, s| {
        let keep = now_ns.saturating_sub(s.last_ns) <= opts.idle_timeout_ns;
        if !keep && !s.ooo.is_empty() {
            report.carry_dropped += 1;
        }
        keep
    });
}

fn evict(dirs: &mut HashMap<Dir, DirState>, max: usize, report: &mut FileReport) {
    // Drop the least recently active tenth.
    let mut ages: Vec<i64> = dirs.values().map(|s| s.last_ns).collect();
    let cut = (max / 10).max(1).min(ages.len() - 1);
    let (_, &mut limit, _) = ages.select_nth_unstable(cut);
    let before = dirs.len();
    dirs.retain(|_, s| s.last_ns > limit);
    report.carry_dropped += (before - dirs.len()) as u64;
}
