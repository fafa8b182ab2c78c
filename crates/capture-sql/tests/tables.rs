//! The tables' rows against the tools they mirror: `tls` = tls-audit,
//! `http` = every request (with xff-scan's client addresses), `flows` =
//! what a generator wrote; projection, filters and LIMIT pushed down.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;

use capture_sql::TableOptions;
use common::*;
use netops_testkit::tls::capture::{T0, interleave, numbered_conversation, to_pcap};
use pcap_core::TcpFlags;

fn tls_files() -> Vec<PathBuf> {
    vec![
        testdata("tls/handshakes.pcap"),
        testdata("tls/vlan-ipv6.pcapng"),
    ]
}

#[test]
fn tls_rows_equal_tls_audit_on_testdata() {
    let files = tls_files();
    let (expected, errors) = audit_rows(&files);
    assert_eq!(errors, 0);
    assert!(expected.len() > 10, "{}", expected.len());
    for partitions in [1, 3] {
        let (ctx, errs) = context(&files, partitions, TableOptions::default());
        let got = rows(&collect(&ctx, "SELECT * FROM tls"));
        assert_eq!(
            sorted(got),
            sorted(expected.clone()),
            "{partitions} partitions"
        );
        assert!(errs.take().is_empty());
    }
}

/// A generated capture of many interleaved connections.
fn generated_tls(dir: &std::path::Path, n: u64) -> PathBuf {
    let convs: Vec<_> = (0..n).map(numbered_conversation).collect();
    let path = dir.join("gen.pcap");
    std::fs::write(&path, to_pcap(&interleave(&convs, T0))).unwrap();
    path
}

#[test]
fn tls_regions_of_one_file_give_tls_audit_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = generated_tls(dir.path(), 3000);
    let len = std::fs::metadata(&path).unwrap().len();
    let (expected, _) = audit_rows(std::slice::from_ref(&path));
    assert!(expected.len() >= 3000);
    // Regions far smaller than the file, the overlap a few connections
    // long: every handshake that straddles a boundary is joined.
    for parts in [2, 5, 16] {
        let opts = TableOptions {
            split_bytes: len / parts as u64,
            overlap_bytes: 256 << 10,
            ..TableOptions::default()
        };
        let (ctx, _) = context(std::slice::from_ref(&path), parts, opts);
        let plan = rows(&collect(&ctx, "EXPLAIN SELECT count(*) FROM tls"));
        assert!(
            plan.iter()
                .any(|r| r[1].contains(&format!("partitions={parts}"))),
            "{plan:?}"
        );
        let got = rows(&collect(&ctx, "SELECT * FROM tls"));
        assert_eq!(sorted(got), sorted(expected.clone()), "{parts} regions");
    }
}

/// With `whole_files_on_threads` (the command's local setting) a `tls`
/// scan with no filter and no limit takes the file whole, on threads,
/// whatever its size; a filter or a LIMIT still cuts it into regions. The
/// rows are tls-audit's either way.
#[test]
fn tls_whole_files_on_threads_unless_filtered_or_limited() {
    let dir = tempfile::tempdir().unwrap();
    let path = generated_tls(dir.path(), 2000);
    let len = std::fs::metadata(&path).unwrap().len();
    let (expected, _) = audit_rows(std::slice::from_ref(&path));
    let opts = TableOptions {
        split_bytes: len / 4,
        overlap_bytes: 256 << 10,
        whole_files_on_threads: true,
        ..TableOptions::default()
    };
    let (ctx, _) = context(std::slice::from_ref(&path), 4, opts);
    let units = |sql: &str| {
        let plan = rows(&collect(&ctx, &format!("EXPLAIN {sql}")));
        let line = plan
            .iter()
            .map(|r| r[1].clone())
            .find(|l| l.contains("units="))
            .unwrap_or_else(|| panic!("no scan in {plan:?}"));
        let n = line.split("units=").nth(1).unwrap();
        n[..n.find(|c: char| !c.is_ascii_digit()).unwrap_or(n.len())]
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(units("SELECT * FROM tls"), 1);
    assert_eq!(units("SELECT count(*) FROM tls"), 1);
    assert_eq!(
        units("SELECT * FROM tls WHERE first_seen >= to_timestamp_nanos(0)"),
        4
    );
    assert_eq!(units("SELECT * FROM tls LIMIT 5"), 4);
    let got = rows(&collect(&ctx, "SELECT * FROM tls"));
    assert_eq!(
        got, expected,
        "whole file on threads: tls-audit's rows, in order"
    );
    let filtered = rows(&collect(
        &ctx,
        "SELECT * FROM tls WHERE first_seen >= to_timestamp_nanos(0)",
    ));
    assert_eq!(sorted(filtered), sorted(expected));
}

/// QUIC, wrapped and certificate-carrying connections come out of the
/// region scan (a file cut into regions, or a filtered scan) as they do
/// out of the whole-file scan.
#[test]
fn quic_and_wrapped_rows_in_region_and_filtered_scans() {
    for name in ["tls/quic.pcap", "tls/wrapped.pcap", "tls/certificates.pcap"] {
        let path = testdata(name);
        let (expected, errors) = audit_rows(std::slice::from_ref(&path));
        assert_eq!(errors, 0, "{name}");
        assert!(!expected.is_empty(), "{name}");
        if name.contains("quic") {
            assert!(expected.iter().any(|r| r[7] == "quic"), "{name}");
        }
        let len = std::fs::metadata(&path).unwrap().len();
        for parts in [1u64, 3, 7] {
            let opts = TableOptions {
                split_bytes: (len / parts).max(1),
                overlap_bytes: len,
                ..TableOptions::default()
            };
            let (ctx, _) = context(std::slice::from_ref(&path), parts as usize, opts);
            // The filter keeps every row but sends the scan down the
            // region path even for one whole file.
            let got = rows(&collect(
                &ctx,
                "SELECT * FROM tls WHERE first_seen >= to_timestamp_nanos(0)",
            ));
            assert_eq!(
                sorted(got),
                sorted(expected.clone()),
                "{name}, {parts} regions"
            );
        }
    }
}

#[test]
fn group_by_and_limit_and_projection() {
    let files = tls_files();
    let (expected, _) = audit_rows(&files);
    let (ctx, _) = context(&files, 2, TableOptions::default());
    let got = rows(&collect(
        &ctx,
        "SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC, version",
    ));
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    for r in &expected {
        // r[8]: version (r[7] is transport)
        *counts.entry(r[8].clone()).or_default() += 1;
    }
    assert_eq!(got.len(), counts.len());
    for r in &got {
        assert_eq!(counts[&r[0]].to_string(), r[1], "{r:?}");
    }
    assert_eq!(rows(&collect(&ctx, "SELECT sni FROM tls LIMIT 3")).len(), 3);
    let plan = rows(&collect(&ctx, "EXPLAIN SELECT sni FROM tls LIMIT 3"));
    let scan = plan
        .iter()
        .find_map(|r| {
            r[1].lines()
                .find(|l| l.contains("CaptureScanExec"))
                .map(str::to_owned)
        })
        .expect("scan in plan");
    assert!(scan.contains("projection=[sni]"), "{scan}");
    assert!(scan.contains("limit=3"), "{scan}");
}

#[test]
fn time_and_address_filters_are_pushed_and_exact() {
    let files = tls_files();
    let (all, _) = audit_rows(&files);
    let (ctx, _) = context(&files, 2, TableOptions::default());
    // A time window and one address from the data.
    // r[2]: first_seen (r[1] is frame)
    let mut times: Vec<i64> = all.iter().map(|r| r[2].parse().unwrap()).collect();
    times.sort();
    let (lo, hi) = (times[times.len() / 4], times[3 * times.len() / 4]);
    let addr = all[all.len() / 2][5].clone();
    let sql = format!(
        "SELECT * FROM tls WHERE first_seen >= to_timestamp_nanos({lo}) AND first_seen <= to_timestamp_nanos({hi})"
    );
    let plan = rows(&collect(&ctx, &format!("EXPLAIN {sql}")));
    assert!(
        plan.iter().any(|r| r[1].contains("time_min_ns: Some")),
        "{plan:?}"
    );
    let got = sorted(rows(&collect(&ctx, &sql)));
    let want: Vec<_> = all
        .iter()
        .filter(|r| (lo..=hi).contains(&r[2].parse::<i64>().unwrap()))
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, sorted(want));
    let sql = format!("SELECT * FROM tls WHERE client_ip = '{addr}' OR server_ip = '{addr}'");
    let plan = rows(&collect(&ctx, &format!("EXPLAIN {sql}")));
    assert!(
        plan.iter().any(|r| r[1].contains("addresses: [[")),
        "{plan:?}"
    );
    let got = sorted(rows(&collect(&ctx, &sql)));
    let want: Vec<_> = all
        .iter()
        .filter(|r| r[3] == addr || r[5] == addr)
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, sorted(want));
}

#[test]
fn http_rows_carry_xff_scan_addresses() {
    for name in ["xff/headers.pcap", "xff/headers.pcapng"] {
        let path = testdata(name);
        let cap = pcap_core::Capture::open(&path).unwrap();
        let matcher = xff_scan::Matcher::new(xff_scan::default_headers(), None);
        let mut want = BTreeSet::new();
        let rep = xff_scan::scan::scan_capture(
            &cap,
            &matcher,
            &Default::default(),
            |m| {
                want.insert((
                    m.src_ip.to_string(),
                    m.src_port,
                    m.dst_ip.to_string(),
                    m.dst_port,
                    m.hit.method.to_string(),
                    m.hit.client_ip.to_string(),
                ));
            },
            |_| {},
        );
        assert!(rep.error.is_none());
        assert!(!want.is_empty());
        let (ctx, _) = context(std::slice::from_ref(&path), 1, TableOptions::default());
        let got: BTreeSet<_> = rows(&collect(
            &ctx,
            "SELECT client_ip, client_port, server_ip, server_port, method, unnest(forwarded_for) FROM http",
        ))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap(), r[2].clone(), r[3].parse().unwrap(), r[4].clone(), r[5].clone()))
        .collect();
        // xff-scan names addresses as found; the table lists them all.
        assert_eq!(got, want, "{name}");
        // Every request line of the capture is a row (with or without
        // proxy headers), each with its header text.
        let n: usize = cap
            .packets()
            .filter_map(|p| {
                let p = p.ok()?;
                let d = p.decode().ok()?;
                match d.l4 {
                    pcap_core::L4::Tcp(t) => {
                        Some(xff_scan::Matcher::is_request_start(t.payload) as usize)
                    }
                    _ => None,
                }
            })
            .sum();
        let all = rows(&collect(&ctx, "SELECT frame, headers FROM http"));
        assert!(
            all.len() >= n && n > 0,
            "{} rows, {n} request lines",
            all.len()
        );
        assert!(all.iter().all(|r| r[1].contains(" HTTP/1.")));
    }
}

/// A file larger than the split size is cut into regions for `tls` and
/// `http` (not `flows`): `http` and `flows` rows are the same with one
/// partition as with many (no row twice, none lost).
#[test]
fn http_and_flows_rows_do_not_depend_on_the_split() {
    let path = testdata("xff/headers.pcap");
    let len = std::fs::metadata(&path).unwrap().len();
    let one = context(std::slice::from_ref(&path), 1, TableOptions::default()).0;
    let opts = TableOptions {
        split_bytes: (len / 4).max(1),
        ..TableOptions::default()
    };
    let many = context(std::slice::from_ref(&path), 4, opts).0;
    for sql in ["SELECT * FROM http", "SELECT * FROM flows"] {
        let want = sorted(rows(&collect(&one, sql)));
        assert!(!want.is_empty(), "{sql}");
        assert_eq!(sorted(rows(&collect(&many, sql))), want, "{sql}");
    }
    for (table, units) in [("tls", 4), ("http", 4), ("flows", 1)] {
        let plan = rows(&collect(
            &many,
            &format!("EXPLAIN SELECT count(*) FROM {table}"),
        ));
        assert!(
            plan.iter()
                .any(|r| r[1].contains(&format!("units={units}"))),
            "{table} in {units} units: {plan:?}"
        );
    }
}

/// One generated flow: what the generator wrote.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Want {
    protocol: &'static str,
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    first: i64,
    last: i64,
    cp: u64,
    cb: u64,
    sp: u64,
    sb: u64,
    flags: u8,
}

#[test]
fn flows_equal_what_the_generator_wrote() {
    use netops_testkit::frame::{TcpSegment, tcp_frame, udp_frame};
    let mut frames: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut want = Vec::new();
    let mut t = T0;
    for i in 0..60u32 {
        let c: (IpAddr, u16) = (
            format!("10.0.{}.{}", i / 200, i % 200 + 1).parse().unwrap(),
            40000 + i as u16,
        );
        let s: (IpAddr, u16) = (
            "192.0.2.10".parse().unwrap(),
            if i % 2 == 0 { 443 } else { 80 },
        );
        let mut w = Want {
            protocol: "tcp",
            client: c,
            server: s,
            first: t,
            last: t,
            cp: 0,
            cb: 0,
            sp: 0,
            sb: 0,
            flags: 0,
        };
        if i % 5 == 4 {
            // UDP: the first packet's source is the client.
            let (c4, s4) = match (c.0, s.0) {
                (IpAddr::V4(a), IpAddr::V4(b)) => ((a, c.1), (b, 53)),
                _ => unreachable!(),
            };
            w.protocol = "udp";
            w.server.1 = 53;
            for k in 0..3 {
                let (f, from_client) = if k == 1 {
                    (udp_frame(s4, c4, b"answer"), false)
                } else {
                    (udp_frame(c4, s4, b"query"), true)
                };
                count(&mut w, from_client, f.len(), t, 0);
                frames.push((t, f));
                t += 1_000_000;
            }
        } else {
            // TCP: a handshake (the server's SYN-ACK arrives first when i % 3
            // == 1: the SYN sender is still the client), data, FIN.
            let steps: Vec<(bool, u8, &[u8])> = vec![
                (true, TcpFlags::SYN, b""),
                (false, TcpFlags::SYN | TcpFlags::ACK, b""),
                (true, TcpFlags::ACK | TcpFlags::PSH, b"hello there"),
                (false, TcpFlags::ACK, b"hi"),
                (true, TcpFlags::FIN | TcpFlags::ACK, b""),
            ];
            let mut order: Vec<usize> = (0..steps.len()).collect();
            if i % 3 == 1 {
                order.swap(0, 1);
            }
            for k in order {
                let (from_client, flags, payload) = steps[k];
                let (a, b) = if from_client { (c, s) } else { (s, c) };
                let f = tcp_frame(&TcpSegment {
                    seq: 1000 + k as u32,
                    ..TcpSegment::new(a.into(), b.into(), flags, payload)
                });
                count(&mut w, from_client, f.len(), t, flags);
                frames.push((t, f));
                t += 1_000_000;
            }
        }
        want.push(w);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.pcap");
    // Microsecond pcap: times are whole microseconds here.
    std::fs::write(&path, to_pcap(&frames)).unwrap();
    let (ctx, _) = context(std::slice::from_ref(&path), 2, TableOptions::default());
    let got = rows(&collect(
        &ctx,
        "SELECT transport, client_ip, client_port, server_ip, server_port, first_seen, last_seen, \
         client_packets, client_bytes, server_packets, server_bytes, tcp_flag_bits, tcp_flags FROM flows",
    ));
    let mut got: Vec<Want> = got
        .iter()
        .map(|r| {
            assert_eq!(
                r[12],
                capture_sql::flows::flag_letters(r[11].parse().unwrap())
            );
            Want {
                protocol: if r[0] == "tcp" { "tcp" } else { "udp" },
                client: (r[1].parse().unwrap(), r[2].parse().unwrap()),
                server: (r[3].parse().unwrap(), r[4].parse().unwrap()),
                first: r[5].parse().unwrap(),
                last: r[6].parse().unwrap(),
                cp: r[7].parse().unwrap(),
                cb: r[8].parse().unwrap(),
                sp: r[9].parse().unwrap(),
                sb: r[10].parse().unwrap(),
                flags: r[11].parse().unwrap(),
            }
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // A TLS connection joins its flow on the four endpoint columns.
    let (ctx, _) = context(&tls_files(), 2, TableOptions::default());
    let joined = rows(&collect(
        &ctx,
        "SELECT count(*) FROM tls t JOIN flows f ON t.file = f.file AND t.client_ip = f.client_ip \
         AND t.client_port = f.client_port AND t.server_ip = f.server_ip AND t.server_port = f.server_port",
    ));
    let all = rows(&collect(&ctx, "SELECT count(*) FROM tls"));
    assert_eq!(joined, all);
}

fn count(w: &mut Want, from_client: bool, len: usize, t: i64, flags: u8) {
    if from_client {
        w.cp += 1;
        w.cb += len as u64;
    } else {
        w.sp += 1;
        w.sb += len as u64;
    }
    w.first = w.first.min(t);
    w.last = w.last.max(t);
    w.flags |= flags;
}
