//! `xff-scan`: thin command-line front end over the `version` crate.
use clap::Parser;

/// xff-scan (under construction).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() {
    let _ = Args::parse();
    eprintln!("xff-scan: not built yet");
    std::process::exit(2);
}
