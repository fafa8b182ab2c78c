//! `ipmi-sel`: thin command-line front end over the `version` crate.
use clap::Parser;

/// ipmi-sel (under construction).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() {
    let _ = Args::parse();
    eprintln!("ipmi-sel: not built yet");
    std::process::exit(2);
}
