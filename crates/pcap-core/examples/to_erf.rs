//! to_erf: rewrites an Ethernet capture (pcap, pcapng) as ERF Ethernet
//! records, as an Endace DAG card writes them, for benchmarks
//! (`scripts/bench-grid.sh`; editcap cannot write ERF from Ethernet pcap).
//!
//! ```text
//! cargo run --release -p pcap-core --example to_erf -- IN.pcap OUT.erf
//! ```

use std::io::BufWriter;

use pcap_core::LinkType;
use pcap_core::writer::{ErfKind, ErfWriter};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: to_erf IN OUT.erf");
        std::process::exit(3);
    };
    if let Err(e) = run(input, output) {
        eprintln!("to_erf: {e}");
        std::process::exit(2);
    }
}

fn run(input: &str, output: &str) -> Result<(), Box<dyn std::error::Error>> {
    let cap = pcap_core::Capture::open(input)?;
    let file = std::fs::File::create(output)?;
    let mut w = ErfWriter::new(BufWriter::with_capacity(1 << 20, file));
    for p in cap.packets() {
        let p = p?;
        if p.linktype != LinkType::ETHERNET {
            return Err(format!("{input}: frame {} is not Ethernet", p.frame).into());
        }
        w.write_record(ErfKind::Ethernet, p.ts_ns, 0, 0, p.data)?;
    }
    w.into_inner()?;
    Ok(())
}
