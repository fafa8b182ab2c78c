//! pcap-core hot path over an mmap'd >= 256 MiB synthetic capture:
//! the u64-sum reference, the record walk, and walk + decode to L4, each
//! reported in bytes/s; plus the naive (no prefetch) walk and the
//! parallel split for comparison.
//!
//! `cargo bench -p netops-benches --bench pcap_walk`
//! (`NETOPS_BENCH_MIB=1024` for a bigger file).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pcap_core::{Capture, L4, parallel};

fn capture() -> Capture {
    let mib: u64 = std::env::var("NETOPS_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let path = netops_benches::mixed_capture(mib << 20).expect("generate the benchmark capture");
    let cap = Capture::open(&path).expect("open the benchmark capture");
    // Warm the page cache and the page tables once, so every group measures
    // the same state: file in page cache, mapping populated.
    black_box(netops_benches::u64_sum(cap.bytes()));
    cap
}

#[inline(never)]
fn walk(cap: &Capture) -> (u64, u64) {
    let (mut n, mut bytes) = (0u64, 0u64);
    for p in cap.packets() {
        let p = p.expect("benchmark capture is valid");
        n += 1;
        bytes += u64::from(p.caplen);
    }
    (n, bytes)
}

#[inline(always)]
fn l4_sum(p: &pcap_core::Packet<'_>) -> u64 {
    match p.decode() {
        Ok(d) => match d.l4 {
            L4::Tcp(t) => u64::from(t.src_port) + t.payload.len() as u64,
            L4::Udp(u) => u64::from(u.dst_port) + u.payload.len() as u64,
            L4::Fragment => 1,
            L4::Other { payload, .. } => payload.len() as u64,
        },
        Err(_) => 0,
    }
}

#[inline(never)]
fn walk_decode(cap: &Capture) -> u64 {
    let mut s = 0u64;
    for p in cap.packets() {
        s = s.wrapping_add(l4_sum(&p.expect("benchmark capture is valid")));
    }
    s
}

fn benches(c: &mut Criterion) {
    let cap = capture();
    let len = cap.bytes().len() as u64;
    let configure = |g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>| {
        g.throughput(Throughput::Bytes(len));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(5));
        g.warm_up_time(Duration::from_secs(1));
    };

    let mut g = c.benchmark_group("u64 sum reference");
    configure(&mut g);
    g.bench_function("mmap", |b| {
        b.iter(|| netops_benches::u64_sum(black_box(cap.bytes())))
    });
    g.finish();

    let mut g = c.benchmark_group("record walk");
    configure(&mut g);
    g.bench_function("packets()", |b| b.iter(|| walk(black_box(&cap))));
    g.bench_function("naive loop, no prefetch", |b| {
        b.iter(|| netops_benches::naive_pcap_walk(black_box(cap.bytes())))
    });
    g.finish();

    let mut g = c.benchmark_group("walk + decode to L4");
    configure(&mut g);
    g.bench_function("packets() + decode()", |b| {
        b.iter(|| walk_decode(black_box(&cap)))
    });
    for threads in [1usize, 2] {
        g.bench_function(format!("parallel::split, {threads} thread(s)"), |b| {
            b.iter(|| {
                let out = parallel::split(
                    black_box(&cap),
                    threads,
                    || 0u64,
                    |s, p| *s = s.wrapping_add(l4_sum(p)),
                );
                out.chunks.iter().fold(0u64, |a, c| a.wrapping_add(c.state))
            })
        });
    }
    g.finish();
}

criterion_group!(pcap_walk, benches);
criterion_main!(pcap_walk);
