//! How writing the output went, and what that means for the exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::exit;

/// The output could not be written (not a closed pipe: that is
/// [`Finished::Closed`]).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the output: {source}")]
pub struct WriteError {
    source: io::Error,
}

impl WriteError {
    /// Wraps an I/O error.
    pub fn new(source: io::Error) -> WriteError {
        WriteError { source }
    }

    /// The I/O error.
    pub fn io(&self) -> &io::Error {
        &self.source
    }

    /// Whether the reader went away (`tool | head -1`).
    pub fn is_broken_pipe(&self) -> bool {
        self.source.kind() == io::ErrorKind::BrokenPipe
    }
}

/// How the output ended. The exit code goes through here
/// ([`Finished::exit_code`]), so a write error cannot be lost on the way.
#[must_use = "a write error is only reported through Finished::exit_code or Finished::code"]
#[derive(Debug)]
pub enum Finished {
    /// Every row was written and flushed.
    Complete,
    /// The reader closed the pipe; rows after that were dropped. Not an
    /// error: the exit status stays what the run decided.
    Closed,
    /// Writing failed (full disk, I/O error); rows after that were dropped.
    Failed(WriteError),
}

impl Finished {
    /// Classifies the first write error, if any.
    pub fn from_result(r: Result<(), io::Error>) -> Finished {
        match r {
            Ok(()) => Finished::Complete,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Finished::Closed,
            Err(e) => Finished::Failed(WriteError::new(e)),
        }
    }

    /// The exit code: `status` (what the run decided) when the output is
    /// complete or the reader closed the pipe; after any other write error
    /// prints `PROGRAM: cannot write the output: REASON` on standard error
    /// and returns [`exit::USAGE`] (3).
    pub fn code(self, status: u8) -> u8 {
        match self {
            Finished::Complete | Finished::Closed => status,
            Finished::Failed(e) => {
                exit::warn(&e);
                exit::USAGE
            }
        }
    }

    /// [`Finished::code`] as the `ExitCode` `main` returns.
    pub fn exit_code(self, status: u8) -> ExitCode {
        ExitCode::from(self.code(status))
    }

    /// `Err` only for a real write error (a closed pipe is `Ok`), for
    /// library callers that report errors their own way.
    pub fn into_result(self) -> Result<(), WriteError> {
        match self {
            Finished::Complete | Finished::Closed => Ok(()),
            Finished::Failed(e) => Err(e),
        }
    }
}

/// Writes `bytes` to standard output and flushes: for a tool that formats
/// its whole output first (into a [`Writer`](crate::Writer) over a
/// `Vec<u8>`) and prints it only when the run succeeded.
pub fn write_stdout(bytes: &[u8]) -> Finished {
    let mut out = io::stdout().lock();
    Finished::from_result(out.write_all(bytes).and_then(|()| out.flush()))
}

/// An `io::Error` equal in kind and message to `e` (for returning the
/// first error again while keeping it).
pub(crate) fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_and_codes() {
        assert!(matches!(Finished::from_result(Ok(())), Finished::Complete));
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(matches!(Finished::from_result(Err(pipe)), Finished::Closed));
        assert_eq!(Finished::Complete.code(1), 1);
        assert_eq!(Finished::Closed.code(0), 0);
        assert_eq!(Finished::Closed.code(1), 1, "--fail-on still wins");
        let full = io::Error::from_raw_os_error(28); // ENOSPC
        let f = Finished::from_result(Err(full));
        assert!(matches!(&f, Finished::Failed(e) if !e.is_broken_pipe()));
        assert_eq!(f.code(0), exit::USAGE);
    }

    #[test]
    fn write_error_message_is_one_line() {
        let e = WriteError::new(io::Error::from_raw_os_error(28));
        let msg = e.to_string();
        assert!(msg.starts_with("cannot write the output: "), "{msg}");
        assert!(!msg.contains('\n'));
        assert_eq!(copy_error(e.io()).raw_os_error(), Some(28));
    }
}
