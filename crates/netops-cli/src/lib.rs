//! What every netops-kit binary shares: one row writer, the exit-code
//! policy, the progress-bar policy and reported write errors.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//! Modelled on ripgrep's `grep-cli` and `grep-printer`: the binaries in
//! `bins/` parse arguments with clap, call a library, and hand rows to this
//! crate, so that every tool prints, fails and exits the same way.
//!
//! * [`Writer`]: rows as an aligned table, CSV (the `csv` crate), JSON Lines
//!   or a pretty JSON array, driven by a list of [`Column`]s and one
//!   [`Value`] per column per row. Rows stream to the output as they come
//!   (a table holds rows only until it knows its column widths). Other
//!   formats (Arrow/Parquet, in a crate of its own) plug in through
//!   [`RowSink`] without changing the callers.
//! * [`Finished`]: the only way to learn how the output went. Write errors
//!   are sticky (the first one is kept, later rows are dropped), so a row
//!   call returns nothing to ignore; [`Writer::finish`] hands back the
//!   outcome, and a writer dropped unfinished reports its error itself.
//! * [`exit`]: the exit codes every tool documents, and [`parse`], which
//!   maps clap's errors onto them (clap itself exits 2 on a usage error,
//!   which the tools use for "an input failed").
//! * [`Progress`]: a progress bar on standard error, shown only when
//!   standard error is a terminal and the user did not ask for quiet.
//! * [`generate`]: shell completions (bash, zsh, fish) and a man page from
//!   the tool's clap definitions, printed by `TOOL --generate KIND`, which
//!   [`parse`] handles for every tool.
//! * [`is_snake_case`] / [`snake_case`]: the one spelling of column names.
//!
//! The rules these implement, for users, are `docs/CLI-CONTRACT.md`.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | ok ([`exit::OK`]); also `--help`, `--version`, and a reader that closed the pipe early |
//! | 1 | found what the user asked to fail on, e.g. `--fail-on` ([`exit::FOUND`]) |
//! | 2 | some input or host failed; the others were done and reported ([`exit::FAILED`]) |
//! | 3 | usage or configuration error, or the output could not be written ([`exit::USAGE`]) |
//!
//! A closed pipe (`tool | head -1`) is not an error: later rows are dropped
//! (a tool may stop early, see [`Writer::is_failed`]) and the tool exits
//! quietly with the status it would have had. Any other write error (a full disk, a
//! vanished network mount) prints one line, `PROGRAM: cannot write the
//! output: REASON`, and exits 3: the output is incomplete, so a script must
//! not mistake it for "some inputs failed, the rest is there" (2).
//!
//! # Example
//!
//! ```
//! use netops_cli::{Column, Format, TableStyle, Value, Writer};
//!
//! let cols = vec![Column::new("host"), Column::new("port").right(), Column::new("tags")];
//! let mut w = Writer::new(Format::Table, cols, Vec::new()).table_style(TableStyle::new().null("-"));
//! w.row(&["web01".into(), Value::U64(443), Value::List(vec!["a".into(), "b".into()])]);
//! w.row(&["db".into(), Value::U64(5432), Value::Null]);
//! let out = w.into_inner().unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "host   port  tags\nweb01   443  a;b\ndb     5432  -\n"
//! );
//! ```
#![deny(missing_docs)]

pub mod exit;
pub mod generate;
mod names;
mod output;
mod progress;
mod value;
mod writer;

pub use exit::{parse, program, try_parse_from, warn};
pub use generate::Generate;
pub use names::{is_snake_case, snake_case};
pub use output::{Finished, WriteError, write_stdout};
pub use progress::Progress;
pub use value::{Align, Column, Value, columns};
pub use writer::{Format, RowSink, Stdout, TableStyle, Writer};
