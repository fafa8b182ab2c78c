//! Command-line contract of `endace` that needs no probe: exit codes of
//! usage errors, help and version.

use std::process::Command;

const ENDACE: &str = env!("CARGO_BIN_EXE_endace");

fn code(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(ENDACE)
        .args(args)
        .env_remove("ENDACE_INVENTORY")
        .output()
        .expect("run endace");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--help` documents exit 3 for usage errors and 2 for "a host failed":
/// clap's own exit code (2) would read as a failed host.
#[test]
fn usage_errors_exit_3_not_2() {
    for args in [
        &["-i", "fleet.toml", "no-such-subcommand"][..],
        &["-i", "fleet.toml", "hotfix"],
        &["-i", "fleet.toml", "run", "show version", "--forks", "many"],
        &["-i", "fleet.toml", "--no-such-flag", "run", "x"],
        &["run", "show version"],
        &[],
    ] {
        let (c, err) = code(args);
        assert_eq!(c, Some(3), "endace {args:?}: {err}");
        // No arguments at all prints the help (to stderr), others an error.
        assert!(
            err.contains("error:") || (args.is_empty() && err.contains("Usage:")),
            "endace {args:?}: {err}"
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["--version"], &["hotfix", "--help"]] {
        let (c, err) = code(args);
        assert_eq!(c, Some(0), "endace {args:?}: {err}");
    }
}
