//! Filters (`--server`, `--port`, `--sni`, `--since`/`--until`): a filtered
//! audit reports exactly the unfiltered rows that match, whether the scan is
//! sequential, streamed or split over cores (the scans skip frames early,
//! which must not change a row); past `--until` a scan stops reading; and
//! `--summary` ranks unanswered clients by what they offered.

use std::path::{Path, PathBuf};

use netops_testkit::tls::capture::{T0, interleave, numbered_conversation, testdata, to_pcap};
use pcap_core::Capture;
use tls_handshake::audit::filter::{Filter, Network, SniGlob, parse_time};
use tls_handshake::audit::scan::scan_parallel;
use tls_handshake::audit::{Audit, AuditOptions, Collector, Connection};

fn audit(path: &Path, filter: &Filter, threads: usize) -> (Vec<Connection>, u64) {
    let mut rows = Vec::new();
    let report = Audit::new(AuditOptions {
        threads,
        filter: filter.clone(),
        ..AuditOptions::default()
    })
    .run(
        &[path.to_path_buf()],
        |r| rows.push(r),
        |p, e| panic!("{}: {e}", p.display()),
    );
    assert_eq!(report.connections, rows.len() as u64);
    (rows, report.packets)
}

fn split(cap: &Capture, filter: &Filter, chunk_size: usize) -> Vec<Connection> {
    let opts = AuditOptions {
        chunk_size,
        lanes: 1,
        filter: filter.clone(),
        ..AuditOptions::default()
    };
    let mut rows = Vec::new();
    let mut col = Collector::new(&opts, |r| rows.push(r));
    let s = scan_parallel(cap, &opts, 2, &|_| {}, &mut col);
    assert!(s.error.is_none());
    drop(col);
    rows
}

/// Filters built from the rows themselves, so that each matches some rows
/// and (mostly) not all.
fn filters_for(rows: &[Connection]) -> Vec<Filter> {
    let mut times: Vec<i64> = rows.iter().map(|r| r.first_seen_ns).collect();
    times.sort_unstable();
    let q = |n: usize| times[(times.len() * n / 4).min(times.len() - 1)];
    let mid = &rows[rows.len() / 2];
    let net = |s: String| s.parse::<Network>().unwrap();
    let glob = |s: &str| SniGlob::new(s).unwrap();
    let server24 = match mid.server_ip {
        std::net::IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(a) => format!("{a}/48"),
    };
    vec![
        Filter {
            servers: vec![net(mid.server_ip.to_string())],
            ..Filter::default()
        },
        Filter {
            servers: vec![net(server24), net("2001:db8::/32".into())],
            ..Filter::default()
        },
        Filter {
            ports: vec![mid.server_port],
            ..Filter::default()
        },
        Filter {
            ports: vec![mid.client_port, 8443],
            ..Filter::default()
        },
        Filter {
            sni: vec![glob("*.EXAMPLE.com")],
            ..Filter::default()
        },
        Filter {
            sni: vec![glob("www.*"), glob("?pi.example.co?")],
            ..Filter::default()
        },
        Filter {
            since_ns: Some(q(1)),
            ..Filter::default()
        },
        Filter {
            until_ns: Some(q(3)),
            ..Filter::default()
        },
        Filter {
            since_ns: Some(q(1)),
            until_ns: Some(q(2) + 1),
            ..Filter::default()
        },
        Filter {
            servers: vec![net("0.0.0.0/0".into())],
            ports: vec![443],
            sni: vec![glob("*")],
            since_ns: Some(q(0)),
            until_ns: Some(q(3)),
        },
    ]
}

fn check_file(path: &Path, split_sizes: &[usize]) -> usize {
    let (all, _) = audit(path, &Filter::default(), 1);
    assert!(!all.is_empty());
    let cap = Capture::open(path).unwrap();
    let mut compared = 0;
    for f in filters_for(&all) {
        f.check().unwrap();
        let want: Vec<Connection> = all.iter().filter(|r| f.matches(r)).cloned().collect();
        let (got, _) = audit(path, &f, 1);
        assert_eq!(got, want, "{}: {f:?}", path.display());
        // Through a pipe (the streamed scan).
        let mut rows = Vec::new();
        let mut st = pcap_core::Stream::new(
            path,
            Box::new(std::fs::File::open(path).unwrap()),
            &Default::default(),
        )
        .unwrap();
        let s = tls_handshake::audit::scan::scan_stream_filtered(
            &mut st,
            Default::default(),
            &f,
            &|_| {},
            &mut |r| {
                if f.matches(&r) {
                    rows.push(r)
                }
            },
        );
        assert!(s.error.is_none());
        assert_eq!(rows, want, "{} streamed: {f:?}", path.display());
        for &size in split_sizes {
            let got = split(&cap, &f, size);
            assert_eq!(got, want, "{}: chunk size {size}: {f:?}", path.display());
        }
        compared += usize::from(!want.is_empty() && want.len() < all.len());
    }
    compared
}

#[test]
fn filtered_audits_report_exactly_the_matching_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut useful = 0;
    for f in testdata() {
        let p = dir.path().join(f.name);
        std::fs::write(&p, &f.bytes).unwrap();
        useful += check_file(&p, &[700, 1500, 4096]);
    }
    // Many connections among each other, over minutes.
    let convs: Vec<_> = (0..1500).map(numbered_conversation).collect();
    let p = dir.path().join("many.pcap");
    std::fs::write(&p, to_pcap(&interleave(&convs, T0))).unwrap();
    useful += check_file(&p, &[20_000, 100_000]);
    assert!(
        useful >= 30,
        "only {useful} filters selected some but not all rows"
    );
}

/// A capture of `n` connections one second apart.
fn slow_capture(dir: &Path, n: u64) -> PathBuf {
    let mut frames = Vec::new();
    let mut ip_id = 0u16;
    for i in 0..n {
        frames.extend(numbered_conversation(i).frames(
            T0 + i as i64 * 1_000_000_000,
            10_000_000,
            &mut ip_id,
        ));
    }
    frames.sort_by_key(|(t, _)| *t);
    let p = dir.join("slow.pcap");
    std::fs::write(&p, to_pcap(&frames)).unwrap();
    p
}

#[test]
fn until_stops_the_scan_and_since_skips_frames_without_changing_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = slow_capture(dir.path(), 900);
    let (all, packets) = audit(&p, &Filter::default(), 1);
    assert_eq!(all.len(), 900);
    let s = |secs: i64| T0 + secs * 1_000_000_000;
    let f = Filter {
        since_ns: Some(s(100)),
        until_ns: Some(s(200)),
        ..Filter::default()
    };
    let (got, read) = audit(&p, &f, 1);
    let want: Vec<Connection> = all.iter().filter(|r| f.matches(r)).cloned().collect();
    assert_eq!(want.len(), 100);
    assert_eq!(got, want);
    // The scan stopped about a minute after --until, well before the end.
    assert!(
        read < packets / 2,
        "read {read} of {packets} packets: no early stop"
    );
    // The split scan (which cannot stop early) agrees.
    let cap = Capture::open(&p).unwrap();
    assert_eq!(split(&cap, &f, 50_000), want);
}

#[test]
fn filters_apply_to_the_summary_and_fail_on() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tls/handshakes.pcap");
    let run = |filter: Filter| {
        Audit::new(AuditOptions {
            summary: true,
            fail_on: Some(tls_handshake::Version::SSL3),
            filter,
            ..AuditOptions::default()
        })
        .run(
            std::slice::from_ref(&path),
            |_| {},
            |p, e| panic!("{}: {e}", p.display()),
        )
    };
    let all = run(Filter::default());
    assert!(all.found, "the capture has an SSL 3.0 client");
    let n: u64 = all.summary.rows().iter().map(|r| r.connections).sum();
    assert_eq!(n, all.connections);
    let shop = run(Filter {
        sni: vec![SniGlob::new("shop.*").unwrap()],
        ..Filter::default()
    });
    let rows = shop.summary.rows();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.sni.as_deref().unwrap().starts_with("shop.")),
        "{rows:?}"
    );
    assert!(rows.len() < all.summary.len());
    assert!(!shop.found, "the SSL 3.0 client is filtered out");
}

#[test]
fn summary_ranks_an_unanswered_ssl3_client_first() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tls/handshakes.pcap");
    let report = Audit::new(AuditOptions {
        summary: true,
        ..AuditOptions::default()
    })
    .run(&[path], |_| {}, |p, e| panic!("{}: {e}", p.display()));
    let rows = report.summary.rows();
    let rank = |r: &tls_handshake::audit::SummaryRow| {
        let v = r.version.as_deref().or(r.client_version.as_deref());
        ["SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"]
            .iter()
            .position(|x| Some(*x) == v)
            .unwrap_or(9)
    };
    // Ranks never decrease: by the negotiated version, else the offered one.
    assert!(
        rows.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{rows:#?}"
    );
    // The client that offered only SSL 3.0 and got no answer is among the
    // first rows: after the connections that did negotiate SSL 3.0 (those
    // break first when it is switched off), before everything else.
    let i = rows
        .iter()
        .position(|r| r.version.is_none() && r.client_version.as_deref() == Some("SSL 3.0"))
        .expect("the unanswered SSL 3.0 client");
    assert_eq!(rows[i].client_ip.to_string(), "10.1.0.21");
    assert!(
        i > 0
            && rows[..i]
                .iter()
                .all(|r| r.version.as_deref() == Some("SSL 3.0"))
    );
    assert!(rows[i + 1..].iter().all(|r| rank(r) > 0), "{rows:#?}");
    assert!(rows.iter().any(|r| r.version.is_none() && rank(r) > 0));
}

#[test]
fn time_arguments_parse_to_the_rows_clock() {
    // T0 is 2026-11-02 09:00:00 UTC: both forms give it.
    assert_eq!(parse_time("2026-11-02 09:00").unwrap(), T0);
    assert_eq!(parse_time("2026-11-02T09:00:00Z").unwrap(), T0);
}
