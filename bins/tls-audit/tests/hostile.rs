//! tls-audit against pipes (issue 17) and inputs that change, block or
//! explode (issue 18), each run as a child process under a deadline and a
//! memory bound, never a speed assertion.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use netops_testkit::child::{
    Outcome, assert_truncation_line, mkfifo, run_bounded, small_writes, spawn_limited, wait_bounded,
};

const DEADLINE: Duration = Duration::from_secs(60);
const MAX_RSS_KIB: u64 = 256 * 1024;
const MEM_LIMIT: u64 = MAX_RSS_KIB * 1024;

fn tls() -> Command {
    let mut c = Command::cargo_bin("tls-audit").expect("binary built");
    c.args(["--format", "csv"]);
    c
}

fn check(o: &Outcome) {
    assert!(!o.timed_out, "killed at the deadline: {o:?}");
    assert_eq!(o.signal, None, "died of a signal: {o:?}");
    assert!(
        o.max_rss_kib < MAX_RSS_KIB,
        "peak RSS {} KiB",
        o.max_rss_kib
    );
}

fn bounded(cmd: Command) -> Outcome {
    let o = run_bounded(cmd, DEADLINE, MEM_LIMIT);
    check(&o);
    o
}

/// A capture of about `mib` MiB, 20 % TLS handshakes.
fn bench_file(dir: &Path, name: &str, mib: u64) -> PathBuf {
    let p = dir.join(name);
    let f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    netops_testkit::tls::capture::write_bench_capture(f, mib << 20, 20, 7).unwrap();
    p
}

#[test]
fn a_capture_piped_in_small_writes_gives_the_rows_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "src.pcap", 4);
    let mut c = tls();
    c.arg(&src);
    let want = bounded(c);
    assert_eq!(want.code, Some(0), "{want:?}");
    assert!(want.stdout.lines().count() > 100);
    // The rows without the file column (the path differs: `-`, /dev/stdin).
    let strip = |s: &str, _name: &str| -> String {
        s.lines()
            .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest).to_owned() + "\n")
            .collect()
    };
    let want_rows = strip(&want.stdout, &src.display().to_string());
    for arg in ["-", "/dev/stdin"] {
        let mut w = small_writes(&src, None);
        let mut c = tls();
        c.arg(arg).stdin(w.stdout.take().unwrap());
        let o = bounded(c);
        w.wait().unwrap();
        assert_eq!(o.code, Some(0), "{arg}: {o:?}");
        assert_eq!(strip(&o.stdout, arg), want_rows, "{arg}");
    }
    // Cut in the middle of a record: the rows before, and where it stopped.
    let len = std::fs::metadata(&src).unwrap().len();
    let mut w = small_writes(&src, Some(len / 2 + 3));
    let mut c = tls();
    c.arg("-").stdin(w.stdout.take().unwrap());
    let o = bounded(c);
    w.wait().unwrap();
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(
        o.stderr.contains("-: byte offset") && o.stderr.contains("stream ended mid-"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.lines().count() > 10);
}

#[test]
fn a_capture_truncated_by_a_writer_process_while_it_is_read_never_kills_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "src.pcap", 48);
    for (trial, delay_ms) in [0u64, 20, 60, 150].into_iter().enumerate() {
        let path = dir.path().join(format!("ring-{trial}.pcap"));
        std::fs::copy(&src, &path).unwrap();
        let mut c = tls();
        c.args(["--threads", "1"]).arg(&path);
        let child = spawn_limited(c, MEM_LIMIT);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let st = Command::new("truncate")
            .args(["-s", "1M"])
            .arg(&path)
            .status()
            .expect("truncate runs");
        assert!(st.success());
        let o = wait_bounded(child, DEADLINE);
        check(&o);
        eprintln!("trial {trial}: exit {:?}", o.code);
        match o.code {
            Some(0) => {}
            Some(2) => assert_truncation_line(&o, &path),
            other => panic!("trial {trial}: exit {other:?}: {}", o.stderr),
        }
    }
}

#[test]
fn fifos_in_a_directory_are_skipped_and_gzip_bombs_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("caps");
    std::fs::create_dir(&d).unwrap();
    bench_file(&d, "good.pcap", 1);
    mkfifo(&d.join("live.pcap"));
    std::os::unix::fs::symlink(d.join("live.pcap"), d.join("a-link.pcap")).unwrap();
    let mut c = tls();
    c.arg(&d);
    let o = bounded(c);
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(o.stdout.lines().count() > 10);
    assert!(
        o.stderr.contains("live.pcap") && o.stderr.contains("FIFO"),
        "{}",
        o.stderr
    );

    // 4 MB of gzip inflating to 4 GiB of zeros: refused, nothing spilled.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 64 << 20]).unwrap();
    let member = e.finish().unwrap();
    let bomb = dir.path().join("bomb.pcap.gz");
    std::fs::write(&bomb, member.repeat(64)).unwrap();
    drop(member);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut c = tls();
    c.env("TMPDIR", &tmp).arg(&bomb);
    let o = bounded(c);
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(o.stderr.contains("not a capture file"), "{}", o.stderr);
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}
