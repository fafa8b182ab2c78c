//! End-to-end tests of the `tls-audit` binary.

use std::io::Write;
use std::path::PathBuf;

use assert_cmd::Command;
use netops_testkit::tls::capture::testdata;

fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tls")
}

fn cmd() -> Command {
    Command::cargo_bin("tls-audit").unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn csv_has_every_connection() {
    let out = cmd()
        .args(["--format", "csv"])
        .arg(testdata_dir())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "file,frame,first_seen,client_ip,client_port,server_ip,server_port,transport,version,client_version,offered_versions,sni,alpn,cipher,ja4,ja4s,\
wrapped,cert_cn,cert_san,cert_issuer,cert_not_before,cert_not_after,cert_key_type,cert_key_bits,cert_signature,\
cert_self_signed,cert_chain_len,cert_expired,cert_weak_key,cert_weak_signature"
    );
    let expected: usize = testdata().iter().map(|f| f.expected.len()).sum();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), expected);
    // The refused SSL 3.0 client: no negotiated version, client SSL 3.0.
    assert!(
        rows.iter()
            .any(|r| r.contains(",10.1.0.21,50011,192.0.2.20,443,tcp,,SSL 3.0,SSL 3.0,")),
        "{text}"
    );
    // A TLS 1.3 client talking to a TLS 1.2-only server.
    assert!(
        rows.iter()
            .any(|r| r.contains(",TLS 1.2,TLS 1.3,TLS 1.3;TLS 1.2,shop.example.com,h2;http/1.1,")),
        "{text}"
    );
}

#[test]
fn jsonl_has_exactly_the_documented_fields() {
    let out = cmd()
        .args(["--format", "jsonl"])
        .arg(testdata_dir().join("vlan-ipv6.pcapng"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    let keys = [
        "file",
        "frame",
        "first_seen",
        "client_ip",
        "client_port",
        "server_ip",
        "server_port",
        "transport",
        "version",
        "client_version",
        "offered_versions",
        "sni",
        "alpn",
        "cipher",
        "ja4",
        "ja4s",
        "wrapped",
        "cert_cn",
        "cert_san",
        "cert_issuer",
        "cert_not_before",
        "cert_not_after",
        "cert_key_type",
        "cert_key_bits",
        "cert_signature",
        "cert_self_signed",
        "cert_chain_len",
        "cert_expired",
        "cert_weak_key",
        "cert_weak_signature",
    ];
    for r in &rows {
        let obj = r.as_object().unwrap();
        let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut want = keys.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }
    let ldap = rows.iter().find(|r| r["server_port"] == 636).unwrap();
    assert_eq!(ldap["version"], "TLS 1.0");
    assert_eq!(ldap["client_ip"], "10.2.0.12");
    assert_eq!(ldap["sni"], "ldap.example.com");
    let ssl3 = rows.iter().find(|r| r["version"] == "SSL 3.0").unwrap();
    assert_eq!(ssl3["sni"], serde_json::Value::Null);
    assert_eq!(ssl3["client_ip"], "2001:db8:1::13");
}

#[test]
fn max_version_and_fail_on() {
    let dir = testdata_dir();
    let out = cmd()
        .args(["--format", "jsonl", "--max-version", "tls1.1"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // As designed: every connection whose negotiated version (or, without
    // a ServerHello, highest offered one) is SSL 3.0 .. TLS 1.1.
    let weak = ["SSL 3.0", "TLS 1.0", "TLS 1.1"];
    let designed = testdata()
        .iter()
        .flat_map(|f| f.expected.clone())
        .filter(|e| weak.contains(&e.version.unwrap_or(e.client_version)))
        .count();
    assert!(designed >= 15, "{designed}");
    assert_eq!(rows.len(), designed, "{rows:#?}");
    for r in &rows {
        let v = r["version"]
            .as_str()
            .or(r["client_version"].as_str())
            .unwrap();
        assert!(["SSL 3.0", "TLS 1.0", "TLS 1.1"].contains(&v), "{r}");
    }
    let out = cmd()
        .args(["--fail-on", "tls1.1", "--format", "csv"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Nothing below SSL 3.0 here: exit 0.
    let out = cmd()
        .args(["--fail-on", "ssl2"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = cmd()
        .args(["--fail-on", "tls1.9"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown version"));
}

#[test]
fn summary_lists_weakest_versions_first() {
    let out = cmd()
        .args(["--summary", "--format", "csv"])
        .arg(testdata_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "version,client_version,client_ip,server_ip,server_port,transport,sni,connections,first_seen,last_seen,cert_cn,cert_not_after,cert_flags"
    );
    let rows: Vec<&str> = lines.collect();
    // Ranked by the negotiated version, else the highest one offered.
    let rank = |l: &str| {
        let mut f = l.split(',');
        let (v, offered) = (f.next().unwrap(), f.next().unwrap());
        let v = if v.is_empty() { offered } else { v };
        ["SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3", ""]
            .iter()
            .position(|x| *x == v)
            .unwrap()
    };
    assert!(
        rows.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "{rows:#?}"
    );
    // The client that offered only SSL 3.0 and got no answer comes with
    // the SSL 3.0 rows (after those that negotiated it), before the rest.
    let i = rows
        .iter()
        .position(|l| l.starts_with(",SSL 3.0,10.1.0.21,192.0.2.20,443,tcp,"))
        .expect("the unanswered SSL 3.0 client");
    assert!(i > 0, "{rows:#?}");
    assert!(
        rows[..i].iter().all(|l| l.starts_with("SSL 3.0,")),
        "{rows:#?}"
    );
    assert!(rows[i + 1..].iter().all(|l| rank(l) > 0), "{rows:#?}");
    // Unanswered modern clients sit with their version, not at the end.
    let unanswered_13 = rows
        .iter()
        .position(|l| l.starts_with(",TLS 1.3,"))
        .expect("an unanswered TLS 1.3 client");
    assert!(rows[unanswered_13 + 1..].iter().all(|l| rank(l) >= 4));
}

#[test]
fn quic_connections_are_rows_with_transport_quic() {
    let out = cmd()
        .args(["--format", "jsonl"])
        .arg(testdata_dir().join("quic.pcap"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want = testdata()
        .into_iter()
        .find(|f| f.name == "quic.pcap")
        .unwrap()
        .expected;
    assert_eq!(rows.len(), want.len());
    for r in &rows {
        assert_eq!(r["transport"], "quic", "{r}");
        assert_eq!(r["alpn"], serde_json::json!(["h3"]), "{r}");
        assert!(r["ja4"].as_str().unwrap().starts_with("q13d"), "{r}");
    }
    let split = rows
        .iter()
        .find(|r| r["sni"] == "split.quic.example")
        .unwrap();
    assert_eq!(split["version"], "TLS 1.3");
    assert_eq!(split["cipher"], "TLS_AES_128_GCM_SHA256");
    assert!(split["ja4s"].as_str().unwrap().starts_with("q130300_1301_"));
    let silent = rows
        .iter()
        .find(|r| r["sni"] == "silent.quic.example")
        .unwrap();
    assert_eq!(silent["version"], serde_json::Value::Null);
    assert_eq!(silent["ja4s"], serde_json::Value::Null);
    // TCP rows say tcp.
    let out = cmd()
        .args(["--format", "csv"])
        .arg(testdata_dir().join("handshakes.pcap"))
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.lines().skip(1).all(|l| l.contains(",tcp,")), "{text}");
}

#[test]
fn help_names_the_new_columns() {
    let out = cmd().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for word in [
        "transport",
        "quic",
        "ja4s",
        "frame",
        "--server",
        "--sni",
        "--since",
    ] {
        assert!(help.contains(word), "--help lacks {word}: {help}");
    }
}

#[test]
fn table_format_aligns_columns() {
    let out = cmd()
        .args(["--format", "table"])
        .arg(testdata_dir().join("handshakes.pcap"))
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("file") && lines[0].contains("client_version"));
    let col = lines[0].find("version ").unwrap();
    for l in &lines[1..] {
        // Every row has its version (or "-") in the same column.
        let cell = &l[col..col + 7];
        assert!(
            cell.starts_with("TLS") || cell.starts_with("SSL") || cell.starts_with('-'),
            "{l}"
        );
    }
}

#[test]
fn bad_files_are_named_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = testdata().remove(0);
    std::fs::write(dir.path().join("a-good.pcap"), &good.bytes).unwrap();
    // Cut inside a record: the rows before the cut are still reported.
    let cut = &good.bytes[..good.bytes.len() * 2 / 3];
    std::fs::write(dir.path().join("b-truncated.pcap"), cut).unwrap();
    std::fs::write(
        dir.path().join("c-garbage.pcap"),
        b"this is not a capture file at all",
    )
    .unwrap();
    let gz = flate2_gzip(&good.bytes);
    std::fs::File::create(dir.path().join("d-good.pcap.gz"))
        .unwrap()
        .write_all(&gz)
        .unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"ignored: not a capture name").unwrap();
    let out = cmd()
        .args(["--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("b-truncated.pcap") && err.contains("byte offset"),
        "{err}"
    );
    assert!(
        err.contains("c-garbage.pcap") && err.contains("not a capture file"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let per_file = |name: &str| {
        rows.iter()
            .filter(|r| r["file"].as_str().unwrap().ends_with(name))
            .count()
    };
    assert_eq!(per_file("a-good.pcap"), good.expected.len());
    assert_eq!(per_file("d-good.pcap.gz"), good.expected.len());
    let partial = per_file("b-truncated.pcap");
    assert!(partial > 0 && partial < good.expected.len(), "{partial}");
}

#[test]
fn missing_path_is_an_input_error() {
    let out = cmd().arg("/nonexistent/capture.pcap").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/capture.pcap"));
}

#[test]
fn help_documents_examples_and_exit_codes() {
    let out = cmd().arg("--help").output().unwrap();
    assert!(out.status.success());
    let h = stdout(&out);
    assert!(h.contains("Examples:") && h.contains("Exit status:") && h.contains("--fail-on"));
    for c in [
        "wrapped",
        "cert_cn",
        "cert_weak_signature",
        "cert_flags",
        "STARTTLS",
    ] {
        assert!(h.contains(c), "--help names {c}");
    }
}

fn flate2_gzip(data: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn fail_on_wins_over_a_failed_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.pcap"), &testdata().remove(0).bytes).unwrap();
    std::fs::write(dir.path().join("b.pcap"), b"garbage, not a capture").unwrap();
    let out = cmd()
        .args(["--fail-on", "tls1.0", "--format", "csv"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("b.pcap"));
}

/// `tls-audit ... | head -0`: the reader is gone before the first write.
#[test]
fn closed_pipe_is_quiet_and_exits_0() {
    for format in ["csv", "jsonl", "parquet"] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("tls-audit"))
            .args(["--format", format])
            .arg(testdata_dir())
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{format}");
    }
}

#[test]
fn parquet_to_a_closed_pipe_keeps_the_run_status() {
    // `tls-audit --format parquet dir | head -c 10` with a damaged file in
    // dir: the damaged file is named, the closed pipe is not, status 2.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.pcap"),
        b"this is not a capture file at all",
    )
    .unwrap();
    let good = testdata().remove(0);
    std::fs::write(dir.path().join("good.pcap"), &good.bytes).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("tls-audit"))
        .args(["--format", "parquet"])
        .arg(dir.path())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.pcap"), "{err}");
    assert!(!err.contains("cannot write"), "{err}");
}

#[test]
fn full_disk_is_one_line_and_exit_3() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    for format in ["table", "csv", "jsonl", "parquet"] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("tls-audit"))
            .args(["--format", format])
            .arg(testdata_dir())
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{format}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "tls-audit: cannot write the output: No space left on device (os error 28)\n",
            "{format}"
        );
    }
}

#[test]
fn certificate_and_wrapped_columns_in_jsonl_and_table() {
    let out = cmd()
        .args(["--format", "jsonl"])
        .arg(testdata_dir().join("wrapped.pcap"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 11);
    // SQL Server, TDS-wrapped TLS 1.0 with an expired, weak, self-signed certificate.
    let tds = rows
        .iter()
        .find(|r| r["server_port"] == 1433 && r["version"] == "TLS 1.0")
        .unwrap();
    assert_eq!(tds["wrapped"], "tds");
    assert_eq!(tds["cert_cn"], "legacy-sql.example.net");
    assert_eq!(
        tds["cert_san"],
        serde_json::json!(["legacy-sql.example.net", "sql01.example.net", "192.0.2.50"])
    );
    assert_eq!(tds["cert_not_after"], "2020-01-01T00:00:00Z");
    assert_eq!(tds["cert_key_type"], "RSA");
    assert_eq!(tds["cert_key_bits"], 1024);
    assert_eq!(tds["cert_signature"], "sha1WithRSAEncryption");
    assert_eq!(tds["cert_chain_len"], 1);
    for flag in [
        "cert_self_signed",
        "cert_expired",
        "cert_weak_key",
        "cert_weak_signature",
    ] {
        assert_eq!(tds[flag], true, "{flag}");
    }
    // Every prelude protocol on its port; TLS 1.3 rows have no certificate.
    for port in [587, 143, 110, 21, 389, 5222, 5432, 3306, 3389] {
        let r = rows.iter().find(|r| r["server_port"] == port).unwrap();
        assert_eq!(r["wrapped"], serde_json::Value::Null);
        if r["version"] == "TLS 1.3" {
            assert_eq!(r["cert_cn"], serde_json::Value::Null, "{r}");
            assert_eq!(r["cert_expired"], serde_json::Value::Null, "{r}");
        } else {
            assert!(r["cert_cn"].is_string(), "{r}");
        }
    }

    let out = cmd()
        .args(["--format", "table"])
        .arg(testdata_dir().join("certificates.pcap"))
        .output()
        .unwrap();
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    for c in ["cert_cn", "cert_not_after", "cert_flags"] {
        assert!(header.contains(c), "{header}");
    }
    assert!(
        !header.contains("cert_issuer"),
        "the table keeps only a few: {header}"
    );
    assert!(text.contains("db.example.com"), "{text}");
    assert!(text.contains("self_signed"), "{text}");

    let out = cmd()
        .args(["--summary", "--format", "csv"])
        .arg(testdata_dir().join("wrapped.pcap"))
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains(",legacy-sql.example.net,2020-01-01T00:00:00Z,\"expired,weak_key,weak_signature,self_signed\""),
        "{text}"
    );
}

/// The rows of `args` on the test captures, as JSON.
fn jsonl(args: &[&str]) -> Vec<serde_json::Value> {
    let out = cmd()
        .args(["--format", "jsonl"])
        .args(args)
        .arg(testdata_dir())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn filters_select_exactly_the_matching_rows() {
    let all = jsonl(&[]);
    let pick = |f: &dyn Fn(&serde_json::Value) -> bool| -> Vec<serde_json::Value> {
        all.iter().filter(|r| f(r)).cloned().collect()
    };
    let cases: Vec<(Vec<&str>, Vec<serde_json::Value>)> = vec![
        (
            vec!["--server", "192.0.2.0/25"],
            pick(&|r| {
                r["server_ip"].as_str().unwrap().starts_with("192.0.2.")
                    && r["server_ip"].as_str().unwrap()[8..].parse::<u8>().unwrap() < 128
            }),
        ),
        (
            vec!["--server", "2001:db8::/32", "--server", "192.0.2.20"],
            pick(&|r| {
                let s = r["server_ip"].as_str().unwrap();
                s.starts_with("2001:db8:") || s == "192.0.2.20"
            }),
        ),
        (
            vec!["--port", "636", "--port", "50011"],
            pick(&|r| {
                [636, 50011].contains(&r["server_port"].as_u64().unwrap())
                    || [636, 50011].contains(&r["client_port"].as_u64().unwrap())
            }),
        ),
        (
            vec!["--sni", "*.EXAMPLE.com"],
            pick(&|r| {
                r["sni"]
                    .as_str()
                    .is_some_and(|s| s.to_ascii_lowercase().ends_with(".example.com"))
            }),
        ),
        (
            // The pcapng is an hour after the others start; quic and
            // wrapped two hours.
            vec![
                "--since",
                "2026-11-02 10:00",
                "--until",
                "2026-11-02T11:00:00Z",
            ],
            pick(&|r| {
                r["first_seen"]
                    .as_str()
                    .unwrap()
                    .starts_with("2026-11-02T10:")
            }),
        ),
        (
            vec!["--port", "443", "--sni", "*", "--until", "2026-11-02 10:00"],
            pick(&|r| {
                (r["server_port"] == 443 || r["client_port"] == 443)
                    && r["sni"].is_string()
                    && r["first_seen"].as_str().unwrap() < "2026-11-02T10:00"
            }),
        ),
    ];
    for (args, want) in cases {
        assert!(!want.is_empty() && want.len() < all.len(), "{args:?}");
        assert_eq!(jsonl(&args), want, "{args:?}");
    }
    assert_eq!(
        jsonl(&["--since", "2026-11-02 10:00", "--until", "2026-11-02 11:00"]).len(),
        6
    );
}

#[test]
fn filters_apply_to_the_summary() {
    let out = cmd()
        .args(["--summary", "--format", "csv", "--sni", "shop.*"])
        .arg(testdata_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|l| l.contains(",shop.")), "{text}");
}

#[test]
fn bad_filter_values_are_one_line_and_exit_3() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["--since", "2026-11-03", "--until", "2026-11-02"],
            "is not before --until",
        ),
        (
            &["--since", "2026-11-02", "--until", "2026-11-02"],
            "the range [since, until) is empty",
        ),
        (
            &["--server", "10.0.0.0/33"],
            "prefix /33 is longer than the 32-bit address",
        ),
        (&["--server", "10.0.0"], "not an address or network"),
        (&["--since", "yesterday"], "not a time"),
        (&["--sni", ""], "empty SNI pattern"),
    ];
    for (args, msg) in cases {
        let out = cmd().args(args).arg(testdata_dir()).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(first.contains(msg), "{args:?}: {err}");
    }
    // The range check is ours: exactly one line.
    let out = cmd()
        .args(["--since", "2026-11-03", "--until", "2026-11-02"])
        .arg(testdata_dir())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[test]
fn frame_column_in_csv_and_jsonl_not_in_the_table() {
    let rows = jsonl(&[]);
    // Every row with a ClientHello has its frame; within a file the frames
    // differ.
    let mut seen = std::collections::BTreeSet::new();
    for r in &rows {
        match r["client_version"].as_str() {
            Some(_) => {
                let f = r["frame"].as_u64().unwrap_or_else(|| panic!("{r}"));
                assert!(f >= 1);
                assert!(seen.insert((r["file"].to_string(), f)), "{r}");
            }
            None => assert!(r["frame"].is_null(), "{r}"),
        }
    }
    // The refused SSL 3.0 client's ClientHello: frame 116 of
    // handshakes.pcap (`tshark -Y tls.handshake.type==1` agrees; the
    // library's tshark test checks every file).
    let ssl3 = rows
        .iter()
        .find(|r| r["client_port"] == 50011 && r["server_ip"] == "192.0.2.20")
        .unwrap();
    assert_eq!(ssl3["frame"], 116);
    let out = cmd()
        .args(["--format", "table"])
        .arg(testdata_dir().join("handshakes.pcap"))
        .output()
        .unwrap();
    let header = stdout(&out).lines().next().unwrap().to_owned();
    assert!(
        header.starts_with("file ") && !header.contains("frame"),
        "{header}"
    );
}
