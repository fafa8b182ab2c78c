//! Fleet runs: bounded concurrency, retries with back-off, per-host results.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;
use crate::session::{Connection, Target, connect};

/// How a host ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Done (changed something, or read what was asked).
    Ok,
    /// Nothing to do (e.g. package already installed).
    Skipped,
    /// Failed: see the message.
    Failed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Failed => "FAILED",
        })
    }
}

/// The result for one host.
#[derive(Debug, Clone, Serialize)]
pub struct HostResult<T> {
    /// Inventory name.
    pub host: String,
    /// Outcome.
    pub status: Status,
    /// One-line summary or error.
    pub message: String,
    /// Wall time for this host, seconds.
    pub seconds: f64,
    /// Job-specific data (command output, parsed rows, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// Fleet settings.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Hosts worked on at once.
    pub forks: usize,
    /// Extra connection attempts after a connect failure.
    pub retries: u32,
    /// First back-off delay (doubles each retry, capped at 30 s).
    pub backoff: Duration,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            forks: 10,
            retries: 2,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Progress messages (host, step) for stderr.
pub type Progress = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// A progress sink that drops everything.
pub fn no_progress() -> Progress {
    Arc::new(|_, _| {})
}

/// Connect with retries and exponential back-off; only connection-level
/// failures (refused, reset, connect timeout) are retried, never auth or
/// host-key failures.
pub async fn connect_with_retry(
    target: &Target,
    retries: u32,
    backoff: Duration,
) -> Result<Connection, Error> {
    let mut delay = backoff;
    let mut attempt = 0;
    loop {
        match connect(target).await {
            Ok(c) => return Ok(c),
            Err(e) if e.is_retryable() && attempt < retries => {
                attempt += 1;
                tracing::debug!(host = %target.name, attempt, "connect failed, retrying: {e}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(e) => return Err(e),
        }
    }
}

/// What a per-host job returns on success.
#[derive(Debug, Clone)]
pub struct Done<T> {
    /// Ok or Skipped.
    pub status: Status,
    /// Summary.
    pub message: String,
    /// Data.
    pub data: Option<T>,
}

/// Run `job` on every target with at most `forks` at once. A failing host
/// never stops the others; results come back in input order.
pub async fn run_all<T, F, Fut>(targets: Vec<Target>, forks: usize, job: F) -> Vec<HostResult<T>>
where
    T: Send + 'static,
    F: Fn(Target) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Done<T>, Error>> + Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(forks.max(1)));
    let job = Arc::new(job);
    let mut tasks = Vec::new();
    for t in targets {
        let (sem, job) = (sem.clone(), job.clone());
        let name = t.name.clone();
        tasks.push((
            name,
            tokio::spawn(async move {
                let _permit = sem.acquire_owned().await;
                let start = Instant::now();
                let r = job(t).await;
                (r, start.elapsed())
            }),
        ));
    }
    let mut out = Vec::new();
    for (host, task) in tasks {
        out.push(match task.await {
            Ok((Ok(d), el)) => HostResult {
                host,
                status: d.status,
                message: d.message,
                seconds: el.as_secs_f64(),
                data: d.data,
            },
            Ok((Err(e), el)) => HostResult {
                host,
                status: Status::Failed,
                message: e.to_string(),
                seconds: el.as_secs_f64(),
                data: None,
            },
            Err(e) => HostResult {
                host,
                status: Status::Failed,
                message: format!("internal error: job panicked or was cancelled: {e}"),
                seconds: 0.0,
                data: None,
            },
        });
    }
    out
}

/// Render results as a plain text table.
pub fn results_table<T>(results: &[HostResult<T>]) -> String {
    let w = results
        .iter()
        .map(|r| r.host.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut s = format!(
        "{:<w$}  {:<7}  {:>8}  {}\n",
        "HOST", "STATUS", "SECONDS", "MESSAGE"
    );
    for r in results {
        s.push_str(&format!(
            "{:<w$}  {:<7}  {:>8.1}  {}\n",
            r.host,
            r.status.to_string(),
            r.seconds,
            r.message.replace('\n', " ")
        ));
    }
    let failed = results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .count();
    s.push_str(&format!(
        "{} hosts: {} ok, {} skipped, {} failed\n",
        results.len(),
        results.iter().filter(|r| r.status == Status::Ok).count(),
        results
            .iter()
            .filter(|r| r.status == Status::Skipped)
            .count(),
        failed
    ));
    s
}
