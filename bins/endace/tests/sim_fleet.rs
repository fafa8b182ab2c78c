//! End-to-end tests: the `endace` client against simulated probes served by
//! a real OpenSSH `sshd` on 127.0.0.1 (started and stopped by the tests).
//! Needs root (sshd, mount namespaces for the chrooted sftp-server).
//!
//! This test binary is also the simulator: each probe's `sshd` runs
//! `ForceCommand <this binary> serve --state DIR`, which `main` hands to
//! `endace_probe_sim::serve_session`. The `endace-probe-sim` executable
//! belongs to another package, and cargo neither builds a dependency's
//! binaries nor sets `CARGO_BIN_EXE_` for them, so it may not exist when
//! only this package is tested; the test binary always does. Hence
//! `harness = false` and the small runner in `main` (name filters as
//! arguments, tests one after another).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use endace_cli::Error;
use endace_cli::fleet::{Status, no_progress, run_all};
use endace_cli::inventory::Inventory;
use endace_cli::jobs::{HotfixOptions, JobOptions, hotfix, run_command};
use endace_cli::known_hosts::KnownHosts;
use endace_cli::session::{HostKeyPolicy, Secret, Target, connect};
use endace_probe_sim::{FleetOptions, SimFleet, fault, unavailable_reason};

const ENDACE: &str = env!("CARGO_BIN_EXE_endace");

fn fleet(n: usize) -> Option<(tempfile::TempDir, SimFleet)> {
    let sim = std::env::current_exe().expect("the test binary's path");
    let mut opts = FleetOptions::new(n, sim);
    opts.reload_delay = Duration::from_millis(800);
    if let Some(why) = unavailable_reason(&opts) {
        if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("NETOPS_REQUIRE_PEERS=1 but the sshd fleet cannot run: {why}");
        }
        eprintln!("skipping: {why}");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let f = SimFleet::start(dir.path().join("fleet"), opts).expect("start fleet");
    Some((dir, f))
}

fn targets(f: &SimFleet) -> Vec<Target> {
    let inv = Inventory::load(&f.inventory_path()).expect("inventory");
    inv.hosts()
        .iter()
        .map(|h| inv.target(h).expect("target"))
        .collect()
}

fn package(dir: &Path, name: &str, size: usize) -> std::path::PathBuf {
    let p = dir.join(name);
    // Deterministic pseudo-random content.
    let mut data = vec![0u8; size];
    netops_testkit::Rng::new(0x1234_5678).fill(&mut data);
    std::fs::write(&p, data).expect("write package");
    p
}

fn fast(mut h: HotfixOptions) -> HotfixOptions {
    h.poll = Duration::from_millis(200);
    h.down_grace = Duration::from_secs(5);
    h.up_deadline = Duration::from_secs(20);
    h
}

fn cli_dry_run_hotfix_skip_and_run() {
    let Some((tmp, f)) = fleet(3) else { return };
    let pkg = package(tmp.path(), "hf-7.2.1-p3.pkg", 3_000_000);
    // probe-01 has another session in configuration mode: the client must answer YES.
    f.probes()[0].2.set(fault::CONFIG_LOCK, true).unwrap();
    let inv = f.inventory_path();
    let endace = |args: &[&str]| {
        let out = Command::new(ENDACE)
            .arg("-i")
            .arg(&inv)
            .args(args)
            .output()
            .expect("run endace");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, out, err) = endace(&[
        "--format",
        "json",
        "hotfix",
        "--dry-run",
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    for r in v.as_array().unwrap() {
        assert_eq!(r["status"], "ok", "{r}");
        assert!(
            r["message"].as_str().unwrap().contains("would install"),
            "{r}"
        );
    }
    for (_, _, st) in f.probes() {
        assert!(
            st.installed().iter().all(|p| p.name != "hf-7.2.1-p3"),
            "dry run must not install"
        );
        assert!(
            !st.packages_dir().join("hf-7.2.1-p3.pkg").exists(),
            "dry run must not upload"
        );
    }

    let (code, out, err) = endace(&[
        "--forks",
        "3",
        "hotfix",
        "--serial",
        "2",
        "--verify-checksum",
        "--reboot-deadline",
        "30",
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("3 hosts: 3 ok, 0 skipped, 0 failed"), "{out}");
    assert!(err.contains("batch 2 (1 probes)"), "{err}");
    for (name, _, st) in f.probes() {
        assert_eq!(
            std::fs::read(st.packages_dir().join("hf-7.2.1-p3.pkg")).unwrap(),
            std::fs::read(&pkg).unwrap(),
            "{name}: uploaded bytes differ"
        );
        assert!(
            st.installed()
                .iter()
                .any(|p| p.name == "hf-7.2.1-p3" && p.size == 3_000_000),
            "{name}"
        );
        assert_eq!(st.boots(), 1, "{name} must have rebooted once");
        assert!(
            st.dir().join("config-saved").exists(),
            "{name}: configuration saved"
        );
    }
    assert!(f.wait_all_up(Duration::from_secs(10)));

    let (code, out, _) = endace(&["hotfix", pkg.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert!(out.contains("3 hosts: 0 ok, 3 skipped, 0 failed"), "{out}");

    let capdir = tmp.path().join("capacity");
    let (code, out, err) = endace(&["collect", "--out", capdir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let csv = std::fs::read_to_string(capdir.join("rotation_file.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "device,rot_file_name,user_size_limit_gb,actual_size_limit_gb,disk_usage_gb,vision_retention_time,vision_size_gb,current_size_gb,source"
    );
    let want: usize = f
        .probes()
        .iter()
        .map(|(_, _, st)| {
            endace_probe_sim::show_rotation_files(st)
                .matches("Rotation file:")
                .count()
        })
        .sum();
    assert_eq!(lines.count(), want);
    for (name, _, _) in f.probes() {
        assert!(csv.contains(&format!("\n{name},rotfile_main,")), "{csv}");
    }
    let fs = std::fs::read_to_string(capdir.join("files_system.csv")).unwrap();
    assert_eq!(
        fs.lines().filter(|l| l.contains(",/endace,")).count(),
        3,
        "{fs}"
    );

    let (code, out, _) = endace(&["--format", "jsonl", "run", "show packages"]);
    assert_eq!(code, Some(0));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        let data = l["output"].as_str().unwrap();
        assert!(data.contains("hf-7.2.1-p3"), "{data}");
        assert!(
            !data.contains("show packages"),
            "echo must be stripped: {data}"
        );
        assert!(!data.contains(" # "), "prompt must be stripped: {data}");
    }
}

fn faults_are_reported_for_that_host_only() {
    let Some((tmp, f)) = fleet(8) else { return };
    let pkg = package(tmp.path(), "hf-9.pkg", 200_000);
    let probes = f.probes();
    let mut t = targets(&f);
    // 1: wrong password (no key).
    t[1].credentials.key_file = None;
    t[1].credentials.password = Some(Secret::new("not-the-password"));
    // 2: a key the probe does not know.
    let other = tmp.path().join("other_key");
    assert!(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(&other)
            .status()
            .unwrap()
            .success()
    );
    t[2].credentials.key_file = Some(other);
    // 3: known_hosts holds another key for this probe: must refuse.
    let kh = std::fs::read_to_string(f.known_hosts_path()).unwrap();
    let fake = std::fs::read_to_string(tmp.path().join("other_key.pub")).unwrap();
    let fake: Vec<&str> = fake.split_whitespace().take(2).collect();
    let tampered: String = kh
        .lines()
        .map(|l| {
            if l.starts_with(&format!("[127.0.0.1]:{} ", probes[3].1)) {
                format!("[127.0.0.1]:{} {} {}\n", probes[3].1, fake[0], fake[1])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let tampered_path = tmp.path().join("known_hosts.tampered");
    std::fs::write(&tampered_path, tampered).unwrap();
    t[3].known_hosts = KnownHosts::new(&tampered_path);
    t[3].host_key_policy = HostKeyPolicy::AcceptNew; // accept-new must still refuse a changed key
    // 4: host down.
    f.stop_probe(4);
    // 5: install fails.
    probes[5].2.set(fault::INSTALL_FAILS, true).unwrap();
    // 6: never comes back from reload.
    probes[6].2.set(fault::NEVER_RETURN, true).unwrap();
    // 7: `reload` does not reboot: must not be reported as done.
    probes[7].2.set(fault::RELOAD_IGNORED, true).unwrap();

    let mut h = fast(HotfixOptions::new(&pkg));
    h.up_deadline = Duration::from_secs(4);
    h.down_grace = Duration::from_secs(3);
    let jo = JobOptions {
        retries: 1,
        backoff: Duration::from_millis(100),
        transcript_dir: Some(tmp.path().join("transcripts")),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let res = rt.block_on(run_all(t, 8, move |t| {
        hotfix(t, jo.clone(), h.clone(), no_progress())
    }));
    let msg = |i: usize| res[i].message.clone();
    assert_eq!(res[0].status, Status::Ok, "{}", msg(0));
    for i in 1..8 {
        assert_eq!(res[i].status, Status::Failed, "host {i}: {}", msg(i));
        assert!(
            msg(i).starts_with(&probes[i].0),
            "error must name the host: {}",
            msg(i)
        );
    }
    assert!(
        msg(1).contains("authentication as \"root\" failed") && msg(1).contains("password"),
        "{}",
        msg(1)
    );
    assert!(
        !msg(1).contains("not-the-password"),
        "secret leaked: {}",
        msg(1)
    );
    assert!(
        msg(2).contains("authentication") && msg(2).contains("public key"),
        "{}",
        msg(2)
    );
    assert!(msg(3).contains("HOST KEY MISMATCH"), "{}", msg(3));
    assert!(msg(4).contains("cannot connect"), "{}", msg(4));
    assert!(
        msg(5).contains("package install") && msg(5).contains("signature verification failed"),
        "{}",
        msg(5)
    );
    assert!(msg(6).contains("did not come back"), "{}", msg(6));
    assert!(msg(7).contains("did not reboot"), "{}", msg(7));

    // The refused and failed probes were left alone.
    assert!(
        !probes[3].2.packages_dir().join("hf-9.pkg").exists(),
        "nothing may be uploaded to a host with a changed key"
    );
    assert!(probes[5].2.installed().iter().all(|p| p.name != "hf-9"));
    assert_eq!(probes[5].2.boots(), 0, "a failed install must not reload");
    assert!(probes[0].2.installed().iter().any(|p| p.name == "hf-9"));
    // accept-new did not add a second key for the changed host.
    assert_eq!(
        std::fs::read_to_string(&tampered_path)
            .unwrap()
            .matches(&format!("]:{} ", probes[3].1))
            .count(),
        1
    );
    // Transcripts exist and do not contain the password.
    let tr = std::fs::read_to_string(tmp.path().join("transcripts/probe-01.log")).unwrap();
    assert!(tr.contains("maintenance-mode noconfirm"));
}

fn command_timeout_and_upload_cut_half_way() {
    let Some((tmp, f)) = fleet(2) else { return };
    let probes = f.probes();
    probes[0].2.set(fault::HANG_SHOW, true).unwrap();
    let mut t = targets(&f);
    for x in &mut t {
        x.command_timeout = Duration::from_secs(2);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let jo = JobOptions::default();
    let res = rt.block_on(run_all(t.clone(), 2, {
        let jo = jo.clone();
        move |t| run_command(t, jo.clone(), "show files system".into())
    }));
    assert_eq!(res[0].status, Status::Failed);
    assert!(
        res[0].message.contains("timed out after 2s")
            && res[0].message.contains("show files system"),
        "{}",
        res[0].message
    );
    assert_eq!(res[1].status, Status::Ok, "{}", res[1].message);
    assert!(res[1].data.as_deref().unwrap().contains("Bytes Free"));

    // A TCP proxy in front of probe-02 that cuts the connection after 1 MB upstream.
    let proxy = rt.block_on(cutting_proxy(probes[1].1, 1_000_000));
    let key = std::fs::read_to_string(probes[1].2.dir().join("ssh_host_ed25519_key.pub")).unwrap();
    let kh = tmp.path().join("kh_proxy");
    let k: Vec<&str> = key.split_whitespace().take(2).collect();
    std::fs::write(&kh, format!("[127.0.0.1]:{proxy} {} {}\n", k[0], k[1])).unwrap();
    let mut cut = t[1].clone();
    cut.port = proxy;
    cut.known_hosts = KnownHosts::new(&kh);
    let pkg = package(tmp.path(), "big.pkg", 4_000_000);
    let h = fast(HotfixOptions::new(&pkg));
    let res = rt.block_on(run_all(vec![cut], 1, {
        let (jo, h) = (jo.clone(), h.clone());
        move |t| hotfix(t, jo.clone(), h.clone(), no_progress())
    }));
    assert_eq!(res[0].status, Status::Failed);
    let m = &res[0].message;
    assert!(
        m.starts_with("probe-02") && (m.contains("SFTP") || m.contains("connection")),
        "{m}"
    );
    let partial = std::fs::metadata(probes[1].2.packages_dir().join("big.pkg"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        partial < 4_000_000,
        "the cut upload cannot be complete: {partial}"
    );
    assert!(
        probes[1].2.installed().iter().all(|p| p.name != "big"),
        "a cut upload must not be installed"
    );
    // Re-running directly uploads the whole file and installs it.
    let res = rt.block_on(run_all(vec![t[1].clone()], 1, move |t| {
        hotfix(t, jo.clone(), h.clone(), no_progress())
    }));
    assert_eq!(res[0].status, Status::Ok, "{}", res[0].message);
    assert_eq!(
        std::fs::metadata(probes[1].2.packages_dir().join("big.pkg"))
            .unwrap()
            .len(),
        4_000_000
    );
}

/// Forward 127.0.0.1:<returned port> to `port`, closing both sides once
/// `limit` bytes went upstream.
async fn cutting_proxy(port: u16, limit: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let p = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((c, _)) = l.accept().await {
            let Ok(s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
                continue;
            };
            tokio::spawn(async move {
                let (mut cr, mut cw) = c.into_split();
                let (mut sr, mut sw) = s.into_split();
                let down = tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
                let mut sent = 0usize;
                let mut buf = vec![0u8; 16384];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if sent + n > limit || sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent += n;
                }
                down.abort();
            });
        }
    });
    p
}

fn unknown_host_strict_then_accept_new() {
    let Some((tmp, f)) = fleet(1) else { return };
    let mut t = targets(&f).remove(0);
    let kh = tmp.path().join("fresh/known_hosts");
    t.known_hosts = KnownHosts::new(&kh);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let e = rt.block_on(connect(&t)).unwrap_err();
    assert!(matches!(e, Error::HostKey { .. }), "{e}");
    assert!(
        e.to_string().contains("is not in") && e.to_string().contains("SHA256:"),
        "{e}"
    );
    t.host_key_policy = HostKeyPolicy::AcceptNew;
    rt.block_on(async { connect(&t).await.unwrap().close().await });
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", f.probes()[0].1)),
        "{text}"
    );
    t.host_key_policy = HostKeyPolicy::Strict;
    rt.block_on(async { connect(&t).await.unwrap().close().await });
}

/// Password login against real sshd needs a real account: the test creates
/// (once) a locked-down system user `netops-probe` and gives it a fresh
/// random password for this run.
fn password_login_with_real_sshd() {
    let Some((tmp, f)) = fleet(1) else { return };
    let user = "netops-probe";
    if Command::new("id")
        .arg(user)
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        let st = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/bin/sh", user])
            .status();
        if !st.map(|s| s.success()).unwrap_or(false) {
            if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
                panic!("cannot create the test user {user} (useradd)");
            }
            eprintln!("skipping: cannot create the test user {user}");
            return;
        }
    }
    let pw: String = {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let mut rng = netops_testkit::Rng::new(seed);
        (0..20)
            .map(|_| char::from(b'a' + rng.below(26) as u8))
            .collect()
    };
    let mut child = Command::new("chpasswd")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{user}:{pw}\n").as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    // The simulator runs as that user: let it reach and write its state.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let st = &f.probes()[0].2;
    assert!(
        Command::new("chown")
            .args(["-R", user])
            .arg(st.dir())
            .status()
            .unwrap()
            .success()
    );

    let mut t = targets(&f).remove(0);
    t.credentials.user = user.into();
    t.credentials.key_file = None;
    t.credentials.password = Some(Secret::new(pw.clone()));
    let jo = JobOptions {
        transcript_dir: Some(tmp.path().join("tr")),
        ..JobOptions::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let res = rt.block_on(run_all(vec![t], 1, move |t| {
        run_command(t, jo.clone(), "show version".into())
    }));
    assert_eq!(res[0].status, Status::Ok, "{}", res[0].message);
    assert!(
        res[0]
            .data
            .as_deref()
            .unwrap()
            .contains("Hostname:          probe-01")
    );
    let tr = std::fs::read_to_string(tmp.path().join("tr/probe-01.log")).unwrap();
    assert!(tr.contains("show version") && !tr.contains(&pw));
}

/// Entries hashed by OpenSSH's own `ssh-keygen -H` are matched.
fn hashed_known_hosts_from_ssh_keygen() {
    let Some((tmp, f)) = fleet(1) else { return };
    let kh = tmp.path().join("hashed_known_hosts");
    std::fs::copy(f.known_hosts_path(), &kh).unwrap();
    let out = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&kh)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with("|1|") && !text.contains("127.0.0.1"),
        "{text}"
    );
    let mut t = targets(&f).remove(0);
    t.known_hosts = KnownHosts::new(&kh);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { connect(&t).await.unwrap().close().await });
    // Strict policy with an unrelated hashed file: refused as unknown.
    let other = tmp.path().join("other_hashed");
    std::fs::write(&other, text.replace("|1|", "|1|A")).unwrap();
    t.known_hosts = KnownHosts::new(&other);
    let e = rt.block_on(connect(&t)).unwrap_err();
    assert!(e.to_string().contains("is not in"), "{e}");
}

fn help_documents_examples_and_exit_codes() {
    let out = Command::new(ENDACE).arg("--help").output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        s.contains("Examples:") && s.contains("Exit codes:") && s.contains("hotfix --dry-run"),
        "{s}"
    );
    let out = Command::new(ENDACE)
        .args(["-i", "/nonexistent/inv.toml", "run", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.starts_with("endace: /nonexistent/inv.toml: cannot read"),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "one-line error: {e}");
}

/// A probe that is down at first and comes up while the client backs off is
/// reached by a retry; with no retries left the same host fails.
fn connect_retries_with_backoff() {
    let Some((_tmp, f)) = fleet(1) else { return };
    let t = targets(&f).remove(0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    f.stop_probe(0);
    let no_retry = JobOptions {
        retries: 0,
        backoff: Duration::from_millis(100),
        transcript_dir: None,
    };
    let res = rt.block_on(run_all(vec![t.clone()], 1, move |t| {
        run_command(t, no_retry.clone(), "show version".into())
    }));
    assert_eq!(res[0].status, Status::Failed);
    assert!(
        res[0].message.contains("cannot connect"),
        "{}",
        res[0].message
    );

    let f = std::sync::Arc::new(f);
    let f2 = f.clone();
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        f2.start_probe(0).unwrap();
    });
    // Back-off 400 ms, 800 ms, 1.6 s: the probe is up by the second or third attempt.
    let jo = JobOptions {
        retries: 4,
        backoff: Duration::from_millis(400),
        transcript_dir: None,
    };
    let res = rt.block_on(run_all(vec![t], 1, move |t| {
        run_command(t, jo.clone(), "show version".into())
    }));
    starter.join().unwrap();
    assert_eq!(res[0].status, Status::Ok, "{}", res[0].message);
    assert!(
        res[0].seconds >= 0.7,
        "it must have waited for the probe: {}",
        res[0].seconds
    );
}

/// Run the `endace` binary on the fleet's inventory.
fn endace_on(f: &SimFleet, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(ENDACE)
        .arg("-i")
        .arg(f.inventory_path())
        .args(args)
        .output()
        .expect("run endace");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A template written for netmiko (the field notes' one): its first rule
/// reads the device name from the prompt line in front of the output. The
/// CSV must hold that name in one `Device` column.
fn collect_with_a_netmiko_template_fills_device_from_the_prompt() {
    let Some((tmp, f)) = fleet(2) else { return };
    let tpl = tmp.path().join("templates");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(
        tpl.join("endace_show_files_system.textfsm"),
        "Value Filldown Device (\\S+)\nValue Required TotalCapacity (\\d+.?\\d*)\nValue UsedCapacity (\\d+.?\\d*)\nValue UsableCapacity (\\d+.?\\d*)\nValue FreeCapacity (\\d+.?\\d*)\n\nStart\n  ^${Device} #\n  ^\\s+Bytes Total\\s+${TotalCapacity}\n  ^\\s+Bytes Used\\s+${UsedCapacity}\n  ^\\s+Bytes Usable\\s+${UsableCapacity}\n  ^\\s+Bytes Free\\s+${FreeCapacity} -> Record\n",
    )
    .unwrap();
    let out = tmp.path().join("capacity");
    let (code, stdout, err) = endace_on(
        &f,
        &[
            "collect",
            "--templates",
            tpl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{err}");
    let csv = std::fs::read_to_string(out.join("files_system.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("device,total_capacity,used_capacity,usable_capacity,free_capacity"),
        "{csv}"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty(), "{csv}");
    for (name, _, _) in f.probes() {
        assert!(
            rows.iter().any(|r| r.starts_with(&format!("{name},"))),
            "{name} missing: {csv}"
        );
    }
    assert!(rows.iter().all(|r| !r.starts_with(',')), "{csv}");
}

/// `--serial`: a batch with a failed probe stops the rollout; the later
/// probes are not touched and are reported as not attempted.
/// `--continue-on-failure` goes on.
fn serial_rollout_stops_after_a_failed_batch() {
    let Some((tmp, f)) = fleet(3) else { return };
    let pkg = package(tmp.path(), "hf-stop.pkg", 100_000);
    let probes = f.probes();
    probes[0].2.set(fault::INSTALL_FAILS, true).unwrap();
    let args = [
        "hotfix",
        "--serial",
        "1",
        "--reboot-deadline",
        "30",
        pkg.to_str().unwrap(),
    ];
    let (code, out, err) = endace_on(&f, &args);
    assert_eq!(code, Some(2), "{out}\n{err}");
    for (name, _, st) in &probes[1..] {
        assert!(
            !st.packages_dir().join("hf-stop.pkg").exists(),
            "{name}: nothing may be uploaded after a failed batch"
        );
        assert!(st.installed().iter().all(|p| p.name != "hf-stop"), "{name}");
        assert!(
            out.lines()
                .any(|l| l.starts_with(name.as_str()) && l.contains("not attempted")),
            "{name}: {out}"
        );
    }
    assert!(
        out.contains("3 hosts: 0 ok, 0 skipped, 1 failed, 2 not attempted"),
        "{out}"
    );
    assert!(
        err.contains("batch 1 failed") && err.contains("--continue-on-failure"),
        "{err}"
    );
    assert!(!err.contains("batch 2"), "{err}");

    let mut go_on = vec!["--format", "json"];
    go_on.extend(args);
    go_on.insert(go_on.len() - 1, "--continue-on-failure");
    let (code, out, err) = endace_on(&f, &go_on);
    assert_eq!(code, Some(2), "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let status: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["failed", "ok", "ok"], "{out}\n{err}");
    for (name, _, st) in &probes[1..] {
        assert!(st.installed().iter().any(|p| p.name == "hf-stop"), "{name}");
    }
}

/// Rewrite the fleet's inventory with `edit` (a text transformation).
fn edit_inventory(f: &SimFleet, edit: impl FnOnce(String) -> String) {
    let p = f.inventory_path();
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, edit(text)).unwrap();
}

/// netmiko/Ansible users expect a command the device refuses to fail that
/// host: `% Unrecognized command` is EndaceOS's marker, and the host's own
/// `error_patterns` replace it.
fn run_fails_a_host_whose_device_refuses_the_command() {
    let Some((_tmp, f)) = fleet(2) else { return };
    let (code, out, err) = endace_on(&f, &["run", "show foo"]);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert_eq!(out.matches("(FAILED)").count(), 2, "{out}");
    assert!(
        out.contains("% Unrecognized command"),
        "the output is kept: {out}"
    );
    assert!(out.contains("the device refused \"show foo\""), "{out}");
    let (code, out, err) = endace_on(&f, &["--format", "json", "run", "show packages"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    // The host's own patterns replace the driver's: here a word every
    // `show packages` answer has.
    let p1 = f.probes()[1].0.clone();
    edit_inventory(&f, |t| {
        t.replace(
            &format!("[hosts.{p1}]\n"),
            &format!("[hosts.{p1}]\nerror_patterns = [\"^Name\"]\n"),
        )
    });
    let (code, out, err) = endace_on(&f, &["--format", "json", "run", "show packages"]);
    assert_eq!(code, Some(2), "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let st: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["host"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        st,
        [(f.probes()[0].0.as_str(), "ok"), (p1.as_str(), "failed")],
        "{out}"
    );
}

/// ssh-agent keys (no key file in the inventory) and a jump host
/// (`proxy_jump`, OpenSSH's ProxyJump) against real sshd: probe 0's sshd is
/// the bastion for probe 1. Stopping the bastion makes probe 1 unreachable
/// although its own sshd is up, which shows the tunnel is used; a wrong
/// bastion host key is refused before anything reaches probe 1.
fn agent_keys_and_proxy_jump_with_real_sshd() {
    let Some((tmp, f)) = fleet(2) else { return };
    let sock = tmp.path().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn();
    let Ok(mut agent) = agent else {
        if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("NETOPS_REQUIRE_PEERS=1 but ssh-agent is missing");
        }
        eprintln!("skipping: no ssh-agent");
        return;
    };
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(f.client_key_path())
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let (b_name, b_port, _) = f.probes()[0].clone();
    let p1 = f.probes()[1].0.clone();
    let key_line = format!("key_file = \"{}\"\n", f.client_key_path().display());
    edit_inventory(&f, |t| {
        t.replace(&key_line, "").replace(
            &format!("[hosts.{p1}]\n"),
            &format!("[hosts.{p1}]\nproxy_jump = \"bastion\"\n"),
        ) + &format!("[jump_hosts.bastion]\naddress = \"127.0.0.1\"\nport = {b_port}\n")
    });
    let run = |args: &[&str], agent: bool| {
        let mut c = Command::new(ENDACE);
        c.arg("-i").arg(f.inventory_path()).args(args);
        if agent {
            c.env("SSH_AUTH_SOCK", &sock);
        } else {
            c.env_remove("SSH_AUTH_SOCK");
        }
        let o = c.output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["--format", "json", "run", "show version"], true);
    assert_eq!(code, Some(0), "{out}\n{err}");
    // Without the agent there are no credentials at all.
    let (code, out, err) = run(&["--limit", &b_name, "run", "show version"], false);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(out.contains("no credentials configured"), "{out}");
    // The bastion down: probe 1 (up) cannot be reached; probe 0 is the bastion.
    f.stop_probe(0);
    let (code, out, err) = run(
        &["--format", "json", "--limit", &p1, "run", "show version"],
        true,
    );
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        out.contains("bastion"),
        "the error names the jump host: {out}"
    );
    f.start_probe(0).unwrap();
    assert!(f.wait_all_up(Duration::from_secs(10)));
    // A bastion whose host key differs from known_hosts is refused.
    let kh = f.known_hosts_path();
    let text = std::fs::read_to_string(&kh).unwrap();
    let other = text
        .lines()
        .find(|l| !l.starts_with(&format!("[127.0.0.1]:{b_port} ")))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_string();
    let forged: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("[127.0.0.1]:{b_port} ")) {
                format!("[127.0.0.1]:{b_port} {other}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&kh, forged).unwrap();
    let (code, out, err) = run(
        &["--format", "json", "--limit", &p1, "run", "show version"],
        true,
    );
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        out.contains("HOST KEY MISMATCH") && out.contains(&b_port.to_string()),
        "{out}"
    );
    let _ = agent.kill();
    let _ = agent.wait();
}

/// `serve --state DIR` (from sshd) serves one simulated session; otherwise
/// runs the tests whose names contain any of the non-flag arguments (all
/// without one), each caught on its own, and exits 101 if any failed.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() == 3 && args[0] == "serve" && args[1] == "--state" {
        std::process::exit(endace_probe_sim::serve_session(Path::new(&args[2])));
    }
    let tests: &[(&str, fn())] = &[
        (
            "cli_dry_run_hotfix_skip_and_run",
            cli_dry_run_hotfix_skip_and_run,
        ),
        (
            "faults_are_reported_for_that_host_only",
            faults_are_reported_for_that_host_only,
        ),
        (
            "command_timeout_and_upload_cut_half_way",
            command_timeout_and_upload_cut_half_way,
        ),
        (
            "unknown_host_strict_then_accept_new",
            unknown_host_strict_then_accept_new,
        ),
        (
            "password_login_with_real_sshd",
            password_login_with_real_sshd,
        ),
        (
            "hashed_known_hosts_from_ssh_keygen",
            hashed_known_hosts_from_ssh_keygen,
        ),
        (
            "help_documents_examples_and_exit_codes",
            help_documents_examples_and_exit_codes,
        ),
        ("connect_retries_with_backoff", connect_retries_with_backoff),
        (
            "collect_with_a_netmiko_template_fills_device_from_the_prompt",
            collect_with_a_netmiko_template_fills_device_from_the_prompt,
        ),
        (
            "serial_rollout_stops_after_a_failed_batch",
            serial_rollout_stops_after_a_failed_batch,
        ),
        (
            "run_fails_a_host_whose_device_refuses_the_command",
            run_fails_a_host_whose_device_refuses_the_command,
        ),
        (
            "agent_keys_and_proxy_jump_with_real_sshd",
            agent_keys_and_proxy_jump_with_real_sshd,
        ),
    ];
    let filters: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in tests {
            println!("{name}: test");
        }
        return;
    }
    let chosen: Vec<_> = tests
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, test) in &chosen {
        let ok = std::panic::catch_unwind(test).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        if !ok {
            failed.push(*name);
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        chosen.len() - failed.len(),
        failed.len(),
        tests.len() - chosen.len()
    );
    if !failed.is_empty() {
        eprintln!("failures: {}", failed.join(", "));
        std::process::exit(101);
    }
}
