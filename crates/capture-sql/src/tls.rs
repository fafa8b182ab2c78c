//! The `tls` table: one row per TLS connection, the rows and column names
//! of `tls-audit --format jsonl` (via [`tls_handshake::audit`]).

use pcap_core::{Capture, FlowKey};
use tls_handshake::audit::scan::{self, feed_with_quic};
use tls_handshake::audit::{AuditOptions, Collector, Connection};
use tls_handshake::ja4::Transport;
use tls_handshake::quic::QuicTracker;
use tls_handshake::tracker::{Handshake, Limits, Tracker};

use crate::exec::Emitter;
use crate::spec::{ScanFilter, ScanSpec, ScanUnit};

pub use capture_arrow::tls::{ADDRESS_COLUMNS, TIME_COLUMN, batch, column, schema};

/// Index of the `frame` column in [`schema`].
const FRAME_COLUMN: usize = 1;

/// A region starting mid-file is walked from this many bytes before its
/// start, so that connections whose hellos began before it are recognised
/// (and left to the previous region) and the walk is on the real record
/// chain by the time it reaches the region.
pub const OVERLAP_BYTES: usize = 8 << 20;

/// Frames older than the time filter by more than this are skipped: a
/// connection whose hello started earlier than that has been evicted by the
/// tracker's idle timeout anyway.
fn time_margin(limits: &Limits) -> i64 {
    limits.idle_timeout_ns.saturating_add(1_000_000_000)
}

/// Scans one unit into `out`; returns the error that ended the file early.
pub(crate) fn scan_unit(
    cap: &Capture,
    unit: &ScanUnit,
    spec: &ScanSpec,
    out: &mut Emitter<Connection>,
) -> Option<pcap_core::Error> {
    let filter = &spec.filter;
    if unit.is_whole() && filter.is_empty() && !out.limited() {
        // Exactly tls-audit's scan of a file: interleaved headers-only
        // lanes, joined in file order, on the cores the scan's other
        // partitions leave over (one, unless a file was left whole for
        // that: `TableOptions::whole_files_on_threads`).
        let threads = spec.spare_threads();
        let opts = AuditOptions {
            threads,
            ..AuditOptions::default()
        };
        let mut col = Collector::new(&opts, |c| out.push(c));
        let s = scan::scan_parallel(cap, &opts, threads, &|_| {}, &mut col);
        return s.error;
    }
    let frames = spec
        .projection
        .as_ref()
        .is_none_or(|p| p.contains(&FRAME_COLUMN));
    scan_region(cap, unit, filter, spec.overlap_bytes, frames, out)
}

/// The general scan: a region of the file, filters applied to frames before
/// they are decoded, stopping at the limit. With `frames` (the `frame`
/// column is wanted) a region that starts mid-file walks the record headers
/// from the start of the file, so that frame numbers count from there.
fn scan_region(
    cap: &Capture,
    unit: &ScanUnit,
    filter: &ScanFilter,
    overlap: u64,
    frames: bool,
    out: &mut Emitter<Connection>,
) -> Option<pcap_core::Error> {
    let limits = Limits::default();
    let lo = usize::try_from(unit.start).unwrap_or(usize::MAX);
    let hi = unit
        .end
        .map_or(usize::MAX, |e| usize::try_from(e).unwrap_or(usize::MAX));
    let from = if lo == 0 {
        0
    } else {
        lo.saturating_sub(usize::try_from(overlap).unwrap_or(usize::MAX))
    };
    let mut it = if frames || from == 0 {
        // Exact frame numbers (and the real record chain) for the price of
        // reading the headers before the region; nothing there is decoded.
        let mut all = cap.packets();
        while usize::try_from(all.offset()).unwrap_or(usize::MAX) < from {
            match all.next() {
                Some(Ok(_)) => {}
                // Damage before the region: the region holding it reports
                // it, and tls-audit stops the file there too.
                Some(Err(_)) | None => return None,
            }
        }
        all
    } else {
        pcap_core::parallel::packets_from(cap, from)?
    };
    let file = cap.path().display().to_string();
    let mut tracker: Tracker<FlowKey> = Tracker::new(limits);
    // QUIC connections (UDP Initials) are followed beside the TCP ones and
    // belong to the unit their first Initial lies in, like TCP rows.
    let mut quic: QuicTracker<FlowKey> = QuicTracker::new(limits);
    let mut found_quic: Vec<(FlowKey, Handshake)> = Vec::new();
    let skip_before = filter
        .time_min_ns
        .map(|t| t.saturating_sub(time_margin(&limits)));
    // Frame numbers (counted from the walk's start) of the first record at
    // or after `lo` and at or after `hi`: a row is this unit's when its
    // first hello lies between them.
    let mut own_from = u64::MAX;
    let mut own_to = u64::MAX;
    let mut found: Vec<(FlowKey, Handshake)> = Vec::new();
    let mut error = None;
    let mut n = 0u64;
    loop {
        let off = it.offset() as usize;
        let pkt = match it.next() {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                error = Some(e);
                break;
            }
            None => break,
        };
        n += 1;
        if own_from == u64::MAX && off >= lo {
            own_from = pkt.frame;
        }
        let past_end = off >= hi;
        if past_end {
            if own_to == u64::MAX {
                own_to = pkt.frame;
                // Past the region only the connections that started inside
                // it are followed (those from the overlap before it are
                // the previous region's).
                let mut mine: Tracker<FlowKey> = Tracker::new(limits);
                for (k, p) in tracker.take_pending() {
                    if p.first_frame() >= own_from {
                        mine.adopt(k, p);
                    }
                }
                tracker = mine;
            }
            // Past the region only its unfinished connections matter. The
            // QUIC check walks every tracked connection (tombstones too),
            // so it runs 16 times less often than the TCP one; reading a
            // little further changes no row.
            if n.is_multiple_of(64)
                && !tracker.has_unfinished()
                && (quic.is_empty()
                    || (n.is_multiple_of(1024) && !quic.has_unfinished_in(own_from..own_to)))
            {
                break;
            }
        }
        if n.is_multiple_of(1024) && out.stopped() {
            return error;
        }
        if skip_before.is_some_and(|t| pkt.ts_ns < t) {
            continue;
        }
        if !filter.addresses.is_empty() {
            match pkt.decode() {
                Ok(d) if filter.addresses_match(d.src, d.dst) => {}
                _ => continue,
            }
        }
        // After the time range, follow only connections already started.
        let late = filter.time_max_ns.is_some_and(|t| pkt.ts_ns > t);
        let (frame, ts) = (pkt.frame, pkt.ts_ns);
        feed_with_quic(
            &mut tracker,
            &pkt,
            past_end || late,
            &mut |k, h| found.push((k, h)),
            &mut |_| {},
            &mut |k, side, d| {
                quic.push(k, side, frame, ts, d, &mut |k, h| found_quic.push((k, h)));
            },
        );
        emit_owned(&file, &mut found, &mut found_quic, own_from..own_to, out);
        if out.stopped() {
            return error;
        }
    }
    tracker.finish(&mut |k, h| found.push((k, h)));
    quic.finish(&mut |k, h| found_quic.push((k, h)));
    emit_owned(&file, &mut found, &mut found_quic, own_from..own_to, out);
    error
}

/// Hands on the rows found whose first hello lies in the unit's frames.
fn emit_owned(
    file: &str,
    tcp: &mut Vec<(FlowKey, Handshake)>,
    quic: &mut Vec<(FlowKey, Handshake)>,
    own: std::ops::Range<u64>,
    out: &mut Emitter<Connection>,
) {
    for (k, h) in tcp.drain(..) {
        if own.contains(&h.first_frame) {
            out.push(Connection::over(file, &k, h, Transport::Tcp));
        }
    }
    for (k, h) in quic.drain(..) {
        if own.contains(&h.first_frame) {
            out.push(Connection::over(file, &k, h, Transport::Quic));
        }
    }
}
