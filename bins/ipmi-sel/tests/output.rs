//! Output errors: a full disk must not lose rows silently; a closed pipe
//! (`ipmi-sel ... | head`) is a normal way to stop and stays quiet, with
//! the status the run would have had.

use std::io::Read;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");
const REC: &str = "020002124c015d33000413006fa58012";

/// A file of `n` hex records (table output of a few hundred kB).
fn many_records(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let p = dir.join("many.hex");
    let text: String = (0..n).map(|_| format!("{REC}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn write_errors_are_reported_with_a_nonzero_exit() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipping: no /dev/full on this system");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let input = many_records(d.path(), 2000);
    for format in ["table", "csv", "jsonl"] {
        let out = Command::new(BIN)
            .args(["decode", "--format", format])
            .arg(&input)
            .stdout(std::fs::File::create(full).unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "--format {format}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with("ipmi-sel: ") && err.contains("No space left on device"),
            "--format {format}: {err}"
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly_keeping_the_status() {
    let d = tempfile::tempdir().unwrap();
    let input = many_records(d.path(), 20_000);
    // The status stays what the run decided: 1 with --fail-on and a hit.
    for (format, fail_on, want) in [
        ("table", "none", 0),
        ("csv", "none", 0),
        ("jsonl", "none", 0),
        ("jsonl", "critical", 1),
    ] {
        let mut args = vec!["decode", "--format", format];
        if fail_on != "none" {
            args.extend(["--fail-on", fail_on]);
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .arg(&input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then close the pipe as `head -1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        let n = stdout.read(&mut first).unwrap();
        assert!(n > 0);
        drop(stdout);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let st = child.wait().unwrap();
        assert_eq!(st.code(), Some(want), "--format {format}: {err}");
        assert_eq!(err, "", "--format {format}");
    }
}
