//! The native RMCP+ client (`ipmi_sel::lan`) against two BMCs:
//!
//! * OpenIPMI's `ipmi_sim` (a real BMC simulator process; lanplus with
//!   cipher suite 3: Debian's OpenIPMI 2.0.33 has no RAKP-HMAC-SHA256 and
//!   answers suite 17 with "invalid authentication algorithm"), compared
//!   record for record with `ipmitool -I lanplus sel elist` and `sel get`;
//! * the in-process UDP simulator of `bmc_sim::lan`, which speaks suites 3
//!   and 17 and can go quiet or refuse long reads; `ipmitool -C 17` reading
//!   it checks its SHA-256 handshake independently of our client.
//!
//! Tests needing `ipmi_sim`/`ipmitool` skip with a message when they are
//! missing, unless `NETOPS_REQUIRE_PEERS=1`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bmc_sim::lan::{LanBmc, fixture_sdrs, spawn_lan};
use ipmi_sel::lan::wire::CipherSuite;
use ipmi_sel::lan::{LanError, LanOptions, LanSource, Session};
use ipmi_sel::source::{Credentials, Secret, SelSource};
use ipmi_sel::{Error, Event};

const PW: &str = "lan-Pa55word";

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn peers_or_skip(tools: &[&str]) -> bool {
    let missing: Vec<_> = tools.iter().filter(|t| !have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("peer tools missing: {missing:?} (install Debian packages openipmi and ipmitool)");
    }
    eprintln!("skipping: peer tools missing: {missing:?} (Debian packages openipmi, ipmitool)");
    false
}

fn opts(suite: Option<CipherSuite>) -> LanOptions {
    LanOptions {
        cipher_suite: suite,
        timeout: Duration::from_millis(500),
        retries: 3,
        ..LanOptions::default()
    }
}

fn creds(user: &str, pw: &str) -> Credentials {
    Credentials {
        user: user.into(),
        password: Secret::new(pw),
    }
}

fn lan_err(e: Error) -> LanError {
    match e {
        Error::Lan(b) => *b,
        other => panic!("not a LAN error: {other}"),
    }
}

async fn fetch(
    name: &str,
    url: &str,
    user: &str,
    pw: &str,
    suite: Option<CipherSuite>,
) -> Result<Vec<Event>, Error> {
    LanSource::new(name, url, creds(user, pw), opts(suite))?
        .fetch()
        .await
}

// ---------------------------------------------------------------- ipmi_sim

struct IpmiSim {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Drop for IpmiSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ipmi_sim` with user `admin`/[`PW`] (lanplus, suites the simulator
/// offers), the SDRs of `sdrs` in its main repository and `records` (bytes
/// 3..16) in its SEL.
fn start_ipmi_sim(records: &[[u8; 16]], sdrs: &[Vec<u8>]) -> IpmiSim {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let conf = format!(
        "name \"netops\"\nset_working_mc 0x20\n  startlan 1\n    addr 127.0.0.1 {port}\n    priv_limit admin\n\
         allowed_auths_callback none md2 md5 straight\n    allowed_auths_user none md2 md5 straight\n\
         allowed_auths_operator none md2 md5 straight\n    allowed_auths_admin none md2 md5 straight\n\
         guid a123456789abcdefa123456789abcdef\n  endlan\n\
         user 2 true \"admin\" \"{PW}\" admin 10 none md2 md5 straight\n"
    );
    let mut emu = String::from(
        "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nsel_enable 0x20 1000 0x0a\n",
    );
    for s in sdrs {
        emu.push_str("main_sdr_add 0x20");
        for b in s {
            emu.push_str(&format!(" 0x{b:02x}"));
        }
        emu.push('\n');
    }
    for r in records {
        emu.push_str(&format!("sel_add 0x20 0x{:02x}", r[2]));
        for b in &r[3..] {
            emu.push_str(&format!(" 0x{b:02x}"));
        }
        emu.push('\n');
    }
    emu.push_str("mc_enable 0x20\n");
    std::fs::write(dir.path().join("lan.conf"), conf).unwrap();
    std::fs::write(dir.path().join("cmds.emu"), emu).unwrap();
    let child = Command::new("ipmi_sim")
        .arg("-c")
        .arg(dir.path().join("lan.conf"))
        .arg("-f")
        .arg(dir.path().join("cmds.emu"))
        .args(["-n", "-p", "-s"])
        .arg(dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ipmi_sim");
    IpmiSim {
        child,
        _dir: dir,
        port,
    }
}

fn ipmitool(port: u16, suite: u8, pw: &str, args: &[&str]) -> std::process::Output {
    Command::new("ipmitool")
        .args(["-I", "lanplus", "-H", "127.0.0.1", "-p", &port.to_string()])
        .args([
            "-U",
            "admin",
            "-E",
            "-C",
            &suite.to_string(),
            "-N",
            "2",
            "-R",
            "3",
        ])
        .args(args)
        .env("IPMI_PASSWORD", pw)
        .env("TZ", "UTC")
        .output()
        .expect("run ipmitool")
}

/// Wait until `ipmi_sim` answers a lanplus session.
fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let o = ipmitool(port, 3, PW, &["sel", "info"]);
        if o.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "ipmi_sim did not answer: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `sel get ID` as (field, value) pairs.
fn sel_get(port: u16, suite: u8, id: u32) -> Vec<(String, String)> {
    let o = ipmitool(port, suite, PW, &["sel", "get", &format!("0x{id:04x}")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {k:?} in {f:?}"))
}

/// Compare our events with `sel elist` lines and `sel get` of each record.
fn assert_same_as_ipmitool(evs: &[Event], port: u16, suite: u8) {
    let o = ipmitool(port, suite, PW, &["sel", "elist"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" | ")).collect();
    assert_eq!(lines.len(), evs.len(), "ipmitool elist:\n{text}");
    let mut named = 0;
    for (e, line) in evs.iter().zip(&lines) {
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(
            u32::from_str_radix(f[0], 16).unwrap(),
            e.record_id,
            "{line}"
        );
        let raw = e.raw.as_deref().unwrap();
        let b: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let ts = u32::from_le_bytes([b[3], b[4], b[5], b[6]]);
        if ts < 0x2000_0000 {
            assert_eq!(f[1], "Pre-Init", "{line}");
            assert_eq!(f[2].parse::<u32>().unwrap(), ts, "{line}");
            assert_eq!(
                e.timestamp.as_deref(),
                Some(format!("pre-init +{ts}s").as_str())
            );
        } else {
            let t = e.timestamp.as_deref().unwrap();
            // ipmitool: MM/DD/YY(YY) | HH:MM:SS; ours: RFC 3339 UTC.
            let (date, time) = (f[1], f[2].trim_end_matches(" UTC"));
            let d: Vec<&str> = date.split('/').collect();
            let year = if d[2].len() == 2 {
                format!("20{}", d[2])
            } else {
                d[2].to_string()
            };
            let want = format!("{year}-{}-{}T{time}Z", d[0], d[1]);
            assert_eq!(t, want, "{line}");
        }
        let sensor = f[3];
        match (&e.sensor_name, e.record_type) {
            (Some(n), _) => {
                named += 1;
                assert!(sensor.ends_with(&format!(" {n}")), "{line} vs name {n:?}");
            }
            (None, Some(t)) if t < 0xc0 => {
                let num = e.sensor_number.unwrap();
                if num != 0 {
                    assert!(sensor.ends_with(&format!("#0x{num:02x}")), "{line}");
                }
            }
            _ => {}
        }
        if e.record_type.is_some_and(|t| t < 0xc0) {
            let dir = if e.direction.as_deref() == Some("deassertion") {
                "Deasserted"
            } else {
                "Asserted"
            };
            assert_eq!(f.get(5).copied(), Some(dir), "{line}");
        }
        let g = sel_get(port, suite, e.record_id);
        assert_eq!(
            u32::from_str_radix(field(&g, "SEL Record ID"), 16).unwrap(),
            e.record_id
        );
        assert_eq!(field(&g, "Record Type"), format!("{:02x}", b[2]));
        if b[2] < 0xc0 {
            assert_eq!(
                field(&g, "Generator ID"),
                format!("{:02x}{:02x}", b[8], b[7])
            );
            assert_eq!(field(&g, "EvM Revision"), format!("{:02x}", b[9]));
            assert_eq!(field(&g, "Sensor Number"), format!("{:02x}", b[11]));
            // "Event Data (RAW)" for decoded events, "Event Data" otherwise.
            let data = g
                .iter()
                .find(|(k, _)| k.starts_with("Event Data"))
                .map(|(_, v)| v.as_str());
            assert_eq!(
                data,
                Some(format!("{:02x}{:02x}{:02x}", b[13], b[14], b[15]).as_str())
            );
            let dir = if b[12] & 0x80 != 0 {
                "Deassertion Event"
            } else {
                "Assertion Event"
            };
            assert_eq!(field(&g, "Event Direction"), dir);
            if let Some(n) = &e.sensor_name {
                assert!(
                    field(&g, "Sensor ID").starts_with(&format!("{n} (")),
                    "{g:?}"
                );
            }
        }
    }
    assert!(named > 0, "no entry matched an SDR");
}

/// The fixture SEL of simulated BMC 0 (routine events, OEM records, PCI
/// SERR/PERR) plus an entry whose sensor has no SDR.
fn records() -> Vec<[u8; 16]> {
    let mut r = bmc_sim::fixture_records(0, 12);
    r.push([
        0, 0, 0x02, 0, 0, 0, 0, 0x20, 0, 4, 0x07, 0x09, 0x6f, 0x00, 0xff, 0xff,
    ]);
    r
}

#[test]
fn native_sel_equals_ipmitool_on_ipmi_sim() {
    if !peers_or_skip(&["ipmi_sim", "ipmitool"]) {
        return;
    }
    let recs = records();
    let sim = start_ipmi_sim(&recs, &fixture_sdrs());
    wait_ready(sim.port);
    let url = format!("ipmi://127.0.0.1:{}", sim.port);
    let rt = rt();
    // Unset suite: 17 first, refused by ipmi_sim, then 3.
    let evs = rt
        .block_on(fetch("ipmisim", &url, "admin", PW, None))
        .unwrap();
    assert_eq!(evs.len(), recs.len());
    for (e, r) in evs.iter().zip(&recs) {
        // ipmi_sim stamps the time itself; the rest is ours unchanged.
        assert_eq!(
            &e.raw.as_deref().unwrap()[14..],
            &ipmi_sel::decode::hex(&r[7..]),
            "{e:?}"
        );
        assert_eq!(e.host.as_deref(), Some("ipmisim"));
    }
    assert_same_as_ipmitool(&evs, sim.port, 3);
    let again = rt
        .block_on(fetch("ipmisim", &url, "admin", PW, Some(CipherSuite::Sha1)))
        .unwrap();
    assert_eq!(again, evs);
}

#[test]
fn ipmi_sim_login_failures_are_clear() {
    if !peers_or_skip(&["ipmi_sim", "ipmitool"]) {
        return;
    }
    let sim = start_ipmi_sim(&records()[..2], &[]);
    wait_ready(sim.port);
    let url = format!("ipmi://127.0.0.1:{}", sim.port);
    let rt = rt();
    let e = lan_err(
        rt.block_on(fetch("bmc-a", &url, "admin", "not-the-password", None))
            .unwrap_err(),
    );
    assert!(matches!(e, LanError::WrongPassword { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with("bmc-a: wrong password for user \"admin\""),
        "{msg}"
    );
    assert!(!msg.contains("not-the-password"));

    let e = lan_err(
        rt.block_on(fetch("bmc-a", &url, "nobody", PW, None))
            .unwrap_err(),
    );
    assert!(
        e.to_string().starts_with("bmc-a: ") && e.to_string().contains("nobody"),
        "{e}"
    );

    let e = lan_err(
        rt.block_on(fetch("bmc-a", &url, "admin", PW, Some(CipherSuite::Sha256)))
            .unwrap_err(),
    );
    assert!(matches!(e, LanError::UnsupportedCipherSuite { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with("bmc-a: the BMC does not support cipher suite 17")
            && msg.contains("invalid authentication algorithm")
            && msg.contains("--cipher-suite 3"),
        "{msg}"
    );
}

/// The README's example: `ipmi_sim` with the shipped configuration (its
/// port moved to a free one) read by `--kind ipmi`; the SDRs in the shipped
/// commands are the simulator's `fixture_sdrs`.
#[test]
fn shipped_ipmi_sim_example_works() {
    if !peers_or_skip(&["ipmi_sim", "ipmitool"]) {
        return;
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ipmi/ipmi_sim");
    let emu = std::fs::read_to_string(data.join("sel.emu")).unwrap();
    let sdrs: Vec<String> = fixture_sdrs()
        .iter()
        .map(|s| {
            let hex: Vec<String> = s.iter().map(|b| format!("0x{b:02x}")).collect();
            format!("main_sdr_add 0x20 {}", hex.join(" "))
        })
        .collect();
    let shipped: Vec<&str> = emu
        .lines()
        .filter(|l| l.starts_with("main_sdr_add"))
        .collect();
    assert_eq!(
        shipped, sdrs,
        "sel.emu's SDRs are bmc_sim::lan::fixture_sdrs()"
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let conf = std::fs::read_to_string(data.join("lan.conf"))
        .unwrap()
        .replace("127.0.0.1 6230", &format!("127.0.0.1 {port}"));
    std::fs::write(dir.path().join("lan.conf"), conf).unwrap();
    let mut child = Command::new("ipmi_sim")
        .arg("-c")
        .arg(dir.path().join("lan.conf"))
        .arg("-f")
        .arg(data.join("sel.emu"))
        .args(["-n", "-p", "-s"])
        .arg(dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ipmi_sim");
    let url = format!("ipmi://127.0.0.1:{port}");
    let rt = rt();
    let deadline = Instant::now() + Duration::from_secs(30);
    let evs = loop {
        match rt.block_on(fetch("sim", &url, "admin", "netops-sim", None)) {
            Ok(e) => break e,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for ipmi_sim: {e}");
                std::thread::sleep(Duration::from_millis(300));
            }
            Err(e) => panic!("{e}"),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(evs.len(), 8);
    assert_eq!(evs[6].description, "PCI SERR @Bus80(DevFn12)");
    assert_eq!(evs[6].sensor_name.as_deref(), Some("PCI Bus"));
    assert_eq!(evs[0].sensor_name.as_deref(), Some("Chassis Intru"));
}

// ------------------------------------------------------ in-process simulator

#[tokio::test]
async fn both_suites_against_the_simulator_read_every_record_with_names() {
    let recs = records();
    let fleet = spawn_lan(vec![LanBmc::new(PW, recs.clone())], None)
        .await
        .unwrap();
    for suite in [Some(CipherSuite::Sha256), Some(CipherSuite::Sha1), None] {
        let evs = fetch("sim0", &fleet.url(0), "admin", PW, suite)
            .await
            .unwrap();
        assert_eq!(evs.len(), recs.len());
        for (i, e) in evs.iter().enumerate() {
            assert_eq!(e.record_id, i as u32 + 1);
            assert_eq!(
                &e.raw.as_deref().unwrap()[4..],
                &ipmi_sel::decode::hex(&recs[i][2..])
            );
        }
        let names: Vec<_> = evs.iter().map(|e| e.sensor_name.as_deref()).collect();
        assert_eq!(names[0], Some("Chassis Intru"));
        assert_eq!(names[2], Some("CPU Temp"));
        assert_eq!(names[4], None, "OEM sensor type 0xC8 has no SDR");
        assert_eq!(names[12], Some("PCI Bus"));
        assert_eq!(names[14], None, "sensor 0x09 has no SDR");
    }
    // The session ran with the suite asked for.
    let addr = fleet.addrs[0];
    let s = Session::open("sim0", addr, "admin", PW.as_bytes(), &opts(None))
        .await
        .unwrap();
    assert_eq!(s.cipher_suite(), CipherSuite::Sha256);
    s.close().await;
}

#[tokio::test]
async fn partial_reads_for_bmcs_that_refuse_whole_records() {
    let recs = records();
    let whole = spawn_lan(vec![LanBmc::new(PW, recs.clone())], None)
        .await
        .unwrap();
    let mut small = LanBmc::new(PW, recs.clone());
    small.max_read = Some(8);
    let pieces = spawn_lan(vec![small], None).await.unwrap();
    let a = fetch("a", &whole.url(0), "admin", PW, None).await.unwrap();
    let b = fetch("a", &pieces.url(0), "admin", PW, None).await.unwrap();
    assert_eq!(a, b);
    assert_eq!(b[12].sensor_name.as_deref(), Some("PCI Bus"));
    // Reading in 8-byte pieces takes more requests than whole records.
    let n = |f: &bmc_sim::lan::LanFleet| {
        f.controls[0]
            .packets
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert!(
        n(&pieces) > n(&whole) + recs.len() as u64,
        "{} vs {}",
        n(&pieces),
        n(&whole)
    );
}

#[tokio::test]
async fn simulator_login_failures_are_clear() {
    let mut only3 = LanBmc::new(PW, records());
    only3.suites = vec![CipherSuite::Sha1];
    let fleet = spawn_lan(vec![LanBmc::new(PW, records()), only3], None)
        .await
        .unwrap();
    let e = lan_err(
        fetch("s0", &fleet.url(0), "admin", "wrong", None)
            .await
            .unwrap_err(),
    );
    assert!(matches!(e, LanError::WrongPassword { .. }), "{e}");
    let e = lan_err(
        fetch("s0", &fleet.url(0), "root", PW, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.to_string(),
        "s0: the BMC does not know user \"root\" (RAKP 2: unauthorized name); check the user name"
    );
    let e = lan_err(
        fetch("s1", &fleet.url(1), "admin", PW, Some(CipherSuite::Sha256))
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(e, LanError::UnsupportedCipherSuite { ref suites, .. } if suites == &[17]),
        "{e}"
    );
    // Unset: falls back to 3.
    assert_eq!(
        fetch("s1", &fleet.url(1), "admin", PW, None)
            .await
            .unwrap()
            .len(),
        15
    );
}

#[tokio::test]
async fn silent_host_and_garbage_answers_give_no_answer_naming_the_host() {
    // A socket that never answers.
    let quiet = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ipmi://{}", quiet.local_addr().unwrap());
    let e = lan_err(
        fetch("dead-bmc", &url, "admin", PW, None)
            .await
            .unwrap_err(),
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "dead-bmc: no answer to Get Channel Authentication Capabilities after 4 tries"
        ),
        "{msg}"
    );
    // A peer answering every packet with garbage: ignored, reason kept.
    let garbage = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let gurl = format!("ipmi://{}", garbage.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        let mut n = 0u8;
        while let Ok((len, peer)) = garbage.recv_from(&mut buf).await {
            n = n.wrapping_add(1);
            let mut reply = buf[..len].to_vec();
            reply.truncate(len / 2 + usize::from(n % 3));
            let _ = garbage.send_to(&reply, peer).await;
        }
    });
    let e = lan_err(
        fetch("noisy-bmc", &gurl, "admin", PW, None)
            .await
            .unwrap_err(),
    );
    let msg = e.to_string();
    assert!(msg.starts_with("noisy-bmc: no answer to "), "{msg}");
    assert!(msg.contains("(ignored: "), "{msg}");
    task.abort();
}

#[tokio::test]
async fn clear_sel_behind_its_flag() {
    let fleet = spawn_lan(vec![LanBmc::new(PW, records())], None)
        .await
        .unwrap();
    let read = fetch("c", &fleet.url(0), "admin", PW, None).await.unwrap();
    assert_eq!(read.len(), 15);
    let cleared = LanSource::new("c", &fleet.url(0), creds("admin", PW), opts(None))
        .unwrap()
        .clear_after_read(true)
        .fetch()
        .await
        .unwrap();
    assert_eq!(
        cleared, read,
        "the entries read before clearing are returned"
    );
    assert!(
        fetch("c", &fleet.url(0), "admin", PW, None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A BMC that stops answering in the middle of the SEL walk: a clear error
/// naming host and request, the watch state's seen set unchanged, no event
/// alert; once it answers again the new entries alert exactly once.
#[tokio::test]
async fn bmc_going_quiet_mid_walk_changes_no_state() {
    use ipmi_sel::watch::{self, Inventory, Sinks};
    let fleet = spawn_lan(vec![LanBmc::new(PW, records())], None)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pwf = dir.path().join("pw");
    std::fs::write(&pwf, PW).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pwf, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let alerts = dir.path().join("alerts.jsonl");
    let inv_text = format!(
        "[settings]\ntimeout_secs = 1\nmin_severity = \"info\"\n\n[[host]]\nname = \"r640\"\nkind = \"ipmi\"\nurl = \"{}\"\nuser = \"admin\"\npassword_file = \"pw\"\n\n[[sink]]\ntype = \"jsonl\"\npath = \"alerts.jsonl\"\n",
        fleet.url(0)
    );
    let inv_path = dir.path().join("fleet.toml");
    std::fs::write(&inv_path, &inv_text).unwrap();
    let inv = Inventory::load(&inv_path).unwrap();
    let sinks = Sinks::new(inv.sinks.clone()).unwrap();
    let cb: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(|_| {});
    let count = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };

    let r = watch::poll_once(&inv, &sinks, cb.clone()).await;
    assert_eq!(r[0].error, None);
    assert_eq!(r[0].alerted, 15);
    let state_path = watch::state_path(&inv.state_dir(), "r640");
    let before = watch::load_state(&state_path).unwrap().unwrap();

    // Two new entries, then the BMC answers 18 more packets (4 for the
    // session, 1 for SEL info, the first entry, then 12 of the pipelined
    // batch of entries 0x0002-0x0011) and goes quiet: entry 0x000e is the
    // first without an answer.
    fleet.add_record(
        0,
        [
            0, 0, 0x02, 0, 0, 0x60, 0x60, 0x33, 0, 4, 0x13, 0, 0x6f, 0xa5, 0x81, 0x12,
        ],
    );
    fleet.add_record(
        0,
        [
            0, 0, 0x02, 0, 0, 0x60, 0x60, 0x33, 0, 4, 0x13, 0, 0x6f, 0xa4, 0x81, 0x10,
        ],
    );
    fleet.controls[0].quiet_after(18);
    let r = watch::poll_once(&inv, &sinks, cb.clone()).await;
    let err = r[0].error.clone().expect("the poll failed");
    assert!(
        err.starts_with("r640: no answer to Get SEL Entry 0x000e after 4 tries of 250ms each"),
        "{err}"
    );
    assert_eq!((r[0].new, r[0].alerted), (0, 0));
    let during = watch::load_state(&state_path).unwrap().unwrap();
    assert_eq!(during.seen, before.seen, "no entry was marked seen");
    let lines = count(&alerts);
    assert_eq!(lines.len(), 16, "only a host_down alert was added");
    assert!(lines[15].contains("\"host_down\""), "{}", lines[15]);

    fleet.controls[0].resume();
    let r = watch::poll_once(&inv, &sinks, cb.clone()).await;
    assert_eq!(r[0].error, None);
    assert_eq!((r[0].new, r[0].alerted), (2, 2));
    let r = watch::poll_once(&inv, &sinks, cb).await;
    assert_eq!((r[0].new, r[0].alerted), (0, 0));
    let lines = count(&alerts);
    assert_eq!(
        lines.len(),
        16 + 1 + 2,
        "host_up and the two new entries, once"
    );
}

/// `ipmitool -C 17` reads the simulator: its RAKP-HMAC-SHA256 handshake,
/// HMAC-SHA256-128 integrity and AES-CBC-128 agree with ipmitool's, and the
/// SEL our client reads over suite 17 equals ipmitool's elist/sel get.
#[test]
fn ipmitool_suite_17_reads_the_simulator_like_we_do() {
    if !peers_or_skip(&["ipmitool"]) {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut recs = records();
    // Real (post-2001) timestamps print as dates.
    for (i, r) in recs.iter_mut().enumerate() {
        r[3..7].copy_from_slice(&(0x6500_0000u32 + i as u32 * 3600).to_le_bytes());
    }
    let fleet = rt
        .block_on(spawn_lan(vec![LanBmc::new(PW, recs)], None))
        .unwrap();
    let evs = rt
        .block_on(fetch(
            "sim",
            &fleet.url(0),
            "admin",
            PW,
            Some(CipherSuite::Sha256),
        ))
        .unwrap();
    assert_same_as_ipmitool(&evs, fleet.addrs[0].port(), 17);
    let o = ipmitool(fleet.addrs[0].port(), 17, "wrong", &["sel", "info"]);
    assert!(!o.status.success());
}

// ------------------------------------------------------------------ proptest

mod fuzz {
    use ipmi_sel::lan::sdr_sensor_name;
    use ipmi_sel::lan::wire::{self, CipherSuite, SessionKeys, payload};
    use proptest::prelude::*;

    fn keys(sha256: bool, k: &[u8]) -> SessionKeys {
        let suite = if sha256 {
            CipherSuite::Sha256
        } else {
            CipherSuite::Sha1
        };
        SessionKeys::derive(suite, k)
    }

    fn every_parser(b: &[u8], k: &SessionKeys) {
        let _ = wire::parse_packet(b, None);
        let _ = wire::parse_packet(b, Some(k));
        let _ = wire::parse_msg(b);
        let _ = wire::OpenSessionRequest::parse(b);
        let _ = wire::OpenSessionResponse::parse(b);
        let _ = wire::Rakp1::parse(b);
        let _ = wire::Rakp2::parse(b);
        let _ = wire::Rakp34::parse(b);
        let _ = k.decrypt(b);
        let _ = sdr_sensor_name(b);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes, bare or behind a valid RMCP / RMCP+ header.
        #[test]
        fn arbitrary_answers_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..300),
            prefix in 0usize..3,
            sha256 in any::<bool>(),
            key in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let k = keys(sha256, &key);
            let mut b = match prefix {
                0 => Vec::new(),
                1 => vec![0x06, 0x00, 0xff, 0x07, 0x00],
                _ => vec![0x06, 0x00, 0xff, 0x07, 0x06],
            };
            b.extend_from_slice(&body);
            every_parser(&b, &k);
        }

        /// Valid protected answers and handshake messages, truncated at any
        /// length and with any one byte changed: errors, never a panic, and
        /// a changed protected packet never passes as signed.
        #[test]
        fn truncated_and_altered_answers_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..64),
            cut in 0usize..400,
            at in 0usize..400,
            xor in 1u8..=255,
            sha256 in any::<bool>(),
        ) {
            let k = keys(sha256, b"session integrity key");
            let req = wire::parse_msg(&wire::encode_request(0x0a, 0x43, 7, &[0; 6])).unwrap();
            let msg = wire::encode_response(&req, 0, &data);
            let good = wire::encode_v2(payload::IPMI, 0x11223344, 5, &msg, Some(&k), [9; 16]);
            prop_assert_eq!(wire::parse_packet(&good, Some(&k)).unwrap().payload, msg);
            let mut open = wire::OpenSessionResponse {
                tag: 1, status: 0, max_privilege: 4, console_sid: 2, bmc_sid: 3, algorithms: [3, 4, 1],
            }.encode();
            open.extend_from_slice(&data);
            let rakp2 = wire::Rakp2 {
                tag: 2, status: 0, console_sid: 2, rc: [1; 16], guid: [2; 16], code: data.clone(),
            }.encode();
            for p in [good.clone(), wire::encode_v2(payload::OPEN_SESSION_RESPONSE, 0, 0, &open, None, [0; 16]), rakp2] {
                let t = &p[..cut.min(p.len())];
                every_parser(t, &k);
                let mut altered = p.clone();
                let i = at % altered.len();
                altered[i] ^= xor;
                every_parser(&altered, &k);
            }
            let mut altered = good.clone();
            let i = 4 + at % (good.len() - 4);
            altered[i] ^= xor;
            // Either refused, or no longer a signed packet (which the
            // session refuses: an unsigned packet inside a session).
            if let Ok(p) = wire::parse_packet(&altered, Some(&k)) {
                prop_assert!(p.payload_type & wire::AUTHENTICATED == 0, "byte {} changed", i);
            }
        }
    }
}

/// `ipmitool sel info` as (field, value) pairs.
fn sel_info(port: u16) -> Vec<(String, String)> {
    let o = ipmitool(port, 3, PW, &["sel", "info"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once(" : "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// ipmitool's `S+ HH:MM:SS` (seconds since the BMC started) or a date, as
/// our `pre-init +Ns` / RFC 3339 compare: the seconds of the day agree.
fn same_time(ours: &str, theirs: &str) -> bool {
    let hms = |s: &str| -> Option<u32> {
        let t = s.rsplit(' ').next()?;
        let v: Vec<u32> = t.split(':').filter_map(|x| x.parse().ok()).collect();
        (v.len() == 3).then(|| v[0] * 3600 + v[1] * 60 + v[2])
    };
    match ours.strip_prefix("pre-init +") {
        Some(n) => {
            theirs.starts_with("S+ ")
                && n.trim_end_matches('s')
                    .parse::<u32>()
                    .ok()
                    .map(|n| n % 86_400)
                    == hms(theirs)
        }
        None => ours.get(11..19).and_then(hms) == hms(theirs),
    }
}

/// Issue 17: `sel info`, `sel get ID` and `sel clear` over RMCP+ against
/// OpenIPMI's ipmi_sim, with ipmitool's `sel info`/`sel get` as the oracle.
#[test]
fn sel_info_get_clear_agree_with_ipmitool_on_ipmi_sim() {
    use ipmi_sel::AnySource;
    if !peers_or_skip(&["ipmi_sim", "ipmitool"]) {
        return;
    }
    let recs = records();
    let sim = start_ipmi_sim(&recs, &fixture_sdrs());
    wait_ready(sim.port);
    let url = format!("ipmi://127.0.0.1:{}", sim.port);
    let rt = rt();
    let src = || {
        AnySource::Lan(
            LanSource::new(
                "ipmisim",
                &url,
                creds("admin", PW),
                opts(Some(CipherSuite::Sha1)),
            )
            .unwrap(),
        )
    };
    let ours = rt.block_on(src().sel_info()).unwrap();
    let theirs = sel_info(sim.port);
    assert_eq!(ours.entries.to_string(), field(&theirs, "Entries"));
    assert_eq!(ours.entries as usize, recs.len());
    assert_eq!(
        format!("{} bytes", ours.free_bytes.unwrap()),
        field(&theirs, "Free Space")
    );
    assert!(
        field(&theirs, "Version").starts_with(&format!("{} (", ours.version.as_deref().unwrap())),
        "{theirs:?}"
    );
    assert_eq!(
        ours.overflow.unwrap().to_string(),
        field(&theirs, "Overflow")
    );
    let cmds: Vec<String> = field(&theirs, "Supported Cmds")
        .split('\'')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(ours.supports, cmds);
    let last_add = ours.last_add.clone().unwrap();
    assert!(
        same_time(&last_add, field(&theirs, "Last Add Time")),
        "{last_add} {theirs:?}"
    );
    assert_eq!(ours.last_erase, None);
    assert_eq!(field(&theirs, "Last Del Time"), "Not Available");

    // sel get: the record fetch reads, the fields ipmitool's sel get shows.
    let all = rt
        .block_on(fetch("ipmisim", &url, "admin", PW, Some(CipherSuite::Sha1)))
        .unwrap();
    for want in [&all[0], &all[6], all.last().unwrap()] {
        let got = rt.block_on(src().sel_get(want.record_id as u16)).unwrap();
        assert_eq!(&got, want);
        let f = sel_get(sim.port, 3, want.record_id);
        assert_eq!(
            u32::from_str_radix(field(&f, "SEL Record ID"), 16).unwrap(),
            got.record_id
        );
        if let Some(n) = got.sensor_number {
            assert_eq!(
                u8::from_str_radix(field(&f, "Sensor Number"), 16).unwrap(),
                n
            );
        }
    }
    let e = rt.block_on(src().sel_get(0x7777)).unwrap_err().to_string();
    assert!(
        e.starts_with("ipmisim: the SEL has no record with ID 0x7777"),
        "{e}"
    );

    // sel clear: ipmitool then sees an empty SEL with an erase time.
    rt.block_on(src().sel_clear()).unwrap();
    let theirs = sel_info(sim.port);
    assert_eq!(field(&theirs, "Entries"), "0");
    assert_ne!(field(&theirs, "Last Del Time"), "Not Available");
    let ours = rt.block_on(src().sel_info()).unwrap();
    assert_eq!(ours.entries, 0);
    assert!(same_time(
        ours.last_erase.as_deref().unwrap(),
        field(&theirs, "Last Del Time")
    ));
}

/// Issue 16 (speed): round trips, not CPU, bound a SEL read. 200 entries
/// take one request each when walked one by one (ipmitool: ~213 packets
/// with the SDRs); pipelined whole-record reads and no upfront
/// reservation keep it to a few dozen packets, and the chain the BMC gives
/// is still what is read when its record IDs are not consecutive.
#[tokio::test]
async fn a_200_entry_sel_takes_few_round_trips_and_follows_the_chain() {
    let mut recs = Vec::new();
    for i in 0..200u16 {
        let mut r = bmc_sim::fixture_records(0, 12)[usize::from(i % 12)];
        // IDs with gaps: 1-50 consecutive, then every third.
        let id = if i < 50 { i + 1 } else { 50 + (i - 49) * 3 };
        r[..2].copy_from_slice(&id.to_le_bytes());
        recs.push(r);
    }
    let fleet = spawn_lan(vec![LanBmc::new(PW, Vec::new())], None)
        .await
        .unwrap();
    fleet.set_records(0, recs.clone());
    let mut src = LanSource::new("big", &fleet.url(0), creds("admin", PW), opts(None)).unwrap();
    let evs = src.fetch().await.unwrap();
    let trips = src.round_trips().unwrap();
    eprintln!("scattered IDs: {trips} round trips");
    // Session 4, SEL info, the first entry, 49 consecutive IDs in 4
    // batches, 150 IDs after gaps one batch each, SDR info + 2, close.
    assert!(trips <= 4 + 2 + 4 + 150 + 3 + 1, "{trips} round trips");
    let ids: Vec<u32> = evs.iter().map(|e| e.record_id).collect();
    let want: Vec<u32> = recs
        .iter()
        .map(|r| u32::from(u16::from_le_bytes([r[0], r[1]])))
        .collect();
    assert_eq!(ids, want, "every record, in chain order, none twice");
    assert_eq!(
        evs.iter()
            .map(|e| e.raw.clone().unwrap())
            .collect::<Vec<_>>(),
        recs.iter()
            .map(|r| ipmi_sel::decode::hex(r))
            .collect::<Vec<_>>()
    );
    let packets = fleet.controls[0]
        .packets
        .load(std::sync::atomic::Ordering::SeqCst);
    // 50 consecutive IDs: the first read and 4 batches; 150 after gaps:
    // a batch of 2 each (the second speculative), never the 16 of a run.
    assert!(packets < 450, "{packets} packets");

    let mut consecutive = Vec::new();
    for i in 0..200u16 {
        let mut r = bmc_sim::fixture_records(0, 12)[usize::from(i % 12)];
        r[..2].copy_from_slice(&(i + 1).to_le_bytes());
        consecutive.push(r);
    }
    let fleet = spawn_lan(vec![LanBmc::new(PW, consecutive)], None)
        .await
        .unwrap();
    let mut src = LanSource::new("big", &fleet.url(0), creds("admin", PW), opts(None)).unwrap();
    let evs = src.fetch().await.unwrap();
    assert_eq!(evs.len(), 200);
    // One by one this is 4 + 2 + 200 + 7 + 1 = 214 (ipmitool's count).
    let trips = src.round_trips().unwrap();
    eprintln!("consecutive IDs: {trips} round trips");
    assert!(trips <= 30, "{trips} round trips");
    assert!(evs.iter().zip(1..).all(|(e, i)| e.record_id == i));
    let packets = fleet.controls[0]
        .packets
        .load(std::sync::atomic::Ordering::SeqCst);
    // 4 for the session, SEL info, the first entry, 199 in 13 batches
    // (each request a packet, ~16 past the end), SDRs, close.
    assert!(packets <= 200 + 40, "{packets} packets");
}

/// Issue 16 (speed): the SDR repository is read only when an entry needs a
/// sensor name, and once per BMC and process while Get SDR Repository
/// Info says it did not change (watch/serve polls reuse the names).
#[tokio::test]
async fn sdr_names_are_read_only_when_needed_and_cached() {
    use std::sync::atomic::Ordering::SeqCst;
    // Only OEM records (no sensor): no SDR request at all.
    let oem: Vec<[u8; 16]> = bmc_sim::fixture_records(0, 12)
        .into_iter()
        .map(|mut r| {
            r[2] = 0xc0;
            r
        })
        .collect();
    let fleet = spawn_lan(vec![LanBmc::new(PW, oem), LanBmc::new(PW, records())], None)
        .await
        .unwrap();
    let evs = fetch("oem", &fleet.url(0), "admin", PW, None)
        .await
        .unwrap();
    assert!(!evs.is_empty());
    assert_eq!(fleet.controls[0].sdr_requests.load(SeqCst), 0);

    // System events: the names are read on the first fetch only.
    let first = fetch("sys", &fleet.url(1), "admin", PW, None)
        .await
        .unwrap();
    assert!(
        first
            .iter()
            .any(|e| e.sensor_name.as_deref() == Some("PCI Bus"))
    );
    let n1 = fleet.controls[1].sdr_requests.load(SeqCst);
    assert!(n1 >= 3, "{n1}");
    let second = fetch("sys", &fleet.url(1), "admin", PW, None)
        .await
        .unwrap();
    assert_eq!(second, first, "the cached names are the same");
    let n2 = fleet.controls[1].sdr_requests.load(SeqCst);
    assert_eq!(
        n2 - n1,
        1,
        "only Get SDR Repository Info on the second fetch"
    );
    // A source of its own (as each watch poll builds) shares the cache;
    // free space comes from the same Get SEL Info.
    let mut s = LanSource::new("sys", &fleet.url(1), creds("admin", PW), opts(None)).unwrap();
    assert_eq!(s.free_bytes(), None);
    s.fetch().await.unwrap();
    assert_eq!(fleet.controls[1].sdr_requests.load(SeqCst) - n2, 1);
    assert_eq!(s.free_bytes(), Some(0xffff - 15 * 16));
}
