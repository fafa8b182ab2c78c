//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimestampNanosecondType, UInt16Type, UInt64Type};
use capture_sql::query;
use capture_sql::{CaptureSet, ScanErrors, TableOptions};
use datafusion::prelude::SessionContext;

pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

pub fn context(
    paths: &[PathBuf],
    partitions: usize,
    opts: TableOptions,
) -> (SessionContext, Arc<ScanErrors>) {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let (files, problems) = CaptureSet::find(&paths);
    assert!(problems.is_empty(), "{problems:?}");
    let (ctx, errors) = query::local_context(partitions);
    query::register_tables(&ctx, Arc::new(files), &opts).unwrap();
    (ctx, errors)
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn collect(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    runtime()
        .block_on(async { ctx.sql(sql).await?.collect().await })
        .unwrap()
}

/// Every row of `batches` as a vector of text cells (lists joined with
/// `;`, timestamps as ns, nulls as `null`).
pub fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(b.columns().iter().map(|c| cell(c.as_ref(), r)).collect());
        }
    }
    out
}

pub fn cell(c: &dyn Array, r: usize) -> String {
    if c.is_null(r) {
        return "null".into();
    }
    match c.data_type() {
        DataType::Utf8 => c.as_string::<i32>().value(r).to_string(),
        DataType::Utf8View => c.as_string_view().value(r).to_string(),
        DataType::UInt8 => c
            .as_primitive::<arrow::datatypes::UInt8Type>()
            .value(r)
            .to_string(),
        DataType::UInt16 => c.as_primitive::<UInt16Type>().value(r).to_string(),
        DataType::UInt64 => c.as_primitive::<UInt64Type>().value(r).to_string(),
        DataType::UInt32 => c
            .as_primitive::<arrow::datatypes::UInt32Type>()
            .value(r)
            .to_string(),
        DataType::Int64 => c
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(r)
            .to_string(),
        DataType::Boolean => c.as_boolean().value(r).to_string(),
        DataType::Timestamp(arrow::datatypes::TimeUnit::Second, _) => c
            .as_primitive::<arrow::datatypes::TimestampSecondType>()
            .value(r)
            .to_string(),
        DataType::Timestamp(_, _) => c
            .as_primitive::<TimestampNanosecondType>()
            .value(r)
            .to_string(),
        DataType::List(_) => {
            let l = c.as_list::<i32>().value(r);
            (0..l.len())
                .map(|i| cell(l.as_ref(), i))
                .collect::<Vec<_>>()
                .join(";")
        }
        other => format!("<{other}>"),
    }
}

/// tls-audit's rows of `files` (its library, one thread), as text cells in
/// the column order of the `tls` table.
pub fn audit_rows(files: &[PathBuf]) -> (Vec<Vec<String>>, usize) {
    let audit = tls_handshake::audit::Audit::new(tls_handshake::audit::AuditOptions {
        threads: 1,
        ..Default::default()
    });
    let mut rows = Vec::new();
    let mut errors = 0;
    audit.run(
        files,
        |c| {
            rows.push(vec![
                c.file.clone(),
                opt(c.frame),
                c.first_seen_ns.to_string(),
                c.client_ip.to_string(),
                c.client_port.to_string(),
                c.server_ip.to_string(),
                c.server_port.to_string(),
                c.transport.as_str().to_owned(),
                c.version.clone().unwrap_or_else(|| "null".into()),
                c.client_version.clone().unwrap_or_else(|| "null".into()),
                c.offered_versions.join(";"),
                c.sni.clone().unwrap_or_else(|| "null".into()),
                c.alpn.join(";"),
                c.cipher.clone().unwrap_or_else(|| "null".into()),
                c.ja4.clone().unwrap_or_else(|| "null".into()),
                c.ja4s.clone().unwrap_or_else(|| "null".into()),
                opt(c.wrapped.as_ref()),
                opt(c.cert_cn.as_ref()),
                c.cert_san.join(";"),
                opt(c.cert_issuer.as_ref()),
                opt(c.cert_not_before_secs),
                opt(c.cert_not_after_secs),
                opt(c.cert_key_type.as_ref()),
                opt(c.cert_key_bits),
                opt(c.cert_signature.as_ref()),
                opt(c.cert_self_signed),
                opt(c.cert_chain_len),
                opt(c.cert_expired),
                opt(c.cert_weak_key),
                opt(c.cert_weak_signature),
            ])
        },
        |_, _| errors += 1,
    );
    (rows, errors)
}

/// An optional value as a text cell (`null` when missing).
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "null".into(), |x| x.to_string())
}

pub fn sorted(mut v: Vec<Vec<String>>) -> Vec<Vec<String>> {
    v.sort();
    v
}
