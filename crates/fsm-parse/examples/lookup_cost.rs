//! Times uncached index lookups: every platform/command pair of the
//! recorded corpus, on a freshly loaded index (so each `find` runs the
//! Platform and Command patterns of the index rows before its match).
use std::time::Instant;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc");
    let mut cmds = Vec::new();
    for p in std::fs::read_dir(root.join("tests"))
        .expect("tests")
        .flatten()
    {
        for c in std::fs::read_dir(p.path()).expect("platform").flatten() {
            cmds.push((
                p.file_name().to_string_lossy().into_owned(),
                c.file_name().to_string_lossy().replace('_', " "),
            ));
        }
    }
    for round in 0..3 {
        let idx = fsm_parse::Index::load(root.join("templates")).expect("index");
        let t0 = Instant::now();
        let found = cmds
            .iter()
            .filter(|(p, c)| idx.find(p, c).is_some())
            .count();
        println!(
            "round {round}: {} lookups ({found} found) in {:?}",
            cmds.len(),
            t0.elapsed()
        );
    }
}
