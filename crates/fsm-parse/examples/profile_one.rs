//! Times one template on one input: `profile_one TEMPLATE INPUT [REPS]`.
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t = fsm_parse::Template::parse(&std::fs::read_to_string(&a[1]).expect("template"))
        .expect("compiles");
    let text = std::fs::read_to_string(&a[2]).expect("input");
    let reps: u32 = a.get(3).and_then(|r| r.parse().ok()).unwrap_or(1000);
    let t0 = Instant::now();
    let mut n = 0;
    for _ in 0..reps {
        n += t.run(&text).map(|r| r.len()).unwrap_or(0);
    }
    println!(
        "{:?} per run, {} rows",
        t0.elapsed() / reps,
        n / reps as usize
    );
}
