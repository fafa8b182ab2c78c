//! `fsm-parse`: thin command-line front end over the `version` crate.
use clap::Parser;

/// fsm-parse (under construction).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() {
    let _ = Args::parse();
    eprintln!("fsm-parse: not built yet");
    std::process::exit(2);
}
