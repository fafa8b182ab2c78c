//! `capture-sql` keeps the CLI contract (docs/CLI-CONTRACT.md).

use netops_testkit::contract::{
    Tool, assert_snake_case_csv, assert_snake_case_jsonl_keys, assert_snake_case_table,
};

fn tool() -> Tool {
    netops_testkit::tool!("capture-sql")
}

const TLS: &str = "testdata/tls";
const XFF: &str = "testdata/xff";

#[test]
fn usage_errors_exit_3() {
    let t = tool();
    t.assert_usage_error(&["--bogus", "SELECT 1", TLS]);
    t.assert_usage_error(&[]); // no SQL
    t.assert_usage_error(&["--format", "xml", "SELECT 1", TLS]);
    // A query that does not plan is the user's to fix: 3, not 1.
    t.assert_usage_error(&["SELEC version FROM tls", TLS]);
    t.assert_usage_error(&["SELECT nope FROM tls", TLS]);
}

netops_testkit::common_contract_tests!("capture-sql");

#[test]
fn every_format_is_accepted_and_every_table_s_columns_are_snake_case() {
    let t = tool();
    for (table, dir) in [("tls", TLS), ("http", XFF), ("flows", TLS)] {
        let sql = format!("SELECT * FROM {table} LIMIT 3");
        let csv = t.run_expect(&["--format", "csv", &sql, dir], 0);
        assert_snake_case_csv(&csv);
        let jsonl = t.run_expect(&["--format", "jsonl", &sql, dir], 0);
        assert_snake_case_jsonl_keys(&jsonl);
    }
    let sql = "SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY version";
    // The table is arrow's (`| version | n |`): its words are the columns.
    let table = t.run_expect(&["--format", "table", sql, TLS], 0);
    let header = table.lines().nth(1).unwrap_or_default().replace('|', " ");
    assert_snake_case_table(&header);
    let parquet = t.run(&["--format", "parquet", sql, TLS]);
    assert_eq!(parquet.status.code(), Some(0));
    assert!(parquet.stdout.starts_with(b"PAR1"));
    // The default is the table, also when piped.
    assert_eq!(t.run_expect(&[sql, TLS], 0), table);
}

#[test]
fn shared_columns_have_the_names_of_the_other_tools() {
    let t = tool();
    let http = t.run_expect(&["--format", "csv", "SELECT * FROM http LIMIT 1", XFF], 0);
    let header = http.lines().next().unwrap();
    assert!(
        header.starts_with(
            "file,frame,ts,client_ip,client_port,server_ip,server_port,method,http_host,"
        ),
        "{header}"
    );
    let flows = t.run_expect(&["--format", "csv", "SELECT * FROM flows LIMIT 1", TLS], 0);
    assert!(flows.starts_with("file,transport,client_ip,"), "{flows}");
}

#[test]
fn closed_pipe_is_quiet_and_keeps_the_status() {
    let t = tool();
    t.assert_closed_pipe_quiet(&["--format", "jsonl", "SELECT * FROM http", XFF], 0);
    t.assert_closed_pipe_quiet(&["--format", "csv", "SELECT * FROM tls", TLS], 0);
}
