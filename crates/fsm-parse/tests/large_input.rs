//! Long inputs against Python `textfsm`: the per-run adaptations of the
//! engine (a rule that matches nearly every line it is tried on stops
//! running the DFA pass; the per-state rule set after enough lines) only
//! start after dozens of lines, which the differential suite's small inputs
//! seldom reach. These inputs are generated here, deterministically, and
//! must give exactly Python's rows.
//!
//! Needs `python3` with `textfsm` 2.x; skipped (with a message) when missing
//! unless `NETOPS_REQUIRE_PEERS=1`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{SWING_TEMPLATE, have_textfsm, route_template, route_text, swing_text};
use fsm_parse::Template;

/// Runs Python textfsm on the files: rows as lists of strings.
fn python_rows(template: &Path, input: &Path) -> Vec<Vec<String>> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, textfsm\n\
             t = textfsm.TextFSM(open(sys.argv[1]))\n\
             rows = t.ParseText(open(sys.argv[2], encoding='utf-8').read())\n\
             json.dump(rows, sys.stdout)",
        ])
        .arg(template)
        .arg(input)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python textfsm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python rows are JSON")
}

fn rust_rows(template: &str, input: &str) -> Vec<Vec<String>> {
    let t = Template::parse(template).expect("template compiles");
    t.run(input)
        .expect("parses")
        .iter()
        .map(|r| {
            r.values()
                .iter()
                .map(|v| v.as_str().expect("no List values here").to_owned())
                .collect()
        })
        .collect()
}

fn compare(template_src: &str, input: &str) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    let tpath: PathBuf = dir.path().join("t.textfsm");
    let ipath: PathBuf = dir.path().join("input.txt");
    std::fs::write(&tpath, template_src).expect("write template");
    std::fs::write(&ipath, input).expect("write input");
    let want = python_rows(&tpath, &ipath);
    let got = rust_rows(template_src, input);
    assert_eq!(got.len(), want.len(), "row count");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "row {i}");
    }
    got.len()
}

#[test]
fn generated_route_table_gives_pythons_rows() {
    if !have_textfsm("the long-input comparison") {
        return;
    }
    let tpl = route_template();
    let text = route_text(120);
    assert!(text.lines().count() > 1000, "long enough to adapt");
    let rows = compare(&tpl, &text);
    assert!(rows > 900, "the routes are recognised: {rows}");
}

#[test]
fn a_rule_whose_hit_rate_swings_gives_pythons_rows() {
    if !have_textfsm("the long-input comparison") {
        return;
    }
    let rows = compare(SWING_TEMPLATE, &swing_text());
    assert!(rows > 400, "{rows}");
}
