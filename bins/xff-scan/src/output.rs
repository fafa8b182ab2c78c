//! Presentation only: the columns of the three outputs and the values of
//! a row, from what `xff_scan::report` returns.

use std::borrow::Cow;
use std::path::Path;

use netops_cli::{Column, Value, columns};
use xff_scan::batch::{ClientSeen, Conversation, format_ts};
use xff_scan::report::Kind;
use xff_scan::scan::Match;

/// One row per match (the default). The names of docs/CLI-CONTRACT.md,
/// equal to capture-sql's `http` table where they overlap: `frame`, `ts`
/// (the packet's time), the connection's `client_*`/`server_*` (the TCP
/// endpoints: the proxy and the server), and `forwarded_ip` for the
/// address the proxy header names; `http_host` is the request's `Host`.
pub const PACKET_COLUMNS: [&str; 12] = [
    "file",
    "frame",
    "ts",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "header",
    "forwarded_ip",
    "position",
    "method",
    "http_host",
];

/// `--summary`: one row per connection.
pub const SUMMARY_COLUMNS: [&str; 12] = [
    "file",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "transport",
    "forwarded_ips",
    "matching_packets",
    "packets",
    "bytes",
    "first_seen",
    "last_seen",
];

/// `--list`: one row per address named in the headers.
pub const LIST_COLUMNS: [&str; 6] = [
    "forwarded_ip",
    "hits",
    "as_origin",
    "connections",
    "first_seen",
    "last_seen",
];

/// The columns of the output for `kind`.
pub fn columns_for(kind: Kind) -> Vec<Column> {
    columns(match kind {
        Kind::List => &LIST_COLUMNS,
        Kind::Summary => &SUMMARY_COLUMNS,
        Kind::Packets => &PACKET_COLUMNS,
    })
}

/// Text; empty text prints as nothing in table/CSV and `null` in JSON.
fn text<'a>(s: impl Into<Cow<'a, str>>) -> Value<'a> {
    Value::non_empty(s)
}

/// A match in [`PACKET_COLUMNS`] order; `headers` are the searched
/// header names (`Hit::header` indexes them).
pub fn packet_row<'a>(file: &Path, m: &'a Match, headers: &[&'a str]) -> [Value<'a>; 12] {
    [
        text(file.display().to_string()),
        m.frame.into(),
        text(format_ts(m.ts_ns)),
        text(m.src_ip.to_string()),
        m.src_port.into(),
        text(m.dst_ip.to_string()),
        m.dst_port.into(),
        text(headers[m.hit.header]),
        text(m.hit.client_ip.to_string()),
        m.hit.position.into(),
        text(m.hit.method.to_string()),
        text(m.hit.host.as_deref().unwrap_or("")),
    ]
}

/// A connection in [`SUMMARY_COLUMNS`] order (`forwarded_ips` is a list:
/// `;`-joined in table and CSV, an array in JSON).
pub fn summary_row(c: &Conversation) -> [Value<'_>; 12] {
    let ips: Vec<Value<'_>> = c.client_ips.iter().map(|i| text(i.to_string())).collect();
    [
        text(c.file.display().to_string()),
        text(c.client.0.to_string()),
        c.client.1.into(),
        text(c.server.0.to_string()),
        c.server.1.into(),
        text("tcp"),
        Value::List(ips),
        c.matching_packets.into(),
        c.packets.into(),
        c.bytes.into(),
        text(format_ts(c.first_ns)),
        text(format_ts(c.last_ns)),
    ]
}

/// A client address in [`LIST_COLUMNS`] order.
pub fn list_row(c: &ClientSeen) -> [Value<'_>; 6] {
    [
        text(c.client_ip.to_string()),
        c.hits.into(),
        c.as_origin.into(),
        c.connections.into(),
        text(format_ts(c.first_ns)),
        text(format_ts(c.last_ns)),
    ]
}
