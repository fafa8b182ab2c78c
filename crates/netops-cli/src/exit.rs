//! Exit codes, argument parsing, and the program name in messages.
//!
//! Every netops-kit tool exits with one of four codes (see the
//! [crate docs](crate#exit-codes)). clap's own `Parser::parse` exits 2 on a
//! usage error, which the tools use for "an input failed", so the binaries
//! call [`parse`] instead.

use std::ffi::OsString;
use std::fmt::Display;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

/// Ok: the run did what was asked (also `--help` and `--version`).
pub const OK: u8 = 0;
/// The run found what the user asked to fail on (`--fail-on`, a
/// severity threshold, a check that reports a problem).
pub const FOUND: u8 = 1;
/// Some input or host failed; the others were done and reported, and the
/// failed ones are named on standard error.
pub const FAILED: u8 = 2;
/// A usage or configuration error, or output that could not be written:
/// nothing usable was produced.
pub const USAGE: u8 = 3;

static PROGRAM: OnceLock<String> = OnceLock::new();

/// The name messages start with: the one given to [`set_program`], else
/// the file name of the running executable as the user invoked it (what
/// clap shows in its usage line).
pub fn program() -> &'static str {
    PROGRAM.get_or_init(|| {
        std::env::args_os()
            .next()
            .and_then(|a| {
                Path::new(&a)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "netops".to_owned())
    })
}

/// Sets the name [`program`] returns; only the first call counts (returns
/// false if the name was already set or already read).
pub fn set_program(name: &str) -> bool {
    PROGRAM.set(name.to_owned()).is_ok()
}

/// Prints `PROGRAM: MESSAGE` on standard error. With a progress bar on
/// screen, use [`Progress::warn`](crate::Progress::warn) instead so the
/// line is not drawn over.
pub fn warn(msg: impl Display) {
    eprintln!("{}: {msg}", program());
}

/// The exit code for a clap error: [`USAGE`] for a usage error (unknown
/// option, missing or invalid value, conflicting options), [`OK`] for
/// `--help` and `--version`, which clap reports as errors too.
pub fn clap_exit_code(e: &clap::Error) -> u8 {
    if e.use_stderr() { USAGE } else { OK }
}

/// Parses the process's arguments into `A`. On `--help`/`--version` (and
/// `--generate KIND`, see [`generate`](crate::generate)) prints and exits 0; on a usage error prints clap's message (with its usage line)
/// and exits [`USAGE`] (3).
pub fn parse<A: clap::Parser>() -> A {
    match try_parse_from(std::env::args_os()) {
        Ok(a) => a,
        Err(code) => {
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().flush();
            std::process::exit(i32::from(code))
        }
    }
}

/// Parses `args` (the first is the program name) into `A`, like [`parse`]
/// but returning the exit code instead of exiting: `Err(0)` after printing
/// help, the version, or what `--generate` asked for (a completion script
/// or man page, see [`generate`](crate::generate)), `Err(3)` after printing
/// a usage error.
pub fn try_parse_from<A, I, T>(args: I) -> Result<A, u8>
where
    A: clap::Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match crate::generate::requested(&args) {
        None => {}
        Some(Err(msg)) => {
            warn(msg);
            return Err(USAGE);
        }
        Some(Ok(kind)) => {
            let mut out = std::io::stdout().lock();
            let r =
                crate::generate::generate(kind, A::command(), &mut out).and_then(|()| out.flush());
            return Err(crate::Finished::from_result(r).code(OK));
        }
    }
    A::try_parse_from(args).map_err(|e| {
        let code = clap_exit_code(&e);
        let _ = e.print();
        code
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// A small tool.
    #[derive(Parser, Debug)]
    #[command(name = "demo", version)]
    struct Demo {
        /// An input.
        #[arg(required = true)]
        paths: Vec<String>,
        /// A number.
        #[arg(long, default_value_t = 1)]
        n: u32,
        /// One of two.
        #[arg(long, conflicts_with = "b")]
        a: bool,
        /// The other.
        #[arg(long)]
        b: bool,
    }

    fn code(args: &[&str]) -> u8 {
        match Demo::try_parse_from(args) {
            Ok(_) => 255,
            Err(e) => clap_exit_code(&e),
        }
    }

    #[test]
    fn usage_errors_map_to_3_and_help_version_to_0() {
        assert_eq!(code(&["demo", "--bogus", "x"]), USAGE);
        assert_eq!(code(&["demo"]), USAGE, "missing required argument");
        assert_eq!(code(&["demo", "--n", "many", "x"]), USAGE, "invalid value");
        assert_eq!(code(&["demo", "--a", "--b", "x"]), USAGE, "conflict");
        assert_eq!(code(&["demo", "--help"]), OK);
        assert_eq!(code(&["demo", "--version"]), OK);
        assert_eq!(code(&["demo", "x"]), 255, "parses");
    }

    #[test]
    fn try_parse_from_returns_the_code() {
        assert_eq!(
            try_parse_from::<Demo, _, _>(["demo", "--bogus"]).unwrap_err(),
            3
        );
        assert_eq!(
            try_parse_from::<Demo, _, _>(["demo", "--version"]).unwrap_err(),
            0
        );
        let d: Demo = try_parse_from(["demo", "--n", "7", "f"]).unwrap();
        assert_eq!((d.n, d.paths.as_slice()), (7, &["f".to_owned()][..]));
    }

    #[test]
    fn generate_is_handled_before_the_tool_s_own_arguments() {
        // `paths` is required, yet `--generate` alone is a complete request.
        assert_eq!(
            try_parse_from::<Demo, _, _>(["demo", "--generate", "completion-fish"]).unwrap_err(),
            OK
        );
        assert_eq!(
            try_parse_from::<Demo, _, _>(["demo", "--generate", "csh"]).unwrap_err(),
            USAGE
        );
        assert_eq!(
            try_parse_from::<Demo, _, _>(["demo", "--generate", "man", "x"]).unwrap_err(),
            USAGE
        );
    }

    #[test]
    fn clap_itself_would_have_exited_2() {
        // The reason this module exists: clap's default for usage errors
        // collides with FAILED.
        let e = Demo::try_parse_from(["demo", "--bogus"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(clap_exit_code(&e), 3);
    }
}
