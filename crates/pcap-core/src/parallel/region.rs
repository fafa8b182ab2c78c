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
    Some(Packets::over(
        cap,
        pos,
        bytes.len(),
        super::walker_at(&assumed),
    ))
}
