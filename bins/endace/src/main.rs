//! `endace`: thin command-line front end over the `endace-cli` crate.
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use endace_cli::collect::{Collected, collect, load_tables, to_json, write_csvs};
use endace_cli::fleet::{HostResult, Progress, Status, results_table, run_all};
use endace_cli::inventory::Inventory;
use endace_cli::jobs::{HotfixOptions, JobOptions, hotfix, run_command};
use endace_cli::session::{HostKeyPolicy, Target};

const AFTER_HELP: &str = "\
Examples:
  endace -i fleet.toml run \"show version\"
  endace -i fleet.toml --limit dc1 collect --out capacity/
  endace -i fleet.toml hotfix --dry-run hotfix-7.2.1-p3.pkg
  endace -i fleet.toml hotfix --serial 5 --forks 5 hotfix-7.2.1-p3.pkg

Credentials come from the inventory by reference only (password_env, password_file
with mode 0600, key_file); never on the command line. Host keys are checked against
known_hosts (default ~/.ssh/known_hosts); --accept-new-host-keys adds unknown ones.

Exit codes:
  0  every host succeeded (or was skipped)
  2  at least one host failed (see the per-host table)
  3  usage, inventory or credential error";

/// Collect data from and roll hotfixes out to Endace probes over SSH.
#[derive(Parser)]
#[command(version, after_help = AFTER_HELP)]
struct Args {
    /// Inventory file (TOML).
    #[arg(short, long, env = "ENDACE_INVENTORY")]
    inventory: PathBuf,
    /// Only these hosts or groups (comma-separated).
    #[arg(short, long, default_value = "", global = true)]
    limit: String,
    /// Hosts worked on at once.
    #[arg(short, long, default_value_t = 10, global = true)]
    forks: usize,
    /// Connection retries (exponential back-off from 0.5 s).
    #[arg(long, default_value_t = 2, global = true)]
    retries: u32,
    /// Output format (the per-host results; `collect` writes CSV files unless json).
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    format: Format,
    /// Add keys of hosts missing from known_hosts (changed keys are still refused).
    #[arg(long, global = true)]
    accept_new_host_keys: bool,
    /// Override the per-command deadline, seconds.
    #[arg(long, global = true)]
    command_timeout: Option<f64>,
    /// Write per-host session transcripts (secrets redacted) into this directory.
    #[arg(long, global = true)]
    transcript_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Json,
    Jsonl,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one CLI command (enable mode) on every probe and print the output per host.
    Run {
        /// The command, e.g. "show version".
        command: String,
    },
    /// Upload, install and activate a package on every probe (see --help).
    Hotfix {
        /// The package file.
        file: PathBuf,
        /// Check reachability, login, free space and installed state only.
        #[arg(long)]
        dry_run: bool,
        /// Roll out in batches of N probes (the whole estate is never down at once).
        #[arg(long)]
        serial: Option<usize>,
        /// Name `show packages` lists (default: file name without .pkg).
        #[arg(long)]
        package_name: Option<String>,
        /// Read the upload back and compare SHA-256.
        #[arg(long)]
        verify_checksum: bool,
        /// Remote package directory.
        #[arg(long, default_value = "/endace/packages")]
        remote_dir: String,
        /// Seconds to wait for a probe to come back after reload.
        #[arg(long, default_value_t = 900.0)]
        reboot_deadline: f64,
        /// SFTP writes in flight.
        #[arg(long, default_value_t = 32)]
        in_flight: usize,
    },
    /// Gather capacity figures (show files system, show erfstream rotation-file) as CSV/JSON.
    Collect {
        /// Directory with replacement templates (files_system.textfsm, rotation_file.textfsm).
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Write one CSV per table here (default: current directory).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("endace: {msg}");
    std::process::exit(3);
}

fn progress_sink() -> Progress {
    if std::io::stderr().is_terminal() {
        let mp = indicatif::MultiProgress::new();
        let bars: Arc<std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>> =
            Arc::default();
        Arc::new(move |host: &str, step: &str| {
            if let Ok(mut b) = bars.lock() {
                let bar = b.entry(host.to_string()).or_insert_with(|| {
                    let pb = mp.add(indicatif::ProgressBar::new_spinner());
                    pb.enable_steady_tick(Duration::from_millis(200));
                    pb
                });
                bar.set_message(format!("{host}: {step}"));
            }
        })
    } else {
        let start = std::time::Instant::now();
        Arc::new(move |host: &str, step: &str| {
            eprintln!("[{:7.2}s] {host}: {step}", start.elapsed().as_secs_f64())
        })
    }
}

fn print_results<T: serde::Serialize>(results: &[HostResult<T>], format: Format) {
    match format {
        Format::Table => print!("{}", results_table(results)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(results).unwrap_or_default()
        ),
        Format::Jsonl => {
            for r in results {
                println!("{}", serde_json::to_string(r).unwrap_or_default());
            }
        }
        Format::Csv => {
            println!("host,status,seconds,message");
            for r in results {
                println!(
                    "{},{},{:.1},\"{}\"",
                    r.host,
                    r.status,
                    r.seconds,
                    r.message.replace('"', "\"\"")
                );
            }
        }
    }
}

fn exit_for<T>(results: &[HostResult<T>]) -> ! {
    std::process::exit(if results.iter().any(|r| r.status == Status::Failed) {
        2
    } else {
        0
    })
}

fn main() {
    let args = Args::parse();
    let inv = Inventory::load(&args.inventory).unwrap_or_else(|e| fail(e));
    let hosts = inv.select(&args.limit).unwrap_or_else(|e| fail(e));
    let mut targets: Vec<Target> = Vec::new();
    for h in &hosts {
        let mut t = inv.target(h).unwrap_or_else(|e| fail(e));
        if args.accept_new_host_keys {
            t.host_key_policy = HostKeyPolicy::AcceptNew;
        }
        if let Some(ct) = args.command_timeout.filter(|x| *x > 0.0) {
            t.command_timeout = Duration::from_secs_f64(ct);
        }
        targets.push(t);
    }
    let jo = JobOptions {
        retries: args.retries,
        backoff: Duration::from_millis(500),
        transcript_dir: args.transcript_dir.clone(),
    };
    let rt = tokio::runtime::Runtime::new()
        .unwrap_or_else(|e| fail(format!("cannot start the async runtime: {e}")));
    let forks = args.forks.max(1);
    match args.cmd {
        Cmd::Run { command } => {
            let results = rt.block_on(run_all(targets, forks, move |t| {
                run_command(t, jo.clone(), command.clone())
            }));
            if args.format == Format::Table {
                for r in &results {
                    println!("=== {} ({}) ===", r.host, r.status);
                    match &r.data {
                        Some(out) => print!("{out}"),
                        None => println!("{}", r.message),
                    }
                }
                println!();
            }
            if args.format == Format::Csv {
                // One row per host with the whole output in the last column.
                let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                println!("host,status,seconds,message,output");
                for r in &results {
                    println!(
                        "{},{},{:.1},{},{}",
                        r.host,
                        r.status,
                        r.seconds,
                        q(&r.message),
                        q(r.data.as_deref().unwrap_or(""))
                    );
                }
            } else {
                print_results(&results, args.format);
            }
            exit_for(&results);
        }
        Cmd::Hotfix {
            file,
            dry_run,
            serial,
            package_name,
            verify_checksum,
            remote_dir,
            reboot_deadline,
            in_flight,
        } => {
            if !file.is_file() {
                fail(format!("{}: no such package file", file.display()));
            }
            let mut h = HotfixOptions::new(&file);
            h.dry_run = dry_run;
            h.verify_checksum = verify_checksum;
            h.remote_dir = remote_dir;
            h.in_flight = in_flight.max(1);
            h.up_deadline = Duration::from_secs_f64(reboot_deadline.max(1.0));
            if let Some(n) = package_name {
                h.package_name = n;
            }
            let progress = progress_sink();
            let batch = serial.unwrap_or(targets.len()).max(1);
            let mut results = Vec::new();
            for (i, chunk) in targets.chunks(batch).enumerate() {
                if serial.is_some() {
                    eprintln!("endace: batch {} ({} probes)", i + 1, chunk.len());
                }
                let (jo, h, progress) = (jo.clone(), h.clone(), progress.clone());
                results.extend(rt.block_on(run_all(chunk.to_vec(), forks, move |t| {
                    hotfix(t, jo.clone(), h.clone(), progress.clone())
                })));
            }
            print_results(&results, args.format);
            exit_for(&results);
        }
        Cmd::Collect { templates, out } => {
            let tables = Arc::new(load_tables(templates.as_deref()).unwrap_or_else(|e| fail(e)));
            let tb = tables.clone();
            let results = rt.block_on(run_all(targets, forks, move |t| {
                collect(t, jo.clone(), tb.clone())
            }));
            let per_host: Vec<(String, Collected)> = results
                .iter()
                .filter_map(|r| Some((r.host.clone(), r.data.clone()?)))
                .collect();
            if args.format == Format::Json {
                let summary: Vec<HostResult<()>> = results
                    .iter()
                    .map(|r| HostResult {
                        host: r.host.clone(),
                        status: r.status,
                        message: r.message.clone(),
                        seconds: r.seconds,
                        data: None,
                    })
                    .collect();
                let v = serde_json::json!({ "tables": to_json(&tables, &per_host), "results": summary });
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                match write_csvs(&out, &tables, &per_host) {
                    Ok(paths) => {
                        for p in paths {
                            eprintln!("endace: wrote {}", p.display());
                        }
                    }
                    Err(e) => fail(format!("{}: cannot write CSV: {e}", out.display())),
                }
                print_results(&results, args.format);
            }
            exit_for(&results);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fleet options work after the sub-command too, as the examples in
    /// `--help` and the README write them.
    #[test]
    fn fleet_options_are_accepted_after_the_subcommand() {
        let args = Args::try_parse_from([
            "endace",
            "-i",
            "fleet.toml",
            "hotfix",
            "--serial",
            "5",
            "--forks",
            "7",
            "--format",
            "json",
            "--limit",
            "dc1",
            "fix.pkg",
        ])
        .unwrap();
        assert_eq!(args.forks, 7);
        assert_eq!(args.limit, "dc1");
        assert!(matches!(args.format, Format::Json));
        let args = Args::try_parse_from([
            "endace",
            "--forks",
            "3",
            "-i",
            "f.toml",
            "run",
            "show version",
        ])
        .unwrap();
        assert_eq!(args.forks, 3);
    }
}
