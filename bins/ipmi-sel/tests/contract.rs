//! `ipmi-sel` keeps the CLI contract (docs/CLI-CONTRACT.md). Everything
//! here is offline (`decode`); the fetch paths have their own tests.

use netops_testkit::contract::{
    Tool, assert_snake_case_csv, assert_snake_case_jsonl_keys, assert_snake_case_table,
};

/// A PCI SERR record (critical).
const HEX: &str = "020002124c015d33000413006fa58012";
const SEL_BIN: &str = "testdata/ipmi/sim_bmc0_sel.bin";

fn tool() -> Tool {
    netops_testkit::tool!("ipmi-sel")
}

#[test]
fn usage_errors_and_conflicting_options_exit_3() {
    let t = tool();
    t.assert_usage_error(&[]); // no subcommand
    t.assert_usage_error(&["decode"]); // no INPUT
    t.assert_usage_error(&["decode", "--bogus", HEX]);
    t.assert_usage_error(&["decode", "--format", "xml", HEX]);
    t.assert_usage_error(&["colect"]);
    let fetch = ["fetch", "--url", "https://127.0.0.1:9", "--user", "u"];
    // Two password sources, two trust settings, --host without --inventory.
    t.assert_usage_error(
        &[
            &fetch[..],
            &["--password-env", "P", "--password-file", "/p"][..],
        ]
        .concat(),
    );
    t.assert_usage_error(
        &[
            &fetch[..],
            &[
                "--password-env",
                "P",
                "--pinned-cert",
                "/c.pem",
                "--insecure",
            ][..],
        ]
        .concat(),
    );
    t.assert_usage_error(&[&fetch[..], &["--password-env", "P", "--host", "bmc0"][..]].concat());
}

#[test]
fn version_names_the_tool() {
    tool().assert_version();
}

#[test]
fn completions_and_man_page() {
    let t = tool();
    t.assert_generate();
    // Subcommands are in the completions.
    let bash = t.run_expect(&["--generate", "completion-bash"], 0);
    for sub in ["decode", "fetch", "watch", "check", "serve"] {
        assert!(bash.contains(sub), "{sub}");
    }
}

#[test]
fn every_format_is_accepted_and_headers_are_snake_case() {
    let t = tool();
    for input in [HEX, SEL_BIN] {
        assert_snake_case_table(&t.run_expect(&["decode", "--format", "table", input], 0));
        assert_snake_case_csv(&t.run_expect(&["decode", "--format", "csv", input], 0));
        let jsonl = t.run_expect(&["decode", "--format", "jsonl", input], 0);
        assert_snake_case_jsonl_keys(&jsonl);
    }
    let csv = t.run_expect(&["decode", "--format", "csv", HEX], 0);
    assert!(
        csv.lines().next().unwrap().contains(",record_id,ts,"),
        "{csv}"
    );
    let table = t.run_expect(&["decode", HEX], 0);
    assert!(table.starts_with("file  record_id  ts"), "{table}");
    // The default is the table, also when piped.
    assert_eq!(
        table,
        t.run_expect(&["decode", "--format", "table", HEX], 0)
    );
}

#[test]
fn fail_on_is_exit_1() {
    tool().run_expect(&["decode", "--fail-on", "critical", HEX], 1);
}

#[test]
fn closed_pipe_is_quiet_and_keeps_the_status() {
    let t = tool();
    t.assert_closed_pipe_quiet(&["decode", SEL_BIN], 0);
    t.assert_closed_pipe_quiet(&["decode", "--format", "jsonl", SEL_BIN], 0);
    t.assert_closed_pipe_quiet(
        &["decode", "--format", "csv", "--fail-on", "critical", HEX],
        1,
    );
}
