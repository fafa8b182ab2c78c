//! A file of the `http` table cut into regions: the rows of all regions
//! are the rows of the whole-file scan, for any cuts (tiny ones, cuts
//! inside a request whose header block spans several TCP segments), with
//! and without the `frame` column, with time and address filters pushed
//! down; and in SQL, with a small split size, the same counts and groups.

mod common;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use capture_sql::{CaptureScanExec, ScanFilter, ScanSpec, ScanUnit, TableKind, TableOptions};
use common::*;
use netops_testkit::xff::{Container, capture_writer, flags, segment};
use netops_testkit::{Rng, frame::udp_frame};
use proptest::prelude::*;

/// Overlap small enough that a mid-file region of the generated captures
/// starts its walk with `packets_from` (not at the file's start), large
/// enough for the farthest continuation segment the generator writes.
const SMALL_OVERLAP: u64 = 256 << 10;

/// Index of the `frame` column.
const FRAME: usize = 1;

/// Every column but `frame` (a mid-file region then numbers frames from
/// where its walk started, so `frame` is not compared).
fn without_frame() -> Option<Vec<usize>> {
    Some(
        (0..capture_sql::http::schema().fields().len())
            .filter(|&i| i != FRAME)
            .collect(),
    )
}

/// The regions `[0, p1), [p1, p2), ..., [pk, end of file)`.
fn regions(points: &[u64]) -> Vec<(u64, Option<u64>)> {
    let mut p: Vec<u64> = points.iter().copied().filter(|&x| x > 0).collect();
    p.sort_unstable();
    p.dedup();
    let mut out = Vec::with_capacity(p.len() + 1);
    let mut start = 0;
    for x in p {
        out.push((start, Some(x)));
        start = x;
    }
    out.push((start, None));
    out
}

/// Cuts every `step` bytes.
fn every(len: u64, step: u64) -> Vec<u64> {
    (1..).map(|i| i * step).take_while(|&x| x < len).collect()
}

/// The rows (sorted) of an `http` scan of `path` cut into `units`, spread
/// over three partitions (each scanning its units in file order).
fn scan(
    path: &Path,
    units: &[(u64, Option<u64>)],
    projection: Option<Vec<usize>>,
    filter: &ScanFilter,
    overlap: u64,
) -> Vec<Vec<String>> {
    scan_with_errors(path, units, projection, filter, overlap).0
}

/// [`scan`] and the scan errors it reported.
fn scan_with_errors(
    path: &Path,
    units: &[(u64, Option<u64>)],
    projection: Option<Vec<usize>>,
    filter: &ScanFilter,
    overlap: u64,
) -> (Vec<Vec<String>>, Vec<String>) {
    let parts = units.len().clamp(1, 3);
    let mut partitions = vec![Vec::new(); parts];
    for (i, &(start, end)) in units.iter().enumerate() {
        partitions[i % parts].push(ScanUnit {
            path: path.display().to_string(),
            start,
            end,
        });
    }
    let spec = ScanSpec {
        table: TableKind::Http,
        partitions,
        projection,
        filter: filter.clone(),
        limit: None,
        batch_size: 1024,
        overlap_bytes: overlap,
    };
    let exec = Arc::new(CaptureScanExec::new(spec).unwrap());
    let (ctx, errors) = capture_sql::query::local_context(1);
    let batches = runtime()
        .block_on(datafusion::physical_plan::collect(exec, ctx.task_ctx()))
        .unwrap();
    (sorted(rows(&batches)), errors.take())
}

/// Asserts that `path` cut at `points` gives the whole-file rows, with and
/// without the `frame` column.
fn assert_regions_equal_whole(path: &Path, points: &[u64], filter: &ScanFilter, overlap: u64) {
    let units = regions(points);
    for projection in [None, without_frame()] {
        let whole = scan(path, &[(0, None)], projection.clone(), filter, overlap);
        let got = scan(path, &units, projection.clone(), filter, overlap);
        assert_eq!(
            got.len(),
            whole.len(),
            "{}: {} regions, frame column {}, {filter:?}, overlap {overlap}",
            path.display(),
            units.len(),
            projection.is_none()
        );
        assert_eq!(
            got,
            whole,
            "{}: {} regions, frame column {}, {filter:?}, overlap {overlap}",
            path.display(),
            units.len(),
            projection.is_none()
        );
    }
}

/// One generated HTTP conversation: what the client and the server send,
/// segment by segment.
struct Conv {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    cseq: u32,
    sseq: u32,
    /// `(from the client, payload)`.
    script: VecDeque<(bool, Vec<u8>)>,
    /// Bytes written when its first request segment went out (to bound
    /// how far a block's segments spread).
    block_from: Option<u64>,
}

/// One request header block (with its final blank line).
fn request(rng: &mut Rng, conv: usize, r: usize) -> Vec<u8> {
    let method = ["GET", "POST", "PUT", "HEAD"][rng.below(4) as usize];
    let mut s = format!(
        "{method} /c{conv}/r{r}?q={} HTTP/1.1\r\nHost: h{}.example\r\n",
        rng.below(1000),
        conv % 7
    );
    if rng.chance(60) {
        s += &format!(
            "X-Forwarded-For: 203.0.113.{}, 10.{}.0.{}\r\n",
            rng.below(256),
            conv % 256,
            r % 256
        );
    }
    if rng.chance(20) {
        s += &format!(
            "Forwarded: for=\"[2001:db8::{:x}]:443\"\r\n",
            rng.below(65536)
        );
    }
    // Padding so blocks often span several segments of realistic size.
    let pad = rng.below(900) as usize;
    s += &format!("User-Agent: gen/{}\r\n", "u".repeat(pad));
    s += "Accept: */*\r\n\r\n";
    s.into_bytes()
}

/// Cuts `block` into 1 to 4 segments, each after the request line (a
/// segment must start with the whole request line to start a request),
/// sometimes inside the final blank line.
fn cut_block(rng: &mut Rng, block: &[u8]) -> Vec<Vec<u8>> {
    let line = block.iter().position(|&b| b == b'\n').unwrap() + 1;
    let n = rng.range(1, 4) as usize;
    let mut at: Vec<usize> = (1..n)
        .map(|_| {
            if rng.chance(25) {
                block.len() - rng.range(1, 3) as usize
            } else {
                rng.range(line as u64, block.len() as u64 - 1) as usize
            }
        })
        .collect();
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::new();
    let mut from = 0;
    for a in at {
        out.push(block[from..a].to_vec());
        from = a;
    }
    out.push(block[from..].to_vec());
    out
}

/// A capture of `n` HTTP conversations, up to eight at a time, their
/// segments interleaved with each other and with UDP filler: header blocks
/// over up to four segments, pipelined requests (a segment holding two
/// whole blocks and the start of a third), POST bodies, responses, and
/// blocks that never end. Returns the bytes and the number of header
/// blocks (the rows the `http` table must give).
fn generate(seed: u64, n: usize, container: Container) -> (Vec<u8>, usize) {
    let mut rng = Rng::new(seed);
    let mut w = capture_writer(Vec::new(), container).unwrap();
    let servers: [IpAddr; 2] = ["10.9.0.80".parse().unwrap(), "fd00:9::80".parse().unwrap()];
    let mut blocks = 0;
    let mut written = 0u64;
    let mut max_spread = 0u64;
    let mut next = 0usize;
    let mut active: Vec<Conv> = Vec::new();
    while next < n || !active.is_empty() {
        while active.len() < 8 && next < n {
            let i = next;
            next += 1;
            let v6 = i % 5 == 4;
            let client: IpAddr = if v6 {
                format!("fd00:1::{:x}", i + 1).parse().unwrap()
            } else {
                format!("10.1.{}.{}", i / 250, i % 250 + 1).parse().unwrap()
            };
            let server = (
                servers[usize::from(v6)],
                if i.is_multiple_of(2) { 80 } else { 8080 },
            );
            let mut script = VecDeque::new();
            for r in 0..rng.range(1, 4) as usize {
                let block = request(&mut rng, i, r);
                blocks += 1;
                if rng.chance(15) {
                    // Pipelined: two whole blocks and the start of a third.
                    let b2 = request(&mut rng, i, r + 100);
                    let b3 = request(&mut rng, i, r + 200);
                    blocks += 2;
                    let mut third = cut_block(&mut rng, &b3);
                    if third.len() == 1 {
                        let line = b3.iter().position(|&b| b == b'\n').unwrap() + 1;
                        let t = third.pop().unwrap();
                        third = vec![t[..line].to_vec(), t[line..].to_vec()];
                    }
                    let mut first = [block, b2].concat();
                    first.extend_from_slice(&third[0]);
                    script.push_back((true, first));
                    for s in &third[1..] {
                        script.push_back((true, s.clone()));
                    }
                } else {
                    for s in cut_block(&mut rng, &block) {
                        script.push_back((true, s));
                    }
                }
                if rng.chance(20) {
                    script.push_back((true, b"a=1&b=2&c=GET / HTTP/1.1".to_vec()));
                }
                script.push_back((
                    false,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
                ));
            }
            if rng.chance(10) {
                // A block that never ends.
                let block = request(&mut rng, i, 99);
                blocks += 1;
                let line = block.iter().position(|&b| b == b'\n').unwrap() + 1;
                script.push_back((true, block[..line + 5].to_vec()));
            }
            active.push(Conv {
                client: (client, 20000 + i as u16),
                server,
                cseq: 1000 + i as u32 * 7919,
                sseq: 5000 + i as u32 * 104_729,
                script,
                block_from: None,
            });
        }
        let frame = if rng.chance(35) {
            let mut p = vec![0u8; rng.range(100, 900) as usize];
            rng.fill(&mut p);
            udp_frame(
                ("10.7.0.1".parse().unwrap(), 5000),
                ("10.7.0.2".parse().unwrap(), 514),
                &p,
            )
        } else {
            let k = rng.below(active.len() as u64) as usize;
            let c = &mut active[k];
            let (to_server, payload) = c.script.pop_front().unwrap();
            let f = if to_server {
                if c.block_from.is_none() && payload.windows(5).any(|w| w == b"HTTP/") {
                    c.block_from = Some(written);
                }
                let f = segment(
                    &[],
                    c.client,
                    c.server,
                    c.cseq,
                    c.sseq,
                    flags::PSH | flags::ACK,
                    &payload,
                );
                c.cseq = c.cseq.wrapping_add(payload.len() as u32);
                f
            } else {
                if let Some(b) = c.block_from.take() {
                    max_spread = max_spread.max(written - b);
                }
                let f = segment(
                    &[],
                    c.server,
                    c.client,
                    c.sseq,
                    c.cseq,
                    flags::PSH | flags::ACK,
                    &payload,
                );
                c.sseq = c.sseq.wrapping_add(payload.len() as u32);
                f
            };
            if c.script.is_empty() {
                active.swap_remove(k);
            }
            f
        };
        written += frame.len() as u64 + 40;
        w.frame(&frame).unwrap();
    }
    // Regions with the small overlap follow a block that far past their
    // end: the generator keeps every finished block well inside it.
    assert!(max_spread < SMALL_OVERLAP / 2, "{max_spread}");
    (w.finish().unwrap(), blocks)
}

/// The generated captures (pcap and pcapng) in `dir`, with their number of
/// header blocks.
fn generated(dir: &Path, n: usize) -> Vec<(PathBuf, usize)> {
    [
        (Container::Pcap, "gen.pcap"),
        (Container::Pcapng, "gen.pcapng"),
    ]
    .into_iter()
    .map(|(c, name)| {
        let (bytes, blocks) = generate(7, n, c);
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        (path, blocks)
    })
    .collect()
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn testdata_http_regions_equal_the_whole_file() {
    for name in [
        "xff/headers.pcap",
        "xff/headers.pcapng",
        "xff/reassemble.pcap",
        "xff/split.pcap",
    ] {
        let path = testdata(name);
        let n = len(&path);
        let whole = scan(&path, &[(0, None)], None, &ScanFilter::default(), n);
        assert!(!whole.is_empty(), "{name}");
        // Down to one-byte regions: every record boundary is a cut.
        for step in [1, 3, 17, 64, 100, 333, 1000, 2048, n / 3, n / 2] {
            let points = every(n, step.max(1));
            for overlap in [4096, n] {
                assert_regions_equal_whole(&path, &points, &ScanFilter::default(), overlap);
            }
        }
    }
}

#[test]
fn generated_http_regions_equal_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    for (path, blocks) in generated(dir.path(), 400) {
        let n = len(&path);
        assert!(n > 4 * SMALL_OVERLAP, "{n}");
        let whole = scan(&path, &[(0, None)], None, &ScanFilter::default(), n);
        // Every header block planted is one row; the multi-segment and
        // unfinished ones are there.
        assert_eq!(whole.len(), blocks, "{}", path.display());
        // r[12]: complete
        assert!(whole.iter().any(|r| r[12] == "false"));
        for step in [n / 2, n / 3, n / 7, 65_536, 16_411, 4001, 1499] {
            let points = every(n, step);
            for overlap in [SMALL_OVERLAP, 8 << 20] {
                assert_regions_equal_whole(&path, &points, &ScanFilter::default(), overlap);
            }
        }
        // Tiny regions over a window in the middle, cutting through the
        // segments of many multi-segment blocks.
        let mid = n / 2;
        let points: Vec<u64> = (0..400).map(|i| mid + i * 37).collect();
        assert_regions_equal_whole(&path, &points, &ScanFilter::default(), SMALL_OVERLAP);
    }
}

#[test]
fn generated_http_regions_with_filters_equal_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    for (path, _) in generated(dir.path(), 400) {
        let n = len(&path);
        let whole = scan(&path, &[(0, None)], None, &ScanFilter::default(), n);
        // r[2]: ts, r[3]: client_ip, r[5]: server_ip
        let mut ts: Vec<i64> = whole.iter().map(|r| r[2].parse().unwrap()).collect();
        ts.sort_unstable();
        let client: IpAddr = whole[whole.len() / 2][3].parse().unwrap();
        let server: IpAddr = "10.9.0.80".parse().unwrap();
        let filters = [
            ScanFilter {
                time_min_ns: Some(ts[ts.len() / 3] + 1),
                time_max_ns: Some(ts[2 * ts.len() / 3] + 1),
                ..ScanFilter::default()
            },
            ScanFilter {
                time_min_ns: Some(ts[ts.len() / 2]),
                ..ScanFilter::default()
            },
            ScanFilter {
                addresses: vec![vec![server]],
                ..ScanFilter::default()
            },
            ScanFilter {
                addresses: vec![vec![client]],
                time_max_ns: Some(ts[3 * ts.len() / 4]),
                ..ScanFilter::default()
            },
        ];
        for f in &filters {
            let some = scan(&path, &[(0, None)], None, f, n);
            assert!(
                !some.is_empty() && some.len() < whole.len(),
                "{f:?}: {} of {}",
                some.len(),
                whole.len()
            );
            for step in [n / 3, 16_411, 1499] {
                assert_regions_equal_whole(&path, &every(n, step), f, SMALL_OVERLAP);
            }
        }
    }
}

/// A damaged capture (a record header broken mid-file, or the last record
/// cut short) cut into regions: the rows before the damage, as the
/// whole-file scan gives them, and the damage reported once, by the
/// region holding it. (With the `frame` column the regions after the
/// damage walk from the file's start and stop at it, like the whole-file
/// scan; without it they find the record chain again after it.)
#[test]
fn damaged_http_regions_report_once_and_equal_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = generate(11, 120, Container::Pcap);
    let good = dir.path().join("good.pcap");
    std::fs::write(&good, &bytes).unwrap();
    let cap = pcap_core::Capture::open(&good).unwrap();
    let mut offsets = Vec::new();
    let mut it = cap.packets();
    loop {
        let off = it.offset();
        match it.next() {
            Some(Ok(_)) => offsets.push(off as usize),
            _ => break,
        }
    }
    drop(cap);
    // A record length far beyond the snapshot length, in the middle.
    let mut broken = bytes.clone();
    let at = offsets[offsets.len() / 2] + 8;
    broken[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let cut = bytes[..bytes.len() - 7].to_vec();
    for (name, data) in [("broken.pcap", broken), ("cut.pcap", cut)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &data).unwrap();
        let n = data.len() as u64;
        let f = ScanFilter::default();
        let (whole, errs) = scan_with_errors(&path, &[(0, None)], None, &f, n);
        assert_eq!(errs.len(), 1, "{name}: {errs:?}");
        assert!(!whole.is_empty(), "{name}");
        for step in [n / 5, 16_411, 1499, 97] {
            let units = regions(&every(n, step));
            for overlap in [SMALL_OVERLAP, 8 << 20] {
                let (got, e) = scan_with_errors(&path, &units, None, &f, overlap);
                assert_eq!(got, whole, "{name}, every {step} bytes, overlap {overlap}");
                assert_eq!(e, errs, "{name}, every {step} bytes, overlap {overlap}");
            }
        }
    }
}

/// The documented bound: a block still unfinished `overlap_bytes` past the
/// end of its region is reported as it stands there; with the overlap
/// reaching its end it is the whole-file row.
#[test]
fn a_block_unfinished_past_the_overlap_is_reported_as_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.pcap");
    let mut w = capture_writer(Vec::new(), Container::Pcap).unwrap();
    let c: (IpAddr, u16) = ("10.0.0.1".parse().unwrap(), 40000);
    let s: (IpAddr, u16) = ("10.0.0.2".parse().unwrap(), 80);
    let psh = flags::PSH | flags::ACK;
    let first = b"GET /slow HTTP/1.1\r\nHost: a\r\n";
    w.frame(&segment(&[], c, s, 1, 1, psh, first)).unwrap();
    for _ in 0..100 {
        w.frame(&udp_frame(
            ("10.7.0.1".parse().unwrap(), 5000),
            ("10.7.0.2".parse().unwrap(), 514),
            &[0u8; 1000],
        ))
        .unwrap();
    }
    let rest = b"X-Forwarded-For: 192.0.2.9\r\n\r\n";
    w.frame(&segment(&[], c, s, 1 + first.len() as u32, 1, psh, rest))
        .unwrap();
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    let n = len(&path);
    let f = ScanFilter::default();
    let whole = scan(&path, &[(0, None)], None, &f, n);
    assert_eq!(whole.len(), 1);
    // r[10]: forwarded_for, r[12]: complete
    assert_eq!(
        (whole[0][10].as_str(), whole[0][12].as_str()),
        ("192.0.2.9", "true")
    );
    assert_eq!(scan(&path, &regions(&[200]), None, &f, n), whole);
    let cut = scan(&path, &regions(&[200]), None, &f, 10_000);
    assert_eq!(cut.len(), 1);
    assert_eq!((cut[0][10].as_str(), cut[0][12].as_str()), ("", "false"));
    assert_eq!(cut[0][11], "GET /slow HTTP/1.1\r\nHost: a");
}

/// A file of `http` larger than the split size is cut into regions, and
/// SQL over it gives what one partition gives.
#[test]
fn sql_over_a_split_http_file_equals_one_partition() {
    let dir = tempfile::tempdir().unwrap();
    let (path, blocks) = generated(dir.path(), 300).swap_remove(0);
    let n = len(&path);
    let one = context(std::slice::from_ref(&path), 1, TableOptions::default()).0;
    let opts = TableOptions {
        split_bytes: n / 8,
        overlap_bytes: SMALL_OVERLAP,
        ..TableOptions::default()
    };
    let many = context(std::slice::from_ref(&path), 8, opts).0;
    let plan = rows(&collect(&many, "EXPLAIN SELECT count(*) FROM http"));
    assert!(
        plan.iter().any(|r| r[1].contains("partitions=8, units=8")),
        "{plan:?}"
    );
    let count = rows(&collect(&many, "SELECT count(*) FROM http"));
    assert_eq!(count, vec![vec![blocks.to_string()]]);
    assert_eq!(count, rows(&collect(&one, "SELECT count(*) FROM http")));
    for sql in [
        "SELECT server_port, method, complete, count(*) AS n, sum(cardinality(forwarded_for)) AS xff, min(frame) AS f \
         FROM http GROUP BY server_port, method, complete ORDER BY server_port, method, complete",
        "SELECT http_host, count(DISTINCT client_ip) AS c, max(ts) AS t FROM http \
         WHERE client_ip <> '10.1.0.5' GROUP BY http_host ORDER BY http_host",
        "SELECT * FROM http",
    ] {
        let want = sorted(rows(&collect(&one, sql)));
        assert!(!want.is_empty(), "{sql}");
        assert_eq!(sorted(rows(&collect(&many, sql))), want, "{sql}");
        // As a cluster runs it: the regions as the unit scan of the codec.
        let rt = runtime();
        let plan = rt
            .block_on(async { many.sql(sql).await?.create_physical_plan().await })
            .unwrap();
        let units = capture_sql::codec::distributable(plan).unwrap();
        let batches = rt
            .block_on(datafusion::physical_plan::collect(units, many.task_ctx()))
            .unwrap();
        assert_eq!(sorted(rows(&batches)), want, "{sql}, unit scan");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Any cut points, either overlap, with or without `frame`.
    #[test]
    fn any_cuts_give_the_whole_file_rows(
        cuts in proptest::collection::vec(0u64..1_000_000, 0..12),
        small in proptest::bool::ANY,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = generated(dir.path(), 250).swap_remove(0);
        let n = len(&path);
        let points: Vec<u64> = cuts.iter().map(|c| c % n).collect();
        let overlap = if small { SMALL_OVERLAP } else { 8 << 20 };
        assert_regions_equal_whole(&path, &points, &ScanFilter::default(), overlap);
    }
}
