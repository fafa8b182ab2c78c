//! `fsm-parse` keeps the CLI contract (docs/CLI-CONTRACT.md).

use netops_testkit::contract::{
    Tool, assert_snake_case_csv, assert_snake_case_jsonl_keys, assert_snake_case_table,
};

const TEMPLATE: &str = "testdata/ntc/templates/arista_eos_show_clock.textfsm";
const INPUT: &str = "testdata/ntc/tests/arista_eos/show_clock/arista_eos_show_clock.raw";

fn tool() -> Tool {
    netops_testkit::tool!("fsm-parse")
}

#[test]
fn usage_errors_and_conflicting_options_exit_3() {
    let t = tool();
    t.assert_usage_error(&["--bogus", TEMPLATE, INPUT]);
    t.assert_usage_error(&[]); // no TEMPLATE, no --index
    t.assert_usage_error(&["--format", "xml", TEMPLATE, INPUT]);
    t.assert_usage_error(&["--platform", "arista_eos", TEMPLATE, INPUT]); // needs --index
    // --index with two INPUTs: the template comes from the index.
    t.assert_usage_error(&[
        "--index",
        "testdata/ntc/templates",
        "--platform",
        "arista_eos",
        "--command",
        "show clock",
        INPUT,
        INPUT,
    ]);
}

netops_testkit::common_contract_tests!("fsm-parse");

#[test]
fn every_format_is_accepted_json_is_an_array_jsonl_a_line_per_record() {
    let t = tool();
    let run = |format: &str| {
        t.run_expect(
            &["--lowercase-keys", "--format", format, TEMPLATE, INPUT],
            0,
        )
    };
    // Lowercased, the template's value names are snake_case columns.
    assert_snake_case_table(&run("table"));
    assert_snake_case_csv(&run("csv"));
    let jsonl = run("jsonl");
    assert_snake_case_jsonl_keys(&jsonl);
    assert_eq!(jsonl.lines().count(), 1);
    let line: serde_json::Value = serde_json::from_str(jsonl.trim_end()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json, serde_json::Value::Array(vec![line.clone()]));
    assert_eq!(line["timezone"], "US/Central");
    // Keys in template order, in both.
    assert!(
        jsonl.starts_with("{\"time\":\"18:42:49\",\"timezone\":"),
        "{jsonl}"
    );
}

#[test]
fn table_is_the_default_also_when_piped() {
    let t = tool();
    assert_eq!(
        t.run_expect(&[TEMPLATE, INPUT], 0),
        t.run_expect(&["--format", "table", TEMPLATE, INPUT], 0)
    );
}

#[test]
fn closed_pipe_is_quiet_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("t.textfsm");
    std::fs::write(
        &tpl,
        "Value name (\\S+)\nValue count (\\d+)\n\nStart\n  ^${name} ${count} -> Record\n",
    )
    .unwrap();
    let input = dir.path().join("in.txt");
    let text: String = (0..50_000).map(|i| format!("host{i} {i}\n")).collect();
    std::fs::write(&input, text).unwrap();
    let (tpl, input) = (tpl.to_str().unwrap(), input.to_str().unwrap());
    let t = tool();
    for format in ["table", "csv", "jsonl", "json"] {
        t.assert_closed_pipe_quiet(&["--format", format, tpl, input], 0);
    }
}
