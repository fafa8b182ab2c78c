//! The plain, serializable description of a scan: which table, which
//! stretches of which files in each partition, which columns, which
//! pushed-down filters and limit. [`CaptureScanExec`](crate::CaptureScanExec)
//! is built from it and gives it back, so a codec can ship a scan to
//! another machine as JSON ([`ScanSpec::to_json`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The tables capture-sql knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    /// One row per TLS connection (the rows of `tls-audit`).
    Tls,
    /// One row per HTTP/1.x request header block.
    Http,
    /// One row per TCP/UDP flow.
    Flows,
}

impl TableKind {
    /// Every table, in registration order.
    pub const ALL: [TableKind; 3] = [TableKind::Tls, TableKind::Http, TableKind::Flows];

    /// The SQL name of the table.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Tls => "tls",
            TableKind::Http => "http",
            TableKind::Flows => "flows",
        }
    }

    /// The table's full schema.
    pub fn schema(self) -> arrow::datatypes::SchemaRef {
        match self {
            TableKind::Tls => crate::tls::schema(),
            TableKind::Http => crate::http::schema(),
            TableKind::Flows => crate::flows::schema(),
        }
    }

    /// Whether one file of this table may be cut into several partitions.
    /// `tls` and `http` are: a region owns the rows whose first record
    /// (first hello, request line) lies inside it and reads on past its
    /// end to finish them (see [`crate::tls`] and [`crate::http`]). Rows
    /// of `flows` aggregate over a whole file, so a file is one `flows`
    /// unit.
    pub fn splits_files(self) -> bool {
        matches!(self, TableKind::Tls | TableKind::Http)
    }

    /// The table called `name`, if it is one of [`TableKind::ALL`].
    pub fn from_name(name: &str) -> Option<TableKind> {
        TableKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether `column` of this table takes only a handful of values
    /// whatever the capture (TLS versions, the transport, true/false): a
    /// GROUP BY on such columns alone has a handful of groups, which is
    /// what [`crate::query`] plans a cluster's final aggregate by.
    pub fn few_values(self, column: &str) -> bool {
        match self {
            TableKind::Tls => matches!(
                column,
                "version"
                    | "client_version"
                    | "transport"
                    | "wrapped"
                    | "cert_self_signed"
                    | "cert_expired"
                    | "cert_weak_key"
                    | "cert_weak_signature"
            ),
            TableKind::Http => column == "complete",
            TableKind::Flows => column == "transport",
        }
    }

    /// Whether an unfiltered, unlimited scan of one whole file of this
    /// table can run on several threads (tls-audit's parallel scan): what
    /// [`crate::TableOptions::whole_files_on_threads`] chooses over
    /// regions. `http` has no such scan; `flows` never cuts a file.
    pub fn scans_whole_files_on_threads(self) -> bool {
        matches!(self, TableKind::Tls)
    }
}

/// A stretch of one capture file a partition scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanUnit {
    /// The file, as the user named it (or as a directory walk found it);
    /// it must be readable under this path wherever the scan runs.
    pub path: String,
    /// Byte offset of the region: rows whose first record starts at or
    /// after it belong to this unit (0: the whole file from its start).
    pub start: u64,
    /// End of the region (`None`: to the end of the file). Rows whose first
    /// record starts at or after it belong to the next unit; the scan reads
    /// on past it only to finish what started inside.
    pub end: Option<u64>,
}

impl ScanUnit {
    /// A unit covering a whole file.
    pub fn whole(path: impl Into<String>) -> ScanUnit {
        ScanUnit {
            path: path.into(),
            start: 0,
            end: None,
        }
    }

    /// True when the unit is a whole file.
    pub fn is_whole(&self) -> bool {
        self.start == 0 && self.end.is_none()
    }
}

/// Filters pushed into the scan, in a form the scanners use to skip
/// frames before decoding them. They are *inexact*: the engine applies the
/// original predicates to the rows again, so a scan may return more rows
/// than match, never fewer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFilter {
    /// Rows with a time (`first_seen`, `ts`) before this (ns since the
    /// epoch, UTC) are not wanted.
    pub time_min_ns: Option<i64>,
    /// Rows with a time after this are not wanted.
    pub time_max_ns: Option<i64>,
    /// Every set here must contain the source or the destination address
    /// of a packet for it to matter (from `client_ip = '..'`,
    /// `server_ip IN (..)`, `client_ip = x OR server_ip = x`).
    pub addresses: Vec<Vec<IpAddr>>,
}

impl ScanFilter {
    /// True when nothing was pushed down.
    pub fn is_empty(&self) -> bool {
        self.time_min_ns.is_none() && self.time_max_ns.is_none() && self.addresses.is_empty()
    }

    /// Whether a packet between `src` and `dst` can matter to a row.
    #[inline]
    pub fn addresses_match(&self, src: IpAddr, dst: IpAddr) -> bool {
        self.addresses
            .iter()
            .all(|set| set.contains(&src) || set.contains(&dst))
    }
}

/// Everything a scan needs, in plain serializable fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSpec {
    /// The table scanned.
    pub table: TableKind,
    /// For each output partition, the units it scans in order.
    pub partitions: Vec<Vec<ScanUnit>>,
    /// Indices of the table's columns to produce (`None`: all).
    pub projection: Option<Vec<usize>>,
    /// Pushed-down filters.
    pub filter: ScanFilter,
    /// Stop each partition after this many rows (`LIMIT` pushed down).
    pub limit: Option<usize>,
    /// Rows per record batch.
    pub batch_size: usize,
    /// A region that starts mid-file is walked from this many bytes
    /// before its start (see [`crate::tls::OVERLAP_BYTES`]); an `http`
    /// region also follows its unfinished header blocks at most this far
    /// past its end.
    #[serde(default = "default_overlap")]
    pub overlap_bytes: u64,
}

fn default_overlap() -> u64 {
    crate::tls::OVERLAP_BYTES as u64
}

impl ScanSpec {
    /// Threads for walking one whole file: the cores of this machine the
    /// scan's other partitions leave over (at least one), so that a query
    /// over one big file uses every core.
    pub fn spare_threads(&self) -> usize {
        (pcap_core::parallel::threads() / self.partitions.len().max(1)).max(1)
    }

    /// The spec as JSON (what a codec ships to an executor).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A spec back from [`to_json`](Self::to_json).
    pub fn from_json(bytes: &[u8]) -> Result<ScanSpec, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Codec(e.to_string()))
    }

    /// The schema of the rows the scan produces (the projection of the
    /// table's schema).
    pub fn projected_schema(&self) -> Result<arrow::datatypes::SchemaRef, Error> {
        let full = self.table.schema();
        match &self.projection {
            None => Ok(full),
            Some(p) => full
                .project(p)
                .map(std::sync::Arc::new)
                .map_err(|e| Error::Codec(e.to_string())),
        }
    }
}
