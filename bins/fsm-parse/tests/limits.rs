//! Issue 18's bounds on hostile input, checked on the `fsm-parse` process
//! itself: its peak RSS (from `wait4`'s `rusage` of that one child), not a
//! timing. Also issue 17's contract items: exit 3 for a usage error
//! (`fsm-parse < /dev/null`), JSON keys in template order.
use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// What a child did: exit code, stdout, stderr, peak RSS in KiB.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    maxrss_kib: i64,
}

/// Runs `fsm-parse ARGS` with `stdin`, waiting with `wait4` to get this
/// child's own resource usage.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4 (to read its own rusage), not Child::wait"
)]
fn run(
    args: &[&str],
    stdin: Stdio,
    feed: Option<Box<dyn FnOnce(std::process::ChildStdin) + Send>>,
) -> Run {
    let exe = assert_cmd::cargo::cargo_bin("fsm-parse");
    let mut child = Command::new(exe)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fsm-parse starts");
    let feeder = feed.map(|f| {
        let w = child.stdin.take().expect("piped stdin");
        std::thread::spawn(move || f(w))
    });
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; status and ru are valid pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4");
    if let Some(t) = feeder {
        let _ = t.join();
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Run {
        code,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
        maxrss_kib: ru.ru_maxrss,
    }
}

const MIB: i64 = 1024;

#[test]
fn exploding_templates_are_refused_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    for (name, value) in [("nested", "(?:a{1000}){2000}"), ("flat", "a{1000000}")] {
        let t = d.path().join(format!("{name}.textfsm"));
        std::fs::write(
            &t,
            format!("Value A ({value})\n\nStart\n  ^${{A}} -> Record\n"),
        )
        .unwrap();
        let r = run(&[t.to_str().unwrap()], Stdio::null(), None);
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{name}.textfsm: line 1:"))
                && r.stderr.contains("pattern too big"),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
        assert!(
            r.maxrss_kib < 64 * MIB,
            "{name}: peak RSS {} KiB",
            r.maxrss_kib
        );
    }
}

#[test]
fn dev_zero_stops_at_the_line_cap_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("t.textfsm");
    std::fs::write(&t, "Value A (\\S+)\n\nStart\n  ^${A} -> Record\n").unwrap();
    let Ok(zero) = std::fs::File::open("/dev/zero") else {
        eprintln!("skipped: no /dev/zero");
        return;
    };
    let r = run(&[t.to_str().unwrap()], Stdio::from(zero), None);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("<stdin>: input line 1 is longer than 16777216 bytes")
            && r.stderr.contains("--max-line-bytes"),
        "{}",
        r.stderr
    );
    assert!(r.maxrss_kib < 128 * MIB, "peak RSS {} KiB", r.maxrss_kib);
    assert!(r.stdout.is_empty(), "no row, no header: {:?}", r.stdout);

    // Through the index too, with a smaller cap.
    let idx = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc/templates");
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let r = run(
        &[
            "--index",
            idx.to_str().unwrap(),
            "--platform",
            "arista_eos",
            "--command",
            "show version",
            "--max-line-bytes",
            "1000000",
        ],
        Stdio::from(zero),
        None,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("longer than 1000000 bytes"),
        "{}",
        r.stderr
    );
    assert!(r.maxrss_kib < 64 * MIB, "peak RSS {} KiB", r.maxrss_kib);
}

/// 200 MB of input through a pipe: rows stream out, memory stays flat (it
/// was the whole input, several times over).
#[test]
fn large_piped_input_streams_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("t.textfsm");
    std::fs::write(
        &t,
        "Value IF (\\S+)\nValue MTU (\\d+)\n\nStart\n  ^interface ${IF} mtu ${MTU} -> Record\n",
    )
    .unwrap();
    let lines: u64 = 5_000_000;
    let r = run(
        &[t.to_str().unwrap(), "-", "--format", "csv"],
        Stdio::piped(),
        Some(Box::new(move |mut w| {
            let chunk: String = (0..1000)
                .map(|i| format!("interface eth{i} mtu 1500\nnoise line\n"))
                .collect();
            for _ in 0..lines / 2000 {
                if w.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
        })),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let rows = r.stdout.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(rows, lines / 2 + 1, "header + a row per interface line");
    assert!(r.maxrss_kib < 64 * MIB, "peak RSS {} KiB", r.maxrss_kib);
}

#[test]
fn no_template_and_empty_stdin_is_a_usage_error() {
    let r = run(&[], Stdio::null(), None);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("give a TEMPLATE"), "{}", r.stderr);
}

#[test]
fn json_keys_follow_template_order() {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("t.textfsm");
    std::fs::write(
        &t,
        "Value ZETA (\\S+)\nValue ALPHA (\\S+)\nValue MID (\\S+)\n\nStart\n  ^${ZETA} ${ALPHA} ${MID} -> Record\n",
    )
    .unwrap();
    let i = d.path().join("in.txt");
    std::fs::write(&i, "z a m\n").unwrap();
    for extra in [&[][..], &["--lowercase-keys"][..]] {
        let mut args = vec![t.to_str().unwrap(), i.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        let r = run(&args, Stdio::null(), None);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let s = String::from_utf8(r.stdout).unwrap();
        let keys: Vec<&str> = s
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.split('"').next())
            .collect();
        let want = if extra.is_empty() {
            ["ZETA", "ALPHA", "MID"]
        } else {
            ["zeta", "alpha", "mid"]
        };
        assert_eq!(keys, want, "{s}");
    }
}
