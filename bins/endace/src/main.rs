//! `endace`: thin command-line front end over the `endace-cli` crate.
mod args;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use args::{Args, Cmd, Format};
use clap::Parser;
use endace_cli::collect::{collect, load_tables, per_host, report_json, write_csvs};
use endace_cli::fleet::{
    BatchEvent, BatchOptions, HostResult, Progress, exit_code, results_csv, results_table, run_all,
    run_batches, run_results_csv,
};
use endace_cli::inventory::{Inventory, Overrides};
use endace_cli::jobs::{HotfixOptions, JobOptions, hotfix, run_command, run_output_text};

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("endace: {msg}");
    std::process::exit(3);
}

/// Write to stdout; a closed pipe ends the run quietly, any other write
/// error with a message and exit 3.
fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()).and_then(|()| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        fail(format!("cannot write the output: {e}"));
    }
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

/// The per-host results in `format`, then exit 2 if a host failed, else 0.
fn finish<T: serde::Serialize>(results: &[HostResult<T>], format: Format) -> ! {
    match format {
        Format::Table => out(&results_table(results)),
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(results).unwrap_or_default()
        )),
        Format::Jsonl => {
            let mut s = String::new();
            for r in results {
                s.push_str(&serde_json::to_string(r).unwrap_or_default());
                s.push('\n');
            }
            out(&s)
        }
        Format::Csv => out(&results_csv(results)),
    }
    std::process::exit(exit_code(results))
}

fn main() {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // Usage errors exit 3: clap's own 2 would read as "a host failed".
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let inv = Inventory::load(&args.inventory).unwrap_or_else(|e| fail(e));
    let overrides = Overrides {
        accept_new_host_keys: args.accept_new_host_keys,
        command_timeout: args
            .command_timeout
            .filter(|x| x.is_finite() && *x > 0.0)
            .map(Duration::from_secs_f64),
    };
    let targets = inv
        .targets(&args.limit, &overrides)
        .unwrap_or_else(|e| fail(e));
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
            match args.format {
                Format::Table => out(&run_output_text(&results)),
                // One row per host with the whole output in the last column.
                Format::Csv => {
                    out(&run_results_csv(&results));
                    std::process::exit(exit_code(&results));
                }
                Format::Json | Format::Jsonl => {}
            }
            finish(&results, args.format)
        }
        Cmd::Hotfix {
            file,
            dry_run,
            serial,
            continue_on_failure,
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
            let opts = BatchOptions {
                batch: serial,
                forks,
                continue_on_failure,
            };
            let on_event = |e: BatchEvent| match e {
                BatchEvent::Start { index, hosts } if serial.is_some() => {
                    eprintln!("endace: batch {index} ({hosts} probes)")
                }
                BatchEvent::Start { .. } => {}
                BatchEvent::Stopped {
                    index,
                    failed,
                    remaining,
                } => eprintln!(
                    "endace: batch {index} failed ({}): stopping the rollout, {remaining} probe(s) not attempted; --continue-on-failure goes on after a failed batch",
                    failed.join(", ")
                ),
            };
            let results = rt.block_on(run_batches(targets, opts, on_event, move |t| {
                hotfix(t, jo.clone(), h.clone(), progress.clone())
            }));
            finish(&results, args.format)
        }
        Cmd::Collect {
            templates,
            out: dir,
        } => {
            let tables = Arc::new(load_tables(templates.as_deref()).unwrap_or_else(|e| fail(e)));
            let tb = tables.clone();
            let results = rt.block_on(run_all(targets, forks, move |t| {
                collect(t, jo.clone(), tb.clone())
            }));
            if args.format == Format::Json {
                let v = report_json(&tables, &results);
                out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                ));
                std::process::exit(exit_code(&results));
            }
            match write_csvs(&dir, &tables, &per_host(&results)) {
                Ok(paths) => {
                    for p in paths {
                        eprintln!("endace: wrote {}", p.display());
                    }
                }
                Err(e) => fail(format!("{}: cannot write CSV: {e}", dir.display())),
            }
            finish(&results, args.format)
        }
    }
}
