//! Running a template over a reader, line by line, in bounded memory:
//! [`Template::run_each_read`](crate::Template::run_each_read).

use crate::RunError;

/// The longest input line [`Template::run_each_read`] accepts by default
/// (16 MiB): device output lines are short; a "line" this long is not
/// text (`/dev/zero`, a binary file), and holding more of it only costs
/// memory.
///
/// [`Template::run_each_read`]: crate::Template::run_each_read
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// Reading or parsing a reader's input stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The template stopped the run (an `Error` action, or a pattern that
    /// could not be run).
    #[error(transparent)]
    Run(#[from] RunError),
    /// Choosing or running a template through an index failed.
    #[error(transparent)]
    Index(#[from] crate::IndexError),
    /// The input is larger than the limit for an input held whole (the
    /// templates of an index row joined on their keys each parse all of
    /// it).
    #[error(
        "the input is larger than {limit} bytes, the limit for input read whole (an index row naming several templates joins their tables)"
    )]
    InputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Reading the input failed.
    #[error("input line {line}: cannot read: {source}")]
    Io {
        /// 1-based line being read.
        line: usize,
        /// Why.
        source: std::io::Error,
    },
    /// A line is longer than the limit: the input is probably not text.
    #[error(
        "input line {line} is longer than {limit} bytes without a line break; is this text output of a command?"
    )]
    LineTooLong {
        /// 1-based line.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

/// The largest input read whole by default (128 MiB): see
/// [`Index::parse_each_read`](crate::Index::parse_each_read).
pub const DEFAULT_MAX_INPUT: usize = 128 << 20;

/// What a run over a reader saw besides its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Lines read.
    pub lines: usize,
    /// Byte offset of the first byte that is not UTF-8 (such bytes are
    /// replaced with U+FFFD, as a lossy decode does), if any.
    pub invalid_utf8_at: Option<u64>,
}
