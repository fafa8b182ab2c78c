//! `--format parquet`: the rows as Apache Parquet on stdout, through the
//! same Arrow batches as capture-sql's `tls` table (same column names and
//! types: `first_seen` a UTC timestamp, lists as lists).

use std::io::Write;
use std::path::PathBuf;

use tls_handshake::audit::{Audit, Connection, Report};

/// Rows per Parquet row group batch.
const BATCH: usize = 8192;

/// Runs `audit` over `files`, writing every row to stdout as Parquet.
/// File errors go to `on_error`; returns the report.
pub fn run(
    audit: &Audit,
    files: &[PathBuf],
    on_error: impl FnMut(&std::path::Path, &str),
) -> std::io::Result<Report> {
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut w = parquet::arrow::ArrowWriter::try_new(out, capture_sql::tls::schema(), None)
        .map_err(std::io::Error::other)?;
    let mut rows: Vec<Connection> = Vec::with_capacity(BATCH);
    let mut err: Option<std::io::Error> = None;
    let mut flush = |rows: &mut Vec<Connection>, w: &mut parquet::arrow::ArrowWriter<_>| {
        if rows.is_empty() || err.is_some() {
            rows.clear();
            return;
        }
        let r = capture_sql::tls::batch(rows)
            .map_err(std::io::Error::other)
            .and_then(|b| w.write(&b).map_err(std::io::Error::other));
        if let Err(e) = r {
            err = Some(e);
        }
        rows.clear();
    };
    let report = audit.run(
        files,
        |c| {
            rows.push(c);
            if rows.len() == BATCH {
                flush(&mut rows, &mut w);
            }
        },
        on_error,
    );
    flush(&mut rows, &mut w);
    if let Some(e) = err {
        return Err(e);
    }
    let mut out = w.into_inner().map_err(std::io::Error::other)?;
    out.flush()?;
    Ok(report)
}
