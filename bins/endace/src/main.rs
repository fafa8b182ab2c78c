//! `endace`: thin command-line front end over the `version` crate.
use clap::Parser;

/// endace (under construction).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() {
    let _ = Args::parse();
    eprintln!("endace: not built yet");
    std::process::exit(2);
}
