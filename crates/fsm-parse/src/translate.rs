//! Python `re` syntax translated to the syntax of the Rust `regex` crate
//! (or of `fancy-regex` for what `regex` cannot do: look-around,
//! back-references, atomic groups, possessive quantifiers, conditionals).
//! Running the translated patterns is [`crate::pyre`]'s job.
//!
//! The translator walks the pattern the way CPython's `re._parser` does, so
//! that what Python reads as a literal stays a literal (`{1-2}`, `\<`), what
//! Python rejects is rejected (with CPython's wording, see
//! [`TranslateError`]), and Rust-only syntax (`\p{..}`, nested classes,
//! `&&`) never gets a meaning Python would not give it.

use std::fmt::Write as _;

/// Why a Python pattern was rejected: CPython's `re.error` message and the
/// position (in characters) where the translator stopped, worded as
/// `"<message> at position <n>"` like Python's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TranslateError {
    /// A `)` with no group open.
    #[error("unbalanced parenthesis at position {at}")]
    UnbalancedParenthesis { at: usize },
    /// A group still open at the end of the pattern.
    #[error("missing ), unterminated subpattern at position {at}")]
    UnterminatedSubpattern { at: usize },
    /// A quantifier with nothing before it.
    #[error("nothing to repeat at position {at}")]
    NothingToRepeat { at: usize },
    /// A quantifier right after another.
    #[error("multiple repeat at position {at}")]
    MultipleRepeat { at: usize },
    /// `{m,n}` with a number at or above Python's `MAXREPEAT`.
    #[error("the repetition number {number} is too large at position {at}")]
    RepeatTooLarge { number: String, at: usize },
    /// `{m,n}` with `n < m`.
    #[error("min repeat greater than max repeat at position {at}")]
    MinRepeatOverMax { at: usize },
    /// `\x`, `\u`, `\U` with too few hex digits.
    #[error("incomplete escape {escape} at position {at}")]
    IncompleteEscape { escape: String, at: usize },
    /// An escape Python does not know, or a code point that does not exist.
    #[error("bad escape {escape} at position {at}")]
    BadEscape { escape: String, at: usize },
    /// An octal escape above `\377`.
    #[error("octal escape value outside of range 0-0o377 at position {at}")]
    OctalOutOfRange { at: usize },
    /// An octal escape that is not a character.
    #[error("bad octal escape at position {at}")]
    BadOctalEscape { at: usize },
    /// `\N{...}`, which needs Python's Unicode name database.
    #[error("named Unicode escapes (\\N{{...}}) are not supported at position {at}")]
    NamedUnicodeEscape { at: usize },
    /// A `\` at the end of the pattern.
    #[error("bad escape (end of pattern) at position {at}")]
    EscapeAtEnd { at: usize },
    /// A back-reference to a group that does not exist.
    #[error("invalid group reference {group} at position {at}")]
    InvalidGroupReference { group: usize, at: usize },
    /// A back-reference to a group not closed yet.
    #[error("cannot refer to an open group at position {at}")]
    OpenGroupReference { at: usize },
    /// A `[` without its `]`.
    #[error("unterminated character set at position {at}")]
    UnterminatedSet { at: usize },
    /// A range in a class whose end is a class (`[a-\d]`).
    #[error("bad character range at position {at}")]
    BadRangeEnd { at: usize },
    /// A range in a class that runs backwards.
    #[error("bad character range {lo}-{hi} at position {at}")]
    BadRange { lo: char, hi: char, at: usize },
    /// The pattern ends inside a group's opening.
    #[error("unexpected end of pattern at position {at}")]
    UnexpectedEnd { at: usize },
    /// A group name that is not a Python identifier.
    #[error("bad character in group name '{name}' at position {at}")]
    BadGroupName { name: String, at: usize },
    /// Two groups of the same name (`group` is the new group's number,
    /// `was` the first one's).
    #[error(
        "redefinition of group name '{name}' as group {group}; was group {was} at position {at}"
    )]
    GroupRedefined {
        name: String,
        group: usize,
        was: usize,
        at: usize,
    },
    /// A group name or reference with nothing in it.
    #[error("missing group name at position {at}")]
    MissingGroupName { at: usize },
    /// A reference to a group name that does not exist.
    #[error("unknown group name '{name}' at position {at}")]
    UnknownGroupName { name: String, at: usize },
    /// `(?` followed by something Python does not know.
    #[error("unknown extension {ext} at position {at}")]
    UnknownExtension { ext: String, at: usize },
    /// A `(?#` comment without its `)`.
    #[error("missing ), unterminated comment at position {at}")]
    UnterminatedComment { at: usize },
    /// Inline flags not followed by `-`, `:` or `)`.
    #[error("missing -, : or ) at position {at}")]
    MissingFlagEnd { at: usize },
    /// A Python flag the Rust engines do not have.
    #[error("inline flag '{flag}' is not supported by this engine at position {at}")]
    UnsupportedFlag { flag: char, at: usize },
    /// Flags turned off without `:` after them.
    #[error("missing : at position {at}")]
    MissingColon { at: usize },
    /// `(?i)` and the like after the start of the pattern.
    #[error("global flags not at the start of the expression at position {at}")]
    GlobalFlagsNotAtStart { at: usize },
    /// A flag letter Python does not know.
    #[error("unknown flag at position {at}")]
    UnknownFlag { at: usize },
    /// A group name without its closing character.
    #[error("missing {end}, unterminated name at position {at}")]
    UnterminatedName { end: char, at: usize },
}

/// The result of translating a Python pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translated {
    /// Rust syntax, same meaning.
    pub(crate) pattern: String,
    /// Needs `fancy-regex` (look-around, back-references ...).
    pub(crate) fancy: bool,
}

fn is_py_ident(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Writes one literal character so that Rust reads it as that character,
/// inside or outside a class.
fn push_lit(out: &mut String, c: char) {
    if c.is_ascii_punctuation() && c != '<' && c != '>' {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || c == ' ' || c == '#' {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// What the last emitted item was, for quantifier checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Nothing to repeat (start, `(`, `|`, an anchor in some cases).
    Nothing,
    /// A repeatable atom starting at this output offset.
    Atom,
    /// A look-around group starting at this output offset.
    LookAround(usize),
    /// A quantifier was just written (a second one is "multiple repeat").
    Repeat,
}

struct Tr<'a> {
    chars: Vec<char>,
    pos: usize,
    out: String,
    fancy: bool,
    src: &'a str,
    /// Number of capture groups opened so far.
    groups: usize,
    /// Capture groups that are closed (for back-reference checks).
    closed: Vec<bool>,
    /// Stack of open groups: (capture index or 0, output offset, kind).
    stack: Vec<(usize, usize, GroupKind)>,
    names: Vec<String>,
    /// The group number of each of `names`.
    name_groups: Vec<usize>,
    verbose: bool,
    /// Emit the prefilter form (see [`translate_relaxed`]).
    relax: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    Plain,
    LookAround,
}

/// Translates a Python `re` pattern into Rust syntax.
pub(crate) fn translate(py: &str) -> Result<Translated, TranslateError> {
    translate_with(py, false)
}

/// A `regex`-crate pattern that matches (at least) every text `py`
/// matches: look-around removed, back-references as `.*`, atomic groups
/// and possessive quantifiers plain, conditionals as an alternation of both
/// branches and nothing; no capture groups.
pub(crate) fn translate_relaxed(py: &str) -> Result<String, TranslateError> {
    translate_with(py, true).map(|t| t.pattern)
}

fn translate_with(py: &str, relax: bool) -> Result<Translated, TranslateError> {
    let mut t = Tr {
        chars: py.chars().collect(),
        pos: 0,
        out: String::with_capacity(py.len() + 16),
        fancy: false,
        src: py,
        groups: 0,
        closed: vec![true],
        stack: Vec::new(),
        names: Vec::new(),
        name_groups: Vec::new(),
        verbose: false,
        relax,
    };
    t.run()?;
    Ok(Translated {
        pattern: t.out,
        fancy: t.fancy,
    })
}

impl Tr<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn run(&mut self) -> Result<(), TranslateError> {
        let _ = self.src;
        let mut last = Last::Nothing;
        // Global flags are only allowed before anything else.
        let mut at_start = true;
        while let Some(c) = self.peek() {
            self.pos += 1;
            let was_start = at_start;
            at_start = false;
            match c {
                '\\' => {
                    last = self.escape_outside()?;
                }
                '[' => {
                    self.class()?;
                    last = Last::Atom;
                }
                '(' => {
                    last = self.group_open(was_start, &mut at_start)?;
                }
                ')' => {
                    let Some((cap, start, kind)) = self.stack.pop() else {
                        return Err(TranslateError::UnbalancedParenthesis { at: self.pos });
                    };
                    if cap > 0 {
                        self.closed[cap] = true;
                    }
                    if self.relax && kind == GroupKind::LookAround {
                        self.out.truncate(start);
                    } else {
                        self.out.push(')');
                    }
                    last = if kind == GroupKind::LookAround {
                        Last::LookAround(start)
                    } else {
                        Last::Atom
                    };
                }
                '|' => {
                    self.out.push('|');
                    last = Last::Nothing;
                }
                '^' | '$' => {
                    self.out.push(c);
                    // Python refuses to repeat an anchor ("nothing to repeat").
                    last = Last::Nothing;
                }
                '.' => {
                    self.out.push('.');
                    last = Last::Atom;
                }
                '*' | '+' | '?' => {
                    let min = if c == '+' { 1 } else { 0 };
                    last = self.quantifier(last, &c.to_string(), min)?;
                }
                '{' => {
                    if let Some((q, min)) = self.brace()? {
                        last = self.quantifier(last, &q, min)?;
                    } else {
                        self.out.push_str("\\{");
                        last = Last::Atom;
                    }
                }
                c if self.verbose && (c.is_whitespace() || c == '#') => {
                    if c == '#' {
                        while let Some(d) = self.peek() {
                            self.pos += 1;
                            if d == '\n' {
                                break;
                            }
                        }
                    }
                }
                c => {
                    push_lit(&mut self.out, c);
                    last = Last::Atom;
                }
            }
        }
        if !self.stack.is_empty() {
            return Err(TranslateError::UnterminatedSubpattern { at: self.pos });
        }
        Ok(())
    }

    /// After `*`, `+`, `?` or `{m,n}` (already parsed into `q`): writes it
    /// with an optional lazy `?` or possessive `+`.
    fn quantifier(&mut self, last: Last, q: &str, min: u32) -> Result<Last, TranslateError> {
        match last {
            Last::Nothing => return Err(TranslateError::NothingToRepeat { at: self.pos }),
            Last::Repeat => return Err(TranslateError::MultipleRepeat { at: self.pos }),
            Last::LookAround(start) => {
                // A repeated zero-width assertion: once if min >= 1, else it
                // may match zero times, which always succeeds.
                if self.peek() == Some('?') || self.peek() == Some('+') {
                    self.pos += 1;
                }
                if min == 0 {
                    self.out.truncate(start);
                }
                return Ok(Last::Repeat);
            }
            Last::Atom => {}
        }
        self.out.push_str(q);
        match self.peek() {
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some('+') => {
                self.pos += 1;
                if !self.relax {
                    self.out.push('+');
                }
                self.fancy = true;
            }
            _ => {}
        }
        Ok(Last::Repeat)
    }

    /// Parses what follows `{`. Returns the Rust quantifier and its minimum
    /// when Python reads a repeat, `None` when the brace is a literal.
    fn brace(&mut self) -> Result<Option<(String, u32)>, TranslateError> {
        let here = self.pos;
        if self.peek() == Some('}') {
            return Ok(None);
        }
        let mut lo = String::new();
        while let Some(d) = self.peek().filter(char::is_ascii_digit) {
            lo.push(d);
            self.pos += 1;
        }
        let comma = self.peek() == Some(',');
        let hi = if comma {
            self.pos += 1;
            let mut h = String::new();
            while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                h.push(d);
                self.pos += 1;
            }
            h
        } else {
            lo.clone()
        };
        if self.peek() != Some('}') {
            self.pos = here;
            return Ok(None);
        }
        self.pos += 1;
        let parse = |s: &str| -> Result<Option<u32>, TranslateError> {
            if s.is_empty() {
                return Ok(None);
            }
            // Python's limit is MAXREPEAT (2**32 - 1); the regex size limit
            // rejects what is too big to compile.
            match s.parse::<u32>() {
                Ok(v) if v < u32::MAX => Ok(Some(v)),
                _ => Err(TranslateError::RepeatTooLarge {
                    number: s.to_owned(),
                    at: here,
                }),
            }
        };
        let min = parse(&lo)?.unwrap_or(0);
        let max = parse(&hi)?;
        if let Some(max) = max
            && max < min
        {
            return Err(TranslateError::MinRepeatOverMax { at: self.pos });
        }
        let q = match (comma, max) {
            (false, _) => format!("{{{min}}}"),
            (true, Some(max)) => format!("{{{min},{max}}}"),
            (true, None) => format!("{{{min},}}"),
        };
        Ok(Some((q, min)))
    }

    fn hex(&mut self, n: usize, what: char) -> Result<char, TranslateError> {
        let mut s = String::new();
        for _ in 0..n {
            match self.peek() {
                Some(h) if h.is_ascii_hexdigit() => {
                    s.push(h);
                    self.pos += 1;
                }
                _ => {
                    return Err(TranslateError::IncompleteEscape {
                        escape: format!("\\{what}{s}"),
                        at: self.pos,
                    });
                }
            }
        }
        let v = u32::from_str_radix(&s, 16).unwrap_or(u32::MAX);
        char::from_u32(v).map_or_else(
            || {
                Err(TranslateError::BadEscape {
                    escape: format!("\\{what}{s}"),
                    at: self.pos,
                })
            },
            Ok,
        )
    }

    /// Octal escape after `\0` or `\[0-7]{3}`: returns the char.
    fn octal(&mut self, first: char) -> Result<char, TranslateError> {
        let mut v = first.to_digit(8).unwrap_or(0);
        // At most two more digits (Python: \0oo, or three digits \ooo).
        for _ in 0..2 {
            match self.peek() {
                Some(d @ '0'..='7') => {
                    v = v * 8 + d.to_digit(8).unwrap_or(0);
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if v > 0o377 {
            return Err(TranslateError::OctalOutOfRange { at: self.pos });
        }
        char::from_u32(v).map_or_else(|| Err(TranslateError::BadOctalEscape { at: self.pos }), Ok)
    }

    /// Escapes shared by classes and the outside: returns Some(char) for a
    /// literal, None when the escape was written as a class (`\d` ...).
    fn common_escape(&mut self, c: char, in_class: bool) -> Result<Option<char>, TranslateError> {
        Ok(Some(match c {
            'a' => '\x07',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            'x' => self.hex(2, 'x')?,
            'u' => self.hex(4, 'u')?,
            'U' => self.hex(8, 'U')?,
            'd' | 'D' | 'w' | 'W' => {
                self.out.push('\\');
                self.out.push(c);
                return Ok(None);
            }
            's' => {
                // Python's \s also matches \x1c-\x1f (str.isspace).
                self.out.push_str(if in_class {
                    r"\s\x1C-\x1F"
                } else {
                    r"[\s\x1C-\x1F]"
                });
                return Ok(None);
            }
            'S' => {
                self.out.push_str(r"[^\s\x1C-\x1F]");
                return Ok(None);
            }
            'N' => return Err(TranslateError::NamedUnicodeEscape { at: self.pos }),
            c if c.is_ascii_alphabetic() => {
                return Err(TranslateError::BadEscape {
                    escape: format!("\\{c}"),
                    at: self.pos,
                });
            }
            c => c,
        }))
    }

    fn escape_outside(&mut self) -> Result<Last, TranslateError> {
        let Some(c) = self.peek() else {
            return Err(TranslateError::EscapeAtEnd { at: self.pos });
        };
        self.pos += 1;
        match c {
            'A' => {
                self.out.push_str(r"\A");
                return Ok(Last::Nothing);
            }
            'Z' => {
                self.out.push_str(r"\z");
                return Ok(Last::Nothing);
            }
            'b' | 'B' => {
                self.out.push('\\');
                self.out.push(c);
                return Ok(Last::Nothing);
            }
            '0' => {
                let ch = self.octal('0')?;
                push_lit(&mut self.out, ch);
                return Ok(Last::Atom);
            }
            '1'..='9' => {
                // Octal if three octal digits, else a group reference.
                if matches!(c, '0'..='7')
                    && matches!(self.peek(), Some('0'..='7'))
                    && matches!(self.peek_at(1), Some('0'..='7'))
                {
                    let ch = self.octal(c)?;
                    push_lit(&mut self.out, ch);
                    return Ok(Last::Atom);
                }
                let mut n = c.to_digit(10).unwrap_or(0) as usize;
                if let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    n = n * 10 + d.to_digit(10).unwrap_or(0) as usize;
                    self.pos += 1;
                }
                if n > self.groups {
                    return Err(TranslateError::InvalidGroupReference {
                        group: n,
                        at: self.pos,
                    });
                }
                if !self.closed[n] {
                    return Err(TranslateError::OpenGroupReference { at: self.pos });
                }
                self.fancy = true;
                if self.relax {
                    self.out.push_str("(?s:.*)");
                } else {
                    let _ = write!(self.out, "(?:\\{n})");
                }
                return Ok(Last::Atom);
            }
            _ => {}
        }
        if let Some(ch) = self.common_escape(c, false)? {
            push_lit(&mut self.out, ch);
        }
        Ok(Last::Atom)
    }

    fn class(&mut self) -> Result<(), TranslateError> {
        self.out.push('[');
        if self.peek() == Some('^') {
            self.pos += 1;
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(TranslateError::UnterminatedSet { at: self.pos });
            };
            self.pos += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            // code1: Some(char) when a literal (range start candidate).
            let mark = self.out.len();
            let code1 = if c == '\\' {
                self.class_escape()?
            } else {
                push_lit(&mut self.out, c);
                Some(c)
            };
            if self.peek() == Some('-') {
                self.pos += 1;
                let Some(that) = self.peek() else {
                    return Err(TranslateError::UnterminatedSet { at: self.pos });
                };
                self.pos += 1;
                if that == ']' {
                    self.out.push_str("\\-");
                    break;
                }
                let mark2 = self.out.len();
                let code2 = if that == '\\' {
                    self.class_escape()?
                } else {
                    push_lit(&mut self.out, that);
                    Some(that)
                };
                let (Some(lo), Some(hi)) = (code1, code2) else {
                    return Err(TranslateError::BadRangeEnd { at: self.pos });
                };
                if hi < lo {
                    return Err(TranslateError::BadRange {
                        lo,
                        hi,
                        at: self.pos,
                    });
                }
                self.out.truncate(mark);
                let _ = mark2;
                push_lit(&mut self.out, lo);
                self.out.push('-');
                push_lit(&mut self.out, hi);
            }
        }
        self.out.push(']');
        Ok(())
    }

    /// An escape inside a class; returns the literal char, or None for a
    /// class escape (`\d`).
    fn class_escape(&mut self) -> Result<Option<char>, TranslateError> {
        let Some(c) = self.peek() else {
            return Err(TranslateError::EscapeAtEnd { at: self.pos });
        };
        self.pos += 1;
        let ch = match c {
            'b' => '\x08',
            '0'..='7' => self.octal(c)?,
            '8' | '9' => {
                return Err(TranslateError::BadEscape {
                    escape: format!("\\{c}"),
                    at: self.pos,
                });
            }
            _ => match self.common_escape(c, true)? {
                Some(ch) => ch,
                None => return Ok(None),
            },
        };
        push_lit(&mut self.out, ch);
        Ok(Some(ch))
    }

    fn group_open(&mut self, was_start: bool, at_start: &mut bool) -> Result<Last, TranslateError> {
        let start = self.out.len();
        if self.peek() != Some('?') {
            self.groups += 1;
            self.closed.push(false);
            self.stack.push((self.groups, start, GroupKind::Plain));
            self.out.push_str(if self.relax { "(?:" } else { "(" });
            return Ok(Last::Nothing);
        }
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(TranslateError::UnexpectedEnd { at: self.pos });
        };
        self.pos += 1;
        match c {
            'P' => match self.peek() {
                Some('<') => {
                    self.pos += 1;
                    let at = self.pos;
                    let name = self.take_until('>')?;
                    if !is_py_ident(&name) {
                        return Err(TranslateError::BadGroupName { name, at });
                    }
                    if let Some(was) = self.group_of(&name) {
                        return Err(TranslateError::GroupRedefined {
                            name,
                            group: self.groups + 1,
                            was,
                            at,
                        });
                    }
                    self.names.push(name.clone());
                    self.name_groups.push(self.groups + 1);
                    self.groups += 1;
                    self.closed.push(false);
                    self.stack.push((self.groups, start, GroupKind::Plain));
                    if self.relax {
                        self.out.push_str("(?:");
                    } else {
                        let _ = write!(self.out, "(?P<{name}>");
                    }
                    Ok(Last::Nothing)
                }
                Some('=') => {
                    self.pos += 1;
                    let at = self.pos;
                    let name = self.take_until(')')?;
                    let Some(idx) = self.names.iter().position(|n| *n == name) else {
                        return Err(TranslateError::UnknownGroupName { name, at });
                    };
                    let _ = idx;
                    self.fancy = true;
                    if self.relax {
                        self.out.push_str("(?s:.*)");
                    } else {
                        let _ = write!(self.out, "(?:\\k<{name}>)");
                    }
                    Ok(Last::Atom)
                }
                _ => Err(TranslateError::UnknownExtension {
                    ext: "?P".into(),
                    at: self.pos,
                }),
            },
            ':' => {
                self.stack.push((0, start, GroupKind::Plain));
                self.out.push_str("(?:");
                Ok(Last::Nothing)
            }
            '>' => {
                self.fancy = true;
                self.stack.push((0, start, GroupKind::Plain));
                self.out.push_str(if self.relax { "(?:" } else { "(?>" });
                Ok(Last::Nothing)
            }
            '#' => {
                loop {
                    match self.peek() {
                        None => return Err(TranslateError::UnterminatedComment { at: self.pos }),
                        Some(')') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                *at_start = was_start;
                Ok(Last::Nothing)
            }
            '=' | '!' => {
                self.fancy = true;
                self.stack.push((0, start, GroupKind::LookAround));
                let _ = write!(self.out, "(?{c}");
                Ok(Last::Nothing)
            }
            '<' => match self.peek() {
                Some(d @ ('=' | '!')) => {
                    self.pos += 1;
                    self.fancy = true;
                    self.stack.push((0, start, GroupKind::LookAround));
                    let _ = write!(self.out, "(?<{d}");
                    Ok(Last::Nothing)
                }
                _ => Err(TranslateError::UnknownExtension {
                    ext: "?<".into(),
                    at: self.pos,
                }),
            },
            '(' => {
                // Conditional: (?(id/name)yes|no)
                let cond = self.take_until(')')?;
                if let Ok(n) = cond.parse::<usize>() {
                    if n == 0 || n > self.groups {
                        return Err(TranslateError::InvalidGroupReference {
                            group: n,
                            at: self.pos,
                        });
                    }
                } else if !self.names.contains(&cond) {
                    return Err(TranslateError::UnknownGroupName {
                        name: cond,
                        at: self.pos,
                    });
                }
                self.fancy = true;
                self.stack.push((0, start, GroupKind::Plain));
                if self.relax {
                    self.out.push_str("(?:|");
                } else {
                    let _ = write!(self.out, "(?({cond})");
                }
                Ok(Last::Nothing)
            }
            c if "aiLmsux-".contains(c) => {
                self.pos -= 1;
                let mut on = String::new();
                let mut off = String::new();
                let mut neg = false;
                loop {
                    let Some(f) = self.peek() else {
                        return Err(TranslateError::MissingFlagEnd { at: self.pos });
                    };
                    self.pos += 1;
                    match f {
                        '-' if !neg => neg = true,
                        'i' | 'm' | 's' | 'x' | 'u' if !neg || f != 'u' => {
                            if neg {
                                off.push(f)
                            } else {
                                on.push(f)
                            }
                        }
                        'a' | 'L' => {
                            return Err(TranslateError::UnsupportedFlag {
                                flag: f,
                                at: self.pos,
                            });
                        }
                        ':' => {
                            let on: String = on.chars().filter(|&c| c != 'u').collect();
                            self.stack.push((0, start, GroupKind::Plain));
                            if off.is_empty() {
                                let _ = write!(self.out, "(?{on}:");
                            } else {
                                let _ = write!(self.out, "(?{on}-{off}:");
                            }
                            return Ok(Last::Nothing);
                        }
                        ')' => {
                            if neg {
                                return Err(TranslateError::MissingColon { at: self.pos });
                            }
                            if !was_start {
                                return Err(TranslateError::GlobalFlagsNotAtStart { at: self.pos });
                            }
                            *at_start = true;
                            if on.contains('x') {
                                self.verbose = true;
                            }
                            let on: String = on.chars().filter(|&c| c != 'u').collect();
                            if !on.is_empty() {
                                let _ = write!(self.out, "(?{on})");
                            }
                            return Ok(Last::Nothing);
                        }
                        _ => return Err(TranslateError::UnknownFlag { at: self.pos }),
                    }
                }
            }
            _ => Err(TranslateError::UnknownExtension {
                ext: format!("?{c}"),
                at: self.pos,
            }),
        }
    }

    /// The group number of a named group seen so far.
    fn group_of(&self, name: &str) -> Option<usize> {
        let i = self.names.iter().position(|n| n == name)?;
        self.name_groups.get(i).copied()
    }

    /// A group name up to `end` (consumed); errors at the name's start,
    /// as CPython's `getuntil` reports them.
    fn take_until(&mut self, end: char) -> Result<String, TranslateError> {
        let at = self.pos;
        let mut s = String::new();
        loop {
            match self.peek() {
                None if s.is_empty() => return Err(TranslateError::MissingGroupName { at }),
                None => return Err(TranslateError::UnterminatedName { end, at }),
                Some(c) if c == end && s.is_empty() => {
                    return Err(TranslateError::MissingGroupName { at });
                }
                Some(c) if c == end => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    /// Group-name errors carry CPython 3.11's words and position (the
    /// start of the name), as `re.compile` reports them.
    #[test]
    fn group_name_errors_match_cpython() {
        let cases = [
            ("(?P<", "missing group name at position 4"),
            ("(?P<>x)", "missing group name at position 4"),
            ("ab(?P<", "missing group name at position 6"),
            ("(?P<ab", "missing >, unterminated name at position 4"),
            ("(a(?P<x", "missing >, unterminated name at position 6"),
            ("(?P=ab", "missing ), unterminated name at position 4"),
            ("(x)(?P=)", "missing group name at position 7"),
            (
                "(?P<1a>x)",
                "bad character in group name '1a' at position 4",
            ),
            ("(?P<a>x)(?P=b)", "unknown group name 'b' at position 12"),
            (
                "(?P<a>x)(?P<a>y)",
                "redefinition of group name 'a' as group 2; was group 1 at position 12",
            ),
            (
                "(?P<a>x)(?P<bc>y)(?P<bc>z)",
                "redefinition of group name 'bc' as group 3; was group 2 at position 21",
            ),
        ];
        for (pattern, want) in cases {
            let got = translate(pattern).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), Some(want), "{pattern}");
        }
    }
}
