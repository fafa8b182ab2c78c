//! End-to-end tests of the `fsm-parse` binary.
use std::path::Path;

use assert_cmd::Command;

const TEMPLATE: &str = "Value Filldown IF (\\S+)\nValue List IP (\\S+)\nValue MTU (\\d+)\n\nStart\n  ^interface ${IF}\n  ^ ip ${IP}\n  ^ mtu ${MTU} -> Record\n  ^bad -> Error \"unexpected\"\n";
const INPUT: &str =
    "interface e1\n ip 10.0.0.1\n ip 10.0.0.2\n mtu 1500\ninterface e2\n mtu 9000\n";

fn bin() -> Command {
    Command::cargo_bin("fsm-parse").expect("binary built")
}

fn files(dir: &Path) -> (String, String) {
    let t = dir.join("t.textfsm");
    let i = dir.join("in.txt");
    std::fs::write(&t, TEMPLATE).unwrap();
    std::fs::write(&i, INPUT).unwrap();
    (t.display().to_string(), i.display().to_string())
}

#[test]
fn json_output_is_array_of_objects() {
    let d = tempfile::tempdir().unwrap();
    let (t, i) = files(d.path());
    let out = bin().args([&t, &i, "--format", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Two records, then the implicit EOF record of the Filldown value.
    let expect = serde_json::json!([
        {"IF": "e1", "IP": ["10.0.0.1", "10.0.0.2"], "MTU": "1500"},
        {"IF": "e2", "IP": [], "MTU": "9000"},
        {"IF": "e2", "IP": [], "MTU": ""},
    ]);
    assert_eq!(v, expect);
}

#[test]
fn stdin_csv_and_table() {
    let d = tempfile::tempdir().unwrap();
    let (t, _) = files(d.path());
    let out = bin()
        .args([&t, "--format", "csv"])
        .write_stdin(INPUT)
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "IF,IP,MTU");
    assert_eq!(lines[1], "e1,\"['10.0.0.1', '10.0.0.2']\",1500");
    assert_eq!(lines.len(), 4);
    let out = bin().args([&t, "-"]).write_stdin(INPUT).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.lines().next().unwrap().starts_with("IF  IP"), "{s}");
    assert!(s.lines().nth(1).unwrap().starts_with("--"), "{s}");
}

#[test]
fn errors_name_file_and_line_and_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let (t, _) = files(d.path());
    let out = bin()
        .arg(&t)
        .write_stdin("interface e1\nbad\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("input line 2"), "{err}");
    assert!(err.contains("unexpected"), "{err}");

    let bad = d.path().join("bad.textfsm");
    std::fs::write(&bad, "Value A (x)\n\nStart\n  ^${B}\n").unwrap();
    let out = bin().arg(&bad).write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.textfsm") && err.contains("line 4"),
        "{err}"
    );

    let out = bin()
        .arg(d.path().join("missing.textfsm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.textfsm"));
}

#[test]
fn usage_errors_exit_3_and_help_has_examples() {
    let out = bin().args(["--format", "xml", "t"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = bin().arg("--platform").arg("x").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("Examples:") && s.contains("Exit codes:"));
}

#[test]
fn index_mode_uses_the_ntc_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc");
    let raw = dir.join("tests/arista_eos/show_version/arista_eos_show_version.raw");
    if !raw.exists() {
        panic!("corpus case missing: {}", raw.display());
    }
    let out = bin()
        .arg("--index")
        .arg(dir.join("templates"))
        .args([
            "--platform",
            "arista_eos",
            "--command",
            "sh ver",
            "--format",
            "json",
            "--lowercase-keys",
        ])
        .arg(&raw)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let yml = std::fs::read_to_string(raw.with_extension("yml")).unwrap();
    // The expected file quotes every value: compare the model line.
    let model = yml
        .lines()
        .find_map(|l| l.trim().strip_prefix("model: "))
        .map(|m| m.trim_matches('"').to_owned())
        .expect("model in yml");
    assert_eq!(v[0]["model"], serde_json::Value::String(model));

    let out = bin()
        .arg("--index")
        .arg(dir.join("templates"))
        .args(["--platform", "arista_eos", "--command", "no such command"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no template"));
}

/// A run that fails after recording rows prints nothing on stdout (the
/// rows are streamed into the output as they are recorded; the output is
/// written only once the run succeeded), as Python TextFSM returns no rows.
#[test]
fn a_failing_run_prints_no_rows() {
    let d = tempfile::tempdir().unwrap();
    let (t, _) = files(d.path());
    for format in ["csv", "json", "table"] {
        let out = bin()
            .args([&t, "--format", format])
            .write_stdin(format!("{INPUT}bad\n"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(out.stdout.is_empty(), "{format}: {:?}", out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("input line 7"), "{format}: {err}");
    }
}

/// A large input file (its held output goes to a buffer sized from the
/// file, on huge pages) gives the same bytes as the same text on standard
/// input (a buffer grown as it goes), and an Error on its last line still
/// leaves standard output empty.
#[test]
fn a_large_file_held_output_is_the_same_and_still_empty_on_error() {
    let d = tempfile::tempdir().unwrap();
    let (t, _) = files(d.path());
    let big = INPUT.repeat(3 << 20 >> 6);
    let i = d.path().join("big.txt");
    std::fs::write(&i, &big).unwrap();
    for format in ["json", "jsonl", "csv"] {
        let from_file = bin()
            .args([&t, i.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        assert!(from_file.status.success(), "{format}");
        let from_stdin = bin()
            .args([&t, "--format", format])
            .write_stdin(big.clone())
            .output()
            .unwrap();
        assert!(from_stdin.status.success(), "{format}");
        assert!(from_file.stdout.len() > big.len() / 2, "{format}");
        assert_eq!(from_file.stdout, from_stdin.stdout, "{format}");
    }
    std::fs::write(&i, format!("{big}bad\n")).unwrap();
    let out = bin()
        .args([&t, i.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// CSV and JSON written from the streamed rows are the records of
/// `Template::run`, serialised independently here: csv with the `csv`
/// crate's own writer from `Value`'s Display, JSON as objects compared
/// after parsing. Templates with Fillup (rows held back), List and
/// Filldown values, on recorded corpus inputs (the `arista_eos_dir`
/// case fills sizes up into earlier rows).
#[test]
fn streamed_csv_and_json_are_the_records_of_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc");
    let cases = [
        (
            "arista_eos_dir",
            "arista_eos/dir/arista_eos_dir_recur_all.raw",
        ),
        (
            "arista_eos_show_module",
            "arista_eos/show_module/arista_eos_show_module.template.raw",
        ),
        (
            "arista_eos_show_ip_route",
            "arista_eos/show_ip_route/arista_eos_show_ip_route.raw",
        ),
    ];
    for (name, raw) in cases {
        let tpath = dir.join("templates").join(format!("{name}.textfsm"));
        let raw = dir.join("tests").join(raw);
        let t = fsm_parse::Template::parse(&std::fs::read_to_string(&tpath).unwrap()).unwrap();
        let input = String::from_utf8_lossy(&std::fs::read(&raw).unwrap()).into_owned();
        let records = t.run(&input).unwrap();
        assert!(!records.is_empty(), "{name}: the case has rows");
        let has = |opt: &str| !t.values_with_option(opt).is_empty();
        assert!(has("Fillup") || has("List"), "{name}: a held or List case");

        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(t.value_names()).unwrap();
        for r in &records {
            w.write_record(r.values().iter().map(ToString::to_string))
                .unwrap();
        }
        let want_csv = w.into_inner().unwrap();
        let out = bin()
            .arg(&tpath)
            .arg(&raw)
            .args(["--format", "csv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&want_csv),
            "{name}: csv"
        );

        let out = bin()
            .arg(&tpath)
            .arg(&raw)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let want = serde_json::to_value(&records).unwrap();
        assert_eq!(got, want, "{name}: json");
    }
}

/// The shared write-error policy: a closed pipe is quiet and exit 0, a
/// full disk is one line and exit 3 (it was exit 2, which means "the
/// template or input failed").
#[test]
fn closed_pipe_is_quiet_and_full_disk_exits_3() {
    let d = tempfile::tempdir().unwrap();
    let (t, i) = files(d.path());
    let exe = assert_cmd::cargo::cargo_bin("fsm-parse");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(&exe)
        .args([&t, &i, "--format", "csv"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let out = std::process::Command::new(&exe)
        .args([&t, &i, "--format", "json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "fsm-parse: cannot write the output: No space left on device (os error 28)\n"
    );
}
