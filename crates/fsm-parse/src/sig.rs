//! A line's [`FOLD`] bits for the rules of one state, found 32 bytes at a
//! time instead of two table loads a byte.
//!
//! A state's rules need few of the 64 folded classes (the letters of
//! their required literals: `Chassis ID`, `Name:`, `Address`). [`Sig`]
//! picks up to 16 of them, the rarest, and finds which of those a line
//! holds with two nibble lookups per byte (`pshufb`, as Teddy finds its
//! buckets), 32 bytes a step (AVX2, when the CPU has it), where the full
//! fold takes two table loads a byte. Every class not picked reads as
//! present, so a rule is only ever let through more often than by the
//! full fold, never rejected where the full fold would not; a state whose
//! rules would lose their own classes keeps the full fold (see
//! [`Sig::new`]).

use crate::pyre::{FOLD, fold};

/// The classes a [`Sig`] tells apart at most.
const TARGETS: usize = 16;

/// The fold bits a state's rules test, and how to find them in a line.
#[derive(Debug, Clone)]
pub(crate) struct Sig {
    /// The [`FOLD`] classes picked; every other class reads as present.
    sel: u64,
    /// Per class picked (target `t`): bit `t % 8` of `lo[t / 8][n]` for
    /// each low nibble `n` of its bytes, and of `hi[t / 8][n]` for each
    /// high nibble. A byte holds target `t` when both its nibbles' entries
    /// have the bit (a class of several bytes may also catch a byte made of
    /// one's low and another's high nibble: present more often, never less).
    /// (Each table twice over: `pshufb` looks up within each 16-byte half
    /// of a 32-byte register.)
    lo: [[u8; 32]; 2],
    hi: [[u8; 32]; 2],
    /// The fold bits of each 4-bit group of the 16 target bits.
    back: [[u64; 16]; 4],
    /// The CPU runs the AVX2 path.
    simd: bool,
}

/// How rare a fold class is in CLI output (lower: rarer): capitals, then
/// the lowercase letters from the rarest in English text, then the
/// punctuation classes, digits last. The space-and-the-rest class is never
/// picked (nearly every line has it).
fn rarity(class: u32) -> u32 {
    const LOWER: &[u8; 26] = b"zqxjkvbpygfwmucldrhsnioate";
    match class {
        26..=51 => 0,
        0..=25 => {
            let c = b'a' + class as u8;
            10 + LOWER.iter().position(|&x| x == c).unwrap_or(0) as u32
        }
        // " ( [ = _ / - , . :
        59 => 40,
        58 => 41,
        62 => 42,
        61 => 43,
        60 => 44,
        57 => 45,
        56 => 46,
        54 => 47,
        55 => 48,
        53 => 49,
        _ => 60,
    }
}

impl Sig {
    /// The full fold, byte by byte (what [`Sig::new`] of nothing gives).
    pub(crate) const EXACT: Sig = Sig {
        sel: 0,
        lo: [[0; 32]; 2],
        hi: [[0; 32]; 2],
        back: [[0; 16]; 4],
        simd: false,
    };

    /// A signature for rules whose required literals have the fold bits
    /// `needs` (one entry per rule, 0 for none). When the rules need
    /// more than 16 classes, the rarest 16 are picked, but only if every
    /// rule keeps two of its own (or all, when it has fewer): a rule left
    /// with none (a state of forty rules, some with only common lowercase
    /// letters in their literals) would reach its exact `memmem` test on
    /// nearly every line, which costs more than the full fold saves.
    pub(crate) fn new(needs: &[u64]) -> Sig {
        let union = needs.iter().fold(0, |u, n| u | n);
        let mut classes: Vec<u32> = (0..63).filter(|&c| union >> c & 1 == 1).collect();
        if classes.is_empty() {
            return Sig::EXACT;
        }
        classes.sort_by_key(|&c| (rarity(c), c));
        classes.truncate(TARGETS);
        let picked = classes.iter().fold(0u64, |p, &c| p | 1 << c);
        let keeps = |n: u64| {
            let own = n & !(1 << 63);
            (own & picked).count_ones() >= own.count_ones().min(2)
        };
        if !needs.iter().all(|&n| keeps(n)) {
            return Sig::EXACT;
        }
        let mut s = Sig {
            sel: 0,
            lo: [[0; 32]; 2],
            hi: [[0; 32]; 2],
            back: [[0; 16]; 4],
            simd: simd_available(),
        };
        for (t, &c) in classes.iter().enumerate() {
            let class = 1u64 << c;
            s.sel |= class;
            let bit = 1u8 << (t % 8);
            for b in 0..=255u8 {
                if FOLD[usize::from(b)] == class {
                    for half in [0, 16] {
                        s.lo[t / 8][half + usize::from(b & 15)] |= bit;
                        s.hi[t / 8][half + usize::from(b >> 4)] |= bit;
                    }
                }
            }
            for n in 0..16 {
                if n >> (t % 4) & 1 == 1 {
                    s.back[t / 4][n] |= class;
                }
            }
        }
        s
    }

    /// The fold bits of `line` as these rules see them: the picked
    /// classes it holds, and every class not picked (a short line, or a
    /// CPU without AVX2, gets the full fold).
    #[inline]
    pub(crate) fn bits(&self, line: &[u8]) -> u64 {
        if self.simd && line.len() >= 16 {
            bits_simd(self, line)
        } else {
            fold(line)
        }
    }

    /// The picked classes, by bit.
    #[cfg(test)]
    pub(crate) fn picked(&self) -> u64 {
        self.sel
    }
}

#[cfg(target_arch = "x86_64")]
fn simd_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn simd_available() -> bool {
    false
}

/// [`Sig::bits`] for a line of 16 bytes or more, on a CPU with AVX2.
#[cfg(target_arch = "x86_64")]
fn bits_simd(s: &Sig, line: &[u8]) -> u64 {
    // SAFETY: `simd` is only set when the CPU has AVX2.
    unsafe { bits_avx2(s, line) }
}

#[cfg(not(target_arch = "x86_64"))]
fn bits_simd(_: &Sig, line: &[u8]) -> u64 {
    fold(line)
}

/// The picked classes `line` holds, 32 bytes a step: the last step
/// overlaps the one before it (a byte seen twice changes nothing), and a
/// line of 16 to 31 bytes is its first and last 16 bytes in one register.
/// Then the 16 target bits back to fold bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn bits_avx2(s: &Sig, line: &[u8]) -> u64 {
    use std::arch::x86_64::*;
    debug_assert!(line.len() >= 16);
    let n = line.len();
    let p = line.as_ptr();
    // SAFETY (every load below): an unaligned load of 16 or 32 bytes that
    // starts at or after the start of its slice and ends at or before its
    // end (`n >= 16`; the 32-byte steps only when `n >= 32`).
    let table = |t: &[u8; 32]| unsafe { _mm256_loadu_si256(t.as_ptr().cast()) };
    let (lo_a, hi_a) = (table(&s.lo[0]), table(&s.hi[0]));
    let (lo_b, hi_b) = (table(&s.lo[1]), table(&s.hi[1]));
    let nib = _mm256_set1_epi8(0x0F);
    let mut acc_a = _mm256_setzero_si256();
    let mut acc_b = _mm256_setzero_si256();
    let mut step = |v: __m256i| {
        let l = _mm256_and_si256(v, nib);
        let h = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
        acc_a = _mm256_or_si256(
            acc_a,
            _mm256_and_si256(_mm256_shuffle_epi8(lo_a, l), _mm256_shuffle_epi8(hi_a, h)),
        );
        acc_b = _mm256_or_si256(
            acc_b,
            _mm256_and_si256(_mm256_shuffle_epi8(lo_b, l), _mm256_shuffle_epi8(hi_b, h)),
        );
    };
    if n >= 32 {
        let mut i = 0;
        while i + 32 < n {
            step(unsafe { _mm256_loadu_si256(p.add(i).cast()) });
            i += 32;
        }
        step(unsafe { _mm256_loadu_si256(p.add(n - 32).cast()) });
    } else {
        let first = unsafe { _mm_loadu_si128(p.cast()) };
        let last = unsafe { _mm_loadu_si128(p.add(n - 16).cast()) };
        step(_mm256_set_m128i(last, first));
    }
    // Byte k of both accumulators as one 16-bit lane (a | b << 8), then
    // every lane OR-ed into the lowest.
    let u = _mm256_or_si256(
        _mm256_unpacklo_epi8(acc_a, acc_b),
        _mm256_unpackhi_epi8(acc_a, acc_b),
    );
    let x = _mm_or_si128(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
    let x = _mm_or_si128(x, _mm_srli_si128(x, 8));
    let x = _mm_or_si128(x, _mm_srli_si128(x, 4));
    let x = _mm_or_si128(x, _mm_srli_si128(x, 2));
    let t = _mm_cvtsi128_si32(x) as usize;
    !s.sel
        | s.back[0][t & 15]
        | s.back[1][t >> 4 & 15]
        | s.back[2][t >> 8 & 15]
        | s.back[3][t >> 12 & 15]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature against the full fold, on every picked class: never
    /// a class missing that the fold has; a single-byte class (a letter)
    /// exactly when the fold has it.
    fn check(s: &Sig, line: &[u8]) {
        let want = fold(line);
        let got = s.bits(line);
        assert_eq!(want & !got, 0, "{:?}: a held class reads as absent", line);
        for c in 0..52 {
            if s.picked() >> c & 1 == 1 {
                assert_eq!(got >> c & 1, want >> c & 1, "{line:?}: class {c}");
            }
        }
    }

    #[test]
    fn the_rarest_sixteen_classes_are_picked() {
        let needs: Vec<u64> = [
            "System Description:",
            "Chassis ID",
            "Port ID type",
            "Name:",
            "Address",
        ]
        .iter()
        .map(|l| fold(l.as_bytes()))
        .collect();
        let s = Sig::new(&needs);
        let picked = s.picked();
        assert_eq!(picked.count_ones(), 16);
        for c in b"SDCIPNA" {
            assert_ne!(picked & fold(&[*c]), 0, "{}", *c as char);
        }
        for c in b"etaoi:" {
            assert_eq!(picked & fold(&[*c]), 0, "{}", *c as char);
        }
        assert_eq!(Sig::new(&[0]).picked(), 0);
        // A rule left with none of its classes: the full fold instead.
        let mut many: Vec<u64> = (b'A'..=b'Z').map(|c| fold(&[c])).collect();
        many.push(fold(b"rate"));
        assert_eq!(Sig::new(&many).picked(), 0);
    }

    #[test]
    fn every_byte_at_every_offset_and_length() {
        let sets: [&[u8]; 4] = [
            b"System Description:",
            b"0123456789:,.-/()\"'_=[]<>{}",
            b"abcdefghijklmnopqrstuvwxyzABCDEFG",
            b"Zz",
        ];
        for need in sets {
            let s = Sig::new(&[fold(need)]);
            for len in 0..80 {
                let base: Vec<u8> = (0..len).map(|i| b" \t~!"[i % 4]).collect();
                check(&s, &base);
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut line = base.clone();
                        line[at] = b;
                        check(&s, &line);
                    }
                }
            }
        }
    }

    /// Without AVX2 (or on short lines) the signature is the full fold.
    #[test]
    fn without_simd_the_full_fold() {
        let mut s = Sig::new(&[fold(b"Chassis ID"), fold(b"Port ID type")]);
        assert_ne!(s.picked(), 0);
        s.simd = false;
        for line in [
            &b"  - Chassis ID type: MAC address (4)"[..],
            b"    Port ID     : x",
            b"",
        ] {
            assert_eq!(s.bits(line), fold(line));
        }
        let short = b"Chassis ID: 1";
        assert_eq!(Sig::new(&[fold(b"Chassis ID")]).bits(short), fold(short));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_fold(need in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                                line in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            check(&Sig::new(&[fold(&need)]), &line);
        }
    }
}
