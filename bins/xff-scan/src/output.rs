//! Presentation only: the columns of the three outputs and the values of
//! a row, from what `xff_scan::report` returns.

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::Path;

use netops_cli::{Column, Value, columns};
use xff_scan::batch::{ClientSeen, Conversation, format_ts};
use xff_scan::report::Kind;
use xff_scan::scan::Match;

/// One row per match (the default).
const PACKET_COLUMNS: [&str; 12] = [
    "file",
    "packet",
    "ts",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "header",
    "client_ip",
    "position",
    "method",
    "host",
];

/// `--summary`: one row per connection.
const SUMMARY_COLUMNS: [&str; 10] = [
    "file",
    "client",
    "server",
    "proto",
    "client_ips",
    "matching_packets",
    "packets",
    "bytes",
    "first_seen",
    "last_seen",
];

/// `--list`: one row per client address.
const LIST_COLUMNS: [&str; 6] = [
    "client_ip",
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

fn ip_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
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

/// A connection in [`SUMMARY_COLUMNS`] order.
pub fn summary_row(c: &Conversation) -> [Value<'_>; 10] {
    let ips: Vec<String> = c.client_ips.iter().map(|i| i.to_string()).collect();
    [
        text(c.file.display().to_string()),
        text(ip_port(c.client.0, c.client.1)),
        text(ip_port(c.server.0, c.server.1)),
        text("tcp"),
        text(ips.join(" ")),
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
