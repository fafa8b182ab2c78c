//! Shell completions and man pages, generated from a tool's clap
//! definitions: one mechanism for every tool, reached through [`parse`].
//!
//! `TOOL --generate KIND` (the first argument; nothing may follow) prints
//! one of these on standard output and exits 0:
//!
//! | `KIND` | what | install (user) |
//! |---|---|---|
//! | `completion-bash` | bash completion (`clap_complete`) | `> ~/.local/share/bash-completion/completions/TOOL` |
//! | `completion-zsh` | zsh completion | `> ~/.zfunc/_TOOL` (a directory in `$fpath`) |
//! | `completion-fish` | fish completion | `> ~/.config/fish/completions/TOOL.fish` |
//! | `man` | a roff man page, section 1 (`clap_mangen`) | `> ~/.local/share/man/man1/TOOL.1` |
//!
//! The flag is hidden from `--help` (it is for packagers and
//! `scripts/install-completions.sh`). An unknown `KIND`, or more arguments
//! after it, is a usage error (exit 3). A reader that closes the pipe is
//! quiet, as for every output.
//!
//! [`parse`]: crate::parse

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};

use clap_complete::Shell;

/// The flag, as users type it.
pub const FLAG: &str = "--generate";

/// What `--generate` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generate {
    /// A bash completion script.
    CompletionBash,
    /// A zsh completion function (`#compdef TOOL`).
    CompletionZsh,
    /// A fish completion script.
    CompletionFish,
    /// A man page (roff, section 1).
    Man,
}

impl Generate {
    /// Every kind, in the order `--help` of the flag lists them.
    pub const ALL: [Generate; 4] = [
        Generate::CompletionBash,
        Generate::CompletionZsh,
        Generate::CompletionFish,
        Generate::Man,
    ];

    /// The name after `--generate`.
    pub fn name(self) -> &'static str {
        match self {
            Generate::CompletionBash => "completion-bash",
            Generate::CompletionZsh => "completion-zsh",
            Generate::CompletionFish => "completion-fish",
            Generate::Man => "man",
        }
    }

    /// The kind called `name` (as [`Generate::name`] spells it).
    pub fn from_name(name: &str) -> Option<Generate> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }

    fn names() -> String {
        Self::ALL.map(Generate::name).join(", ")
    }
}

/// Writes `kind` for the command `cmd` (the tool's `clap::Command`, e.g.
/// `Args::command()`) to `out`. The tool is named by `cmd`'s name, which
/// must be the name users type (`#[command(name = "ipmi-sel")]`).
pub fn generate(kind: Generate, mut cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let name = cmd.get_name().to_owned();
    cmd = cmd.bin_name(&name);
    match kind {
        Generate::CompletionBash => clap_complete::generate(Shell::Bash, &mut cmd, &name, out),
        Generate::CompletionZsh => clap_complete::generate(Shell::Zsh, &mut cmd, &name, out),
        Generate::CompletionFish => clap_complete::generate(Shell::Fish, &mut cmd, &name, out),
        Generate::Man => return clap_mangen::Man::new(cmd).render(out),
    }
    Ok(())
}

/// What the arguments ask for: `None` when they do not start with
/// `--generate`; `Some(Ok(kind))` for a valid request; `Some(Err(msg))`
/// for a usage error.
pub fn requested(args: &[OsString]) -> Option<Result<Generate, String>> {
    let first = args.get(1)?.to_str()?;
    let (value, rest) = if first == FLAG {
        (args.get(2).map(OsString::as_os_str), args.get(3..))
    } else if let Some(v) = first.strip_prefix("--generate=") {
        (Some(OsStr::new(v)), args.get(2..))
    } else {
        return None;
    };
    let usage = |what: String| Err(format!("{what}; use {FLAG} one of: {}", Generate::names()));
    let r = match value.map(|v| v.to_str()) {
        None => usage(format!("{FLAG} needs a value")),
        Some(None) => usage(format!("{FLAG}: the value is not UTF-8")),
        Some(Some(v)) => match Generate::from_name(v) {
            None => usage(format!("{FLAG} {v:?} is not known")),
            Some(_) if rest.is_some_and(|r| !r.is_empty()) => Err(format!(
                "{FLAG} takes no other arguments (it prints a completion script or man page)"
            )),
            Some(g) => Ok(g),
        },
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser, Subcommand};

    /// A small tool.
    #[derive(Parser, Debug)]
    #[command(name = "demo-tool", version)]
    struct Demo {
        /// An input.
        #[arg(long, value_enum)]
        format: Option<Fmt>,
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(clap::ValueEnum, Clone, Debug)]
    enum Fmt {
        Table,
        Csv,
    }

    #[derive(Subcommand, Debug)]
    enum Cmd {
        /// Do it.
        Fetch {
            /// Where.
            #[arg(long)]
            url: String,
        },
    }

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    fn render(kind: Generate) -> String {
        let mut out = Vec::new();
        generate(kind, Demo::command(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_kind_names_the_tool_its_options_and_subcommands() {
        for g in Generate::ALL {
            let text = render(g);
            assert!(text.contains("demo-tool"), "{g:?}: {text}");
            assert!(text.contains("fetch"), "{g:?}: {text}");
            assert!(text.contains("format"), "{g:?}");
        }
        assert!(render(Generate::CompletionBash).contains("complete -F"));
        assert!(render(Generate::CompletionZsh).starts_with("#compdef demo-tool"));
        assert!(render(Generate::CompletionFish).contains("complete -c demo-tool"));
        let man = render(Generate::Man);
        assert!(man.contains(".TH demo-tool 1"), "{man}");
        assert!(man.contains("csv"), "value names are listed");
    }

    #[test]
    fn requests_and_usage_errors() {
        assert_eq!(requested(&args(&["t", "x"])), None);
        assert_eq!(requested(&args(&["t"])), None);
        assert_eq!(requested(&args(&["t", "x", "--generate", "man"])), None);
        assert_eq!(
            requested(&args(&["t", "--generate", "man"])),
            Some(Ok(Generate::Man))
        );
        assert_eq!(
            requested(&args(&["t", "--generate=completion-zsh"])),
            Some(Ok(Generate::CompletionZsh))
        );
        for bad in [
            &["t", "--generate"][..],
            &["t", "--generate", "powershell"],
            &["t", "--generate", "man", "extra"],
            &["t", "--generate=man", "extra"],
        ] {
            let r = requested(&args(bad));
            assert!(
                matches!(&r, Some(Err(m)) if m.contains("--generate")),
                "{bad:?}: {r:?}"
            );
        }
        for g in Generate::ALL {
            assert_eq!(Generate::from_name(g.name()), Some(g));
        }
    }
}
