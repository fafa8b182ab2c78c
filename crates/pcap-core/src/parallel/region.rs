//! Walking a capture from the middle, on its own: for a caller that hands
//! the regions of one file to independent workers (the partitions of a
//! query engine, possibly on other machines) instead of letting
//! [`split_each`](super::split_each) drive and verify the chunks.

use crate::{Capture, Packets};

/// The packets of `cap` from the first record that starts at or after byte
/// `offset` to the end of the file; `None` when no record start is found
/// there. Offsets up to the first record (the file header) give
/// [`Capture::packets`]. Frame numbers count from 1 at the first record
/// found; [`Packets::offset`] before each step is the offset of the record
/// about to be read.
///
/// The first record is found like [`split`](super::split) finds a chunk's
/// start (a chain of plausible records), but nothing checks it against a
/// walk from the start of the file: payload bytes that look like a chain of
/// records can fool it. Callers that need the exact sequential record
/// sequence start some way before the region they care about and keep only
/// the records at or after it: by then the walk has followed the real
/// chain for many records.
pub fn packets_from(cap: &Capture, offset: usize) -> Option<Packets<'_>> {
    if offset <= cap.data_start() {
        return Some(cap.packets());
    }
    let bytes = cap.bytes();
    let resync = super::Resync::new(cap);
    let (pos, assumed) = resync.find(bytes, offset, bytes.len())?;
    Some(Packets::new(
        cap.path(),
        bytes,
        pos,
        bytes.len(),
        super::walker_at(&assumed),
        cap.deferred(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth;

    #[test]
    fn walk_from_the_middle_joins_the_sequential_walk() {
        let mut bytes = Vec::new();
        synth::write_mixed_pcap(&mut bytes, 20_000, 3).unwrap();
        let cap = Capture::from_vec("mixed.pcap", bytes).unwrap();
        let all: Vec<(u64, i64, u32)> = {
            let mut it = cap.packets();
            let mut v = Vec::new();
            loop {
                let off = it.offset();
                match it.next() {
                    Some(Ok(p)) => v.push((off, p.ts_ns, p.caplen)),
                    _ => break,
                }
            }
            v
        };
        let len = cap.bytes().len();
        for at in [0, 10, len / 3, len / 2, len - 100] {
            let Some(mut it) = packets_from(&cap, at) else {
                continue;
            };
            let first = it.offset();
            let got: Vec<(u64, i64, u32)> = std::iter::from_fn(|| {
                let off = it.offset();
                it.next()?.ok().map(|p| (off, p.ts_ns, p.caplen))
            })
            .collect();
            let i = all
                .iter()
                .position(|r| r.0 == first)
                .expect("a real record");
            assert_eq!(got, all[i..], "from {at}");
        }
        assert!(packets_from(&cap, len + 10).is_none_or(|mut it| it.next().is_none()));
    }
}
