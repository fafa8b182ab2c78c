//! Every file in `testdata/pcap/` is regenerated from code and compared
//! byte for byte, read against expectations derived from the generator's
//! description of each frame, and (when tshark is installed) compared with
//! what tshark reads from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use netops_testkit::pcap::{self as synth, Ending, TestFile};
use pcap_core::{Capture, Error, L4};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pcap")
}

fn files() -> BTreeMap<&'static str, TestFile> {
    synth::testdata().into_iter().map(|f| (f.name, f)).collect()
}

#[test]
fn testdata_matches_its_generator_byte_for_byte() {
    let update = std::env::var("UPDATE_TESTDATA").is_ok_and(|v| v == "1");
    let dir = dir();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for f in files().values() {
        let path = dir.join(f.name);
        if update {
            std::fs::write(&path, &f.bytes).unwrap();
            continue;
        }
        let disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e}; regenerate with UPDATE_TESTDATA=1 cargo test -p pcap-core --test testdata", path.display())
        });
        // A gzip stream's bytes depend on which deflate backend flate2 was
        // built with (feature unification in the workspace can switch it),
        // so a `.gz` file is compared by what it decompresses to.
        let (disk, want) = if f.name.ends_with(".gz") {
            (gunzip(&disk), gunzip(&f.bytes))
        } else {
            (disk, f.bytes.clone())
        };
        assert!(
            disk == want,
            "{} differs from what synth::testdata() generates; if the generator changed on purpose, \
             run UPDATE_TESTDATA=1 cargo test -p pcap-core --test testdata",
            path.display()
        );
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a whole gzip stream");
    out
}

/// Reads every file in the directory (not only the ones we know), so a
/// stray hand-made file fails the test instead of going unchecked.
#[test]
fn every_testdata_file_reads_as_generated() {
    let expected = files();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name == "README.md" {
            continue;
        }
        let f = expected
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name}: not produced by synth::testdata()"));
        seen += 1;
        let cap = Capture::open(&path).unwrap();
        let mut it = cap.packets();
        let mut n = 0usize;
        let mut end = None;
        for r in it.by_ref() {
            match r {
                Ok(p) => {
                    let want = f.frames.get(n).unwrap_or_else(|| {
                        panic!("{name}: more frames than the {} generated", f.frames.len())
                    });
                    n += 1;
                    assert_eq!(p.frame, want.frame, "{name}");
                    assert_eq!(p.linktype, want.linktype, "{name} frame {n}");
                    assert_eq!(p.ts_ns, want.ts_ns, "{name} frame {n}");
                    assert_eq!(p.caplen as usize, p.data.len(), "{name} frame {n}");
                    match (want.ip, p.decode()) {
                        (None, Err(_)) => {}
                        (None, Ok(d)) => {
                            panic!("{name} frame {n}: decoded {d:?} from a non-IP frame")
                        }
                        (Some(e), Err(err)) => panic!("{name} frame {n}: {err}, expected {e:?}"),
                        (Some(e), Ok(d)) => {
                            assert_eq!(
                                (d.src, d.dst, d.ip_proto),
                                (e.src, e.dst, e.proto),
                                "{name} frame {n}"
                            );
                            assert_eq!(d.ports(), e.ports, "{name} frame {n}");
                            assert_eq!(d.l4 == L4::Fragment, e.later_fragment, "{name} frame {n}");
                            assert_eq!(d.vlans.len(), e.vlans, "{name} frame {n}");
                            let plen = match d.l4 {
                                L4::Tcp(t) => Some(t.payload.len()),
                                L4::Udp(u) => Some(u.payload.len()),
                                L4::Other { payload, .. } => Some(payload.len()),
                                L4::Fragment => None,
                            };
                            assert_eq!(plen, e.payload_len, "{name} frame {n}");
                        }
                    }
                }
                Err(e) => end = Some(e),
            }
        }
        assert_eq!(n, f.frames.len(), "{name}: frame count");
        assert_eq!(it.lost(), f.lost, "{name}: lost packets");
        match (f.ending, end) {
            (Ending::Clean, None) => {}
            (Ending::Truncated(frame), Some(e @ Error::Truncated { .. })) => {
                assert_eq!(e.frame(), Some(frame), "{name}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.contains(&name) && msg.contains(&format!("frame {frame}")),
                    "{msg}"
                );
            }
            (Ending::Corrupt(frame), Some(e @ Error::Corrupt { .. })) => {
                assert_eq!(e.frame(), Some(frame), "{name}: {e}");
                let msg = e.to_string();
                assert!(msg.contains(&name) && msg.contains("byte offset"), "{msg}");
            }
            (want, got) => panic!("{name}: expected ending {want:?}, got {got:?}"),
        }
    }
    assert_eq!(
        seen,
        expected.len(),
        "every generated file is in testdata/pcap"
    );
}

fn peers_required() -> bool {
    std::env::var("NETOPS_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// One line per frame from tshark: number, src, dst, src port, dst port.
fn tshark_fields(path: &Path) -> Option<(Vec<[String; 5]>, bool)> {
    let out = Command::new("tshark")
        .args([
            "-n",
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "ipv6.defragment:FALSE",
            "-r",
        ])
        .arg(path)
        .args(["-T", "fields", "-E", "occurrence=f"])
        .args([
            "-e",
            "frame.number",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
        ])
        .args([
            "-e",
            "tcp.srcport",
            "-e",
            "udp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "udp.dstport",
        ])
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            assert!(
                !peers_required(),
                "tshark is required (NETOPS_REQUIRE_PEERS=1) but cannot run: {e}"
            );
            eprintln!(
                "skipping: tshark not runnable ({e}); install it with apt-get install tshark"
            );
            return None;
        }
    };
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = text
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let pick = |a: &str, b: &str| {
                if a.is_empty() {
                    b.to_owned()
                } else {
                    a.to_owned()
                }
            };
            [
                c[0].to_owned(),
                pick(c[1], c[2]),
                pick(c[3], c[4]),
                pick(c[5], c[6]),
                pick(c[7], c[8]),
            ]
        })
        .collect();
    Some((rows, out.status.success()))
}

#[test]
fn tshark_reads_the_same_frames_addresses_and_ports() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let Some((theirs, ok)) = tshark_fields(&path) else {
            return;
        };
        let cap = Capture::open(&path).unwrap();
        let mut ours = Vec::new();
        let mut clean = true;
        for r in cap.packets() {
            let Ok(p) = r else {
                clean = false;
                break;
            };
            let row = match p.decode() {
                Ok(d) => {
                    let (sp, dp) = d
                        .ports()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .unwrap_or_default();
                    [
                        p.frame.to_string(),
                        d.src.to_string(),
                        d.dst.to_string(),
                        sp,
                        dp,
                    ]
                }
                Err(_) => [
                    p.frame.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            };
            ours.push(row);
        }
        assert_eq!(
            ok,
            clean,
            "{}: tshark exit status vs our ending",
            path.display()
        );
        let last = ours.last().map(|r| r[0].clone()).unwrap_or_default();
        assert_eq!(
            theirs.last().map(|r| r[0].clone()).unwrap_or_default(),
            last,
            "{}: frame count vs tshark",
            path.display()
        );
        let theirs: BTreeMap<&str, &[String; 5]> =
            theirs.iter().map(|r| (r[0].as_str(), r)).collect();
        for o in &ours {
            assert_eq!(
                Some(&o),
                theirs.get(o[0].as_str()),
                "{}: ours vs tshark",
                path.display()
            );
        }
    }
}

/// Beyond the shipped files: a few hundred random frames (VLAN, QinQ,
/// IPv6, TCP options, UDP, ICMP) as pcap and as big-endian pcapng with
/// nanosecond interfaces, compared with tshark frame by frame.
#[test]
fn tshark_agrees_on_random_mixed_captures() {
    use pcap_core::writer::{PcapngWriter, TsResolution};
    use pcap_core::{Endian, LinkType};
    let dir = tempfile::tempdir().unwrap();
    let mut pcap = Vec::new();
    synth::write_mixed_pcap(&mut pcap, 300_000, 99).unwrap();
    let pcap_path = dir.path().join("mixed.pcap");
    std::fs::write(&pcap_path, &pcap).unwrap();
    // the same packets re-written as pcapng, big-endian, ns resolution
    let cap = Capture::open(&pcap_path).unwrap();
    let mut w = PcapngWriter::new(Vec::new(), Endian::Big).unwrap();
    w.add_interface(LinkType::ETHERNET, 262_144, TsResolution::Decimal(9))
        .unwrap();
    for p in cap.packets() {
        let p = p.unwrap();
        w.write_packet(0, p.ts_ns, p.origlen, p.data).unwrap();
    }
    let ng_path = dir.path().join("mixed.pcapng");
    std::fs::write(&ng_path, w.into_inner().unwrap()).unwrap();
    for path in [&pcap_path, &ng_path] {
        let Some((theirs, ok)) = tshark_fields(path) else {
            return;
        };
        assert!(ok, "{}: tshark failed", path.display());
        let cap = Capture::open(path).unwrap();
        let mut n = 0;
        for (p, t) in cap.packets().zip(&theirs) {
            let p = p.unwrap();
            let d = p.decode().unwrap();
            let (sp, dp) = d
                .ports()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .unwrap_or_default();
            assert_eq!(
                &[
                    p.frame.to_string(),
                    d.src.to_string(),
                    d.dst.to_string(),
                    sp,
                    dp
                ],
                t,
                "{}",
                path.display()
            );
            n += 1;
        }
        assert_eq!(n, theirs.len(), "{}: frame count", path.display());
        assert!(n > 300, "{}: {n} frames", path.display());
    }
}
