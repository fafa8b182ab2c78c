//! The shipped templates on the simulator's output: checked against a plain
//! line-splitting reading of the same text, and against Python TextFSM.

use endace_cli::collect::{load_tables, parse_rows};
use endace_probe_sim::{ProbeState, show_files_system, show_rotation_files};

/// Independent reading: `Key:   value` lines grouped by block headers.
fn split_blocks(text: &str, header: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(header) {
            out.push(vec![rest.trim().trim_end_matches(':').to_string()]);
        } else if let Some(cur) = out.last_mut() {
            let l = line.trim();
            if l.is_empty() {
                continue;
            }
            // value = text after the label: after ':' or the last whitespace run
            let v = match l.split_once(':') {
                Some((_, v)) if header.starts_with("Rotation") => {
                    v.trim().trim_end_matches(" GB").to_string()
                }
                _ => l.rsplit(' ').next().unwrap_or("").to_string(),
            };
            cur.push(v);
        }
    }
    out
}

fn states(dir: &std::path::Path) -> Vec<ProbeState> {
    (1..=6)
        .map(|i| ProbeState::create(dir.join(format!("p{i}")), &format!("probe-{i:02}")).unwrap())
        .collect()
}

#[test]
fn templates_match_a_plain_reading_of_the_simulator_output() {
    let d = tempfile::tempdir().unwrap();
    let t = load_tables(None).unwrap();
    let mut multi = false;
    for st in states(d.path()) {
        let fs = show_files_system(&st);
        assert_eq!(
            parse_rows(&t[0], &fs).unwrap(),
            split_blocks(&fs, "Filesystem "),
            "{fs}"
        );
        let rf = show_rotation_files(&st);
        let rows = parse_rows(&t[1], &rf).unwrap();
        multi |= rows.len() > 1;
        assert_eq!(rows, split_blocks(&rf, "Rotation file: "), "{rf}");
        assert!(
            rows.iter()
                .all(|r| r.len() == 8 && r.iter().all(|v| !v.is_empty()))
        );
    }
    assert!(
        multi,
        "at least one probe should have several rotation files"
    );
}

#[test]
fn templates_agree_with_python_textfsm() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import textfsm"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!(
                "NETOPS_REQUIRE_PEERS=1 but python3 textfsm is missing (pip install textfsm==2.1.0)"
            );
        }
        eprintln!("skipping: python3 textfsm not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let tables = load_tables(None).unwrap();
    let notes = "probe-01 # show files system\n...\n    Bytes Total      3985.21\n    Bytes Used       3850.10\n    Bytes Usable     3900.00\n    Bytes Free       135.11\n";
    for (i, tb) in tables.iter().enumerate() {
        let tpl = d.path().join(tb.def.file);
        std::fs::write(&tpl, tb.def.shipped).unwrap();
        let mut inputs: Vec<String> = states(d.path())
            .iter()
            .map(|s| {
                if i == 0 {
                    show_files_system(s)
                } else {
                    show_rotation_files(s)
                }
            })
            .collect();
        if i == 0 {
            inputs.push(notes.to_string());
        }
        for (k, input) in inputs.iter().enumerate() {
            let inp = d.path().join(format!("in-{i}-{k}.txt"));
            std::fs::write(&inp, input).unwrap();
            let out = std::process::Command::new("python3")
                .args(["-c", "import json,sys,textfsm\nt=textfsm.TextFSM(open(sys.argv[1]))\nprint(json.dumps(t.ParseText(open(sys.argv[2]).read())))"])
                .arg(&tpl)
                .arg(&inp)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let py: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                parse_rows(tb, input).unwrap(),
                py,
                "{} on input {k}",
                tb.def.file
            );
            assert!(!py.is_empty());
        }
    }
}
