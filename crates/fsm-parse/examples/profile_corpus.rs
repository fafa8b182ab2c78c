//! Times each recorded case of testdata/ntc (parse only), slowest first.
use std::path::Path;
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc");
    let idx = fsm_parse::Index::load(root.join("templates")).expect("index");
    let mut times = Vec::new();
    for p in std::fs::read_dir(root.join("tests"))
        .expect("tests")
        .flatten()
    {
        for c in std::fs::read_dir(p.path()).expect("platform").flatten() {
            for f in std::fs::read_dir(c.path()).expect("cmd").flatten() {
                if f.path().extension().is_none_or(|e| e != "raw") {
                    continue;
                }
                let text = std::fs::read_to_string(f.path()).expect("raw");
                let platform = p.file_name().to_string_lossy().into_owned();
                let command = c.file_name().to_string_lossy().replace('_', " ");
                let row = idx.find(&platform, &command).expect("row");
                let ts: Vec<_> = row
                    .templates
                    .split(':')
                    .map(|n| idx.template(n).expect("t"))
                    .collect();
                let mut best = std::time::Duration::MAX;
                for _ in 0..reps() {
                    let t0 = Instant::now();
                    for t in &ts {
                        let _ = t.run(&text);
                    }
                    best = best.min(t0.elapsed());
                }
                times.push((
                    best,
                    text.len(),
                    format!("{} {}", f.path().display(), row.templates),
                ));
            }
        }
    }
    times.sort();
    let total: std::time::Duration = times.iter().map(|t| t.0).sum();
    println!("total {total:?}");
    if std::env::var_os("ALL").is_some() {
        for t in &times {
            println!("{} {}", t.0.as_nanos(), t.2);
        }
        return;
    }
    for t in times.iter().rev().take(12) {
        println!("{:?} {} {}", t.0, t.1, t.2);
    }
}

fn reps() -> u32 {
    std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}
