//! SQL over packet captures: the tables `tls`, `http` and `flows` as
//! [Apache DataFusion](https://datafusion.apache.org) table providers whose
//! scans run netops-kit's capture scanners and stream Arrow record
//! batches; the engine of the `capture-sql` command.
//!
//! * [`provider::CaptureTable`]: a table over a [`provider::CaptureSet`]
//!   (files, directories, globs). Its scan is a [`CaptureScanExec`] built
//!   from a plain, serializable [`spec::ScanSpec`]: one partition per file
//!   and, for a large file of `tls` or `http`, one per region of it; only the
//!   projected columns are built, `LIMIT` stops the scan, and time-range
//!   and address predicates skip frames before they are decoded
//!   ([`filter`]).
//! * [`tls`]: the rows of `tls-audit` ([`tls_handshake::audit`]); [`http`]:
//!   every HTTP/1.x request header block ([`xff_scan::requests`]);
//!   [`flows`]: one row per TCP/UDP flow.
//! * [`query`]: a local session, registration of the tables, running SQL
//!   and writing table/CSV/JSONL/Parquet.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use capture_sql::provider::{CaptureSet, TableOptions};
//! use capture_sql::query::{self, OutputFormat};
//!
//! let (files, problems) = CaptureSet::find(&["testdata/tls".to_string()]);
//! assert!(problems.is_empty());
//! let (ctx, scan_errors) = query::local_context(0);
//! query::register_tables(&ctx, Arc::new(files), &TableOptions::default())?;
//! let sql = "SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC";
//! query::run(&ctx, sql, false, OutputFormat::Table, None, &mut std::io::stdout()).await?;
//! for e in scan_errors.take() {
//!     eprintln!("{e}"); // a damaged file: its rows before the damage are in the result
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod cluster;
pub mod codec;
mod error;
pub mod exec;
pub mod filter;
pub mod flows;
pub mod http;
pub mod provider;
pub mod query;
pub mod spec;
pub mod tls;

pub use capture_arrow::{UTC, str_list_type, ts_type};
pub use error::Error;
pub use exec::{CaptureScanExec, ScanErrors};
pub use provider::{CaptureSet, CaptureTable, TableOptions};
pub use spec::{ScanFilter, ScanSpec, ScanUnit, TableKind};
