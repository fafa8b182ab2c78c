//! Fleet runs: bounded concurrency, retries with back-off, per-host results.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;
use crate::session::{Connection, Target, connect};

/// How a host ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Done (changed something, or read what was asked).
    Ok,
    /// Nothing to do (e.g. package already installed).
    Skipped,
    /// Failed: see the message.
    Failed,
    /// Not attempted: a serial rollout stopped before this host's batch
    /// (see [`run_batches`]).
    NotAttempted,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Failed => "FAILED",
            Status::NotAttempted => "not attempted",
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

/// Render results as a plain text table, with a count line at the end
/// (`3 hosts: 1 ok, 0 skipped, 1 failed`, then `, 1 not attempted` when a
/// rollout stopped).
pub fn results_table<T>(results: &[HostResult<T>]) -> String {
    let w = results
        .iter()
        .map(|r| r.host.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let sw = results
        .iter()
        .map(|r| r.status.to_string().len())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut s = format!(
        "{:<w$}  {:<sw$}  {:>8}  {}\n",
        "host", "status", "seconds", "message"
    );
    for r in results {
        s.push_str(&format!(
            "{:<w$}  {:<sw$}  {:>8.1}  {}\n",
            r.host,
            r.status.to_string(),
            r.seconds,
            r.message.replace('\n', " ")
        ));
    }
    let count = |st: Status| results.iter().filter(|r| r.status == st).count();
    s.push_str(&format!(
        "{} hosts: {} ok, {} skipped, {} failed",
        results.len(),
        count(Status::Ok),
        count(Status::Skipped),
        count(Status::Failed),
    ));
    match count(Status::NotAttempted) {
        0 => s.push('\n'),
        n => s.push_str(&format!(", {n} not attempted\n")),
    }
    s
}

/// Exit status of a fleet run: 2 when any host failed, else 0 (skipped and
/// not-attempted hosts alone do not fail a run: a stopped rollout always
/// has a failed host).
pub fn exit_code<T>(results: &[HostResult<T>]) -> u8 {
    if results.iter().any(|r| r.status == Status::Failed) {
        2
    } else {
        0
    }
}

/// How [`run_batches`] rolls a job out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Hosts per batch; `None` is one batch with every host.
    pub batch: Option<usize>,
    /// Hosts worked on at once inside a batch.
    pub forks: usize,
    /// Start the next batch even when a host of this one failed.
    pub continue_on_failure: bool,
}

/// What [`run_batches`] reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchEvent {
    /// Batch `index` (from 1) of `hosts` hosts starts.
    Start {
        /// Batch number, from 1.
        index: usize,
        /// Hosts in it.
        hosts: usize,
    },
    /// Batch `index` had failed hosts; the rollout stops and `remaining`
    /// hosts are left untouched (reported as [`Status::NotAttempted`]).
    Stopped {
        /// Batch number, from 1.
        index: usize,
        /// The failed hosts of that batch.
        failed: Vec<String>,
        /// Hosts not attempted.
        remaining: usize,
    },
}

/// Roll `job` out in batches of `opts.batch` hosts (all at once when
/// `None`), each batch with [`run_all`] and at most `opts.forks` at once.
///
/// A batch with a failed host ends the rollout unless
/// `opts.continue_on_failure`: the hosts of later batches are not touched
/// and come back as [`Status::NotAttempted`] (message naming the failed
/// batch). Results are in input order; `on_event` hears each batch start
/// and the stop.
pub async fn run_batches<T, F, Fut>(
    targets: Vec<Target>,
    opts: BatchOptions,
    mut on_event: impl FnMut(BatchEvent),
    job: F,
) -> Vec<HostResult<T>>
where
    T: Send + 'static,
    F: Fn(Target) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Done<T>, Error>> + Send + 'static,
{
    let size = opts.batch.unwrap_or(targets.len()).max(1);
    let job = Arc::new(job);
    let mut out = Vec::with_capacity(targets.len());
    let mut batches = targets.chunks(size).enumerate();
    for (i, chunk) in batches.by_ref() {
        on_event(BatchEvent::Start {
            index: i + 1,
            hosts: chunk.len(),
        });
        let j = job.clone();
        let res = run_all(chunk.to_vec(), opts.forks, move |t| j(t)).await;
        let failed: Vec<String> = res
            .iter()
            .filter(|r| r.status == Status::Failed)
            .map(|r| r.host.clone())
            .collect();
        out.extend(res);
        if !failed.is_empty() && !opts.continue_on_failure {
            let rest: Vec<Target> = batches.by_ref().flat_map(|(_, c)| c.to_vec()).collect();
            if rest.is_empty() {
                break;
            }
            let message = format!(
                "not attempted: the rollout stopped after batch {} failed ({})",
                i + 1,
                failed.join(", ")
            );
            on_event(BatchEvent::Stopped {
                index: i + 1,
                failed,
                remaining: rest.len(),
            });
            out.extend(rest.into_iter().map(|t| HostResult {
                host: t.name,
                status: Status::NotAttempted,
                message: message.clone(),
                seconds: 0.0,
                data: None,
            }));
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::known_hosts::KnownHosts;
    use crate::session::Credentials;

    fn targets(n: usize) -> Vec<Target> {
        (1..=n)
            .map(|i| {
                Target::new(
                    format!("p{i}"),
                    "127.0.0.1",
                    22,
                    Credentials::default(),
                    KnownHosts::new("/nonexistent"),
                )
            })
            .collect()
    }

    /// Hosts in `bad` fail; every call is recorded.
    type JobFuture = std::pin::Pin<Box<dyn Future<Output = Result<Done<()>, Error>> + Send>>;

    fn job(
        bad: &'static [&'static str],
        seen: Arc<std::sync::Mutex<Vec<String>>>,
    ) -> impl Fn(Target) -> JobFuture + Send + Sync + 'static {
        move |t: Target| {
            seen.lock().unwrap().push(t.name.clone());
            let fail = bad.contains(&t.name.as_str());
            Box::pin(async move {
                if fail {
                    Err(Error::Step {
                        host: t.name,
                        step: "install".into(),
                        message: "boom".into(),
                    })
                } else {
                    Ok(Done {
                        status: Status::Ok,
                        message: "done".into(),
                        data: None,
                    })
                }
            })
        }
    }

    fn rollout(
        n: usize,
        batch: Option<usize>,
        go_on: bool,
        bad: &'static [&'static str],
    ) -> (Vec<HostResult<()>>, Vec<String>, Vec<BatchEvent>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut events = Vec::new();
        let opts = BatchOptions {
            batch,
            forks: 2,
            continue_on_failure: go_on,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let res = rt.block_on(run_batches(
            targets(n),
            opts,
            |e| events.push(e),
            job(bad, seen.clone()),
        ));
        let seen = seen.lock().unwrap().clone();
        (res, seen, events)
    }

    #[test]
    fn a_failed_batch_stops_the_rollout() {
        let (res, seen, events) = rollout(5, Some(2), false, &["p2"]);
        assert_eq!(seen.len(), 2, "only batch 1 ran: {seen:?}");
        let st: Vec<Status> = res.iter().map(|r| r.status).collect();
        assert_eq!(
            st,
            [
                Status::Ok,
                Status::Failed,
                Status::NotAttempted,
                Status::NotAttempted,
                Status::NotAttempted
            ]
        );
        let names: Vec<&str> = res.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(names, ["p1", "p2", "p3", "p4", "p5"]);
        assert!(
            res[4].message.contains("batch 1 failed (p2)"),
            "{}",
            res[4].message
        );
        assert_eq!(
            events,
            [
                BatchEvent::Start { index: 1, hosts: 2 },
                BatchEvent::Stopped {
                    index: 1,
                    failed: vec!["p2".into()],
                    remaining: 3
                }
            ]
        );
        assert_eq!(exit_code(&res), 2);
        let table = results_table(&res);
        assert!(
            table.ends_with("5 hosts: 1 ok, 0 skipped, 1 failed, 3 not attempted\n"),
            "{table}"
        );
        assert!(
            table.contains("p3    not attempted       0.0  not attempted: "),
            "{table}"
        );
    }

    #[test]
    fn continue_on_failure_runs_every_batch() {
        let (res, seen, events) = rollout(5, Some(2), true, &["p2"]);
        assert_eq!(seen.len(), 5);
        assert_eq!(res.iter().filter(|r| r.status == Status::Ok).count(), 4);
        assert_eq!(events.len(), 3);
        assert_eq!(exit_code(&res), 2);
    }

    #[test]
    fn a_failure_in_the_last_batch_or_without_batches_leaves_nothing_untried() {
        let (res, seen, events) = rollout(4, Some(2), false, &["p4"]);
        assert_eq!(seen.len(), 4);
        assert!(res.iter().all(|r| r.status != Status::NotAttempted));
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, BatchEvent::Stopped { .. }))
        );
        let (res, seen, _) = rollout(3, None, false, &["p1"]);
        assert_eq!(seen.len(), 3);
        assert_eq!(res.len(), 3);
    }

    #[test]
    fn table_without_not_attempted_keeps_its_shape() {
        let (res, _, _) = rollout(2, None, false, &["p2"]);
        let table = results_table(&res);
        assert!(
            table.starts_with("host  status    seconds  message\n"),
            "{table}"
        );
        assert!(
            table.ends_with("2 hosts: 1 ok, 0 skipped, 1 failed\n"),
            "{table}"
        );
    }
}
