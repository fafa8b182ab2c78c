//! Errors: every message names the host and says what to do.

use std::time::Duration;

/// An error for one host (or the inventory).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// TCP connect or SSH handshake failed.
    #[error(
        "{host}: cannot connect to {addr}: {message}; check that the probe is up and the address/port are right"
    )]
    Connect {
        /// Host name.
        host: String,
        /// address:port.
        addr: String,
        /// Cause.
        message: String,
    },
    /// Host key refused.
    #[error("{host}: {message}")]
    HostKey {
        /// Host name.
        host: String,
        /// What happened and what to do.
        message: String,
    },
    /// Authentication failed.
    #[error("{host}: authentication as {user:?} failed: {message}")]
    Auth {
        /// Host name.
        host: String,
        /// User.
        user: String,
        /// Cause.
        message: String,
    },
    /// A deadline passed.
    #[error("{host}: timed out after {after:?} waiting for {what}")]
    Timeout {
        /// Host name.
        host: String,
        /// What we waited for.
        what: String,
        /// The deadline.
        after: Duration,
    },
    /// The shell session failed.
    #[error("{host}: {message}")]
    Session {
        /// Host name.
        host: String,
        /// Cause.
        message: String,
    },
    /// A command reported an error.
    #[error("{host}: command {command:?} failed: {message}")]
    Command {
        /// Host name.
        host: String,
        /// The command.
        command: String,
        /// The device's error line.
        message: String,
    },
    /// SFTP failed.
    #[error("{host}: SFTP: {message}")]
    Sftp {
        /// Host name.
        host: String,
        /// Cause.
        message: String,
    },
    /// A step of a job failed (hotfix, collect).
    #[error("{host}: {step}: {message}")]
    Step {
        /// Host name.
        host: String,
        /// The step.
        step: String,
        /// Cause and what to do.
        message: String,
    },
    /// Inventory or credential problem.
    #[error("{path}: {message}")]
    Inventory {
        /// The inventory or credential file.
        path: String,
        /// Cause, with line number where known.
        message: String,
    },
}

impl Error {
    /// Is this worth retrying (connection-level and transient)?
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Connect { .. })
            || matches!(self, Error::Timeout { what, .. } if what.starts_with("connect"))
    }
}
