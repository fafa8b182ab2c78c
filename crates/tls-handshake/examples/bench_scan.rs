//! Same-run timing of the audit against the sequential-read reference, for
//! docs/BENCHMARKS.md when the criterion bench cannot be built:
//! `bench_scan FILE [ROUNDS]`. Each round runs, back to back on the same
//! mapping: a u64 sum over the bytes, the audit on one core, the audit
//! split over all cores. Prints medians and ratios.

use std::time::Instant;

fn u64_sum(bytes: &[u8]) -> u64 {
    let mut s = 0u64;
    for c in bytes.chunks_exact(8) {
        s = s.wrapping_add(u64::from_le_bytes([
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
        ]));
    }
    s
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cap = pcap_core::Capture::open(&args[1]).expect("open the capture");
    let rounds: usize = args.get(2).map_or(7, |s| s.parse().expect("rounds"));
    let len = cap.bytes().len() as f64;
    let (mut sum, mut one, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let mut lanes1 = Vec::new();
    let mut rows = 0u64;
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(u64_sum(cap.bytes()));
        sum.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        let mut n = 0u64;
        tls_handshake::audit::scan::scan_sequential(&cap, Default::default(), &|_| {}, &mut |_| {
            n += 1
        });
        one.push(t.elapsed().as_secs_f64());
        rows = n;

        for (threads, times) in [(1, &mut lanes1), (0, &mut all)] {
            let t = Instant::now();
            let opts = tls_handshake::audit::AuditOptions::default();
            let mut m = 0u64;
            let mut col = tls_handshake::audit::Collector::new(&opts, |_| m += 1);
            tls_handshake::audit::scan::scan_parallel(&cap, &opts, threads, &|_| {}, &mut col);
            drop(col);
            assert_eq!(m, n, "split and sequential scans disagree");
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let l = median(&mut lanes1);
    let (s, o, a) = (median(&mut sum), median(&mut one), median(&mut all));
    let gbs = |t: f64| len / t / 1e9;
    println!(
        "file: {} ({:.0} MiB), {rows} TLS connections, {rounds} rounds, medians:",
        args[1],
        len / (1 << 20) as f64
    );
    println!(
        "  u64 sum reference       {:8.1} ms  {:6.2} GB/s",
        s * 1e3,
        gbs(s)
    );
    println!(
        "  audit, 1 core, in order {:8.1} ms  {:6.2} GB/s  = {:.2}x the reference",
        o * 1e3,
        gbs(o),
        s / o
    );
    println!(
        "  audit, 1 core, lanes    {:8.1} ms  {:6.2} GB/s  = {:.2}x the reference (what tls-audit --threads 1 runs on a cached file)",
        l * 1e3,
        gbs(l),
        s / l
    );
    println!(
        "  audit, {} cores, lanes   {:8.1} ms  {:6.2} GB/s  = {:.2}x the reference, {:.2}x one core",
        pcap_core::parallel::threads(),
        a * 1e3,
        gbs(a),
        s / a,
        l / a
    );
}
