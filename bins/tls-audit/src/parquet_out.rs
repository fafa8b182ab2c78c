//! `--format parquet`: the rows as Apache Parquet on stdout, through the
//! same Arrow batches as capture-sql's `tls` table (same column names and
//! types: `first_seen` a UTC timestamp, lists as lists).

use std::io::Write;
use std::path::PathBuf;

use parquet::errors::ParquetError;
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
    let mut w = parquet::arrow::ArrowWriter::try_new(out, capture_arrow::tls::schema(), None)
        .map_err(io)?;
    let mut rows: Vec<Connection> = Vec::with_capacity(BATCH);
    let mut err: Option<std::io::Error> = None;
    let mut flush = |rows: &mut Vec<Connection>, w: &mut parquet::arrow::ArrowWriter<_>| {
        if rows.is_empty() || err.is_some() {
            rows.clear();
            return;
        }
        let r = capture_arrow::tls::batch(rows)
            .map_err(std::io::Error::other)
            .and_then(|b| w.write(&b).map_err(io));
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
    let mut out = w.into_inner().map_err(io)?;
    out.flush()?;
    Ok(report)
}

/// The I/O error under a Parquet error (its kind kept, so that a closed
/// pipe is still [`std::io::ErrorKind::BrokenPipe`]); other Parquet errors
/// as `Other`.
fn io(e: ParquetError) -> std::io::Error {
    match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => *io,
            Err(other) => std::io::Error::other(other),
        },
        e => std::io::Error::other(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    #[test]
    fn io_errors_keep_their_kind() {
        let e: ParquetError = std::io::Error::from(ErrorKind::BrokenPipe).into();
        assert_eq!(io(e).kind(), ErrorKind::BrokenPipe);
        let e = ParquetError::General("bad".into());
        let got = io(e);
        assert_eq!(got.kind(), ErrorKind::Other);
        assert!(got.to_string().contains("bad"), "{got}");
    }
}
