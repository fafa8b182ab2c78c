//! Running a query and writing its result: the engine behind the
//! `capture-sql` command (which only parses arguments).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use futures::StreamExt;

use crate::exec::ScanErrors;
use crate::provider::{CaptureSet, CaptureTable, TableOptions};
use crate::spec::TableKind;

/// How the result is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table (the whole result is held to size columns).
    Table,
    /// CSV with a header line; lists joined with `;` like tls-audit's CSV.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
}

/// What went wrong running a query: one line each.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Planning or running the query failed (bad SQL, unknown column, ...).
    #[error("{}", one_line(.0))]
    Engine(#[from] DataFusionError),
    /// The result could not be written.
    #[error(transparent)]
    Output(#[from] crate::Error),
    /// Anything else, already one line (e.g. the cluster cannot be reached).
    #[error("{0}")]
    Other(String),
}

fn one_line(e: &DataFusionError) -> String {
    let s = e.to_string();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A local session: `partitions` target partitions (0: one per core), and
/// a [`ScanErrors`] collecting the files a scan could not read to the end.
pub fn local_context(partitions: usize) -> (SessionContext, Arc<ScanErrors>) {
    let errors = Arc::new(ScanErrors::default());
    let mut config = SessionConfig::new().with_extension(errors.clone());
    if partitions > 0 {
        config = config.with_target_partitions(partitions);
    }
    (SessionContext::new_with_config(config), errors)
}

/// Sets one session option by its DataFusion key, as `SET key = value`
/// does in `datafusion-cli` (for example
/// `datafusion.execution.batch_size`, or `ballista.*` on a cluster
/// session). On a cluster the options travel with the query to the
/// scheduler, which plans the stages with them. An unknown key or a value
/// of the wrong type is an error naming the key.
pub fn set_option(ctx: &SessionContext, key: &str, value: &str) -> Result<(), QueryError> {
    let state = ctx.state_ref();
    let mut state = state.write();
    let config = state.config_mut();
    config.options_mut().set(key, value).map_err(|e| {
        QueryError::Engine(DataFusionError::Configuration(format!(
            "option {key}: {}",
            one_line(&e)
        )))
    })?;
    let mut set = config
        .get_extension::<SetOptions>()
        .map(|s| s.0.clone())
        .unwrap_or_default();
    set.push(key.to_ascii_lowercase());
    config.set_extension(Arc::new(SetOptions(set)));
    Ok(())
}

/// The keys [`set_option`] set in a session: choices capture-sql would
/// otherwise make per query are left to them.
struct SetOptions(Vec<String>);

/// DataFusion's option for a final aggregate in hash partitions.
const REPARTITION_AGGREGATIONS: &str = "datafusion.optimizer.repartition_aggregations";

/// Whether `plan` should run with its final aggregate as one task: on a
/// cluster, with DataFusion's hash-partitioned final aggregate on and not
/// chosen by [`set_option`], for a plan of [`few_groups`].
fn one_final_aggregate(plan: &LogicalPlan, config: &SessionConfig) -> bool {
    let chosen = config
        .get_extension::<SetOptions>()
        .is_some_and(|s| s.0.iter().any(|k| k == REPARTITION_AGGREGATIONS));
    config
        .get_extension::<crate::cluster::ClusterScheduler>()
        .is_some()
        && config.options().optimizer.repartition_aggregations
        && !chosen
        && few_groups(plan)
}

/// Whether every GROUP BY of `plan` groups by columns of few values only
/// ([`TableKind::few_values`], named through their table) and at least
/// one groups by something. Conservative: an alias, a table alias or an
/// expression as a key says no.
fn few_groups(plan: &LogicalPlan) -> bool {
    let (mut keyed, mut all_few) = (false, true);
    let _ = plan.apply(|node| {
        if let LogicalPlan::Aggregate(agg) = node {
            let schema = agg.input.schema();
            let few = agg.group_expr.iter().all(|e| match e {
                Expr::Column(c) => schema
                    .qualified_field_from_column(c)
                    .ok()
                    .and_then(|(q, f)| Some((TableKind::from_name(q?.table())?, f)))
                    .is_some_and(|(kind, f)| kind.few_values(f.name())),
                _ => false,
            });
            keyed |= !agg.group_expr.is_empty();
            all_few &= few;
        }
        Ok(if all_few {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    keyed && all_few
}

/// The [`ScanErrors`] of a session ([`local_context`] and
/// [`crate::cluster::remote_context`] put one in), where [`run`] and the
/// scans report the captures they could not read to the end.
pub fn scan_errors(ctx: &SessionContext) -> Option<Arc<ScanErrors>> {
    ctx.state().config().get_extension::<ScanErrors>()
}

/// Registers `tls`, `http` and `flows` over `files` in `ctx`.
pub fn register_tables(
    ctx: &SessionContext,
    files: Arc<CaptureSet>,
    opts: &TableOptions,
) -> Result<(), DataFusionError> {
    for kind in TableKind::ALL {
        ctx.register_table(
            kind.name(),
            Arc::new(CaptureTable::new(kind, files.clone(), opts.clone())),
        )?;
    }
    Ok(())
}

/// Plans `sql` (prefixed with `EXPLAIN` when `explain`) and runs it as a
/// stream of batches. On a cluster this does not fetch the scan errors the
/// executors reported; [`run`] does (see
/// [`job_scan_errors`](crate::cluster::job_scan_errors)).
pub async fn execute(
    ctx: &SessionContext,
    sql: &str,
    explain: bool,
) -> Result<SendableRecordBatchStream, QueryError> {
    let sql = if explain {
        format!("EXPLAIN {sql}")
    } else {
        sql.to_owned()
    };
    Ok(plan_and_execute(ctx, &sql).await?.1)
}

/// Plans `sql` and starts it; the plan is kept to ask, once the stream has
/// ended, what a cluster job reported.
async fn plan_and_execute(
    ctx: &SessionContext,
    sql: &str,
) -> Result<(Arc<dyn ExecutionPlan>, SendableRecordBatchStream), QueryError> {
    let mut df = ctx.sql(sql).await?;
    // On a cluster a GROUP BY's final aggregate in hash partitions is a
    // stage of its own (a few milliseconds of scheduling, a shuffle):
    // worth it for many groups, not for the handful of TLS versions. For
    // this query only (its own copy of the session), unless `--set` chose.
    if one_final_aggregate(df.logical_plan(), &ctx.copied_config()) {
        let (mut state, plan) = df.into_parts();
        state
            .config_mut()
            .options_mut()
            .optimizer
            .repartition_aggregations = false;
        df = DataFrame::new(state, plan);
    }
    let task_ctx = Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await?;
    let stream = datafusion::physical_plan::execute_stream(plan.clone(), task_ctx)?;
    Ok((plan, stream))
}

/// Scans on a cluster report damaged captures on the executors; after a
/// cluster query, fetch those reports from the scheduler into the
/// session's [`ScanErrors`] (else print them), as a local scan would have.
/// If they cannot be fetched, that is reported the same way: the result
/// may be short.
async fn collect_cluster_scan_errors(ctx: &SessionContext, plan: &Arc<dyn ExecutionPlan>) {
    let config = ctx.copied_config();
    let Some(found) = crate::cluster::job_scan_errors(plan, &config).await else {
        return;
    };
    let messages = match found {
        Ok(m) => m,
        Err(e) => vec![e.to_string()],
    };
    let sink = config.get_extension::<ScanErrors>();
    for msg in messages {
        match &sink {
            Some(s) => s.report(msg),
            None => eprintln!("capture-sql: {msg}"),
        }
    }
}

/// Runs `sql` on `ctx` and writes the result in `format` to `output` (a
/// file) or else to `stdout`. Returns the number of rows written.
pub async fn run(
    ctx: &SessionContext,
    sql: &str,
    explain: bool,
    format: OutputFormat,
    output: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<u64, QueryError> {
    let sql = if explain {
        format!("EXPLAIN {sql}")
    } else {
        sql.to_owned()
    };
    let (plan, stream) = plan_and_execute(ctx, &sql).await?;
    let target = output.map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
    let io_err = |e: &dyn std::fmt::Display| crate::Error::Output {
        target: target.clone(),
        msg: e.to_string(),
    };
    let rows = match output {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| io_err(&e))?;
            let mut w = std::io::BufWriter::new(f);
            let n = write_stream(stream, format, &mut w, &io_err).await?;
            w.flush().map_err(|e| io_err(&e))?;
            n
        }
        None => write_stream(stream, format, stdout, &io_err).await?,
    };
    collect_cluster_scan_errors(ctx, &plan).await;
    Ok(rows)
}

async fn write_stream(
    mut stream: SendableRecordBatchStream,
    format: OutputFormat,
    out: &mut dyn Write,
    io_err: &dyn Fn(&dyn std::fmt::Display) -> crate::Error,
) -> Result<u64, QueryError> {
    let schema = stream.schema();
    let mut rows = 0u64;
    match format {
        OutputFormat::Table => {
            let mut batches = Vec::new();
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                batches.push(b);
            }
            let text = if batches.is_empty() {
                arrow::util::pretty::pretty_format_batches(&[RecordBatch::new_empty(schema)])
            } else {
                arrow::util::pretty::pretty_format_batches(&batches)
            }
            .map_err(|e| io_err(&e))?;
            writeln!(out, "{text}").map_err(|e| io_err(&e))?;
        }
        OutputFormat::Csv => {
            let flat = flat_schema(&schema);
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out);
            let mut any = false;
            while let Some(b) = stream.next().await {
                let b = flatten_lists(&b?, &flat).map_err(|e| io_err(&e))?;
                rows += b.num_rows() as u64;
                any = true;
                w.write(&b).map_err(|e| io_err(&e))?;
            }
            if !any {
                w.write(&RecordBatch::new_empty(flat))
                    .map_err(|e| io_err(&e))?;
            }
        }
        OutputFormat::Jsonl => {
            let mut w = arrow::json::LineDelimitedWriter::new(&mut *out);
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b).map_err(|e| io_err(&e))?;
            }
            w.finish().map_err(|e| io_err(&e))?;
        }
        OutputFormat::Parquet => {
            // The writer needs `Send`: buffer, then copy out.
            let mut buf = Vec::new();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, schema.clone(), None)
                .map_err(|e| io_err(&e))?;
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b).map_err(|e| io_err(&e))?;
            }
            w.close().map_err(|e| io_err(&e))?;
            out.write_all(&buf).map_err(|e| io_err(&e))?;
        }
    }
    out.flush().map_err(|e| io_err(&e))?;
    Ok(rows)
}

/// The schema with list columns as `;`-joined text (CSV has no lists).
fn flat_schema(schema: &SchemaRef) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::List(_) | DataType::LargeList(_) => {
                    Field::new(f.name(), DataType::Utf8, true)
                }
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

fn flatten_lists(
    b: &RecordBatch,
    flat: &SchemaRef,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let cols: Vec<ArrayRef> = b
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::List(_) => {
                let list = c.as_list::<i32>();
                let mut s = StringBuilder::new();
                for i in 0..list.len() {
                    if list.is_null(i) {
                        s.append_null();
                        continue;
                    }
                    let v = list.value(i);
                    let text = arrow::compute::cast(&v, &DataType::Utf8)?;
                    let text = text.as_string::<i32>();
                    let parts: Vec<&str> = (0..text.len())
                        .filter(|&j| !text.is_null(j))
                        .map(|j| text.value(j))
                        .collect();
                    s.append_value(parts.join(";"));
                }
                Ok(Arc::new(s.finish()) as ArrayRef)
            }
            _ => Ok(c.clone()),
        })
        .collect::<Result<_, arrow::error::ArrowError>>()?;
    RecordBatch::try_new_with_options(
        flat.clone(),
        cols,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
    )
}
