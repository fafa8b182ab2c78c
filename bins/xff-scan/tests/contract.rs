//! `xff-scan` keeps the CLI contract (docs/CLI-CONTRACT.md).

use netops_testkit::contract::{
    assert_snake_case_csv, assert_snake_case_jsonl_keys, assert_snake_case_table,
};

const CAPTURE: &str = "testdata/xff/headers.pcap";

fn tool() -> netops_testkit::contract::Tool {
    netops_testkit::tool!("xff-scan")
}

#[test]
fn usage_errors_and_conflicting_options_exit_3() {
    let t = tool();
    t.assert_usage_error(&["--bogus", CAPTURE]);
    t.assert_usage_error(&["--ip", "203.0.113.77"]); // no PATH
    t.assert_usage_error(&["--ip", "203.0.113.77", "--format", "xml", CAPTURE]);
    t.assert_usage_error(&["--ip", "not-an-address", CAPTURE]);
    // Conflicting options are refused, not silently combined.
    t.assert_usage_error(&["--list", "--summary", CAPTURE]);
    t.assert_usage_error(&["--list", "--write", "/tmp/never-written.pcap", CAPTURE]);
    assert!(!std::path::Path::new("/tmp/never-written.pcap").exists());
}

netops_testkit::common_contract_tests!("xff-scan");

#[test]
fn every_format_is_accepted_and_headers_are_snake_case() {
    let t = tool();
    for kind in [&[][..], &["--summary"], &["--list"]] {
        let mut base: Vec<&str> = if kind == ["--list"] {
            vec![]
        } else {
            vec!["--ip", "203.0.113.0/24"]
        };
        base.extend_from_slice(kind);
        let run = |format: &str| {
            let mut a = base.clone();
            a.extend(["--format", format, CAPTURE]);
            t.run_expect(&a, 0)
        };
        assert_snake_case_table(&run("table"));
        assert_snake_case_csv(&run("csv"));
        let jsonl = run("jsonl");
        assert_snake_case_jsonl_keys(&jsonl);
        let json = run("json");
        assert!(json.starts_with("[\n  {"), "{json}");
        // json is the jsonl rows as one array.
        let arr: Vec<String> = jsonl.lines().map(str::to_owned).collect();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), arr.len());
    }
}

#[test]
fn table_is_the_default_also_when_piped() {
    let t = tool();
    let piped = t.run_expect(&["--ip", "203.0.113.77", CAPTURE], 0);
    let table = t.run_expect(&["--ip", "203.0.113.77", "--format", "table", CAPTURE], 0);
    assert_eq!(piped, table);
}

#[test]
fn timestamps_are_rfc3339_utc_microseconds() {
    let out = tool().run_expect(&["--ip", "203.0.113.77", "--format", "jsonl", CAPTURE], 0);
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let ts = row["ts"].as_str().unwrap();
    assert_eq!(ts.len(), "2026-11-25T10:00:00.000000Z".len(), "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
}

#[test]
fn closed_pipe_is_quiet_and_keeps_the_status() {
    let t = tool();
    t.assert_closed_pipe_quiet(&["--list", "testdata/xff"], 0);
    t.assert_closed_pipe_quiet(
        &["--ip", "203.0.113.77", "--format", "jsonl", "testdata/xff"],
        0,
    );
    // No match: exit 1 (grep's convention) also when nothing could be written.
    t.assert_closed_pipe_quiet(&["--ip", "192.0.2.254", "--format", "csv", CAPTURE], 1);
}
