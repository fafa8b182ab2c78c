//! The Arrow form of netops-kit's capture rows: the schemas of the tables
//! `tls`, `http` and `flows` and the building of their
//! [`RecordBatch`](arrow_array::RecordBatch)es from the scanners' row
//! structs, with no query engine attached.
//!
//! `capture-sql` serves these batches to Apache DataFusion; `tls-audit
//! --format parquet` writes them to Parquet. Both therefore agree on column
//! names and types (`first_seen` a UTC nanosecond timestamp, lists as
//! Arrow lists) without `tls-audit` linking DataFusion.
//!
//! ```
//! let rows: Vec<tls_handshake::audit::Connection> = Vec::new();
//! let b = capture_arrow::tls::batch(&rows).unwrap();
//! assert_eq!(b.num_rows(), 0);
//! assert_eq!(b.schema(), capture_arrow::tls::schema());
//! ```
#![deny(missing_docs)]

pub mod columns;
pub mod flows;
pub mod http;
pub mod tls;

pub use columns::{UTC, str_list_type, ts_type};
