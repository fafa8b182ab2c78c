//! xff-scan on the benchmark capture: a >= 256 MiB classic pcap of random
//! (encrypted-looking) TCP payloads with 1 % HTTP requests carrying
//! `X-Forwarded-For`, and a rare target (`203.0.113.77`).
//!
//! The capture is generated once (deterministically, by
//! `netops_testkit::xff::bench_capture`) to `$XFF_BENCH_PCAP` or
//! `<target dir>/xff-bench-256m.pcap`; the same file is used for the
//! hyperfine comparison with ripgrep and the Python line-by-line script
//! (see docs/BENCHMARKS.md).
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pcap_core::Capture;
use xff_scan::scan::{ScanOptions, scan_capture};
use xff_scan::{Matcher, TargetSet, default_headers};

/// Size of the benchmark capture.
const SIZE: u64 = 256 << 20;

fn bench_file() -> PathBuf {
    if let Some(p) = std::env::var_os("XFF_BENCH_PCAP") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("xff-bench-256m.pcap")
}

fn ensure(path: &PathBuf, size: u64, http_every: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() >= size) {
        return;
    }
    let f = std::fs::File::create(path).expect("create the benchmark capture");
    let info = netops_testkit::xff::bench_capture(f, size, http_every, 42)
        .expect("write the benchmark capture");
    eprintln!("wrote {} ({info:?})", path.display());
}

fn scan(c: &mut Criterion) {
    let path = bench_file();
    ensure(&path, SIZE, 100);
    let cap = Capture::open(&path).expect("open the benchmark capture");
    let len = cap.bytes().len() as u64;
    let targets = TargetSet::parse(&["203.0.113.77"]).expect("valid target");
    let m = Matcher::new(default_headers(), Some(targets));
    let opts = ScanOptions::default();
    let mut g = c.benchmark_group("xff_scan");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(len));
    g.bench_function("scan_capture_1core_rare_target", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let r = scan_capture(&cap, &m, &opts, |_| n += 1, |_| {});
            assert!(r.error.is_none());
            assert!(n >= 1);
            n
        })
    });
    let all = Matcher::new(default_headers(), None);
    g.bench_function("scan_capture_1core_list_all", |b| {
        b.iter(|| {
            let mut n = 0u64;
            scan_capture(&cap, &all, &opts, |_| n += 1, |_| {});
            n
        })
    });
    g.bench_function("memmem_only_baseline", |b| {
        let f = memchr::memmem::Finder::new(b"X-Forwarded-For: 203.0.113.77");
        b.iter(|| f.find_iter(cap.bytes()).count())
    });
    g.finish();

    // Dense: every other frame an HTTP request (a capture behind a load
    // balancer); every request is decoded and parsed.
    let dense = path.with_file_name("xff-bench-dense-64m.pcap");
    ensure(&dense, 64 << 20, 2);
    let cap = Capture::open(&dense).expect("open the dense capture");
    let mut g = c.benchmark_group("xff_scan_dense");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(cap.bytes().len() as u64));
    g.bench_function("scan_capture_1core_rare_target", |b| {
        b.iter(|| scan_capture(&cap, &m, &opts, |_| {}, |_| {}).frames)
    });
    g.bench_function("scan_capture_1core_list_all", |b| {
        b.iter(|| {
            let mut n = 0u64;
            scan_capture(&cap, &all, &opts, |_| n += 1, |_| {});
            n
        })
    });
    g.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
