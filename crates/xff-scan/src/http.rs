//! HTTP/1.x request header blocks: find the configured headers in one TCP
//! payload, with a bounded carry-over for a header block that continues in
//! the next segment of the same flow.

use std::net::IpAddr;

use crate::headers::{HeaderSpec, for_each_address};
use crate::target::TargetSet;

/// The longest header line (with folded continuation lines) kept across a
/// segment boundary. Longer lines split across segments are not matched.
pub const MAX_CARRY_LINE: usize = 8 * 1024;

/// The literal every HTTP/1.x request line contains; the capture scan looks
/// for it with `memmem` and decodes only the packets that contain it.
pub const REQUEST_LINE_NEEDLE: &[u8] = b" HTTP/1.";

/// One client address found in a header of an HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index into [`Matcher::headers`] of the header it was found in.
    pub header: usize,
    /// The client address (IPv4-mapped IPv6 addresses are shown as IPv4).
    pub client_ip: IpAddr,
    /// Position in the header's list: 0 = leftmost = the original client.
    pub position: u32,
    /// The request method (`GET`, `POST`, ...), from the request line (in an
    /// earlier segment if the header block was split).
    pub method: Box<str>,
    /// The request's `Host` header, if it is in this packet or, for a header
    /// block split across segments, in an earlier segment of the same
    /// request; `None` if it comes only after this packet (or not at all).
    pub host: Option<Box<str>>,
}

/// State of a request whose header block did not end in this segment.
///
/// Bounded: holds the method, the `Host` seen so far and at most
/// [`MAX_CARRY_LINE`] bytes of the unfinished header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carry {
    method: Box<str>,
    host: Option<Box<str>>,
    partial: Vec<u8>,
    /// The unfinished line was longer than the bound: drop bytes up to the
    /// next line end.
    overflow: bool,
}

impl Carry {
    /// Bytes held for the unfinished line.
    pub fn held_bytes(&self) -> usize {
        self.partial.len()
    }
}

/// What to look for: which headers, and which client addresses.
#[derive(Clone, Debug)]
pub struct Matcher {
    headers: Vec<HeaderSpec>,
    targets: Option<TargetSet>,
}

#[derive(Debug)]
struct Req {
    method: Box<str>,
    host: Option<Box<str>>,
    content_length: Option<usize>,
    chunked: bool,
    first_hit: usize,
}

impl Matcher {
    /// Matches addresses inside `targets` in the given headers. With
    /// `targets == None` every address is a hit (for `--list`).
    pub fn new(headers: Vec<HeaderSpec>, targets: Option<TargetSet>) -> Matcher {
        Matcher { headers, targets }
    }

    /// The headers searched, in the order given.
    pub fn headers(&self) -> &[HeaderSpec] {
        &self.headers
    }

    /// The targets (`None` = every address).
    pub fn targets(&self) -> Option<&TargetSet> {
        self.targets.as_ref()
    }

    /// Whether a TCP payload starts with an HTTP/1.x request line.
    pub fn is_request_start(payload: &[u8]) -> bool {
        request_line(payload).is_some()
    }

    /// Scans one TCP payload that starts a request (or several pipelined
    /// requests). Pushes hits to `out`. Returns a [`Carry`] if the last
    /// header block is unfinished at the end of the payload; pass it with
    /// the next segment of the same flow to [`Matcher::scan_continuation`].
    ///
    /// Payloads that do not begin with a request line yield nothing:
    /// addresses in bodies, in other protocols and in responses are never
    /// reported, nor are headers not in the configured list (`Referer`).
    pub fn scan_payload(&self, payload: &[u8], out: &mut Vec<Hit>) -> Option<Carry> {
        self.scan(payload, None, out)
    }

    /// Continues a header block from the previous segment of the flow.
    pub fn scan_continuation(
        &self,
        carry: Carry,
        payload: &[u8],
        out: &mut Vec<Hit>,
    ) -> Option<Carry> {
        let Carry {
            method,
            host,
            partial,
            overflow,
        } = carry;
        let mut payload = payload;
        if overflow {
            // Still inside an over-long line: skip to its end.
            match memchr::memchr(b'\n', payload) {
                Some(nl) => payload = &payload[nl + 1..],
                None => {
                    return Some(Carry {
                        method,
                        host,
                        partial: Vec::new(),
                        overflow: true,
                    });
                }
            }
        }
        let req = Req {
            method,
            host,
            content_length: None,
            chunked: false,
            first_hit: out.len(),
        };
        if partial.is_empty() {
            self.scan(payload, Some(req), out)
        } else {
            let mut buf = partial;
            buf.extend_from_slice(payload);
            self.scan(&buf, Some(req), out)
        }
    }

    fn scan(&self, buf: &[u8], mut cur: Option<Req>, out: &mut Vec<Hit>) -> Option<Carry> {
        let mut pos = 0usize;
        loop {
            let req = match cur.as_mut() {
                Some(r) => r,
                None => {
                    let (method, len) = request_line(&buf[pos..])?;
                    pos += len;
                    cur.insert(Req {
                        method: method.into(),
                        host: None,
                        content_length: None,
                        chunked: false,
                        first_hit: out.len(),
                    })
                }
            };
            // Header lines until the blank line.
            let ended = loop {
                let rest = &buf[pos..];
                let Some(nl) = memchr::memchr(b'\n', rest) else {
                    break false;
                };
                let line = strip_cr(&rest[..nl]);
                if line.is_empty() {
                    pos += nl + 1;
                    break true;
                }
                // Logical line: following lines that start with SP/HT are
                // obsolete folding (RFC 9112 5.2) and belong to this field.
                let mut end = nl + 1;
                let mut folded = false;
                let mut incomplete = false;
                while end < rest.len() && matches!(rest[end], b' ' | b'\t') {
                    match memchr::memchr(b'\n', &rest[end..]) {
                        Some(n) => {
                            end += n + 1;
                            folded = true;
                        }
                        None => {
                            incomplete = true;
                            break;
                        }
                    }
                }
                if incomplete {
                    // The folded field continues in the next segment.
                    break false;
                }
                if folded {
                    let mut joined = Vec::with_capacity(end);
                    for (i, piece) in rest[..end].split(|&b| b == b'\n').enumerate() {
                        let piece = strip_cr(piece);
                        if i > 0 {
                            joined.push(b' ');
                        }
                        joined.extend_from_slice(piece);
                    }
                    self.field(trim_end_ws(&joined), req, out);
                } else {
                    self.field(line, req, out);
                }
                pos += end;
            };
            for h in &mut out[req.first_hit..] {
                if h.host.is_none() {
                    h.host.clone_from(&req.host);
                }
            }
            if !ended {
                let rest = &buf[pos..];
                let r = cur.take()?;
                let (partial, overflow) = if rest.len() > MAX_CARRY_LINE {
                    (Vec::new(), true)
                } else {
                    (rest.to_vec(), false)
                };
                return Some(Carry {
                    method: r.method,
                    host: r.host,
                    partial,
                    overflow,
                });
            }
            // Skip the body to a pipelined request, if we can.
            let r = cur.take()?;
            if r.chunked {
                return None;
            }
            pos = pos.checked_add(r.content_length.unwrap_or(0))?;
            if pos >= buf.len() {
                return None;
            }
        }
    }

    fn field(&self, line: &[u8], req: &mut Req, out: &mut Vec<Hit>) {
        let Some(colon) = memchr::memchr(b':', line) else {
            return;
        };
        let name = &line[..colon];
        // No token check needed: a name only matters if it equals one of
        // the known names, which are tokens.
        if name.is_empty() {
            return;
        }
        let value = trim_ws(&line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"host") {
            if req.host.is_none() {
                req.host = Some(String::from_utf8_lossy(value).into());
            }
            return;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            req.content_length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            return;
        }
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            req.chunked |= memchr::memmem::find(&value.to_ascii_lowercase(), b"chunked").is_some();
            return;
        }
        for (idx, spec) in self.headers.iter().enumerate() {
            if spec.matches(name) {
                for_each_address(spec.syntax(), value, |position, client_ip| {
                    if self.targets.as_ref().is_none_or(|t| t.contains(client_ip)) {
                        out.push(Hit {
                            header: idx,
                            client_ip,
                            position,
                            method: req.method.clone(),
                            host: req.host.clone(),
                        });
                    }
                });
            }
        }
    }
}

fn strip_cr(s: &[u8]) -> &[u8] {
    s.strip_suffix(b"\r").unwrap_or(s)
}

fn trim_ws(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    trim_end_ws(s)
}

fn trim_end_ws(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

/// Whether `b` may appear in a request method: `A-Z`, `0-9`, `-`, `_`.
/// A table lookup, no branch (0 is not one).
#[inline(always)]
fn is_token_byte(b: u8) -> bool {
    static TOKEN: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
            i += 1;
        }
        t
    };
    TOKEN[usize::from(b)]
}

/// Whether `s` starts the way every request line [`request_line`] accepts
/// does: a method token of 1-32 of `A-Z 0-9 - _`, then a space. Reads at
/// most 33 bytes (random payloads fail on the first byte or two).
#[inline]
pub(crate) fn starts_like_request(s: &[u8]) -> bool {
    // The first byte without a branch on whether there is one: scans ask
    // this of every payload, half of them empty (bare ACKs) in no order a
    // branch predictor can learn.
    if !is_token_byte(s.first().copied().unwrap_or(0)) {
        return false;
    }
    for &b in s.iter().take(33).skip(1) {
        if b == b' ' {
            return true;
        }
        if !is_token_byte(b) {
            return false;
        }
    }
    false
}

/// `METHOD SP request-target SP HTTP/d.d CRLF` at the start of `s`:
/// the method and the length of the request line (with its line end), if
/// `s` starts with a well-formed HTTP/1.x request line.
pub(crate) fn request_line(s: &[u8]) -> Option<(&str, usize)> {
    let sp = s.iter().take(33).position(|&b| b == b' ')?;
    let method = &s[..sp];
    if method.is_empty() || !method.iter().all(|&b| is_token_byte(b)) {
        return None;
    }
    let nl = memchr::memchr(b'\n', s)?;
    let line = strip_cr(&s[..nl]);
    let rest = &line[sp + 1..];
    let sp2 = rest.iter().rposition(|&b| b == b' ')?;
    let target = &rest[..sp2];
    let version = &rest[sp2 + 1..];
    if target.is_empty() || !target.iter().all(|&b| b > b' ' && b != 0x7f) {
        return None;
    }
    match version {
        [b'H', b'T', b'T', b'P', b'/', d1, b'.', d2]
            if d1.is_ascii_digit() && d2.is_ascii_digit() => {}
        _ => return None,
    }
    // method is ASCII (checked above)
    let method = std::str::from_utf8(method).ok()?;
    Some((method, nl + 1))
}

/// Bytes of one unfinished line held between segments by a
/// [`RequestStream`]; a longer line makes the stream resynchronise.
pub const MAX_STREAM_HOLD: usize = 16 * 1024;

#[derive(Debug)]
enum Phase {
    /// Not (or no longer) in step with the request stream: wait for a
    /// segment that starts with a request line.
    Resync,
    /// Expecting a request line.
    Line,
    Headers(Req),
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
}

/// Incremental parser of the client-to-server byte stream of one TCP
/// connection, fed in sequence order (used by `--reassemble`).
///
/// Unlike [`Matcher::scan_payload`], it follows the stream across any
/// number of segments: request lines and header lines cut anywhere,
/// `Content-Length` and chunked bodies spanning segments, and pipelined
/// requests that start in the middle of a segment. It holds at most
/// [`MAX_STREAM_HOLD`] bytes.
#[derive(Debug)]
pub struct RequestStream {
    buf: Vec<u8>,
    phase: Phase,
}

impl RequestStream {
    /// A stream seen from its first byte (after the SYN).
    pub fn from_start() -> RequestStream {
        RequestStream {
            buf: Vec::new(),
            phase: Phase::Line,
        }
    }

    /// A stream joined in the middle (no SYN seen, or after lost bytes):
    /// it waits for a segment that begins with a request line.
    pub fn mid_stream() -> RequestStream {
        RequestStream {
            buf: Vec::new(),
            phase: Phase::Resync,
        }
    }

    /// Whether the stream is waiting to resynchronise (nothing buffered,
    /// sequence order does not matter until a request line starts a
    /// segment).
    pub fn is_resyncing(&self) -> bool {
        matches!(self.phase, Phase::Resync)
    }

    /// Forgets the current state after lost bytes.
    pub fn lose_sync(&mut self) {
        self.buf.clear();
        self.phase = Phase::Resync;
    }

    /// Feeds the next bytes of the stream. `segment_start` says the bytes
    /// begin a TCP segment (a resynchronising stream only restarts there).
    /// Hits for header lines completed by these bytes go to `out`.
    pub fn feed(&mut self, m: &Matcher, data: &[u8], segment_start: bool, out: &mut Vec<Hit>) {
        if let Phase::Resync = self.phase {
            if !(segment_start && looks_like_request_start(data)) {
                return;
            }
            self.phase = Phase::Line;
            self.buf.clear();
        }
        let mut owned = std::mem::take(&mut self.buf);
        let input: &[u8] = if owned.is_empty() {
            data
        } else {
            owned.extend_from_slice(data);
            &owned
        };
        let first_hit = out.len();
        let pos = self.run(m, input, out, first_hit);
        let rest = &input[pos.min(input.len())..];
        if let Phase::Headers(req) = &self.phase {
            for h in &mut out[first_hit..] {
                if h.host.is_none() {
                    h.host.clone_from(&req.host);
                }
            }
        }
        if matches!(self.phase, Phase::Resync) || rest.is_empty() {
            self.buf = Vec::new();
        } else if rest.len() > MAX_STREAM_HOLD {
            self.lose_sync();
        } else {
            self.buf = rest.to_vec();
        }
    }

    /// Parses as far as the input allows; returns the bytes consumed.
    fn run(&mut self, m: &Matcher, input: &[u8], out: &mut Vec<Hit>, first_hit: usize) -> usize {
        let mut pos = 0usize;
        loop {
            let rest = &input[pos..];
            match &mut self.phase {
                Phase::Resync => return pos,
                Phase::Line => {
                    let Some(nl) = memchr::memchr(b'\n', rest) else {
                        if !looks_like_request_start(rest) && !rest.is_empty() {
                            self.phase = Phase::Resync;
                        }
                        return pos;
                    };
                    if strip_cr(&rest[..nl]).is_empty() {
                        pos += nl + 1; // stray CRLF between requests (RFC 9112 2.2)
                        continue;
                    }
                    match request_line(rest) {
                        Some((method, len)) => {
                            pos += len;
                            self.phase = Phase::Headers(Req {
                                method: method.into(),
                                host: None,
                                content_length: None,
                                chunked: false,
                                first_hit: out.len(),
                            });
                        }
                        None => {
                            self.phase = Phase::Resync;
                            return pos;
                        }
                    }
                }
                Phase::Headers(req) => {
                    let Some(nl) = memchr::memchr(b'\n', rest) else {
                        return pos;
                    };
                    let line = strip_cr(&rest[..nl]);
                    if line.is_empty() {
                        pos += nl + 1;
                        let start = req.first_hit.max(first_hit);
                        for h in &mut out[start..] {
                            if h.host.is_none() {
                                h.host.clone_from(&req.host);
                            }
                        }
                        self.phase = if req.chunked {
                            Phase::ChunkSize
                        } else {
                            match req.content_length {
                                Some(n) if n > 0 => Phase::Body(n as u64),
                                _ => Phase::Line,
                            }
                        };
                        continue;
                    }
                    // obsolete folding, as far as this input shows it
                    let mut end = nl + 1;
                    let mut folded = false;
                    while end < rest.len() && matches!(rest[end], b' ' | b'\t') {
                        match memchr::memchr(b'\n', &rest[end..]) {
                            Some(n) => {
                                end += n + 1;
                                folded = true;
                            }
                            None => return pos,
                        }
                    }
                    if folded {
                        let mut joined = Vec::with_capacity(end);
                        for (i, piece) in rest[..end].split(|&b| b == b'\n').enumerate() {
                            if i > 0 {
                                joined.push(b' ');
                            }
                            joined.extend_from_slice(strip_cr(piece));
                        }
                        m.field(trim_end_ws(&joined), req, out);
                    } else {
                        m.field(line, req, out);
                    }
                    pos += end;
                }
                Phase::Body(n) | Phase::ChunkData(n) => {
                    let take = (*n).min(rest.len() as u64);
                    pos += take as usize;
                    *n -= take;
                    if *n > 0 {
                        return pos;
                    }
                    self.phase = match self.phase {
                        Phase::Body(_) => Phase::Line,
                        _ => Phase::ChunkEnd,
                    };
                }
                Phase::ChunkSize | Phase::ChunkEnd | Phase::Trailers => {
                    let Some(nl) = memchr::memchr(b'\n', rest) else {
                        return pos;
                    };
                    let line = strip_cr(&rest[..nl]);
                    pos += nl + 1;
                    self.phase = match self.phase {
                        Phase::ChunkEnd if line.is_empty() => Phase::ChunkSize,
                        Phase::ChunkSize => {
                            let hex = line.split(|&b| b == b';').next().unwrap_or(b"");
                            match parse_hex(trim_ws(hex)) {
                                Some(0) => Phase::Trailers,
                                Some(n) => Phase::ChunkData(n),
                                None => Phase::Resync,
                            }
                        }
                        Phase::Trailers if line.is_empty() => Phase::Line,
                        Phase::Trailers => Phase::Trailers,
                        _ => Phase::Resync,
                    };
                }
            }
        }
    }
}

fn parse_hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let mut v = 0u64;
    for &b in s {
        v = v * 16 + u64::from((b as char).to_digit(16)?);
    }
    Some(v)
}

/// Whether `s` could be the start of a request line (a method token and a
/// space, or a prefix of one).
fn looks_like_request_start(s: &[u8]) -> bool {
    let tok = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
    match s.iter().position(|&b| b == b' ') {
        Some(sp) => sp > 0 && sp <= 32 && s[..sp].iter().all(|&b| tok(b)),
        None => !s.is_empty() && s.len() <= 32 && s.iter().all(|&b| tok(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::default_headers;

    fn matcher(targets: &[&str]) -> Matcher {
        let t = if targets.is_empty() {
            None
        } else {
            Some(TargetSet::parse(targets).unwrap())
        };
        Matcher::new(default_headers(), t)
    }

    fn hits(m: &Matcher, p: &str) -> Vec<(String, String, u32, String, Option<String>)> {
        let mut out = vec![];
        assert!(m.scan_payload(p.as_bytes(), &mut out).is_none());
        out.into_iter()
            .map(|h| {
                (
                    m.headers()[h.header].name().to_string(),
                    h.client_ip.to_string(),
                    h.position,
                    h.method.to_string(),
                    h.host.map(|s| s.to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn finds_every_default_header_with_method_and_host() {
        let m = matcher(&["192.0.2.0/24", "2001:db8::/32"]);
        let p = "POST /login HTTP/1.1\r\n\
                 x-forwarded-for: 10.0.0.1, 192.0.2.5:1234\r\n\
                 FORWARDED: for=\"[2001:db8::5]:99\";proto=https\r\n\
                 X-Real-Ip:192.0.2.6\r\n\
                 True-Client-IP: 10.9.9.9\r\n\
                 cf-connecting-ip: 2001:db8::6\r\n\
                 Referer: http://192.0.2.7/\r\n\
                 Host: shop.example\r\n\
                 Content-Length: 20\r\n\r\n\
                 X-Real-IP: 192.0.2.8";
        assert_eq!(
            hits(&m, p),
            vec![
                (
                    "X-Forwarded-For".into(),
                    "192.0.2.5".into(),
                    1,
                    "POST".into(),
                    Some("shop.example".into())
                ),
                (
                    "Forwarded".into(),
                    "2001:db8::5".into(),
                    0,
                    "POST".into(),
                    Some("shop.example".into())
                ),
                (
                    "X-Real-IP".into(),
                    "192.0.2.6".into(),
                    0,
                    "POST".into(),
                    Some("shop.example".into())
                ),
                (
                    "CF-Connecting-IP".into(),
                    "2001:db8::6".into(),
                    0,
                    "POST".into(),
                    Some("shop.example".into())
                ),
            ]
        );
    }

    #[test]
    fn not_in_responses_bodies_or_other_protocols() {
        let m = matcher(&[]);
        assert!(hits(&m, "HTTP/1.1 200 OK\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n").is_empty());
        assert!(hits(&m, "SSH-2.0-OpenSSH\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n").is_empty());
        assert!(hits(&m, "get / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n").is_empty());
        assert!(
            hits(
                &m,
                "GET / HTTP/1.1\r\nHost: a\r\n\r\nX-Forwarded-For: 1.2.3.4\r\n"
            )
            .is_empty()
        );
        assert!(hits(&m, "GET / HTTP/1.1\r\nX-Forwarded-For 1.2.3.4\r\n\r\n").is_empty());
        assert!(hits(&m, "GET / HTTP/1.1\r\nX-Forwarded-For-Foo: 1.2.3.4\r\n\r\n").is_empty());
        assert!(hits(&m, " GET / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n").is_empty());
        assert!(hits(&m, "GET  HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n").is_empty());
    }

    #[test]
    fn pipelined_requests_and_bare_lf() {
        let m = matcher(&[]);
        let p = "GET /a HTTP/1.1\nX-Forwarded-For: 1.1.1.1\n\n\
                 POST /b HTTP/1.0\r\nContent-Length: 5\r\nHost: h\r\n\r\nhello\
                 PUT /c HTTP/1.1\r\nX-Real-IP: 2.2.2.2\r\nTransfer-Encoding: chunked\r\n\r\n\
                 5\r\nGET / HTTP/1.1\r\nX-Real-IP: 3.3.3.3\r\n\r\n";
        let h = hits(&m, p);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!((h[0].1.as_str(), h[0].3.as_str()), ("1.1.1.1", "GET"));
        assert_eq!((h[1].1.as_str(), h[1].3.as_str()), ("2.2.2.2", "PUT"));
    }

    #[test]
    fn folded_header_value() {
        let m = matcher(&["10.0.0.2"]);
        let h = hits(
            &m,
            "GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1,\r\n 10.0.0.2\r\n\r\n",
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].2, 1);
    }

    #[test]
    fn carry_over_across_segments() {
        let m = matcher(&["198.51.100.77"]);
        let whole = "GET /x HTTP/1.1\r\nHost: split.example\r\nX-Forwarded-For: 10.0.0.1, 198.51.100.77\r\nAccept: */*\r\n\r\n";
        for cut in 1..whole.len() {
            let (a, b) = whole.as_bytes().split_at(cut);
            let mut out = vec![];
            let carry = m.scan_payload(a, &mut out);
            let mut all = out.clone();
            if let Some(c) = carry {
                assert!(c.held_bytes() <= MAX_CARRY_LINE);
                let mut out2 = vec![];
                assert!(m.scan_continuation(c, b, &mut out2).is_none());
                all.extend(out2);
            } else {
                // The request line itself was cut: not recognised (needs --reassemble).
                assert!(cut < "GET /x HTTP/1.1\r\n".len(), "cut {cut}");
                continue;
            }
            assert_eq!(all.len(), 1, "cut at {cut}");
            assert_eq!(all[0].position, 1);
            assert_eq!(&*all[0].method, "GET");
            // Host precedes the header, so it is always known.
            assert_eq!(all[0].host.as_deref(), Some("split.example"), "cut {cut}");
            // It is reported with the segment that completes the line.
            let xff_end = whole.find("77\r\n").unwrap() + 4;
            assert_eq!(out.len(), usize::from(cut >= xff_end), "cut {cut}");
        }
    }

    #[test]
    fn over_long_split_line_is_bounded() {
        let m = matcher(&[]);
        let mut a = b"GET / HTTP/1.1\r\nCookie: ".to_vec();
        a.extend(std::iter::repeat_n(b'a', MAX_CARRY_LINE + 10));
        let mut out = vec![];
        let c = m.scan_payload(&a, &mut out).unwrap();
        assert_eq!(c.held_bytes(), 0);
        let c = m.scan_continuation(c, b"aaaa", &mut out).unwrap();
        let r = m.scan_continuation(c, b"aa\r\nX-Real-IP: 10.1.1.1\r\n\r\n", &mut out);
        assert!(r.is_none());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].client_ip.to_string(), "10.1.1.1");
    }
}
