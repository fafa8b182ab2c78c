//! Drive EndaceOS probe CLIs over SSH/SFTP: fleet collection and hotfix roll-outs.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//!
//! - [`session`]: SSH connection (deadlines, `known_hosts`), PTY CLI session.
//! - [`driver`]: what differs between Cisco-like CLIs; [`driver::EndaceOs`].
//! - [`known_hosts`]: OpenSSH `known_hosts` checking (hashed entries too).
//! - [`inventory`]: TOML hosts/groups/overrides, credentials by reference.
//! - [`fleet`]: bounded concurrency, connect retries with back-off, results.
//! - [`jobs`]: `run` and `hotfix` per probe; [`collect`]: capacity tables
//!   parsed with `fsm-parse` templates shipped in the crate.
//!
//! Driving one probe by hand:
//!
//! ```no_run
//! # async fn demo() -> Result<(), endace_cli::Error> {
//! use endace_cli::driver::EndaceOs;
//! use endace_cli::known_hosts::KnownHosts;
//! use endace_cli::session::{CliSession, Credentials, Secret, Target, connect};
//!
//! let creds = Credentials {
//!     user: "admin".into(),
//!     password: Some(Secret::new(std::env::var("ENDACE_PASSWORD").unwrap_or_default())),
//!     ..Default::default()
//! };
//! let target = Target::new("probe-01", "10.0.0.1", 22, creds, KnownHosts::user_default());
//! let mut cli = CliSession::open(connect(&target).await?, Box::new(EndaceOs::default())).await?;
//! let packages = cli.send_command("show packages").await?;
//! println!("{packages}");
//! cli.close().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod collect;
pub mod driver;
pub mod error;
pub mod fleet;
pub mod inventory;
pub mod jobs;
pub mod known_hosts;
pub mod session;

pub use error::Error;
