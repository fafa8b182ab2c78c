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

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes of `w` is below 0x20 or above 0x7F (a
/// control or a non-ASCII byte; every line break is one of those). Never
/// says no for a word with one.
#[inline(always)]
fn has_control_or_high(w: u64) -> bool {
    // Bytes >= 0x80 set their high bit; for bytes < 0x80, subtracting 0x20
    // borrows into the high bit exactly when the byte is < 0x20 (a borrow
    // from a lower byte can only follow such a byte).
    ((w | w.wrapping_sub(ONES * 0x20)) & HIGH) != 0
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
            // Eight plain printable ASCII bytes at a time.
            while let Some(chunk) = bytes.get(i..i + 8) {
                let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                if has_control_or_high(w) {
                    break;
                }
                i += 8;
            }
            // Then one byte at a time up to the end of the next word.
            let stop = (i + 8).min(bytes.len());
            while i < stop {
                let b = bytes[i];
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
            if i >= bytes.len() {
                let line = self.rest;
                self.rest = "";
                return Some((line, ascii));
            }
        }
    }
}

impl<'a> Iterator for SplitLines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.next_line().map(|(line, _)| line)
    }
}

/// Lines of a template file as Python reads a file in text mode (universal
/// newlines: `\n`, `\r\n` and `\r`), without their line ends.
pub(crate) fn template_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
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
            assert_eq!(has_control_or_high(w), !(0x20..0x80).contains(&b), "{b:#x}");
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

    #[test]
    fn template_lines_use_universal_newlines() {
        assert_eq!(template_lines("a\r\nb\rc\n\nd"), ["a", "b", "c", "", "d"]);
        assert_eq!(template_lines("a\x0bb\n"), ["a\x0bb"]);
    }
}
