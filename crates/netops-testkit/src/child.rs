//! Running a tool as a child process under explicit bounds, for the
//! hostile-input tests: a deadline (the child is killed when it passes,
//! and the test fails), a memory limit the kernel enforces (`RLIMIT_DATA`:
//! heap and private writable mappings; an allocation past it fails and the
//! tool aborts, which the test sees as a signal), and its peak RSS
//! (`VmHWM` from `/proc`, sampled while it runs).
//!
//! (`wait4`'s `ru_maxrss` is not used: a child forked from a test process
//! that holds large fixtures inherits that process's high-water mark.)

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a bounded child ended.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// Everything it wrote to standard output.
    pub stdout: String,
    /// Everything it wrote to standard error.
    pub stderr: String,
    /// Peak resident memory seen, KiB (`VmHWM`, sampled every few ms; a
    /// lower bound, the enforced limit is the upper one).
    pub max_rss_kib: u64,
    /// Whether the deadline killed it.
    pub timed_out: bool,
}

/// Starts `cmd` (stdout and stderr piped) with its data segment limited to
/// `mem_limit` bytes, waits at most `deadline`, kills it past that, and
/// reports.
pub fn run_bounded(cmd: Command, deadline: Duration, mem_limit: u64) -> Outcome {
    let child = spawn_limited(cmd, mem_limit);
    wait_bounded(child, deadline)
}

/// Starts `cmd` with stdout and stderr piped and `RLIMIT_DATA` set to
/// `mem_limit` bytes.
pub fn spawn_limited(mut cmd: Command, mem_limit: u64) -> Child {
    use std::os::unix::process::CommandExt;
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: only setrlimit (async-signal-safe) runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: mem_limit as libc::rlim_t,
                rlim_max: mem_limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn().expect("the child starts")
}

/// Peak RSS of a running process, KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// [`run_bounded`] for a child already started with piped stdout/stderr.
pub fn wait_bounded(mut child: Child, deadline: Duration) -> Outcome {
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut timed_out = false;
    let mut hwm = 0u64;
    let status = loop {
        if let Some(h) = vm_hwm(pid as u32) {
            hwm = hwm.max(h);
        }
        let mut status = 0;
        // SAFETY: waiting for our own child, valid pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break status;
        }
        assert!(r == 0, "wait4: {}", std::io::Error::last_os_error());
        if start.elapsed() > deadline && !timed_out {
            timed_out = true;
            // SAFETY: killing our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    Outcome {
        code,
        signal,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        max_rss_kib: hwm,
        timed_out,
    }
}

/// Makes a FIFO at `path` (mode 0600); panics when it cannot.
pub fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL in path");
    // SAFETY: a valid C string.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {}",
        path.display()
    );
}

/// A `tcpdump -w -`-like writer process: `dd` copying `src` to its piped
/// stdout in 512-byte writes, stopping after `limit` bytes when given.
pub fn small_writes(src: &std::path::Path, limit: Option<u64>) -> Child {
    let mut c = Command::new("dd");
    c.arg(format!("if={}", src.display())).arg("bs=512");
    if let Some(n) = limit {
        c.arg(format!("count={n}")).arg("iflag=count_bytes");
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dd runs")
}

/// The error line a capture tool printed when the file it was reading
/// shrank under it: it must name `path` and the byte offset. Panics with
/// the outcome when there is no such line.
pub fn assert_truncation_line(o: &Outcome, path: &std::path::Path) {
    let line = o
        .stderr
        .lines()
        .find(|l| l.contains("shrank") || l.contains("truncated"))
        .unwrap_or_else(|| panic!("no error line: {o:?}"));
    assert!(line.contains(&*path.to_string_lossy()), "{line}");
    assert!(line.contains("byte offset"), "{line}");
}

/// Whether the peer tool `program` runs (`program version_arg` exits 0).
/// When it does not: with `NETOPS_REQUIRE_PEERS=1` the test fails naming
/// `install` (how to get it), otherwise it prints that it skips and the
/// caller returns early.
pub fn peer_available(program: &str, version_arg: &str, install: &str) -> bool {
    let ok = Command::new(program)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("NETOPS_REQUIRE_PEERS").is_none_or(|v| v != "1"),
            "{program} is required (NETOPS_REQUIRE_PEERS=1) but not installed: {install}"
        );
        eprintln!("skipping: {program} not installed ({install})");
    }
    ok
}

/// Runs `tshark -r PATH -n OPTIONS -T fields -e FIELD...` and returns
/// what it printed, a line per packet; panics with tshark's own message
/// when it fails. Call [`peer_available`] (`"tshark", "-v", ...`) first.
pub fn tshark_fields(path: &std::path::Path, options: &[&str], fields: &[&str]) -> String {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .arg("-n")
        .args(options)
        .args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("running tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
