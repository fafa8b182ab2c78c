//! The `http` table: one row per HTTP/1.x request header block
//! ([`xff_scan::requests::Request`]).

use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, BooleanArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use xff_scan::requests::Request;

use crate::columns::{
    display_lists, display_strs, str_list_type, strs, timestamps, ts_type, u16s, u64s,
};

/// The schema of `http`: `file, frame, ts, client_ip, client_port,
/// server_ip, server_port, method, http_host, path, forwarded_for,
/// headers, complete` (the names of docs/CLI-CONTRACT.md: `http_host` is
/// the `Host` header). `client_ip`/`server_ip` are the TCP endpoints (the sender of
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
            Field::new("http_host", DataType::Utf8, true),
            Field::new("path", DataType::Utf8, false),
            Field::new("forwarded_for", str_list_type(), false),
            Field::new("headers", DataType::Utf8, false),
            Field::new("complete", DataType::Boolean, false),
        ]))
    })
    .clone()
}

/// The time column of [`schema`].
pub const TIME_COLUMN: &str = "ts";
/// The address columns of [`schema`].
pub const ADDRESS_COLUMNS: [&str; 2] = ["client_ip", "server_ip"];

/// A request with the file it came from: one row of `http`.
pub struct Row {
    /// The capture file.
    pub file: Arc<str>,
    /// The request.
    pub req: Request,
}

/// Builds column `i` of [`schema`] from `rows`.
pub fn column(i: usize, rows: &[Row]) -> ArrayRef {
    let r = rows.iter();
    match i {
        0 => strs(r.map(|x| Some(&*x.file))),
        1 => u64s(r.map(|x| x.req.frame)),
        2 => timestamps(r.map(|x| x.req.ts_ns)),
        3 => display_strs(r.map(|x| x.req.src_ip)),
        4 => u16s(r.map(|x| x.req.src_port)),
        5 => display_strs(r.map(|x| x.req.dst_ip)),
        6 => u16s(r.map(|x| x.req.dst_port)),
        7 => strs(r.map(|x| Some(x.req.method.as_str()))),
        8 => strs(r.map(|x| x.req.host.as_deref())),
        9 => strs(r.map(|x| Some(x.req.path.as_str()))),
        10 => display_lists(r.map(|x| x.req.clients.iter())),
        11 => strs(r.map(|x| Some(x.req.headers.as_str()))),
        _ => Arc::new(BooleanArray::from_iter(r.map(|x| Some(x.req.complete)))),
    }
}
