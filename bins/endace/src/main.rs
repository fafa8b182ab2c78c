//! `endace`: thin command-line front end over the `endace-cli` crate.
mod args;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use args::{Args, Cmd, Format};
use endace_cli::collect::{collect, load_tables, per_host, report_json, write_csvs};
use endace_cli::fleet::{
    BatchEvent, BatchOptions, HostResult, Progress, exit_code, results_table, run_all, run_batches,
};
use endace_cli::inventory::{Inventory, Overrides};
use endace_cli::jobs::{HotfixOptions, JobOptions, hotfix, run_command, run_output_text};
use netops_cli::{Column, Value, Writer, exit, warn, write_stdout};

fn fail(msg: impl std::fmt::Display) -> ! {
    warn(msg);
    std::process::exit(exit::USAGE.into());
}

/// Per-host steps on stderr: spinners on a terminal (netops-cli's policy),
/// else timestamped lines.
fn progress_sink() -> Progress {
    if netops_cli::Progress::wanted(false) {
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

/// The per-host results as CSV, JSON Lines or JSON through the shared
/// writer; `output` adds the `endace run` output column (the same name in
/// every format).
fn results_rows<T>(
    results: &[HostResult<T>],
    format: netops_cli::Format,
    output: impl Fn(&HostResult<T>) -> Option<&str>,
) -> Vec<u8> {
    let mut cols = vec![
        Column::new("host"),
        Column::new("status"),
        Column::new("seconds").decimals(1),
        Column::new("message"),
    ];
    let with_output = results.first().is_some_and(|r| output(r).is_some());
    if with_output {
        cols.push(Column::new("output"));
    }
    let mut w = Writer::new(format, cols, Vec::new());
    for r in results {
        let mut row = vec![
            Value::from(r.host.as_str()),
            Value::from(status_name(r.status)),
            Value::from(r.seconds),
            Value::from(r.message.as_str()),
        ];
        if with_output {
            row.push(Value::from(output(r).unwrap_or("")));
        }
        w.row(&row);
    }
    w.into_inner().unwrap_or_default()
}

/// A host's status as CSV and JSON spell it (the table shows `FAILED` in
/// capitals, for people).
fn status_name(s: endace_cli::fleet::Status) -> &'static str {
    use endace_cli::fleet::Status;
    match s {
        Status::Ok => "ok",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
        Status::NotAttempted => "not_attempted",
    }
}

/// The per-host results in `format`; exit 2 if a host failed, else 0 (3
/// when stdout cannot be written).
fn finish<T: serde::Serialize>(
    results: &[HostResult<T>],
    format: Format,
    prefix: String,
) -> ExitCode {
    let mut text = prefix.into_bytes();
    match format {
        Format::Table => text.extend(results_table(results).into_bytes()),
        Format::Json => {
            text.extend(
                serde_json::to_string_pretty(results)
                    .unwrap_or_default()
                    .into_bytes(),
            );
            text.push(b'\n');
        }
        Format::Jsonl => {
            for r in results {
                text.extend(serde_json::to_string(r).unwrap_or_default().into_bytes());
                text.push(b'\n');
            }
        }
        Format::Csv => text.extend(results_rows(results, netops_cli::Format::Csv, |_| None)),
    }
    write_stdout(&text).exit_code(exit_code(results))
}

fn main() -> ExitCode {
    // Usage errors exit 3: clap's own 2 would read as "a host failed".
    let args: Args = netops_cli::parse();
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
                Format::Table => finish(&results, args.format, run_output_text(&results)),
                // One row per host with the whole output in the last column,
                // `output` in CSV and JSON alike.
                Format::Csv | Format::Json | Format::Jsonl => {
                    let f = match args.format {
                        Format::Csv => netops_cli::Format::Csv,
                        Format::Json => netops_cli::Format::Json,
                        _ => netops_cli::Format::Jsonl,
                    };
                    let rows = results_rows(&results, f, |r| Some(r.data.as_deref().unwrap_or("")));
                    write_stdout(&rows).exit_code(exit_code(&results))
                }
            }
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
                    warn(format_args!("batch {index} ({hosts} probes)"))
                }
                BatchEvent::Start { .. } => {}
                BatchEvent::Stopped {
                    index,
                    failed,
                    remaining,
                } => warn(format_args!(
                    "batch {index} failed ({}): stopping the rollout, {remaining} probe(s) not attempted; --continue-on-failure goes on after a failed batch",
                    failed.join(", ")
                )),
            };
            let results = rt.block_on(run_batches(targets, opts, on_event, move |t| {
                hotfix(t, jo.clone(), h.clone(), progress.clone())
            }));
            finish(&results, args.format, String::new())
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
                let text = format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
                return write_stdout(text.as_bytes()).exit_code(exit_code(&results));
            }
            match write_csvs(&dir, &tables, &per_host(&results)) {
                Ok(paths) => {
                    for p in paths {
                        warn(format_args!("wrote {}", p.display()));
                    }
                }
                Err(e) => fail(format!("{}: cannot write CSV: {e}", dir.display())),
            }
            finish(&results, args.format, String::new())
        }
    }
}
