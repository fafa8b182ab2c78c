//! Parse errors. Offsets are relative to the start of the slice handed to the
//! parser (a record, a handshake body or a direction's byte stream); callers
//! add the file name and frame number.

/// Why a record or handshake message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes end before the field named by `what` is complete.
    #[error("truncated {what} at byte offset {offset}: need {need} more byte(s)")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Offset of the field in the parsed slice.
        offset: usize,
        /// How many bytes are missing.
        need: usize,
    },
    /// A field holds a value that TLS does not allow.
    #[error("invalid {what} at byte offset {offset}: {detail}")]
    Invalid {
        /// The field being read.
        what: &'static str,
        /// Offset of the field in the parsed slice.
        offset: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// The bytes are not a TLS/SSL handshake at all.
    #[error("not a TLS handshake: {0}")]
    NotTls(&'static str),
}

impl ParseError {
    pub(crate) fn invalid(what: &'static str, offset: usize, detail: impl Into<String>) -> Self {
        ParseError::Invalid {
            what,
            offset,
            detail: detail.into(),
        }
    }
}
