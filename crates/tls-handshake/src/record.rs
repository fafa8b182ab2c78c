//! TLS records, content sniffing and the scan of one direction's byte stream
//! for its first hello (across several records, and with several records or
//! messages in one slice).

use std::borrow::Cow;

use crate::error::ParseError;
use crate::hello::{ClientHello, HANDSHAKE_CLIENT_HELLO, HANDSHAKE_SERVER_HELLO, ServerHello};
use crate::version::Version;

/// Record content type `change_cipher_spec`.
pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
/// Record content type `alert`.
pub const CONTENT_ALERT: u8 = 21;
/// Record content type `handshake`.
pub const CONTENT_HANDSHAKE: u8 = 22;
/// Record content type `application_data`.
pub const CONTENT_APPLICATION_DATA: u8 = 23;
/// Record content type `heartbeat`.
pub const CONTENT_HEARTBEAT: u8 = 24;

/// Largest record fragment any TLS version allows (2^14 + 2048, TLS 1.2 ciphertext).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// A TLS (SSL 3.0 and later) record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type (20..=24).
    pub content_type: u8,
    /// Record-layer version (`0x0300`..=`0x0304`).
    pub version: Version,
    /// Fragment length.
    pub length: u16,
}

impl RecordHeader {
    /// Length of a record header on the wire.
    pub const LEN: usize = 5;

    /// Parses and validates a 5-byte record header.
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        if b.len() < Self::LEN {
            return Err(ParseError::Truncated {
                what: "record header",
                offset: 0,
                need: Self::LEN - b.len(),
            });
        }
        let content_type = b[0];
        if !(CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_HEARTBEAT).contains(&content_type) {
            return Err(ParseError::invalid(
                "record content type",
                0,
                format!("{content_type}"),
            ));
        }
        let version = Version(u16::from_be_bytes([b[1], b[2]]));
        if !(0x0300..=0x0304).contains(&version.0) {
            return Err(ParseError::invalid(
                "record version",
                1,
                format!("0x{:04x}", version.0),
            ));
        }
        let length = u16::from_be_bytes([b[3], b[4]]);
        if usize::from(length) > MAX_RECORD_LEN {
            return Err(ParseError::invalid(
                "record length",
                3,
                format!("{length} > {MAX_RECORD_LEN}"),
            ));
        }
        Ok(RecordHeader {
            content_type,
            version,
            length,
        })
    }
}

/// One record of a byte stream; the last one may be cut short.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The header.
    pub header: RecordHeader,
    /// Offset of the header in the stream.
    pub offset: usize,
    /// The fragment bytes available (all of them when `complete`).
    pub fragment: &'a [u8],
    /// False when the stream ends inside this record.
    pub complete: bool,
}

/// Iterator over the records of a byte stream. It stops after a record
/// that is cut short, at a partial header, or after the first error.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    stream: &'a [u8],
    pos: usize,
    done: bool,
}

/// Walks the records at the start of `stream`.
pub fn records(stream: &[u8]) -> Records<'_> {
    Records {
        stream,
        pos: 0,
        done: false,
    }
}

impl<'a> Records<'a> {
    /// Offset of the first byte not yet returned as part of a record.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.stream.len() {
            return None;
        }
        let rest = &self.stream[self.pos..];
        if rest.len() < RecordHeader::LEN {
            self.done = true;
            return None;
        }
        let header = match RecordHeader::parse(rest) {
            Ok(h) => h,
            Err(e) => {
                self.done = true;
                return Some(Err(shift(e, self.pos)));
            }
        };
        let end = RecordHeader::LEN + usize::from(header.length);
        let complete = rest.len() >= end;
        let fragment = &rest[RecordHeader::LEN..end.min(rest.len())];
        let offset = self.pos;
        if complete {
            self.pos += end;
        } else {
            self.pos = self.stream.len();
            self.done = true;
        }
        Some(Ok(Record {
            header,
            offset,
            fragment,
            complete,
        }))
    }
}

fn shift(e: ParseError, by: usize) -> ParseError {
    match e {
        ParseError::Truncated { what, offset, need } => ParseError::Truncated {
            what,
            offset: offset + by,
            need,
        },
        ParseError::Invalid {
            what,
            offset,
            detail,
        } => ParseError::Invalid {
            what,
            offset: offset + by,
            detail,
        },
        other => other,
    }
}

/// What the first bytes of a TCP payload look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    /// Not the start of a TLS/SSL hello.
    No,
    /// A TLS/SSL 3.0 handshake record starting with a ClientHello (or a
    /// consistent prefix of one).
    ClientHello,
    /// A handshake record starting with a ServerHello (or a prefix of one).
    ServerHello,
    /// An SSLv2-framed CLIENT-HELLO.
    Sslv2ClientHello,
    /// An SSLv2-framed SERVER-HELLO.
    Sslv2ServerHello,
}

/// Detects by content whether a payload starts a TLS/SSL hello, on any
/// port. Short payloads match when every byte present is consistent.
#[inline]
pub fn sniff(p: &[u8]) -> Sniff {
    match p.first() {
        Some(&CONTENT_HANDSHAKE) => sniff_tls(p),
        Some(&b) if b & 0x80 != 0 => sniff_sslv2(p),
        _ => Sniff::No,
    }
}

fn sniff_tls(p: &[u8]) -> Sniff {
    // 16 03 0x LL LL TT: version 3.0..3.4, length 4..=MAX, type 1 or 2.
    if p.len() > 1 && p[1] != 3 {
        return Sniff::No;
    }
    if p.len() > 2 && p[2] > 4 {
        return Sniff::No;
    }
    if p.len() > 4 {
        let len = usize::from(u16::from_be_bytes([p[3], p[4]]));
        if !(4..=MAX_RECORD_LEN).contains(&len) {
            return Sniff::No;
        }
    }
    match p.get(5) {
        None | Some(&HANDSHAKE_CLIENT_HELLO) => {
            if p.len() > 6 && p[6] != 0 {
                // Hello messages are far below 64 KiB.
                return Sniff::No;
            }
            Sniff::ClientHello
        }
        Some(&HANDSHAKE_SERVER_HELLO) => {
            if p.len() > 6 && p[6] != 0 {
                return Sniff::No;
            }
            Sniff::ServerHello
        }
        _ => Sniff::No,
    }
}

fn sniff_sslv2(p: &[u8]) -> Sniff {
    // Half of all random bytes have the high bit set, so every field the
    // payload holds must be consistent before a flow is started on it.
    // 2-byte header (high bit set, length), message type, then:
    //  CLIENT-HELLO (1): version (00 02 or 03 00..04), cipher_spec_length
    //    (non-zero multiple of 3), session_id_length (0/16/32),
    //    challenge_length (16..=32), and the lengths add up.
    //  SERVER-HELLO (4): session_id_hit (0/1), certificate_type (1 = X.509),
    //    version 00 02, and certificate, cipher specs and connection id
    //    lengths that add up.
    // An SSLv2 hello whose first 11 (13) bytes are not in one segment is
    // not detected.
    if p.len() < 11 {
        return Sniff::No; // too little to tell; SSLv2 is rare enough to wait
    }
    let len = (usize::from(p[0] & 0x7f) << 8) | usize::from(p[1]);
    let be = |i: usize| usize::from(u16::from_be_bytes([p[i], p[i + 1]]));
    match p[2] {
        1 => {
            let version_ok = matches!((p[3], p[4]), (0, 2) | (3, 0..=4));
            let (cs, sid, ch) = (be(5), be(7), be(9));
            let ok = version_ok
                && cs > 0
                && cs % 3 == 0
                && matches!(sid, 0 | 16 | 32)
                && (16..=32).contains(&ch)
                && len == 9 + cs + sid + ch;
            if ok {
                Sniff::Sslv2ClientHello
            } else {
                Sniff::No
            }
        }
        4 if p.len() >= 13 => {
            let ok = p[3] <= 1
                && p[4] == 1
                && p[5] == 0
                && p[6] == 2
                && len == 11 + be(7) + be(9) + be(11);
            if ok {
                Sniff::Sslv2ServerHello
            } else {
                Sniff::No
            }
        }
        _ => Sniff::No,
    }
}

/// Progress of the scan of one direction's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress<T> {
    /// The stream so far is a valid prefix; more bytes are needed.
    NeedMore,
    /// The scan reached its goal.
    Done(T),
    /// The stream is not (or no longer) a TLS handshake.
    Failed(ParseError),
}

/// What the server direction produced first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutcome<T> {
    /// A ServerHello (`hrr`: a HelloRetryRequest came before it).
    Hello {
        /// The caller's summary of the ServerHello.
        hello: T,
        /// True when a HelloRetryRequest preceded it.
        hrr: bool,
    },
    /// An alert record before any ServerHello (e.g. `handshake_failure`
    /// when the server refuses every offered version).
    Alert {
        /// Alert level (1 warning, 2 fatal).
        level: u8,
        /// Alert description (40 handshake_failure, 70 protocol_version, ...).
        description: u8,
        /// True when a HelloRetryRequest preceded it.
        hrr: bool,
    },
}

/// Walks the handshake messages of a record stream, calling `visit` with each
/// complete message's type and body until it returns `Some`. Alert records
/// are passed to `alert`. Zero-copy when each message lies inside one record.
fn walk_messages<T>(
    stream: &[u8],
    mut visit: impl FnMut(u8, &[u8]) -> Result<Option<T>, ParseError>,
    mut alert: impl FnMut(u8, u8) -> Option<T>,
) -> Progress<T> {
    let mut hs: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    let mut msg_pos = 0usize;
    for rec in records(stream) {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => return Progress::Failed(e),
        };
        match rec.header.content_type {
            CONTENT_HANDSHAKE => {
                if hs.len() == msg_pos {
                    // Nothing pending: borrow this fragment directly.
                    hs = Cow::Borrowed(rec.fragment);
                    msg_pos = 0;
                } else {
                    let mut v = hs[msg_pos..].to_vec();
                    v.extend_from_slice(rec.fragment);
                    hs = Cow::Owned(v);
                    msg_pos = 0;
                }
                while hs.len() - msg_pos >= 4 {
                    let h = &hs[msg_pos..];
                    let ty = h[0];
                    let len =
                        (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
                    if h.len() - 4 < len {
                        break;
                    }
                    match visit(ty, &h[4..4 + len]) {
                        Ok(Some(t)) => return Progress::Done(t),
                        Ok(None) => {}
                        Err(e) => return Progress::Failed(e),
                    }
                    msg_pos += 4 + len;
                }
            }
            CONTENT_ALERT if rec.complete && rec.fragment.len() >= 2 => {
                if let Some(t) = alert(rec.fragment[0], rec.fragment[1]) {
                    return Progress::Done(t);
                }
            }
            CONTENT_CHANGE_CIPHER_SPEC | CONTENT_HEARTBEAT | CONTENT_ALERT => {}
            _ => return Progress::Failed(ParseError::NotTls("application data before the hello")),
        }
        if !rec.complete {
            break;
        }
    }
    Progress::NeedMore
}

fn sslv2_message(stream: &[u8]) -> Result<Option<&[u8]>, ParseError> {
    if stream.len() < 2 {
        return Ok(None);
    }
    let len = (usize::from(stream[0] & 0x7f) << 8) | usize::from(stream[1]);
    if stream.len() < 2 + len {
        return Ok(None);
    }
    Ok(Some(&stream[2..2 + len]))
}

/// Scans a client's byte stream (from its first byte) for its ClientHello
/// and hands it to `f`. SSLv2-framed hellos are recognised too.
pub fn scan_client<T>(stream: &[u8], f: impl FnOnce(&ClientHello<'_>) -> T) -> Progress<T> {
    if stream.first().is_some_and(|b| b & 0x80 != 0) {
        return match sslv2_message(stream) {
            Ok(None) => Progress::NeedMore,
            Ok(Some(m)) => match ClientHello::parse_sslv2(m) {
                Ok(h) => Progress::Done(f(&h)),
                Err(e) => Progress::Failed(shift(e, 2)),
            },
            Err(e) => Progress::Failed(e),
        };
    }
    let mut f = Some(f);
    walk_messages(
        stream,
        |ty, body| {
            if ty != HANDSHAKE_CLIENT_HELLO {
                return Err(ParseError::invalid(
                    "handshake type",
                    0,
                    format!("{ty} where a ClientHello (1) was expected"),
                ));
            }
            let h = ClientHello::parse(body)?;
            Ok(f.take().map(|f| f(&h)))
        },
        |_, _| None,
    )
}

/// Scans a server's byte stream (from its first byte) for its ServerHello,
/// stepping over a HelloRetryRequest (and the change_cipher_spec records
/// that may follow it) to the real ServerHello.
pub fn scan_server<T>(
    stream: &[u8],
    f: impl FnOnce(&ServerHello<'_>) -> T,
) -> Progress<ServerOutcome<T>> {
    if stream.first().is_some_and(|b| b & 0x80 != 0) {
        return match sslv2_message(stream) {
            Ok(None) => Progress::NeedMore,
            Ok(Some(m)) => match ServerHello::parse_sslv2(m) {
                Ok(h) => Progress::Done(ServerOutcome::Hello {
                    hello: f(&h),
                    hrr: false,
                }),
                Err(e) => Progress::Failed(shift(e, 2)),
            },
            Err(e) => Progress::Failed(e),
        };
    }
    let mut f = Some(f);
    let hrr_cell = std::cell::Cell::new(false);
    walk_messages(
        stream,
        |ty, body| {
            if ty != HANDSHAKE_SERVER_HELLO {
                return Err(ParseError::invalid(
                    "handshake type",
                    0,
                    format!("{ty} where a ServerHello (2) was expected"),
                ));
            }
            let h = ServerHello::parse(body)?;
            if h.is_hello_retry_request() && !hrr_cell.get() {
                hrr_cell.set(true);
                return Ok(None);
            }
            Ok(f.take().map(|f| ServerOutcome::Hello {
                hello: f(&h),
                hrr: hrr_cell.get(),
            }))
        },
        |level, description| {
            Some(ServerOutcome::Alert {
                level,
                description,
                hrr: hrr_cell.get(),
            })
        },
    )
}
