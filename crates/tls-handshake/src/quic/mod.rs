//! QUIC Initial packets: the TLS hellos of a QUIC connection (RFC 9000,
//! RFC 9001; QUIC v2, RFC 9369; draft-29 to -32).
//!
//! A QUIC handshake carries its ClientHello and ServerHello in CRYPTO frames
//! of Initial packets, which are encrypted with keys anyone can derive from
//! the Destination Connection ID of the client's first Initial (RFC 9001,
//! section 5.2). This module:
//!
//! * recognises long-header packets cheaply ([`is_long_header_candidate`]:
//!   the first byte's form and fixed bits, and a known version),
//! * parses the long header ([`LongHeader::parse`]), several coalesced
//!   packets per datagram ([`LongHeader::parse`] then [`LongHeader::end`]),
//! * derives the Initial keys of both directions ([`InitialKeys::derive`]:
//!   HKDF-SHA256, the version's salt and labels),
//! * removes header protection (AES-128 on a 16-byte sample) and decrypts
//!   the payload (AES-128-GCM) ([`open`]), and protects a packet the same
//!   way ([`seal`], for test captures and to check against the RFC vectors),
//! * walks the frames an Initial may carry ([`frames`]) and reassembles the
//!   CRYPTO stream by offset ([`CryptoStream`]),
//! * and tracks connections over a capture ([`QuicTracker`]), giving the same
//!   [`Handshake`](crate::tracker::Handshake) rows as the TCP tracker.
//!
//! Nothing here panics on any input: every length is checked, and packets
//! that do not authenticate are ignored.

mod frames;
mod tracker;

pub use frames::{CryptoStream, Frame, Frames, frames, read_varint};
pub use tracker::QuicTracker;

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

/// Why a QUIC packet could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes end before the field named by `what`.
    #[error("truncated QUIC {what} at byte offset {offset}")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Offset of the field in the datagram or payload.
        offset: usize,
    },
    /// Not a long-header packet of a version this module knows.
    #[error("not a QUIC v1/v2/draft-29 long-header packet")]
    NotQuic,
    /// A field holds a value QUIC does not allow.
    #[error("invalid QUIC {what} at byte offset {offset}")]
    Invalid {
        /// The field being read.
        what: &'static str,
        /// Offset of the field.
        offset: usize,
    },
    /// The packet did not authenticate with the keys tried (other keys, or
    /// damaged bytes).
    #[error("QUIC packet does not decrypt with these Initial keys")]
    Decrypt,
}

/// A QUIC version whose Initial packets this module can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuicVersion {
    /// QUIC version 1 (RFC 9000), `0x00000001`.
    V1,
    /// QUIC version 2 (RFC 9369), `0x6b3343cf`: its own salt, HKDF labels
    /// and long-header packet type bits.
    V2,
    /// An IETF draft version 29 to 32 (`0xff00001d`..=`0xff000020`), which
    /// share draft-29's salt.
    Draft(u8),
}

/// The wire value of QUIC version 2.
pub const VERSION_2: u32 = 0x6b33_43cf;

const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];

impl QuicVersion {
    /// The version for a wire value, if this module reads its Initials.
    #[inline]
    pub fn from_wire(v: u32) -> Option<QuicVersion> {
        match v {
            1 => Some(QuicVersion::V1),
            VERSION_2 => Some(QuicVersion::V2),
            0xff00_001d..=0xff00_0020 => Some(QuicVersion::Draft((v & 0xff) as u8)),
            _ => None,
        }
    }

    /// The wire value.
    pub fn wire(self) -> u32 {
        match self {
            QuicVersion::V1 => 1,
            QuicVersion::V2 => VERSION_2,
            QuicVersion::Draft(d) => 0xff00_0000 | u32::from(d),
        }
    }

    /// A short name: `v1`, `v2`, `draft-29`.
    pub fn name(self) -> String {
        match self {
            QuicVersion::V1 => "v1".to_owned(),
            QuicVersion::V2 => "v2".to_owned(),
            QuicVersion::Draft(d) => format!("draft-{d}"),
        }
    }

    fn salt(self) -> &'static [u8; 20] {
        match self {
            QuicVersion::V1 => &SALT_V1,
            QuicVersion::V2 => &SALT_V2,
            QuicVersion::Draft(_) => &SALT_DRAFT29,
        }
    }

    /// HKDF labels for key, iv and header-protection key.
    fn labels(self) -> [&'static [u8]; 3] {
        match self {
            QuicVersion::V2 => [b"quicv2 key", b"quicv2 iv", b"quicv2 hp"],
            _ => [b"quic key", b"quic iv", b"quic hp"],
        }
    }

    /// The long-header packet type of the two type bits (bits 5-4 of the
    /// first byte), which QUIC v2 assigns differently (RFC 9369, 3.2).
    pub fn packet_type(self, first: u8) -> PacketType {
        let bits = (first >> 4) & 0x03;
        let v1 = match self {
            // v2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00.
            QuicVersion::V2 => (bits + 3) & 0x03,
            _ => bits,
        };
        match v1 {
            0 => PacketType::Initial,
            1 => PacketType::ZeroRtt,
            2 => PacketType::Handshake,
            _ => PacketType::Retry,
        }
    }

    /// The type bits (unshifted, `0..=3`) of an Initial packet.
    pub fn initial_type_bits(self) -> u8 {
        match self {
            QuicVersion::V2 => 1,
            _ => 0,
        }
    }
}

/// The type of a long-header packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketType {
    /// Initial: carries the hellos, keys derivable by anyone.
    Initial,
    /// 0-RTT: early data (not readable here).
    ZeroRtt,
    /// Handshake: encrypted with handshake keys (not readable here).
    Handshake,
    /// Retry: the server asks the client to start again with a token.
    Retry,
}

/// True when `datagram` can start with a QUIC long-header packet of a
/// version this module reads: the header-form and fixed bits set and a
/// known version. Five byte reads, no allocation: the test a capture scan
/// runs on every UDP payload.
#[inline]
pub fn is_long_header_candidate(datagram: &[u8]) -> bool {
    match datagram {
        [first, a, b, c, d, ..] if first & 0xc0 == 0xc0 => {
            QuicVersion::from_wire(u32::from_be_bytes([*a, *b, *c, *d])).is_some()
        }
        _ => false,
    }
}

/// A parsed long header (before header protection is removed: the first
/// byte's low four bits and the packet number are still masked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongHeader<'a> {
    /// The first byte, as on the wire.
    pub first: u8,
    /// The version.
    pub version: QuicVersion,
    /// The packet type (from the version's type bits).
    pub packet_type: PacketType,
    /// Destination Connection ID.
    pub dcid: &'a [u8],
    /// Source Connection ID.
    pub scid: &'a [u8],
    /// The token (Initial only; empty otherwise).
    pub token: &'a [u8],
    /// Offset of the (protected) packet number in the slice parsed.
    pub pn_offset: usize,
    /// Offset just past this packet in the slice parsed: the next coalesced
    /// packet starts here. For a Retry, the end of the slice.
    pub end: usize,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let s = self
            .pos
            .checked_add(n)
            .and_then(|e| self.buf.get(self.pos..e))
            .ok_or(Error::Truncated {
                what,
                offset: self.pos,
            })?;
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.bytes(1, what)?[0])
    }
    fn varint(&mut self, what: &'static str) -> Result<u64, Error> {
        let (v, n) =
            read_varint(&self.buf[self.pos.min(self.buf.len())..]).ok_or(Error::Truncated {
                what,
                offset: self.pos,
            })?;
        self.pos += n;
        Ok(v)
    }
}

impl<'a> LongHeader<'a> {
    /// Parses the long header at the start of `buf` (one datagram, or the
    /// rest of one after coalesced packets). Fails with [`Error::NotQuic`]
    /// on a short header or an unknown version.
    pub fn parse(buf: &'a [u8]) -> Result<LongHeader<'a>, Error> {
        if !is_long_header_candidate(buf) {
            return Err(Error::NotQuic);
        }
        let first = buf[0];
        let version = QuicVersion::from_wire(u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]))
            .ok_or(Error::NotQuic)?;
        let packet_type = version.packet_type(first);
        let mut c = Cursor { buf, pos: 5 };
        let dl = c.u8("DCID length")?;
        if dl > 20 {
            return Err(Error::Invalid {
                what: "DCID length",
                offset: 5,
            });
        }
        let dcid = c.bytes(usize::from(dl), "DCID")?;
        let sl_off = c.pos;
        let sl = c.u8("SCID length")?;
        if sl > 20 {
            return Err(Error::Invalid {
                what: "SCID length",
                offset: sl_off,
            });
        }
        let scid = c.bytes(usize::from(sl), "SCID")?;
        if packet_type == PacketType::Retry {
            return Ok(LongHeader {
                first,
                version,
                packet_type,
                dcid,
                scid,
                token: &buf[c.pos..],
                pn_offset: buf.len(),
                end: buf.len(),
            });
        }
        let token = if packet_type == PacketType::Initial {
            let off = c.pos;
            let n = c.varint("token length")?;
            let n = usize::try_from(n).map_err(|_| Error::Invalid {
                what: "token length",
                offset: off,
            })?;
            c.bytes(n, "token")?
        } else {
            &[][..]
        };
        let len_off = c.pos;
        let len = c.varint("length")?;
        let pn_offset = c.pos;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| pn_offset.checked_add(l))
            .filter(|&e| e <= buf.len())
            .ok_or(Error::Truncated {
                what: "packet (length field)",
                offset: len_off,
            })?;
        Ok(LongHeader {
            first,
            version,
            packet_type,
            dcid,
            scid,
            token,
            pn_offset,
            end,
        })
    }
}

/// The keys of one direction: AEAD key, IV and header-protection key, with
/// the ciphers ready.
#[derive(Clone)]
pub struct Keys {
    /// AES-128-GCM key.
    pub key: [u8; 16],
    /// AEAD IV (XORed with the packet number to form the nonce).
    pub iv: [u8; 12],
    /// Header-protection key (AES-128).
    pub hp: [u8; 16],
    aead: Aes128Gcm,
    hp_cipher: Aes128,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

impl Keys {
    fn from_secret(version: QuicVersion, secret: &[u8]) -> Keys {
        let [lk, li, lh] = version.labels();
        let mut key = [0u8; 16];
        let mut iv = [0u8; 12];
        let mut hp = [0u8; 16];
        expand_label(secret, lk, &mut key);
        expand_label(secret, li, &mut iv);
        expand_label(secret, lh, &mut hp);
        Keys {
            key,
            iv,
            hp,
            aead: Aes128Gcm::new(&key.into()),
            hp_cipher: Aes128::new(&hp.into()),
        }
    }

    /// The 5 header-protection mask bytes for a 16-byte sample.
    fn mask(&self, sample: &[u8; 16]) -> [u8; 5] {
        let mut block = aes::Block::from(*sample);
        self.hp_cipher.encrypt_block(&mut block);
        [block[0], block[1], block[2], block[3], block[4]]
    }

    fn nonce(&self, pn: u64) -> Nonce<aes_gcm::aead::consts::U12> {
        let mut n = self.iv;
        for (b, p) in n[4..].iter_mut().zip(pn.to_be_bytes()) {
            *b ^= p;
        }
        Nonce::from(n)
    }
}

/// HKDF-Expand-Label (RFC 8446, 7.1) with an empty context, SHA-256.
fn expand_label(secret: &[u8], label: &[u8], out: &mut [u8]) {
    // "tls13 " + label, at most 6 + 12 bytes here.
    let mut info = Vec::with_capacity(4 + 6 + label.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    // A 32-byte secret is a valid PRK, and every output here is far below
    // 255 * 32 bytes: neither call can fail.
    if let Ok(h) = Hkdf::<Sha256>::from_prk(secret) {
        let _ = h.expand(&info, out);
    }
}

/// The Initial keys of a connection, both directions.
#[derive(Clone, Debug)]
pub struct InitialKeys {
    /// The version they were derived for.
    pub version: QuicVersion,
    /// `client_initial_secret` (RFC 9001, 5.2).
    pub client_secret: [u8; 32],
    /// `server_initial_secret`.
    pub server_secret: [u8; 32],
    /// Keys of the client's Initials.
    pub client: Keys,
    /// Keys of the server's Initials.
    pub server: Keys,
}

impl InitialKeys {
    /// Derives the keys from the Destination Connection ID of the client's
    /// first Initial packet (after a Retry: of its first Initial after it).
    pub fn derive(version: QuicVersion, dcid: &[u8]) -> InitialKeys {
        let (prk, _) = Hkdf::<Sha256>::extract(Some(version.salt()), dcid);
        let mut client_secret = [0u8; 32];
        let mut server_secret = [0u8; 32];
        expand_label(&prk, b"client in", &mut client_secret);
        expand_label(&prk, b"server in", &mut server_secret);
        InitialKeys {
            version,
            client: Keys::from_secret(version, &client_secret),
            server: Keys::from_secret(version, &server_secret),
            client_secret,
            server_secret,
        }
    }
}

/// Recovers a full packet number from its truncated form (RFC 9000,
/// Appendix A.3), given the largest packet number received so far.
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    // Packet numbers are below 2^62; a larger `largest` is clamped.
    let expected = largest.map_or(0, |l| l.min((1 << 62) - 1) + 1);
    let win = 1u64 << (8 * pn_len as u32);
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(hwin) <= expected && candidate < (1u64 << 62) - win {
        candidate + win
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// A decrypted packet: its packet number and where its plaintext payload
/// lies in the output buffer given to [`open`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The full packet number.
    pub pn: u64,
    /// Length of the unprotected header (through the packet number) at the
    /// start of the output buffer; the plaintext follows it.
    pub header_len: usize,
}

/// Removes header protection from the packet `hdr` describes (parsed from
/// `buf`) and decrypts it with `keys`. On success `out` holds the
/// unprotected header followed by the plaintext payload (the tag dropped):
/// `&out[opened.header_len..]` is the payload. `largest_pn` is the largest
/// packet number received in this direction (for packet-number recovery).
pub fn open(
    buf: &[u8],
    hdr: &LongHeader<'_>,
    keys: &Keys,
    largest_pn: Option<u64>,
    out: &mut Vec<u8>,
) -> Result<Opened, Error> {
    let pkt = buf.get(..hdr.end).ok_or(Error::Truncated {
        what: "packet",
        offset: 0,
    })?;
    let sample_at = hdr.pn_offset + 4;
    let sample: &[u8; 16] = pkt
        .get(sample_at..sample_at + 16)
        .and_then(|s| s.try_into().ok())
        .ok_or(Error::Truncated {
            what: "header protection sample",
            offset: sample_at,
        })?;
    let mask = keys.mask(sample);
    let first = pkt[0] ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let header_len = hdr.pn_offset + pn_len;
    // The sample sits 4 bytes after the packet number's start, so the
    // header is always inside `pkt`; the tag must fit after it.
    if pkt.len() < header_len + 16 {
        return Err(Error::Truncated {
            what: "AEAD tag",
            offset: header_len,
        });
    }
    out.clear();
    out.extend_from_slice(&pkt[..pkt.len() - 16]);
    out[0] = first;
    let mut truncated = 0u64;
    for i in 0..pn_len {
        out[hdr.pn_offset + i] ^= mask[1 + i];
        truncated = (truncated << 8) | u64::from(out[hdr.pn_offset + i]);
    }
    let pn = decode_packet_number(largest_pn, truncated, pn_len);
    let tag = Tag::try_from(&pkt[pkt.len() - 16..]).map_err(|_| Error::Decrypt)?;
    let (aad, payload) = out.split_at_mut(header_len);
    keys.aead
        .decrypt_inout_detached(&keys.nonce(pn), aad, payload.into(), &tag)
        .map_err(|_| Error::Decrypt)?;
    Ok(Opened { pn, header_len })
}

/// Protects a packet: `header` is the unprotected long header through the
/// packet number (its Length field must already count the packet number,
/// `payload.len()` and the 16-byte tag; the low two bits of its first byte
/// give the packet-number length), `pn` the full packet number. Returns the
/// packet as sent, or `None` when the payload is shorter than `4 - pn_len`
/// bytes (the header-protection sample, 4 bytes after the packet number's
/// start, would not exist: RFC 9001, 5.4.2; senders pad).
pub fn seal(header: &[u8], pn: u64, payload: &[u8], keys: &Keys) -> Option<Vec<u8>> {
    let first = *header.first()?;
    let pn_len = usize::from(first & 0x03) + 1;
    let pn_offset = header.len().checked_sub(pn_len)?;
    let mut out = Vec::with_capacity(header.len() + payload.len() + 16);
    out.extend_from_slice(header);
    out.extend_from_slice(payload);
    let (aad, body) = out.split_at_mut(header.len());
    let tag = keys
        .aead
        .encrypt_inout_detached(&keys.nonce(pn), aad, body.into())
        .ok()?;
    out.extend_from_slice(&tag);
    let sample: [u8; 16] = out.get(pn_offset + 4..pn_offset + 20)?.try_into().ok()?;
    let mask = keys.mask(&sample);
    let form_mask = if first & 0x80 != 0 { 0x0f } else { 0x1f };
    out[0] ^= mask[0] & form_mask;
    for i in 0..pn_len {
        out[pn_offset + i] ^= mask[1 + i];
    }
    Some(out)
}

#[cfg(test)]
mod tests;
