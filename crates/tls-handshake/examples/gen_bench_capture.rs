//! Writes the benchmark capture:
//! `gen_bench_capture OUT.pcap MIB [TLS_PERCENT] [SEED] [mixed|small|large] [random|zero]`.
//!
//! About `MIB` MiB of classic pcap: TLS handshakes (every version) among
//! bulk TCP with random (or mostly-zero) payloads in mixed, small (64-200 B)
//! or large (1514 B) frames; see
//! `netops_testkit::tls::capture::write_bench_capture_shaped`.

use netops_testkit::tls::capture::{BenchFrames, BenchPayload};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!(
            "usage: gen_bench_capture OUT.pcap MIB [TLS_PERCENT] [SEED] [mixed|small|large] [random|zero]"
        );
        std::process::exit(3);
    }
    let mib: u64 = args[2].parse().expect("MIB must be a number");
    let share: u64 = args
        .get(3)
        .map_or(5, |s| s.parse().expect("TLS_PERCENT must be a number"));
    let seed: u64 = args
        .get(4)
        .map_or(1, |s| s.parse().expect("SEED must be a number"));
    let frames = match args.get(5).map(String::as_str) {
        None | Some("mixed") => BenchFrames::Mixed,
        Some("small") => BenchFrames::Small,
        Some("large") => BenchFrames::Large,
        Some(other) => {
            eprintln!("frames must be mixed, small or large, not {other}");
            std::process::exit(3);
        }
    };
    let fill = match args.get(6).map(String::as_str) {
        None | Some("random") => BenchPayload::Random,
        Some("zero") => BenchPayload::Zero,
        Some(other) => {
            eprintln!("payload must be random or zero, not {other}");
            std::process::exit(3);
        }
    };
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&args[1])?);
    let (packets, tls) = netops_testkit::tls::capture::write_bench_capture_shaped(
        f,
        mib << 20,
        share,
        seed,
        frames,
        fill,
    )?;
    eprintln!("{}: {packets} packets, {tls} TLS connections", args[1]);
    Ok(())
}
