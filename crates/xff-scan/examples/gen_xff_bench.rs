//! Writes the xff-scan benchmark capture (the file `benches/benches/xff_scan.rs`
//! generates): `gen_xff_bench FILE [MIB] [HTTP_EVERY] [SEED]`, defaults
//! 256 MiB, one HTTP request per 100 frames, seed 42.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        return Err("usage: gen_xff_bench FILE [MIB] [HTTP_EVERY] [SEED]".into());
    };
    let num = |i: usize, d: u64| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(args.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let (mib, every, seed) = (num(1, 256)?, num(2, 100)?, num(3, 42)?);
    let f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let info = netops_testkit::xff::bench_capture(f, mib << 20, every, seed)?;
    eprintln!("wrote {path}: {info:?}");
    Ok(())
}
