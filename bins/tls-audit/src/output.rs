//! Presentation only: the columns of the rows and summary rows that
//! `tls_handshake::audit` produces, as `netops_cli` values.

use netops_cli::{Column, Value, columns};
use tls_handshake::audit::{Connection, SummaryRow};

/// Column names of the per-connection output in CSV/JSONL, in order (the
/// JSONL keys, and capture-sql's `tls` columns).
pub const COLUMNS: [&str; 30] = [
    "file",
    "frame",
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

/// The columns of [`COLUMNS`] the table leaves out, to stay narrow: the
/// frame number and `ja4s`, and of the certificate all but `cert_cn` and
/// `cert_not_after` (its flags follow in one column, [`TABLE_EXTRA`]).
const NOT_IN_TABLE: [&str; 13] = [
    "frame",
    "ja4s",
    "cert_san",
    "cert_issuer",
    "cert_not_before",
    "cert_key_type",
    "cert_key_bits",
    "cert_signature",
    "cert_self_signed",
    "cert_chain_len",
    "cert_expired",
    "cert_weak_key",
    "cert_weak_signature",
];

/// The table's last column, after its selection of [`COLUMNS`]: the
/// certificate flags that are set, joined (for `cert_self_signed`,
/// `cert_expired`, `cert_weak_key`, `cert_weak_signature`).
pub const TABLE_EXTRA: &str = "cert_flags";

/// True for the columns of [`COLUMNS`] the table shows.
fn in_table(name: &str) -> bool {
    !NOT_IN_TABLE.contains(&name)
}

/// Column names of the table: [`COLUMNS`] without [`NOT_IN_TABLE`], then
/// [`TABLE_EXTRA`].
pub fn table_columns() -> Vec<&'static str> {
    COLUMNS
        .iter()
        .copied()
        .filter(|c| in_table(c))
        .chain([TABLE_EXTRA])
        .collect()
}

/// Column names of the `--summary` output, in order.
pub const SUMMARY_COLUMNS: [&str; 13] = [
    "version",
    "client_version",
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
    if summary {
        columns(&SUMMARY_COLUMNS)
    } else if table {
        columns(&table_columns())
    } else {
        columns(&COLUMNS)
    }
}

/// A connection's values in [`COLUMNS`] order (the CSV and JSON row:
/// lists are `;`-joined in CSV, arrays in JSON).
pub fn all_values(c: &Connection) -> [Value<'_>; 30] {
    [
        (&c.file).into(),
        c.frame.into(),
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
        c.wrapped.as_ref().into(),
        c.cert_cn.as_ref().into(),
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
    ]
}

/// A connection's values in [`table_columns`] order (lists `;`-joined, a
/// missing value `-`).
pub fn table_row(c: &Connection) -> Vec<Value<'_>> {
    all_values(c)
        .into_iter()
        .zip(COLUMNS)
        .filter(|(_, name)| in_table(name))
        .map(|(v, _)| v)
        .chain([c.cert_flags().into()])
        .collect()
}

/// A `--summary` row's values in [`SUMMARY_COLUMNS`] order.
pub fn summary_row(r: &SummaryRow) -> [Value<'_>; 13] {
    [
        r.version.as_ref().into(),
        r.client_version.as_ref().into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_a_selection_of_the_columns_in_their_order() {
        let t = table_columns();
        assert_eq!(
            t,
            [
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
            ]
        );
        // Every left-out name is a real column (a typo would show it).
        for n in NOT_IN_TABLE {
            assert!(COLUMNS.contains(&n), "{n}");
        }
    }

    #[test]
    fn columns_are_capture_arrows_tls_schema() {
        let names: Vec<String> = capture_arrow::tls::schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, COLUMNS);
    }
}
