//! Writes the benchmark capture: `gen_bench_capture OUT.pcap MIB [TLS_PERCENT] [SEED]`.
//!
//! About `MIB` MiB of classic pcap: TLS handshakes (every version) among
//! bulk TCP with random payloads; see `netops_testkit::tls::capture::write_bench_capture`.

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen_bench_capture OUT.pcap MIB [TLS_PERCENT] [SEED]");
        std::process::exit(3);
    }
    let mib: u64 = args[2].parse().expect("MIB must be a number");
    let share: u64 = args
        .get(3)
        .map_or(5, |s| s.parse().expect("TLS_PERCENT must be a number"));
    let seed: u64 = args
        .get(4)
        .map_or(1, |s| s.parse().expect("SEED must be a number"));
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&args[1])?);
    let (packets, tls) =
        netops_testkit::tls::capture::write_bench_capture(f, mib << 20, share, seed)?;
    eprintln!("{}: {packets} packets, {tls} TLS connections", args[1]);
    Ok(())
}
