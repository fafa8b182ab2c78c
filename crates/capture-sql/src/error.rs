//! Errors of capture-sql.

use std::path::PathBuf;

/// What can go wrong outside the query engine (whose own errors are
/// [`datafusion::error::DataFusionError`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given on the command line could not be read.
    #[error("{}: {source} (check the path and its permissions)", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A glob pattern was malformed.
    #[error("{pattern}: bad glob pattern: {msg}")]
    Glob {
        /// The pattern.
        pattern: String,
        /// Why.
        msg: String,
    },
    /// No capture file in the paths given.
    #[error(
        "no capture files found in {0} (give pcap, pcapng, ERF or .gz files, directories holding them, or globs)"
    )]
    NoFiles(String),
    /// A serialized scan could not be read back.
    #[error("bad serialized capture scan: {0}")]
    Codec(String),
    /// Writing the result failed.
    #[error("{target}: {msg}")]
    Output {
        /// The output file or `stdout`.
        target: String,
        /// Why.
        msg: String,
    },
}
