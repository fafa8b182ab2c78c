//! fsm-parse whole-corpus throughput: every recorded case of
//! `testdata/ntc` (368 raw files, seven platforms) parsed through the index,
//! the way ntc-templates' `parse_output` does it with Python clitable.
//!
//! - `index_cold`: load the index and compile templates inside the timed
//!   loop (Python's `CliTable.ParseCmd` re-reads each template every call);
//! - `index_warm`: one loaded index, templates compiled once;
//! - `parse_only`: templates resolved beforehand, only `run`.
//!
//! Python side, same files: `python3 crates/fsm-parse/scripts/bench_textfsm.py corpus testdata/ntc`.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fsm_parse::{Index, Template};

struct Case {
    platform: String,
    command: String,
    text: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/ntc")
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let tests = corpus().join("tests");
    let mut platforms: Vec<_> = std::fs::read_dir(&tests)
        .expect("tests")
        .flatten()
        .map(|e| e.path())
        .collect();
    platforms.sort();
    for p in platforms {
        let mut cmds: Vec<_> = std::fs::read_dir(&p)
            .expect("platform")
            .flatten()
            .map(|e| e.path())
            .collect();
        cmds.sort();
        for c in cmds {
            let mut files: Vec<_> = std::fs::read_dir(&c)
                .expect("command")
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            for f in files
                .into_iter()
                .filter(|f| f.extension().is_some_and(|e| e == "raw"))
            {
                out.push(Case {
                    platform: p
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    command: c
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .replace('_', " "),
                    text: String::from_utf8_lossy(&std::fs::read(&f).expect("raw")).into_owned(),
                });
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let cases = cases();
    assert_eq!(cases.len(), 368);
    let bytes: usize = cases.iter().map(|c| c.text.len()).sum();
    let templates = corpus().join("templates");
    let idx = Index::load(&templates).expect("index");
    let resolved: Vec<(Vec<Arc<Template>>, &str)> = cases
        .iter()
        .map(|c| {
            let row = idx.find(&c.platform, &c.command).expect("index row");
            let ts = row
                .templates
                .split(':')
                .map(|n| idx.template(n).expect("template"))
                .collect();
            (ts, c.text.as_str())
        })
        .collect();

    let mut g = c.benchmark_group("fsm_corpus");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    // Every case through the index, as ntc-templates runs them: rows out.
    let through = |idx: &Index| -> usize {
        cases
            .iter()
            .map(|c| {
                idx.parse(&c.platform, &c.command, &c.text)
                    .expect("parses")
                    .len()
            })
            .sum()
    };
    g.bench_function("index_cold_368_cases", |b| {
        b.iter(|| through(&Index::load(&templates).expect("index")))
    });
    g.bench_function("index_warm_368_cases", |b| b.iter(|| through(&idx)));
    g.bench_function("parse_only_368_cases", |b| {
        b.iter(|| {
            resolved
                .iter()
                .map(|(ts, text)| {
                    ts.iter()
                        .map(|t| t.run(text).expect("parses").len())
                        .sum::<usize>()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
