//! The same queries on many machines: a Ballista scheduler, executors and a
//! client session, all knowing capture-sql's tables through
//! [`codec`](crate::codec).
//!
//! - [`run_scheduler`] serves the scheduler's gRPC (and `/readyz`) on one
//!   port; it plans the queries, so it must be able to read the captures.
//! - [`run_executor`] registers with a scheduler and runs scan, aggregate,
//!   join and write tasks; it serves the shuffle files it writes to the
//!   other executors over Arrow Flight.
//! - [`remote_context`] builds the client's `SessionContext`; register the
//!   tables on it as on a local one, then run SQL.
//!
//! Every executor (and the scheduler) opens the capture paths itself: they
//! must name the same files on every machine (a shared file system). See
//! `docs/CAPTURE-SQL-CLUSTER.md`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ballista::extension::{SessionConfigExt, SessionContextExt};
use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::{GetJobMetricsParams, GetJobMetricsResult, operator_metric};
use ballista_core::utils::{GrpcClientConfig, create_grpc_client_endpoint};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::codec::{CaptureLogicalCodec, CapturePhysicalCodec};
use crate::exec::{ScanErrors, scan_error_of_metric};

/// What can go wrong starting or reaching a cluster. Each message is one
/// line naming the address and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// An address argument did not parse.
    #[error("{value}: not a valid {what} ({reason}); give HOST:PORT, e.g. 127.0.0.1:50050")]
    Address {
        /// Which argument (`--bind`, `--scheduler`, `--cluster`).
        what: &'static str,
        /// The text given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source} (is the port taken? choose another --bind)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Nothing answers at the scheduler's address.
    #[error(
        "no scheduler answers at {addr}: {detail}; start one with `capture-sql scheduler --bind {addr}`"
    )]
    SchedulerUnreachable {
        /// The scheduler address.
        addr: String,
        /// What the connection attempt said.
        detail: String,
    },
    /// The scheduler runs but no executor has registered with it.
    #[error(
        "the scheduler at {addr} has no executors registered; start one with `capture-sql executor --scheduler {addr} --bind HOST:PORT`"
    )]
    NoExecutors {
        /// The scheduler address.
        addr: String,
    },
    /// The executor's work directory could not be created or locked.
    #[error("{}: cannot create or lock the executor work directory: {source}", path.display())]
    WorkDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another running executor uses the same work directory. An executor
    /// deletes the shuffle data in its work directory when it stops, so a
    /// shared directory loses the other's files mid-query (Ballista then
    /// resubmits the stage for ever).
    #[error(
        "{}: the work directory is in use by another running executor; give each executor its own --work-dir",
        path.display()
    )]
    WorkDirInUse {
        /// The directory.
        path: PathBuf,
    },
    /// The scheduler did not give the scan errors of a job that ran: the
    /// result may lack rows of captures that could not be read to the end.
    #[error(
        "scheduler at {addr}: cannot fetch what the executors reported for job {job} ({message}); the result may lack the rows of a damaged capture"
    )]
    JobMetrics {
        /// The scheduler address.
        addr: String,
        /// The job.
        job: String,
        /// What went wrong, on one line.
        message: String,
    },
    /// Ballista itself failed (scheduler or executor start-up or service).
    #[error("{role} at {addr}: {message}")]
    Ballista {
        /// `scheduler` or `executor`.
        role: &'static str,
        /// Its address.
        addr: String,
        /// Ballista's message, on one line.
        message: String,
    },
}

/// Settings of [`run_scheduler`].
#[derive(Clone, Debug)]
pub struct SchedulerOptions {
    /// Where to serve gRPC and HTTP (`/readyz`); port 0 picks a free port.
    pub bind: SocketAddr,
    /// An executor silent for this long is declared lost and its tasks run
    /// again elsewhere.
    pub executor_timeout: Duration,
}

impl SchedulerOptions {
    /// Defaults for `bind`: 30 s executor timeout.
    pub fn new(bind: SocketAddr) -> SchedulerOptions {
        SchedulerOptions {
            bind,
            executor_timeout: Duration::from_secs(30),
        }
    }
}

/// Settings of [`run_executor`].
#[derive(Clone, Debug)]
pub struct ExecutorOptions {
    /// The scheduler, `HOST:PORT`.
    pub scheduler: String,
    /// Where to serve Arrow Flight (shuffle data); port 0 picks a free port.
    pub bind: SocketAddr,
    /// Port of the executor's task gRPC service (`None`: a free port).
    pub grpc_port: Option<u16>,
    /// Tasks run at once (0: one per core).
    pub concurrency: usize,
    /// Where shuffle files go (`None`: a new temporary directory, removed
    /// when the executor stops).
    pub work_dir: Option<PathBuf>,
    /// How often the executor tells the scheduler it is alive; keep it well
    /// under the scheduler's executor timeout.
    pub heartbeat: Duration,
    /// How long to keep trying to reach the scheduler at start.
    pub connect_timeout: Duration,
}

impl ExecutorOptions {
    /// Defaults: one task per core, heartbeat every 5 s, 10 s to connect.
    pub fn new(scheduler: impl Into<String>, bind: SocketAddr) -> ExecutorOptions {
        ExecutorOptions {
            scheduler: scheduler.into(),
            bind,
            grpc_port: None,
            concurrency: 0,
            work_dir: None,
            heartbeat: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What a running executor listens on (handed to the `started` callback).
#[derive(Clone, Debug)]
pub struct ExecutorAddresses {
    /// Arrow Flight (shuffle reads by other executors and by clients).
    pub flight: SocketAddr,
    /// Task gRPC (the scheduler pushes tasks here).
    pub grpc: SocketAddr,
    /// The shuffle work directory.
    pub work_dir: PathBuf,
}

/// Parses `HOST:PORT` (a `df://` prefix is allowed) into host and port.
pub fn parse_host_port(what: &'static str, value: &str) -> Result<(String, u16), ClusterError> {
    let bad = |reason: &str| ClusterError::Address {
        what,
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let rest = value.strip_prefix("df://").unwrap_or(value);
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("no port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad("no host"));
    }
    if host.contains('/') || host.contains('@') {
        return Err(bad("a host name or address was expected"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| bad("the port is not a number 0-65535"))?;
    if port == 0 {
        return Err(bad("port 0 cannot be reached"));
    }
    Ok((host.to_string(), port))
}

/// The session config every side of the cluster shares: Ballista's,
/// with capture-sql's codecs.
pub fn ballista_session_config() -> SessionConfig {
    SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(CaptureLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(CapturePhysicalCodec::default()))
}

/// The scheduler a client session runs its queries on: [`remote_context`]
/// puts it in the session config so that, after a query, the client can
/// ask the scheduler what the executors reported ([`job_scan_errors`]).
#[derive(Clone, Debug)]
pub struct ClusterScheduler {
    /// `HOST:PORT`.
    pub addr: String,
    /// The gRPC URL, `http://HOST:PORT`.
    pub url: String,
}

/// A client session on the cluster at `url` (`df://HOST:PORT`), with
/// capture-sql's codecs. It first asks the scheduler whether it is up and
/// has executors, so a dead cluster is one clear error, not a hang.
/// Register the tables on the returned context as on a local one. Its
/// config holds a [`ScanErrors`], which [`crate::query::run`] fills with
/// the scan errors the executors reported (see [`job_scan_errors`]).
pub async fn remote_context(url: &str, partitions: usize) -> Result<SessionContext, ClusterError> {
    let (host, port) = parse_host_port("--cluster URL", url)?;
    let addr = format!("{host}:{port}");
    let executors = registered_executors(&addr, Duration::from_secs(10)).await?;
    if executors == 0 {
        return Err(ClusterError::NoExecutors { addr });
    }
    let grpc_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let scheduler = ClusterScheduler {
        addr: addr.clone(),
        url: format!("http://{grpc_host}:{port}"),
    };
    let partitions = if partitions > 0 {
        partitions
    } else {
        executors.saturating_mul(2).max(2)
    };
    let config = ballista_session_config()
        .with_target_partitions(partitions)
        .with_extension(Arc::new(scheduler))
        .with_extension(Arc::new(ScanErrors::default()));
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(&format!("df://{addr}"), state)
        .await
        .map_err(|e| ClusterError::Ballista {
            role: "scheduler",
            addr,
            message: one_line(&e.to_string()),
        })
}

/// The scan errors of the cluster job `plan` ran, as the executors
/// recorded them (one metric per message on the scan, see
/// [`crate::exec::SCAN_ERROR_METRIC`]) and Ballista carried them: with each
/// task's status to the scheduler, which keeps them in the job's stage
/// metrics and answers `GetJobMetrics`. `None` when `plan` did not run on
/// a cluster (no Ballista job, or no [`ClusterScheduler`] in `config`).
///
/// Call it after the plan's stream has ended. A message is given once per
/// scan, however many times it was recorded (a task retried on another
/// executor, a metric Ballista attributes to several partitions); two
/// scans of the same file (a self-join) give it twice, as locally.
pub async fn job_scan_errors(
    plan: &Arc<dyn ExecutionPlan>,
    config: &SessionConfig,
) -> Option<Result<Vec<String>, ClusterError>> {
    let scheduler = config.get_extension::<ClusterScheduler>()?;
    let job = find_job(plan.as_ref())?.to_string();
    let failed = |message: String| ClusterError::JobMetrics {
        addr: scheduler.addr.clone(),
        job: job.clone(),
        message: one_line(&message),
    };
    let grpc_config = GrpcClientConfig::from(&config.ballista_config());
    let ask = async {
        let endpoint = create_grpc_client_endpoint(scheduler.url.clone(), Some(&grpc_config))
            .map_err(|e| failed(e.to_string()))?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let max = config.ballista_config().grpc_client_max_message_size();
        let mut client = SchedulerGrpcClient::with_interceptor(
            channel,
            config.ballista_grpc_interceptor().as_ref().clone(),
        )
        .max_encoding_message_size(max)
        .max_decoding_message_size(max);
        client
            .get_job_metrics(GetJobMetricsParams {
                job_id: job.clone(),
            })
            .await
            .map(|r| r.into_inner())
            .map_err(|status| failed(status.message().to_string()))
    };
    let answer = match tokio::time::timeout(Duration::from_secs(30), ask).await {
        Ok(a) => a,
        Err(_) => Err(failed("no answer within 30 s".to_string())),
    };
    Some(answer.map(|m| scan_errors_of_job(&m)))
}

/// The Ballista job a finished plan ran as, if it ran on a cluster.
fn find_job(plan: &dyn ExecutionPlan) -> Option<ballista_core::JobId> {
    if let Some(q) = plan.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>() {
        return q.job_id();
    }
    plan.children()
        .into_iter()
        .find_map(|c| find_job(c.as_ref()))
}

/// The scan errors in a job's stage metrics: per operator, each message
/// once, in stage and plan order.
fn scan_errors_of_job(metrics: &GetJobMetricsResult) -> Vec<String> {
    let mut out = Vec::new();
    for stage in &metrics.stages {
        for op in &stage.operators {
            let mut seen: Vec<&str> = Vec::new();
            for m in &op.metrics {
                if let Some(operator_metric::Metric::Count(c)) = &m.metric
                    && let Some(msg) = scan_error_of_metric(&c.name)
                    && !seen.contains(&msg)
                {
                    seen.push(msg);
                    out.push(msg.to_string());
                }
            }
        }
    }
    out
}

/// How many executors the scheduler at `addr` (`HOST:PORT`) counts alive,
/// from its `/readyz` endpoint.
pub async fn registered_executors(addr: &str, timeout: Duration) -> Result<usize, ClusterError> {
    let unreachable = |detail: String| ClusterError::SchedulerUnreachable {
        addr: addr.to_string(),
        detail,
    };
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let request = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        Ok::<_, ClusterError>(String::from_utf8_lossy(&response).into_owned())
    };
    let response = tokio::time::timeout(timeout, ask)
        .await
        .map_err(|_| unreachable(format!("no answer within {} s", timeout.as_secs())))??;
    parse_readyz(&response).ok_or_else(|| {
        unreachable(format!(
            "it does not look like a capture-sql scheduler (answer to /readyz: {:?})",
            response.lines().next().unwrap_or("")
        ))
    })
}

/// Reads the executor count out of a `/readyz` HTTP response: 200 "ready:
/// N executors registered" or 503 "not ready: N/M executors registered".
fn parse_readyz(response: &str) -> Option<usize> {
    let (_, body) = response.split_once("\r\n\r\n")?;
    let body = body.trim();
    // a chunked body has its length on the first line
    let text = body
        .lines()
        .find(|l| l.contains("executors registered"))?
        .trim();
    let count = if let Some(rest) = text.strip_prefix("ready: ") {
        rest.split_whitespace().next()?
    } else {
        let rest = text.strip_prefix("not ready: ")?;
        rest.split('/').next()?
    };
    count.parse().ok()
}

/// Waits until the scheduler at `addr` counts at least `want` executors, or
/// `timeout` passes. Returns the last count.
pub async fn wait_for_executors(
    addr: &str,
    want: usize,
    timeout: Duration,
) -> Result<usize, ClusterError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let last = registered_executors(addr, Duration::from_secs(5)).await;
        match last {
            Ok(n) if n >= want => return Ok(n),
            Ok(n) if tokio::time::Instant::now() >= deadline => return Ok(n),
            Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Runs a scheduler until the process ends. `started` is called with the
/// bound address once the port is open (port 0 in `bind` picks one).
pub async fn run_scheduler(
    options: SchedulerOptions,
    started: impl FnOnce(SocketAddr),
) -> Result<(), ClusterError> {
    let listener = nodelay_listener(options.bind).map_err(|source| ClusterError::Bind {
        addr: options.bind,
        source,
    })?;
    let local = listener.local_addr().map_err(|source| ClusterError::Bind {
        addr: options.bind,
        source,
    })?;
    let failed = |e: ballista_core::error::BallistaError| ClusterError::Ballista {
        role: "scheduler",
        addr: local.to_string(),
        message: one_line(&e.to_string()),
    };
    let timeout = options.executor_timeout.as_secs().max(2);
    let config = SchedulerConfig {
        bind_host: local.ip().to_string(),
        bind_port: local.port(),
        external_host: local.ip().to_string(),
        override_config_producer: Some(Arc::new(ballista_session_config)),
        override_logical_codec: Some(Arc::new(CaptureLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(CapturePhysicalCodec::default())),
        executor_timeout_seconds: timeout,
        expire_dead_executor_interval_seconds: (timeout / 4).max(1),
        // with every executor gone, fail the running jobs after one
        // timeout instead of Ballista's default of waiting 3 minutes
        no_executors_grace_period_seconds: timeout,
        // shuffle files of finished jobs go after a minute
        finished_job_data_clean_up_interval_seconds: 60,
        ..SchedulerConfig::default()
    };
    config.validate().map_err(failed)?;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(failed)?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(config))
            .await
            .map_err(failed)?;
    started(local);
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .map_err(failed)
}

/// The scheduler's listening socket, with `TCP_NODELAY`, which Linux
/// passes on to every accepted connection. Ballista serves the scheduler
/// through `axum::serve`, which leaves Nagle's algorithm on: each gRPC
/// answer (its data, then its trailers in a second small write) then
/// waited for the peer's delayed ACK, ~40 ms, on every job status the
/// client waits for and every task status an executor reports, so a
/// query on a tiny capture took ~60 ms on the cluster against ~10 ms
/// locally.
fn nodelay_listener(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As tokio's `TcpListener::bind`: a restarted scheduler can take its
    // port back while old connections linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Takes an exclusive lock on an executor's work directory (an advisory
/// `flock` on the directory itself, released when the returned handle is
/// dropped or the process ends, also by a crash): a second executor given
/// the same directory is refused instead of having its shuffle files
/// deleted when the first one stops.
pub fn lock_work_dir(dir: &std::path::Path) -> Result<std::fs::File, ClusterError> {
    let failed = |source| ClusterError::WorkDir {
        path: dir.to_path_buf(),
        source,
    };
    let handle = std::fs::File::open(dir).map_err(failed)?;
    match handle.try_lock() {
        Ok(()) => Ok(handle),
        Err(std::fs::TryLockError::WouldBlock) => Err(ClusterError::WorkDirInUse {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
    }
}

/// A free TCP port on `ip` (bound and released; another process could
/// take it in between, which start-up then reports as a bind error).
fn free_port(ip: IpAddr) -> Result<u16, ClusterError> {
    let addr = SocketAddr::new(ip, 0);
    std::net::TcpListener::bind(addr)
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|source| ClusterError::Bind { addr, source })
}

/// Runs an executor until it is stopped (SIGTERM, Ctrl-C, or the
/// scheduler). `started` is called with its addresses before it registers.
pub async fn run_executor(
    options: ExecutorOptions,
    started: impl FnOnce(&ExecutorAddresses),
) -> Result<(), ClusterError> {
    let (scheduler_host, scheduler_port) = parse_host_port("--scheduler", &options.scheduler)?;
    let scheduler_addr = format!("{scheduler_host}:{scheduler_port}");
    // Ballista gives up on the first refused connection; wait for a
    // scheduler that is still starting, then report clearly.
    let deadline = tokio::time::Instant::now() + options.connect_timeout;
    loop {
        match tokio::net::TcpStream::connect(&scheduler_addr).await {
            Ok(_) => break,
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(ClusterError::SchedulerUnreachable {
                    addr: scheduler_addr,
                    detail: e.to_string(),
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }

    let ip = options.bind.ip();
    let flight_port = match options.bind.port() {
        0 => free_port(ip)?,
        p => p,
    };
    let grpc_port = match options.grpc_port {
        Some(p) if p != 0 => p,
        _ => free_port(ip)?,
    };
    // Ballista binds the ports itself; check them first for a clear error.
    for port in [flight_port, grpc_port] {
        let addr = SocketAddr::new(ip, port);
        std::net::TcpListener::bind(addr).map_err(|source| ClusterError::Bind { addr, source })?;
    }

    let (work_dir, _temp) = match &options.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| ClusterError::WorkDir {
                path: dir.clone(),
                source,
            })?;
            (dir.clone(), None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("capture-sql-executor-")
                .tempdir()
                .map_err(|source| ClusterError::WorkDir {
                    path: std::env::temp_dir(),
                    source,
                })?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };

    // Held (an exclusive flock on the directory) until the executor ends.
    let _work_dir_lock = lock_work_dir(&work_dir)?;

    let addresses = ExecutorAddresses {
        flight: SocketAddr::new(ip, flight_port),
        grpc: SocketAddr::new(ip, grpc_port),
        work_dir: work_dir.clone(),
    };
    let config = ExecutorProcessConfig {
        bind_host: ip.to_string(),
        external_host: Some(ip.to_string()),
        port: flight_port,
        grpc_port,
        scheduler_host,
        scheduler_port,
        vcores: options.concurrency,
        work_dir: Some(work_dir.to_string_lossy().into_owned()),
        executor_heartbeat_interval_seconds: options.heartbeat.as_secs().max(1),
        // shuffle files of jobs older than an hour go
        job_data_ttl_seconds: 3600,
        job_data_clean_up_interval_seconds: 300,
        override_config_producer: Some(Arc::new(ballista_session_config)),
        override_logical_codec: Some(Arc::new(CaptureLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(CapturePhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    started(&addresses);
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| ClusterError::Ballista {
            role: "executor",
            addr: addresses.flight.to_string(),
            message: one_line(&e.to_string()),
        })
}

/// Folds a multi-line message (Ballista's job errors span lines) onto one
/// line.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A minimal logger for the scheduler and executor processes: Ballista
/// logs through `log`; print its warnings and errors to stderr, one line
/// each. `CAPTURE_SQL_LOG` (error, warn, info, debug, trace) sets another
/// level.
pub fn init_logging() {
    let level = std::env::var("CAPTURE_SQL_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(log::LevelFilter::Warn);
    static LOGGER: StderrLogger = StderrLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "{} {}: {}",
                record.level(),
                record.target(),
                one_line(&record.args().to_string())
            );
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_parsing() {
        assert_eq!(
            parse_host_port("x", "127.0.0.1:50050").unwrap(),
            ("127.0.0.1".to_string(), 50050)
        );
        assert_eq!(
            parse_host_port("x", "df://sched.example:7").unwrap(),
            ("sched.example".to_string(), 7)
        );
        assert_eq!(
            parse_host_port("x", "df://[::1]:9/").unwrap(),
            ("::1".to_string(), 9)
        );
        for bad in ["", "host", ":1", "h:0", "h:70000", "h:x", "df://a/b:1"] {
            let e = parse_host_port("--scheduler", bad).unwrap_err().to_string();
            assert!(e.contains("HOST:PORT") && !e.contains('\n'), "{bad}: {e}");
        }
    }

    #[test]
    fn readyz_answers() {
        let ok =
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nready: 2 executors registered\n";
        assert_eq!(parse_readyz(ok), Some(2));
        let not = "HTTP/1.1 503 Service Unavailable\r\n\r\nnot ready: 0/1 executors registered\n";
        assert_eq!(parse_readyz(not), Some(0));
        let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1e\r\nready: 1 executors registered\n\r\n0\r\n\r\n";
        assert_eq!(parse_readyz(chunked), Some(1));
        assert_eq!(parse_readyz("HTTP/1.1 404 Not Found\r\n\r\n"), None);
        assert_eq!(parse_readyz("garbage"), None);
    }

    #[test]
    fn job_scan_errors_once_per_scan() {
        use ballista_core::serde::protobuf::{
            JobStageMetrics, NamedCount, OperatorMetric, OperatorWithMetrics,
        };
        let count = |name: &str, partition: u32| OperatorMetric {
            metric: Some(operator_metric::Metric::Count(NamedCount {
                name: name.to_string(),
                value: 1,
            })),
            partition: Some(partition),
        };
        let scan = |metrics: Vec<OperatorMetric>| OperatorWithMetrics {
            depth: 1,
            operator_type: "DataSourceExec".into(),
            operator_desc: "DataSourceExec: ...".into(),
            metrics,
        };
        let a = "capture_scan_error: /c/a.pcap: byte offset 9: truncated record";
        let b = "capture_scan_error: /c/b.pcap: byte offset 24: truncated record";
        let job = GetJobMetricsResult {
            stages: vec![
                JobStageMetrics {
                    stage_id: 1,
                    partitions: 2,
                    operators: vec![
                        OperatorWithMetrics {
                            depth: 0,
                            operator_type: "ShuffleWriterExec".into(),
                            operator_desc: "ShuffleWriterExec".into(),
                            // other counts are not scan errors
                            metrics: vec![count("transferred_bytes", 0)],
                        },
                        // a retried task's report twice, and one Ballista
                        // spread over two partitions: each once
                        scan(vec![count(a, 0), count(a, 0), count(b, 1), count(b, 0)]),
                    ],
                },
                // a second scan of the same file (a self-join): reported
                // again, as a local run does
                JobStageMetrics {
                    stage_id: 2,
                    partitions: 1,
                    operators: vec![scan(vec![count(a, 0)])],
                },
            ],
        };
        let got = scan_errors_of_job(&job);
        let want: Vec<String> = [a, b, a]
            .iter()
            .map(|m| {
                m.strip_prefix(crate::exec::SCAN_ERROR_METRIC)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn dead_scheduler_is_one_clear_line() {
        // a port nobody listens on: bind, note, release
        let port = free_port("127.0.0.1".parse().unwrap()).unwrap();
        let e = remote_context(&format!("df://127.0.0.1:{port}"), 0)
            .await
            .err()
            .expect("nothing listens there");
        let msg = e.to_string();
        assert!(
            matches!(e, ClusterError::SchedulerUnreachable { .. }),
            "{msg}"
        );
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        assert!(msg.contains("capture-sql scheduler --bind"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    /// The scheduler's connections have Nagle's algorithm off (the
    /// listener's TCP_NODELAY is inherited by accepted sockets on Linux).
    #[cfg(target_os = "linux")]
    #[test]
    fn scheduler_connections_have_nodelay() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async {
            let l = nodelay_listener("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = l.local_addr().unwrap();
            let (client, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), l.accept());
            let (server_side, _) = accepted.unwrap();
            assert!(server_side.nodelay().unwrap());
            drop(client);
        });
    }

    /// Two executors on one work directory: the second is refused while
    /// the first holds it, and may take it once the first is gone.
    #[test]
    fn a_work_directory_serves_one_executor_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_work_dir(dir.path()).unwrap();
        let e = lock_work_dir(dir.path()).unwrap_err();
        assert!(matches!(e, ClusterError::WorkDirInUse { .. }), "{e}");
        assert!(e.to_string().contains("--work-dir"), "{e}");
        drop(first);
        lock_work_dir(dir.path()).unwrap();
        let missing = dir.path().join("nope");
        assert!(matches!(
            lock_work_dir(&missing),
            Err(ClusterError::WorkDir { .. })
        ));
    }
}
