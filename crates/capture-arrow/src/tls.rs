//! The `tls` table: one row per TLS connection, the rows and column names
//! of `tls-audit --format jsonl` ([`tls_handshake::audit::Connection`]).

use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use tls_handshake::audit::Connection;

use crate::columns::{
    self, display_strs, opt_bools, opt_ts_seconds, opt_u32s, opt_u64s, str_list_type, str_lists,
    strs, timestamps, ts_seconds_type, ts_type, u16s,
};

/// The schema of `tls`: `file, frame` (the ClientHello's frame number in
/// the file; null without a ClientHello), `first_seen, client_ip, client_port,
/// server_ip, server_port, transport, version, client_version,
/// offered_versions, sni, alpn, cipher, ja4, ja4s, wrapped` (the keys of
/// `tls-audit --format jsonl`, in its order), then the server
/// certificate's `cert_cn, cert_san, cert_issuer, cert_not_before,
/// cert_not_after` (timestamps in seconds, UTC), `cert_key_type,
/// cert_key_bits, cert_signature, cert_self_signed, cert_chain_len,
/// cert_expired, cert_weak_key, cert_weak_signature`.
pub fn schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("file", DataType::Utf8, false),
            Field::new("frame", DataType::UInt64, true),
            Field::new("first_seen", ts_type(), false),
            Field::new("client_ip", DataType::Utf8, false),
            Field::new("client_port", DataType::UInt16, false),
            Field::new("server_ip", DataType::Utf8, false),
            Field::new("server_port", DataType::UInt16, false),
            Field::new("transport", DataType::Utf8, false),
            Field::new("version", DataType::Utf8, true),
            Field::new("client_version", DataType::Utf8, true),
            Field::new("offered_versions", str_list_type(), false),
            Field::new("sni", DataType::Utf8, true),
            Field::new("alpn", str_list_type(), false),
            Field::new("cipher", DataType::Utf8, true),
            Field::new("ja4", DataType::Utf8, true),
            Field::new("ja4s", DataType::Utf8, true),
            Field::new("wrapped", DataType::Utf8, true),
            Field::new("cert_cn", DataType::Utf8, true),
            Field::new("cert_san", str_list_type(), false),
            Field::new("cert_issuer", DataType::Utf8, true),
            Field::new("cert_not_before", ts_seconds_type(), true),
            Field::new("cert_not_after", ts_seconds_type(), true),
            Field::new("cert_key_type", DataType::Utf8, true),
            Field::new("cert_key_bits", DataType::UInt32, true),
            Field::new("cert_signature", DataType::Utf8, true),
            Field::new("cert_self_signed", DataType::Boolean, true),
            Field::new("cert_chain_len", DataType::UInt32, true),
            Field::new("cert_expired", DataType::Boolean, true),
            Field::new("cert_weak_key", DataType::Boolean, true),
            Field::new("cert_weak_signature", DataType::Boolean, true),
        ]))
    })
    .clone()
}

/// The time column of [`schema`].
pub const TIME_COLUMN: &str = "first_seen";
/// The address columns of [`schema`].
pub const ADDRESS_COLUMNS: [&str; 2] = ["client_ip", "server_ip"];

/// Builds column `i` of [`schema`] from `rows`.
pub fn column(i: usize, rows: &[Connection]) -> ArrayRef {
    let r = rows.iter();
    match i {
        0 => strs(r.map(|c| Some(c.file.as_str()))),
        1 => opt_u64s(r.map(|c| c.frame)),
        2 => timestamps(r.map(|c| c.first_seen_ns)),
        3 => display_strs(r.map(|c| c.client_ip)),
        4 => u16s(r.map(|c| c.client_port)),
        5 => display_strs(r.map(|c| c.server_ip)),
        6 => u16s(r.map(|c| c.server_port)),
        7 => strs(r.map(|c| Some(c.transport.as_str()))),
        8 => strs(r.map(|c| c.version.as_deref())),
        9 => strs(r.map(|c| c.client_version.as_deref())),
        10 => str_lists(r.map(|c| c.offered_versions.iter().map(String::as_str))),
        11 => strs(r.map(|c| c.sni.as_deref())),
        12 => str_lists(r.map(|c| c.alpn.iter().map(String::as_str))),
        13 => strs(r.map(|c| c.cipher.as_deref())),
        14 => strs(r.map(|c| c.ja4.as_deref())),
        15 => strs(r.map(|c| c.ja4s.as_deref())),
        16 => strs(r.map(|c| c.wrapped.as_deref())),
        17 => strs(r.map(|c| c.cert_cn.as_deref())),
        18 => str_lists(r.map(|c| c.cert_san.iter().map(String::as_str))),
        19 => strs(r.map(|c| c.cert_issuer.as_deref())),
        20 => opt_ts_seconds(r.map(|c| c.cert_not_before_secs)),
        21 => opt_ts_seconds(r.map(|c| c.cert_not_after_secs)),
        22 => strs(r.map(|c| c.cert_key_type.as_deref())),
        23 => opt_u32s(r.map(|c| c.cert_key_bits)),
        24 => strs(r.map(|c| c.cert_signature.as_deref())),
        25 => opt_bools(r.map(|c| c.cert_self_signed)),
        26 => opt_u32s(r.map(|c| c.cert_chain_len)),
        27 => opt_bools(r.map(|c| c.cert_expired)),
        28 => opt_bools(r.map(|c| c.cert_weak_key)),
        _ => opt_bools(r.map(|c| c.cert_weak_signature)),
    }
}

/// Every column of `tls` as one batch (for `tls-audit --format parquet`
/// and other callers holding [`Connection`] rows).
///
/// # Errors
/// Only on a bug in [`column()`] (a column not matching its field).
pub fn batch(rows: &[Connection]) -> Result<RecordBatch, ArrowError> {
    let s = schema();
    let all: Vec<usize> = (0..s.fields().len()).collect();
    columns::batch(rows, &s, &all, column)
}
