//! Checks of the CLI contract (`docs/CLI-CONTRACT.md`) that every tool's
//! `tests/contract.rs` runs against its own binary: exit 3 on usage
//! errors, `--version` naming the tool as users type it, completions and
//! a man page from `--generate`, snake_case headers, and a closed pipe
//! that is quiet and keeps the exit status.
//!
//! ```ignore
//! // in bins/xff-scan/tests/contract.rs
//! let t = netops_testkit::tool!("xff-scan");
//! t.assert_version();
//! t.assert_usage_error(&["--bogus"]);
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A tool's binary, run from the workspace root (so `testdata/...` paths
/// work as in the README).
#[derive(Clone, Debug)]
pub struct Tool {
    bin: PathBuf,
    name: String,
    version: String,
    root: PathBuf,
}

/// Whether `name` is snake_case (the rule of `netops_cli::is_snake_case`,
/// restated here so a test does not check a tool with the tool's own code).
pub fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && name.split('_').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Panics unless every name in the first line of `csv` (a CSV header,
/// names without quotes or commas) is snake_case.
pub fn assert_snake_case_csv(csv: &str) {
    let header = csv.lines().next().unwrap_or_default();
    assert!(!header.is_empty(), "no CSV header in {csv:?}");
    for name in header.split(',') {
        assert!(
            is_snake_case(name),
            "CSV column {name:?} is not snake_case: {header}"
        );
    }
}

/// Panics unless every word of the first line of `table` (a table header:
/// names separated by spaces) is snake_case.
pub fn assert_snake_case_table(table: &str) {
    let header = table.lines().next().unwrap_or_default();
    assert!(!header.is_empty(), "no table header in {table:?}");
    for name in header.split_whitespace() {
        assert!(
            is_snake_case(name),
            "table column {name:?} is not snake_case: {header}"
        );
    }
}

/// Panics unless every key of every JSON object on the lines of `jsonl` is
/// snake_case (top-level keys only).
pub fn assert_snake_case_jsonl_keys(jsonl: &str) {
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let t = line.trim();
        assert!(
            t.starts_with('{') && t.ends_with('}'),
            "not a JSON object line: {line}"
        );
        // Top-level keys: a `"key":` at object depth 1, outside strings.
        let (mut depth, mut in_str, mut esc) = (0i32, false, false);
        let mut start = None;
        let b = t.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if in_str {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    in_str = false;
                    if let Some(s) = start.take() {
                        let rest = t[i + 1..].trim_start();
                        if rest.starts_with(':') {
                            let key = &t[s..i];
                            assert!(
                                is_snake_case(key),
                                "JSON key {key:?} is not snake_case: {line}"
                            );
                        }
                    }
                }
                continue;
            }
            match c {
                b'"' => {
                    in_str = true;
                    if depth == 1 {
                        start = Some(i + 1);
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                _ => {}
            }
        }
    }
}

/// The [`Tool`] for the binary `$name` of the package whose integration
/// test calls it: `netops_testkit::tool!("xff-scan")`.
#[macro_export]
macro_rules! tool {
    ($name:literal) => {
        $crate::contract::Tool::new(
            env!(concat!("CARGO_BIN_EXE_", $name)),
            env!("CARGO_MANIFEST_DIR"),
            $name,
            env!("CARGO_PKG_VERSION"),
        )
    };
}

/// The contract tests every tool's `tests/contract.rs` has word for word:
/// `version_names_the_tool` ([`Tool::assert_version`]) and
/// `completions_and_man_page` ([`Tool::assert_generate`]) for the binary
/// `$name`: `netops_testkit::common_contract_tests!("xff-scan");`.
#[macro_export]
macro_rules! common_contract_tests {
    ($name:literal) => {
        #[test]
        fn version_names_the_tool() {
            $crate::tool!($name).assert_version();
        }

        #[test]
        fn completions_and_man_page() {
            $crate::tool!($name).assert_generate();
        }
    };
}

impl Tool {
    /// The binary at `bin` (the test's `env!("CARGO_BIN_EXE_<name>")`),
    /// run from the workspace root above `manifest_dir` (the test's
    /// `env!("CARGO_MANIFEST_DIR")`), expected to print `name version`.
    /// The [`tool!`](crate::tool) macro fills these in.
    pub fn new(bin: &str, manifest_dir: &str, name: &str, version: &str) -> Tool {
        Tool {
            bin: PathBuf::from(bin),
            name: name.to_owned(),
            version: version.to_owned(),
            root: Path::new(manifest_dir).join("../.."),
        }
    }

    /// The name users type.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The workspace root (the tools run there).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A command for the tool, run in the workspace root with no stdin.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.current_dir(&self.root).stdin(Stdio::null());
        c
    }

    /// Runs the tool with `args` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{}: cannot run {}: {e}", self.name, self.bin.display()))
    }

    /// Runs and panics unless the exit code is `code`; returns stdout.
    pub fn run_expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{} {args:?}: stderr: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `args` are a usage error: exit 3, nothing on stdout, a message on
    /// stderr.
    pub fn assert_usage_error(&self, args: &[&str]) {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{} {args:?}: {err}", self.name);
        assert!(
            out.stdout.is_empty(),
            "{} {args:?} wrote to stdout",
            self.name
        );
        assert!(!err.trim().is_empty(), "{} {args:?}: no message", self.name);
    }

    /// `--version` prints `NAME VERSION` (the name users type, not the
    /// package's) and exits 0.
    pub fn assert_version(&self) {
        let out = self.run(&["--version"]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{} {}\n", self.name, self.version)
        );
    }

    /// `--generate completion-bash|completion-zsh|completion-fish|man` each
    /// print a non-empty script or page naming the tool and exit 0; an
    /// unknown kind is a usage error.
    pub fn assert_generate(&self) {
        let n = &self.name;
        for (kind, marker) in [
            (
                "completion-bash",
                format!("complete -F _{}", n.replace('-', "__")),
            ),
            ("completion-zsh", format!("#compdef {n}")),
            ("completion-fish", format!("complete -c {n}")),
            ("man", format!(".TH {n} 1")),
        ] {
            let out = self.run(&["--generate", kind]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{n} --generate {kind}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.len() > 200, "{n} --generate {kind}: too short: {text}");
            assert!(
                text.contains(&marker),
                "{n} --generate {kind} lacks {marker:?}: {}",
                &text[..text.len().min(600)]
            );
        }
        let man = self.run_expect(&["--generate", "man"], 0);
        assert!(man.contains("\\-\\-help"), "the man page lists the options");
        self.assert_usage_error(&["--generate", "powershell"]);
    }

    /// The run of `args` exits `code` and is quiet on stderr when its reader
    /// is gone: once with a pipe whose read end is closed before the tool
    /// starts (its first write fails with `EPIPE`), once with a reader that
    /// takes one line and closes (`| head -1`).
    pub fn assert_closed_pipe_quiet(&self, args: &[&str], code: i32) {
        // 1. Closed before the first write.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = self
            .cmd()
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        self.check_quiet(args, code, &out.status, &out.stderr, "closed before start");
        // 2. One line read, then closed.
        let mut child = self
            .cmd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut first = String::new();
        {
            let mut r = BufReader::new(child.stdout.take().expect("stdout"));
            let _ = r.read_line(&mut first);
        }
        let out = child.wait_with_output().expect("wait");
        assert!(!first.is_empty(), "{} {args:?} printed nothing", self.name);
        self.check_quiet(args, code, &out.status, &out.stderr, "| head -1");
    }

    fn check_quiet(
        &self,
        args: &[&str],
        code: i32,
        status: &std::process::ExitStatus,
        stderr: &[u8],
        how: &str,
    ) {
        let err = String::from_utf8_lossy(stderr);
        assert_eq!(
            status.code(),
            Some(code),
            "{} {args:?} ({how}): {err}",
            self.name
        );
        for bad in [
            "Broken pipe",
            "broken pipe",
            "cannot write",
            "panicked",
            "os error 32",
        ] {
            assert!(
                !err.contains(bad),
                "{} {args:?} ({how}) says {bad:?}: {err}",
                self.name
            );
        }
        assert!(
            !err.contains('\r') && !err.contains('\x1b'),
            "{} {args:?} ({how}): progress drawn on a stderr that is not a terminal: {err:?}",
            self.name
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_checks() {
        assert_snake_case_csv("file,ts,client_ip,cert_not_after\n1,2,3,4\n");
        assert_snake_case_table("host  record_id  ts\nx  1  2\n");
        assert_snake_case_jsonl_keys("{\"a_b\":1,\"c\":{\"Inner Key\":[\"X Y\"]},\"d\":\"E:F\"}\n");
        for bad in ["HOST,id\n", "Total Capacity (GB)\n", "a,,b\n"] {
            assert!(
                std::panic::catch_unwind(|| assert_snake_case_csv(bad)).is_err(),
                "{bad}"
            );
        }
        assert!(std::panic::catch_unwind(|| assert_snake_case_table("ID  TIME\n")).is_err());
        assert!(
            std::panic::catch_unwind(|| assert_snake_case_jsonl_keys("{\"Data\":1}\n")).is_err()
        );
    }
}
