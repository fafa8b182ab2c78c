//! `endace` keeps the CLI contract (docs/CLI-CONTRACT.md). The probes here
//! are a closed port on 127.0.0.1, so every host fails (exit 2) and the
//! per-host results are printed in every format.

use std::os::unix::fs::PermissionsExt;

use netops_testkit::contract::{
    Tool, assert_snake_case_csv, assert_snake_case_jsonl_keys, assert_snake_case_table,
};

fn tool() -> Tool {
    netops_testkit::tool!("endace")
}

/// An inventory of two probes on a port nobody listens on.
fn inventory(dir: &std::path::Path) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again when the listener drops
    let pw = dir.join("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let inv = dir.join("inventory.toml");
    std::fs::write(
        &inv,
        format!(
            "[defaults]\nuser = \"admin\"\npassword_file = \"{}\"\nknown_hosts = \"{}\"\nport = {port}\nconnect_timeout = 5.0\n\n\
             [hosts.probe-01]\naddress = \"127.0.0.1\"\n\n[hosts.probe-02]\naddress = \"127.0.0.1\"\n",
            pw.display(),
            dir.join("known_hosts").display()
        ),
    )
    .unwrap();
    inv.to_str().unwrap().to_owned()
}

#[test]
fn usage_and_configuration_errors_exit_3() {
    let t = tool();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    t.assert_usage_error(&["-i", &inv, "colect"]);
    t.assert_usage_error(&["-i", &inv, "--format", "xml", "run", "show version"]);
    // --continue-on-failure needs --serial.
    t.assert_usage_error(&[
        "-i",
        &inv,
        "hotfix",
        "--continue-on-failure",
        "/etc/hostname",
    ]);
    // An inventory that cannot be read is configuration, not a failed host.
    t.assert_usage_error(&["-i", "/nonexistent/inventory.toml", "run", "show version"]);
    t.assert_usage_error(&[
        "-i",
        &inv,
        "--limit",
        "no-such-probe",
        "run",
        "show version",
    ]);
}

netops_testkit::common_contract_tests!("endace");

#[test]
fn every_format_is_accepted_and_names_are_snake_case() {
    let t = tool();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let run = |format: &str| {
        t.run_expect(
            &[
                "-i",
                &inv,
                "--retries",
                "0",
                "--format",
                format,
                "run",
                "show version",
            ],
            2,
        )
    };
    let table = run("table");
    let header = table
        .lines()
        .find(|l| l.starts_with("host"))
        .unwrap_or_else(|| panic!("no results table: {table}"));
    assert_snake_case_table(header);
    let csv = run("csv");
    assert_snake_case_csv(&csv);
    assert!(
        csv.starts_with("host,status,seconds,message,output\n"),
        "{csv}"
    );
    // JSON says `output` where CSV does.
    let jsonl = run("jsonl");
    assert_snake_case_jsonl_keys(&jsonl);
    assert_eq!(jsonl.lines().count(), 2);
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r["status"], "failed");
        assert!(r.get("output").is_some() && r.get("data").is_none(), "{r}");
    }
}

#[test]
fn closed_pipe_is_quiet_and_keeps_the_status() {
    let t = tool();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    for format in ["table", "csv", "jsonl"] {
        t.assert_closed_pipe_quiet(
            &[
                "-i",
                &inv,
                "--retries",
                "0",
                "--format",
                format,
                "run",
                "show version",
            ],
            2,
        );
    }
}
