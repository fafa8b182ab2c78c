//! tls-audit on the benchmark capture: a 256 MiB classic pcap of bulk TCP
//! with random (encrypted-looking) payloads, 5 % of the conversations being
//! TLS handshakes of every version (`netops_testkit::tls::capture::write_bench_capture`,
//! seed 1), mean frame ~580 bytes.
//!
//! The capture is written once to `$TLS_BENCH_PCAP` or
//! `<target dir>/tls-bench-256m.pcap` (the same bytes as
//! `cargo run --release -p tls-handshake --features audit --example gen_bench_capture -- FILE 256 5 1`),
//! so ripgrep and tshark can be timed on the same file (docs/BENCHMARKS.md).
//!
//! In the same run: the sequential-read reference (a u64 sum over the same
//! mapping), the audit on one core, and the audit split over all cores.
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netops_testkit::tls::hello::{ClientSpec, client_hello_record};
use pcap_core::Capture;
use tls_handshake::audit::scan::{scan_parallel, scan_sequential};
use tls_handshake::audit::{AuditOptions, Collector};

const SIZE_MIB: u64 = 256;

fn bench_file() -> PathBuf {
    if let Some(p) = std::env::var_os("TLS_BENCH_PCAP") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("tls-bench-256m.pcap")
}

fn ensure(path: &PathBuf) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() >= SIZE_MIB << 20) {
        return;
    }
    let f =
        std::io::BufWriter::new(std::fs::File::create(path).expect("create the benchmark capture"));
    let (packets, tls) = netops_testkit::tls::capture::write_bench_capture(f, SIZE_MIB << 20, 5, 1)
        .expect("write the benchmark capture");
    eprintln!(
        "wrote {}: {packets} packets, {tls} TLS connections",
        path.display()
    );
}

fn u64_sum(bytes: &[u8]) -> u64 {
    let mut s = 0u64;
    for c in bytes.chunks_exact(8) {
        s = s.wrapping_add(u64::from_le_bytes([
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
        ]));
    }
    s
}

fn audit(c: &mut Criterion) {
    let path = bench_file();
    ensure(&path);
    let cap = Capture::open(&path).expect("open the benchmark capture");
    let len = cap.bytes().len() as u64;
    let mut g = c.benchmark_group("tls_audit");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Bytes(len));
    g.bench_function("u64_sum_reference", |b| {
        b.iter(|| std::hint::black_box(u64_sum(cap.bytes())))
    });
    g.bench_function("scan_1core", |b| {
        b.iter(|| {
            let mut n = 0u64;
            let s = scan_sequential(&cap, Default::default(), &|_| {}, &mut |_| n += 1);
            assert!(s.error.is_none() && n > 1000);
            n
        })
    });
    g.bench_function("scan_all_cores", |b| {
        b.iter(|| {
            let opts = AuditOptions::default();
            let mut n = 0u64;
            let mut col = Collector::new(&opts, |_| n += 1);
            let s = scan_parallel(&cap, &opts, 0, &|_| {}, &mut col);
            assert!(s.error.is_none());
            drop(col);
            assert!(n > 1000);
            n
        })
    });
    g.finish();
}

fn hello(c: &mut Criterion) {
    let rec = client_hello_record(&ClientSpec::tls13("www.example.com"));
    let mut g = c.benchmark_group("tls_handshake");
    g.throughput(Throughput::Elements(1));
    g.bench_function("client_hello_scan_sni_versions", |b| {
        b.iter(|| {
            tls_handshake::record::scan_client(std::hint::black_box(&rec), |h| {
                (h.sni().map(<[u8]>::len), h.highest_version())
            })
        })
    });
    g.bench_function("client_hello_summary_with_ja4", |b| {
        b.iter(|| {
            tls_handshake::record::scan_client(std::hint::black_box(&rec), |h| {
                tls_handshake::tracker::ClientInfo::from_hello(h, 1, 0)
            })
        })
    });
    g.finish();
}

criterion_group!(benches, audit, hello);
criterion_main!(benches);
