//! TLS wrapped in TDS (Microsoft SQL Server, TDS 7.x): after the plaintext
//! PRELOGIN exchange the TLS handshake travels inside TDS packets of type
//! PRELOGIN (`0x12`), each with an 8-byte header, "the packet data simply
//! the raw bytes of the SSL handshake payload" (MS-TDS 2.2.6.5), in both
//! directions until the handshake completes; after it TLS records go on the
//! TCP stream without TDS headers. Some servers answer in packets of type
//! `0x04` (tabular result, the rule before TDS 7.2), so the server side
//! accepts both. TDS 8.0 ("strict") starts with bare TLS and needs nothing
//! from this module.
//!
//! A TLS record may be cut over several TDS packets and a TDS packet over
//! several TCP segments: [`unwrap`] turns one direction's bytes back into
//! the TLS stream the record walker reads.

/// TDS packet type PRELOGIN.
pub const PACKET_PRELOGIN: u8 = 0x12;
/// TDS packet type tabular result (a server's answer).
pub const PACKET_TABULAR_RESULT: u8 = 0x04;

/// Where each field of the 8-byte TDS packet header lies.
pub mod field {
    use core::ops::Range;
    /// Packet type.
    pub const TYPE: usize = 0;
    /// Status bits (0x01: end of message).
    pub const STATUS: usize = 1;
    /// Packet length, header included, big-endian.
    pub const LENGTH: Range<usize> = 2..4;
    /// Server process id.
    pub const SPID: Range<usize> = 4..6;
    /// Packet id (wraps at 255).
    pub const PACKET_ID: usize = 6;
    /// Window (unused, 0).
    pub const WINDOW: usize = 7;
    /// Length of the header.
    pub const HEADER_LEN: usize = 8;
}

/// Largest TDS packet (the negotiated packet size is at most 32767).
pub const MAX_PACKET_LEN: usize = 32_767;

/// Checks a TDS header (the first 8 bytes of `p`, which must be there)
/// for a packet that can carry TLS handshake bytes: type PRELOGIN (or
/// tabular result when `server`), status 0 or end-of-message, a length
/// past the header, window 0. Returns the packet length.
fn header(p: &[u8], server: bool) -> Option<usize> {
    use field::*;
    let ty = p[TYPE];
    let type_ok = ty == PACKET_PRELOGIN || (server && ty == PACKET_TABULAR_RESULT);
    let len = usize::from(u16::from_be_bytes([p[LENGTH.start], p[LENGTH.start + 1]]));
    (type_ok
        && p[STATUS] <= 1
        && p[WINDOW] == 0
        && (HEADER_LEN + 1..=MAX_PACKET_LEN).contains(&len))
    .then_some(len)
}

/// When `p` starts with a TDS packet that can carry TLS handshake bytes
/// (see the module docs), the TLS bytes of that first packet present in
/// `p`. A client's packets must be PRELOGIN; `server` also accepts
/// tabular-result packets.
pub fn first_payload(p: &[u8], server: bool) -> Option<&[u8]> {
    if p.len() <= field::HEADER_LEN {
        return None;
    }
    let len = header(p, server)?;
    Some(&p[field::HEADER_LEN..len.min(p.len())])
}

/// The TLS bytes of a direction's TDS-wrapped stream: the payloads of the
/// consecutive handshake-carrying TDS packets at its start, the last one
/// possibly cut short. Stops at a partial header or at bytes that are not
/// such a packet (after the handshake, bare TLS records follow).
pub fn unwrap(stream: &[u8], server: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(stream.len());
    let mut pos = 0usize;
    while stream.len() - pos >= field::HEADER_LEN {
        let p = &stream[pos..];
        let Some(len) = header(p, server) else { break };
        out.extend_from_slice(&p[field::HEADER_LEN..len.min(p.len())]);
        pos += len;
        if pos >= stream.len() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(ty: u8, status: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![ty, status];
        v.extend_from_slice(&((data.len() + 8) as u16).to_be_bytes());
        v.extend_from_slice(&[0, 0, 1, 0]);
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn joins_payloads_and_stops_at_other_bytes() {
        let mut s = packet(0x12, 0, b"abc");
        s.extend(packet(0x12, 1, b"de"));
        s.extend_from_slice(b"\x17\x03\x03bare");
        assert_eq!(unwrap(&s, false), b"abcde");
        // Cut inside the second packet: what is there.
        assert_eq!(unwrap(&s[..8 + 3 + 9], false), b"abcd");
        // Cut inside the second header.
        assert_eq!(unwrap(&s[..8 + 3 + 5], false), b"abc");
        // A tabular-result packet only from a server.
        let t = packet(0x04, 1, b"xy");
        assert_eq!(unwrap(&t, true), b"xy");
        assert!(unwrap(&t, false).is_empty());
        assert_eq!(first_payload(&t, true), Some(&b"xy"[..]));
        assert_eq!(first_payload(&t[..8], true), None);
    }
}
