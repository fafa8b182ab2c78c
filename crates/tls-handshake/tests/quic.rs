//! QUIC Initials through the QuicTracker: generated, encrypted packets with
//! known DCIDs (netops-testkit's `tls::quic`), split and reordered CRYPTO
//! frames, coalesced packets, retransmissions, Retry, idle and capacity;
//! and arbitrary or damaged bytes never panic.

use netops_testkit::tls::hello::{ClientSpec, ServerSpec, client_hello_message};
use netops_testkit::tls::quic::{
    InitialSpec, client_ack_initial, client_initials, long_packet, server_initials, short_packet,
};
use proptest::prelude::*;
use tls_handshake::ClientHello;
use tls_handshake::quic::{
    CryptoStream, InitialKeys, LongHeader, QuicTracker, QuicVersion, frames, open,
};
use tls_handshake::tracker::{ClientInfo, End, Handshake, Limits, Side};
use tls_handshake::{Transport, Version};

type Rows = Vec<(&'static str, Handshake)>;

fn feed(t: &mut QuicTracker<&'static str>, rows: &mut Rows, side: Side, ds: &[Vec<u8>]) {
    for (i, d) in ds.iter().enumerate() {
        t.push(
            "flow",
            side,
            10 + i as u64,
            1_000 + i as i64,
            d,
            &mut |k, h| rows.push((k, h)),
        );
    }
}

/// Client Initials, the server's datagram, the client's ACK Initial to the
/// server's CID, then 1-RTT packets: the rows reported along the way and at
/// the end.
fn run(spec: &InitialSpec, hello: &ClientSpec, answer: bool) -> Rows {
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    feed(&mut t, &mut rows, Side::A, &client_initials(spec, hello));
    if answer {
        feed(
            &mut t,
            &mut rows,
            Side::B,
            &server_initials(spec, &ServerSpec::tls13()),
        );
        feed(
            &mut t,
            &mut rows,
            Side::A,
            &[
                client_ack_initial(spec, 7),
                short_packet(&spec.server_scid, 50, 1),
            ],
        );
    }
    t.finish(&mut |k, h| rows.push((k, h)));
    rows
}

/// What the TCP path reports for the same hello, with JA4's `q`.
fn expected_client(hello: &ClientSpec) -> ClientInfo {
    let msg = client_hello_message(hello);
    let h = ClientHello::parse(&msg[4..]).unwrap();
    ClientInfo::from_hello_over(&h, 0, 0, Transport::Quic)
}

fn check_row(rows: &Rows, hello: &ClientSpec, answered: bool) {
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let h = &rows[0].1;
    assert_eq!(h.client_side, Side::A);
    let c = h.client.as_ref().expect("ClientHello");
    let want = expected_client(hello);
    assert_eq!(
        (&c.sni, &c.alpn, &c.offered, &c.ja4),
        (&want.sni, &want.alpn, &want.offered, &want.ja4)
    );
    assert!(c.ja4.starts_with("q13d"), "{}", c.ja4);
    if answered {
        assert_eq!(h.end, End::Complete);
        let s = h.server.as_ref().expect("ServerHello");
        assert_eq!(s.version, Some(Version::TLS13));
        assert_eq!(s.cipher, Some(0x1301));
        // ServerSpec::tls13: renegotiation_info, supported_versions, key_share.
        assert!(s.ja4s.as_deref().unwrap().starts_with("q130300_1301_"));
    } else {
        assert_eq!(h.end, End::EndOfInput);
        assert!(h.server.is_none());
    }
}

const DCID: &[u8] = &[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

#[test]
fn one_initial_each_way_gives_one_row() {
    for v in [QuicVersion::V1, QuicVersion::V2, QuicVersion::Draft(29)] {
        let spec = InitialSpec::v1(DCID).with_version(v);
        let hello = ClientSpec::quic("one.example");
        check_row(&run(&spec, &hello, true), &hello, true);
    }
}

#[test]
fn crypto_frames_out_of_order_over_several_initials() {
    let hello = ClientSpec::quic("split.example");
    let len = client_hello_message(&hello).len();
    for packets in 1..=4 {
        for reverse in [false, true] {
            let spec = InitialSpec {
                cuts: (1..len).step_by(37).collect(),
                packets,
                reverse,
                ..InitialSpec::v1(DCID)
            };
            check_row(&run(&spec, &hello, true), &hello, true);
        }
    }
}

#[test]
fn coalesced_initials_in_one_datagram() {
    let hello = ClientSpec::quic("coalesced.example");
    for v in [QuicVersion::V1, QuicVersion::V2] {
        let spec = InitialSpec {
            cuts: vec![50, 120, 200],
            packets: 3,
            coalesce: true,
            ..InitialSpec::v1(DCID).with_version(v)
        };
        let ds = client_initials(&spec, &hello);
        assert_eq!(ds.len(), 1);
        assert!(ds[0].len() >= 1200);
        check_row(&run(&spec, &hello, true), &hello, true);
    }
}

#[test]
fn retransmitted_initials_give_one_row() {
    let hello = ClientSpec::quic("again.example");
    let spec = InitialSpec {
        cuts: vec![100],
        packets: 2,
        ..InitialSpec::v1(DCID)
    };
    let ch = client_initials(&spec, &hello);
    let sh = server_initials(&spec, &ServerSpec::tls13());
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    // Before the answer, after it, and the server's flight twice.
    feed(&mut t, &mut rows, Side::A, &ch);
    feed(&mut t, &mut rows, Side::A, &ch);
    feed(&mut t, &mut rows, Side::B, &sh);
    feed(&mut t, &mut rows, Side::A, &ch);
    feed(&mut t, &mut rows, Side::B, &sh);
    t.finish(&mut |k, h| rows.push((k, h)));
    check_row(&rows, &hello, true);
}

#[test]
fn a_client_without_answer_is_reported_at_the_end_or_when_idle() {
    let hello = ClientSpec::quic("silent.example");
    let spec = InitialSpec::v1(DCID);
    check_row(&run(&spec, &hello, false), &hello, false);
    // Idle: a datagram of another flow far later ends it.
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    feed(&mut t, &mut rows, Side::A, &client_initials(&spec, &hello));
    let other = client_initials(&InitialSpec::v1(b"other-dcid"), &hello);
    t.push(
        "other",
        Side::A,
        99,
        1_000_000_000_000,
        &other[0],
        &mut |k, h| rows.push((k, h)),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "flow");
    assert_eq!(rows[0].1.end, End::Idle);
}

#[test]
fn server_initials_alone_report_nothing() {
    let spec = InitialSpec::v1(DCID);
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    feed(
        &mut t,
        &mut rows,
        Side::B,
        &server_initials(&spec, &ServerSpec::tls13()),
    );
    let stats = t.finish(&mut |k, h| rows.push((k, h)));
    assert!(rows.is_empty());
    assert_eq!(stats.flows, 0);
}

#[test]
fn a_new_dcid_on_the_same_ports_is_a_new_connection() {
    let a = ClientSpec::quic("first.example");
    let b = ClientSpec::quic("second.example");
    let spec_a = InitialSpec::v1(DCID);
    let spec_b = InitialSpec::v1(&[9, 9, 9, 9, 9, 9, 9, 9]);
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    feed(&mut t, &mut rows, Side::A, &client_initials(&spec_a, &a));
    feed(&mut t, &mut rows, Side::A, &client_initials(&spec_b, &b));
    feed(
        &mut t,
        &mut rows,
        Side::B,
        &server_initials(&spec_b, &ServerSpec::tls13()),
    );
    t.finish(&mut |k, h| rows.push((k, h)));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].1.end, End::NewConnection);
    assert_eq!(
        rows[0].1.client.as_ref().unwrap().sni.as_deref(),
        Some("first.example")
    );
    assert_eq!(rows[1].1.end, End::Complete);
    assert_eq!(
        rows[1].1.client.as_ref().unwrap().sni.as_deref(),
        Some("second.example")
    );
}

/// A Retry packet (v1 type bits 11) from the server carrying `new_scid`.
fn retry(dcid: &[u8], new_scid: &[u8]) -> Vec<u8> {
    let mut p = vec![0xf0, 0, 0, 0, 1, dcid.len() as u8];
    p.extend_from_slice(dcid);
    p.push(new_scid.len() as u8);
    p.extend_from_slice(new_scid);
    p.extend_from_slice(b"retry-token");
    p.extend_from_slice(&[0x5a; 16]); // integrity tag (not checked)
    p
}

#[test]
fn after_a_retry_the_keys_change_and_the_connection_stays() {
    let hello = ClientSpec::quic("retry.example");
    let first = InitialSpec::v1(DCID);
    let new_cid = [0x77u8; 8];
    let second = InitialSpec {
        dcid: new_cid.to_vec(),
        ..first.clone()
    };
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    feed(&mut t, &mut rows, Side::A, &client_initials(&first, &hello));
    feed(
        &mut t,
        &mut rows,
        Side::B,
        &[retry(&first.client_scid, &new_cid)],
    );
    feed(
        &mut t,
        &mut rows,
        Side::A,
        &client_initials(&second, &hello),
    );
    feed(
        &mut t,
        &mut rows,
        Side::B,
        &server_initials(&second, &ServerSpec::tls13()),
    );
    t.finish(&mut |k, h| rows.push((k, h)));
    check_row(&rows, &hello, true);
}

#[test]
fn a_hello_larger_than_the_cap_is_abandoned() {
    let hello = ClientSpec::quic("big.example");
    let spec = InitialSpec {
        cuts: vec![60, 120],
        ..InitialSpec::v1(DCID)
    };
    let limits = Limits {
        per_direction: 100,
        ..Limits::default()
    };
    let mut t = QuicTracker::new(limits);
    let mut rows = Vec::new();
    feed(&mut t, &mut rows, Side::A, &client_initials(&spec, &hello));
    let stats = t.finish(&mut |k, h| rows.push((k, h)));
    assert_eq!(stats.truncated, 1);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].1.client.is_none());
}

#[test]
fn handshake_packets_and_unknown_versions_are_skipped() {
    // A Handshake packet alone, a short header, version negotiation.
    let keys = InitialKeys::derive(QuicVersion::V1, DCID);
    let hs = long_packet(QuicVersion::V1, 2, DCID, &[1], 0, &[0; 40], 0, None);
    let mut t = QuicTracker::new(Limits::default());
    let mut rows = Vec::new();
    assert!(t.push("f", Side::A, 1, 0, &hs, &mut |k, h| rows.push((k, h))));
    assert!(!t.push(
        "f",
        Side::A,
        2,
        0,
        &short_packet(DCID, 100, 1),
        &mut |k, h| { rows.push((k, h)) }
    ));
    let vn = [0xc0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 1];
    assert!(!t.push("f", Side::A, 3, 0, &vn, &mut |k, h| rows.push((k, h))));
    assert!(t.is_empty());
    // An Initial with a frame not allowed there still yields the CRYPTO
    // frames before it.
    let hello = ClientSpec::quic("odd.example");
    let msg = client_hello_message(&hello);
    let mut payload = netops_testkit::tls::quic::crypto_frame(0, &msg);
    payload.extend_from_slice(&[0x08, 0x00, 0x01, b'x']); // STREAM
    let p = long_packet(
        QuicVersion::V1,
        0,
        DCID,
        &[1],
        0,
        &payload,
        1200,
        Some(&keys.client),
    );
    t.push("f", Side::A, 4, 0, &p, &mut |k, h| rows.push((k, h)));
    t.finish(&mut |k, h| rows.push((k, h)));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].1.client.as_ref().unwrap().sni.as_deref(),
        Some("odd.example")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary datagrams (with and without a QUIC-looking first five
    /// bytes) never panic the tracker, the header parser or the frame walk.
    #[test]
    fn arbitrary_datagrams_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..1400),
        version in prop_oneof![Just(1u32), Just(0x6b33_43cf), Just(0xff00_001d), any::<u32>()],
        first in any::<u8>(),
    ) {
        let mut d = vec![first | 0xc0];
        d.extend_from_slice(&version.to_be_bytes());
        d.extend_from_slice(&body);
        let mut t = QuicTracker::new(Limits::default());
        let mut n = 0;
        for (i, x) in [&d[..], &body[..]].into_iter().enumerate() {
            t.push(1u8, Side::A, i as u64, 0, x, &mut |_, _| n += 1);
            t.push(1u8, Side::B, i as u64, 0, x, &mut |_, _| n += 1);
            let _ = LongHeader::parse(x);
            for f in frames(x) {
                let _ = f;
            }
        }
        t.finish(&mut |_, _| n += 1);
        // Random bytes do not authenticate: nothing is reported.
        prop_assert_eq!(n, 0);
    }

    /// Valid Initials cut short or with one byte changed: never a panic,
    /// and a damaged packet never yields a row with a ClientHello that
    /// differs from the real one.
    #[test]
    fn truncated_and_damaged_initials(cut in 0usize..1300, at in 0usize..1300, bit in 0u8..8) {
        let hello = ClientSpec::quic("prop.example");
        let spec = InitialSpec { cuts: vec![80], packets: 2, ..InitialSpec::v1(DCID) };
        let ch = client_initials(&spec, &hello);
        let want = expected_client(&hello);
        for d in &ch {
            let mut cut_d = d.clone();
            cut_d.truncate(cut);
            let mut flip = d.clone();
            if let Some(b) = flip.get_mut(at) { *b ^= 1 << bit; }
            let keys = InitialKeys::derive(QuicVersion::V1, DCID);
            let mut out = Vec::new();
            if let Ok(h) = LongHeader::parse(&cut_d) {
                let _ = open(&cut_d, &h, &keys.client, None, &mut out);
            }
            let mut t = QuicTracker::new(Limits::default());
            let mut rows = Vec::new();
            for x in [&cut_d, &flip] {
                t.push(0u8, Side::A, 1, 0, x, &mut |_, h| rows.push(h));
            }
            for x in &ch {
                t.push(0u8, Side::A, 2, 0, x, &mut |_, h| rows.push(h));
            }
            t.finish(&mut |_, h| rows.push(h));
            for h in &rows {
                if let Some(c) = &h.client {
                    prop_assert_eq!(&c.ja4, &want.ja4);
                    prop_assert_eq!(&c.sni, &want.sni);
                }
            }
        }
    }

    /// The CRYPTO stream equals the message whatever the frame order,
    /// overlap and repetition.
    #[test]
    fn crypto_stream_reassembles_any_order(
        cuts in proptest::collection::vec(0usize..300, 0..12),
        order in proptest::collection::vec(any::<u16>(), 0..40),
    ) {
        let msg: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut b: Vec<usize> = cuts;
        b.push(0);
        b.push(msg.len());
        b.sort_unstable();
        b.dedup();
        let pieces: Vec<(usize, usize)> = b.windows(2).map(|w| (w[0], w[1])).collect();
        let mut s = CryptoStream::new();
        for &o in &order {
            let (a, e) = pieces[usize::from(o) % pieces.len()];
            // Overlapping frames too: extend the piece a little either way.
            let a2 = a.saturating_sub(usize::from(o % 5));
            s.insert(a2 as u64, &msg[a2..e], 1 << 16);
        }
        for &(a, e) in &pieces {
            s.insert(a as u64, &msg[a..e], 1 << 16);
        }
        prop_assert_eq!(s.contiguous(), &msg[..]);
    }
}

#[test]
fn quic_ja4_is_the_tcp_ja4_with_q() {
    for spec in [
        ClientSpec::quic("a.example"),
        ClientSpec::tls13("b.example"),
        ClientSpec::tls12("c.example"),
    ] {
        let msg = client_hello_message(&spec);
        let h = ClientHello::parse(&msg[4..]).unwrap();
        let t = tls_handshake::ja4::ja4(&h);
        let q = tls_handshake::ja4::ja4_over(&h, Transport::Quic);
        assert!(t.starts_with('t'));
        assert_eq!(q, format!("q{}", &t[1..]));
    }
}
