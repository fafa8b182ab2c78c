//! The capture tables as DataFusion [`TableProvider`]s, and the set of
//! capture files they read.

use std::any::Any;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::exec::CaptureScanExec;
use crate::spec::{ScanSpec, ScanUnit, TableKind};

/// One capture file of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureFile {
    /// The path, as given or found.
    pub path: String,
    /// Size in bytes when registered.
    pub len: u64,
    /// Gzip-compressed (read whole: never cut into regions).
    pub gzip: bool,
}

/// How the tables plan their scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableOptions {
    /// A file larger than this is cut into regions scanned as separate
    /// partitions (at most one per target partition), when the table
    /// allows it ([`TableKind::splits_files`]).
    pub split_bytes: u64,
    /// Rows per record batch.
    pub batch_size: usize,
    /// How far before a region's start its scan begins (connections that
    /// started earlier are left to the previous region); also how far past
    /// its end an `http` region follows its unfinished header blocks.
    pub overlap_bytes: u64,
    /// A `tls` scan with neither filter nor limit takes every file whole,
    /// instead of cutting the large ones into regions, and walks a file on
    /// the cores the scan's other partitions leave over with tls-audit's
    /// parallel walk (headers-only lanes on each thread, chunks joined in
    /// file order), which reads ~1.5x faster per byte than a region's
    /// walk. For sessions whose partitions share one machine (the
    /// `capture-sql` command sets it when it runs locally, unless
    /// `--split-mib` is given); on a cluster regions are what spreads one
    /// file over executors.
    #[serde(default)]
    pub whole_files_on_threads: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            split_bytes: 64 << 20,
            batch_size: 8192,
            overlap_bytes: crate::tls::OVERLAP_BYTES as u64,
            whole_files_on_threads: false,
        }
    }
}

/// The capture files behind the tables, found from paths given by the
/// user: files, directories (walked for capture files) and globs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureSet {
    /// The files, in the order found.
    pub files: Vec<CaptureFile>,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl CaptureSet {
    /// Finds the capture files in `paths`. Paths that cannot be read are
    /// returned as errors next to the set (one bad path does not stop the
    /// others).
    pub fn find(paths: &[String]) -> (CaptureSet, Vec<Error>) {
        let mut given: Vec<PathBuf> = Vec::new();
        let mut errors = Vec::new();
        for p in paths {
            if is_glob(p) && !std::path::Path::new(p).exists() {
                match glob::glob(p) {
                    Ok(entries) => {
                        let mut n = 0;
                        for e in entries {
                            match e {
                                Ok(path) => {
                                    n += 1;
                                    given.push(path)
                                }
                                Err(e) => errors.push(Error::Path {
                                    path: e.path().to_path_buf(),
                                    source: std::io::Error::other(e.error().to_string()),
                                }),
                            }
                        }
                        if n == 0 {
                            errors.push(Error::NoFiles(p.clone()));
                        }
                    }
                    Err(e) => errors.push(Error::Glob {
                        pattern: p.clone(),
                        msg: e.msg.to_string(),
                    }),
                }
            } else {
                given.push(PathBuf::from(p));
            }
        }
        let (found, bad) = pcap_core::inputs::expand(&given);
        errors.extend(
            bad.into_iter()
                .map(|(path, source)| Error::Path { path, source }),
        );
        let mut files = Vec::new();
        for path in found {
            let meta = std::fs::metadata(&path);
            let mut magic = [0u8; 2];
            let gzip = std::fs::File::open(&path)
                .and_then(|mut f| f.read_exact(&mut magic))
                .is_ok()
                && magic == [0x1f, 0x8b];
            match meta {
                Ok(m) => files.push(CaptureFile {
                    path: path.display().to_string(),
                    len: m.len(),
                    gzip,
                }),
                Err(source) => errors.push(Error::Path { path, source }),
            }
        }
        (CaptureSet { files }, errors)
    }
}

/// One capture table (`tls`, `http` or `flows`) over a [`CaptureSet`].
#[derive(Debug, Clone)]
pub struct CaptureTable {
    kind: TableKind,
    files: Arc<CaptureSet>,
    opts: TableOptions,
}

impl CaptureTable {
    /// The table `kind` over `files`.
    pub fn new(kind: TableKind, files: Arc<CaptureSet>, opts: TableOptions) -> CaptureTable {
        CaptureTable { kind, files, opts }
    }

    /// Which table.
    pub fn kind(&self) -> TableKind {
        self.kind
    }

    /// The files it reads.
    pub fn files(&self) -> &CaptureSet {
        &self.files
    }

    /// Its planning options.
    pub fn options(&self) -> &TableOptions {
        &self.opts
    }

    /// The partitions of a scan with `target` partitions wanted: each file
    /// a unit, a large file cut into up to `target` regions (unless `cut`
    /// is false), the units spread over at most `target` partitions by
    /// size.
    pub fn plan_partitions(&self, target: usize, cut: bool) -> Vec<Vec<ScanUnit>> {
        let target = target.max(1);
        let mut units: Vec<(ScanUnit, u64)> = Vec::new();
        for f in &self.files.files {
            let split = self.opts.split_bytes;
            let n = if cut && self.kind.splits_files() && !f.gzip && split > 0 && target > 1 {
                (f.len / split).clamp(1, target as u64)
            } else {
                1
            };
            if n == 1 {
                units.push((ScanUnit::whole(f.path.clone()), f.len));
                continue;
            }
            let step = f.len.div_ceil(n);
            for i in 0..n {
                let start = i * step;
                let end = (i + 1 < n).then(|| (i + 1) * step);
                units.push((
                    ScanUnit {
                        path: f.path.clone(),
                        start,
                        end,
                    },
                    step,
                ));
            }
        }
        let parts = units.len().clamp(1, target);
        // Largest first onto the least loaded partition; each partition's
        // units stay in file order.
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(units[i].1));
        let mut load = vec![0u64; parts];
        let mut assigned: Vec<Vec<usize>> = vec![Vec::new(); parts];
        for i in order {
            let p = (0..parts).min_by_key(|&p| (load[p], p)).unwrap_or(0);
            load[p] += units[i].1.max(1);
            assigned[p].push(i);
        }
        assigned
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.into_iter().map(|i| units[i].0.clone()).collect()
            })
            .collect()
    }
}

#[async_trait]
impl TableProvider for CaptureTable {
    fn schema(&self) -> SchemaRef {
        self.kind.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let filter = crate::filter::extract(self.kind, filters);
        // A whole `tls` file is walked on threads (see
        // `TableOptions::whole_files_on_threads`) only when nothing would
        // make the region scan cheaper: no filter to skip frames by, no
        // limit to stop early at.
        let cut = !(self.opts.whole_files_on_threads
            && self.kind.scans_whole_files_on_threads()
            && filter.is_empty()
            && limit.is_none());
        let spec = ScanSpec {
            table: self.kind,
            partitions: self.plan_partitions(state.config().target_partitions(), cut),
            projection: projection.cloned(),
            filter,
            limit,
            batch_size: self.opts.batch_size.min(state.config().batch_size()).max(1),
            overlap_bytes: self.opts.overlap_bytes,
        };
        let exec =
            CaptureScanExec::new(spec).map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(Arc::new(exec))
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|e| {
                if crate::filter::pushable(self.kind, e) {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }
}

/// `Any` access for codecs (downcast a `dyn TableProvider`).
pub fn as_capture_table(t: &dyn TableProvider) -> Option<&CaptureTable> {
    (t as &dyn Any).downcast_ref::<CaptureTable>()
}
