//! Which headers carry client addresses, and how their values are read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::target::unmap;

/// How a header's value lists client addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// Comma-separated list of nodes, leftmost = original client
    /// (`X-Forwarded-For`, and single-valued `X-Real-IP`, `True-Client-IP`,
    /// `CF-Connecting-IP`). Each node is `ip`, `ip:port`, `[v6]` or
    /// `[v6]:port`, optionally quoted.
    List,
    /// RFC 7239 `Forwarded`: comma-separated elements of `;`-separated
    /// `name=value` pairs; the address is in `for=`. Obfuscated identifiers
    /// (`_hidden`) and `unknown` are skipped but still count as a position.
    Forwarded,
}

/// One header to look for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeaderSpec {
    name: String,
    lower: Vec<u8>,
    syntax: Syntax,
}

impl HeaderSpec {
    /// A header by name (matched case-insensitively) and value syntax.
    ///
    /// Returns `None` if `name` is not a valid HTTP field name (an RFC 9110
    /// token: letters, digits and ``!#$%&'*+-.^_`|~``).
    pub fn new(name: &str, syntax: Syntax) -> Option<HeaderSpec> {
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return None;
        }
        Some(HeaderSpec {
            name: name.to_string(),
            lower: name.to_ascii_lowercase().into_bytes(),
            syntax,
        })
    }

    /// A header given on the command line: `Forwarded` (any case) gets the
    /// RFC 7239 syntax, every other name the list syntax.
    pub fn from_name(name: &str) -> Option<HeaderSpec> {
        let syntax = if name.eq_ignore_ascii_case("forwarded") {
            Syntax::Forwarded
        } else {
            Syntax::List
        };
        HeaderSpec::new(name, syntax)
    }

    /// The name as configured (used in reports).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value syntax.
    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        name.len() == self.lower.len()
            && name
                .iter()
                .zip(&self.lower)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    }
}

/// The default header list: `X-Forwarded-For`, `Forwarded`, `X-Real-IP`,
/// `True-Client-IP`, `CF-Connecting-IP`.
pub fn default_headers() -> Vec<HeaderSpec> {
    [
        ("X-Forwarded-For", Syntax::List),
        ("Forwarded", Syntax::Forwarded),
        ("X-Real-IP", Syntax::List),
        ("True-Client-IP", Syntax::List),
        ("CF-Connecting-IP", Syntax::List),
    ]
    .into_iter()
    .filter_map(|(n, s)| HeaderSpec::new(n, s))
    .collect()
}

pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn strip_quotes(s: &[u8]) -> &[u8] {
    match s {
        [b'"', inner @ .., b'"'] => inner,
        _ => s,
    }
}

/// Parses one node: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`, `2001:db8::1`, optionally in double quotes.
/// Returns `None` for anything else (`unknown`, `_hidden`, garbage).
pub fn parse_node(s: &[u8]) -> Option<IpAddr> {
    let s = strip_quotes(trim_ows(s));
    if s.len() > 64 {
        return None;
    }
    // Fast path for the common `a.b.c.d` and `a.b.c.d:port`.
    if let Some((v4, rest)) = parse_v4_prefix(s) {
        return match rest {
            [] => Some(IpAddr::V4(v4)),
            [b':', port @ ..] if is_port_bytes(port) => Some(IpAddr::V4(v4)),
            _ => None,
        };
    }
    let text = std::str::from_utf8(s).ok()?;
    let ip = if let Some(rest) = text.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || is_port(after.strip_prefix(':')?)) {
            return None;
        }
        IpAddr::V6(inner.parse::<Ipv6Addr>().ok()?)
    } else if let Ok(v4) = text.parse::<Ipv4Addr>() {
        IpAddr::V4(v4)
    } else if let Some((host, port)) = text.rsplit_once(':') {
        match host.parse::<Ipv4Addr>() {
            Ok(v4) if is_port(port) => IpAddr::V4(v4),
            Ok(_) => return None,
            Err(_) => IpAddr::V6(text.parse::<Ipv6Addr>().ok()?),
        }
    } else {
        return None;
    };
    Some(unmap(ip))
}

/// A dotted quad at the start of `s` (decimal, no leading zeros, like
/// `Ipv4Addr::from_str`), and what follows it. `None` if `s` does not
/// start with one or it runs on into more digits or dots.
fn parse_v4_prefix(s: &[u8]) -> Option<(Ipv4Addr, &[u8])> {
    let mut octets = [0u8; 4];
    let mut i = 0usize;
    for (k, o) in octets.iter_mut().enumerate() {
        if k > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v = 0u32;
        while i < s.len() && s[i].is_ascii_digit() && i - start < 3 {
            v = v * 10 + u32::from(s[i] - b'0');
            i += 1;
        }
        let n = i - start;
        if n == 0 || v > 255 || (n > 1 && s[start] == b'0') {
            return None;
        }
        *o = v as u8;
    }
    match s.get(i) {
        Some(b) if b.is_ascii_digit() || *b == b'.' => None,
        _ => Some((Ipv4Addr::from(octets), &s[i..])),
    }
}

fn is_port_bytes(p: &[u8]) -> bool {
    !p.is_empty() && p.len() <= 5 && p.iter().all(|b| b.is_ascii_digit())
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// Splits at `sep` bytes that are outside double-quoted strings.
fn split_outside_quotes(s: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let quoted = memchr::memchr(b'"', s).is_some();
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        if !quoted {
            // Common case: no quotes anywhere, split with memchr.
            return Some(match memchr::memchr(sep, s) {
                Some(i) => {
                    rest = Some(&s[i + 1..]);
                    &s[..i]
                }
                None => {
                    rest = None;
                    s
                }
            });
        }
        let mut quoted = false;
        let mut escaped = false;
        for (i, &b) in s.iter().enumerate() {
            if escaped {
                escaped = false;
            } else if quoted && b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = !quoted;
            } else if b == sep && !quoted {
                rest = Some(&s[i + 1..]);
                return Some(&s[..i]);
            }
        }
        rest = None;
        Some(s)
    })
}

/// Calls `f(position, ip)` for every address in a header value, in order;
/// position 0 is the leftmost (the original client). Entries that are not
/// addresses (`unknown`, obfuscated `for=_x`) count as a position but are
/// not reported; empty list elements (`a,,b`) do not count (RFC 9110 5.6.1).
pub fn for_each_address(syntax: Syntax, value: &[u8], mut f: impl FnMut(u32, IpAddr)) {
    let mut pos = 0u32;
    for elem in split_outside_quotes(value, b',') {
        let elem = trim_ows(elem);
        if elem.is_empty() {
            continue;
        }
        let ip = match syntax {
            Syntax::List => parse_node(elem),
            Syntax::Forwarded => forwarded_for(elem),
        };
        if let Some(ip) = ip {
            f(pos, ip);
        }
        pos = pos.saturating_add(1);
    }
}

/// The `for=` node of one `Forwarded` element, if it is an address.
fn forwarded_for(elem: &[u8]) -> Option<IpAddr> {
    for pair in split_outside_quotes(elem, b';') {
        let pair = trim_ows(pair);
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            continue;
        };
        if trim_ows(&pair[..eq]).eq_ignore_ascii_case(b"for") {
            let v = strip_quotes(trim_ows(&pair[eq + 1..]));
            if v.first() == Some(&b'_') {
                return None; // obfuscated identifier (RFC 7239 6.3)
            }
            return parse_node(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(syntax: Syntax, v: &str) -> Vec<(u32, String)> {
        let mut out = vec![];
        for_each_address(syntax, v.as_bytes(), |p, ip| out.push((p, ip.to_string())));
        out
    }

    #[test]
    fn nodes() {
        let n = |s: &str| parse_node(s.as_bytes()).map(|i| i.to_string());
        assert_eq!(n("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(n(" 192.0.2.1:8080 ").as_deref(), Some("192.0.2.1"));
        assert_eq!(n("\"[2001:db8::1]:4711\"").as_deref(), Some("2001:db8::1"));
        assert_eq!(n("[2001:DB8::1]").as_deref(), Some("2001:db8::1"));
        assert_eq!(n("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(n("::ffff:198.51.100.9").as_deref(), Some("198.51.100.9"));
        assert_eq!(n("unknown"), None);
        assert_eq!(n("192.0.2.1:http"), None);
        assert_eq!(n("192.0.2.1:123456"), None);
        assert_eq!(n("[2001:db8::1"), None);
        assert_eq!(n("[2001:db8::1]x"), None);
        assert_eq!(n("1.2.3.4.5"), None);
        assert_eq!(n("01.2.3.4"), None);
        assert_eq!(n(""), None);
    }

    #[test]
    fn xff_lists_positions() {
        assert_eq!(
            all(
                Syntax::List,
                "203.0.113.9, unknown,198.51.100.2:443 ,, [2001:db8::7]:80\t"
            ),
            vec![
                (0, "203.0.113.9".into()),
                (2, "198.51.100.2".into()),
                (3, "2001:db8::7".into())
            ]
        );
    }

    #[test]
    fn forwarded_rfc7239_examples() {
        // RFC 7239 section 4 and 7.4 examples.
        assert_eq!(
            all(Syntax::Forwarded, "for=\"_gazonk\""),
            Vec::<(u32, String)>::new()
        );
        assert_eq!(
            all(Syntax::Forwarded, "For=\"[2001:db8:cafe::17]:4711\""),
            vec![(0, "2001:db8:cafe::17".into())]
        );
        assert_eq!(
            all(
                Syntax::Forwarded,
                "for=192.0.2.60;proto=http;by=203.0.113.43"
            ),
            vec![(0, "192.0.2.60".into())]
        );
        assert_eq!(
            all(Syntax::Forwarded, "for=192.0.2.43, for=198.51.100.17"),
            vec![(0, "192.0.2.43".into()), (1, "198.51.100.17".into())]
        );
        assert_eq!(
            all(
                Syntax::Forwarded,
                "for=_hidden, proto=https;for=unknown, by=1.2.3.4;FOR=\"10.0.0.1:80\""
            ),
            vec![(2, "10.0.0.1".into())]
        );
        // a comma inside a quoted value does not split the element
        assert_eq!(
            all(Syntax::Forwarded, "host=\"a,b\";for=10.1.1.1, for=10.2.2.2"),
            vec![(0, "10.1.1.1".into()), (1, "10.2.2.2".into())]
        );
        // by= alone is not a client
        assert_eq!(
            all(Syntax::Forwarded, "by=10.9.9.9"),
            Vec::<(u32, String)>::new()
        );
    }

    #[test]
    fn header_names() {
        assert!(HeaderSpec::new("X-Forwarded-For", Syntax::List).is_some());
        assert!(HeaderSpec::new("Bad Name", Syntax::List).is_none());
        assert!(HeaderSpec::new("", Syntax::List).is_none());
        let h = HeaderSpec::from_name("FORWARDED").unwrap();
        assert_eq!(h.syntax(), Syntax::Forwarded);
        assert!(h.matches(b"forwarded"));
        assert!(!h.matches(b"forwarde"));
        assert_eq!(default_headers().len(), 5);
    }
}
