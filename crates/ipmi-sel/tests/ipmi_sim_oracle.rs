//! Differential oracle: OpenIPMI's `ipmi_sim` holds a SEL filled with chosen
//! records (`sel_add`), `ipmitool -I lanplus ... sel elist` decodes them, and
//! `ipmitool ... sel writeraw` hands us the same records' raw bytes for our
//! decoder. Sensor types, offsets (descriptions), direction and the
//! pre-init timestamps must agree; where ipmitool's wording differs from
//! the IPMI 2.0 table text we use, the difference is listed explicitly below
//! (keyed by sensor type and offset, so a wrong offset still fails).
//!
//! Needs `ipmi_sim` (Debian `openipmi`) and `ipmitool`; skipped when they are
//! missing unless `NETOPS_REQUIRE_PEERS=1`.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipmi_sel::decode::{SelRecord, Timestamp};
use ipmi_sel::tables;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn peers_or_skip() -> bool {
    let missing: Vec<_> = ["ipmi_sim", "ipmitool"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("peer tools missing: {missing:?} (install Debian packages openipmi and ipmitool)");
    }
    eprintln!("skipping: peer tools missing: {missing:?} (Debian packages openipmi, ipmitool)");
    false
}

/// Records (bytes 3..16 as `sel_add` wants them, after the record type) for
/// every sensor-specific offset of the standard table, the threshold and
/// generic types, deassertions and an OEM sensor type.
fn chosen() -> Vec<[u8; 13]> {
    let mut v = Vec::new();
    let mut push = |gen_id: u8, st: u8, num: u8, et: u8, d: [u8; 3]| {
        v.push([0, 0, 0, 0, gen_id, 0, 4, st, num, et, d[0], d[1], d[2]]);
    };
    for st in 0x05u8..=0x2C {
        for off in 0u8..15 {
            if tables::sensor_specific_offset(st, off).is_none() {
                continue;
            }
            let ed1 = if st == 0x13 { 0xA0 | off } else { off };
            push(0x20, st, 0x40 + off, 0x6F, [ed1, 0xFF, 0xFF]);
        }
    }
    for off in 0u8..12 {
        push(0x20, 0x01, 0x30, 0x01, [0x50 | off, 0x55, 0x50]);
    }
    for et in 0x02u8..=0x0C {
        for off in 0u8..9 {
            if tables::generic_offset(et, off).is_some() {
                push(0x20, 0x02, 0x60 + et, et, [off, 0xFF, 0xFF]);
            }
        }
    }
    // Deassertions and an OEM sensor type (as in the field notes).
    push(0x33, 0x13, 0x00, 0xEF, [0xA5, 0x80, 0x12]);
    push(0x20, 0x05, 0x51, 0xEF, [0xF0, 0xFF, 0xFF]);
    push(0x20, 0xC8, 0xFF, 0x6F, [0xA0, 0xFF, 0xFF]);
    v
}

/// ipmitool's names for sensor types where they differ from table 42-3's.
fn ipmitool_type_alias() -> HashMap<u8, &'static str> {
    HashMap::from([
        (0x06, "Platform Security"),
        (0x0F, "System Firmwares"),
        (0x14, "Button"),
        (0x1D, "System Boot Initiated"),
        (0x1F, "OS Boot"),
        (0x20, "OS Critical Stop"),
        (0x28, "Management Subsys Health"),
    ])
}

/// ipmitool's wording of (sensor type, offset) where it is not simply an
/// abbreviation of ours (see `same_words`). Each entry was compared with
/// IPMI 2.0 table 42-3 by hand.
fn ipmitool_desc_alias() -> HashMap<(u8, u8), &'static str> {
    HashMap::from([
        ((0x06, 0), "Front Panel Lockout violation attempted"),
        ((0x07, 4), "FRB3/Processor startup/init failure"),
        ((0x08, 4), "AC lost or out-of-range"),
        ((0x08, 5), "AC out-of-range, but present"),
        ((0x08, 6), "Config Error"),
        ((0x0D, 0), "Drive Present"),
        // ipmitool appends the (here unspecified) extension code's meaning.
        ((0x0F, 0), "Unknown Error"),
        ((0x0F, 1), "Unknown Hang"),
        ((0x0F, 2), "Unknown Progress"),
        ((0x10, 4), "Log full"),
        ((0x10, 5), "Log almost full"),
        ((0x11, 5), "OS NMI/Diag Interrupt"),
        ((0x12, 5), "Timestamp Clock Sync"),
        ((0x13, 0), "NMI/Diag Interrupt"),
        ((0x13, 6), "EISA failsafe timeout"),
        ((0x1B, 1), "Config Error"),
        ((0x1E, 1), "Non-bootable disk in drive"),
        ((0x20, 0), "Error during system startup"),
        (
            (0x22, 1),
            "S1: sleeping with system hw & processor context maintained",
        ),
        (
            (0x22, 3),
            "S3: sleeping, processor & hw context lost, memory retained",
        ),
        ((0x22, 8), "Sleeping in S1/S2/S3 state"),
        ((0x2B, 6), "Hardware change success"),
    ])
}

/// ipmitool often shortens the spec text ("Failure detected" for "Power
/// Supply Failure detected"): accept when all of its words occur in ours.
fn same_words(ipmitool: &str, ours: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let o = words(ours);
    let t = words(ipmitool);
    !t.is_empty() && t.iter().all(|w| o.contains(w))
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

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

fn start_ipmi_sim(records: &[[u8; 13]]) -> IpmiSim {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = format!(
        "name \"netops\"\nset_working_mc 0x20\n  startlan 1\n    addr 127.0.0.1 {port}\n    priv_limit admin\n\
         allowed_auths_callback none md2 md5 straight\n    allowed_auths_user none md2 md5 straight\n\
         allowed_auths_operator none md2 md5 straight\n    allowed_auths_admin none md2 md5 straight\n\
         guid a123456789abcdefa123456789abcdef\n  endlan\n\
         user 2 true \"admin\" \"oracle-pw\" admin 10 none md2 md5 straight\n"
    );
    let mut emu = String::from(
        "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nsel_enable 0x20 1000 0x0a\nmc_enable 0x20\n",
    );
    for r in records {
        emu.push_str("sel_add 0x20 0x02");
        for b in r {
            emu.push_str(&format!(" 0x{b:02x}"));
        }
        emu.push('\n');
    }
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

fn ipmitool(port: u16, args: &[&str]) -> std::process::Output {
    Command::new("ipmitool")
        .args([
            "-I",
            "lanplus",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "admin",
            "-E",
            "-N",
            "2",
            "-R",
            "3",
        ])
        .args(args)
        .env("IPMI_PASSWORD", "oracle-pw")
        .env("TZ", "UTC")
        .output()
        .expect("run ipmitool")
}

#[test]
fn ipmitool_and_our_decoder_agree() {
    if !peers_or_skip() {
        return;
    }
    let recs = chosen();
    let sim = start_ipmi_sim(&recs);
    let dir = tempfile::tempdir().unwrap();
    let raw_path = dir.path().join("sel.raw");
    // ipmi_sim needs a moment to open its socket; retry until it answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let o = ipmitool(sim.port, &["sel", "writeraw", raw_path.to_str().unwrap()]);
        if o.status.success() && std::fs::metadata(&raw_path).map(|m| m.len()).unwrap_or(0) > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ipmi_sim did not answer: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let raw = std::fs::read(&raw_path).unwrap();
    assert_eq!(raw.len(), recs.len() * 16, "writeraw returned every record");
    let o = ipmitool(sim.port, &["sel", "elist"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains('|')).collect();
    assert_eq!(lines.len(), recs.len(), "{text}");

    let type_alias = ipmitool_type_alias();
    let desc_alias = ipmitool_desc_alias();
    let mut problems = Vec::new();
    let mut no_text = 0;
    for (i, (chunk, line)) in raw.chunks_exact(16).zip(&lines).enumerate() {
        let r = SelRecord::from_slice(chunk).unwrap();
        let e = r.system().unwrap();
        // Our input bytes went in unchanged except for id and timestamp.
        assert_eq!(&chunk[7..16], &recs[i][4..13], "record {i}");
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        // id (hex), date, time, sensor, description, direction[, extra]
        assert_eq!(
            u16::from_str_radix(f[0], 16).unwrap(),
            r.record_id,
            "{line}"
        );
        match r.timestamp {
            Some(Timestamp::PreInit(s)) => {
                assert_eq!(f[1], "Pre-Init", "{line}");
                assert_eq!(f[2].parse::<u32>().unwrap(), s, "{line}");
            }
            other => problems.push(format!("{line}: ipmi_sim timestamp {other:?} not pre-init")),
        }
        let sensor = f[3].split(" #0x").next().unwrap();
        let ours = type_alias
            .get(&e.sensor_type)
            .copied()
            .unwrap_or(tables::sensor_type_name(e.sensor_type));
        if e.sensor_type < 0xC0 && norm(sensor) != norm(ours) {
            problems.push(format!(
                "type 0x{:02x}: ipmitool {sensor:?} ours {ours:?}",
                e.sensor_type
            ));
        }
        if let Some(d) = e.offset_description() {
            let key = (
                if e.event_type == 0x6F {
                    e.sensor_type
                } else {
                    e.event_type | 0x80
                },
                e.offset(),
            );
            let ok = match desc_alias.get(&key) {
                Some(alias) => norm(f[4]) == norm(alias),
                None => same_words(f[4], d),
            };
            if f[4].is_empty() {
                // ipmitool has no text for this offset: nothing to compare.
                no_text += 1;
            } else if !ok {
                problems.push(format!(
                    "type 0x{:02x} evt 0x{:02x} off {}: ipmitool {:?} ours {d:?}",
                    e.sensor_type,
                    e.event_type,
                    e.offset(),
                    f[4]
                ));
            }
        }
        let dir = f.get(5).copied().unwrap_or("");
        let want_dir = if e.deassertion {
            "Deasserted"
        } else {
            "Asserted"
        };
        if dir != want_dir {
            problems.push(format!("{line}: direction ours {want_dir}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // Offsets ipmitool prints without text (0x10/6, 0x22/D, 0x2A/*, 0x2B/1,7).
    assert!(no_text <= 8, "{no_text} records without ipmitool text");
    eprintln!(
        "ipmi_sim oracle: {} records agree ({no_text} without ipmitool text)",
        recs.len()
    );
}
