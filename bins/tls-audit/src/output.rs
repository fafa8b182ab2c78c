//! Presentation only: the columns of the rows and summary rows that
//! `tls_handshake::audit` produces, as `netops_cli` values.

use netops_cli::{Column, Value, columns};
use tls_handshake::audit::{Connection, SummaryRow};

/// Column names of the per-connection output in CSV/JSONL, in order.
pub const COLUMNS: [&str; 29] = [
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
    "wrapped",
    "cert_cn",
    "cert_san",
    "cert_issuer",
    "cert_not_before",
    "cert_not_after",
    "cert_key_type",
    "cert_key_bits",
    "cert_signature",
    "cert_self_signed",
    "cert_chain_len",
    "cert_expired",
    "cert_weak_key",
    "cert_weak_signature",
];

/// Column names of the table: the connection columns up to `ja4` (not `ja4s`), then
/// only the certificate facts people act on (the flags joined in one
/// column); CSV/JSONL have every field.
pub const TABLE_COLUMNS: [&str; 18] = [
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
    "wrapped",
    "cert_cn",
    "cert_not_after",
    "cert_flags",
];

/// Column names of the `--summary` output, in order.
pub const SUMMARY_COLUMNS: [&str; 12] = [
    "version",
    "client_ip",
    "server_ip",
    "server_port",
    "transport",
    "sni",
    "connections",
    "first_seen",
    "last_seen",
    "cert_cn",
    "cert_not_after",
    "cert_flags",
];

/// The columns for the per-connection (table or not) or the `--summary` output.
pub fn header(summary: bool, table: bool) -> Vec<Column> {
    columns(if summary {
        &SUMMARY_COLUMNS
    } else if table {
        &TABLE_COLUMNS
    } else {
        &COLUMNS
    })
}

/// A connection's values in [`COLUMNS`] order, or [`TABLE_COLUMNS`] order
/// for the table (lists are `;`-joined in table and CSV, arrays in JSON; a
/// missing value is `-` in the table).
pub fn row(c: &Connection, table: bool) -> Vec<Value<'_>> {
    let mut v: Vec<Value<'_>> = vec![
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
    ];
    if !table {
        v.push(c.ja4s.as_ref().into());
    }
    v.extend([c.wrapped.as_ref().into(), c.cert_cn.as_ref().into()]);
    if table {
        v.push(c.cert_not_after.as_ref().into());
        v.push(c.cert_flags().into());
        return v;
    }
    v.extend([
        (&c.cert_san).into(),
        c.cert_issuer.as_ref().into(),
        c.cert_not_before.as_ref().into(),
        c.cert_not_after.as_ref().into(),
        c.cert_key_type.as_ref().into(),
        c.cert_key_bits.into(),
        c.cert_signature.as_ref().into(),
        c.cert_self_signed.into(),
        c.cert_chain_len.into(),
        c.cert_expired.into(),
        c.cert_weak_key.into(),
        c.cert_weak_signature.into(),
    ]);
    v
}

/// A `--summary` row's values in [`SUMMARY_COLUMNS`] order.
pub fn summary_row(r: &SummaryRow) -> [Value<'_>; 12] {
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
        r.cert_cn.as_ref().into(),
        r.cert_not_after.as_ref().into(),
        r.cert_flags.as_ref().into(),
    ]
}
