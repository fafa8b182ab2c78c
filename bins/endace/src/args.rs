//! Command-line arguments of `endace` (clap definitions and help text).
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub const AFTER_HELP: &str = "\
Examples:
  endace -i fleet.toml run \"show version\"
  endace -i fleet.toml --limit dc1 collect --out capacity/
  endace -i fleet.toml --limit 'probe-0*:!probe-03' run \"show packages\"
  endace -i fleet.toml hotfix --dry-run hotfix-7.2.1-p3.pkg
  endace -i fleet.toml hotfix --serial 5 --forks 5 hotfix-7.2.1-p3.pkg

Credentials come from the inventory by reference only (password_env, password_file
with mode 0600, key_file); never on the command line. Host keys are checked against
known_hosts (default ~/.ssh/known_hosts); --accept-new-host-keys adds unknown ones.

With --serial N the rollout goes batch by batch and stops after a batch with
a failed probe: the later probes are reported as not attempted (exit 2).
--continue-on-failure goes on with the next batch instead.

Exit codes:
  0  every host succeeded (or was skipped)
  2  at least one host failed (see the per-host table)
  3  usage, inventory or credential error, or the output cannot be written";

/// Collect data from and roll hotfixes out to Endace probes over SSH.
#[derive(Parser)]
#[command(name = "endace", version, after_help = AFTER_HELP)]
pub struct Args {
    /// Inventory file (TOML).
    #[arg(short, long, env = "ENDACE_INVENTORY")]
    pub inventory: PathBuf,
    /// Only these hosts or groups: Ansible patterns separated by `,` or `:`
    /// (`*`/`?` wildcards, `!P` excludes, `&P` intersects), e.g.
    /// 'probe-0*:!probe-03'.
    #[arg(short, long, default_value = "", global = true)]
    pub limit: String,
    /// Hosts worked on at once.
    #[arg(short, long, default_value_t = 10, global = true)]
    pub forks: usize,
    /// Connection retries (exponential back-off from 0.5 s).
    #[arg(long, default_value_t = 2, global = true)]
    pub retries: u32,
    /// Output format (the per-host results; `collect` writes CSV files unless json).
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
    /// Add keys of hosts missing from known_hosts (changed keys are still refused).
    #[arg(long, global = true)]
    pub accept_new_host_keys: bool,
    /// Override the per-command deadline, seconds.
    #[arg(long, global = true)]
    pub command_timeout: Option<f64>,
    /// Write per-host session transcripts (secrets redacted) into this directory.
    #[arg(long, global = true)]
    pub transcript_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Jsonl,
}

#[derive(Subcommand)]
pub enum Cmd {
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
        /// Roll out in batches of N probes (the whole estate is never down at
        /// once); a batch with a failed probe stops the rollout.
        #[arg(long)]
        serial: Option<usize>,
        /// With --serial: start the next batch even after a failed one.
        #[arg(long, requires = "serial")]
        continue_on_failure: bool,
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
