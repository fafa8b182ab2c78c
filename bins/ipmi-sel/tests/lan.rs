//! End-to-end: `ipmi-sel fetch --kind ipmi` and `watch` with `kind = "ipmi"`
//! hosts against simulated RMCP+ BMCs (`bmc_sim::lan`, in this process on
//! its own runtime, UDP on 127.0.0.1).

use std::process::{Command, Output};

use bmc_sim::lan::{LanBmc, LanFleet};
use ipmi_sel::lan::wire::CipherSuite;

const PW: &str = "lan-e2e-Pa55";
const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");

fn start(bmcs: Vec<LanBmc>) -> (tokio::runtime::Runtime, LanFleet) {
    bmc_sim::lan::spawn_lan_blocking(bmcs).unwrap()
}

fn run(args: &[&str]) -> (Output, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .env("E2E_LAN_PW", PW)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!out.contains(PW) && !err.contains(PW), "password leaked");
    (o, out, err)
}

#[test]
fn fetch_kind_ipmi_reads_the_sel_with_sensor_names() {
    let mut only3 = LanBmc::new(PW, bmc_sim::fixture_records(0, 6));
    only3.suites = vec![CipherSuite::Sha1];
    let (_rt, fleet) = start(vec![LanBmc::new(PW, bmc_sim::fixture_records(0, 6)), only3]);
    let url = fleet.url(0);
    let host = url.trim_start_matches("ipmi://").to_string();
    let base = [
        "fetch",
        "--kind",
        "ipmi",
        "--user",
        "admin",
        "--password-env",
        "E2E_LAN_PW",
    ];

    let (o, out, err) = run(&[&base[..], &["--url", &url, "--format", "jsonl"]].concat());
    assert_eq!(o.status.code(), Some(0), "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 8, "{out}");
    assert_eq!(rows[0]["host"], host.as_str());
    assert_eq!(rows[0]["sensor_name"], "Chassis Intru");
    assert_eq!(rows[6]["description"], "PCI SERR @Bus80(DevFn12)");
    assert_eq!(rows[6]["sensor_name"], "PCI Bus");

    // --fail-on critical: the PCI SERR/PERR are critical.
    let (o, _, _) = run(&[&base[..], &["--url", &url, "--fail-on", "critical"]].concat());
    assert_eq!(o.status.code(), Some(1));

    // Suite 17 asked of a BMC that only has 3: one line naming the host, exit 2.
    let url1 = fleet.url(1);
    let (o, out, err) = run(&[&base[..], &["--url", &url1, "--cipher-suite", "17"]].concat());
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    let host1 = url1.trim_start_matches("ipmi://");
    assert!(
        err.contains(&format!(
            "{host1}: the BMC does not support cipher suite 17"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Unset: falls back to 3.
    let (o, _, err) = run(&[&base[..], &["--url", &url1]].concat());
    assert_eq!(o.status.code(), Some(0), "{err}");

    // Wrong password.
    let o = Command::new(BIN)
        .args(&base[..])
        .args(["--url", &url])
        .env("E2E_LAN_PW", "not-it")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{host}: wrong password for user \"admin\"")),
        "{err}"
    );

    // A bad URL is a configuration mistake (exit 3), saying the form.
    let (o, _, err) = run(&[&base[..], &["--url", "ipmi://a:b:c"]].concat());
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("ipmi://HOST[:PORT]"), "{err}");

    // --clear-sel empties the SEL after printing it.
    let (o, out, _) = run(&[&base[..], &["--url", &url, "--clear-sel"]].concat());
    assert_eq!(o.status.code(), Some(0));
    assert!(out.contains("PCI SERR"));
    let (o, out, _) = run(&[&base[..], &["--url", &url, "--format", "jsonl"]].concat());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(out, "");
}

#[test]
fn watch_kind_ipmi_alerts_once() {
    let (_rt, fleet) = start(vec![
        LanBmc::new(PW, bmc_sim::fixture_records(0, 6)),
        LanBmc::new(PW, bmc_sim::fixture_records(1, 6)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("lan.toml");
    std::fs::write(
        &inv,
        bmc_sim::lan::inventory_toml(&fleet.addrs, "admin", "E2E_LAN_PW", 10),
    )
    .unwrap();
    let args = ["watch", "--inventory", inv.to_str().unwrap(), "--once"];
    let (o, out, err) = run(&args);
    assert_eq!(o.status.code(), Some(0), "{err}");
    // min_severity critical: lan0's PCI SERR and PERR, nothing of lan1.
    let alerts: Vec<&str> = out.lines().collect();
    assert_eq!(alerts.len(), 2, "{out}");
    assert!(
        alerts.iter().all(|l| l.contains(" lan0 CRITICAL ")),
        "{out}"
    );
    let (o, out, _) = run(&args);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(out, "", "alerted once");
}
