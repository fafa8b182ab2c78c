//! Diagnostics: how pcap-core cuts a capture (chunks, rewalks) and how long
//! the sequential and split scans take. `probe_split FILE [THREADS]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cap = pcap_core::Capture::open(&args[1]).expect("open");
    let threads: usize = args.get(2).map_or(2, |s| s.parse().expect("threads"));
    let t = std::time::Instant::now();
    let split = pcap_core::parallel::split(&cap, threads, || 0u64, |n, _| *n += 1);
    println!(
        "split only: {:?}, {} chunks, {} rewalked, packets {}",
        t.elapsed(),
        split.chunks.len(),
        split.rewalked,
        split.chunks.iter().map(|c| c.state).sum::<u64>()
    );
    let t = std::time::Instant::now();
    let mut n = 0;
    for p in cap.packets() {
        p.expect("packet");
        n += 1;
    }
    println!("walk only: {:?}, {n} packets", t.elapsed());
    let t = std::time::Instant::now();
    let s =
        tls_handshake::audit::scan::scan_sequential(&cap, Default::default(), &|_| {}, &mut |_| {});
    println!("sequential scan: {:?}, {} packets", t.elapsed(), s.packets);
    let opts = tls_handshake::audit::AuditOptions::default();
    let mut col = tls_handshake::audit::Collector::new(&opts, |_| {});
    let t = std::time::Instant::now();
    let s = tls_handshake::audit::scan::scan_parallel(&cap, &opts, threads, &|_| {}, &mut col);
    println!("split scan: {:?}, {} packets", t.elapsed(), s.packets);
}
