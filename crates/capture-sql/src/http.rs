//! The `http` table: one row per HTTP/1.x request header block
//! ([`xff_scan::requests`]).

use std::sync::Arc;

use pcap_core::Capture;
use xff_scan::requests::{Request, RequestParser};

use crate::exec::Emitter;
use crate::spec::{ScanSpec, ScanUnit};

pub use capture_arrow::http::{ADDRESS_COLUMNS, Row, TIME_COLUMN, column, schema};

/// Scans one file (`http` does not cut files: frame numbers count from the
/// start of the file).
pub(crate) fn scan_unit(
    cap: &Capture,
    _unit: &ScanUnit,
    spec: &ScanSpec,
    out: &mut Emitter<Row>,
) -> Option<pcap_core::Error> {
    let filter = &spec.filter;
    let file: Arc<str> = cap.path().display().to_string().into();
    let mut parser = RequestParser::new(xff_scan::default_headers());
    let mut found: Vec<Request> = Vec::new();
    let mut error = None;
    for pkt in cap.packets() {
        let pkt = match pkt {
            Ok(p) => p,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        // A request's row has its first segment's time: outside the range
        // only blocks already started are followed.
        let outside = filter.time_min_ns.is_some_and(|t| pkt.ts_ns < t)
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
