//! Drive EndaceOS probe CLIs over SSH/SFTP: fleet collection and hotfix roll-outs.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//!
//! - [`session`]: SSH connection (deadlines, `known_hosts`), PTY CLI session.
//! - [`driver`]: what differs between Cisco-like CLIs; [`driver::EndaceOs`].
//! - [`known_hosts`]: OpenSSH `known_hosts` checking (hashed entries too).
#![deny(missing_docs)]

pub mod collect;
pub mod driver;
pub mod error;
pub mod fleet;
pub mod inventory;
pub mod jobs;
pub mod known_hosts;
pub mod session;
#[cfg(feature = "sim")]
pub mod sim;

pub use error::Error;
