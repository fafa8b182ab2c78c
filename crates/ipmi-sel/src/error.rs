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
    #[error("{host}: HTTP {status} from {path}; {}", status_hint(*status))]
    Status {
        /// Host.
        host: String,
        /// Status code.
        status: u16,
        /// Request path.
        path: String,
    },
    /// A redirect (3xx). Redirects are never followed: a BMC's CGI and
    /// Redfish services answer at the configured URL.
    #[error(
        "{host}: HTTP {status} redirect from {path} to {location:?}; ipmi-sel does not follow redirects: set the host's url to where the BMC's web service really answers (e.g. https:// instead of http://, or without a proxy path)"
    )]
    Redirect {
        /// Host.
        host: String,
        /// Status code (301, 302, 303, 307, 308, ...).
        status: u16,
        /// Request path.
        path: String,
        /// The `Location` header (empty when absent).
        location: String,
    },
    /// An answer larger than the body cap (`max_body_bytes`).
    #[error("{host}: the answer to {path} is larger than {limit} bytes (max_body_bytes / --max-body){}; a SEL answer is well under 1 MiB, so the BMC (or a proxy in between) is misbehaving; raise the cap only if this BMC really sends that much", declared.map(|n| format!(", Content-Length says {n}")).unwrap_or_default())]
    TooLarge {
        /// Host.
        host: String,
        /// Request path.
        path: String,
        /// The cap, bytes.
        limit: usize,
        /// What `Content-Length` declared, when it did.
        declared: Option<u64>,
    },
    /// A resource limit other than the body cap was reached (Redfish pages
    /// or entries, a `nextLink` loop).
    #[error("{host}: {detail}")]
    Limit {
        /// Host.
        host: String,
        /// Which limit, where, and what to do.
        detail: String,
    },
    /// The whole poll of one host took longer than its deadline.
    #[error(
        "{host}: the poll did not finish within {secs}s (poll_deadline_secs / --poll-deadline) and was abandoned; the BMC is very slow or keeps sending, check it or raise the deadline"
    )]
    Deadline {
        /// Host.
        host: String,
        /// The deadline, seconds.
        secs: u64,
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
    /// An operation this source kind cannot do (`sel clear` on the
    /// Supermicro web UI or a saved file).
    #[error("{host}: `sel {op}` is not supported by this source kind ({kind}); {hint}")]
    Unsupported {
        /// Host.
        host: String,
        /// The operation (`info`, `get`, `clear`).
        op: &'static str,
        /// The source kind.
        kind: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// `sel get ID`: the SEL holds no record with that ID.
    #[error(
        "{host}: the SEL has no record with ID 0x{id:04x} ({id}); `ipmi-sel fetch` lists the IDs it holds"
    )]
    NoRecord {
        /// Host.
        host: String,
        /// The record ID asked for.
        id: u16,
    },
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// What to do about an HTTP status, by its class.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "the BMC refused the credentials or the user lacks the privilege to read the SEL"
        }
        404 => {
            "the BMC does not serve this path; check the source kind (supermicro/redfish) and the url"
        }
        400..=499 => "the BMC rejected the request; check the source kind and the url",
        500..=599 => "the BMC's web service failed; retry later",
        100..=199 | 300..=399 => {
            "an answer a BMC does not give here; check that the url points at the BMC"
        }
        _ => {
            "not a standard HTTP status (valid classes are 1xx-5xx); something other than a BMC answers at this url"
        }
    }
}

impl Error {
    /// A local configuration mistake (an unset password variable, an
    /// unreadable or group/world-readable password file, a bad URL, an
    /// inventory error): the user must fix something on this side, so the
    /// tools exit 3 and `watch`/`serve` never report it as the host being
    /// down.
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config { .. })
    }

    /// Build an I/O error naming the path.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
