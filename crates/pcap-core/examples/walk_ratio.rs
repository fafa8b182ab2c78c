//! One pass kind per process, for CPU-time comparisons that survive a
//! loaded machine (`perf stat -e task-clock` counts only this process's
//! CPU time, not the time it waits for a core):
//!
//! ```text
//! cargo build --release -p pcap-core --example walk_ratio
//! for m in sum walk decode; do
//!   perf stat -e task-clock target/release/examples/walk_ratio $m CAPTURE 6
//! done
//! ```
//!
//! `sum` adds every u64 of the mapping (the sequential-read reference),
//! `chain` steps from record to record reading only their lengths (the
//! least an in-order per-record walk does; on records a line or two
//! apart the prefetcher streams it at memory speed, on larger ones each
//! step waits for a cache miss),
//! `walk` iterates `packets()`, `decode` also decodes each packet to L4;
//! `lanes` and `lanes-decode` do the same in one thread's interleaved
//! headers-only lanes (`LANES=N`; by default as many as the scanners take
//! for this file, `pcap_core::parallel::header_lanes`); `lanes-peek`
//! peeks at each packet (ports, flags, payload length: what the scanners'
//! drop tests read) instead of decoding it. With one pass, `sum`, `chain`
//! and `lanes` are the floors `scripts/bench-grid.sh` measures: every
//! byte read once (what ripgrep reads), every record's length read in
//! order, and every record header walked in the scanners' lanes with
//! nothing done per packet.
//! The last argument is the number of passes (default 6).

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: walk_ratio sum|walk|decode CAPTURE [PASSES]");
        std::process::exit(3);
    };
    let passes: u32 = args.next().and_then(|p| p.parse().ok()).unwrap_or(6);
    let cap = match pcap_core::Capture::open(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut acc = 0u64;
    for _ in 0..passes {
        match mode.as_str() {
            "sum" => {
                for c in cap.bytes().chunks_exact(8) {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(c);
                    acc = acc.wrapping_add(u64::from_le_bytes(w));
                }
            }
            "chain" => acc += chain(&cap),
            "walk" | "decode" => {
                for p in cap.packets() {
                    let Ok(p) = p else { break };
                    if mode == "walk" {
                        acc += u64::from(p.caplen);
                    } else if let Ok(d) = p.decode() {
                        acc +=
                            d.ports().map_or(0, |(s, _)| u64::from(s)) + d.ip_payload.len() as u64;
                    }
                }
            }
            "lanes" | "lanes-decode" | "lanes-peek" => {
                let lanes = std::env::var("LANES")
                    .ok()
                    .and_then(|l| l.parse().ok())
                    .unwrap_or_else(|| pcap_core::parallel::header_lanes(&cap));
                let opts = pcap_core::parallel::SplitOptions {
                    threads: 1,
                    chunk_size: 0,
                    lanes,
                };
                let decode = mode == "lanes-decode";
                let peek = mode == "lanes-peek";
                let s = pcap_core::parallel::split_opts(
                    &cap,
                    opts,
                    || 0u64,
                    |a, p| {
                        if peek {
                            if let Some(q) = p.peek() {
                                *a += u64::from(q.src_port ^ q.dst_port)
                                    + u64::from(q.flags)
                                    + q.payload.len() as u64;
                            }
                        } else if !decode {
                            *a += u64::from(p.caplen);
                        } else if let Ok(d) = p.decode() {
                            *a += d.ports().map_or(0, |(s, _)| u64::from(s))
                                + d.ip_payload.len() as u64;
                        }
                    },
                );
                acc += s.chunks.iter().map(|c| c.state).sum::<u64>();
            }
            _ => {
                eprintln!(
                    "unknown mode {mode}: sum, chain, walk, decode, lanes, lanes-decode or lanes-peek"
                );
                std::process::exit(3);
            }
        }
    }
    println!("{mode}: {acc}");
}

/// The least an in-order per-record walk can do: read each record's
/// length and step over it, nothing checked but the end of the file.
/// Returns the number of records.
fn chain(cap: &pcap_core::Capture) -> u64 {
    use pcap_core::{Endian, Format};
    let b = cap.bytes();
    let u32_at = |big: bool, at: usize| {
        let w: [u8; 4] = b[at..at + 4].try_into().expect("four bytes");
        if big {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    // (first record, record header length, length field offset, big-endian
    // length, length counts the header)
    let (mut pos, head, field, big, whole) = match cap.format() {
        Format::Pcap {
            endian, modified, ..
        } => (
            24,
            if modified { 24 } else { 16 },
            8,
            endian == Endian::Big,
            false,
        ),
        // The section header's byte-order magic says how its lengths read.
        Format::Pcapng => (
            0,
            12,
            4,
            b.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d]),
            true,
        ),
        _ => (0, 16, 8, true, true),
    };
    let erf = matches!(cap.format(), Format::Erf);
    let mut n = 0u64;
    while pos + head <= b.len() {
        let len = if erf {
            usize::from(u16::from_be_bytes([b[pos + 10], b[pos + 11]]))
        } else {
            u32_at(big, pos + field) as usize
        };
        let step = if whole { len } else { head + len };
        if step == 0 {
            break;
        }
        pos += step;
        n += 1;
    }
    n
}
