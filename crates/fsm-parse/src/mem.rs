//! Memory for large outputs: the buffers a caller fills with the rows of
//! a big input.

/// Transparent huge pages: 2 MiB.
pub const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the whole 2 MiB pages inside the `len` bytes at
/// `start` (memory of this process, typically a fresh buffer's capacity)
/// with transparent huge pages: a buffer of tens of megabytes written once
/// then takes tens of page faults instead of thousands, each a trap into
/// the kernel. Contents are never changed; where the kernel does not offer
/// huge pages (or off Linux) nothing happens.
pub fn advise_huge_pages(start: *const u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        let from = (start as usize).next_multiple_of(HUGE_PAGE);
        let to = (start as usize).saturating_add(len) / HUGE_PAGE * HUGE_PAGE;
        if to > from {
            // SAFETY: madvise reads and writes no memory of ours:
            // MADV_HUGEPAGE only changes how the pages of [from, to) are
            // backed, never their contents, and an address range that is
            // not mapped is refused (ENOMEM) with nothing changed.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (start, len);
}
