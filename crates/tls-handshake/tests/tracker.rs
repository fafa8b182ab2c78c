//! Tracker tests: TCP segmentation at every byte, retransmissions and
//! reordering, eviction, caps, chunk hand-over, and garbage that must not
//! panic or break the memory bounds.

use netops_testkit::tls::hello::*;
use proptest::prelude::*;
use tls_handshake::Version;
use tls_handshake::tracker::{End, Handshake, Limits, Segment, Side, Tracker};

const CISN: u32 = 0xffff_ff00; // wraps inside the hello on purpose
const SISN: u32 = 5000;

/// One packet of a conversation: (side, seq, payload, fin, rst).
#[derive(Clone, Debug)]
struct Pkt {
    side: Side,
    seq: u32,
    data: Vec<u8>,
    fin: bool,
    rst: bool,
}

fn segments(side: Side, isn: u32, stream: &[u8], cuts: &[usize]) -> Vec<Pkt> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&stream.len())) {
        let c = c.clamp(start, stream.len());
        if c > start {
            out.push(Pkt {
                side,
                seq: isn.wrapping_add(start as u32),
                data: stream[start..c].to_vec(),
                fin: false,
                rst: false,
            });
        }
        start = c;
    }
    out
}

fn run_with(
    t: &mut Tracker<&'static str>,
    pkts: &[Pkt],
    out: &mut Vec<Handshake>,
    tracked_only: bool,
) {
    for (i, p) in pkts.iter().enumerate() {
        let seg = Segment {
            frame: i as u64 + 1,
            ts_ns: i as i64 * 1000,
            seq: p.seq,
            fin: p.fin,
            rst: p.rst,
            syn: false,
            payload: &p.data,
        };
        if tracked_only {
            t.push_tracked("flow", p.side, &seg, &mut |_, h| out.push(h));
        } else {
            t.push("flow", p.side, &seg, &mut |_, h| out.push(h));
        }
    }
}

fn run(pkts: &[Pkt]) -> Vec<Handshake> {
    let mut t = Tracker::new(Limits::default());
    let mut out = Vec::new();
    run_with(&mut t, pkts, &mut out, false);
    t.finish(&mut |_, h| out.push(h));
    out
}

type ClientEssence = (Version, Vec<Version>, Option<String>, String);
type ServerEssence = (Option<Version>, Option<u16>, bool);

/// Compares what matters (frame numbers move with segmentation).
fn essence(h: &[Handshake]) -> Vec<(Side, Option<ClientEssence>, Option<ServerEssence>, End)> {
    h.iter()
        .map(|h| {
            (
                h.client_side,
                h.client
                    .as_ref()
                    .map(|c| (c.highest(), c.offered.clone(), c.sni.clone(), c.ja4.clone())),
                h.server.as_ref().map(|s| (s.version, s.cipher, s.hrr)),
                h.end,
            )
        })
        .collect()
}

fn tls13_streams() -> (Vec<u8>, Vec<u8>) {
    let c = client_hello_record(&ClientSpec::tls13("split.example"));
    let mut s = server_hello_record(&ServerSpec::tls13());
    s.extend_from_slice(&application_data_record(300, 2));
    (c, s)
}

#[test]
fn whole_handshake_in_two_segments() {
    let (c, s) = tls13_streams();
    let mut pkts = segments(Side::B, CISN, &c, &[]);
    pkts.extend(segments(Side::A, SISN, &s, &[]));
    let out = run(&pkts);
    assert_eq!(out.len(), 1);
    let h = &out[0];
    assert_eq!(h.client_side, Side::B);
    assert_eq!(h.end, End::Complete);
    assert_eq!(h.first_frame, 1);
    let c = h.client.as_ref().unwrap();
    assert_eq!(c.sni.as_deref(), Some("split.example"));
    assert_eq!(c.highest(), Version::TLS13);
    let s = h.server.as_ref().unwrap();
    assert_eq!(
        (s.version, s.cipher, s.frame),
        (Some(Version::TLS13), Some(0x1301), 2)
    );
}

#[test]
fn client_and_server_hello_split_at_every_byte() {
    let (c, s) = tls13_streams();
    let mut whole = segments(Side::A, CISN, &c, &[]);
    whole.extend(segments(Side::B, SISN, &s, &[]));
    let expected = essence(&run(&whole));
    assert_eq!(expected[0].3, End::Complete);
    for cut in 1..c.len() {
        let mut pkts = segments(Side::A, CISN, &c, &[cut]);
        pkts.extend(segments(Side::B, SISN, &s, &[]));
        assert_eq!(essence(&run(&pkts)), expected, "client cut at {cut}");
    }
    for cut in 1..s.len() {
        let mut pkts = segments(Side::A, CISN, &c, &[]);
        pkts.extend(segments(Side::B, SISN, &s, &[cut]));
        assert_eq!(essence(&run(&pkts)), expected, "server cut at {cut}");
    }
}

#[test]
fn hello_retry_request_then_second_client_hello() {
    let ch1 = client_hello_record(&ClientSpec::tls13("hrr.example"));
    let mut spec2 = ClientSpec::tls13("hrr.example");
    spec2.seed = 77;
    let ch2 = client_hello_record(&spec2);
    let hrr = hello_retry_request_records(&ServerSpec::tls13());
    let sh = server_hello_record(&ServerSpec::tls13());
    let pkts = vec![
        Pkt {
            side: Side::A,
            seq: 1,
            data: ch1.clone(),
            fin: false,
            rst: false,
        },
        Pkt {
            side: Side::B,
            seq: 900,
            data: hrr.clone(),
            fin: false,
            rst: false,
        },
        Pkt {
            side: Side::A,
            seq: 1 + ch1.len() as u32,
            data: ch2,
            fin: false,
            rst: false,
        },
        Pkt {
            side: Side::B,
            seq: 900 + hrr.len() as u32,
            data: sh,
            fin: false,
            rst: false,
        },
    ];
    let out = run(&pkts);
    assert_eq!(out.len(), 1, "{out:?}");
    let s = out[0].server.as_ref().unwrap();
    assert!(s.hrr);
    assert_eq!(s.version, Some(Version::TLS13));
    assert_eq!(out[0].end, End::Complete);
}

#[test]
fn fin_rst_and_idle_evict_with_what_was_seen() {
    let c = client_hello_record(&ClientSpec::legacy(Version::SSL3, None));
    for (fin, rst, end) in [(true, false, End::Fin), (false, true, End::Rst)] {
        let pkts = vec![
            Pkt {
                side: Side::A,
                seq: 1,
                data: c.clone(),
                fin: false,
                rst: false,
            },
            Pkt {
                side: Side::B,
                seq: 7,
                data: Vec::new(),
                fin,
                rst,
            },
        ];
        let out = run(&pkts);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].end, end);
        assert!(out[0].server.is_none());
        assert_eq!(out[0].client.as_ref().unwrap().highest(), Version::SSL3);
    }
    // Idle: another flow's packet two minutes later evicts the first.
    let mut t = Tracker::new(Limits::default());
    let mut out = Vec::new();
    let seg = |ts_ns, payload| Segment {
        frame: 1,
        ts_ns,
        seq: 1,
        fin: false,
        rst: false,
        syn: false,
        payload,
    };
    t.push(1u32, Side::A, &seg(0, &c), &mut |_, h| out.push(h));
    assert!(out.is_empty() && t.len() == 1);
    t.push(
        2u32,
        Side::A,
        &seg(120_000_000_000, b"noise"),
        &mut |_, h| out.push(h),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].end, End::Idle);
    assert_eq!(t.len(), 0);
}

#[test]
fn server_alert_is_reported_with_no_version() {
    let c = client_hello_record(&ClientSpec::legacy(Version::SSL3, None));
    let pkts = vec![
        Pkt {
            side: Side::A,
            seq: 1,
            data: c,
            fin: false,
            rst: false,
        },
        Pkt {
            side: Side::B,
            seq: 1,
            data: alert_record(0x0300, 40),
            fin: false,
            rst: false,
        },
    ];
    let out = run(&pkts);
    let s = out[0].server.as_ref().unwrap();
    assert_eq!((s.version, s.alert), (None, Some((2, 40))));
}

#[test]
fn server_hello_without_client_hello_still_counts() {
    let sh = server_hello_record(&ServerSpec::legacy(Version::TLS11, 0x002f));
    let out = run(&[Pkt {
        side: Side::B,
        seq: 1,
        data: sh,
        fin: false,
        rst: false,
    }]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].client_side, Side::A);
    assert!(out[0].client.is_none());
    assert_eq!(
        out[0].server.as_ref().unwrap().version,
        Some(Version::TLS11)
    );
}

#[test]
fn caps_bound_memory() {
    let c = client_hello_record(&ClientSpec::tls13("cap.example"));
    // A hello bigger than the per-direction cap is abandoned.
    let limits = Limits {
        per_direction: 100,
        ..Limits::default()
    };
    let mut t = Tracker::new(limits);
    let mut out = Vec::new();
    for p in segments(Side::A, 1, &c, &[60, 120, 180]) {
        let seg = Segment {
            frame: 1,
            ts_ns: 0,
            seq: p.seq,
            fin: false,
            rst: false,
            syn: false,
            payload: &p.data,
        };
        t.push(1u8, Side::A, &seg, &mut |_, h| out.push(h));
        assert!(t.buffered() <= 100);
    }
    assert!(out.is_empty());
    assert_eq!(t.stats().truncated, 1);
    assert_eq!(t.len(), 0);

    // max_flows: the third waiting flow is refused.
    let mut t = Tracker::new(Limits {
        max_flows: 2,
        ..Limits::default()
    });
    for k in 0..3u8 {
        let seg = Segment {
            frame: 1,
            ts_ns: 0,
            seq: 1,
            fin: false,
            rst: false,
            syn: false,
            payload: &c,
        };
        t.push(k, Side::A, &seg, &mut |_, h| out.push(h));
    }
    assert_eq!(t.len(), 2);
    assert_eq!(t.stats().dropped_capacity, 1);

    // max_buffered: partial hellos of many flows never exceed it.
    let mut t = Tracker::new(Limits {
        max_buffered: 1000,
        ..Limits::default()
    });
    for k in 0..50u8 {
        let seg = Segment {
            frame: 1,
            ts_ns: 0,
            seq: 1,
            fin: false,
            rst: false,
            syn: false,
            payload: &c[..100],
        };
        t.push(k, Side::A, &seg, &mut |_, h| out.push(h));
        assert!(t.buffered() <= 1000);
    }
    assert_eq!(t.len(), 10);
}

#[test]
fn pending_flows_hand_over_between_chunks() {
    // The merge a chunked reader does: chunk 2 runs its own tracker; a
    // fix-up tracker adopts chunk 1's unfinished flows and follows only them
    // through chunk 2; a server-only row of chunk 2 that the fix-up completed
    // (same ServerHello frame) is dropped.
    let (c, s) = tls13_streams();
    let mut pkts = segments(Side::A, CISN, &c, &[5, 100, 300]);
    pkts.extend(segments(Side::B, SISN, &s, &[3, 50]));
    let expected = essence(&run(&pkts));
    for k in 0..=pkts.len() {
        let mut first = Tracker::new(Limits::default());
        let mut rows = Vec::new();
        run_with(&mut first, &pkts[..k], &mut rows, false);
        let mut fixup = Tracker::new(Limits::default());
        for (key, flow) in first.take_pending() {
            fixup.adopt(key, flow);
        }
        let mut fixed = Vec::new();
        let mut second_rows = Vec::new();
        let mut second = Tracker::new(Limits::default());
        for (i, p) in pkts[k..].iter().enumerate() {
            let seg = Segment {
                frame: (k + i) as u64 + 1,
                ts_ns: 0,
                seq: p.seq,
                fin: p.fin,
                rst: p.rst,
                syn: false,
                payload: &p.data,
            };
            fixup.push_tracked("flow", p.side, &seg, &mut |_, h| fixed.push(h));
            second.push("flow", p.side, &seg, &mut |_, h| second_rows.push(h));
        }
        fixup.finish(&mut |_, h| fixed.push(h));
        second.finish(&mut |_, h| second_rows.push(h));
        let claimed: Vec<u64> = fixed
            .iter()
            .filter_map(|h| h.server.as_ref().map(|s| s.frame))
            .collect();
        second_rows.retain(|h| !(h.client.is_none() && claimed.contains(&h.first_frame)));
        rows.extend(fixed);
        rows.extend(second_rows);
        assert_eq!(essence(&rows), expected, "chunk boundary before packet {k}");
    }
}

fn arb_cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..len, 0..6).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any segmentation, with retransmitted and swapped segments, gives the
    /// same handshake as the whole streams.
    #[test]
    fn segmentation_retransmission_and_reordering(
        ccuts in arb_cuts(300), scuts in arb_cuts(200),
        dup in proptest::option::of(0usize..20), swap in proptest::option::of(1usize..20),
    ) {
        let (c, s) = tls13_streams();
        let mut whole = segments(Side::A, CISN, &c, &[]);
        whole.extend(segments(Side::B, SISN, &s, &[]));
        let expected = essence(&run(&whole));
        let mut pkts = segments(Side::A, CISN, &c, &ccuts);
        pkts.extend(segments(Side::B, SISN, &s, &scuts));
        if let Some(d) = dup { let d = d % pkts.len(); let p = pkts[d].clone(); pkts.insert(d + 1, p); }
        if let Some(w) = swap {
            let w = w % pkts.len();
            // Never move a direction's later bytes before its first segment.
            if w >= 1 && pkts[w - 1].side == pkts[w].side && pkts[w - 1].seq != CISN && pkts[w - 1].seq != SISN {
                pkts.swap(w - 1, w);
            }
        }
        prop_assert_eq!(essence(&run(&pkts)), expected);
    }

    /// Garbage and half-valid segments on a few flows: no panic, and the
    /// bounds hold after every segment.
    #[test]
    fn garbage_never_panics_and_respects_caps(
        pkts in proptest::collection::vec(
            (0u8..4, any::<bool>(), any::<u32>(), 0u8..8, proptest::collection::vec(any::<u8>(), 0..300), 0u8..4),
            0..60),
    ) {
        let limits = Limits { per_direction: 512, max_flows: 3, max_buffered: 1024, idle_timeout_ns: 1_000 };
        let mut t = Tracker::new(limits);
        let hello = client_hello_record(&ClientSpec::tls12("g.example"));
        let mut n = 0u64;
        for (i, (key, a, seq, flags, mut data, kind)) in pkts.into_iter().enumerate() {
            // Mix in hello prefixes so that flows actually start.
            if kind == 0 { data = hello[..data.len().min(hello.len())].to_vec(); }
            if kind == 1 { data.splice(0..0, [0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00]); }
            let side = if a { Side::A } else { Side::B };
            let seg = Segment { frame: i as u64, ts_ns: i as i64 * 100, seq, fin: flags & 1 != 0, rst: flags & 2 != 0, syn: flags & 4 != 0, payload: &data };
            // One hint per flow (collisions are fine): the counters must stay exact.
            t.push_with(key, u16::from(key % 3), side, &seg, true, &mut |_, _| n += 1);
            prop_assert!(t.len() <= 3);
            prop_assert!(t.buffered() <= 1024);
            // Includes the per-hint counters behind may_await.
            t.check_invariants();
        }
        let stats = t.finish(&mut |_, _| n += 1);
        prop_assert_eq!(stats.emitted, n);
    }
}

#[test]
fn client_syn_on_the_same_ports_starts_a_new_connection() {
    let c1 = client_hello_record(&ClientSpec::legacy(Version::SSL3, None));
    let c2 = client_hello_record(&ClientSpec::tls13("second.example"));
    let sh = server_hello_record(&ServerSpec::tls13());
    let mut pkts = vec![Pkt {
        side: Side::A,
        seq: 1,
        data: c1,
        fin: false,
        rst: false,
    }];
    let mut t = Tracker::new(Limits::default());
    let mut out = Vec::new();
    run_with(&mut t, &pkts, &mut out, false);
    // The server never answers; the client reconnects from the same port.
    let syn = Segment {
        frame: 2,
        ts_ns: 5_000,
        seq: 9000,
        fin: false,
        rst: false,
        syn: true,
        payload: &[],
    };
    t.push("flow", Side::A, &syn, &mut |_, h| out.push(h));
    // A SYN-ACK from the server side is not taken for a new connection.
    let synack = Segment {
        frame: 3,
        ts_ns: 6_000,
        seq: 100,
        fin: false,
        rst: false,
        syn: true,
        payload: &[],
    };
    t.push("flow", Side::B, &synack, &mut |_, h| out.push(h));
    pkts.clear();
    for (i, (side, seq, data)) in [(Side::A, 9001u32, c2), (Side::B, 101, sh)]
        .into_iter()
        .enumerate()
    {
        let seg = Segment {
            frame: 4 + i as u64,
            ts_ns: 7_000,
            seq,
            fin: false,
            rst: false,
            syn: false,
            payload: &data,
        };
        t.push("flow", side, &seg, &mut |_, h| out.push(h));
    }
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].end, End::NewConnection);
    assert_eq!(out[0].client.as_ref().unwrap().highest(), Version::SSL3);
    assert!(out[0].server.is_none());
    assert_eq!(out[1].end, End::Complete);
    assert_eq!(
        out[1].client.as_ref().unwrap().sni.as_deref(),
        Some("second.example")
    );
    assert_eq!(
        out[1].server.as_ref().unwrap().version,
        Some(Version::TLS13)
    );
    t.check_invariants();
}
