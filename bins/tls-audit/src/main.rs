//! `tls-audit`: thin command-line front end over the `version` crate.
use clap::Parser;

/// tls-audit (under construction).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() {
    let _ = Args::parse();
    eprintln!("tls-audit: not built yet");
    std::process::exit(2);
}
