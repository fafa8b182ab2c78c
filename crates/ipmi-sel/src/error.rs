//! Errors. Every message names the host or file and says what to do.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input could not be parsed.
    #[error("{origin}: {detail}")]
    Parse {
        /// File name or host.
        origin: String,
        /// What and where (line / byte offset) and what to do.
        detail: String,
    },
    /// The BMC answered with an HTML page where data was expected.
    #[error("{host}: the BMC answered with an HTML page{} instead of data; the session expired or the firmware rejected the request, log in again", if title.is_empty() { String::new() } else { format!(" ({title:?})") })]
    HtmlPage {
        /// Host or file.
        host: String,
        /// `<title>` of the page, lower-cased.
        title: String,
    },
    /// Login rejected (Supermicro answers HTTP 200 without a session).
    #[error(
        "{host}: login failed (no session was granted); check the user name and the password in the referenced env var / file"
    )]
    LoginFailed {
        /// Host.
        host: String,
    },
    /// The session expired during the exchange and a re-login also failed.
    #[error(
        "{host}: session expired during the fetch and logging in again did not help; retry later"
    )]
    SessionExpired {
        /// Host.
        host: String,
    },
    /// Unexpected HTTP status.
    #[error("{host}: HTTP {status} from {path}; check the BMC's web service (retry later for 5xx)")]
    Status {
        /// Host.
        host: String,
        /// Status code.
        status: u16,
        /// Request path.
        path: String,
    },
    /// Transport error (connect, TLS, timeout).
    #[error("{host}: {detail}")]
    Transport {
        /// Host.
        host: String,
        /// Description, including the cause chain.
        detail: String,
    },
    /// Configuration (inventory, credentials, certificates).
    #[error("{path}: {detail}")]
    Config {
        /// File (or `host <name>`).
        path: String,
        /// What is wrong and what to do.
        detail: String,
    },
    /// IPMI over LAN (RMCP+): no answer, wrong user or password, cipher
    /// suite refused, a command's completion code.
    #[error(transparent)]
    Lan(Box<crate::lan::LanError>),
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

impl Error {
    /// Build an I/O error naming the path.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
