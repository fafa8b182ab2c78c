//! Issue 17: `ipmi-sel sel info`, `sel get ID` and `sel clear` on every
//! source kind of the simulator (RMCP+, Redfish, Supermicro CGI): what a
//! kind cannot do says so and exits 3; clear needs --yes-clear.

use std::process::{Command, Output};

use bmc_sim::lan::{LanBmc, spawn_lan_blocking};

const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");
const PW: &str = "selops-Pa55";

fn run(args: &[&str]) -> (Output, String, String) {
    let o = Command::new(BIN)
        .args(args)
        .env("SELOPS_PW", PW)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

fn jsonl(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn sel_info_get_clear_on_every_kind() {
    let (_rt, fleet) =
        spawn_lan_blocking(vec![LanBmc::new(PW, bmc_sim::fixture_records(0, 6))]).unwrap();
    let lan = fleet.url(0);
    let cfg = bmc_sim::SimConfig {
        count: 2,
        password: PW.into(),
        ..Default::default()
    };
    let sim = bmc_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap()).unwrap();
    let (web, rf) = (sim.url(0), sim.url(1));
    let target = |kind: &'static str, url: &str| -> Vec<String> {
        [
            "--kind",
            kind,
            "--url",
            url,
            "--user",
            "admin",
            "--password-env",
            "SELOPS_PW",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let with = |head: &[&str], t: &[String], tail: &[&str]| -> Vec<String> {
        head.iter()
            .map(|s| s.to_string())
            .chain(t.iter().cloned())
            .chain(tail.iter().map(|s| s.to_string()))
            .collect()
    };
    let go = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&a)
    };
    let (tl, tw, tr) = (
        target("ipmi", &lan),
        {
            let mut t = target("supermicro", &web);
            t[5] = "ADMIN".into();
            t
        },
        {
            let mut t = target("redfish", &rf);
            t[5] = "ADMIN".into();
            t
        },
    );

    // What fetch reads, per kind.
    let fetched = |t: &[String]| {
        let (o, out, err) = go(with(&["fetch"], t, &["--format", "jsonl"]));
        assert_eq!(o.status.code(), Some(0), "{err}");
        jsonl(&out)
    };
    let (fl, fw, fr) = (fetched(&tl), fetched(&tw), fetched(&tr));

    // info: every kind; ipmi knows the most.
    let (o, out, err) = go(with(&["sel", "info"], &tl, &["--format", "jsonl"]));
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v = &jsonl(&out)[0];
    assert_eq!(v["kind"], "ipmi");
    assert_eq!(v["entries"], fl.len());
    assert_eq!(v["version"], "1.5");
    assert_eq!(v["free_bytes"], 0xffff - 8 * 16);
    assert_eq!(v["supports"], "Delete;Reserve");
    let (o, out, err) = go(with(&["sel", "info"], &tr, &["--format", "jsonl"]));
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v = &jsonl(&out)[0];
    assert_eq!(
        (v["kind"].as_str(), v["entries"].as_u64()),
        (Some("redfish"), Some(fr.len() as u64))
    );
    assert_eq!(v["max_entries"], bmc_sim::SEL_CAPACITY);
    assert_eq!(v["free_bytes"], serde_json::Value::Null);
    let (o, out, err) = go(with(&["sel", "info"], &tw, &[]));
    assert_eq!(o.status.code(), Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("host ") && lines[0].contains("entries"),
        "{out}"
    );
    assert!(
        lines[1].contains("supermicro") && lines[1].contains(&format!(" {} ", fw.len())),
        "{out}"
    );

    // get: by decimal or hex ID; an absent ID fails the host (exit 2).
    for (t, all, id) in [(&tl, &fl, "0x0007"), (&tw, &fw, "7"), (&tr, &fr, "0x7")] {
        let (o, out, err) = go(with(&["sel", "get", id], t, &["--format", "jsonl"]));
        assert_eq!(o.status.code(), Some(0), "{t:?}: {err}");
        let v = jsonl(&out);
        assert_eq!(v.len(), 1, "{out}");
        let want = all.iter().find(|e| e["record_id"] == 7).unwrap();
        assert_eq!(&v[0], want, "{t:?}");
    }
    assert_eq!(fl[6]["record_id"], 7);
    assert_eq!(fl[6]["description"], "PCI SERR @Bus80(DevFn12)");
    let (o, _, err) = go(with(&["sel", "get", "0x7777"], &tl, &[]));
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no record with ID 0x7777"), "{err}");
    let (o, _, _) = go(with(&["sel", "get", "0x10000"], &tl, &[]));
    assert_eq!(o.status.code(), Some(3), "not an ID: usage");

    // clear: never without --yes-clear.
    for t in [&tl, &tr, &tw] {
        let (o, out, err) = go(with(&["sel", "clear"], t, &[]));
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains("give --yes-clear"), "{err}");
        assert_eq!(out, "");
    }
    let (o, _, err) = go(with(&["sel", "info"], &tl, &["--format", "csv"]));
    assert!(o.status.success() && err.is_empty());
    // The CGI cannot clear: said so, exit 3, nothing cleared.
    let (o, out, err) = go(with(&["sel", "clear", "--yes-clear"], &tw, &[]));
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(
        err.contains("`sel clear` is not supported by this source kind (supermicro)"),
        "{err}"
    );
    // ipmi and redfish clear, and then hold nothing.
    for t in [&tl, &tr] {
        let (o, out, err) = go(with(&["sel", "clear", "--yes-clear"], t, &[]));
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(out.ends_with(": SEL cleared\n"), "{out}");
        let (o, out, err) = go(with(&["sel", "info"], t, &["--format", "jsonl"]));
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert_eq!(jsonl(&out)[0]["entries"], 0, "{t:?}");
    }
    let (o, out, _) = go(with(&["sel", "info"], &tw, &["--format", "jsonl"]));
    assert!(o.status.success());
    assert_eq!(
        jsonl(&out)[0]["entries"],
        fw.len(),
        "the CGI's SEL is untouched"
    );
}
