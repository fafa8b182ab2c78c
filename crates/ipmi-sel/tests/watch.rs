//! Watch-mode logic with offline sources (files the test rewrites between
//! "runs"): exactly-once alerting across restarts, SEL clear, record-id wrap,
//! sink failure retry, down hosts, inventory validation and check mode.

use std::path::Path;
use std::sync::Arc;

use ipmi_sel::decode;
use ipmi_sel::watch::{self, Inventory, Sinks};

/// A system event record: PCI SERR (critical) with the given id and time.
fn serr(id: u16, ts: u32, bus: u8) -> String {
    let mut r = [0u8; 16];
    r[0..2].copy_from_slice(&id.to_le_bytes());
    r[2] = 2;
    r[3..7].copy_from_slice(&ts.to_le_bytes());
    r[7] = 0x33;
    r[9] = 4;
    r[10] = 0x13;
    r[12] = 0x6f;
    r[13] = 0xa5;
    r[14] = bus;
    r[15] = 0x12;
    decode::hex(&r)
}

/// Power button pressed (info).
fn button(id: u16, ts: u32) -> String {
    let mut r = [0u8; 16];
    r[0..2].copy_from_slice(&id.to_le_bytes());
    r[2] = 2;
    r[3..7].copy_from_slice(&ts.to_le_bytes());
    r[7] = 0x20;
    r[9] = 4;
    r[10] = 0x14;
    r[12] = 0x6f;
    r[13] = 0x00;
    r[14] = 0xff;
    r[15] = 0xff;
    decode::hex(&r)
}

fn write_sel(p: &Path, recs: &[String]) {
    std::fs::write(p, recs.join("\n")).unwrap();
}

fn inventory(dir: &Path, extra: &str) -> Inventory {
    let text = format!(
        r#"
[settings]
concurrency = 2
min_severity = "critical"
state_dir = "state"

[[host]]
name = "a"
kind = "offline"
path = "a.hex"

[[host]]
name = "b"
kind = "offline"
path = "b.hex"

[[host]]
name = "gone"
kind = "offline"
path = "missing.hex"

[[sink]]
type = "jsonl"
path = "alerts.jsonl"
{extra}
"#
    );
    let p = dir.join("fleet.toml");
    std::fs::write(&p, &text).unwrap();
    Inventory::load(&p).unwrap()
}

/// One "process run": fresh inventory, sinks and state loaded from disk.
async fn run(dir: &Path, extra: &str) -> Vec<watch::PollReport> {
    let inv = inventory(dir, extra);
    let sinks = Sinks::new(inv.sinks.clone()).unwrap();
    watch::poll_once(&inv, &sinks, Arc::new(|_: &str| {})).await
}

fn alerts(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("alerts.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const T0: u32 = 1_790_000_000;

#[tokio::test]
async fn each_event_alerts_once_across_restarts_clear_and_wrap() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_sel(&dir.join("a.hex"), &[button(1, T0), serr(2, T0 + 10, 0x80)]);
    write_sel(&dir.join("b.hex"), &[button(1, T0)]);

    // Run 1: one PCI error on a; host "gone" reported down, a and b still polled.
    let reps = run(dir, "").await;
    assert_eq!(reps.len(), 3);
    assert_eq!(reps[0].alerted, 1);
    assert_eq!(reps[1].alerted, 0);
    let gone = reps[2].error.as_deref().unwrap();
    assert!(gone.contains("missing.hex"), "{gone}");
    let a = alerts(dir);
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(a[0]["alert"], "event");
    assert_eq!(a[0]["host"], "a");
    assert_eq!(a[0]["bus"], 0x80);
    assert_eq!(a[1]["alert"], "host_down");
    assert_eq!(a[1]["host"], "gone");

    // Run 2 (restart, nothing changed): no alert at all, the down host is
    // not re-announced.
    let reps = run(dir, "").await;
    assert_eq!(reps.iter().map(|r| r.alerted).sum::<usize>(), 0);
    assert_eq!(alerts(dir).len(), 2);

    // Run 3: a new PCI error on b alerts exactly once.
    write_sel(&dir.join("b.hex"), &[button(1, T0), serr(2, T0 + 99, 0x81)]);
    let reps = run(dir, "").await;
    assert_eq!(reps[1].alerted, 1);
    let reps = run(dir, "").await;
    assert_eq!(reps[1].alerted, 0);
    assert_eq!(alerts(dir).len(), 3);

    // Run 4: SEL of a cleared; record ids restart and id 2 is reused by a
    // different (later) PCI error: that one alerts, nothing old does.
    write_sel(
        &dir.join("a.hex"),
        &[button(1, T0 + 500), serr(2, T0 + 510, 0x82)],
    );
    let reps = run(dir, "").await;
    assert_eq!(reps[0].alerted, 1);
    let a = alerts(dir);
    assert_eq!(a.len(), 4);
    assert_eq!(a[3]["bus"], 0x82);

    // Run 5: record ids wrap from 0xFFFF to 0x0001 on b.
    write_sel(
        &dir.join("b.hex"),
        &[
            serr(0xFFFE, T0 + 600, 0x90),
            serr(0xFFFF, T0 + 601, 0x91),
            serr(1, T0 + 602, 0x92),
        ],
    );
    let reps = run(dir, "").await;
    assert_eq!(reps[1].alerted, 3);
    let reps = run(dir, "").await;
    assert_eq!(reps[1].alerted, 0);
    // The missing host comes back: "host_up" once.
    write_sel(&dir.join("missing.hex"), &[button(1, T0)]);
    let reps = run(dir, "").await;
    assert!(reps[2].error.is_none());
    let a = alerts(dir);
    assert_eq!(a.last().unwrap()["alert"], "host_up");
    assert_eq!(a.len(), 4 + 3 + 1);
    // State files exist, one per host (plus the lock file).
    let n = std::fs::read_dir(dir.join("state"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".state.json")
        })
        .count();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn a_second_watcher_on_the_same_state_dir_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_sel(&dir.join("a.hex"), &[serr(1, T0, 0x80)]);
    let held = watch::lock_state_dir(&dir.join("state")).unwrap();
    let reps = run(dir, "").await;
    assert!(
        reps.iter().all(|r| r
            .error
            .as_deref()
            .unwrap()
            .contains("another ipmi-sel watch")),
        "{reps:?}"
    );
    assert!(alerts(dir).is_empty());
    drop(held);
    let reps = run(dir, "").await;
    assert_eq!(reps[0].alerted, 1);
}

#[tokio::test]
async fn failed_sink_delivery_is_retried_next_run() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_sel(&dir.join("a.hex"), &[serr(1, T0, 0x80)]);
    write_sel(&dir.join("b.hex"), &[button(1, T0)]);
    write_sel(&dir.join("missing.hex"), &[button(1, T0)]);
    let failing = "[[sink]]\ntype = \"command\"\nargv = [\"false\"]\n";
    let reps = run(dir, failing).await;
    assert_eq!(reps[0].alerted, 0);
    assert_eq!(reps[0].sink_errors.len(), 1, "{:?}", reps[0].sink_errors);
    assert!(reps[0].sink_errors[0].contains("command sink false"));
    // The jsonl sink got it, but the event is not remembered as handled...
    assert_eq!(alerts(dir).len(), 1);
    // ...so a run with a working command sink delivers it (once).
    let out = dir.join("cmd.out");
    let ok = format!(
        "[[sink]]\ntype = \"command\"\nargv = [\"sh\", \"-c\", \"cat >> {}\"]\n",
        out.display()
    );
    // Not delivered: not counted in the persisted totals yet.
    let pci = |reps: &[watch::PollReport]| reps[0].totals.as_ref().unwrap().pci_errors_total;
    assert_eq!(pci(&reps), 0);
    let reps = run(dir, &ok).await;
    assert_eq!(reps[0].alerted, 1);
    assert_eq!(pci(&reps), 1);
    let reps = run(dir, &ok).await;
    assert_eq!(reps[0].alerted, 0);
    // Counted once, and read back from the state file by a new run.
    assert_eq!(pci(&reps), 1);
    let totals = reps[0].totals.as_ref().unwrap();
    assert_eq!(totals.events_total["critical"]["Critical Interrupt"], 1);
    let got = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(got.trim()).unwrap();
    assert_eq!(v["description"], "PCI SERR @Bus80(DevFn12)");
    assert_eq!(got.lines().count(), 1);
}

#[tokio::test]
async fn baseline_records_existing_events_silently() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_sel(&dir.join("a.hex"), &[serr(1, T0, 0x80)]);
    write_sel(&dir.join("b.hex"), &[button(1, T0)]);
    let inv_text = "[settings]\nbaseline = true\nstate_dir = \"st\"\n[[host]]\nname = \"a\"\nkind = \"offline\"\npath = \"a.hex\"\n[[sink]]\ntype = \"jsonl\"\npath = \"alerts.jsonl\"\n";
    std::fs::write(dir.join("base.toml"), inv_text).unwrap();
    let inv = Inventory::load(&dir.join("base.toml")).unwrap();
    let sinks = Sinks::new(inv.sinks.clone()).unwrap();
    let r = watch::poll_once(&inv, &sinks, Arc::new(|_: &str| {})).await;
    assert_eq!((r[0].new, r[0].alerted), (1, 0));
    write_sel(
        &dir.join("a.hex"),
        &[serr(1, T0, 0x80), serr(2, T0 + 5, 0x81)],
    );
    let r = watch::poll_once(&inv, &sinks, Arc::new(|_: &str| {})).await;
    assert_eq!((r[0].new, r[0].alerted), (1, 1));
}

#[test]
fn inventory_validation() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("inv.toml");
    let load = |t: &str| {
        std::fs::write(&p, t).unwrap();
        Inventory::load(&p).map(|_| ()).unwrap_err().to_string()
    };
    let e = load(
        "[[host]]\nname = \"x\"\nkind = \"supermicro\"\nurl = \"https://h\"\nuser = \"ADMIN\"\npassword = \"hunter2\"\n",
    );
    assert!(e.contains("inline passwords are not allowed"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    let e = load(
        "[[host]]\nname = \"x\"\nkind = \"supermicro\"\nurl = \"https://h\"\nuser = \"ADMIN\"\n",
    );
    assert!(
        e.contains("exactly one of password_env or password_file"),
        "{e}"
    );
    let e = load("[settings]\nconcurrency = 5\n\n[[host]]\nname = \"x\"\nkind = \"ipmb\"\n");
    assert!(
        e.contains("inv.toml: line 6: unknown variant `ipmb`"),
        "{e}"
    );
    let ipmi = |extra: &str| {
        load(&format!(
            "[[host]]\nname = \"x\"\nkind = \"ipmi\"\nuser = \"admin\"\npassword_env = \"P\"\n{extra}"
        ))
    };
    let e = ipmi("url = \"https://h\"\n");
    assert!(
        e.contains("kind ipmi needs url = \"ipmi://HOST[:PORT]\""),
        "{e}"
    );
    let e = ipmi("url = \"ipmi://h\"\ncipher_suite = 1\n");
    assert!(
        e.contains("cipher_suite 1 is not supported; use 17 or 3"),
        "{e}"
    );
    let e = load(
        "[[host]]\nname = \"x\"\nkind = \"redfish\"\nurl = \"https://h\"\nuser = \"a\"\npassword_env = \"P\"\ncipher_suite = 3\n",
    );
    assert!(e.contains("only for kind ipmi"), "{e}");
    let e = load(
        "[[host]]\nname = \"x\"\nkind = \"offline\"\npath = \"a\"\n[[host]]\nname = \"x\"\nkind = \"offline\"\npath = \"b\"\n",
    );
    assert!(e.contains("duplicate host name"), "{e}");
}

#[test]
fn password_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let pw = d.path().join("pw");
    std::fs::write(&pw, "hunter2\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = ipmi_sel::source::SecretRef::File(pw.clone()).load("host x");
    let e = r.unwrap_err().to_string();
    assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
    assert!(!e.contains("hunter2"));
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let s = ipmi_sel::source::SecretRef::File(pw)
        .load("host x")
        .unwrap();
    assert_eq!(s.expose(), "hunter2");
    assert_eq!(format!("{s:?}"), "Secret(***)");
}

#[test]
fn nagios_check_states_and_perfdata() {
    use ipmi_sel::{Error, Event};
    let now = i64::from(T0) + 3600;
    let ev = |hex: &str| -> Vec<Event> {
        let mut v = ipmi_sel::parse::parse_hex(hex, "t").unwrap();
        for e in &mut v {
            e.host = Some("h1".into());
        }
        v
    };
    let ok = vec![("h1".to_string(), Ok(ev(&button(1, T0))))];
    let r = watch::check(&ok, now, 86_400);
    assert_eq!(r.code, 0);
    assert!(
        r.line
            .starts_with("IPMI-SEL OK - 0 critical, 0 warning in the last 24h on 1 host(s) | "),
        "{}",
        r.line
    );
    let crit = vec![("h1".to_string(), Ok(ev(&serr(2, T0 + 10, 0x80))))];
    let r = watch::check(&crit, now, 86_400);
    assert_eq!(r.code, 2);
    assert!(r.line.contains("h1 PCI SERR @Bus80(DevFn12)"), "{}", r.line);
    assert!(
        r.line.ends_with(
            "critical=1;;1;0 warning=0;1;;0 records=1;;;0 hosts=1;;;0 hosts_failed=0;;;0"
        ),
        "{}",
        r.line
    );
    // Outside the window: OK again.
    let r = watch::check(&crit, now + 2 * 86_400, 86_400);
    assert_eq!(r.code, 0);
    // A host that cannot be read: UNKNOWN, unless something is critical.
    let down = || {
        (
            "h2".to_string(),
            Err(Error::LoginFailed { host: "h2".into() }),
        )
    };
    let r = watch::check(&[ok[0].clone_ok(), down()], now, 86_400);
    assert_eq!(r.code, 3);
    assert!(
        r.line.contains("1 unreadable: h2: login failed"),
        "{}",
        r.line
    );
    let r = watch::check(&[crit[0].clone_ok(), down()], now, 86_400);
    assert_eq!(r.code, 2);
    assert_eq!(r.line.lines().count(), 1);
}

trait CloneOk {
    fn clone_ok(&self) -> (String, Result<Vec<ipmi_sel::Event>, ipmi_sel::Error>);
}
impl CloneOk for (String, Result<Vec<ipmi_sel::Event>, ipmi_sel::Error>) {
    fn clone_ok(&self) -> (String, Result<Vec<ipmi_sel::Event>, ipmi_sel::Error>) {
        (self.0.clone(), Ok(self.1.as_ref().unwrap().clone()))
    }
}

#[test]
fn durations() {
    assert_eq!(watch::parse_duration("90s").unwrap().as_secs(), 90);
    assert_eq!(watch::parse_duration("5m").unwrap().as_secs(), 300);
    assert_eq!(watch::parse_duration("24h").unwrap().as_secs(), 86_400);
    assert_eq!(watch::parse_duration("7d").unwrap().as_secs(), 604_800);
    assert_eq!(watch::parse_duration("12").unwrap().as_secs(), 12);
    assert!(watch::parse_duration("5w").is_none());
    assert!(watch::parse_duration("").is_none());
}

#[test]
fn sizes() {
    assert_eq!(watch::parse_size("4194304"), Some(4 << 20));
    assert_eq!(watch::parse_size("8MiB"), Some(8 << 20));
    assert_eq!(watch::parse_size("512KiB"), Some(512 << 10));
    assert_eq!(watch::parse_size("1g"), Some(1 << 30));
    assert_eq!(watch::parse_size("100k"), Some(100 << 10));
    assert!(watch::parse_size("8 parsecs").is_none());
    assert!(watch::parse_size("MiB").is_none());
    assert!(watch::parse_size("99999999999999999999G").is_none());
}

/// The limits are inventory settings with documented defaults.
#[test]
fn limit_settings_and_defaults() {
    let inv = Inventory::parse(
        "[settings]\nmax_body_bytes = 1024\npoll_deadline_secs = 7\nmax_pages = 3\nmax_entries = 10\n",
        Path::new("/x/fleet.toml"),
    )
    .unwrap();
    let l = inv.settings.limits();
    assert_eq!(
        (l.max_body_bytes, l.max_pages, l.max_entries),
        (1024, 3, 10)
    );
    assert_eq!(inv.settings.poll_deadline_secs, 7);
    let d = watch::Settings::default();
    assert_eq!(d.limits(), ipmi_sel::source::Limits::default());
    assert_eq!(d.max_body_bytes, 4 << 20);
    assert_eq!(d.poll_deadline_secs, 120);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn inventory_parser_never_panics(text in "[\\[\\]a-z_=\"0-9 \\n.#-]{0,300}") {
            let _ = Inventory::parse(&text, Path::new("fuzz.toml"));
        }

        #[test]
        fn redfish_members_of_any_shape_never_panic(
            id in proptest::option::of("[0-9a-z]{0,6}"),
            created in "[0-9TZ:+-]{0,30}",
            st in "[A-Za-z /]{0,30}",
            num in proptest::option::of(any::<i64>()),
            code in "[A-Za-z]{0,12}",
            msg in ".{0,60}",
            sev in "[A-Za-z]{0,10}",
        ) {
            let m = serde_json::json!({
                "Id": id, "EntryType": "SEL", "Created": created, "SensorType": st,
                "SensorNumber": num, "EntryCode": code, "Message": msg, "Severity": sev,
                "OemSensorType": st,
            });
            let doc = serde_json::json!({"Members": [m.clone(), m]}).to_string();
            let (evs, _) = ipmi_sel::parse::parse_redfish_entries(&doc, "fuzz").unwrap();
            prop_assert_eq!(evs.len(), 2);
            for n in (0..doc.len()).step_by(9) {
                if doc.is_char_boundary(n) {
                    let _ = ipmi_sel::parse::parse_redfish_entries(&doc[..n], "fuzz");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_sink_posts_json_with_bearer_token_and_failures_retry() {
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::Mutex;
    type Got = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;
    let got: Got = Arc::new(Mutex::new(Vec::new()));
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (g2, f2) = (got.clone(), fail.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |h: HeaderMap, body: String| {
            let (g, f) = (g2.clone(), f2.clone());
            async move {
                if f.load(std::sync::atomic::Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let auth = h
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string());
                g.lock()
                    .unwrap()
                    .push((auth, serde_json::from_str(&body).unwrap()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(l, app).await });

    let d = tempfile::tempdir().unwrap();
    let dir = d.path().to_path_buf();
    write_sel(&dir.join("a.hex"), &[serr(1, T0, 0x80)]);
    write_sel(&dir.join("b.hex"), &[button(1, T0)]);
    write_sel(&dir.join("missing.hex"), &[button(1, T0)]);
    // PATH is always set; its value stands in for a token here.
    let sink = format!(
        "[[sink]]\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\ntoken_env = \"PATH\"\n"
    );
    let reps = run(&dir, &sink).await;
    assert_eq!(reps[0].alerted, 0);
    assert!(
        reps[0].sink_errors[0].contains("HTTP 503"),
        "{:?}",
        reps[0].sink_errors
    );
    fail.store(false, std::sync::atomic::Ordering::SeqCst);
    let reps = run(&dir, &sink).await;
    assert_eq!(reps[0].alerted, 1);
    let reps = run(&dir, &sink).await;
    assert_eq!(reps[0].alerted, 0);
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let want = format!("Bearer {}", std::env::var("PATH").unwrap());
    assert_eq!(got[0].0.as_deref(), Some(want.as_str()));
    assert_eq!(got[0].1["alert"], "event");
    assert_eq!(got[0].1["bus"], 0x80);
    server.abort();
}

/// Issue 17: a host whose password cannot be loaded is a configuration
/// error of this side, never a DOWN alert nor a failed poll in the
/// metrics; its state is left alone, the other hosts are polled.
#[tokio::test]
async fn a_missing_secret_is_a_configuration_error_not_a_down_host() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_sel(&dir.join("a.hex"), &[serr(1, T0, 0x80)]);
    write_sel(&dir.join("b.hex"), &[button(1, T0)]);
    write_sel(&dir.join("missing.hex"), &[button(1, T0)]);
    let pwf = dir.join("pw");
    std::fs::write(&pwf, "x\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pwf, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let extra = r#"
[[host]]
name = "nopw"
kind = "supermicro"
url = "https://192.0.2.1"
user = "ADMIN"
password_env = "IPMI_SEL_TEST_SURELY_UNSET_VAR"

[[host]]
name = "openpw"
kind = "redfish"
url = "https://192.0.2.2"
user = "ADMIN"
password_file = "pw"
"#;
    let reps = run(dir, extra).await;
    assert_eq!(reps.len(), 5);
    assert_eq!(reps[0].alerted, 1, "the other hosts are polled");
    for (r, want) in [
        (&reps[3], "IPMI_SEL_TEST_SURELY_UNSET_VAR"),
        (&reps[4], "chmod 600"),
    ] {
        assert!(r.error.is_none(), "{r:?}");
        let c = r.config_error.as_deref().unwrap();
        assert!(c.starts_with(&format!("host {}: ", r.host)), "{c}");
        assert!(c.contains(want), "{c}");
    }
    let a = alerts(dir);
    assert!(
        a.iter().all(|x| x["alert"] != "host_down"),
        "no DOWN alert: {a:?}"
    );
    // No state file for a host that was never asked.
    let st = watch::state_path(&dir.join("state"), "nopw");
    assert!(!st.exists());

    let m = ipmi_sel::exporter::Metrics::new().unwrap();
    m.record(&reps);
    let page = m.render();
    assert!(
        page.contains("ipmi_sel_config_error{host=\"nopw\"} 1"),
        "{page}"
    );
    assert!(
        page.contains("ipmi_sel_config_error{host=\"a\"} 0"),
        "{page}"
    );
    assert!(
        !page.contains("ipmi_sel_last_poll_success{host=\"nopw\"}"),
        "not a failed poll: {page}"
    );
    assert!(page.contains("ipmi_sel_last_poll_success{host=\"a\"} 1"));
}

/// Issue 17: URLs are checked when the inventory is loaded (before any
/// poll), with the host and what to write instead.
#[test]
fn inventory_urls_are_checked_at_load() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("inv.toml");
    let load = |t: &str| {
        std::fs::write(&p, t).unwrap();
        Inventory::load(&p).map(|_| ()).unwrap_err().to_string()
    };
    let host = |kind: &str, url: &str| {
        load(&format!(
            "[[host]]\nname = \"x\"\nkind = \"{kind}\"\nurl = \"{url}\"\nuser = \"a\"\npassword_env = \"P\"\n"
        ))
    };
    let e = host("supermicro", "ftp://h");
    assert!(
        e.contains("host #1 (\"x\")") && e.contains("https://"),
        "{e}"
    );
    let e = host("redfish", "ipmi://h");
    assert!(e.contains("kind ipmi"), "{e}");
    let e = host("supermicro", "https://[::1");
    assert!(e.contains("is not valid"), "{e}");
    let e = host("ipmi", "ipmi://a:b:c");
    assert!(e.contains("ipmi://HOST[:PORT]"), "{e}");
}
