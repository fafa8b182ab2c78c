//! One file split over cores gives exactly the rows of a sequential scan,
//! wherever the chunk boundaries fall (inside hellos, between a ClientHello
//! and its ServerHello, inside a split ServerHello).

use netops_testkit::tls::capture::{T0, interleave, numbered_conversation, testdata, to_pcap};
use pcap_core::Capture;
use tls_handshake::audit::scan::{scan_parallel, scan_sequential};
use tls_handshake::audit::{AuditOptions, Collector, Connection};

fn brief(rows: &[Connection]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {}:{} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                r.first_frame,
                r.transport.as_str(),
                r.client_ip,
                r.client_port,
                r.version,
                r.client_version,
                r.sni,
                r.wrapped,
                r.cert_chain_len,
                r.cert_cn,
                r.cert_flags()
            )
        })
        .collect()
}

fn sequential(cap: &Capture) -> Vec<Connection> {
    let mut rows = Vec::new();
    let s = scan_sequential(cap, Default::default(), &|_| {}, &mut |r| rows.push(r));
    assert!(s.error.is_none());
    rows
}

/// The split scan on two threads one chunk at a time, and on one and two
/// threads with interleaved lanes; all three must agree, and that answer
/// is returned.
fn parallel(
    cap: &Capture,
    chunk_size: usize,
    summary: bool,
) -> (Vec<Connection>, tls_handshake::audit::Summary) {
    let mut answers = Vec::new();
    for (threads, lanes) in [(2, 1), (1, 3), (2, 4)] {
        let opts = AuditOptions {
            chunk_size,
            summary,
            lanes,
            ..AuditOptions::default()
        };
        let mut rows = Vec::new();
        let mut col = Collector::new(&opts, |r| rows.push(r));
        let s = scan_parallel(cap, &opts, threads, &|_| {}, &mut col);
        assert!(s.error.is_none());
        let summary = std::mem::take(&mut col.summary);
        drop(col);
        answers.push((threads, lanes, rows, summary));
    }
    let (_, _, rows, summary) = answers.remove(0);
    for (threads, lanes, r, s) in answers {
        let what = format!("chunk size {chunk_size}, {threads} threads, {lanes} lanes");
        assert_eq!(brief(&r), brief(&rows), "{what}");
        assert_eq!(r, rows, "{what}");
        assert_eq!(s.rows(), summary.rows(), "{what}");
    }
    (rows, summary)
}

#[test]
fn split_scan_equals_sequential_scan_for_many_chunk_sizes() {
    let mut formats = 0;
    for f in testdata() {
        let cap = Capture::from_vec(f.name, f.bytes).unwrap();
        let want = sequential(&cap);
        assert_eq!(want.len(), f.expected.len(), "{}", f.name);
        let mut sizes: Vec<usize> = (600..3000).step_by(97).collect();
        sizes.extend([4096, 8192, 20_000]);
        for size in sizes {
            let (got, _) = parallel(&cap, size, false);
            assert_eq!(
                brief(&got).join("\n"),
                brief(&want).join("\n"),
                "{}: chunk size {size}",
                f.name
            );
            assert_eq!(got, want, "{}: chunk size {size}", f.name);
        }
        formats += 1;
    }
    assert!(formats >= 2, "pcap and pcapng test captures");
}

#[test]
fn tcp_and_quic_mixed_split_like_sequential() {
    use netops_testkit::tls::capture::handshakes_conversations;
    use netops_testkit::tls::quic::{quic_conversations, quic_frames};
    let mut frames = interleave(&handshakes_conversations(), T0);
    frames.extend(quic_frames(&quic_conversations(), T0 + 15_000_000));
    frames.sort_by_key(|(t, _)| *t);
    let cap = Capture::from_vec("mixed.pcap", to_pcap(&frames)).unwrap();
    let want = sequential(&cap);
    let quic = want
        .iter()
        .filter(|r| r.transport == tls_handshake::Transport::Quic)
        .count();
    assert_eq!(quic, quic_conversations().len());
    assert!(want.len() > quic);
    for size in (700..6000).step_by(211) {
        let (got, _) = parallel(&cap, size, false);
        assert_eq!(
            brief(&got).join("\n"),
            brief(&want).join("\n"),
            "chunk size {size}"
        );
        assert_eq!(got, want, "chunk size {size}");
    }
}

#[test]
fn split_summary_equals_sequential_summary() {
    // Many short connections, some straddling every boundary.
    let convs: Vec<_> = (1..400).map(numbered_conversation).collect();
    let cap = Capture::from_vec("many.pcap", to_pcap(&interleave(&convs, T0))).unwrap();
    let rows = sequential(&cap);
    assert_eq!(rows.len(), 399);
    let mut want = tls_handshake::audit::Summary::default();
    rows.iter().for_each(|r| want.add(r));
    for size in [3000, 7777, 50_000] {
        let (got_rows, _) = parallel(&cap, size, false);
        assert_eq!(brief(&got_rows), brief(&rows), "rows, chunk size {size}");
        assert_eq!(got_rows, rows, "rows, chunk size {size}");
        let (none, got) = parallel(&cap, size, true);
        assert!(none.is_empty());
        assert_eq!(got.rows(), want.rows(), "summary, chunk size {size}");
    }
}

mod random {
    use super::*;
    use netops_testkit::tls::capture::{Conversation, segment};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Handshakes interleaved with arbitrary TCP payloads (hello-like
        /// prefixes included), any chunk size: no panic, and the split scan
        /// reports exactly what the sequential scan reports.
        #[test]
        fn split_equals_sequential_on_random_traffic(
            ids in proptest::collection::vec(1u64..5000, 1..25),
            junk in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..400), 0u8..3), 0..60),
            chunk in 500usize..6000,
        ) {
            let convs: Vec<Conversation> = ids.iter().map(|&n| numbered_conversation(n)).collect();
            let mut frames = interleave(&convs, T0);
            let c: std::net::SocketAddr = "10.200.0.1:4000".parse().unwrap();
            let s: std::net::SocketAddr = "10.200.0.2:443".parse().unwrap();
            for (i, (pos, mut payload, kind)) in junk.into_iter().enumerate() {
                if kind == 1 { payload.splice(0..0, [0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00]); }
                if kind == 2 { payload.splice(0..0, [0x16, 0x03, 0x03, 0x00, 0x30, 0x02, 0x00]); }
                let (a, b) = if i % 2 == 0 { (c, s) } else { (s, c) };
                let f = segment(&[], a, b, i as u32 * 100, 0, 0x18, 0, &payload);
                let at = usize::from(pos) % (frames.len() + 1);
                let ts = frames.get(at).map_or(T0, |x| x.0);
                frames.insert(at, (ts, f));
            }
            let cap = Capture::from_vec("random.pcap", to_pcap(&frames)).unwrap();
            let want = sequential(&cap);
            let (got, _) = parallel(&cap, chunk, false);
            prop_assert_eq!(brief(&got), brief(&want));
        }
    }
}

#[test]
fn tcp_fast_open_hello_in_the_syn() {
    use netops_testkit::tls::capture::segment;
    use netops_testkit::tls::hello::{
        ClientSpec, ServerSpec, client_hello_record, server_hello_record,
    };
    let c: std::net::SocketAddr = "10.3.0.1:40000".parse().unwrap();
    let s: std::net::SocketAddr = "10.3.0.2:443".parse().unwrap();
    let ch = client_hello_record(&ClientSpec::tls13("tfo.example.com"));
    let sh = server_hello_record(&ServerSpec::tls13());
    // The SYN (seq 1000) carries the first 100 hello bytes, which start at
    // sequence number 1001; the rest follows at 1101.
    let frames = vec![
        (T0, segment(&[], c, s, 1000, 0, 0x02, 1, &ch[..100])),
        (T0 + 1000, segment(&[], s, c, 5000, 1101, 0x12, 2, &[])),
        (
            T0 + 2000,
            segment(&[], c, s, 1101, 5001, 0x18, 3, &ch[100..]),
        ),
        (
            T0 + 3000,
            segment(&[], s, c, 5001, 1001 + ch.len() as u32, 0x18, 4, &sh),
        ),
    ];
    let cap = Capture::from_vec("tfo.pcap", to_pcap(&frames)).unwrap();
    let rows = sequential(&cap);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].sni.as_deref(), Some("tfo.example.com"));
    assert_eq!(rows[0].version.as_deref(), Some("TLS 1.3"));
}

#[test]
fn reused_and_duplicated_five_tuples_split_like_sequential() {
    // One conversation replayed on the same 5-tuple (port reuse) 40 ms
    // later, three times, and a capture that saw every frame twice (a
    // SPAN port duplicating packets): the sequential tracker pairs the
    // hellos in its own way (tombstones, resets on SYN); the split scan
    // must give the same rows wherever the chunk boundaries fall.
    let c = numbered_conversation(1738);
    let d = numbered_conversation(42);
    let twice = interleave(&[c.clone(), c.clone()], T0);
    let thrice = interleave(&[c.clone(), d.clone(), c.clone(), c], T0);
    let doubled: Vec<_> = interleave(&[d], T0)
        .into_iter()
        .flat_map(|f| [f.clone(), f])
        .collect();
    for (name, frames) in [("twice", twice), ("thrice", thrice), ("doubled", doubled)] {
        let cap = Capture::from_vec(format!("{name}.pcap"), to_pcap(&frames)).unwrap();
        let want = sequential(&cap);
        assert!(!want.is_empty());
        let mut bad = Vec::new();
        for size in (100..4000).step_by(7) {
            let (got, _) = parallel(&cap, size, false);
            if brief(&got) != brief(&want) {
                bad.push(size);
            }
        }
        assert!(
            bad.is_empty(),
            "{name}: want {:#?}\nchunk sizes that differ: {bad:?}",
            brief(&want)
        );
    }
}
