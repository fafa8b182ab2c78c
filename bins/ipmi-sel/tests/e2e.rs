//! End-to-end: the `ipmi-sel` binary against simulated BMCs on 127.0.0.1
//! (ephemeral port), with faults. The simulator runs in this test process
//! (`bmc_sim::spawn`, its own thread and runtime): cargo builds no binary
//! of a dependency, so a test here cannot rely on the `bmc-sim` executable
//! existing; the binary itself is tested in `crates/bmc-sim/tests/cli.rs`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

const PW: &str = "sim-Pa55word";
const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");

struct Sim {
    server: bmc_sim::SimServer,
    addr: String,
}

impl Sim {
    fn start(count: usize) -> Sim {
        let cfg = bmc_sim::SimConfig {
            count,
            password: PW.into(),
            page_size: 4,
            ..Default::default()
        };
        let server =
            bmc_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap()).expect("start the simulator");
        let addr = server.addr.to_string();
        Sim { server, addr }
    }

    fn url(&self, n: usize) -> String {
        self.server.url(n)
    }

    /// POST to the control API with a plain TCP client.
    fn control(&self, n: usize, op: &str, body: &str) {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "POST /bmc/{n}/_sim/{op} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    }
}

fn ipmi_sel(args: &[&str], pw: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("E2E_BMC_PW", pw)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!out.contains(PW) && !err.contains(PW), "password leaked");
    (out, err)
}

fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn fetch_shows_decoded_pci_errors() {
    let sim = Sim::start(2);
    let u = sim.url(0);
    let o = ipmi_sel(
        &[
            "fetch",
            "--url",
            &u,
            "--password-env",
            "E2E_BMC_PW",
            "--format",
            "jsonl",
        ],
        PW,
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let evs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(evs.len(), 14);
    let pci: Vec<_> = evs
        .iter()
        .filter(|e| e["sensor_type_code"] == 0x13)
        .collect();
    assert_eq!(pci.len(), 2);
    assert_eq!(pci[0]["description"], "PCI SERR @Bus80(DevFn12)");
    assert_eq!(pci[0]["bus"], 0x80);
    assert_eq!(pci[0]["devfn"], 0x12);
    assert_eq!(pci[0]["severity"], "critical");
    for k in [
        "record_id",
        "ts",
        "sensor_type_code",
        "sensor_type",
        "sensor_number",
        "event_type_code",
        "direction",
        "description",
        "severity",
    ] {
        assert!(pci[0].get(k).is_some(), "missing {k}");
    }
    // Table and --fail-on: exit 1 when a critical entry is present.
    let o = ipmi_sel(
        &[
            "fetch",
            "--url",
            &u,
            "--password-env",
            "E2E_BMC_PW",
            "--min-severity",
            "critical",
            "--fail-on",
            "critical",
        ],
        PW,
    );
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.lines().next().unwrap().starts_with("host"), "{out}");
    assert!(
        out.contains("PCI SERR @Bus80(DevFn12)") && out.contains("PCI PERR @Bus80(DevFn10)"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 3);
    // Redfish (paged by 4) gives the same PCI errors, as CSV.
    let o = ipmi_sel(
        &[
            "fetch",
            "--url",
            &u,
            "--kind",
            "redfish",
            "--password-env",
            "E2E_BMC_PW",
            "--format",
            "csv",
            "--min-severity",
            "critical",
        ],
        PW,
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(
        rows[1].contains(",PCI SERR @Bus80(DevFn12),critical,128,18,"),
        "{}",
        rows[1]
    );
}

#[test]
fn fetch_errors_name_the_host_and_exit_2() {
    let sim = Sim::start(2);
    let o = ipmi_sel(
        &[
            "fetch",
            "--url",
            &sim.url(0),
            "--password-env",
            "E2E_BMC_PW",
        ],
        "wrong",
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("login failed"), "{err}");
    assert!(err.contains(&sim.addr), "{err}");
    sim.control(1, "faults", r#"{"truncated": true}"#);
    let o = ipmi_sel(
        &[
            "fetch",
            "--url",
            &sim.url(1),
            "--password-env",
            "E2E_BMC_PW",
        ],
        PW,
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("broken SEL XML"), "{err}");
    // Password on the command line is not even an option.
    let o = ipmi_sel(&["fetch", "--url", &sim.url(0), "--password", PW], PW);
    assert_eq!(o.status.code(), Some(3));
    // No password reference at all: usage error.
    let o = ipmi_sel(&["fetch", "--url", &sim.url(0)], PW);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3));
    assert!(err.contains("--password-env"), "{err}");
}

fn write_inventory(dir: &Path, sim: &Sim, dead: u16) -> std::path::PathBuf {
    let mut t = format!(
        "[settings]\nconcurrency = 3\ntimeout_secs = 5\nmin_severity = \"critical\"\nstate_dir = \"state\"\n\n\
         [[sink]]\ntype = \"jsonl\"\npath = \"alerts.jsonl\"\n\n\
         [[sink]]\ntype = \"command\"\nargv = [\"sh\", \"-c\", \"cat >> {}\"]\n\n",
        dir.join("cmd.jsonl").display()
    );
    for n in 0..4 {
        t.push_str(&format!(
            "[[host]]\nname = \"bmc{n}\"\nkind = \"supermicro\"\nurl = \"{}\"\nuser = \"ADMIN\"\npassword_env = \"E2E_BMC_PW\"\n\n",
            sim.url(n)
        ));
    }
    t.push_str(&format!(
        "[[host]]\nname = \"rf3\"\nkind = \"redfish\"\nurl = \"{}\"\nuser = \"ADMIN\"\npassword_file = \"pw\"\n\n",
        sim.url(3)
    ));
    t.push_str(&format!(
        "[[host]]\nname = \"dead\"\nkind = \"supermicro\"\nurl = \"http://127.0.0.1:{dead}\"\nuser = \"ADMIN\"\npassword_env = \"E2E_BMC_PW\"\n"
    ));
    let p = dir.join("fleet.toml");
    std::fs::write(&p, t).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, format!("{PW}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

fn lines(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn event_alerts(v: &[serde_json::Value]) -> Vec<String> {
    v.iter()
        .filter(|a| a["alert"] == "event")
        .map(|a| {
            format!(
                "{} {}",
                a["host"].as_str().unwrap(),
                a["description"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn watch_alerts_once_across_restarts_with_faults_and_down_host() {
    let sim = Sim::start(4);
    let d = tempfile::tempdir().unwrap();
    let inv = write_inventory(d.path(), &sim, dead_port());
    let inv_s = inv.to_str().unwrap();
    let watch = || ipmi_sel(&["watch", "--inventory", inv_s, "--once"], PW);

    // Run 1: PCI errors of bmc0 and bmc3 (twice for bmc3: CGI and Redfish);
    // the dead host is reported, everything else still polled.
    let o = watch();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("dead: cannot connect"), "{err}");
    let a = lines(&d.path().join("alerts.jsonl"));
    let mut ev = event_alerts(&a);
    ev.sort();
    assert_eq!(
        ev,
        [
            "bmc0 PCI PERR @Bus80(DevFn10)",
            "bmc0 PCI SERR @Bus80(DevFn12)",
            "bmc3 PCI PERR @Bus83(DevFn10)",
            "bmc3 PCI SERR @Bus83(DevFn12)",
            "rf3 PCI PERR @Bus83(DevFn10)",
            "rf3 PCI SERR @Bus83(DevFn12)",
        ]
    );
    assert_eq!(a.iter().filter(|x| x["alert"] == "host_down").count(), 1);
    // The command sink saw the same alerts.
    assert_eq!(lines(&d.path().join("cmd.jsonl")).len(), a.len());

    // Run 2 (a restart): nothing new.
    let o = watch();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(lines(&d.path().join("alerts.jsonl")).len(), a.len());

    // Faults: bmc1 answers 500, bmc0's session expires mid-run, bmc3 is slow;
    // bmc2 gets a new PCI error, which must alert exactly once.
    sim.control(1, "faults", r#"{"http_500": true}"#);
    sim.control(0, "faults", r#"{"expire_once": true, "csrf": true}"#);
    sim.control(3, "faults", r#"{"slow_ms": 150}"#);
    sim.control(2, "add", "0000021fe3035d33000413006fa58a12");
    let o = watch();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("bmc1: HTTP 500"), "{err}");
    let a2 = lines(&d.path().join("alerts.jsonl"));
    let new: Vec<_> = a2[a.len()..].to_vec();
    assert_eq!(event_alerts(&new), ["bmc2 PCI SERR @Bus8A(DevFn12)"]);
    assert_eq!(
        new.iter()
            .filter(|x| x["alert"] == "host_down" && x["host"] == "bmc1")
            .count(),
        1
    );

    // SEL of bmc0 cleared, then a new PCI error reuses record id 2.
    sim.control(0, "faults", "{}");
    sim.control(1, "faults", "{}");
    sim.control(0, "clear", "");
    sim.control(0, "add", "000002aaaaaa6a33000413006fa59112");
    let o = watch();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let a3 = lines(&d.path().join("alerts.jsonl"));
    let new: Vec<_> = a3[a2.len()..].to_vec();
    assert_eq!(event_alerts(&new), ["bmc0 PCI SERR @Bus91(DevFn12)"]);
    assert_eq!(
        new.iter()
            .filter(|x| x["alert"] == "host_up" && x["host"] == "bmc1")
            .count(),
        1
    );
    // And once more: quiet.
    let _ = watch();
    assert_eq!(lines(&d.path().join("alerts.jsonl")).len(), a3.len());
}

#[test]
fn check_plugin_against_the_simulator() {
    let sim = Sim::start(2);
    let check = |n: usize, extra: &[&str], pw: &str| {
        let u = sim.url(n);
        let mut args = vec!["check", "--url", u.as_str(), "--password-env", "E2E_BMC_PW"];
        args.extend_from_slice(extra);
        let o = ipmi_sel(&args, pw);
        let (out, _) = text(&o);
        (o.status.code(), out)
    };
    // Fixture times are in November 2026; a wide window includes them.
    let (code, out) = check(0, &["--window", "36500d"], PW);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.starts_with("IPMI-SEL CRITICAL - 2 critical, 6 warning"),
        "{out}"
    );
    assert!(
        out.contains(" | critical=2;;1;0 warning=6;1;;0 records=14;;;0"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1);
    let (code, out) = check(1, &["--window", "36500d"], PW);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.starts_with("IPMI-SEL WARNING - 0 critical, 6 warning"),
        "{out}"
    );
    let (code, out) = check(1, &["--window", "36500d"], "wrong");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.starts_with("IPMI-SEL UNKNOWN") && out.contains("login failed"),
        "{out}"
    );
    sim.control(1, "faults", r#"{"html_error": true}"#);
    let (code, out) = check(1, &[], PW);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("HTML page"), "{out}");
    // Usage error is UNKNOWN too.
    let o = ipmi_sel(&["check", "--window", "soon"], PW);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn decode_cli_inputs_and_help() {
    let d = tempfile::tempdir().unwrap();
    let bin = d.path().join("sel.bin");
    let mut raw = Vec::new();
    for h in [
        "020002124c015d33000413006fa58012",
        "0100029e40c45c20000405516ff0ffff",
    ] {
        for i in 0..16 {
            raw.push(u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap());
        }
    }
    std::fs::write(&bin, &raw).unwrap();
    let bad = d.path().join("bad.bin");
    std::fs::write(&bad, &raw[..20]).unwrap();
    let notes = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/ipmi/supermicro_sel_info_notes.xml"
    );
    let o = ipmi_sel(
        &[
            "decode",
            "--format",
            "jsonl",
            bin.to_str().unwrap(),
            bad.to_str().unwrap(),
            notes,
            "0a000200000060010004 0c 08 6f b1 ff 03",
        ],
        "",
    );
    let (out, err) = text(&o);
    // The bad file is reported (exit 2) and the other inputs still decoded.
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("bad.bin: byte offset 16: truncated record"),
        "{err}"
    );
    assert_eq!(out.lines().count(), 2 + 17 + 1);
    for sub in ["decode", "fetch", "watch", "check"] {
        let o = ipmi_sel(&[sub, "--help"], "");
        let (out, _) = text(&o);
        assert_eq!(o.status.code(), Some(0));
        assert!(
            out.contains("Exit codes") && out.contains("Examples"),
            "{sub}: {out}"
        );
    }
}

/// Issue 17: a url without a scheme means https:// (documented); when the
/// BMC answers plain HTTP there, the error says so and what to write,
/// instead of rustls' "received corrupt message". Both source kinds.
#[test]
fn a_bare_url_is_https_and_a_plain_http_answer_is_named() {
    let sim = Sim::start(1);
    let url = sim.url(0);
    let bare = url.trim_start_matches("http://");
    for kind in ["supermicro", "redfish"] {
        for u in [bare.to_string(), format!("https://{bare}")] {
            let o = ipmi_sel(
                &[
                    "fetch",
                    "--kind",
                    kind,
                    "--url",
                    &u,
                    "--password-env",
                    "E2E_BMC_PW",
                ],
                PW,
            );
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(2), "{kind} {u}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            let want = format!(
                "the BMC answered plain HTTP on {}, not HTTPS; write {url} if that is intended",
                sim.addr
            );
            assert!(err.contains(&want), "{kind} {u}: {err}");
            assert!(!err.contains("corrupt message"), "{err}");
        }
    }
    // Written as http://, it works.
    let o = ipmi_sel(
        &["fetch", "--url", &url, "--password-env", "E2E_BMC_PW"],
        PW,
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}
