//! Differential test against tshark: for every TLS connection in the test
//! captures (bare, after STARTTLS-style preludes, wrapped in TDS), the
//! negotiated version, the client's offered versions and the SNI must equal
//! what tshark (with TCP and TLS reassembly on) decodes, and so must the
//! server certificate facts both can read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use netops_testkit::tls::capture::{testdata, write_bench_capture};
use tls_handshake::Version;
use tls_handshake::audit::{Audit, AuditOptions};

fn tshark_available() -> bool {
    netops_testkit::child::peer_available("tshark", "-v", "apt-get install tshark")
}

/// (client "ip:port", server "ip:port") -> (version, offered versions, sni)
type View = BTreeMap<(String, String), (Option<String>, BTreeSet<String>, Option<String>)>;

fn endpoint(ip4: &str, ip6: &str, port: &str) -> String {
    if ip6.is_empty() {
        format!("{ip4}:{port}")
    } else {
        format!("[{ip6}]:{port}")
    }
}

/// How tshark decodes the testdata's TLS: records and TCP streams
/// reassembled, and TLS on port 3389 (Wireshark 4.0 does not follow RDP's
/// switch to TLS on its own).
const TLS_DECODE: [&str; 6] = [
    "-d",
    "tcp.port==3389,tls",
    "-o",
    "tls.desegment_ssl_records:TRUE",
    "-o",
    "tcp.desegment_tcp_streams:TRUE",
];

fn version_name(hex: &str) -> String {
    let v = u16::from_str_radix(hex.trim_start_matches("0x"), 16).expect("hex version");
    Version(v).name().into_owned()
}

fn tshark_view(path: &Path) -> View {
    let out = netops_testkit::child::tshark_fields(
        path,
        &[
            &TLS_DECODE[..],
            &[
                "-Y",
                "tls.handshake.type == 1 || tls.handshake.type == 2",
                "-E",
                "separator=|",
            ],
        ]
        .concat(),
        &[
            "tcp.stream",
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "ip.dst",
            "ipv6.dst",
            "tcp.dstport",
            "tls.handshake.type",
            "tls.handshake.version",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.extensions_server_name",
        ],
    );
    // Per TCP stream: endpoints, first ClientHello, last ServerHello (a
    // HelloRetryRequest is followed by the real one).
    #[derive(Default)]
    struct Stream {
        ends: Option<(String, String)>,
        offered: Option<BTreeSet<String>>,
        sni: Option<String>,
        version: Option<String>,
    }
    let mut streams: BTreeMap<u64, Stream> = BTreeMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 11, "unexpected tshark line {line:?}");
        let st = streams
            .entry(f[0].parse().expect("tcp.stream"))
            .or_default();
        let src = endpoint(f[1], f[2], f[3]);
        let dst = endpoint(f[4], f[5], f[6]);
        let types: Vec<&str> = f[7].split(',').collect();
        let supported: Vec<String> = f[9]
            .split(',')
            .filter(|s| !s.is_empty())
            .filter(|s| !tls_handshake::is_grease(u16::from_str_radix(&s[2..], 16).unwrap_or(0)))
            .map(version_name)
            .collect();
        if types.contains(&"1") {
            if st.offered.is_none() {
                st.ends = Some((src, dst));
                st.offered = Some(if supported.is_empty() {
                    std::iter::once(version_name(f[8].split(',').next().unwrap_or_default()))
                        .collect()
                } else {
                    supported.into_iter().collect()
                });
                st.sni = (!f[10].is_empty()).then(|| f[10].to_owned());
            }
        } else if types.contains(&"2") {
            if st.ends.is_none() {
                st.ends = Some((dst, src));
            }
            st.version = Some(
                supported
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| version_name(f[8].split(',').next().unwrap_or_default())),
            );
        }
    }
    streams
        .into_values()
        .filter_map(|s| Some((s.ends?, (s.version, s.offered.unwrap_or_default(), s.sni))))
        .collect()
}

fn our_view(path: &Path) -> View {
    let mut view = View::new();
    let report = Audit::new(AuditOptions::default()).run(
        &[path.to_path_buf()],
        |r| {
            let c = std::net::SocketAddr::new(r.client_ip, r.client_port).to_string();
            let s = std::net::SocketAddr::new(r.server_ip, r.server_port).to_string();
            let prev = view.insert(
                (c, s),
                (
                    r.version.clone(),
                    r.offered_versions.iter().cloned().collect(),
                    r.sni.clone(),
                ),
            );
            assert!(prev.is_none(), "two rows for one connection: {r:?}");
        },
        |p, e| panic!("{}: {e}", p.display()),
    );
    assert_eq!(report.files_failed, 0);
    view
}

fn compare(path: &Path) -> usize {
    let theirs = tshark_view(path);
    let ours = our_view(path);
    for (k, v) in &theirs {
        assert_eq!(ours.get(k), Some(v), "{}: connection {k:?}", path.display());
    }
    for k in ours.keys() {
        assert!(
            theirs.contains_key(k),
            "{}: tshark has no TLS connection {k:?}",
            path.display()
        );
    }
    theirs.len()
}

#[test]
fn versions_and_sni_equal_tsharks_on_the_test_captures() {
    if !tshark_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // QUIC has its own differential test (quic_tshark.rs): tshark keys it
    // by udp.stream.
    for f in testdata().into_iter().filter(|f| !f.name.contains("quic")) {
        let p = dir.path().join(f.name);
        std::fs::write(&p, &f.bytes).unwrap();
        let n = compare(&p);
        assert_eq!(n, f.expected.len(), "{}", f.name);
    }
    // Many connections among bulk traffic with random payloads.
    let p = dir.path().join("mixed.pcap");
    let mut bytes = Vec::new();
    let (_, tls) = write_bench_capture(&mut bytes, 3 << 20, 30, 99).unwrap();
    std::fs::write(&p, bytes).unwrap();
    let n = compare(&p);
    assert_eq!(n as u64, tls);
}

/// (client, server) -> (chain length, leaf not_before, not_after, signature
/// OID name, key type, DNS SANs, issuer values then subject CN)
type CertView = BTreeMap<
    (String, String),
    (
        u32,
        String,
        String,
        String,
        String,
        Vec<String>,
        Vec<String>,
    ),
>;

fn tshark_certs(path: &Path) -> CertView {
    let out = netops_testkit::child::tshark_fields(
        path,
        &[
            &TLS_DECODE[..],
            &[
                "-Y",
                "tls.handshake.type == 11",
                "-E",
                "separator=|",
                "-E",
                "aggregator=;",
            ],
        ]
        .concat(),
        &[
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "ip.dst",
            "ipv6.dst",
            "tcp.dstport",
            "tls.handshake.certificate_length",
            "x509af.utcTime",
            "x509af.algorithm.id",
            "x509ce.dNSName",
            "x509sat.uTF8String",
        ],
    );
    let list = |s: &str| -> Vec<String> {
        s.split(';')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut view = CertView::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 11, "unexpected tshark line {line:?}");
        let server = endpoint(f[0], f[1], f[2]);
        let client = endpoint(f[3], f[4], f[5]);
        let times = list(f[7]);
        let algs = list(f[8]);
        if times.len() < 2 || algs.len() < 2 {
            continue; // random bytes in a Certificate message (older fixtures)
        }
        // "2015-01-01 00:00:00 (UTC)" -> "2015-01-01T00:00:00Z"
        let t = |s: &str| s.trim_end_matches(" (UTC)").replacen(' ', "T", 1) + "Z";
        let sig = match algs[0].as_str() {
            "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
            "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
            "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
            other => panic!("signature OID {other} not in the test's table"),
        };
        let key = match algs[1].as_str() {
            "1.2.840.113549.1.1.1" => "RSA",
            "1.2.840.10045.2.1" => "EC",
            other => panic!("key OID {other} not in the test's table"),
        };
        view.insert(
            (client, server),
            (
                list(f[6]).len() as u32,
                t(&times[0]),
                t(&times[1]),
                sig.to_owned(),
                key.to_owned(),
                list(f[9]),
                list(f[10]),
            ),
        );
    }
    view
}

#[test]
fn certificates_equal_tsharks_on_the_test_captures() {
    if !tshark_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for f in testdata() {
        let p = dir.path().join(f.name);
        std::fs::write(&p, &f.bytes).unwrap();
        let theirs = tshark_certs(&p);
        let mut ours = CertView::new();
        Audit::new(AuditOptions::default()).run(
            std::slice::from_ref(&p),
            |r| {
                // Certificates whose bytes are random (the older fixtures)
                // parse in neither tool.
                let Some(cn) = r.cert_cn.clone() else { return };
                let c = std::net::SocketAddr::new(r.client_ip, r.client_port).to_string();
                let s = std::net::SocketAddr::new(r.server_ip, r.server_port).to_string();
                // tshark lists the leaf's issuer attribute values, then its
                // subject's (CN first in these fixtures).
                let mut names: Vec<String> = r
                    .cert_issuer
                    .as_deref()
                    .unwrap()
                    .split(", ")
                    .map(|kv| kv.split_once('=').unwrap().1.to_owned())
                    .collect();
                names.push(cn);
                let dns: Vec<String> = r
                    .cert_san
                    .iter()
                    .filter(|n| n.parse::<std::net::IpAddr>().is_err())
                    .cloned()
                    .collect();
                ours.insert(
                    (c, s),
                    (
                        r.cert_chain_len.unwrap(),
                        r.cert_not_before.clone().unwrap(),
                        r.cert_not_after.clone().unwrap(),
                        r.cert_signature.clone().unwrap(),
                        r.cert_key_type.clone().unwrap(),
                        dns,
                        names,
                    ),
                );
            },
            |p, e| panic!("{}: {e}", p.display()),
        );
        for (k, v) in &ours {
            let t = theirs
                .get(k)
                .unwrap_or_else(|| panic!("{}: tshark saw no certificate for {k:?}", f.name));
            assert_eq!(&t.0, &v.0, "{}: chain length {k:?}", f.name);
            assert_eq!(
                (&t.1, &t.2, &t.3, &t.4, &t.5),
                (&v.1, &v.2, &v.3, &v.4, &v.5),
                "{}: validity, signature, key type, DNS names {k:?}",
                f.name
            );
            assert_eq!(&t.6[..v.6.len()], &v.6[..], "{}: names {k:?}", f.name);
            compared += 1;
        }
        let expected_certs = f.expected.iter().filter(|e| e.cert.is_some()).count();
        assert_eq!(ours.len(), expected_certs, "{}", f.name);
    }
    assert!(compared >= 11, "only {compared} certificates compared");
}

/// (client, server) -> (frame tshark shows the first ClientHello in, the
/// frame of its first byte: the first TCP segment of the first TLS record
/// it was reassembled from)
type FrameView = BTreeMap<(String, String), (u64, u64)>;

fn tshark_hello_frames(path: &Path) -> FrameView {
    // Every frame: a frame that completes a reassembled PDU lists its TCP
    // segments; one that completes a handshake message split over TLS
    // records lists the frames of those records.
    let out = netops_testkit::child::tshark_fields(
        path,
        &[
            &TLS_DECODE[..],
            &["-E", "separator=|", "-E", "aggregator=,"],
        ]
        .concat(),
        &[
            "frame.number",
            "tcp.segment",
            "tls.handshake.fragment",
            "tls.handshake.type",
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "ip.dst",
            "ipv6.dst",
            "tcp.dstport",
        ],
    );
    let nums = |s: &str| -> Vec<u64> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().expect("frame number"))
            .collect()
    };
    let mut segments: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut hellos = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 10, "unexpected tshark line {line:?}");
        let frame: u64 = f[0].parse().expect("frame.number");
        segments.insert(frame, nums(f[1]));
        if f[3].split(',').any(|t| t == "1") {
            let client = endpoint(f[4], f[5], f[6]);
            let server = endpoint(f[7], f[8], f[9]);
            hellos.push((frame, nums(f[2]), client, server));
        }
    }
    let mut view = FrameView::new();
    for (frame, fragments, client, server) in hellos {
        let first = fragments
            .iter()
            .chain([&frame])
            .map(|g| segments[g].first().copied().unwrap_or(*g))
            .min()
            .unwrap_or(frame);
        // The first ClientHello of a connection (a second one follows a
        // HelloRetryRequest).
        view.entry((client, server)).or_insert((frame, first));
    }
    view
}

#[test]
fn frame_numbers_equal_tsharks_on_the_test_captures() {
    if !tshark_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for f in testdata().into_iter().filter(|f| !f.name.contains("quic")) {
        let p = dir.path().join(f.name);
        std::fs::write(&p, &f.bytes).unwrap();
        files.push(p);
    }
    let p = dir.path().join("mixed.pcap");
    let mut bytes = Vec::new();
    write_bench_capture(&mut bytes, 3 << 20, 30, 99).unwrap();
    std::fs::write(&p, bytes).unwrap();
    files.push(p);
    let (mut single, mut reassembled) = (0, 0);
    for path in &files {
        let theirs = tshark_hello_frames(path);
        let mut ours = BTreeMap::new();
        Audit::new(AuditOptions::default()).run(
            std::slice::from_ref(path),
            |r| {
                let c = std::net::SocketAddr::new(r.client_ip, r.client_port).to_string();
                let s = std::net::SocketAddr::new(r.server_ip, r.server_port).to_string();
                if let Some(f) = r.frame {
                    ours.insert((c, s), f);
                } else {
                    assert!(r.client_version.is_none(), "{r:?}");
                }
            },
            |p, e| panic!("{}: {e}", p.display()),
        );
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{}: connections with a ClientHello",
            path.display()
        );
        for (k, &frame) in &ours {
            let (shown_in, first) = theirs[k];
            assert_eq!(frame, first, "{}: {k:?}", path.display());
            if first == shown_in {
                single += 1;
            } else {
                reassembled += 1;
            }
        }
    }
    assert!(single > 100, "{single} hellos in one segment compared");
    // Over TCP segments, TLS records or both.
    assert!(
        reassembled >= 3,
        "{reassembled} reassembled hellos compared"
    );
}
