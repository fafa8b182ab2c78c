//! Every HTTP/1.x request header block of a capture, with the client
//! addresses its proxy headers name: the rows of `capture-sql`'s `http`
//! table. Unlike [`scan`](crate::scan), which looks for given client
//! addresses and reports one match per address found, this reports every
//! request, with or without proxy headers.
//!
//! A request is recognised like the default scan recognises one: a TCP
//! payload that starts with a request line (`METHOD target HTTP/1.x`).
//! A header block split over segments is joined per direction (segments
//! taken in capture order, at most [`MAX_BLOCK`] bytes); pipelined requests
//! in one segment each give a row.

use std::collections::HashMap;
use std::net::IpAddr;

use pcap_core::{L4, Packet};

use crate::headers::{HeaderSpec, for_each_address};
use crate::http::request_line;

/// The most bytes of one header block kept; a longer block is reported
/// cut at this length (with [`Request::complete`] false).
pub const MAX_BLOCK: usize = 64 * 1024;

/// Directions with an unfinished header block held at once; beyond this
/// the oldest is reported as it is.
pub const MAX_PENDING: usize = 4096;

/// One HTTP/1.x request header block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Frame (1-based, in its walk) of the segment holding the request
    /// line.
    pub frame: u64,
    /// Its timestamp, ns since the epoch.
    pub ts_ns: i64,
    /// TCP source (the side sending the request: a client or a proxy).
    pub src_ip: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// TCP destination (the server).
    pub dst_ip: IpAddr,
    /// Destination port.
    pub dst_port: u16,
    /// Request method.
    pub method: String,
    /// Request target (path) as sent.
    pub path: String,
    /// Value of the `Host` header.
    pub host: Option<String>,
    /// Client addresses named by the proxy headers, in the order the
    /// headers and their list elements appear (leftmost first).
    pub clients: Vec<IpAddr>,
    /// The header block as sent, from the request line to the last header
    /// line (its line end and the final blank line left out), bytes that
    /// are not UTF-8 replaced.
    pub headers: String,
    /// False when the block did not end (capture ended, block too long,
    /// or another request started in the same direction first).
    pub complete: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Dir {
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
}

struct Pending {
    frame: u64,
    ts_ns: i64,
    block: Vec<u8>,
    seq: u64,
}

/// Finds requests in packets fed in capture order.
pub struct RequestParser {
    headers: Vec<HeaderSpec>,
    pending: HashMap<Dir, Pending>,
    next_seq: u64,
}

/// End of the header block in `s` (the offset of its final blank line)
/// and the offset just past that blank line.
fn block_end(s: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'\n', &s[from..]) {
        let nl = from + i;
        let next = &s[nl + 1..];
        if next.starts_with(b"\r\n") {
            return Some((nl + 1, nl + 3));
        }
        if next.starts_with(b"\n") {
            return Some((nl + 1, nl + 2));
        }
        from = nl + 1;
    }
    None
}

impl RequestParser {
    /// A parser reading client addresses from `headers`
    /// ([`default_headers`](crate::default_headers) for the usual ones).
    pub fn new(headers: Vec<HeaderSpec>) -> RequestParser {
        RequestParser {
            headers,
            pending: HashMap::new(),
            next_seq: 0,
        }
    }

    /// True while some header block is unfinished.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn parse(&self, dir: Dir, p: Pending, complete: bool) -> Request {
        let b = &p.block;
        let line_end = memchr::memchr(b'\n', b).unwrap_or(b.len());
        let line = b[..line_end].strip_suffix(b"\r").unwrap_or(&b[..line_end]);
        let mut parts = line.splitn(2, |&c| c == b' ');
        let method = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let rest = parts.next().unwrap_or_default();
        let path = match rest.iter().rposition(|&c| c == b' ') {
            Some(i) => &rest[..i],
            None => rest,
        };
        let mut host = None;
        let mut clients = Vec::new();
        for raw in b[(line_end + 1).min(b.len())..].split(|&c| c == b'\n') {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let Some(colon) = memchr::memchr(b':', raw) else {
                continue;
            };
            let (name, value) = (&raw[..colon], &raw[colon + 1..]);
            if name.eq_ignore_ascii_case(b"host") && host.is_none() {
                host = Some(String::from_utf8_lossy(value.trim_ascii()).into_owned());
            } else if let Some(h) = self.headers.iter().find(|h| h.matches(name)) {
                for_each_address(h.syntax(), value, |_, ip| clients.push(ip));
            }
        }
        let text = b
            .strip_suffix(b"\r\n")
            .or_else(|| b.strip_suffix(b"\n"))
            .unwrap_or(b);
        Request {
            frame: p.frame,
            ts_ns: p.ts_ns,
            src_ip: dir.src,
            src_port: dir.sport,
            dst_ip: dir.dst,
            dst_port: dir.dport,
            method,
            path: String::from_utf8_lossy(path).into_owned(),
            host,
            clients,
            headers: String::from_utf8_lossy(text).into_owned(),
            complete,
        }
    }

    /// Feeds one packet; requests whose header block ends in it go to
    /// `out`. With `follow_only`, only directions with an unfinished block
    /// are read (no new request is started).
    pub fn packet(&mut self, pkt: &Packet<'_>, follow_only: bool, out: &mut impl FnMut(Request)) {
        let Ok(d) = pkt.decode() else { return };
        let L4::Tcp(t) = d.l4 else { return };
        if t.payload.is_empty() {
            return;
        }
        let dir = Dir {
            src: d.src,
            sport: t.src_port,
            dst: d.dst,
            dport: t.dst_port,
        };
        self.segment(dir, pkt.frame, pkt.ts_ns, t.payload, follow_only, out);
    }

    fn segment(
        &mut self,
        dir: Dir,
        frame: u64,
        ts_ns: i64,
        mut data: &[u8],
        follow_only: bool,
        out: &mut impl FnMut(Request),
    ) {
        let starts = request_line(data).is_some();
        if let Some(mut p) = self.pending.remove(&dir) {
            if starts {
                // A new request: the old block never ended.
                out(self.parse(dir, p, false));
            } else {
                // Continue the block; the end may straddle the segments.
                let old = p.block.len();
                let room = MAX_BLOCK - old;
                p.block.extend_from_slice(&data[..data.len().min(room)]);
                let look_from = old.saturating_sub(3);
                match block_end(&p.block[look_from..]) {
                    Some((end, _)) => {
                        let end = look_from + end;
                        p.block.truncate(end);
                        out(self.parse(dir, p, true));
                    }
                    None if p.block.len() >= MAX_BLOCK => out(self.parse(dir, p, false)),
                    None => {
                        self.pending.insert(dir, p);
                    }
                }
                return;
            }
        }
        if follow_only || !starts {
            return;
        }
        // One or more requests starting in this segment.
        while request_line(data).is_some() {
            match block_end(data) {
                Some((end, next)) => {
                    let p = Pending {
                        frame,
                        ts_ns,
                        block: data[..end].to_vec(),
                        seq: 0,
                    };
                    out(self.parse(dir, p, true));
                    data = &data[next..];
                }
                None => {
                    let p = Pending {
                        frame,
                        ts_ns,
                        block: data[..data.len().min(MAX_BLOCK)].to_vec(),
                        seq: self.next_seq,
                    };
                    self.next_seq += 1;
                    if p.block.len() >= MAX_BLOCK {
                        out(self.parse(dir, p, false));
                        return;
                    }
                    if self.pending.len() >= MAX_PENDING
                        && let Some(oldest) = self
                            .pending
                            .iter()
                            .min_by_key(|(_, p)| p.seq)
                            .map(|(d, _)| *d)
                        && let Some(old) = self.pending.remove(&oldest)
                    {
                        out(self.parse(oldest, old, false));
                    }
                    self.pending.insert(dir, p);
                    return;
                }
            }
        }
    }

    /// Reports the blocks still unfinished (at the end of the capture), in
    /// the order they started.
    pub fn finish(&mut self, out: &mut impl FnMut(Request)) {
        let mut left: Vec<(Dir, Pending)> = self.pending.drain().collect();
        left.sort_by_key(|(_, p)| p.seq);
        for (d, p) in left {
            out(self.parse(d, p, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_headers;

    fn dir() -> Dir {
        Dir {
            src: "10.0.0.1".parse().unwrap(),
            sport: 40000,
            dst: "10.0.0.2".parse().unwrap(),
            dport: 80,
        }
    }

    #[test]
    fn requests_split_and_pipelined() {
        let mut p = RequestParser::new(default_headers());
        let mut got = Vec::new();
        let mut out = |r: Request| got.push(r);
        p.segment(
            dir(),
            1,
            10,
            b"GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.1, 10.1.1.1\r\n\r\nPOST /b HTTP/1.0\r\nX-Real-IP: 198.51.100.7\r\n",
            false,
            &mut out,
        );
        p.segment(
            dir(),
            2,
            20,
            b"Forwarded: for=\"[2001:db8::1]\"\r",
            false,
            &mut out,
        );
        p.segment(dir(), 3, 30, b"\n\r\nbody", false, &mut out);
        p.segment(dir(), 4, 40, b"not a request\r\n\r\n", false, &mut out);
        p.segment(
            dir(),
            5,
            50,
            b"GET /c HTTP/1.1\r\nHost: y\r\n",
            false,
            &mut out,
        );
        p.finish(&mut out);
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[0].method.as_str(), got[0].path.as_str()),
            ("GET", "/a")
        );
        assert_eq!(got[0].host.as_deref(), Some("x"));
        assert_eq!(
            got[0].clients,
            vec![
                "192.0.2.1".parse::<IpAddr>().unwrap(),
                "10.1.1.1".parse().unwrap()
            ]
        );
        assert!(got[0].complete);
        assert_eq!(
            got[0].headers,
            "GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.1, 10.1.1.1"
        );
        assert_eq!((got[1].frame, got[1].method.as_str()), (1, "POST"));
        assert_eq!(
            got[1].clients,
            vec![
                "198.51.100.7".parse::<IpAddr>().unwrap(),
                "2001:db8::1".parse().unwrap()
            ]
        );
        assert!(got[1].complete);
        assert_eq!((got[2].frame, got[2].complete), (5, false));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_no_panic(segs in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..200), 0..8)) {
            let mut p = RequestParser::new(default_headers());
            let mut n = 0;
            for (i, s) in segs.iter().enumerate() {
                let mut data = b"GET / HTTP/1.1\r\n".to_vec();
                data.extend_from_slice(s);
                let d = if i % 2 == 0 { &data[..] } else { &s[..] };
                p.segment(dir(), i as u64, 0, d, false, &mut |_| n += 1);
            }
            p.finish(&mut |_| n += 1);
        }
    }
}
