//! `capture-sql scheduler`, `capture-sql executor` and the `--cluster`
//! client session: argument parsing and printing around
//! [`capture_sql::cluster`].

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use capture_sql::cluster::{self, ExecutorOptions, SchedulerOptions};
use clap::Parser;

/// `capture-sql scheduler`: plans queries and hands their tasks to the
/// executors. It reads the captures to plan (same paths as the executors).
#[derive(Parser, Debug)]
#[command(name = "capture-sql scheduler")]
pub struct SchedulerArgs {
    /// Address for gRPC and /readyz (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:50050")]
    bind: SocketAddr,
    /// Seconds without a heartbeat after which an executor is lost and its
    /// tasks run elsewhere.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    executor_timeout: u64,
}

/// `capture-sql executor`: runs the tasks the scheduler pushes, scanning
/// the captures (which must be readable here under the same paths).
#[derive(Parser, Debug)]
#[command(name = "capture-sql executor")]
pub struct ExecutorArgs {
    /// The scheduler, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:50050")]
    scheduler: String,
    /// Address for Arrow Flight, which serves this executor's shuffle data
    /// (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:50051")]
    bind: SocketAddr,
    /// Port of the task gRPC service (default: any free port).
    #[arg(long)]
    grpc_port: Option<u16>,
    /// Tasks run at once (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    concurrency: usize,
    /// Directory for shuffle files (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Seconds between heartbeats to the scheduler.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    heartbeat: u64,
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("capture-sql: cannot start the async runtime: {e}");
            ExitCode::from(netops_cli::exit::USAGE)
        })
}

/// Runs `capture-sql scheduler ARGS` (`args` without the program name).
pub fn scheduler(args: &[String]) -> ExitCode {
    // Usage errors exit 3, as for every tool (docs/CLI-CONTRACT.md).
    let args: SchedulerArgs = match netops_cli::try_parse_from(
        std::iter::once("capture-sql scheduler".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(a) => a,
        Err(code) => return ExitCode::from(code),
    };
    cluster::init_logging();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mut options = SchedulerOptions::new(args.bind);
    options.executor_timeout = Duration::from_secs(args.executor_timeout);
    let result = rt.block_on(cluster::run_scheduler(options, |addr| {
        println!("capture-sql scheduler listening on {addr}");
        let _ = std::io::stdout().flush();
    }));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("capture-sql: {e}");
            ExitCode::from(netops_cli::exit::USAGE)
        }
    }
}

/// Runs `capture-sql executor ARGS` (`args` without the program name).
pub fn executor(args: &[String]) -> ExitCode {
    // Usage errors exit 3, as for every tool (docs/CLI-CONTRACT.md).
    let args: ExecutorArgs = match netops_cli::try_parse_from(
        std::iter::once("capture-sql executor".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(a) => a,
        Err(code) => return ExitCode::from(code),
    };
    cluster::init_logging();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mut options = ExecutorOptions::new(args.scheduler, args.bind);
    options.grpc_port = args.grpc_port;
    options.concurrency = args.concurrency;
    options.work_dir = args.work_dir;
    options.heartbeat = Duration::from_secs(args.heartbeat.max(1));
    let scheduler = options.scheduler.clone();
    let result = rt.block_on(cluster::run_executor(options, |a| {
        println!(
            "capture-sql executor flight {} grpc {} work dir {} scheduler {scheduler}",
            a.flight,
            a.grpc,
            a.work_dir.display()
        );
        let _ = std::io::stdout().flush();
    }));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("capture-sql: {e}");
            ExitCode::from(netops_cli::exit::USAGE)
        }
    }
}
