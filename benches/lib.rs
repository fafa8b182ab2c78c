//! Shared helpers for the criterion benchmarks in `benches/benches/`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Where generated benchmark inputs live: `$CARGO_TARGET_DIR` (or
/// `target/`) `/netops-bench-data/`. Generated once, reused across runs.
pub fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    target.join("netops-bench-data")
}

/// A classic pcap of at least `min_bytes` with a realistic mix (see
/// [`netops_testkit::pcap::write_mixed_pcap`]: mean frame about 700 B, random
/// payload bytes, VLAN-tagged and IPv6 traffic among it), generated
/// deterministically on first use and cached in [`data_dir`].
pub fn mixed_capture(min_bytes: u64) -> std::io::Result<PathBuf> {
    let dir = data_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("mixed-{}MiB-v1.pcap", min_bytes >> 20));
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= min_bytes) {
        return Ok(path);
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
    netops_testkit::pcap::write_mixed_pcap(&mut w, min_bytes, 0x6e65_746f_7073)?;
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The sequential-read reference: the sum of every little-endian `u64`
/// word (the cost of touching every byte once, whatever the content).
#[inline(never)]
pub fn u64_sum(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut s = 0u64;
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        s = s.wrapping_add(u64::from_le_bytes(w));
    }
    for &b in chunks.remainder() {
        s = s.wrapping_add(u64::from(b));
    }
    s
}

/// A plain packet-by-packet walk of a little-endian classic pcap with no
/// prefetching: what a naive reader does. Returns (packets, captured bytes).
#[inline(never)]
pub fn naive_pcap_walk(bytes: &[u8]) -> (u64, u64) {
    let mut pos = 24;
    let (mut n, mut total) = (0u64, 0u64);
    while pos + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes([
            bytes[pos + 8],
            bytes[pos + 9],
            bytes[pos + 10],
            bytes[pos + 11],
        ]) as usize;
        pos += 16 + caplen;
        n += 1;
        total += caplen as u64;
    }
    (n, total)
}
