//! Differential suite against Python `textfsm` 2.x over every template of
//! the ntc-templates sample (979 templates).
//!
//! One Python process (`tests/py/textfsm_oracle.py`) parses every template
//! and runs it over the recorded raw files of its command family (any
//! platform) and over synthetic documents generated from the template's own
//! rules (state-order lines, CRLF, walks through the state machine). This
//! test runs the same templates over the same inputs and requires: the same
//! template errors, the same header, the same rows in the same order (List
//! items, `None` and named-group maps included), and the same `Error`
//! action messages. Cases where Python itself never finishes (catastrophic
//! backtracking, killed after a timeout) are run here too, only to show
//! that this engine neither hangs nor panics on them.
//!
//! Needs `python3` with `textfsm` 2.x; skipped (with a message) when missing
//! unless `NETOPS_REQUIRE_PEERS=1`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use fsm_parse::{RunError, Template};
use serde_json::Value as J;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn rows_json(rows: &[fsm_parse::Record]) -> J {
    J::Array(
        rows.iter()
            .map(|r| serde_json::to_value(r.values()).expect("values serialise"))
            .collect(),
    )
}

#[derive(Default)]
struct Tally {
    failures: Vec<String>,
    cases: usize,
    rows: usize,
    errors: usize,
    timeouts: usize,
    slow: Vec<(std::time::Duration, String)>,
}

/// Compares a slice of the oracle's templates.
fn check(entries: &[J], templates: &Path, tests: &Path) -> Tally {
    let mut t = Tally::default();
    for e in entries {
        let started = std::time::Instant::now();
        let name = e["name"].as_str().expect("name");
        let text = std::fs::read_to_string(templates.join(name)).expect("template file");
        let ours = Template::parse(&text);
        if let Some(perr) = e.get("template_error").and_then(J::as_str) {
            match ours {
                Ok(_) => t.failures.push(format!(
                    "{name}: Python rejects the template ({perr}), we accept it"
                )),
                Err(ours) => {
                    if !ours.message.starts_with(perr) && !perr.contains("position") {
                        t.failures.push(format!(
                            "{name}: template error differs: python {perr:?}, ours {:?}",
                            ours.message
                        ));
                    }
                }
            }
            continue;
        }
        let tpl = match ours {
            Ok(t) => t,
            Err(err) => {
                t.failures.push(format!(
                    "{name}: Python accepts the template, we reject it: {err}"
                ));
                continue;
            }
        };
        let header: Vec<String> = serde_json::from_value(e["header"].clone()).expect("header");
        if tpl.value_names() != header.as_slice() {
            t.failures.push(format!(
                "{name}: header {:?} != python {header:?}",
                tpl.value_names()
            ));
        }
        for case in e["cases"].as_array().expect("cases") {
            t.cases += 1;
            let label = case["input"].as_str().expect("input label");
            let input = match case.get("text").and_then(J::as_str) {
                Some(s) => s.to_owned(),
                None => std::fs::read_to_string(tests.join(label)).expect("raw input is UTF-8"),
            };
            let got = tpl.run(&input);
            if case.get("timeout").is_some() {
                t.timeouts += 1;
                continue;
            }
            let what = format!("{name} on {label}");
            match (case.get("rows"), case.get("error"), got) {
                (Some(prows), _, Ok(rows)) => {
                    t.rows += rows.len();
                    let ours = rows_json(&rows);
                    if &ours != prows {
                        let pa = prows.as_array().map_or(0, Vec::len);
                        let first = ours
                            .as_array()
                            .into_iter()
                            .flatten()
                            .zip(prows.as_array().into_iter().flatten())
                            .position(|(a, b)| a != b);
                        let detail = match first {
                            Some(i) => format!("row {i}: ours {} python {}", ours[i], prows[i]),
                            None => String::from("(common prefix equal)"),
                        };
                        t.failures.push(format!(
                            "{what}: {} rows vs python {pa}; {detail}",
                            rows.len()
                        ));
                    }
                }
                (Some(_), _, Err(err)) => {
                    t.failures
                        .push(format!("{what}: python parses it, we fail: {err}"));
                }
                (None, Some(perr), Ok(rows)) => t.failures.push(format!(
                    "{what}: python fails ({perr}), we return {} rows",
                    rows.len()
                )),
                (None, Some(perr), Err(err)) => {
                    t.errors += 1;
                    let perr = perr.as_str().unwrap_or_default();
                    if case["kind"] == "TextFSMError" {
                        let same = matches!(&err, RunError::Action { .. })
                            && err.python_message().as_deref() == Some(perr);
                        if !same {
                            t.failures.push(format!(
                                "{what}: error differs: python {perr:?}, ours {err}"
                            ));
                        }
                    }
                }
                (None, None, _) => t.failures.push(format!("{what}: oracle gave no result")),
            }
        }
        t.slow.push((started.elapsed(), name.to_owned()));
    }
    t
}

#[test]
fn same_results_as_python_textfsm_on_every_template() {
    if !common::have_textfsm("the textfsm differential") {
        return;
    }
    let corpus = root().join("../../testdata/ntc");
    let templates = corpus.join("templates");
    let tests = corpus.join("tests");
    // FSM_ORACLE_JSON=<file> reuses a saved oracle output (development).
    let raw = match std::env::var_os("FSM_ORACLE_JSON") {
        Some(p) => std::fs::read(&p).expect("FSM_ORACLE_JSON file"),
        None => {
            let out = Command::new("python3")
                .arg(root().join("tests/py/textfsm_oracle.py"))
                .arg(&templates)
                .arg(&tests)
                .output()
                .expect("run the textfsm oracle");
            assert!(
                out.status.success(),
                "oracle failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    };
    let oracle: J = serde_json::from_slice(&raw).expect("oracle JSON");
    let entries = oracle["templates"].as_array().expect("templates array");
    assert_eq!(entries.len(), 979, "every template of the sample");

    // Two threads: the engine is Send + Sync, and CI has two cores.
    let half = entries.len() / 2;
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| check(&entries[..half], &templates, &tests));
        let second = check(&entries[half..], &templates, &tests);
        (h.join().expect("checker thread"), second)
    });
    let mut failures = first.failures;
    failures.extend(second.failures);
    let n_cases = first.cases + second.cases;
    let n_rows = first.rows + second.rows;
    let n_errors = first.errors + second.errors;
    let n_timeouts = first.timeouts + second.timeouts;
    let mut slow = first.slow;
    slow.extend(second.slow);
    slow.sort();
    eprintln!(
        "slowest templates here: {:?}",
        &slow[slow.len().saturating_sub(5)..]
    );
    eprintln!(
        "differential: {} templates, {n_cases} cases, {n_rows} rows, {n_errors} Error cases, {n_timeouts} Python timeouts",
        entries.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences from Python textfsm:\n{}",
        failures.len(),
        failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        n_cases > 5000 && n_rows > 10_000,
        "the suite compares real data"
    );
}
