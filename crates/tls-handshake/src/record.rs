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

/// Where each field lies, as byte ranges (smoltcp's style): the TLS record
/// header, the handshake message header (from the start of a message) and
/// the SSLv2 record header and hello messages (from the start of the
/// record). Lengths are derived from these.
pub mod field {
    use core::ops::Range;

    /// Record header: content type.
    pub const CONTENT_TYPE: usize = 0;
    /// Record header: record-layer version.
    pub const VERSION: Range<usize> = 1..3;
    /// Record header: fragment length.
    pub const LENGTH: Range<usize> = 3..5;

    /// Handshake message: type.
    pub const HS_TYPE: usize = 0;
    /// Handshake message: body length (24 bits).
    pub const HS_LENGTH: Range<usize> = 1..4;
    /// Handshake message: start of the body.
    pub const HS_BODY: usize = HS_LENGTH.end;

    /// SSLv2 record: length (15 bits, high bit of the first byte set).
    pub const V2_LENGTH: Range<usize> = 0..2;
    /// SSLv2 record: message type.
    pub const V2_MSG_TYPE: usize = V2_LENGTH.end;
    /// SSLv2 CLIENT-HELLO: version.
    pub const V2_CH_VERSION: Range<usize> = 3..5;
    /// SSLv2 CLIENT-HELLO: cipher specs length.
    pub const V2_CH_CIPHER_SPECS_LEN: Range<usize> = 5..7;
    /// SSLv2 CLIENT-HELLO: session id length.
    pub const V2_CH_SESSION_ID_LEN: Range<usize> = 7..9;
    /// SSLv2 CLIENT-HELLO: challenge length.
    pub const V2_CH_CHALLENGE_LEN: Range<usize> = 9..11;
    /// SSLv2 SERVER-HELLO: session id hit.
    pub const V2_SH_SESSION_ID_HIT: usize = 3;
    /// SSLv2 SERVER-HELLO: certificate type.
    pub const V2_SH_CERT_TYPE: usize = 4;
    /// SSLv2 SERVER-HELLO: version.
    pub const V2_SH_VERSION: Range<usize> = 5..7;
    /// SSLv2 SERVER-HELLO: certificate length.
    pub const V2_SH_CERT_LEN: Range<usize> = 7..9;
    /// SSLv2 SERVER-HELLO: cipher specs length.
    pub const V2_SH_CIPHER_SPECS_LEN: Range<usize> = 9..11;
    /// SSLv2 SERVER-HELLO: connection id length.
    pub const V2_SH_CONN_ID_LEN: Range<usize> = 11..13;

    /// SSLv2 CLIENT-HELLO: the fixed part the record length counts
    /// (message type to challenge length), before the variable fields.
    pub const V2_CH_FIXED: usize = V2_CH_CHALLENGE_LEN.end - V2_LENGTH.end;
    /// SSLv2 SERVER-HELLO: the fixed part the record length counts.
    pub const V2_SH_FIXED: usize = V2_SH_CONN_ID_LEN.end - V2_LENGTH.end;
}

#[inline(always)]
fn be16(b: &[u8], f: core::ops::Range<usize>) -> u16 {
    u16::from_be_bytes([b[f.start], b[f.start + 1]])
}

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
    pub const LEN: usize = field::LENGTH.end;

    /// Parses and validates a 5-byte record header.
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        if b.len() < Self::LEN {
            return Err(ParseError::Truncated {
                what: "record header",
                offset: 0,
                need: Self::LEN - b.len(),
            });
        }
        let content_type = b[field::CONTENT_TYPE];
        if !(CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_HEARTBEAT).contains(&content_type) {
            return Err(ParseError::invalid(
                "record content type",
                field::CONTENT_TYPE,
                format!("{content_type}"),
            ));
        }
        let version = Version(be16(b, field::VERSION));
        if !(0x0300..=0x0304).contains(&version.0) {
            return Err(ParseError::invalid(
                "record version",
                field::VERSION.start,
                format!("0x{:04x}", version.0),
            ));
        }
        let length = be16(b, field::LENGTH);
        if usize::from(length) > MAX_RECORD_LEN {
            return Err(ParseError::invalid(
                "record length",
                field::LENGTH.start,
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
    /// A TDS PRELOGIN packet carrying the start of a ClientHello (TLS
    /// wrapped by Microsoft SQL Server's TDS 7.x; see [`crate::tds`]).
    TdsClientHello,
    /// A TDS packet carrying the start of a ServerHello.
    TdsServerHello,
}

impl Sniff {
    /// The payload starts a client's hello (bare, SSLv2 or TDS-wrapped).
    pub fn is_client(self) -> bool {
        matches!(
            self,
            Sniff::ClientHello | Sniff::Sslv2ClientHello | Sniff::TdsClientHello
        )
    }
    /// The TLS bytes are wrapped in TDS packets.
    pub fn is_tds(self) -> bool {
        matches!(self, Sniff::TdsClientHello | Sniff::TdsServerHello)
    }
}

/// A cheap first test for [`sniff`], without a branch on the payload's
/// bytes: `false` means [`sniff`] returns [`Sniff::No`] (a property test
/// checks this on arbitrary bytes). It reads the first three bytes: a
/// TLS handshake record's content type and major version, an SSLv2
/// hello's high bit, length and message type, a TDS packet's type. On
/// random payloads it lets fewer than 1 in 80 through, where `sniff`
/// itself branches on the first byte's high bit (half of them) and
/// calls the SSLv2 test: scans test every payload, in no order a
/// predictor can learn.
#[inline(always)]
pub fn may_start_hello(p: &[u8]) -> bool {
    use field::*;
    let at = |i: usize, missing: u8| p.get(i).copied().unwrap_or(missing);
    let b0 = at(0, 0);
    // A byte the payload does not hold fits (`sniff_tls` waits for it).
    let tls = (b0 == CONTENT_HANDSHAKE) & (at(VERSION.start, 3) == 3);
    let v2_type = at(V2_MSG_TYPE, 0);
    let v2 =
        (b0 & 0x80 != 0) & (p.len() >= V2_CH_CHALLENGE_LEN.end) & ((v2_type == 1) | (v2_type == 4));
    let tds = (b0 == crate::tds::PACKET_PRELOGIN) | (b0 == crate::tds::PACKET_TABULAR_RESULT);
    tls | v2 | tds
}

/// Detects by content whether a payload starts a TLS/SSL hello, on any
/// port, bare or as the first TLS bytes of a TDS packet (SQL Server). Short payloads match when every byte present is consistent.
#[inline]
pub fn sniff(p: &[u8]) -> Sniff {
    match p.first() {
        Some(&CONTENT_HANDSHAKE) => sniff_tls(p),
        Some(&b) if b & 0x80 != 0 => sniff_sslv2(p),
        Some(&crate::tds::PACKET_PRELOGIN) | Some(&crate::tds::PACKET_TABULAR_RESULT) => {
            sniff_tds(p)
        }
        _ => Sniff::No,
    }
}

#[cold]
fn sniff_tds(p: &[u8]) -> Sniff {
    // The TLS bytes must start the packet's data: a plaintext PRELOGIN
    // (option tokens) does not match.
    let Some(tls) = crate::tds::first_payload(p, true) else {
        return Sniff::No;
    };
    if tls.first() != Some(&CONTENT_HANDSHAKE) {
        return Sniff::No;
    }
    match sniff_tls(tls) {
        Sniff::ClientHello if p[crate::tds::field::TYPE] == crate::tds::PACKET_PRELOGIN => {
            Sniff::TdsClientHello
        }
        Sniff::ServerHello => Sniff::TdsServerHello,
        _ => Sniff::No,
    }
}

fn sniff_tls(p: &[u8]) -> Sniff {
    // 16 03 0x LL LL TT: version 3.0..3.4, length 4..=MAX, type 1 or 2.
    // Every byte present must fit: the version's major byte is 3, its minor
    // byte at most 4, then the length, then the first handshake message's
    // type and the top byte of its 24-bit length.
    let (major, minor) = (field::VERSION.start, field::VERSION.start + 1);
    let hs = RecordHeader::LEN;
    let hs_len_top = hs + field::HS_LENGTH.start;
    if p.len() > major && p[major] != 3 {
        return Sniff::No;
    }
    if p.len() > minor && p[minor] > 4 {
        return Sniff::No;
    }
    if p.len() >= field::LENGTH.end {
        let len = usize::from(be16(p, field::LENGTH));
        if !(field::HS_BODY..=MAX_RECORD_LEN).contains(&len) {
            return Sniff::No;
        }
    }
    match p.get(hs + field::HS_TYPE) {
        None | Some(&HANDSHAKE_CLIENT_HELLO) => {
            if p.len() > hs_len_top && p[hs_len_top] != 0 {
                // Hello messages are far below 64 KiB.
                return Sniff::No;
            }
            Sniff::ClientHello
        }
        Some(&HANDSHAKE_SERVER_HELLO) => {
            if p.len() > hs_len_top && p[hs_len_top] != 0 {
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
    use field::*;
    if p.len() < V2_CH_CHALLENGE_LEN.end {
        return Sniff::No; // too little to tell; SSLv2 is rare enough to wait
    }
    let len = usize::from(be16(p, V2_LENGTH) & 0x7fff);
    let be = |f: core::ops::Range<usize>| usize::from(be16(p, f));
    match p[V2_MSG_TYPE] {
        1 => {
            let v = &p[V2_CH_VERSION];
            let version_ok = matches!((v[0], v[1]), (0, 2) | (3, 0..=4));
            let (cs, sid, ch) = (
                be(V2_CH_CIPHER_SPECS_LEN),
                be(V2_CH_SESSION_ID_LEN),
                be(V2_CH_CHALLENGE_LEN),
            );
            let ok = version_ok
                && cs > 0
                && cs % 3 == 0
                && matches!(sid, 0 | 16 | 32)
                && (16..=32).contains(&ch)
                && len == V2_CH_FIXED + cs + sid + ch;
            if ok {
                Sniff::Sslv2ClientHello
            } else {
                Sniff::No
            }
        }
        4 if p.len() >= V2_SH_CONN_ID_LEN.end => {
            let ok = p[V2_SH_SESSION_ID_HIT] <= 1
                && p[V2_SH_CERT_TYPE] == 1
                && be(V2_SH_VERSION) == 2
                && len
                    == V2_SH_FIXED
                        + be(V2_SH_CERT_LEN)
                        + be(V2_SH_CIPHER_SPECS_LEN)
                        + be(V2_SH_CONN_ID_LEN);
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

/// What [`walk_messages`] hands to its visitor.
enum Item<'b> {
    /// A complete handshake message: type and body.
    Message(u8, &'b [u8]),
    /// A complete alert, change_cipher_spec or heartbeat record: content
    /// type and fragment.
    Record(u8, &'b [u8]),
}

/// Walks the handshake messages of a record stream, calling `visit` with each
/// complete message (and each complete alert/change_cipher_spec/heartbeat
/// record) until it returns `Some`. Zero-copy when each message lies inside
/// one record.
fn walk_messages<T>(
    stream: &[u8],
    mut visit: impl FnMut(Item<'_>) -> Result<Option<T>, ParseError>,
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
                while hs.len() - msg_pos >= field::HS_BODY {
                    let h = &hs[msg_pos..];
                    let ty = h[field::HS_TYPE];
                    let len = h[field::HS_LENGTH]
                        .iter()
                        .fold(0usize, |n, &b| (n << 8) | usize::from(b));
                    if h.len() - field::HS_BODY < len {
                        break;
                    }
                    match visit(Item::Message(ty, &h[field::HS_BODY..field::HS_BODY + len])) {
                        Ok(Some(t)) => return Progress::Done(t),
                        Ok(None) => {}
                        Err(e) => return Progress::Failed(e),
                    }
                    msg_pos += field::HS_BODY + len;
                }
            }
            CONTENT_CHANGE_CIPHER_SPEC | CONTENT_HEARTBEAT | CONTENT_ALERT => {
                if rec.complete {
                    match visit(Item::Record(rec.header.content_type, rec.fragment)) {
                        Ok(Some(t)) => return Progress::Done(t),
                        Ok(None) => {}
                        Err(e) => return Progress::Failed(e),
                    }
                }
            }
            _ => return Progress::Failed(ParseError::NotTls("application data before the hello")),
        }
        if !rec.complete {
            break;
        }
    }
    Progress::NeedMore
}

fn sslv2_message(stream: &[u8]) -> Result<Option<&[u8]>, ParseError> {
    let body = field::V2_LENGTH.end;
    if stream.len() < body {
        return Ok(None);
    }
    let len = usize::from(be16(stream, field::V2_LENGTH) & 0x7fff);
    if stream.len() < body + len {
        return Ok(None);
    }
    Ok(Some(&stream[body..body + len]))
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
    walk_messages(stream, |item| {
        let Item::Message(ty, body) = item else {
            return Ok(None);
        };
        {
            if ty != HANDSHAKE_CLIENT_HELLO {
                return Err(ParseError::invalid(
                    "handshake type",
                    0,
                    format!("{ty} where a ClientHello (1) was expected"),
                ));
            }
            let h = ClientHello::parse(body)?;
            Ok(f.take().map(|f| f(&h)))
        }
    })
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
    let mut hrr = false;
    walk_messages(stream, |item| {
        let (ty, body) = match item {
            Item::Message(ty, body) => (ty, body),
            Item::Record(CONTENT_ALERT, a) if a.len() >= 2 => {
                return Ok(Some(ServerOutcome::Alert {
                    level: a[0],
                    description: a[1],
                    hrr,
                }));
            }
            Item::Record(..) => return Ok(None),
        };
        {
            if ty != HANDSHAKE_SERVER_HELLO {
                return Err(ParseError::invalid(
                    "handshake type",
                    0,
                    format!("{ty} where a ServerHello (2) was expected"),
                ));
            }
            let h = ServerHello::parse(body)?;
            if h.is_hello_retry_request() && !hrr {
                hrr = true;
                return Ok(None);
            }
            Ok(f.take().map(|f| ServerOutcome::Hello { hello: f(&h), hrr }))
        }
    })
}

/// Progress of [`scan_server_flight`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flight<T, C> {
    /// More bytes are needed. Holds the server's answer when it is already
    /// known: a TLS <= 1.2 ServerHello whose Certificate message has not
    /// arrived whole yet.
    NeedMore(Option<ServerOutcome<T>>),
    /// The scan reached its goal: the answer and, when the server sent its
    /// certificate chain in the clear, the caller's summary of it.
    Done(ServerOutcome<T>, Option<C>),
    /// The stream is not a TLS server's answer.
    Failed(ParseError),
}

/// Scans a server's byte stream like [`scan_server`] and, when the
/// negotiated version is TLS 1.2 or older, goes on to the Certificate
/// message that follows the ServerHello and hands its body to `cert` (for
/// [`crate::cert::certificate_list`]). The flight ends without a
/// certificate at any other message (anonymous or PSK suites), at a
/// change_cipher_spec or alert record (an abbreviated handshake resuming a
/// session), or when the bytes stop being a handshake. TLS 1.3 ends at the
/// ServerHello: its Certificate is encrypted. An SSLv2 SERVER-HELLO
/// carries its one certificate itself.
pub fn scan_server_flight<T, C>(
    stream: &[u8],
    f: impl FnOnce(&ServerHello<'_>) -> T,
    cert: impl FnOnce(&[u8]) -> C,
) -> Flight<T, C> {
    if stream.first().is_some_and(|b| b & 0x80 != 0) {
        return match sslv2_message(stream) {
            Ok(None) => Flight::NeedMore(None),
            Ok(Some(m)) => match ServerHello::parse_sslv2(m) {
                Ok(h) => {
                    // The certificate follows the fixed part of the message.
                    let cert_len = usize::from(be16(
                        m,
                        field::V2_SH_CERT_LEN.start - field::V2_LENGTH.end
                            ..field::V2_SH_CERT_LEN.end - field::V2_LENGTH.end,
                    ));
                    let der = m.get(field::V2_SH_FIXED..field::V2_SH_FIXED + cert_len);
                    let hello = ServerOutcome::Hello {
                        hello: f(&h),
                        hrr: false,
                    };
                    let c = der.filter(|d| !d.is_empty()).map(|d| {
                        // As a one-entry certificate_list.
                        let mut body = Vec::with_capacity(d.len() + 6);
                        body.extend_from_slice(&((d.len() + 3) as u32).to_be_bytes()[1..]);
                        body.extend_from_slice(&(d.len() as u32).to_be_bytes()[1..]);
                        body.extend_from_slice(d);
                        cert(&body)
                    });
                    Flight::Done(hello, c)
                }
                Err(e) => Flight::Failed(shift(e, 2)),
            },
            Err(e) => Flight::Failed(e),
        };
    }
    let mut f = Some(f);
    let mut cert = Some(cert);
    let mut hrr = false;
    // The ServerHello of a TLS <= 1.2 handshake, waiting for its Certificate.
    let mut hello: Option<ServerOutcome<T>> = None;
    let walked = walk_messages(stream, |item| {
        let (ty, body) = match item {
            Item::Message(ty, body) => (ty, body),
            Item::Record(CONTENT_ALERT, a) if hello.is_none() && a.len() >= 2 => {
                return Ok(Some((
                    ServerOutcome::Alert {
                        level: a[0],
                        description: a[1],
                        hrr,
                    },
                    None,
                )));
            }
            // After the hello: a resumed session (change_cipher_spec) or an
            // alert ends the clear part of the flight.
            Item::Record(CONTENT_ALERT | CONTENT_CHANGE_CIPHER_SPEC, _) if hello.is_some() => {
                return Ok(hello.take().map(|h| (h, None)));
            }
            Item::Record(..) => return Ok(None),
        };
        if let Some(h) = hello.take() {
            let c = if ty == crate::cert::HANDSHAKE_CERTIFICATE {
                cert.take().map(|c| c(body))
            } else {
                None
            };
            return Ok(Some((h, c)));
        }
        if ty != HANDSHAKE_SERVER_HELLO {
            return Err(ParseError::invalid(
                "handshake type",
                0,
                format!("{ty} where a ServerHello (2) was expected"),
            ));
        }
        let h = ServerHello::parse(body)?;
        if h.is_hello_retry_request() && !hrr {
            hrr = true;
            return Ok(None);
        }
        let clear_certificate = h.version().0 <= Version::TLS12.0;
        let Some(f) = f.take() else { return Ok(None) };
        let outcome = ServerOutcome::Hello { hello: f(&h), hrr };
        if clear_certificate {
            hello = Some(outcome);
            Ok(None)
        } else {
            Ok(Some((outcome, None)))
        }
    });
    match walked {
        Progress::Done((o, c)) => Flight::Done(o, c),
        Progress::NeedMore => Flight::NeedMore(hello),
        // Bytes after the hello that do not parse: the hello stands.
        Progress::Failed(e) => match hello {
            Some(h) => Flight::Done(h, None),
            None => Flight::Failed(e),
        },
    }
}
