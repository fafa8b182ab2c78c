//! Line splitting the way Python does it.

/// Python's `str.isspace()` for one character (`\s` and `strip()`).
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Is `c` a line boundary for Python's `str.splitlines()`?
fn is_py_linebreak(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `str.splitlines()`: `\n`, `\r\n`, `\r`, `\v`, `\f`, `\x1c`-`\x1e`,
/// `\x85`, U+2028 and U+2029 all end a line; no empty last line.
pub fn splitlines(text: &str) -> SplitLines<'_> {
    SplitLines { rest: text }
}

/// Iterator of [`splitlines`].
#[derive(Debug, Clone)]
pub struct SplitLines<'a> {
    rest: &'a str,
}

/// Bytes that may start a line break: the ASCII breaks `\n \r \v \f
/// \x1c-\x1e`, and the lead bytes of U+0085 (0xC2) and U+2028/9 (0xE2).
const fn break_table() -> [bool; 256] {
    let mut t = [false; 256];
    let bytes = [b'\n', b'\r', 0x0b, 0x0c, 0x1c, 0x1d, 0x1e, 0xC2, 0xE2];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}
static MAY_BREAK: [bool; 256] = break_table();

/// A byte of 1 in every byte of a word, and the high bit of every byte:
/// the word-at-a-time tests here and in the VM's loop runs.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the 8 bytes of `w` (little-endian) that is
/// below 0x20 or above 0x7F (a control or a non-ASCII byte; every line
/// break is one of those), possibly with false ones above the lowest: the
/// lowest set bit is always the first such byte; 0 when there is none.
#[inline(always)]
fn control_or_high(w: u64) -> u64 {
    // Bytes >= 0x80 set their high bit; for bytes < 0x80, subtracting 0x20
    // borrows into the high bit exactly when the byte is < 0x20 (a borrow
    // from a lower byte can only follow such a byte).
    (w | w.wrapping_sub(ONES * 0x20)) & HIGH
}

/// Bit `k` set for each byte `k` of `c` that is below 0x20 or above 0x7F
/// (a control or a non-ASCII byte: every line break is one of those):
/// one signed compare of 16 bytes and their byte mask (SSE2, part of every
/// x86-64), 16 bytes a step where [`control_or_high`] takes 8.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn control_or_high16(c: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{_mm_cmplt_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    let (lo, hi) = c.split_at(8);
    let lo = i64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
    let hi = i64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
    // Bytes >= 0x80 are negative as `i8`: below 0x20 as well.
    // SAFETY: these intrinsics only need SSE2, which this build enables
    // (the `cfg` above); they read no memory.
    unsafe { _mm_movemask_epi8(_mm_cmplt_epi8(_mm_set_epi64x(hi, lo), _mm_set1_epi8(0x20))) as u32 }
}

/// [`control_or_high16`] elsewhere: bit `k` for byte `k`.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn control_or_high16(c: &[u8; 16]) -> u32 {
    let mut m = 0u32;
    for (k, &b) in c.iter().enumerate() {
        m |= u32::from((b as i8) < 0x20) << k;
    }
    m
}

impl<'a> SplitLines<'a> {
    /// The next line, and whether it is all ASCII (found while looking for
    /// its end, so that the engine does not scan the line again).
    #[inline]
    pub(crate) fn next_line(&mut self) -> Option<(&'a str, bool)> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        let mut ascii = true;
        let mut i = 0;
        loop {
            // To the next control or non-ASCII byte: 16 bytes at a time,
            // then 8, then one by one.
            loop {
                if let Some(chunk) = bytes.get(i..i + 16) {
                    let m = control_or_high16(chunk.try_into().unwrap_or(&[0; 16]));
                    if m != 0 {
                        i += m.trailing_zeros() as usize;
                        break;
                    }
                    i += 16;
                } else if let Some(chunk) = bytes.get(i..i + 8) {
                    let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                    let m = control_or_high(w);
                    if m != 0 {
                        i += (m.trailing_zeros() / 8) as usize;
                        break;
                    }
                    i += 8;
                } else {
                    while i < bytes.len() && (bytes[i] as i8) >= 0x20 {
                        i += 1;
                    }
                    break;
                }
            }
            let Some(&b) = bytes.get(i) else {
                let line = self.rest;
                self.rest = "";
                return Some((line, ascii));
            };
            if b == b'\n' {
                // The common case, without the table and the char decode.
                let line = &self.rest[..i];
                self.rest = &self.rest[i + 1..];
                return Some((line, ascii));
            }
            if MAY_BREAK[usize::from(b)] {
                // i is on a char boundary: these bytes are never
                // continuation bytes.
                let c = self.rest[i..].chars().next().unwrap_or('\0');
                if is_py_linebreak(c) {
                    let line = &self.rest[..i];
                    let mut end = i + c.len_utf8();
                    if c == '\r' && bytes.get(end) == Some(&b'\n') {
                        end += 1;
                    }
                    self.rest = &self.rest[end..];
                    return Some((line, ascii));
                }
            }
            if b >= 0x80 {
                ascii = false;
            }
            i += 1;
        }
    }
}

impl<'a> Iterator for SplitLines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.next_line().map(|(line, _)| line)
    }
}

/// Where a run takes its lines from: a whole text ([`SplitLines`]) or a
/// reader ([`ReaderLines`]). A line is valid until the next call.
pub(crate) trait LineSource {
    /// The next line and whether it is all ASCII; `None` at the end (or
    /// when the source failed: see the source's own error).
    fn next_line(&mut self) -> Option<(&str, bool)>;
    /// The source stopped on an error (not the end of the input): no
    /// end-of-input record then.
    fn failed(&self) -> bool {
        false
    }
}

impl LineSource for SplitLines<'_> {
    #[inline]
    fn next_line(&mut self) -> Option<(&str, bool)> {
        SplitLines::next_line(self)
    }
}

/// Why a [`ReaderLines`] stopped before the end of its input.
#[derive(Debug)]
pub(crate) enum ReadStop {
    /// Reading failed after this many complete lines.
    Io(usize, std::io::Error),
    /// Line `.0` (1-based) is longer than the limit `.1` (bytes).
    LineTooLong(usize, usize),
}

/// Bytes read from the reader at a time.
const READ_CHUNK: usize = 1 << 16;

/// Lines of a reader, split like [`splitlines`], holding one chunk of
/// complete lines at a time (plus the start of the next line): memory
/// stays bounded by the longest line, which is capped at `max_line`
/// bytes. Invalid UTF-8 is replaced with U+FFFD (`lossy` records that it
/// happened and the first byte offset).
pub(crate) struct ReaderLines<R> {
    r: R,
    /// Bytes read: `buf[..filled]`. The whole of `buf` is initialised
    /// (zeroed once when it grows) and reads go into its tail, so a chunk
    /// costs no `memset`; `buf` only grows when a line outgrows it.
    buf: Vec<u8>,
    filled: usize,
    /// The complete lines being handed out end at `buf[end]` (the bytes
    /// after it are the start of the next line); `buf[..end]` is valid
    /// UTF-8, checked by `refill`, and lines are borrowed from it in place
    /// (no copy), unless it was not: then from its lossy decode in `text`.
    end: usize,
    text: String,
    lossy_chunk: bool,
    /// How far `next_line` got in the current lines.
    pos: usize,
    /// Bytes of `buf[end..filled]` already searched for a line break.
    scanned: usize,
    /// Offset in the whole input of `buf[end]`.
    offset: u64,
    eof: bool,
    lines: usize,
    max_line: usize,
    pub(crate) stop: Option<ReadStop>,
    /// The input offset of the first invalid UTF-8 byte, if any.
    pub(crate) lossy: Option<u64>,
}

/// The end of the last complete line in `buf` (after its line break),
/// searching from the end down to `from`: a `\r` that ends the buffer
/// counts only at the end of the input (a `\n` may follow).
fn last_cut(buf: &[u8], from: usize, eof: bool) -> Option<usize> {
    let mut i = buf.len();
    while i > from {
        i -= 1;
        match buf[i] {
            b'\n' | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e => return Some(i + 1),
            b'\r' if i + 1 < buf.len() || eof => return Some(i + 1),
            0x85 if i >= 1 && buf[i - 1] == 0xC2 => return Some(i + 1),
            0xA8 | 0xA9 if i >= 2 && buf[i - 2] == 0xE2 && buf[i - 1] == 0x80 => {
                return Some(i + 1);
            }
            _ => {}
        }
    }
    None
}

impl<R: std::io::Read> ReaderLines<R> {
    /// Lines of `r`; a line longer than `max_line` bytes stops the run.
    pub(crate) fn new(r: R, max_line: usize) -> Self {
        ReaderLines {
            r,
            buf: Vec::new(),
            filled: 0,
            end: 0,
            text: String::new(),
            lossy_chunk: false,
            pos: 0,
            scanned: 0,
            offset: 0,
            eof: false,
            lines: 0,
            max_line,
            stop: None,
            lossy: None,
        }
    }

    /// Drops the lines handed out, reads until the buffer holds a complete
    /// line (or the input ends) and makes the complete lines current.
    /// False at the end of input.
    fn refill(&mut self) -> bool {
        // The start of the next line moves to the front (a partial line:
        // short next to a chunk).
        self.buf.copy_within(self.end..self.filled, 0);
        self.filled -= self.end;
        self.end = 0;
        self.pos = 0;
        self.lossy_chunk = false;
        loop {
            // A multi-byte line break may straddle the last read.
            let from = self.scanned.saturating_sub(2);
            let raw = &self.buf[..self.filled];
            let cut = last_cut(raw, from, self.eof).or(if self.eof && !raw.is_empty() {
                Some(raw.len())
            } else {
                None
            });
            if let Some(cut) = cut {
                if let Err(e) = std::str::from_utf8(&raw[..cut]) {
                    if self.lossy.is_none() {
                        self.lossy = Some(self.offset + e.valid_up_to() as u64);
                    }
                    self.text.clear();
                    self.text.push_str(&String::from_utf8_lossy(&raw[..cut]));
                    self.lossy_chunk = true;
                }
                self.end = cut;
                self.offset += cut as u64;
                self.scanned = 0;
                return true;
            }
            if self.eof {
                return false;
            }
            self.scanned = self.filled;
            if self.filled > self.max_line {
                self.stop = Some(ReadStop::LineTooLong(self.lines + 1, self.max_line));
                return false;
            }
            let old = self.filled;
            if self.buf.len() < old + READ_CHUNK {
                self.buf.resize(old + READ_CHUNK, 0);
            }
            let n = loop {
                match self.r.read(&mut self.buf[old..old + READ_CHUNK]) {
                    Ok(n) => break Ok(n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => break Err(e),
                }
            };
            match n {
                Ok(n) => {
                    self.filled = old + n;
                    if n == 0 {
                        self.eof = true;
                    }
                }
                Err(e) => {
                    self.stop = Some(ReadStop::Io(self.lines, e));
                    return false;
                }
            }
        }
    }

    /// The complete lines `next_line` hands out.
    fn current(&self) -> &str {
        if self.lossy_chunk {
            &self.text
        } else {
            // SAFETY: `refill` checked `buf[..end]` with `str::from_utf8`
            // (it was `Ok`, or `lossy_chunk` is set), and `buf` is only
            // written by the next `refill`.
            unsafe { std::str::from_utf8_unchecked(&self.buf[..self.end]) }
        }
    }
}

impl<R> ReaderLines<R> {
    /// Lines handed out so far.
    pub(crate) fn lines(&self) -> usize {
        self.lines
    }
}

impl<R: std::io::Read> LineSource for ReaderLines<R> {
    fn failed(&self) -> bool {
        self.stop.is_some()
    }

    fn next_line(&mut self) -> Option<(&str, bool)> {
        if self.pos >= self.current().len() && !self.refill() {
            return None;
        }
        let text = self.current();
        let mut it = splitlines(&text[self.pos..]);
        let (line, ascii) = it.next_line()?;
        let (start, len) = (self.pos, line.len());
        let pos = text.len() - it.rest.len();
        self.pos = pos;
        self.lines += 1;
        Some((&self.current()[start..start + len], ascii))
    }
}

/// Lines of a template file as Python reads a file in text mode (universal
/// newlines: `\n`, `\r\n` and `\r`), without their line ends.
pub(crate) fn template_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match memchr::memchr2(b'\n', b'\r', rest.as_bytes()) {
            Some(i) => {
                out.push(&rest[..i]);
                let mut end = i + 1;
                if rest.as_bytes()[i] == b'\r' && rest.as_bytes().get(i + 1) == Some(&b'\n') {
                    end += 1;
                }
                rest = &rest[end..];
            }
            None => {
                out.push(rest);
                rest = "";
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_matches_python() {
        let v: Vec<_> = splitlines("a\r\nb\rc\nd\x0be\x0cf\x1cg\u{85}h\u{2028}i\n").collect();
        assert_eq!(v, ["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
        let v: Vec<_> = splitlines("a\n\nb").collect();
        assert_eq!(v, ["a", "", "b"]);
        assert_eq!(splitlines("").count(), 0);
        assert_eq!(splitlines("\n").collect::<Vec<_>>(), [""]);
        assert_eq!(splitlines("x\r").collect::<Vec<_>>(), ["x"]);
        // \x1f is not a line break, U+00C2 ('Â') and other E2 chars are not.
        assert_eq!(splitlines("a\x1fÂ€b").collect::<Vec<_>>(), ["a\x1fÂ€b"]);
    }

    /// The scan in 16- and 8-byte steps against a char-by-char split, with
    /// every kind of special character at every offset of the steps.
    #[test]
    fn the_block_scan_agrees_with_a_char_by_char_split() {
        fn reference(text: &str) -> Vec<(String, bool)> {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                if is_py_linebreak(c) {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    out.push((std::mem::take(&mut cur), true));
                } else {
                    cur.push(c);
                }
            }
            if !cur.is_empty() {
                out.push((cur, true));
            }
            for (l, a) in &mut out {
                *a = l.is_ascii();
            }
            out
        }
        let specials = [
            "\n", "\r\n", "\r", "\t", "\x1f", "\x7f", "\x0b", "\x1e", "é", "\u{85}", "\u{2028}",
            "\u{2030}", "Â",
        ];
        for len in 0..40 {
            for at in 0..=len {
                for sp in specials {
                    for tail in ["", "\n", "xyz\u{2029}"] {
                        let text = format!("{}{sp}{}{tail}", "a".repeat(at), "b".repeat(len - at));
                        let got: Vec<(String, bool)> = std::iter::from_fn({
                            let mut it = splitlines(&text);
                            move || it.next_line().map(|(l, a)| (l.to_owned(), a))
                        })
                        .collect();
                        assert_eq!(got, reference(&text), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn ascii_flag_and_word_scan() {
        let text = "0123456789abcdef\tx\n0123456789abcdefé\r\n\x1cabcdefghijklmnop\u{2028}q";
        let v: Vec<_> = std::iter::from_fn({
            let mut it = splitlines(text);
            move || it.next_line()
        })
        .collect();
        assert_eq!(
            v,
            [
                ("0123456789abcdef\tx", true),
                ("0123456789abcdefé", false),
                ("", true),
                ("abcdefghijklmnop", true),
                ("q", true),
            ]
        );
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b'a', b'b', b, b'c', b'd', b'e', b'f', b'g']);
            let m = control_or_high(w);
            assert_eq!(m != 0, !(0x20..0x80).contains(&b), "{b:#x}");
            if m != 0 {
                assert_eq!(m.trailing_zeros() / 8, 2, "{b:#x}: the first flagged byte");
            }
            // Whatever follows it, the lowest flag is the first such byte.
            for c in [0u8, 0x1f, 0x80, 0xff] {
                let w = u64::from_le_bytes([b'a', b, c, b'c', 0x01, b'e', 0x90, b'g']);
                let first = [b'a', b, c, b'c', 0x01]
                    .iter()
                    .position(|&x| !(0x20..0x80).contains(&x));
                assert_eq!(
                    Some((control_or_high(w).trailing_zeros() / 8) as usize),
                    first,
                    "{b:#x} {c:#x}"
                );
            }
        }
    }

    /// Python's rule char by char, as the reference for the word scan.
    fn reference(text: &str) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut it = text.chars().peekable();
        while let Some(c) = it.next() {
            if is_py_linebreak(c) {
                if c == '\r' && it.peek() == Some(&'\n') {
                    it.next();
                }
                let ascii = cur.is_ascii();
                out.push((std::mem::take(&mut cur), ascii));
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            let ascii = cur.is_ascii();
            out.push((cur, ascii));
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, .. Default::default() })]
        #[test]
        fn word_scan_agrees_with_char_by_char(
            s in r"([a-z0-9 ]{0,20}|[\r\n\t\x0b\x0c\x1c-\x1f]|\x{85}|\x{2028}|é|€|\PC){0,12}"
        ) {
            let mut it = splitlines(&s);
            let got: Vec<(String, bool)> =
                std::iter::from_fn(|| it.next_line()).map(|(l, a)| (l.to_owned(), a)).collect();
            proptest::prop_assert_eq!(got, reference(&s));
        }
    }

    /// Reads of every size up to two chunks (a line split anywhere, a
    /// chunk with invalid UTF-8 between valid ones): the lines are those
    /// of a lossy decode split whole, and a reader of short lines reuses
    /// one chunk's buffer in place (no growth, so no zeroing after the
    /// first read).
    #[test]
    fn reader_lines_reuse_one_buffer_and_match_a_whole_split() {
        struct Steps<'a> {
            data: &'a [u8],
            n: usize,
        }
        impl std::io::Read for Steps<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                const SIZES: [usize; 5] = [1, 7000, READ_CHUNK, 3, 40_000];
                let k = SIZES[self.n % SIZES.len()]
                    .min(buf.len())
                    .min(self.data.len());
                self.n += 1;
                buf[..k].copy_from_slice(&self.data[..k]);
                self.data = &self.data[k..];
                Ok(k)
            }
        }
        let mut data = Vec::new();
        for i in 0..40_000u32 {
            data.extend_from_slice(format!("line {i} é x\r\n").as_bytes());
            if i == 9_000 {
                data.extend_from_slice(b"bad \xFF\xC2 byte\n");
            }
            if i % 997 == 0 {
                data.extend_from_slice("\u{2028}\u{85}\x0b\r".as_bytes());
            }
        }
        data.extend_from_slice(b"no end");
        let text = String::from_utf8_lossy(&data).into_owned();
        let want: Vec<(&str, bool)> = {
            let mut v = Vec::new();
            let mut it = splitlines(&text);
            while let Some(l) = it.next_line() {
                v.push(l);
            }
            v
        };
        let mut r = ReaderLines::new(Steps { data: &data, n: 0 }, 1 << 20);
        let mut got = Vec::new();
        while let Some((l, ascii)) = r.next_line() {
            got.push((l.to_owned(), ascii));
        }
        assert!(r.stop.is_none());
        assert_eq!(
            r.lossy,
            std::str::from_utf8(&data)
                .err()
                .map(|e| e.valid_up_to() as u64)
        );
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((g.0.as_str(), g.1), *w);
        }
        assert!(data.len() > 10 * READ_CHUNK);
        // Grown past a chunk only by the longest partial line moved to the
        // front (lines here are under 40 bytes).
        assert!(r.buf.len() <= READ_CHUNK + 40, "{}", r.buf.len());
        let mut short = ReaderLines::new(&data[..9 * READ_CHUNK], 1 << 20);
        while short.next_line().is_some() {}
        assert!(short.buf.len() <= READ_CHUNK + 40, "{}", short.buf.len());
    }

    #[test]
    fn template_lines_use_universal_newlines() {
        assert_eq!(template_lines("a\r\nb\rc\n\nd"), ["a", "b", "c", "", "d"]);
        assert_eq!(template_lines("a\x0bb\n"), ["a\x0bb"]);
    }
}
