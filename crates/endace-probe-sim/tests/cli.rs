//! The `endace-probe-sim` binary: `fleet` starts the probes it was asked
//! for, prints where they listen and writes an inventory; the session it
//! serves (as sshd's `ForceCommand`) answers the simulated CLI.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use endace_probe_sim::{FleetOptions, unavailable_reason};

const BIN: &str = env!("CARGO_BIN_EXE_endace-probe-sim");

#[test]
fn fleet_prints_its_probes_and_writes_an_inventory() {
    if let Some(why) = unavailable_reason(&FleetOptions::new(2, BIN)) {
        if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("NETOPS_REQUIRE_PEERS=1 but the sshd fleet cannot run: {why}");
        }
        eprintln!("skipping: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fleet_dir = dir.path().join("fleet");
    let mut child = Command::new(BIN)
        .args(["fleet", "--count", "2", "--dir"])
        .arg(&fleet_dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("running");
        lines.push(line);
        if done {
            break;
        }
    }
    // SIGTERM, so that the simulator stops its sshd processes before it exits.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    if !term.is_ok_and(|s| s.success()) {
        let _ = child.kill();
    }
    let _ = child.wait();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (i, line) in lines[..2].iter().enumerate() {
        let (name, addr) = line.split_once('\t').unwrap_or_else(|| panic!("{line:?}"));
        assert_eq!(name, format!("probe-{:02}", i + 1));
        assert!(addr.starts_with("127.0.0.1:"), "{line:?}");
    }
    let inv = fleet_dir.join("inventory.toml");
    assert_eq!(lines[2], format!("inventory: {}", inv.display()));
    let text = std::fs::read_to_string(&inv).unwrap();
    assert!(
        text.contains("probe-01") && text.contains("probe-02"),
        "{text}"
    );
}

#[test]
fn serve_runs_the_simulated_cli_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let st = endace_probe_sim::ProbeState::create(dir.path().join("p"), "probe-09").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--state"])
        .arg(st.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"show version\nexit\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("probe-09"), "{text}");
}
