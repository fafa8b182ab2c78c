//! Presentation only: the columns of the rows and summary rows that
//! `tls_handshake::audit` produces, as `netops_cli` values.

use netops_cli::{Column, Value, columns};
use tls_handshake::audit::{Connection, SummaryRow};

/// Column names of the per-connection output, in order.
pub const COLUMNS: [&str; 15] = [
    "file",
    "first_seen",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "transport",
    "version",
    "client_version",
    "offered_versions",
    "sni",
    "alpn",
    "cipher",
    "ja4",
    "ja4s",
];

/// Column names of the `--summary` output, in order.
pub const SUMMARY_COLUMNS: [&str; 9] = [
    "version",
    "client_ip",
    "server_ip",
    "server_port",
    "transport",
    "sni",
    "connections",
    "first_seen",
    "last_seen",
];

/// The columns for the per-connection or the `--summary` output.
pub fn header(summary: bool) -> Vec<Column> {
    columns(if summary { &SUMMARY_COLUMNS } else { &COLUMNS })
}

/// A connection's values in [`COLUMNS`] order (lists are `;`-joined in
/// table and CSV, arrays in JSON; a missing value is `-` in the table).
pub fn row(c: &Connection) -> [Value<'_>; 15] {
    [
        (&c.file).into(),
        (&c.first_seen).into(),
        c.client_ip.into(),
        c.client_port.into(),
        c.server_ip.into(),
        c.server_port.into(),
        c.transport.as_str().into(),
        c.version.as_ref().into(),
        c.client_version.as_ref().into(),
        (&c.offered_versions).into(),
        c.sni.as_ref().into(),
        (&c.alpn).into(),
        c.cipher.as_ref().into(),
        c.ja4.as_ref().into(),
        c.ja4s.as_ref().into(),
    ]
}

/// A `--summary` row's values in [`SUMMARY_COLUMNS`] order.
pub fn summary_row(r: &SummaryRow) -> [Value<'_>; 9] {
    [
        r.version.as_ref().into(),
        r.client_ip.into(),
        r.server_ip.into(),
        r.server_port.into(),
        r.transport.as_str().into(),
        r.sni.as_ref().into(),
        r.connections.into(),
        (&r.first_seen).into(),
        (&r.last_seen).into(),
    ]
}
