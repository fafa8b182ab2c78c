//! [`CaptureScanExec`], the physical scan of the capture tables: each
//! partition runs our scanners on a thread of its own and streams Arrow
//! record batches back.

use std::fmt;
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    ReplaceChildrenOptions,
};
use pcap_core::Capture;
use tokio::sync::mpsc;

use crate::spec::{ScanSpec, ScanUnit, TableKind};

/// Where scans report files they could not read to the end (a damaged or
/// truncated capture, a file that vanished): put one in the session
/// config (`SessionConfig::with_extension`) to collect them; without one
/// they are printed to stderr. The rows read before the damage are kept
/// and the other files are scanned as usual.
#[derive(Debug, Default)]
pub struct ScanErrors {
    messages: Mutex<Vec<String>>,
}

impl ScanErrors {
    /// Records one message (one line, naming the file and position).
    pub fn report(&self, msg: String) {
        if let Ok(mut m) = self.messages.lock() {
            m.push(msg);
        }
    }

    /// The messages recorded so far, removing them.
    pub fn take(&self) -> Vec<String> {
        self.messages
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// How a scan error travels as a DataFusion metric: a count named this
/// prefix followed by the message. Ballista ships operator metrics from the
/// executors to the scheduler with each task's status, and its
/// `GetJobMetrics` call gives them to the client (see
/// [`cluster::job_scan_errors`](crate::cluster::job_scan_errors)), so a
/// damaged capture scanned on an executor reaches the client that way.
pub const SCAN_ERROR_METRIC: &str = "capture_scan_error: ";

/// The scan error a metric named `name` carries, if it carries one.
pub fn scan_error_of_metric(name: &str) -> Option<&str> {
    name.strip_prefix(SCAN_ERROR_METRIC)
}

/// The scan errors recorded in `metrics`, in order, without repeats (a
/// message recorded for several partitions of one operator is one error).
pub fn scan_errors_in(metrics: &MetricsSet) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in metrics.iter() {
        if let Some(msg) = scan_error_of_metric(m.value().name())
            && !out.iter().any(|o| o == msg)
        {
            out.push(msg.to_string());
        }
    }
    out
}

/// Where a partition's scan errors go: the session's [`ScanErrors`] (else
/// stderr) and, always, a metric of the plan node that ran the scan.
struct ErrorSink {
    errors: Option<Arc<ScanErrors>>,
    metrics: ExecutionPlanMetricsSet,
    partition: usize,
}

impl ErrorSink {
    fn report(&self, msg: String) {
        MetricBuilder::new(&self.metrics)
            .counter(format!("{SCAN_ERROR_METRIC}{msg}"), self.partition)
            .add(1);
        match &self.errors {
            Some(e) => e.report(msg),
            None => eprintln!("capture-sql: {msg}"),
        }
    }
}

/// Collects rows into batches of the projected columns and sends them to
/// the partition's stream; stops at the limit or when the stream is gone.
pub(crate) struct Emitter<R> {
    rows: Vec<R>,
    batch_size: usize,
    schema: SchemaRef,
    projection: Vec<usize>,
    build: fn(usize, &[R]) -> arrow::array::ArrayRef,
    tx: mpsc::Sender<Result<RecordBatch>>,
    left: Option<usize>,
    stopped: bool,
}

impl<R> Emitter<R> {
    /// True when a limit was pushed down.
    pub(crate) fn limited(&self) -> bool {
        self.left.is_some()
    }

    /// True when no more rows are wanted.
    #[inline]
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// Takes one row.
    #[inline]
    pub(crate) fn push(&mut self, row: R) {
        if self.stopped {
            return;
        }
        self.rows.push(row);
        if let Some(left) = &mut self.left {
            *left -= 1;
            if *left == 0 {
                self.flush();
                self.stopped = true;
                return;
            }
        }
        if self.rows.len() >= self.batch_size {
            self.flush();
        }
    }

    /// Sends the rows held as one batch.
    pub(crate) fn flush(&mut self) {
        if self.rows.is_empty() || self.tx.is_closed() {
            self.stopped |= self.tx.is_closed();
            return;
        }
        let b =
            capture_arrow::columns::batch(&self.rows, &self.schema, &self.projection, self.build)
                .map_err(|e: ArrowError| DataFusionError::ArrowError(Box::new(e), None));
        self.rows.clear();
        if self.tx.blocking_send(b).is_err() {
            self.stopped = true;
        }
    }
}

/// The scan of one capture table: a plain [`ScanSpec`] (which can be
/// serialized) and the plan properties derived from it.
#[derive(Debug, Clone)]
pub struct CaptureScanExec {
    spec: ScanSpec,
    schema: SchemaRef,
    props: Arc<PlanProperties>,
    /// Scan errors, one count per message (see [`SCAN_ERROR_METRIC`]).
    metrics: ExecutionPlanMetricsSet,
    /// Record them under this partition instead of the one executed (a
    /// unit scan runs each unit as partition 0 of its own scan).
    metric_partition: Option<usize>,
}

impl CaptureScanExec {
    /// The scan described by `spec`.
    pub fn new(spec: ScanSpec) -> std::result::Result<CaptureScanExec, crate::Error> {
        let schema = spec.projected_schema()?;
        let props = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(spec.partitions.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(CaptureScanExec {
            spec,
            schema,
            props: Arc::new(props),
            metrics: ExecutionPlanMetricsSet::new(),
            metric_partition: None,
        })
    }

    /// The same scan, recording its scan errors in `metrics` (another plan
    /// node's) under `partition`.
    pub(crate) fn reporting_to(
        mut self,
        metrics: ExecutionPlanMetricsSet,
        partition: usize,
    ) -> CaptureScanExec {
        self.metrics = metrics;
        self.metric_partition = Some(partition);
        self
    }

    /// The description of the scan (what a codec serializes).
    pub fn spec(&self) -> &ScanSpec {
        &self.spec
    }
}

impl DisplayAs for CaptureScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.spec;
        let units: usize = s.partitions.iter().map(Vec::len).sum();
        match t {
            DisplayFormatType::TreeRender => write!(f, "table={}", s.table.name()),
            _ => {
                write!(
                    f,
                    "CaptureScanExec: table={}, partitions={}, units={}",
                    s.table.name(),
                    s.partitions.len(),
                    units
                )?;
                let names: Vec<&str> = self
                    .schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect();
                write!(f, ", projection=[{}]", names.join(", "))?;
                if !s.filter.is_empty() {
                    write!(f, ", filter={:?}", s.filter)?;
                }
                if let Some(l) = s.limit {
                    write!(f, ", limit={l}")?;
                }
                Ok(())
            }
        }
    }
}

impl ExecutionPlan for CaptureScanExec {
    fn name(&self) -> &str {
        "CaptureScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let units = self
            .spec
            .partitions
            .get(partition)
            .cloned()
            .unwrap_or_default();
        let (tx, rx) = mpsc::channel::<Result<RecordBatch>>(2);
        let spec = self.spec.clone();
        let schema = self.schema.clone();
        let sink = ErrorSink {
            errors: context.session_config().get_extension::<ScanErrors>(),
            metrics: self.metrics.clone(),
            partition: self.metric_partition.unwrap_or(partition),
        };
        std::thread::Builder::new()
            .name(format!("capture-sql-{}-{partition}", spec.table.name()))
            .spawn(move || run_partition(&spec, schema, &units, tx, &sink))
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let stream =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            stream,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

fn emitter<R>(
    spec: &ScanSpec,
    schema: SchemaRef,
    build: fn(usize, &[R]) -> arrow::array::ArrayRef,
    tx: mpsc::Sender<Result<RecordBatch>>,
) -> Emitter<R> {
    let all = spec.table.schema().fields().len();
    Emitter {
        rows: Vec::new(),
        batch_size: spec.batch_size.max(1),
        schema,
        projection: spec
            .projection
            .clone()
            .unwrap_or_else(|| (0..all).collect()),
        build,
        tx,
        left: spec.limit,
        stopped: spec.limit == Some(0),
    }
}

/// Runs one partition: its units in order, rows streamed to `tx`.
fn run_partition(
    spec: &ScanSpec,
    schema: SchemaRef,
    units: &[ScanUnit],
    tx: mpsc::Sender<Result<RecordBatch>>,
    sink: &ErrorSink,
) {
    let report = |msg: String| sink.report(msg);
    match spec.table {
        TableKind::Tls => {
            let mut out = emitter(spec, schema, crate::tls::column, tx);
            run_units(units, &mut out, report, |cap, u, out| {
                crate::tls::scan_unit(cap, u, spec, out)
            });
            out.flush();
        }
        TableKind::Http => {
            let mut out = emitter(spec, schema, crate::http::column, tx);
            run_units(units, &mut out, report, |cap, u, out| {
                crate::http::scan_unit(cap, u, spec, out)
            });
            out.flush();
        }
        TableKind::Flows => {
            let mut out = emitter(spec, schema, crate::flows::column, tx);
            run_units(units, &mut out, report, |cap, u, out| {
                crate::flows::scan_unit(cap, u, spec, out)
            });
            out.flush();
        }
    }
}

fn run_units<R>(
    units: &[ScanUnit],
    out: &mut Emitter<R>,
    report: impl Fn(String),
    mut scan: impl FnMut(&Capture, &ScanUnit, &mut Emitter<R>) -> Option<pcap_core::Error>,
) {
    for u in units {
        if out.stopped() {
            return;
        }
        let cap = match Capture::open(&u.path) {
            Ok(c) => c,
            Err(e) => {
                report(e.to_string());
                continue;
            }
        };
        if let Some(e) = scan(&cap, u, out) {
            report(e.to_string());
        }
    }
}
