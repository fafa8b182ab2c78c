//! Differential test against tshark, which decrypts QUIC Initials itself:
//! for every QUIC connection of the generated captures, the SNI, ALPN,
//! offered and negotiated TLS versions and the chosen cipher must equal
//! what tshark decodes, and no connection may be missing on either side.
//! The `frame` column must be the first client Initial tshark finds a
//! CRYPTO frame in (tshark shows the ClientHello in the Initial that
//! completes it).

use std::collections::BTreeMap;
use std::path::Path;

use netops_testkit::tls::capture::{T0, to_pcap};
use netops_testkit::tls::quic::{quic_conversations, quic_frames, random_quic_conversations};
use tls_handshake::audit::conn::cipher_label;
use tls_handshake::audit::{Audit, AuditOptions};
use tls_handshake::{Transport, Version};

fn tshark_available() -> bool {
    netops_testkit::child::peer_available("tshark", "-v", "apt-get install tshark")
}

/// What both sides report for one connection.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Facts {
    sni: Option<String>,
    alpn: Vec<String>,
    offered: Vec<String>,
    version: Option<String>,
    cipher: Option<String>,
    frame: Option<u64>,
}

/// (client "ip:port", server "ip:port") -> facts
type View = BTreeMap<(String, String), Facts>;

fn hex16(s: &str) -> u16 {
    u16::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

fn tshark_view(path: &Path) -> View {
    let out = netops_testkit::child::tshark_fields(
        path,
        &[
            "-Y",
            "quic && (tls.handshake.type == 1 || tls.handshake.type == 2)",
            "-E",
            "separator=|",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
        ],
        &[
            "udp.stream",
            "ip.src",
            "udp.srcport",
            "ip.dst",
            "udp.dstport",
            "tls.handshake.type",
            "tls.handshake.extensions_server_name",
            "tls.handshake.extensions_alpn_str",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.ciphersuite",
        ],
    );
    let mut streams: BTreeMap<u64, ((String, String), Facts, bool)> = BTreeMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 10, "unexpected tshark line {line:?}");
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let versions: Vec<String> = list(f[8])
            .iter()
            .map(|v| hex16(v))
            .filter(|&v| !tls_handshake::is_grease(v))
            .map(|v| Version(v).name().into_owned())
            .collect();
        let src = format!("{}:{}", f[1], f[2]);
        let dst = format!("{}:{}", f[3], f[4]);
        let types = list(f[5]);
        let e = streams
            .entry(f[0].parse().expect("udp.stream"))
            .or_insert_with(|| ((String::new(), String::new()), Facts::default(), false));
        if types.iter().any(|t| t == "1") && !e.2 {
            // The first ClientHello of the stream.
            e.2 = true;
            e.0 = (src, dst);
            e.1.sni = list(f[6]).into_iter().next();
            e.1.alpn = list(f[7]);
            e.1.offered = versions;
        } else if types.iter().any(|t| t == "2") {
            e.1.version = versions.into_iter().next();
            e.1.cipher = list(f[9]).first().map(|c| cipher_label(hex16(c)));
        }
    }
    let mut view: View = streams
        .into_values()
        .filter(|(_, _, client)| *client)
        .map(|(k, f, _)| (k, f))
        .collect();
    // The first frame from each client that carries CRYPTO data.
    let out = netops_testkit::child::tshark_fields(
        path,
        &["-Y", "quic.crypto.offset", "-E", "separator=|"],
        &[
            "frame.number",
            "ip.src",
            "udp.srcport",
            "ip.dst",
            "udp.dstport",
        ],
    );
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 5, "unexpected tshark line {line:?}");
        let key = (format!("{}:{}", f[1], f[2]), format!("{}:{}", f[3], f[4]));
        if let Some(facts) = view.get_mut(&key) {
            facts
                .frame
                .get_or_insert(f[0].parse().expect("frame.number"));
        }
    }
    view
}

fn our_view(path: &Path) -> View {
    let mut view = View::new();
    let report = Audit::new(AuditOptions::default()).run(
        &[path.to_path_buf()],
        |r| {
            assert_eq!(r.transport, Transport::Quic);
            let c = std::net::SocketAddr::new(r.client_ip, r.client_port).to_string();
            let s = std::net::SocketAddr::new(r.server_ip, r.server_port).to_string();
            let facts = Facts {
                sni: r.sni.clone(),
                alpn: r.alpn.clone(),
                offered: r.offered_versions.clone(),
                version: r.version.clone(),
                cipher: r.cipher.clone(),
                frame: r.frame,
            };
            assert!(view.insert((c, s), facts).is_none(), "two rows: {r:?}");
        },
        |p, e| panic!("{}: {e}", p.display()),
    );
    assert_eq!(report.files_failed, 0);
    view
}

fn compare(path: &Path) -> usize {
    let theirs = tshark_view(path);
    let ours = our_view(path);
    assert_eq!(ours, theirs, "{}", path.display());
    theirs.len()
}

#[test]
fn quic_hellos_equal_tsharks() {
    if !tshark_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixed = quic_conversations();
    let p = dir.path().join("quic.pcap");
    std::fs::write(&p, to_pcap(&quic_frames(&fixed, T0))).unwrap();
    assert_eq!(compare(&p), fixed.len());
    for seed in [1, 2, 3] {
        let convs = random_quic_conversations(60, seed);
        let p = dir.path().join(format!("random-{seed}.pcap"));
        std::fs::write(&p, to_pcap(&quic_frames(&convs, T0))).unwrap();
        assert_eq!(compare(&p), convs.len(), "seed {seed}");
    }
}
