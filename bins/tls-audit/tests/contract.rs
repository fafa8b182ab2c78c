//! `tls-audit` keeps the CLI contract (docs/CLI-CONTRACT.md).

use netops_testkit::contract::{
    Tool, assert_snake_case_csv, assert_snake_case_jsonl_keys, assert_snake_case_table,
};

const CAPTURE: &str = "testdata/tls/handshakes.pcap";
const DIR: &str = "testdata/tls";

fn tool() -> Tool {
    netops_testkit::tool!("tls-audit")
}

#[test]
fn usage_errors_and_conflicting_options_exit_3() {
    let t = tool();
    t.assert_usage_error(&["--bogus", CAPTURE]);
    t.assert_usage_error(&[]); // no PATH
    t.assert_usage_error(&["--format", "xml", CAPTURE]);
    t.assert_usage_error(&["--max-version", "tls9", CAPTURE]);
    // --summary has no parquet form: refused, not silently dropped.
    t.assert_usage_error(&["--summary", "--format", "parquet", CAPTURE]);
}

netops_testkit::common_contract_tests!("tls-audit");

#[test]
fn every_format_is_accepted_and_headers_are_snake_case() {
    let t = tool();
    for summary in [false, true] {
        let run = |format: &str| {
            let mut a = vec!["--format", format, CAPTURE];
            if summary {
                a.insert(0, "--summary");
            }
            t.run_expect(&a, 0)
        };
        assert_snake_case_table(&run("table"));
        assert_snake_case_csv(&run("csv"));
        let jsonl = run("jsonl");
        assert_snake_case_jsonl_keys(&jsonl);
        let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
        assert_eq!(json.as_array().unwrap().len(), jsonl.lines().count());
    }
    let parquet = t.run(&["--format", "parquet", CAPTURE]);
    assert_eq!(parquet.status.code(), Some(0));
    assert!(parquet.stdout.starts_with(b"PAR1"));
}

#[test]
fn table_is_the_default_also_when_piped() {
    let t = tool();
    let piped = t.run_expect(&[CAPTURE], 0);
    assert_eq!(piped, t.run_expect(&["--format", "table", CAPTURE], 0));
    assert!(!piped.starts_with("file,"), "not CSV: {piped}");
}

#[test]
fn timestamps_are_rfc3339_utc_microseconds() {
    let out = tool().run_expect(&["--format", "jsonl", CAPTURE], 0);
    for line in out.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let ts = row["first_seen"].as_str().unwrap();
        assert_eq!(ts.len(), "2026-11-25T10:00:00.000000Z".len(), "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
    }
}

#[test]
fn closed_pipe_is_quiet_and_keeps_the_status() {
    let t = tool();
    t.assert_closed_pipe_quiet(&[DIR], 0);
    t.assert_closed_pipe_quiet(&["--format", "jsonl", DIR], 0);
    // --fail-on matched: 1 stays 1 when the reader went away.
    t.assert_closed_pipe_quiet(&["--fail-on", "tls1.1", "--format", "csv", DIR], 1);
}
