//! The `http` table: one row per HTTP/1.x request header block
//! ([`xff_scan::requests`]).
//!
//! A file may be cut into regions ([`ScanUnit`]s) scanned apart: a region
//! owns the requests whose request line (the block's first segment) lies
//! in a record starting inside it, and reads on past its end only to finish
//! those blocks. The rows of all regions are the rows of the whole-file
//! scan, within two bounds: a block still unfinished `overlap_bytes` past
//! its region's end is reported as it stands there (the whole-file scan
//! would add bytes that come later), and the rows are exact only while
//! fewer than [`xff_scan::requests::MAX_PENDING`] blocks are unfinished at
//! once.

use std::sync::Arc;

use pcap_core::{Capture, Packets};
use xff_scan::requests::{Request, RequestParser};

use crate::exec::Emitter;
use crate::spec::{ScanSpec, ScanUnit};

pub use capture_arrow::http::{ADDRESS_COLUMNS, Row, TIME_COLUMN, column, schema};

/// Index of the `frame` column in [`schema`].
const FRAME_COLUMN: usize = 1;

/// Scans one unit (a whole file or a region of it) into `out`; returns the
/// error that ended the walk early.
///
/// The parser's state for one TCP direction matters only to the block
/// pending in it: a segment that continues a block begun before the region
/// does not start a request line, so a walk that does not know the block
/// drops the segment, and the whole-file walk only adds it to the earlier
/// region's row; a segment that starts a request line starts the same new
/// block either way. So the parser is fed from the region's first record
/// on, and every block it reports is this region's: the `overlap_bytes`
/// before a mid-file region are only walked (record headers, nothing
/// decoded) to be on the real record chain by the region's start; with
/// the `frame` column projected the walk starts at the file's start
/// instead, so that frame numbers are the file's.
///
/// Past the region's end no block is started (`follow_only`); the walk
/// stops as soon as no block is pending, or `overlap_bytes` past the end,
/// where the blocks still pending are reported as they stand. The rows
/// equal the whole-file scan's while (1) no header block that is still
/// unfinished that far past its region's end gets more bytes later, and
/// (2) fewer than [`xff_scan::requests::MAX_PENDING`] blocks are unfinished
/// at once (beyond that the parser reports the oldest early, which depends
/// on every block before it in the file). Damage in the file is reported
/// by the region holding it; the whole-file scan stops there, and so do
/// the later regions when they walk from the file's start (`frame`
/// projected), while without `frame` they find the record chain again
/// after it and give its rows (as `tls` regions do).
pub(crate) fn scan_unit(
    cap: &Capture,
    unit: &ScanUnit,
    spec: &ScanSpec,
    out: &mut Emitter<Row>,
) -> Option<pcap_core::Error> {
    let filter = &spec.filter;
    let lo = usize::try_from(unit.start).unwrap_or(usize::MAX);
    let hi = unit
        .end
        .map_or(usize::MAX, |e| usize::try_from(e).unwrap_or(usize::MAX));
    let overlap = usize::try_from(spec.overlap_bytes).unwrap_or(usize::MAX);
    let frames = spec
        .projection
        .as_ref()
        .is_none_or(|p| p.contains(&FRAME_COLUMN));
    let mut it = walk_to(cap, lo, overlap, frames)?;
    let stop_at = hi.saturating_add(overlap);
    let file: Arc<str> = cap.path().display().to_string().into();
    let mut parser = RequestParser::new(xff_scan::default_headers());
    let mut found: Vec<Request> = Vec::new();
    let mut error = None;
    loop {
        let off = usize::try_from(it.offset()).unwrap_or(usize::MAX);
        let past_end = off >= hi;
        if past_end && (!parser.has_pending() || off >= stop_at) {
            break;
        }
        let pkt = match it.next() {
            Some(Ok(p)) => p,
            // Damage past the end is the next region's to report (its
            // walk reaches the same record); the whole-file scan stops
            // there too.
            Some(Err(_)) if past_end => break,
            Some(Err(e)) => {
                error = Some(e);
                break;
            }
            None => break,
        };
        // A request's row has its first segment's time: outside the range
        // (and past the region) only blocks already started are followed.
        let outside = past_end
            || filter.time_min_ns.is_some_and(|t| pkt.ts_ns < t)
            || filter.time_max_ns.is_some_and(|t| pkt.ts_ns > t);
        if outside && !parser.has_pending() {
            continue;
        }
        if !filter.addresses.is_empty() {
            match pkt.decode() {
                Ok(d) if filter.addresses_match(d.src, d.dst) => {}
                _ => continue,
            }
        }
        parser.packet(&pkt, outside, &mut |r| found.push(r));
        for req in found.drain(..) {
            out.push(Row {
                file: file.clone(),
                req,
            });
        }
        if out.stopped() {
            return error;
        }
    }
    parser.finish(&mut |r| found.push(r));
    for req in found {
        out.push(Row {
            file: file.clone(),
            req,
        });
    }
    error
}

/// The packets of `cap` from the first record at or after byte `lo`, on
/// the real record chain: walked from the file's start when `frames` (frame
/// numbers are then the file's), else from `overlap` bytes before `lo`
/// (frame numbers count from there). Records before `lo` are skipped
/// without decoding. `None` when there is nothing to scan: no record found,
/// or damage before `lo` (the region holding it reports it, and the
/// whole-file scan stops there).
fn walk_to(cap: &Capture, lo: usize, overlap: usize, frames: bool) -> Option<Packets<'_>> {
    let from = if frames {
        0
    } else {
        lo.saturating_sub(overlap)
    };
    let mut it = if from == 0 {
        cap.packets()
    } else {
        pcap_core::parallel::packets_from(cap, from)?
    };
    while usize::try_from(it.offset()).unwrap_or(usize::MAX) < lo {
        match it.next() {
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
    Some(it)
}
