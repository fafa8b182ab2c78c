//! The `http` table: one row per HTTP/1.x request header block
//! ([`xff_scan::requests`]).

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use pcap_core::Capture;
use xff_scan::requests::{Request, RequestParser};

use crate::columns::{owned_strs, str_list_type, strs, timestamps, ts_type, u16s, u64s};
use crate::exec::Emitter;
use crate::spec::{ScanSpec, ScanUnit};

/// The schema of `http`: `file, frame, ts, client_ip, client_port,
/// server_ip, server_port, method, host, path, forwarded_for, headers,
/// complete`. `client_ip`/`server_ip` are the TCP endpoints (the sender of
/// the request may be a proxy); `forwarded_for` lists the client addresses
/// named by X-Forwarded-For, Forwarded, X-Real-IP, True-Client-IP and
/// CF-Connecting-IP, in header order.
pub fn schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("file", DataType::Utf8, false),
            Field::new("frame", DataType::UInt64, false),
            Field::new("ts", ts_type(), false),
            Field::new("client_ip", DataType::Utf8, false),
            Field::new("client_port", DataType::UInt16, false),
            Field::new("server_ip", DataType::Utf8, false),
            Field::new("server_port", DataType::UInt16, false),
            Field::new("method", DataType::Utf8, false),
            Field::new("host", DataType::Utf8, true),
            Field::new("path", DataType::Utf8, false),
            Field::new("forwarded_for", str_list_type(), false),
            Field::new("headers", DataType::Utf8, false),
            Field::new("complete", DataType::Boolean, false),
        ]))
    })
    .clone()
}

/// The time column.
pub(crate) const TIME_COLUMN: &str = "ts";
/// The address columns.
pub(crate) const ADDRESS_COLUMNS: [&str; 2] = ["client_ip", "server_ip"];

/// A request with the file it came from.
pub(crate) struct Row {
    file: Arc<str>,
    req: Request,
}

pub(crate) fn column(i: usize, rows: &[Row]) -> ArrayRef {
    let r = rows.iter();
    match i {
        0 => strs(r.map(|x| Some(&*x.file))),
        1 => u64s(r.map(|x| x.req.frame)),
        2 => timestamps(r.map(|x| x.req.ts_ns)),
        3 => owned_strs(r.map(|x| x.req.src_ip.to_string())),
        4 => u16s(r.map(|x| x.req.src_port)),
        5 => owned_strs(r.map(|x| x.req.dst_ip.to_string())),
        6 => u16s(r.map(|x| x.req.dst_port)),
        7 => strs(r.map(|x| Some(x.req.method.as_str()))),
        8 => strs(r.map(|x| x.req.host.as_deref())),
        9 => strs(r.map(|x| Some(x.req.path.as_str()))),
        10 => {
            let lists: Vec<Vec<String>> = rows
                .iter()
                .map(|x| x.req.clients.iter().map(IpAddr::to_string).collect())
                .collect();
            crate::columns::str_lists(lists.iter().map(|l| l.iter().map(String::as_str)))
        }
        11 => strs(r.map(|x| Some(x.req.headers.as_str()))),
        _ => Arc::new(arrow::array::BooleanArray::from_iter(
            r.map(|x| Some(x.req.complete)),
        )),
    }
}

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
