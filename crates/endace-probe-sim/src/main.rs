//! `endace-probe-sim`: a simulated fleet of EndaceOS probes behind real OpenSSH sshd.
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use endace_probe_sim::{FleetOptions, SimFleet, serve_session};

/// Simulated EndaceOS probes for testing `endace` (needs root and openssh-server).
#[derive(Parser)]
#[command(
    version,
    after_help = "Examples:\n  \
  sudo endace-probe-sim fleet --dir /tmp/fleet --count 20\n  \
  endace --inventory /tmp/fleet/inventory.toml collect --out /tmp/capacity\n\n\
Exit codes: 0 stopped cleanly, 2 the fleet could not start, 3 usage error."
)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start COUNT probes (one sshd each on 127.0.0.1) and supervise reloads until Ctrl-C.
    Fleet {
        /// Fleet directory: probe state, keys, known_hosts, inventory.toml.
        #[arg(long)]
        dir: PathBuf,
        /// Number of probes.
        #[arg(long, default_value_t = 3)]
        count: usize,
        /// Seconds a probe stays down after `reload`.
        #[arg(long, default_value_t = 5.0)]
        reload_delay: f64,
    },
    /// Serve one SSH session for a probe (sshd's ForceCommand; not for humans).
    Serve {
        /// The probe state directory.
        #[arg(long)]
        state: PathBuf,
    },
}

fn main() {
    let args = Args::parse();
    match args.cmd {
        Cmd::Serve { state } => std::process::exit(serve_session(&state)),
        Cmd::Fleet {
            dir,
            count,
            reload_delay,
        } => {
            let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("endace-probe-sim"));
            let mut opts = FleetOptions::new(count, exe);
            opts.reload_delay = Duration::from_secs_f64(reload_delay.max(0.0));
            let fleet = match SimFleet::start(&dir, opts) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("endace-probe-sim: {}: {e}", dir.display());
                    std::process::exit(2);
                }
            };
            for (name, port, _) in fleet.probes() {
                println!("{name}\t127.0.0.1:{port}");
            }
            println!("inventory: {}", fleet.inventory_path().display());
            println!("running; press Ctrl-C to stop");
            // Park until killed; Drop of the fleet (on SIGINT the process dies
            // and the sshd children get SIGHUP/are killed below).
            wait_for_signal();
            drop(fleet);
        }
    }
}

fn wait_for_signal() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    if let Ok(rt) = rt {
        rt.block_on(async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { if let Some(t) = term.as_mut() { t.recv().await; } else { std::future::pending::<()>().await } } => {}
            }
        });
    }
}
