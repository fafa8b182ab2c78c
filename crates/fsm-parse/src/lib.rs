//! A TextFSM-compatible template engine.
//!
//! Runs the templates network engineers already have (for example the
//! `ntc-templates` collection) with the results Python
//! [TextFSM](https://github.com/google/textfsm) 2.x gives:
//!
//! - [`Template::parse`] compiles a template once (the whole template
//!   language: `Value` options `Filldown`, `Key`, `Required`, `List`,
//!   `Fillup`; states, `EOF`, `End`; `Next`/`Continue`,
//!   `Record`/`NoRecord`/`Clear`/`Clearall`, `Error`; `${NAME}`
//!   substitution). Errors are [`TemplateError`] with TextFSM's wording and
//!   the template line.
//! - [`Template::run`] parses input into [`Record`]s; an `Error` action is a
//!   [`RunError`] with the input line number. [`Template::run_each`] gives
//!   the same rows to a callback as borrowed [`RowRef`]s, without
//!   allocating per value: the way to write out or count the rows of an
//!   input of many megabytes. [`Template::run_each_read`] does the same
//!   reading the input line by line from a reader, in memory bounded by
//!   the longest line (capped: [`ReadError::LineTooLong`]).
//! - Python `re` patterns are translated (braces Python reads as literals,
//!   `\<`, `\Z`, classes) and run on `regex-automata` (the engines under the
//!   `regex` crate: a lazy DFA to test a line, a backtracking VM over the
//!   same NFA for the groups of a matching line), falling back to
//!   `fancy-regex` per pattern only for look-around and back-references.
//! - [`Index`] chooses templates by platform and command from an
//!   ntc-templates `index` file, the way `clitable.CliTable` does, joining
//!   several templates on their `Key` values.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]

mod engine;
mod index;
mod mem;
mod program;
mod pyre;
mod read;
mod row;
mod runstate;
mod sig;
mod split;
mod template;
mod translate;
mod value;
mod vm;

pub use engine::RunError;
pub use index::{Index, IndexError};
pub use mem::{HUGE_PAGE, advise_huge_pages};
pub use read::{DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, ReadError, ReadSummary};
pub use row::{RowRef, RowValues, ValueRef};
pub use split::{SplitLines, splitlines};
pub use template::{Template, TemplateError};
pub use value::{ListItem, Record, Value};

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}
    #[test]
    fn template_and_index_are_send_sync() {
        assert_send_sync::<crate::Template>();
        assert_send_sync::<crate::Index>();
        assert_send_sync::<crate::Record>();
    }
}
