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

impl<'a> Iterator for SplitLines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        // Fast path: the only ASCII breaks are \n \r \v \f \x1c-\x1e; the
        // non-ASCII ones start with 0xC2 (U+0085) or 0xE2 (U+2028/9).
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let hit = matches!(b, b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1e | 0xC2 | 0xE2);
            if hit {
                // Decode the char at i (i is on a char boundary: these bytes
                // are never continuation bytes).
                let c = self.rest[i..].chars().next().unwrap_or('\0');
                if is_py_linebreak(c) {
                    let line = &self.rest[..i];
                    let mut end = i + c.len_utf8();
                    if c == '\r' && bytes.get(end) == Some(&b'\n') {
                        end += 1;
                    }
                    self.rest = &self.rest[end..];
                    return Some(line);
                }
                i += c.len_utf8();
            } else {
                i += 1;
            }
        }
        let line = self.rest;
        self.rest = "";
        Some(line)
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
    fn template_lines_use_universal_newlines() {
        assert_eq!(template_lines("a\r\nb\rc\n\nd"), ["a", "b", "c", "", "d"]);
        assert_eq!(template_lines("a\x0bb\n"), ["a\x0bb"]);
    }
}
