//! The prefilter's inner loop: every occurrence of a short literal in a
//! block of capture bytes.
//!
//! `memchr::memmem` is as fast over one large haystack, but it sets up a
//! search per call, and the scan calls it once per block so that the record
//! walk that follows reads headers still in the L1/L2 cache. This loop has
//! no setup: it compares two bytes of the needle (memchr's choice of the
//! rarest pair) at 64 positions per iteration with AVX2 and verifies the
//! rare candidates, so blocks can be small. Without AVX2 it falls back to
//! `memchr::memmem`.

use memchr::arch::all::packedpair::Pair;

/// A needle prepared for [`Needle::find_into`].
pub(crate) struct Needle {
    bytes: &'static [u8],
    finder: memchr::memmem::Finder<'static>,
    /// Offsets in the needle of the two bytes compared first.
    i1: usize,
    i2: usize,
    avx2: bool,
}

impl Needle {
    /// Prepares `bytes` (2 to 255 bytes long).
    pub(crate) fn new(bytes: &'static [u8]) -> Needle {
        let pair = Pair::new(bytes)
            .unwrap_or_else(|| Pair::with_indices(bytes, 0, 1).expect("needle of 2 or more bytes"));
        Needle {
            bytes,
            finder: memchr::memmem::Finder::new(bytes),
            i1: usize::from(pair.index1()),
            i2: usize::from(pair.index2()),
            avx2: avx2(),
        }
    }

    /// Whether the needle occurs in `hay`.
    #[inline]
    pub(crate) fn contains(&self, hay: &[u8]) -> bool {
        self.finder.find(hay).is_some()
    }

    /// Appends `base + i` for every `i` where the needle occurs entirely
    /// inside `hay` (overlapping occurrences included), in increasing order.
    #[inline]
    pub(crate) fn find_into(&self, hay: &[u8], base: usize, out: &mut impl Extend<usize>) {
        let mut from = 0;
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is true only when the CPU has AVX2.
            from = unsafe { self.find_avx2(hay, base, out) };
        }
        // Overlapping occurrences too, like the vector loop.
        while hay.len() - from >= self.bytes.len() {
            let Some(i) = self.finder.find(&hay[from..]) else {
                break;
            };
            out.extend(Some(base + from + i));
            from += i + 1;
        }
    }

    /// The vector loop over the start positions whose 64-byte loads stay in
    /// `hay`; returns the first start position it did not cover.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(&self, hay: &[u8], base: usize, out: &mut impl Extend<usize>) -> usize {
        use core::arch::x86_64::*;
        let n = self.bytes.len();
        let reach = self.i1.max(self.i2) + 64;
        if hay.len() < reach {
            return 0;
        }
        let last = hay.len() - reach;
        let v1 = _mm256_set1_epi8(self.bytes[self.i1] as i8);
        let v2 = _mm256_set1_epi8(self.bytes[self.i2] as i8);
        let p = hay.as_ptr();
        let mut cur = 0;
        while cur <= last {
            // SAFETY: cur + i + 64 <= hay.len() for i in {i1, i2}, so the
            // four unaligned 32-byte loads are inside `hay`.
            let (ea, eb) = unsafe {
                let a1 = _mm256_loadu_si256(p.add(cur + self.i1).cast());
                let a2 = _mm256_loadu_si256(p.add(cur + self.i2).cast());
                let b1 = _mm256_loadu_si256(p.add(cur + 32 + self.i1).cast());
                let b2 = _mm256_loadu_si256(p.add(cur + 32 + self.i2).cast());
                (
                    _mm256_and_si256(_mm256_cmpeq_epi8(a1, v1), _mm256_cmpeq_epi8(a2, v2)),
                    _mm256_and_si256(_mm256_cmpeq_epi8(b1, v1), _mm256_cmpeq_epi8(b2, v2)),
                )
            };
            let any = _mm256_or_si256(ea, eb);
            if _mm256_testz_si256(any, any) == 0 {
                let mut m = u64::from(_mm256_movemask_epi8(ea) as u32)
                    | (u64::from(_mm256_movemask_epi8(eb) as u32) << 32);
                while m != 0 {
                    let o = cur + m.trailing_zeros() as usize;
                    if hay.get(o..o + n) == Some(self.bytes) {
                        out.extend(Some(base + o));
                    }
                    m &= m - 1;
                }
            }
            cur += 64;
        }
        cur
    }
}

fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NEEDLE: &[u8] = b" HTTP/1.";

    fn reference(hay: &[u8], base: usize) -> Vec<usize> {
        memchr::memmem::find_iter(hay, NEEDLE)
            .map(|i| base + i)
            .collect()
    }

    #[test]
    fn finds_the_needle_at_every_offset_and_at_the_ends() {
        let n = Needle::new(NEEDLE);
        for len in [0, 1, 7, 8, 9, 63, 64, 70, 71, 72, 127, 128, 200, 1000] {
            for at in 0..len {
                let mut hay = vec![b'x'; len];
                let fits = at + NEEDLE.len() <= len;
                let end = (at + NEEDLE.len()).min(len);
                hay[at..end].copy_from_slice(&NEEDLE[..end - at]);
                let mut got = Vec::new();
                n.find_into(&hay, 1000, &mut got);
                assert_eq!(got, reference(&hay, 1000), "len {len} at {at}");
                assert_eq!(got.len(), usize::from(fits), "len {len} at {at}");
            }
        }
    }

    #[test]
    fn overlapping_and_adjacent_occurrences() {
        let n = Needle::new(b"aa");
        let hay = vec![b'a'; 300];
        let mut got = Vec::new();
        n.find_into(&hay, 0, &mut got);
        assert_eq!(got, (0..299).collect::<Vec<_>>());
    }

    proptest! {
        #[test]
        fn equals_memmem(
            mut hay in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'H'), Just(b'T'), Just(b'P'), Just(b'/'), Just(b'1'), Just(b'.'), any::<u8>()], 0..600),
            plants in proptest::collection::vec(0usize..600, 0..6),
            base in 0usize..1 << 40,
        ) {
            for p in plants {
                if p + NEEDLE.len() <= hay.len() {
                    hay[p..p + NEEDLE.len()].copy_from_slice(NEEDLE);
                }
            }
            let want = reference(&hay, base);
            let mut n = Needle::new(NEEDLE);
            let mut got = Vec::new();
            n.find_into(&hay, base, &mut got);
            prop_assert_eq!(&got, &want);
            // The fallback for CPUs without AVX2 gives the same.
            n.avx2 = false;
            got.clear();
            n.find_into(&hay, base, &mut got);
            prop_assert_eq!(&got, &want);
        }
    }
}
