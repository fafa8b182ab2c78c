//! Issue 17: a configuration mistake (password variable unset or empty,
//! password file missing / unreadable / world-readable, a bad URL, an
//! unknown kind in the inventory) exits 3 with one line naming the host and
//! what to fix, before any host is asked; `watch` never reports it as a
//! DOWN host.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");
const UNSET: &str = "IPMI_SEL_CONFIG_TEST_UNSET";

fn run(args: &[&str]) -> (Output, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .env_remove(UNSET)
        .env("CONFIG_TEST_EMPTY", "")
        .env("CONFIG_TEST_PW", "pw")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

/// Exit 3 and exactly one stderr line containing every `want`.
fn one_line_3(args: &[&str], want: &[&str]) {
    let (o, out, err) = run(args);
    assert_eq!(o.status.code(), Some(3), "{args:?}: {out}{err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: want {w:?} in {err}");
    }
    assert_eq!(out, "", "{args:?}");
}

#[test]
fn fetch_configuration_mistakes_exit_3_naming_host_and_fix() {
    let d = tempfile::tempdir().unwrap();
    let open = d.path().join("open-pw");
    std::fs::write(&open, "pw\n").unwrap();
    let empty = d.path().join("empty-pw");
    std::fs::write(&empty, "").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let missing = d.path().join("no-such-pw");
    let (open, empty, missing) = (
        open.to_str().unwrap(),
        empty.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    // A bad ipmi:// URL (was exit 2).
    one_line_3(
        &[
            "fetch",
            "--kind",
            "ipmi",
            "--url",
            "ipmi://a:b:c",
            "--password-env",
            "CONFIG_TEST_PW",
        ],
        &["host a:b:c", "ipmi://HOST[:PORT]"],
    );
    // An https URL given to --kind ipmi.
    one_line_3(
        &[
            "fetch",
            "--kind",
            "ipmi",
            "--url",
            "https://10.0.0.5",
            "--password-env",
            "CONFIG_TEST_PW",
        ],
        &["host 10.0.0.5", "ipmi://10.0.0.5"],
    );
    // Other schemes and broken URLs for the web kinds.
    one_line_3(
        &[
            "fetch",
            "--url",
            "ftp://10.0.0.5",
            "--password-env",
            "CONFIG_TEST_PW",
        ],
        &["host 10.0.0.5", "https://"],
    );
    one_line_3(
        &[
            "fetch",
            "--kind",
            "redfish",
            "--url",
            "ipmi://10.0.0.5",
            "--password-env",
            "CONFIG_TEST_PW",
        ],
        &["host 10.0.0.5", "--kind ipmi"],
    );
    // Secrets: checked before any host is asked (192.0.2.1 is TEST-NET-1,
    // never reached).
    for (kind, url) in [
        ("supermicro", "https://192.0.2.1"),
        ("ipmi", "ipmi://192.0.2.1"),
    ] {
        let base = ["fetch", "--kind", kind, "--url", url];
        one_line_3(
            &[&base[..], &["--password-env", UNSET]].concat(),
            &["host 192.0.2.1", UNSET, "not set or empty"],
        );
        one_line_3(
            &[&base[..], &["--password-env", "CONFIG_TEST_EMPTY"]].concat(),
            &["host 192.0.2.1", "CONFIG_TEST_EMPTY"],
        );
        one_line_3(
            &[&base[..], &["--password-file", open]].concat(),
            &["host 192.0.2.1", open, "chmod 600"],
        );
        one_line_3(
            &[&base[..], &["--password-file", missing]].concat(),
            &["host 192.0.2.1", missing, "cannot read it"],
        );
        one_line_3(
            &[&base[..], &["--password-file", empty]].concat(),
            &["host 192.0.2.1", empty, "empty"],
        );
    }
}

fn inventory(dir: &std::path::Path, hosts: &str) -> String {
    std::fs::write(dir.join("a.hex"), "020002124c015d33000413006fa58012\n").unwrap();
    let p = dir.join("fleet.toml");
    std::fs::write(
        &p,
        format!(
            "[settings]\nstate_dir = \"state\"\nmin_severity = \"critical\"\n\n[[host]]\nname = \"ok\"\nkind = \"offline\"\npath = \"a.hex\"\n{hosts}"
        ),
    )
    .unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_bad_inventory_exits_3_before_polling() {
    for (hosts, want) in [
        (
            "[[host]]\nname = \"x\"\nkind = \"ipmb\"\n",
            "unknown variant `ipmb`",
        ),
        (
            "[[host]]\nname = \"x\"\nkind = \"ipmi\"\nurl = \"ipmi://h:1:2\"\nuser = \"a\"\npassword_env = \"P\"\n",
            "ipmi://HOST[:PORT]",
        ),
        (
            "[[host]]\nname = \"x\"\nkind = \"supermicro\"\nurl = \"gopher://h\"\nuser = \"a\"\npassword_env = \"P\"\n",
            "not http or https",
        ),
    ] {
        let d = tempfile::tempdir().unwrap();
        let inv = inventory(d.path(), hosts);
        for cmd in ["watch", "fetch"] {
            let mut args = vec![cmd, "--inventory", &inv];
            if cmd == "watch" {
                args.push("--once");
            }
            one_line_3(&args, &["fleet.toml", want]);
        }
        assert!(!d.path().join("state").exists(), "nothing polled");
    }
}

#[test]
fn watch_reports_a_missing_secret_as_configuration_not_down() {
    let d = tempfile::tempdir().unwrap();
    let inv = inventory(
        d.path(),
        &format!(
            "[[host]]\nname = \"nopw\"\nkind = \"ipmi\"\nurl = \"ipmi://192.0.2.1\"\nuser = \"a\"\npassword_env = \"{UNSET}\"\n"
        ),
    );
    let (o, out, err) = run(&["watch", "--inventory", &inv, "--once"]);
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    // The other host still alerts; no DOWN line for nopw.
    assert!(out.contains(" ok CRITICAL "), "{out}");
    assert!(!out.contains("DOWN"), "{out}");
    assert!(
        err.contains(&format!(
            "configuration error, not polled: host nopw: environment variable {UNSET}"
        )),
        "{err}"
    );
    assert!(err.contains("1 configuration error(s)"), "{err}");
}
