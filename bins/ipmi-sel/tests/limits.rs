//! Issue 18: `ipmi-sel` stays bounded whatever a host sends. Each case runs
//! the `ipmi-sel` binary as a child process against a hostile HTTP server
//! in another process (this test binary re-executed as
//! `hostile_server_process`, serving `bmc_sim::hostile`), and checks:
//! the one-line error says what happened, the child's peak RSS (from
//! `wait4`'s rusage) stays under 256 MB, and it ended by itself within its
//! deadline (a watchdog kills it otherwise, which fails the test). No
//! assertion is about speed.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");
const RSS_LIMIT_KB: i64 = 256 * 1024;
const DEADLINE: Duration = Duration::from_secs(90);

/// The hostile server, when this binary is started as its process.
#[test]
#[ignore = "the hostile server process of the other tests, started by them"]
fn hostile_server_process() {
    let Ok(mode) = std::env::var("IPMI_SEL_HOSTILE_MODE") else {
        return;
    };
    let mode: bmc_sim::hostile::Mode = mode.parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("HOSTILE_ADDR {}", l.local_addr().unwrap());
        bmc_sim::hostile::serve(mode, l, std::future::pending())
            .await
            .unwrap();
    });
}

struct Hostile {
    child: Child,
    addr: String,
}

impl Hostile {
    fn start(mode: &str) -> Hostile {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "hostile_server_process",
                "--nocapture",
            ])
            .env("IPMI_SEL_HOSTILE_MODE", mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let addr = out
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("HOSTILE_ADDR ").map(str::to_string))
            .expect("the hostile server prints its address");
        Hostile { child, addr }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    code: Option<i32>,
    stderr: String,
    max_rss_kb: i64,
}

/// Run `ipmi-sel args` to its end; peak RSS from wait4; killed (and the
/// test failed) if it outlives `DEADLINE`.
fn run_measured(args: &[&str]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .env("LIMITS_PW", "pw")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    {
        let (done, killed) = (done.clone(), killed.clone());
        std::thread::spawn(move || {
            let t0 = std::time::Instant::now();
            while t0.elapsed() < DEADLINE {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if !done.load(Ordering::SeqCst) {
                killed.store(true, Ordering::SeqCst);
                // SAFETY: pid is our child, not yet reaped (done is false).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        });
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and ru are valid for writes.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    done.store(true, Ordering::SeqCst);
    assert_eq!(r, pid, "wait4 failed");
    // The child is reaped; keep std from waiting on it again.
    std::mem::forget(child);
    let stderr = reader.join().unwrap();
    assert!(
        !killed.load(Ordering::SeqCst),
        "ipmi-sel {args:?} was still running after {DEADLINE:?}; stderr: {stderr}"
    );
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Run {
        code,
        stderr,
        max_rss_kb: ru.ru_maxrss,
    }
}

fn fetch(h: &Hostile, kind: &str, extra: &[&str]) -> Run {
    let url = format!("http://{}/bmc/0", h.addr);
    let mut args = vec![
        "fetch",
        "--url",
        &url,
        "--kind",
        kind,
        "--password-env",
        "LIMITS_PW",
        "--redfish-log",
        "/redfish/v1/Systems/1/LogServices/SEL/Entries",
    ];
    args.extend_from_slice(extra);
    run_measured(&args)
}

fn assert_bounded(r: &Run, wants: &[&str]) {
    assert_eq!(r.code, Some(2), "exit code; stderr: {}", r.stderr);
    for w in wants {
        assert!(r.stderr.contains(w), "want {w:?} in: {}", r.stderr);
    }
    for bad in ["user name and the password", "probably truncated"] {
        assert!(
            !r.stderr.contains(bad),
            "misleading {bad:?} in: {}",
            r.stderr
        );
    }
    assert!(
        r.max_rss_kb < RSS_LIMIT_KB,
        "peak RSS {} KiB over {} KiB; stderr: {}",
        r.max_rss_kb,
        RSS_LIMIT_KB,
        r.stderr
    );
    eprintln!("peak RSS {} KiB: {}", r.max_rss_kb, r.stderr.trim());
}

#[test]
fn endless_chunked_body_stops_at_the_cap() {
    let h = Hostile::start("endless-body");
    let r = fetch(&h, "supermicro", &[]);
    assert_bounded(&r, &["/cgi/ipmi.cgi is larger than 4194304 bytes"]);
    // Configurable, Redfish too.
    let r = fetch(&h, "redfish", &["--max-body", "1MiB"]);
    assert_bounded(
        &r,
        &["larger than 1048576 bytes (max_body_bytes / --max-body)"],
    );
}

#[test]
fn huge_declared_body_is_refused_before_reading() {
    let h = Hostile::start("huge-body");
    let r = fetch(&h, "supermicro", &[]);
    assert_bounded(
        &r,
        &["larger than 4194304 bytes", "Content-Length says 209715200"],
    );
}

#[test]
fn self_looping_next_link_is_detected() {
    let h = Hostile::start("next-link-loop");
    let r = fetch(&h, "redfish", &[]);
    assert_bounded(&r, &["Redfish page 2", "points to a page already read"]);
}

#[test]
fn endless_next_link_chain_hits_the_page_and_entry_caps() {
    let h = Hostile::start("next-link-endless");
    // 1,400 entries a page: the default entry cap (65,536) ends it.
    let r = fetch(&h, "redfish", &[]);
    assert_bounded(&r, &["more than 65536 Redfish log entries"]);
    let r = fetch(&h, "redfish", &["--max-pages", "5"]);
    assert_bounded(&r, &["more than 5 pages of Redfish log entries"]);
}

#[test]
fn redirect_loop_on_login_says_redirect() {
    let h = Hostile::start("redirect");
    let r = fetch(&h, "supermicro", &[]);
    assert_bounded(
        &r,
        &[
            "HTTP 302 redirect from /cgi/login.cgi",
            "does not follow redirects",
        ],
    );
    let r = fetch(&h, "redfish", &[]);
    assert_bounded(
        &r,
        &["HTTP 302 redirect from /redfish/v1/SessionService/Sessions"],
    );
}

#[test]
fn status_999_is_not_a_password_problem() {
    let h = Hostile::start("status-999");
    let r = fetch(&h, "supermicro", &[]);
    assert_bounded(
        &r,
        &["HTTP 999 from /cgi/login.cgi", "not a standard HTTP status"],
    );
}

#[test]
fn billion_laughs_is_refused_as_a_dtd() {
    let h = Hostile::start("billion-laughs");
    let r = fetch(&h, "supermicro", &[]);
    assert_bounded(&r, &["declares a DTD", "entity expansion is refused"]);
}

#[test]
fn dripping_answer_ends_at_the_poll_deadline() {
    let h = Hostile::start("drip");
    let r = fetch(
        &h,
        "supermicro",
        &["--timeout", "600s", "--poll-deadline", "3s"],
    );
    assert_bounded(
        &r,
        &["did not finish within 3s (poll_deadline_secs / --poll-deadline)"],
    );
}

/// A fleet of hosts that all send endless bodies: memory stays bounded by
/// concurrency x cap, far under the bound.
#[test]
fn fleet_of_hostile_hosts_stays_bounded() {
    let h = Hostile::start("endless-body");
    let dir = tempfile::tempdir().unwrap();
    let mut inv = String::from("[settings]\nconcurrency = 16\n\n");
    for n in 0..32 {
        inv.push_str(&format!(
            "[[host]]\nname = \"h{n}\"\nkind = \"supermicro\"\nurl = \"http://{}/bmc/{n}\"\nuser = \"ADMIN\"\npassword_env = \"LIMITS_PW\"\n\n",
            h.addr
        ));
    }
    let p = dir.path().join("fleet.toml");
    std::fs::write(&p, inv).unwrap();
    let r = run_measured(&["fetch", "--inventory", p.to_str().unwrap()]);
    assert_bounded(
        &r,
        &["h0: the answer to /cgi/ipmi.cgi is larger than 4194304 bytes"],
    );
    assert_eq!(
        r.stderr.matches("is larger than 4194304 bytes").count(),
        32,
        "{}",
        r.stderr
    );
}

/// `decode` of an endless input stops at the input cap (64 MiB).
#[test]
fn decode_of_dev_zero_stops_at_the_input_cap() {
    let r = run_measured(&["decode", "/dev/zero"]);
    assert_bounded(&r, &["/dev/zero: larger than 67108864 bytes"]);
}
