//! xff-scan against inputs that change, block or explode (issue 18) and
//! against pipes (issue 17), each run as a child process under a deadline
//! and a memory bound (peak RSS from `wait4`), never a speed assertion.
#![cfg(unix)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use netops_testkit::child::{
    Outcome, assert_truncation_line, mkfifo, run_bounded, small_writes, spawn_limited, wait_bounded,
};
use netops_testkit::xff as synth;

const DEADLINE: Duration = Duration::from_secs(60);
/// The bound issue 18 sets for every hostile case: enforced by the kernel
/// on the child's data segment, and checked on its sampled peak RSS.
const MAX_RSS_KIB: u64 = 256 * 1024;
const MEM_LIMIT: u64 = MAX_RSS_KIB * 1024;

fn xff() -> Command {
    Command::cargo_bin("xff-scan").expect("binary built")
}

fn bounded(cmd: Command) -> Outcome {
    let o = run_bounded(cmd, DEADLINE, MEM_LIMIT);
    check_bounds(&o);
    o
}

fn check_bounds(o: &Outcome) {
    assert!(!o.timed_out, "killed at the deadline: {o:?}");
    assert_eq!(o.signal, None, "died of a signal: {o:?}");
    assert!(
        o.max_rss_kib < MAX_RSS_KIB,
        "peak RSS {} KiB: {}",
        o.max_rss_kib,
        o.stderr
    );
}

/// A capture of about `mib` MiB with an HTTP request (random X-Forwarded-For)
/// every 20 frames.
fn bench_file(dir: &Path, name: &str, mib: u64) -> PathBuf {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).unwrap();
    synth::bench_capture(f, mib << 20, 20, 42).unwrap();
    p
}

fn gz(raw: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(raw).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_capture_truncated_by_a_writer_process_while_it_is_read_never_kills_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "src.pcap", 48);
    for (trial, delay_ms) in [0u64, 20, 60, 150].into_iter().enumerate() {
        let path = dir.path().join(format!("ring-{trial}.pcap"));
        std::fs::copy(&src, &path).unwrap();
        // The slow scan (every packet decoded) so that the cut lands
        // while the file is being read in most trials.
        let mut cmd = xff();
        cmd.args([
            "--list",
            "--reassemble",
            "--threads",
            "1",
            "--format",
            "csv",
        ])
        .arg(&path);
        let child = spawn_limited(cmd, MEM_LIMIT);
        std::thread::sleep(Duration::from_millis(delay_ms));
        // The writer: a separate process cutting the file to 1 MiB.
        let st = Command::new("truncate")
            .args(["-s", "1M"])
            .arg(&path)
            .status()
            .expect("truncate runs");
        assert!(st.success());
        let o = wait_bounded(child, DEADLINE);
        check_bounds(&o);
        eprintln!(
            "trial {trial}: exit {:?}, peak RSS {} KiB",
            o.code, o.max_rss_kib
        );
        match o.code {
            // Finished before the cut, or read it whole.
            Some(0) => assert!(o.stderr.is_empty() || !o.stderr.contains("panick"), "{o:?}"),
            // Stopped at the cut: one line naming the file and the offset.
            Some(2) => assert_truncation_line(&o, &path),
            other => panic!("trial {trial}: exit {other:?}: {}", o.stderr),
        }
    }
}

#[test]
fn a_fifo_in_a_directory_is_skipped_and_the_good_file_beside_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("caps");
    std::fs::create_dir(&d).unwrap();
    bench_file(&d, "good.pcap", 2);
    mkfifo(&d.join("live.pcap"));
    std::os::unix::fs::symlink(d.join("live.pcap"), d.join("a-link.pcap")).unwrap();
    let mut cmd = xff();
    cmd.args(["--list", "--format", "csv"]).arg(&d);
    let o = bounded(cmd);
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(o.stdout.lines().count() > 10, "{}", o.stdout);
    assert!(
        o.stderr.contains("live.pcap") && o.stderr.contains("FIFO"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("a-link.pcap"), "{}", o.stderr);
}

#[test]
fn a_fifo_named_explicitly_without_a_writer_times_out_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody.pcap");
    mkfifo(&fifo);
    let mut cmd = xff();
    cmd.env("NETOPS_FIFO_TIMEOUT", "0.5")
        .args(["--list"])
        .arg(&fifo);
    let o = bounded(cmd);
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(
        o.stderr.contains("nobody.pcap") && o.stderr.contains("NETOPS_FIFO_TIMEOUT"),
        "{}",
        o.stderr
    );
}

#[test]
fn gzip_bombs_are_refused_within_bounds_and_write_nothing_to_tmpdir() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // Gzip members concatenate: one 64 MiB member of zeros (about 65 KB)
    // repeated. 5 of them: 326 KB inflating to 320 MiB; 64: 4 MB to 4 GiB.
    let member = gz(&vec![0u8; 64 << 20]);
    let small = dir.path().join("zeros.pcap.gz");
    std::fs::write(&small, member.repeat(5)).unwrap();
    let big = dir.path().join("zeros-4g.pcap.gz");
    std::fs::write(&big, member.repeat(64)).unwrap();
    for p in [&small, &big] {
        let mut cmd = xff();
        cmd.env("TMPDIR", &tmp).args(["--list"]).arg(p);
        let o = bounded(cmd);
        assert_eq!(o.code, Some(2), "{o:?}");
        assert!(o.stderr.contains("not a capture file"), "{}", o.stderr);
        assert!(o.max_rss_kib < 64 * 1024, "{} KiB", o.max_rss_kib);
    }
    // A valid header followed by zeros (empty records): stopped by the
    // ratio limit with a message saying how to raise it.
    let mut head = Vec::new();
    synth::bench_capture(&mut head, 1, 20, 1).unwrap();
    head.truncate(24);
    let mut bomb = gz(&head);
    bomb.extend(member.repeat(7));
    let hdr = dir.path().join("hdr-zeros.pcap.gz");
    std::fs::write(&hdr, bomb).unwrap();
    let mut cmd = xff();
    cmd.env("TMPDIR", &tmp).args(["--list"]).arg(&hdr);
    let o = bounded(cmd);
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(o.stderr.contains("NETOPS_GZ_MAX_RATIO"), "{}", o.stderr);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "nothing spilled"
    );
}

/// A `tcpdump -w -`-like writer: a child process copying `src` to its
/// stdout in 512-byte writes (`dd`), `limit` bytes at most.
#[test]
fn a_capture_piped_in_small_writes_gives_the_rows_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "src.pcap", 8);
    let mut file_cmd = xff();
    file_cmd.args(["--list", "--format", "csv"]).arg(&src);
    let want = bounded(file_cmd);
    assert_eq!(want.code, Some(0), "{want:?}");
    for arg in ["-", "/dev/stdin"] {
        let mut w = small_writes(&src, None);
        let mut cmd = xff();
        cmd.args(["--list", "--format", "csv", arg])
            .stdin(w.stdout.take().unwrap());
        let o = bounded(cmd);
        w.wait().unwrap();
        assert_eq!(o.code, Some(0), "{arg}: {o:?}");
        assert_eq!(o.stdout, want.stdout, "{arg}");
        assert!(o.stderr.is_empty(), "{arg}: {}", o.stderr);
    }
    // The same through a FIFO with the writer on the other side.
    let fifo = dir.path().join("live.pcap");
    mkfifo(&fifo);
    let mut cmd = xff();
    cmd.args(["--list", "--format", "csv"]).arg(&fifo);
    let child = spawn_limited(cmd, MEM_LIMIT);
    let st = Command::new("dd")
        .arg(format!("if={}", src.display()))
        .arg(format!("of={}", fifo.display()))
        .arg("bs=512")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let o = wait_bounded(child, DEADLINE);
    check_bounds(&o);
    assert_eq!(o.code, Some(0), "{o:?}");
    assert_eq!(o.stdout, want.stdout);
}

#[test]
fn a_stream_that_stops_mid_record_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "src.pcap", 1);
    // Cut inside the 3rd record: 24 + two records + 16-byte header + 5.
    let raw = std::fs::read(&src).unwrap();
    let rec =
        |at: usize| 16 + u32::from_le_bytes(raw[at + 8..at + 12].try_into().unwrap()) as usize;
    let r1 = 24 + rec(24);
    let r2 = r1 + rec(r1);
    let cut = r2 + 16 + 5;
    let mut w = small_writes(&src, Some(cut as u64));
    let mut cmd = xff();
    cmd.args(["--list", "-"]).stdin(w.stdout.take().unwrap());
    let o = bounded(cmd);
    w.wait().unwrap();
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(
        o.stderr.contains(&format!("byte offset {r2}, frame 3"))
            && o.stderr.contains("stream ended mid-record"),
        "{}",
        o.stderr
    );
}

#[test]
fn list_into_a_closed_pipe_is_quiet_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "big.pcap", 16);
    let mut cmd = xff();
    cmd.args(["--list"]).arg(&src);
    let mut child = spawn_limited(cmd, MEM_LIMIT);
    // `| head -1`: read one line, then close the pipe.
    let mut out = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
        first.push(b[0]);
    }
    drop(out);
    let o = wait_bounded(child, DEADLINE);
    check_bounds(&o);
    assert!(String::from_utf8_lossy(&first).contains("forwarded_ip"));
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(o.stderr.is_empty(), "{}", o.stderr);
}

#[test]
fn conflicting_and_impossible_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = bench_file(dir.path(), "a.pcap", 1);
    let out = dir.path().join("x.pcap");
    let mut cmd = xff();
    cmd.args(["--list", "--write"]).arg(&out).arg(&src);
    let o = bounded(cmd);
    assert_eq!(o.code, Some(3), "{o:?}");
    assert!(o.stderr.contains("--write"), "{}", o.stderr);
    assert!(!out.exists(), "no empty pcap written");
    // A second pass over standard input is impossible: said, exit 3.
    for flag in ["--summary", "--write"] {
        let mut cmd = xff();
        cmd.args(["--ip", "203.0.113.77", flag]);
        if flag == "--write" {
            cmd.arg(&out);
        }
        cmd.arg("-").stdin(Stdio::null());
        let o = bounded(cmd);
        assert_eq!(o.code, Some(3), "{flag}: {o:?}");
        assert!(o.stderr.contains("read only once"), "{}", o.stderr);
    }
}
