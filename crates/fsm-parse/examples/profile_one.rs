//! Times one template on one input:
//! `profile_one TEMPLATE INPUT [REPS] [run|each]`.
//!
//! `run` (the default) times [`Template::run`] (rows as owned `Record`s);
//! `each` times [`Template::run_each`] with a callback that only counts the
//! rows and the bytes of their values (what writing them out reads).
//!
//! [`Template::run`]: fsm_parse::Template::run
//! [`Template::run_each`]: fsm_parse::Template::run_each
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 3 {
        eprintln!("usage: profile_one TEMPLATE INPUT [REPS] [run|each]");
        std::process::exit(3);
    }
    let t = fsm_parse::Template::parse(&std::fs::read_to_string(&a[1]).expect("template"))
        .expect("compiles");
    let text = std::fs::read_to_string(&a[2]).expect("input");
    let reps: u32 = a.get(3).and_then(|r| r.parse().ok()).unwrap_or(1000);
    let each = match a.get(4).map(String::as_str) {
        None | Some("run") => false,
        Some("each") => true,
        Some(other) => {
            eprintln!("profile_one: mode {other:?}: give run or each");
            std::process::exit(3);
        }
    };
    let t0 = Instant::now();
    let (mut n, mut bytes) = (0, 0);
    for _ in 0..reps {
        if each {
            let _ = t.run_each(&text, |row| {
                n += 1;
                bytes += row
                    .values()
                    .map(|v| v.as_str().map_or(0, str::len))
                    .sum::<usize>();
            });
        } else {
            n += t.run(&text).map(|r| r.len()).unwrap_or(0);
        }
    }
    let bytes_note = if each {
        format!(", {} value bytes", bytes / reps as usize)
    } else {
        String::new()
    };
    println!(
        "{:?} per run, {} rows{bytes_note}",
        t0.elapsed() / reps,
        n / reps as usize
    );
}
