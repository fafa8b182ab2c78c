//! The cost of the output alone: `records_floor TEMPLATE INPUT [REPS]` runs
//! the template once, then times deep-copying and dropping the records it
//! returned (one `String` per non-empty value, one `Vec` per row, as the
//! `Record`/`Value` API holds them). No engine that returns this API can
//! parse the input faster than this with the same allocator.
use std::time::{Duration, Instant};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 3 {
        eprintln!("usage: records_floor TEMPLATE INPUT [REPS]");
        std::process::exit(3);
    }
    let t = fsm_parse::Template::parse(&std::fs::read_to_string(&a[1]).expect("template"))
        .expect("compiles");
    let text = std::fs::read_to_string(&a[2]).expect("input");
    let reps: u32 = a.get(3).and_then(|r| r.parse().ok()).unwrap_or(5);
    let rows = t.run(&text).expect("parses");
    let strings: usize = rows
        .iter()
        .flat_map(|r| r.values())
        .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        .count();
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let t0 = Instant::now();
        drop(std::hint::black_box(rows.clone()));
        best = best.min(t0.elapsed());
    }
    println!(
        "{} rows, {strings} non-empty strings: allocate + free {best:?} (best of {reps})",
        rows.len()
    );
}
