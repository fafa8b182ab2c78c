//! Ballista extension codecs: how the capture tables travel from the
//! client to the scheduler and their scans from the scheduler to the
//! executors.
//!
//! - Logical ([`CaptureLogicalCodec`]): the client's query plan names our
//!   `TableProvider`; it goes to the scheduler as JSON (table, paths,
//!   options). On the scheduler it comes back wrapped so that its scan is
//!   a [`DataSourceExec`] over a [`FileScanConfig`] with one file group per
//!   partition and one file per [`ScanUnit`] (a file or a chunk of one).
//!   Ballista restricts each task's plan to the task's partitions by
//!   slicing exactly those file groups; a scan of our own kind would be
//!   left whole and every task would read every partition.
//! - Physical ([`CapturePhysicalCodec`]): that scan goes to the executors
//!   as JSON of a [`ScanSpec`] holding only the units of the task's
//!   partitions (a [`CaptureScanExec`] on its own is shipped the same way).
//!
//! Anything else is handed to Ballista's own codecs, so shuffles, `COPY
//! TO` file formats and the rest work as without us. Our payloads start
//! with a tag that no protobuf message can start with (`N` = field 9,
//! wire type 6, which does not exist).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Constraints, Statistics, TableReference};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::{
    FileGroup, FileOpenFuture, FileOpener, FileScanConfig, FileScanConfigBuilder, FileSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::{DisplayFormatType, ExecutionPlan};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::exec::CaptureScanExec;
use crate::provider::{CaptureSet, CaptureTable, TableOptions};
use crate::spec::{ScanSpec, ScanUnit, TableKind};

/// Tag of a serialized [`CaptureTable`].
const TABLE_TAG: &[u8] = b"NKSQL-TABLE-1:";
/// Tag of a serialized [`CaptureScanExec`].
const SCAN_TAG: &[u8] = b"NKSQL-SCAN-1:";
/// Tag of a serialized unit scan (`DataSourceExec` over [`UnitSource`]).
const UNITS_TAG: &[u8] = b"NKSQL-UNITS-1:";

/// What a [`CaptureTable`] ships: which table, its files, its options.
#[derive(Serialize, Deserialize)]
struct TableWire {
    kind: TableKind,
    files: CaptureSet,
    options: TableOptions,
}

fn codec_error(what: &str, e: impl fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!("capture-sql codec: {what}: {e}"))
}

/// The logical codec: [`CaptureTable`]s as JSON, everything else through
/// Ballista's codec.
#[derive(Debug, Default)]
pub struct CaptureLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for CaptureLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        let Some(json) = buf.strip_prefix(TABLE_TAG) else {
            return self
                .inner
                .try_decode_table_provider(buf, table_ref, schema, ctx);
        };
        let wire: TableWire = serde_json::from_slice(json).map_err(|e| codec_error("table", e))?;
        let table = CaptureTable::new(wire.kind, Arc::new(wire.files), wire.options);
        // Decoded on the scheduler, which plans the scan: make it a scan
        // Ballista can cut into tasks.
        Ok(Arc::new(ClusterTable {
            inner: Arc::new(table),
        }))
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let node = match node.downcast_ref::<ClusterTable>() {
            Some(c) => c.inner.clone(),
            None => node,
        };
        if let Some(table) = node.downcast_ref::<CaptureTable>() {
            let wire = TableWire {
                kind: table.kind(),
                files: table.files().clone(),
                options: table.options().clone(),
            };
            buf.extend_from_slice(TABLE_TAG);
            serde_json::to_writer(&mut *buf, &wire).map_err(|e| codec_error("table", e))
        } else {
            self.inner.try_encode_table_provider(table_ref, node, buf)
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn datafusion::datasource::file_format::FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn datafusion::datasource::file_format::FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<datafusion::logical_expr::ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(
        &self,
        node: &datafusion::logical_expr::ScalarUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<datafusion::logical_expr::AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(
        &self,
        node: &datafusion::logical_expr::AggregateUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<datafusion::logical_expr::WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(
        &self,
        node: &datafusion::logical_expr::WindowUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// The physical codec: our scans as JSON of their [`ScanSpec`],
/// everything else through Ballista's codec.
#[derive(Debug, Default)]
pub struct CapturePhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
}

/// What a unit scan ships: the spec (its partitions are the file groups
/// left after Ballista restricted the plan to one task) and the limit of
/// the `FileScanConfig`.
#[derive(Serialize, Deserialize)]
struct UnitsWire {
    spec: ScanSpec,
    limit: Option<usize>,
}

impl PhysicalExtensionCodec for CapturePhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let Some(json) = buf.strip_prefix(SCAN_TAG) {
            let spec = ScanSpec::from_json(json).map_err(|e| codec_error("scan", e))?;
            let exec = CaptureScanExec::new(spec).map_err(|e| codec_error("scan", e))?;
            return Ok(Arc::new(exec));
        }
        if let Some(json) = buf.strip_prefix(UNITS_TAG) {
            let wire: UnitsWire =
                serde_json::from_slice(json).map_err(|e| codec_error("unit scan", e))?;
            return unit_scan(wire.spec, wire.limit);
        }
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(scan) = node.downcast_ref::<CaptureScanExec>() {
            buf.extend_from_slice(SCAN_TAG);
            buf.extend_from_slice(&scan.spec().to_json());
            return Ok(());
        }
        if let Some((source, config)) = unit_source_of(node.as_ref()) {
            let mut spec = source.base.clone();
            spec.partitions = config
                .file_groups
                .iter()
                .map(|g| g.iter().map(unit_of).collect::<Result<Vec<_>>>())
                .collect::<Result<_>>()?;
            let wire = UnitsWire {
                spec,
                limit: config.limit,
            };
            buf.extend_from_slice(UNITS_TAG);
            return serde_json::to_writer(&mut *buf, &wire)
                .map_err(|e| codec_error("unit scan", e));
        }
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<datafusion::logical_expr::ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(
        &self,
        node: &datafusion::logical_expr::ScalarUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<datafusion::logical_expr::AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(
        &self,
        node: &datafusion::logical_expr::AggregateUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<datafusion::logical_expr::WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(
        &self,
        node: &datafusion::logical_expr::WindowUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// The [`UnitSource`] and config of a `DataSourceExec`, if it is a unit scan.
fn unit_source_of(plan: &dyn ExecutionPlan) -> Option<(&UnitSource, &FileScanConfig)> {
    let exec = plan.downcast_ref::<DataSourceExec>()?;
    let source: &dyn std::any::Any = exec.data_source().as_ref();
    let config = source.downcast_ref::<FileScanConfig>()?;
    let source = config.file_source().downcast_ref::<UnitSource>()?;
    Some((source, config))
}

fn unit_of(file: &PartitionedFile) -> Result<ScanUnit> {
    file.extension::<ScanUnit>()
        .cloned()
        .ok_or_else(|| codec_error("unit scan", format!("{} has no capture unit", file.path())))
}

/// A provider as the scheduler sees it: the capture table, whose scans
/// come back as unit scans (see the module documentation).
#[derive(Debug)]
pub(crate) struct ClusterTable {
    inner: Arc<dyn TableProvider>,
}

#[async_trait]
impl TableProvider for ClusterTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.scan(state, projection, filters, limit).await?;
        distributable(plan)
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }
}

/// Replaces every [`CaptureScanExec`] in `plan` by the equivalent unit
/// scan, which Ballista can restrict to a task's partitions.
pub fn distributable(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|p| match p.downcast_ref::<CaptureScanExec>() {
        Some(scan) => {
            let spec = scan.spec().clone();
            let limit = spec.limit;
            Ok(Transformed::yes(unit_scan(spec, limit)?))
        }
        None => Ok(Transformed::no(p)),
    })
    .map(|t| t.data)
}

/// A `DataSourceExec` scanning `spec`: one file group per partition, one
/// file per unit (the unit rides along as the file's extension).
pub(crate) fn unit_scan(spec: ScanSpec, limit: Option<usize>) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = spec
        .projected_schema()
        .map_err(|e| codec_error("unit scan", e))?;
    let groups: Vec<FileGroup> = spec
        .partitions
        .iter()
        .map(|units| {
            FileGroup::new(
                units
                    .iter()
                    .map(|u| {
                        let size = u.end.unwrap_or(u.start);
                        PartitionedFile::new(u.path.clone(), size).with_extension(u.clone())
                    })
                    .collect(),
            )
        })
        .collect();
    let mut base = spec;
    base.partitions = Vec::new();
    let source = UnitSource {
        base,
        table_schema: TableSchema::from(schema),
        metrics: ExecutionPlanMetricsSet::new(),
    };
    let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
        .with_file_groups(groups)
        .with_limit(limit)
        .build();
    Ok(DataSourceExec::from_data_source(config))
}

/// The `FileSource` of a unit scan: opening a "file" scans one
/// [`ScanUnit`] with the table, projection, filters and limit of `base`.
#[derive(Clone)]
pub(crate) struct UnitSource {
    /// The scan without its partitions.
    base: ScanSpec,
    table_schema: TableSchema,
    metrics: ExecutionPlanMetricsSet,
}

impl FileSource for UnitSource {
    fn create_file_opener(
        &self,
        _object_store: Arc<dyn datafusion::object_store::ObjectStore>,
        _base_config: &FileScanConfig,
        partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        Ok(Arc::new(UnitOpener {
            base: self.base.clone(),
            metrics: self.metrics.clone(),
            partition,
        }))
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, _batch_size: usize) -> Arc<dyn FileSource> {
        // the spec carries the batch size the planner chose
        Arc::new(self.clone())
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "capture"
    }

    fn fmt_extra(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ", table={}", self.base.table.name())?;
        if !self.base.filter.is_empty() {
            write!(f, ", capture_filter={:?}", self.base.filter)?;
        }
        Ok(())
    }

    fn supports_repartitioning(&self) -> bool {
        // units are cut at verified record boundaries by the planner, not
        // at byte offsets
        false
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }
}

/// Opens one unit: a one-partition [`CaptureScanExec`] over it.
struct UnitOpener {
    base: ScanSpec,
    /// The unit scan's metrics (shared with its `DataSourceExec`): scan
    /// errors are recorded there, so Ballista ships them to the scheduler.
    metrics: ExecutionPlanMetricsSet,
    /// The partition of the unit scan this opener serves.
    partition: usize,
}

impl FileOpener for UnitOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let mut spec = self.base.clone();
        spec.partitions = vec![vec![unit_of(&file)?]];
        let exec = CaptureScanExec::new(spec)
            .map_err(|e| codec_error("unit scan", e))?
            .reporting_to(self.metrics.clone(), self.partition);
        // the scan reads only its spec; damage reports go to stderr here
        // (the executor's log) and into the metrics (to the client)
        let context = Arc::new(TaskContext::default());
        let stream = exec.execute(0, context)?;
        Ok(Box::pin(async move { Ok(stream.boxed()) }))
    }
}
