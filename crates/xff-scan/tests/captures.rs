//! Capture-level tests: the committed fixtures are what the generator makes,
//! and scanning them finds exactly the planted hits.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;

use netops_testkit::xff::{self as synth, Container, Expected, TARGET_V4, TARGET_V6};
use pcap_core::Capture;
use xff_scan::batch::Conversations;
use xff_scan::reassemble::{ReassembleOptions, scan_capture_reassembled};
use xff_scan::scan::{Match, ScanOptions, scan_capture, scan_capture_parallel};
use xff_scan::{Matcher, TargetSet, default_headers};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/xff")
}

fn fixtures() -> Vec<(&'static str, Vec<u8>, Vec<Expected>)> {
    let (a, ea) = synth::headers_fixture(Container::Pcap);
    let (b, eb) = synth::headers_fixture(Container::Pcapng);
    let (c, ec) = synth::split_fixture();
    vec![
        ("headers.pcap", a, ea),
        ("headers.pcapng", b, eb),
        ("split.pcap", c, ec),
    ]
}

#[test]
fn committed_fixtures_match_the_generator() {
    let dir = testdata();
    let update = std::env::var_os("UPDATE_TESTDATA").is_some_and(|v| v == "1");
    for (name, bytes, _) in fixtures().into_iter().chain([reassemble_fixture()]) {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with UPDATE_TESTDATA=1 to create it",
                path.display()
            )
        });
        assert!(
            on_disk == bytes,
            "{} differs from its generator (netops_testkit::xff); run with UPDATE_TESTDATA=1 to rewrite",
            path.display()
        );
    }
}

fn scan(bytes: Vec<u8>, name: &str, targets: Option<&[&str]>) -> Vec<Match> {
    let cap = Capture::from_vec(name, bytes).unwrap();
    let m = Matcher::new(
        default_headers(),
        targets.map(|t| TargetSet::parse(t).unwrap()),
    );
    let mut out = vec![];
    let r = scan_capture(&cap, &m, &ScanOptions::default(), |x| out.push(x), |_| {});
    assert!(r.error.is_none(), "{:?}", r.error);
    out
}

fn key(
    m: &Match,
) -> (
    u64,
    IpAddr,
    u16,
    IpAddr,
    u16,
    String,
    IpAddr,
    u32,
    String,
    Option<String>,
) {
    (
        m.frame,
        m.src_ip,
        m.src_port,
        m.dst_ip,
        m.dst_port,
        default_headers()[m.hit.header].name().to_string(),
        m.hit.client_ip,
        m.hit.position,
        m.hit.method.to_string(),
        m.hit.host.as_ref().map(|h| h.to_string()),
    )
}

fn expected_key(
    e: &Expected,
) -> (
    u64,
    IpAddr,
    u16,
    IpAddr,
    u16,
    String,
    IpAddr,
    u32,
    String,
    Option<String>,
) {
    (
        e.frame,
        e.src.0,
        e.src.1,
        e.dst.0,
        e.dst.1,
        e.header.to_string(),
        e.client_ip,
        e.position,
        e.method.to_string(),
        e.host.map(str::to_string),
    )
}

#[test]
fn every_planted_hit_and_nothing_else() {
    let t4 = TARGET_V4.to_string();
    let t6 = TARGET_V6.to_string();
    for (name, bytes, exp) in fixtures() {
        let got: Vec<_> = scan(bytes, name, Some(&[&t4, &t6]))
            .iter()
            .map(key)
            .collect();
        let want: Vec<_> = exp.iter().map(expected_key).collect();
        assert_eq!(got, want, "{name}");
        assert!(!want.is_empty());
    }
}

#[test]
fn cidr_and_v6_only_targets() {
    let (bytes, exp) = synth::headers_fixture(Container::Pcap);
    let got = scan(bytes.clone(), "h.pcap", Some(&["2001:db8:77::/48"]));
    let want: Vec<_> = exp
        .iter()
        .filter(|e| e.client_ip.is_ipv6())
        .map(expected_key)
        .collect();
    let near: IpAddr = "2001:db8:77::10".parse().unwrap();
    // The /48 also holds the near-miss decoy 2001:db8:77::10 (third in its list).
    let (extra, got): (Vec<_>, Vec<_>) = got.iter().partition(|m| m.hit.client_ip == near);
    assert_eq!(got.into_iter().map(key).collect::<Vec<_>>(), want);
    assert_eq!(extra.len(), 1);
    assert_eq!(extra[0].hit.position, 2);
    // A /24 around the target also catches the near-miss decoy 203.0.113.7.
    let got = scan(bytes, "h.pcap", Some(&["203.0.113.0/24"]));
    assert_eq!(
        got.iter()
            .filter(|m| m.hit.client_ip.to_string() == "203.0.113.7")
            .count(),
        1
    );
}

#[test]
fn list_mode_sees_decoy_free_addresses_only() {
    let (bytes, _) = synth::headers_fixture(Container::Pcapng);
    let got = scan(bytes, "h.pcapng", None);
    let ips: HashSet<String> = got.iter().map(|m| m.hit.client_ip.to_string()).collect();
    // in the request headers
    for ip in [
        "198.51.100.1",
        "10.0.0.9",
        "192.0.2.60",
        "198.51.100.9",
        "203.0.113.7",
        "2001:db8:77::10",
    ] {
        assert!(ips.contains(ip), "{ip} missing from {ips:?}");
    }
    // only in a body, a response, a by= parameter, or not an address at all
    for ip in ["1.1.1.1", "203.0.113.43", "203.0.113.770"] {
        assert!(!ips.contains(ip), "{ip} must not be listed");
    }
}

#[test]
fn conversations_are_complete_in_both_directions() {
    let (bytes, exp) = synth::headers_fixture(Container::Pcap);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcap");
    std::fs::write(&input, &bytes).unwrap();
    let matches = scan(
        bytes,
        "in.pcap",
        Some(&[&TARGET_V4.to_string(), &TARGET_V6.to_string()]),
    );
    let mut conv = Conversations::default();
    for m in &matches {
        conv.add(&input, m);
    }
    let out = dir.path().join("out.pcap");
    let mut w = xff_scan::batch::ConversationWriter::create(&out).unwrap();
    let errors = conv.complete(
        std::slice::from_ref(&input),
        &Default::default(),
        Some(&mut w),
    );
    assert!(errors.is_empty(), "{errors:?}");
    w.finish().unwrap();
    let flows: HashSet<_> = exp.iter().map(|e| (e.src, e.dst)).collect();
    let rows = conv.into_sorted();
    assert_eq!(rows.len(), flows.len());
    // each generated conversation: SYN, SYN-ACK, ACK, request, response,
    // FIN, FIN, ACK = 8 packets, both directions
    for r in &rows {
        assert_eq!(r.packets, 8, "{r:?}");
        assert_eq!(r.last_ns - r.first_ns, 7_000_000);
    }
    let written = Capture::open(&out).unwrap();
    let n = written.packets().count();
    assert_eq!(n, 8 * flows.len());
}

#[test]
fn truncated_file_reports_matches_before_the_cut_and_the_error() {
    let (bytes, exp) = synth::headers_fixture(Container::Pcap);
    let cut = bytes.len() * 2 / 3;
    let cap = Capture::from_vec("cut.pcap", bytes[..cut].to_vec()).unwrap();
    let m = Matcher::new(
        default_headers(),
        Some(TargetSet::parse(&[TARGET_V4.to_string()]).unwrap()),
    );
    let mut got = vec![];
    let r = scan_capture(&cap, &m, &ScanOptions::default(), |x| got.push(x), |_| {});
    let err = r.error.expect("a cut file is an error");
    let msg = err.to_string();
    assert!(msg.contains("cut.pcap"), "{msg}");
    assert!(!got.is_empty());
    assert!(got.len() < exp.len());
    assert!(got.iter().all(|g| g.frame <= r.frames));
}

#[test]
fn parallel_chunks_give_the_sequential_result() {
    let mut random = Vec::new();
    let info = synth::bench_capture(&mut random, 2 << 20, 10, 11).unwrap();
    assert!(info.requests > 100);
    let (h, _) = synth::headers_fixture(Container::Pcapng);
    let m = Matcher::new(default_headers(), None);
    for (name, bytes) in [("random.pcap", random), ("headers.pcapng", h)] {
        let cap = Capture::from_vec(name, bytes).unwrap();
        let mut seq = vec![];
        scan_capture(&cap, &m, &ScanOptions::default(), |x| seq.push(x), |_| {});
        for chunk_size in [4096, 65536] {
            let opts = ScanOptions {
                chunk_size,
                ..ScanOptions::default()
            };
            let mut par = vec![];
            let r = scan_capture_parallel(&cap, &m, &opts, 2, |x| par.push(x), |_| {});
            assert!(r.error.is_none());
            assert_eq!(par, seq, "{name} chunk {chunk_size}");
        }
        assert!(!seq.is_empty());
    }
}

#[test]
fn corrupt_record_mid_file_stops_with_the_readers_error() {
    let (mut bytes, exp) = synth::headers_fixture(Container::Pcap);
    // Walk the records to the 30th and give it an impossible caplen.
    let mut pos = 24usize;
    for _ in 0..29 {
        let caplen = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()) as usize;
        pos += 16 + caplen;
    }
    bytes[pos + 8..pos + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let cap = Capture::from_vec("bad.pcap", bytes).unwrap();
    // What pcap-core's own reader says about this file:
    let reader_err = cap
        .packets()
        .find_map(Result::err)
        .expect("reader rejects it");
    let m = Matcher::new(
        default_headers(),
        Some(TargetSet::parse(&[TARGET_V4.to_string(), TARGET_V6.to_string()]).unwrap()),
    );
    let mut got = vec![];
    let r = scan_capture(&cap, &m, &ScanOptions::default(), |x| got.push(x), |_| {});
    let err = r.error.expect("error reported");
    assert_eq!(err.to_string(), reader_err.to_string());
    assert!(err.to_string().contains("bad.pcap"));
    assert_eq!(r.frames, 29);
    let want: Vec<_> = exp
        .iter()
        .filter(|e| e.frame <= 29)
        .map(expected_key)
        .collect();
    assert_eq!(got.iter().map(key).collect::<Vec<_>>(), want);
    assert!(!want.is_empty());
}

fn scan_reassembled(bytes: Vec<u8>, name: &str) -> Vec<Match> {
    let cap = Capture::from_vec(name, bytes).unwrap();
    let m = Matcher::new(
        default_headers(),
        Some(TargetSet::parse(&[TARGET_V4.to_string(), TARGET_V6.to_string()]).unwrap()),
    );
    let mut out = vec![];
    let r = scan_capture_reassembled(
        &cap,
        &m,
        &ReassembleOptions::default(),
        |x| out.push(x),
        |_| {},
    );
    assert!(r.error.is_none(), "{:?}", r.error);
    out
}

#[test]
fn reassembly_finds_what_needs_it_and_the_default_scan_what_it_documents() {
    let (name, bytes, exp) = reassemble_fixture();
    let got: Vec<_> = scan_reassembled(bytes.clone(), name)
        .iter()
        .map(key)
        .collect();
    let want: Vec<_> = exp.iter().map(expected_key).collect();
    assert_eq!(got, want);
    assert!(exp.iter().filter(|e| e.reassemble_only).count() >= 4);
    let t4 = TARGET_V4.to_string();
    let fast: Vec<_> = scan(bytes, name, Some(&[&t4])).iter().map(key).collect();
    let want_fast: Vec<_> = exp
        .iter()
        .filter(|e| !e.reassemble_only)
        .map(expected_key)
        .collect();
    assert_eq!(fast, want_fast);
}

#[test]
fn reassembly_agrees_on_the_other_fixtures() {
    for (name, bytes, exp) in fixtures() {
        let got: Vec<_> = scan_reassembled(bytes, name).iter().map(key).collect();
        let want: Vec<_> = exp.iter().map(expected_key).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn retransmissions_count_once_when_reassembling() {
    use netops_testkit::xff::{capture_writer, flags, segment};
    let c: (IpAddr, u16) = ("10.0.0.2".parse().unwrap(), 40000);
    let s: (IpAddr, u16) = ("10.0.1.80".parse().unwrap(), 80);
    let req = b"GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.77\r\n\r\n";
    let mut w = capture_writer(Vec::new(), Container::Pcap).unwrap();
    w.frame(&segment(&[], c, s, 10, 0, flags::SYN, &[]))
        .unwrap();
    w.frame(&segment(&[], c, s, 11, 1, flags::PSH | flags::ACK, req))
        .unwrap();
    w.frame(&segment(&[], c, s, 11, 1, flags::PSH | flags::ACK, req))
        .unwrap();
    // a retransmission that also carries new bytes: only those are read
    let mut more = req.to_vec();
    more.extend_from_slice(b"GET /2 HTTP/1.1\r\nX-Real-IP: 203.0.113.77\r\n\r\n");
    w.frame(&segment(&[], c, s, 11, 1, flags::PSH | flags::ACK, &more))
        .unwrap();
    let bytes = w.finish().unwrap();
    let got = scan_reassembled(bytes.clone(), "rtx.pcap");
    let frames: Vec<(u64, usize)> = got.iter().map(|m| (m.frame, m.hit.header)).collect();
    assert_eq!(frames, vec![(2, 0), (4, 2)]);
    // The default scan reports every packet that carries the header.
    let fast = scan(bytes, "rtx.pcap", Some(&["203.0.113.77"]));
    assert_eq!(
        fast.iter().map(|m| m.frame).collect::<Vec<_>>(),
        vec![2, 3, 4, 4]
    );
}

fn reassemble_fixture() -> (&'static str, Vec<u8>, Vec<Expected>) {
    let (d, ed) = synth::reassemble_fixture();
    ("reassemble.pcap", d, ed)
}

#[test]
fn random_capture_reassembled_finds_every_request() {
    // The benchmark generator's capture has consistent sequence numbers:
    // reassembly (joining mid-stream, resynchronising after random
    // payloads) finds exactly the requests the default scan finds.
    let mut bytes = Vec::new();
    let info = synth::bench_capture(&mut bytes, 2 << 20, 10, 5).unwrap();
    let fast = scan(bytes.clone(), "random.pcap", None);
    let cap = Capture::from_vec("random.pcap", bytes).unwrap();
    let m = Matcher::new(default_headers(), None);
    let mut re = vec![];
    scan_capture_reassembled(
        &cap,
        &m,
        &ReassembleOptions::default(),
        |x| re.push(x),
        |_| {},
    );
    // two addresses per request
    assert_eq!(fast.len() as u64, 2 * info.requests);
    assert_eq!(re, fast);
}

#[test]
fn reassembly_under_tight_limits_still_finds_single_segment_requests() {
    // Flow table of 2, no out-of-order buffer, 1 ms idle timeout: state is
    // evicted constantly, yet every request that starts a segment is found
    // (a forgotten direction resynchronises at the next request line).
    let mut bytes = Vec::new();
    let info = synth::bench_capture(&mut bytes, 1 << 20, 5, 3).unwrap();
    let cap = Capture::from_vec("tight.pcap", bytes).unwrap();
    let m = Matcher::new(default_headers(), None);
    let opts = ReassembleOptions {
        max_flows: 2,
        max_ooo_bytes: 0,
        idle_timeout_ns: 1_000_000,
    };
    let mut got = vec![];
    let r = scan_capture_reassembled(&cap, &m, &opts, |x| got.push(x), |_| {});
    assert!(r.error.is_none());
    assert_eq!(got.len() as u64, 2 * info.requests);
    let (name, fixture, exp) = reassemble_fixture();
    let cap = Capture::from_vec(name, fixture).unwrap();
    let mut got = vec![];
    scan_capture_reassembled(&cap, &m, &opts, |x| got.push(x), |_| {});
    // without an out-of-order buffer the swapped segments are lost, the
    // rest is still found
    let frames: HashSet<u64> = got.iter().map(|g| g.frame).collect();
    let ooo = exp.iter().filter(|e| e.host == Some("b.example")).count();
    assert_eq!(ooo, 1);
    for e in exp.iter().filter(|e| e.host != Some("b.example")) {
        assert!(frames.contains(&e.frame), "frame {} missing", e.frame);
    }
}

#[test]
fn parallel_scan_in_any_chunks_and_lanes_equals_sequential() {
    // The fixture has header blocks split over two and three segments of
    // a flow (and other flows in between): wherever the chunk boundaries
    // fall, the split scan must give exactly the sequential matches.
    let m = Matcher::new(default_headers(), None);
    let (split, exp) = synth::split_fixture();
    assert!(
        exp.iter().any(|e| e.split),
        "the fixture splits header lines"
    );
    let (headers, _) = synth::headers_fixture(Container::Pcapng);
    let (headers_pcap, _) = synth::headers_fixture(Container::Pcap);
    let mut random = Vec::new();
    synth::bench_capture(&mut random, 300_000, 7, 3).unwrap();
    for (name, bytes) in [
        ("split.pcap", split),
        ("headers.pcapng", headers),
        ("headers.pcap", headers_pcap),
        ("random.pcap", random),
    ] {
        let cap = Capture::from_vec(name, bytes).unwrap();
        let mut seq = vec![];
        let r = scan_capture(&cap, &m, &ScanOptions::default(), |x| seq.push(x), |_| {});
        assert!(r.error.is_none());
        let mut bad = vec![];
        for chunk_size in (60..3000).step_by(13) {
            // lanes 0: pcap-core's choice (16 for pcap, 1 for pcapng).
            for (threads, lanes) in [(1, 0), (2, 0), (1, 1), (2, 3)] {
                let opts = ScanOptions {
                    chunk_size,
                    lanes,
                    ..ScanOptions::default()
                };
                let mut par = vec![];
                let rp = scan_capture_parallel(&cap, &m, &opts, threads, |x| par.push(x), |_| {});
                assert!(rp.error.is_none());
                assert_eq!(rp.frames, r.frames);
                if par != seq || rp.carry_dropped != r.carry_dropped {
                    bad.push((chunk_size, threads, lanes));
                }
            }
        }
        assert!(bad.is_empty(), "{name}: chunk sizes that differ: {bad:?}");
    }
}
