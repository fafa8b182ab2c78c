//! A real Ballista cluster on 127.0.0.1: `capture-sql scheduler` and two
//! `capture-sql executor` processes (the binary cargo built for the
//! tests), then the same queries through `--cluster` and locally must
//! print the same rows, and an executor killed in the middle of a query
//! must not turn into a wrong answer. Every process is killed when its
//! guard drops, also when an assertion fails.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_capture-sql");

/// A child process killed (and reaped) on drop.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
    /// Kept open so a late write to stdout does not fail.
    _stdout: Option<BufReader<ChildStdout>>,
}

impl Proc {
    /// Starts `capture-sql ARGS` with stderr to `dir/NAME.log` and returns
    /// it with the first line it printed on stdout.
    fn start(name: &str, dir: &Path, args: &[&str]) -> (Proc, String) {
        let log = dir.join(format!("{name}.log"));
        let err = fs::File::create(&log).expect("log file");
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("start capture-sql");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let n = stdout.read_line(&mut line).unwrap_or(0);
        let mut proc = Proc {
            name: name.to_string(),
            child,
            log,
            _stdout: Some(stdout),
        };
        if n == 0 {
            let status = proc.child.wait().ok();
            panic!(
                "{name} did not start ({status:?}): {}",
                fs::read_to_string(&proc.log).unwrap_or_default()
            );
        }
        (proc, line.trim().to_string())
    }

    fn log(&self) -> String {
        format!(
            "--- {} ---\n{}",
            self.name,
            fs::read_to_string(&self.log).unwrap_or_default()
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Scheduler plus executors, all killed on drop.
struct Cluster {
    url: String,
    addr: String,
    scheduler: Proc,
    executors: Vec<Option<(Proc, PathBuf)>>,
}

impl Cluster {
    fn start(dir: &Path, executors: usize) -> Cluster {
        // a short executor timeout so a killed executor is noticed quickly
        let (scheduler, line) = Proc::start(
            "scheduler",
            dir,
            &[
                "scheduler",
                "--bind",
                "127.0.0.1:0",
                "--executor-timeout",
                "4",
            ],
        );
        let addr = line
            .rsplit(' ')
            .next()
            .expect("scheduler prints its address")
            .to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        let mut cluster = Cluster {
            url: format!("df://{addr}"),
            addr: addr.clone(),
            scheduler,
            executors: Vec::new(),
        };
        for i in 0..executors {
            let work = dir.join(format!("executor{i}"));
            let work_s = work.display().to_string();
            let (p, line) = Proc::start(
                &format!("executor{i}"),
                dir,
                &[
                    "executor",
                    "--scheduler",
                    &addr,
                    "--bind",
                    "127.0.0.1:0",
                    "--concurrency",
                    "2",
                    "--heartbeat",
                    "1",
                    "--work-dir",
                    &work_s,
                ],
            );
            assert!(line.contains("flight 127.0.0.1:"), "{line}");
            cluster.executors.push(Some((p, work)));
        }
        cluster.wait_for_executors(executors);
        cluster
    }

    fn logs(&self) -> String {
        let mut s = self.scheduler.log();
        for (p, _) in self.executors.iter().flatten() {
            s.push('\n');
            s.push_str(&p.log());
        }
        s
    }

    /// Polls the scheduler's `/readyz` until it counts `n` executors.
    fn wait_for_executors(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while Instant::now() < deadline {
            last = readyz(&self.addr);
            if last.contains(&format!("ready: {n} executors")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("executors did not register: {last}\n{}", self.logs());
    }

    fn kill_executor(&mut self, i: usize) {
        if let Some((mut p, _)) = self.executors[i].take() {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

fn readyz(addr: &str) -> String {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return "connection refused".into();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        s,
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run capture-sql")
}

/// `capture-sql --format csv [--cluster URL] SQL PATHS...`, stdout on success.
fn query(cluster: Option<&Cluster>, sql: &str, paths: &[String]) -> Result<String, String> {
    let (code, stdout, stderr) = query_output(cluster, sql, paths);
    if code == 0 { Ok(stdout) } else { Err(stderr) }
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Generated captures: TLS handshakes of every version among bulk TCP.
fn generate(dir: &Path, files: usize, mib: u64) -> Vec<String> {
    (0..files)
        .map(|i| {
            let path = dir.join(format!("gen{i}.pcap"));
            let f = std::io::BufWriter::new(fs::File::create(&path).expect("create"));
            netops_testkit::tls::capture::write_bench_capture(f, mib << 20, 20, 7 + i as u64)
                .expect("write capture");
            path.display().to_string()
        })
        .collect()
}

fn rows_of_parquet(path: &Path) -> Vec<String> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let fmt: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| {
                arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &Default::default())
                    .expect("formatter")
            })
            .collect();
        for r in 0..batch.num_rows() {
            rows.push(
                fmt.iter()
                    .map(|f| f.value(r).to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    rows
}

const JOIN: &str = "SELECT t.version, f.transport, count(*) AS n, sum(f.client_packets + f.server_packets) AS packets \
     FROM tls t JOIN flows f ON t.file = f.file AND t.client_ip = f.client_ip AND t.client_port = f.client_port \
     AND t.server_ip = f.server_ip AND t.server_port = f.server_port \
     GROUP BY t.version, f.transport ORDER BY t.version, f.transport";

#[test]
fn cluster_answers_like_the_local_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = vec![testdata().join("tls").display().to_string()];
    paths.extend(generate(dir.path(), 4, 3));
    let cluster = Cluster::start(dir.path(), 2);

    let filtered = format!(
        "SELECT sni, server_ip, count(*) AS n FROM tls WHERE server_ip IN ({}) \
         AND first_seen >= TIMESTAMP '2026-11-02T09:00:00.0001Z' \
         GROUP BY sni, server_ip ORDER BY sni, server_ip",
        (1..=40)
            .map(|i| format!("'192.0.2.{i}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let queries: [&str; 7] = [
        "SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC, version",
        JOIN,
        "SELECT server_port, count(*) AS n, sum(client_bytes) AS up FROM flows \
         WHERE transport = 'tcp' AND server_port IN (443, 8443) GROUP BY server_port ORDER BY server_port",
        &filtered,
        "SELECT count(*) AS n FROM (SELECT client_ip FROM tls LIMIT 7)",
        "SELECT file, client_ip, client_port, version FROM tls \
         ORDER BY first_seen, file, client_ip, client_port LIMIT 5",
        "SELECT count(*) AS n, count(DISTINCT ja4) AS ja4s, min(first_seen) AS first, max(first_seen) AS last FROM tls",
    ];
    for sql in &queries {
        let sql: &str = sql;
        let local = query(None, sql, &paths).unwrap_or_else(|e| panic!("local {sql}: {e}"));
        let remote = query(Some(&cluster), sql, &paths)
            .unwrap_or_else(|e| panic!("cluster {sql}: {e}\n{}", cluster.logs()));
        assert!(
            local.lines().count() > 1,
            "{sql}: no rows locally:\n{local}"
        );
        assert_eq!(local, remote, "{sql}");
    }

    // A GROUP BY of few groups (TLS versions) has its final aggregate in
    // one task: two stages, not three; one of many groups (servers) keeps
    // the hash partitions; `--set` overrides the choice and travels with
    // the query to the scheduler. Same rows every way.
    let versions =
        "SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC, version";
    let servers =
        "SELECT server_ip, count(*) AS n FROM tls GROUP BY server_ip ORDER BY n DESC, server_ip";
    let partitioned = "datafusion.optimizer.repartition_aggregations=true";
    let single = "datafusion.optimizer.repartition_aggregations=false";
    // stdout of `--cluster URL --format csv [--explain] [--set S] SQL PATHS`
    let on_cluster = |explain: bool, set: &[&str], sql: &str| {
        let mut args = vec!["--cluster", &cluster.url, "--format", "csv"];
        if explain {
            args.push("--explain");
        }
        args.extend(set.iter().flat_map(|s| ["--set", *s]));
        args.push(sql);
        args.extend(paths.iter().map(String::as_str));
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stages = |set: &[&str], sql: &str| {
        on_cluster(true, set, sql)
            .matches("Stage[stage_id=")
            .count()
    };
    assert_eq!(stages(&[], versions), 2);
    assert_eq!(stages(&[partitioned], versions), 3);
    assert_eq!(stages(&[], servers), 3);
    assert_eq!(stages(&[single], servers), 2);
    for (set, sql) in [
        (&[][..], versions),
        (&[partitioned][..], versions),
        (&[][..], servers),
        (&[single][..], servers),
    ] {
        assert_eq!(
            on_cluster(false, set, sql),
            query(None, sql, &paths).expect("local"),
            "{set:?} {sql}"
        );
    }

    // COPY TO parquet: written by an executor on the cluster
    let copy = |to: &Path| {
        format!(
            "COPY (SELECT file, client_ip, client_port, server_ip, server_port, version, sni FROM tls \
             ORDER BY file, client_ip, client_port, server_ip, server_port) TO '{}'",
            to.display()
        )
    };
    let local_pq = dir.path().join("local.parquet");
    let remote_pq = dir.path().join("cluster.parquet");
    query(None, &copy(&local_pq), &paths).expect("local COPY");
    query(Some(&cluster), &copy(&remote_pq), &paths)
        .unwrap_or_else(|e| panic!("cluster COPY: {e}\n{}", cluster.logs()));
    let (a, b) = (rows_of_parquet(&local_pq), rows_of_parquet(&remote_pq));
    assert!(a.len() > 100, "{} rows", a.len());
    assert_eq!(a, b);
}

/// `capture-sql --format csv [--cluster URL] SQL PATHS...`, whatever the
/// exit status: (status code, stdout, stderr).
fn query_output(cluster: Option<&Cluster>, sql: &str, paths: &[String]) -> (i32, String, String) {
    let mut args = vec!["--format", "csv"];
    if let Some(c) = cluster {
        args.extend(["--cluster", c.url.as_str()]);
    }
    args.push(sql);
    args.extend(paths.iter().map(String::as_str));
    let out = run(&args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sorted_lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().collect();
    v.sort_unstable();
    v
}

#[test]
fn damaged_capture_on_the_cluster_is_reported_by_the_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = fs::read(testdata().join("tls/handshakes.pcap")).expect("testdata");
    let bad = dir.path().join("cut.pcap");
    fs::write(&bad, &bytes[..bytes.len() - 5]).expect("write the cut copy");
    let mut paths = vec![testdata().join("tls").display().to_string()];
    paths.extend(generate(dir.path(), 2, 1));
    let good = paths.clone();
    paths.push(bad.display().to_string());
    let cluster = Cluster::start(dir.path(), 2);

    let sql = "SELECT file, count(*) AS n FROM tls GROUP BY file ORDER BY file";
    let (code, local, local_err) = query_output(None, sql, &paths);
    assert_eq!(code, 2, "local: {local_err}");
    assert_eq!(local_err.lines().count(), 1, "local: {local_err}");
    assert!(local_err.contains("cut.pcap: byte offset"), "{local_err}");
    assert!(
        local.contains("cut.pcap"),
        "rows before the damage: {local}"
    );

    let (code, remote, remote_err) = query_output(Some(&cluster), sql, &paths);
    assert_eq!(remote, local, "{remote_err}\n{}", cluster.logs());
    assert_eq!(remote_err, local_err, "{}", cluster.logs());
    assert_eq!(code, 2, "{remote_err}");

    // two scans of the damaged file (a join, more stages): each scan
    // reports it once, as locally
    let (code, local, local_err) = query_output(None, JOIN, &paths);
    assert_eq!(code, 2, "local: {local_err}");
    let (rcode, remote, remote_err) = query_output(Some(&cluster), JOIN, &paths);
    assert_eq!(remote, local, "{remote_err}\n{}", cluster.logs());
    assert_eq!(sorted_lines(&remote_err), sorted_lines(&local_err));
    assert_eq!(rcode, code);
    assert!(
        remote_err
            .lines()
            .all(|l| l.contains("cut.pcap: byte offset")),
        "{remote_err}"
    );

    // nothing damaged: exit 0, nothing on stderr
    let (code, remote, remote_err) = query_output(Some(&cluster), sql, &good);
    assert_eq!((code, remote_err.as_str()), (0, ""), "{}", cluster.logs());
    assert_eq!(remote, query(None, sql, &good).expect("local"));
}

#[test]
fn cluster_errors_are_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = [testdata().join("tls").display().to_string()];
    // nothing listens: bind a port, note it, release it
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("df://127.0.0.1:{port}");
    let out = run(&["--cluster", &url, "SELECT count(*) FROM tls", &paths[0]]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("scheduler"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // a scheduler without executors
    let (_scheduler, line) = Proc::start(
        "scheduler",
        dir.path(),
        &["scheduler", "--bind", "127.0.0.1:0"],
    );
    let addr = line.rsplit(' ').next().expect("address").to_string();
    let url = format!("df://{addr}");
    let out = run(&["--cluster", &url, "SELECT count(*) FROM tls", &paths[0]]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no executors"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // an executor whose scheduler is not there
    let out = run(&[
        "executor",
        "--scheduler",
        &format!("127.0.0.1:{port}"),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no scheduler answers"), "{err}");
}

#[test]
fn a_killed_executor_never_gives_a_wrong_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = generate(dir.path(), 8, 6);
    let sql = JOIN;
    let local = query(None, sql, &paths).expect("local");
    let mut cluster = Cluster::start(dir.path(), 2);

    let work = cluster.executors[0].as_ref().expect("executor").1.clone();
    let dirs = |p: &Path| -> Vec<PathBuf> {
        fs::read_dir(p)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = dirs(&work);
    let mut args: Vec<String> = ["--format", "csv", "--cluster", cluster.url.as_str(), sql]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(paths.iter().cloned());
    let client = Command::new(BIN)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("client");
    let mut client = Proc {
        name: "client".into(),
        child: client,
        log: dir.path().join("client.log"),
        _stdout: None,
    };
    // Kill executor 0 as soon as it runs a task of the job (its work
    // directory gets the job's shuffle directory).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut killed = false;
    while Instant::now() < deadline {
        let busy = dirs(&work).iter().any(|d| !before.contains(d));
        if busy {
            cluster.kill_executor(0);
            killed = true;
            break;
        }
        if client.child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut out = String::new();
    let mut err = String::new();
    let status = loop {
        if let Some(s) = client.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline + Duration::from_secs(120),
            "the query hangs after the executor was killed\n{}",
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(mut o) = client.child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = client.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(
        killed,
        "executor 0 never ran a task; the query ended first: {out}{err}"
    );
    if status.success() {
        // Ballista ran the lost tasks again on the other executor
        assert_eq!(
            out,
            local,
            "wrong answer after losing an executor\n{}",
            cluster.logs()
        );
    } else {
        assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
        assert!(!err.trim().is_empty());
        eprintln!("the query failed cleanly after losing an executor: {err}");
    }
    // the survivor still answers
    let again = query(Some(&cluster), sql, &paths)
        .unwrap_or_else(|e| panic!("after the loss: {e}\n{}", cluster.logs()));
    assert_eq!(again, local);
}
