//! endace-cli: a hotfix over 20 simulated probes (`--forks 20`) against one
//! probe, and SFTP upload throughput over loopback against OpenSSH `sftp`.
//!
//! The probes are the `endace-cli` simulator behind real OpenSSH `sshd`
//! processes on 127.0.0.1 (needs root and openssh-server); this bench binary
//! doubles as the simulator (`sshd` runs it with `serve --state DIR`).
//!
//! Run: `cargo bench -p netops-benches --bench endace_fleet`
//! Knobs: `ENDACE_BENCH_PKG_MB` (package size, default 8),
//! `ENDACE_BENCH_RELOAD_S` (simulated reboot time, default 2),
//! `ENDACE_BENCH_UPLOAD_MB` (upload size, default 64).
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use endace_cli::fleet::{Status, no_progress, run_all};
use endace_cli::inventory::Inventory;
use endace_cli::jobs::{HotfixOptions, JobOptions, hotfix, upload};
use endace_cli::session::{Target, connect};
use endace_probe_sim::{FleetOptions, SimFleet, unavailable_reason};

fn env_f(name: &str, d: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn package(dir: &Path, name: &str, size: usize) -> PathBuf {
    let p = dir.join(name);
    let mut data = vec![0u8; size];
    netops_testkit::Rng::new(0x9e37_79b9_7f4a_7c15).fill(&mut data);
    std::fs::write(&p, data).expect("write package");
    p
}

fn reset(f: &SimFleet, pkg_name: &str, file: &str) {
    for (_, _, st) in f.probes() {
        let keep: String = std::fs::read_to_string(st.dir().join("installed"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.split('\t').next() != Some(pkg_name))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(st.dir().join("installed"), keep).expect("reset installed");
        let _ = std::fs::remove_file(st.packages_dir().join(file));
    }
}

fn targets(f: &SimFleet) -> Vec<Target> {
    let inv = Inventory::load(&f.inventory_path()).expect("inventory");
    inv.hosts()
        .iter()
        .map(|h| inv.target(h).expect("target"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let exe = std::env::current_exe().expect("current exe");
    let mut opts = FleetOptions::new(20, &exe);
    opts.reload_delay = Duration::from_secs_f64(env_f("ENDACE_BENCH_RELOAD_S", 2.0));
    if let Some(why) = unavailable_reason(&opts) {
        eprintln!("endace_fleet: skipped: {why}");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let fleet = SimFleet::start(tmp.path().join("fleet"), opts).expect("start fleet");
    let all = targets(&fleet);
    let pkg_mb = env_f("ENDACE_BENCH_PKG_MB", 8.0);
    let pkg = package(tmp.path(), "hf-bench.pkg", (pkg_mb * 1e6) as usize);
    let mut h = HotfixOptions::new(&pkg);
    h.poll = Duration::from_millis(250);
    h.down_grace = Duration::from_secs(10);
    h.up_deadline = Duration::from_secs(60);
    let jo = JobOptions {
        retries: 3,
        backoff: Duration::from_millis(200),
        transcript_dir: None,
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    let mut g = c.benchmark_group("endace_hotfix");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_millis(1));
    for (label, n) in [("1_probe", 1usize), ("20_probes_forks_20", 20)] {
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    reset(&fleet, "hf-bench", "hf-bench.pkg");
                    assert!(fleet.wait_all_up(Duration::from_secs(30)), "fleet not up");
                    let ts: Vec<Target> = all[..n].to_vec();
                    let (jo, h) = (jo.clone(), h.clone());
                    let start = Instant::now();
                    let res = rt.block_on(run_all(ts, 20, move |t| {
                        hotfix(t, jo.clone(), h.clone(), no_progress())
                    }));
                    total += start.elapsed();
                    for r in &res {
                        assert_eq!(r.status, Status::Ok, "{}: {}", r.host, r.message);
                    }
                }
                total
            })
        });
    }
    g.finish();

    // Upload throughput: fresh connection + upload + size check, ours vs OpenSSH sftp.
    let up_mb = env_f("ENDACE_BENCH_UPLOAD_MB", 64.0);
    let big = package(tmp.path(), "upload.bin", (up_mb * 1e6) as usize);
    let t0 = all[0].clone();
    let mut g = c.benchmark_group("endace_sftp_upload");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Bytes((up_mb * 1e6) as u64));
    for inflight in [1usize, 32] {
        g.bench_function(format!("russh_sftp_{inflight}_in_flight"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let conn = connect(&t0).await.expect("connect");
                    upload(&conn, &big, "/endace/packages/upload.bin", inflight, None)
                        .await
                        .expect("upload");
                    conn.close().await;
                })
            })
        });
    }
    let batch = tmp.path().join("sftp.batch");
    std::fs::write(
        &batch,
        format!("put {} /endace/packages/upload.bin\n", big.display()),
    )
    .expect("batch");
    let port = fleet.probes()[0].1.to_string();
    g.bench_function("openssh_sftp_client", |b| {
        b.iter(|| {
            let st = std::process::Command::new("sftp")
                .args(["-q", "-b"])
                .arg(&batch)
                .args(["-o", "BatchMode=yes", "-o"])
                .arg(format!(
                    "UserKnownHostsFile={}",
                    fleet.known_hosts_path().display()
                ))
                .arg("-i")
                .arg(fleet.client_key_path())
                .args(["-P", &port, "root@127.0.0.1"])
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run sftp");
            assert!(st.success(), "openssh sftp failed");
        })
    });
    g.finish();
}

fn main() {
    // sshd runs this binary as the simulator: `<exe> serve --state DIR`.
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "serve" && args[2] == "--state" {
        std::process::exit(endace_probe_sim::serve_session(Path::new(&args[3])));
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
