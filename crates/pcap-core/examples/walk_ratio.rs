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
/// Returns the number of records (pcapng: blocks).
fn chain(cap: &pcap_core::Capture) -> u64 {
    use pcap_core::format::{erf, pcap, pcapng};
    use pcap_core::{Endian, Format};
    let b = cap.bytes();
    match cap.format() {
        Format::Pcap {
            endian, modified, ..
        } => {
            let head = if modified {
                pcap::MODIFIED_REC_HEADER_LEN
            } else {
                pcap::REC_HEADER_LEN
            };
            let big = endian == Endian::Big;
            steps(b, pcap::FILE_HEADER_LEN, head, |p| {
                head + u32_at(b, p + pcap::REC_CAPLEN, big)
            })
        }
        Format::Pcapng => {
            // The section header's byte-order magic says how lengths read.
            let bom = pcapng::BLOCK_BODY + pcapng::SHB_BOM;
            let big = b.get(bom..bom + 4) == Some(&pcapng::BYTE_ORDER_MAGIC.to_be_bytes()[..]);
            steps(b, 0, pcapng::BLOCK_BODY, |p| {
                u32_at(b, p + pcapng::BLOCK_LEN, big)
            })
        }
        Format::Erf => steps(b, 0, erf::HEADER_LEN, |p| {
            usize::from(u16::from_be_bytes([b[p + erf::RLEN], b[p + erf::RLEN + 1]]))
        }),
        _ => 0,
    }
}

/// Steps from `pos` by `len(pos)` while a record header of `head` bytes
/// fits in `b` (and the step is not zero); the number of steps.
fn steps(b: &[u8], mut pos: usize, head: usize, len: impl Fn(usize) -> usize) -> u64 {
    let mut n = 0u64;
    while pos + head <= b.len() {
        let step = len(pos);
        if step == 0 {
            break;
        }
        pos += step;
        n += 1;
    }
    n
}

/// The `u32` at `at` of `b`, as a length.
fn u32_at(b: &[u8], at: usize, big: bool) -> usize {
    let w: [u8; 4] = b[at..at + 4].try_into().expect("four bytes");
    (if big {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    }) as usize
}
