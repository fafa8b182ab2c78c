//! Every recorded case of the ntc-templates sample in `testdata/ntc/`
//! (368 cases, seven platforms), run through the `index` and compared the
//! way the ntc-templates reference suite compares: same number of rows, each
//! row with the same (lowercased) keys, every value equal (strings, or lists
//! of strings for `List` values), in order. One test runs them all and
//! reports every mismatch.

mod common;

use common::{corpus, raw_files};
use fsm_parse::{Index, Value};

/// A row as the reference suite sees it: lowercased key -> string or list.
fn to_json(rows: &[fsm_parse::Record]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Str(s) => serde_json::Value::String(s.clone()),
                        Value::List(items) => serde_json::Value::Array(
                            items
                                .iter()
                                .map(|i| serde_json::Value::String(i.py_str()))
                                .collect(),
                        ),
                    };
                    (k.to_lowercase(), v)
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_recorded_case_matches_through_the_index() {
    let root = corpus();
    let idx = Index::load(root.join("templates")).expect("index loads");
    let mut raws = Vec::new();
    raw_files(&root.join("tests"), &mut raws);
    assert_eq!(raws.len(), 368, "the sample holds 368 cases");
    let mut failures = Vec::new();
    let mut rows_total = 0;
    for raw in &raws {
        let rel = raw.strip_prefix(root.join("tests")).expect("under tests");
        let mut parts = rel.iter().map(|s| s.to_string_lossy().into_owned());
        let platform = parts.next().expect("platform dir");
        let command = parts.next().expect("command dir").replace('_', " ");
        let yml = raw.with_extension("yml");
        let expected: serde_json::Value = match std::fs::read_to_string(&yml)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_norway::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: cannot read expected rows: {e}", yml.display()));
                continue;
            }
        };
        let expected = expected
            .get("parsed_sample")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        let input = match std::fs::read(raw) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                failures.push(format!("{}: {e}", raw.display()));
                continue;
            }
        };
        let got = match idx.parse(&platform, &command, &input) {
            Ok(rows) => to_json(&rows),
            Err(e) => {
                failures.push(format!("{}: {e}", rel.display()));
                continue;
            }
        };
        rows_total += got.len();
        if got.len() != expected.len() {
            failures.push(format!(
                "{}: {} rows, expected {}",
                rel.display(),
                got.len(),
                expected.len()
            ));
            continue;
        }
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            let g = serde_json::Value::Object(g.clone());
            if &g != e {
                failures.push(format!(
                    "{}: row {i} differs:\n   got      {g}\n   expected {e}",
                    rel.display()
                ));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        raws.len(),
        failures.join("\n")
    );
    assert!(
        rows_total > 1000,
        "the sample yields thousands of rows, got {rows_total}"
    );
}
