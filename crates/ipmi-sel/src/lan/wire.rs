//! RMCP / RMCP+ packets and the RAKP key exchange (IPMI v2.0 rev 1.1,
//! sections 13.6-13.32 and 22.x), without I/O: both the client
//! ([`super::Session`]) and the test simulator (`bmc-sim`) build and read
//! packets through these functions, so the byte layout lives in one place.
//!
//! Every parser takes arbitrary bytes and returns [`WireError`] for anything
//! short, malformed or failing its integrity check; none panics.

use aes::Aes128;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};

/// UDP port of IPMI over LAN (RMCP, "asf-rmcp").
pub const PORT: u16 = 623;
/// RMCP header: version 6, reserved, sequence 0xff (no RMCP ACK), class 7 (IPMI).
pub const RMCP_HEADER: [u8; 4] = [0x06, 0x00, 0xff, 0x07];
/// Session header authentication type of IPMI v2.0 RMCP+ packets.
pub const AUTH_RMCP_PLUS: u8 = 0x06;
/// Slave address of the BMC (responder).
pub const BMC_ADDR: u8 = 0x20;
/// Software ID of a remote console (requester).
pub const CONSOLE_ADDR: u8 = 0x81;

/// Payload types (section 13.27.3), without the encrypted/authenticated bits.
pub mod payload {
    /// An IPMI message.
    pub const IPMI: u8 = 0x00;
    /// RMCP+ Open Session Request.
    pub const OPEN_SESSION_REQUEST: u8 = 0x10;
    /// RMCP+ Open Session Response.
    pub const OPEN_SESSION_RESPONSE: u8 = 0x11;
    /// RAKP Message 1.
    pub const RAKP1: u8 = 0x12;
    /// RAKP Message 2.
    pub const RAKP2: u8 = 0x13;
    /// RAKP Message 3.
    pub const RAKP3: u8 = 0x14;
    /// RAKP Message 4.
    pub const RAKP4: u8 = 0x15;
}

/// Payload type bit: the payload is encrypted.
pub const ENCRYPTED: u8 = 0x80;
/// Payload type bit: the packet carries an integrity trailer.
pub const AUTHENTICATED: u8 = 0x40;

/// A packet or message that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the layout needs.
    #[error("{what} is truncated: {need} bytes needed, {have} present")]
    Short {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// A field with an impossible value.
    #[error("{0}")]
    Malformed(String),
    /// The integrity trailer does not match this session's key.
    #[error("integrity check value does not match the session key")]
    Integrity,
    /// A protected packet arrived where no session keys exist, or the reverse.
    #[error("{0}")]
    Unexpected(&'static str),
}

fn need(what: &'static str, b: &[u8], n: usize) -> Result<(), WireError> {
    if b.len() < n {
        Err(WireError::Short {
            what,
            need: n,
            have: b.len(),
        })
    } else {
        Ok(())
    }
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The two cipher suites this client speaks (section 22.15.2, table 22-20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CipherSuite {
    /// Suite 3: RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128.
    Sha1 = 3,
    /// Suite 17: RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128.
    Sha256 = 17,
}

impl CipherSuite {
    /// The suite with this ID, if supported.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            3 => Some(CipherSuite::Sha1),
            17 => Some(CipherSuite::Sha256),
            _ => None,
        }
    }
    /// Cipher suite ID.
    pub fn id(self) -> u8 {
        self as u8
    }
    /// Authentication algorithm number (RAKP-HMAC-SHA1 1, RAKP-HMAC-SHA256 3).
    pub fn auth_alg(self) -> u8 {
        match self {
            CipherSuite::Sha1 => 0x01,
            CipherSuite::Sha256 => 0x03,
        }
    }
    /// Integrity algorithm number (HMAC-SHA1-96 1, HMAC-SHA256-128 4).
    pub fn integrity_alg(self) -> u8 {
        match self {
            CipherSuite::Sha1 => 0x01,
            CipherSuite::Sha256 => 0x04,
        }
    }
    /// Confidentiality algorithm number (AES-CBC-128 1).
    pub fn crypt_alg(self) -> u8 {
        0x01
    }
    /// The suite with these three algorithms.
    pub fn from_algorithms(auth: u8, integrity: u8, crypt: u8) -> Option<Self> {
        [CipherSuite::Sha1, CipherSuite::Sha256]
            .into_iter()
            .find(|s| {
                s.auth_alg() == auth && s.integrity_alg() == integrity && s.crypt_alg() == crypt
            })
    }
    /// Length of the RAKP 2/3 key exchange authentication codes (the full HMAC).
    pub fn auth_code_len(self) -> usize {
        match self {
            CipherSuite::Sha1 => 20,
            CipherSuite::Sha256 => 32,
        }
    }
    /// Length of the RAKP 4 and packet integrity check values (truncated HMAC).
    pub fn icv_len(self) -> usize {
        match self {
            CipherSuite::Sha1 => 12,
            CipherSuite::Sha256 => 16,
        }
    }
    /// HMAC with this suite's hash over the concatenation of `parts`.
    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes keys of any length; this cannot fail.
            let Ok(mut m) = <M as KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            CipherSuite::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
            CipherSuite::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
        }
    }
}

/// The user key Kuid: the password, zero-padded to 20 bytes (section 13.31).
pub fn user_key(password: &[u8]) -> [u8; 20] {
    let mut k = [0u8; 20];
    let n = password.len().min(20);
    k[..n].copy_from_slice(&password[..n]);
    k
}

/// RAKP 2 key exchange authentication code:
/// HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | ROLEm | ULENGTHm | UNAMEm).
#[allow(clippy::too_many_arguments)]
pub fn rakp2_code(
    suite: CipherSuite,
    kuid: &[u8],
    console_sid: u32,
    bmc_sid: u32,
    rm: &[u8; 16],
    rc: &[u8; 16],
    guid: &[u8; 16],
    role: u8,
    user: &[u8],
) -> Vec<u8> {
    suite.hmac(
        kuid,
        &[
            &console_sid.to_le_bytes(),
            &bmc_sid.to_le_bytes(),
            rm,
            rc,
            guid,
            &[role, user.len() as u8],
            user,
        ],
    )
}

/// RAKP 3 key exchange authentication code:
/// HMAC_Kuid(Rc | SIDm | ROLEm | ULENGTHm | UNAMEm).
pub fn rakp3_code(
    suite: CipherSuite,
    kuid: &[u8],
    rc: &[u8; 16],
    console_sid: u32,
    role: u8,
    user: &[u8],
) -> Vec<u8> {
    suite.hmac(
        kuid,
        &[
            rc,
            &console_sid.to_le_bytes(),
            &[role, user.len() as u8],
            user,
        ],
    )
}

/// Session integrity key: HMAC_KG(Rm | Rc | ROLEm | ULENGTHm | UNAMEm),
/// KG being Kuid when the BMC has no BMC key.
pub fn session_integrity_key(
    suite: CipherSuite,
    kg: &[u8],
    rm: &[u8; 16],
    rc: &[u8; 16],
    role: u8,
    user: &[u8],
) -> Vec<u8> {
    suite.hmac(kg, &[rm, rc, &[role, user.len() as u8], user])
}

/// RAKP 4 integrity check value: HMAC_SIK(Rm | SIDc | GUIDc), truncated.
pub fn rakp4_icv(
    suite: CipherSuite,
    sik: &[u8],
    rm: &[u8; 16],
    bmc_sid: u32,
    guid: &[u8; 16],
) -> Vec<u8> {
    let mut v = suite.hmac(sik, &[rm, &bmc_sid.to_le_bytes(), guid]);
    v.truncate(suite.icv_len());
    v
}

/// Keys of an active session: K1 (integrity) = HMAC_SIK(0x01 x 20) and the
/// AES-128 key, the first 16 bytes of K2 = HMAC_SIK(0x02 x 20).
#[derive(Clone)]
pub struct SessionKeys {
    /// Cipher suite.
    pub suite: CipherSuite,
    k1: Vec<u8>,
    aes: [u8; 16],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionKeys({:?}, ***)", self.suite)
    }
}

impl SessionKeys {
    /// Derive K1 and K2 from the session integrity key.
    pub fn derive(suite: CipherSuite, sik: &[u8]) -> Self {
        let k1 = suite.hmac(sik, &[&[0x01; 20]]);
        let k2 = suite.hmac(sik, &[&[0x02; 20]]);
        let mut aes = [0u8; 16];
        aes.copy_from_slice(&k2[..16]);
        SessionKeys { suite, k1, aes }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut v = self.suite.hmac(&self.k1, &[data]);
        v.truncate(self.suite.icv_len());
        v
    }

    /// AES-CBC-128 with the spec's trailer: pad bytes 1, 2, ... N and the pad
    /// length N so the plaintext fills whole blocks; the IV goes first.
    pub fn encrypt(&self, plain: &[u8], iv: [u8; 16]) -> Vec<u8> {
        let pad = (16 - (plain.len() + 1) % 16) % 16;
        let mut buf = Vec::with_capacity(16 + plain.len() + pad + 1);
        buf.extend_from_slice(&iv);
        buf.extend_from_slice(plain);
        buf.extend((1..=pad).map(|i| i as u8));
        buf.push(pad as u8);
        let len = buf.len() - 16;
        if let Ok(enc) = cbc::Encryptor::<Aes128>::new_from_slices(&self.aes, &iv) {
            // The length is a multiple of 16 by construction.
            let _ = enc.encrypt_padded::<NoPadding>(&mut buf[16..], len);
        }
        buf
    }

    /// Reverse [`SessionKeys::encrypt`].
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, WireError> {
        need("encrypted payload", data, 32)?;
        let (iv, body) = data.split_at(16);
        if body.len() % 16 != 0 {
            return Err(WireError::Malformed(format!(
                "encrypted payload of {} bytes is not a whole number of AES blocks",
                body.len()
            )));
        }
        let mut buf = body.to_vec();
        let dec = cbc::Decryptor::<Aes128>::new_from_slices(&self.aes, iv)
            .map_err(|_| WireError::Unexpected("bad AES key or IV length"))?;
        dec.decrypt_padded::<NoPadding>(&mut buf)
            .map_err(|_| WireError::Malformed("AES-CBC decryption failed".into()))?;
        let pad = usize::from(buf[buf.len() - 1]);
        if pad > 15 || pad + 1 > buf.len() {
            return Err(WireError::Malformed(format!(
                "confidentiality pad length {pad} is impossible (wrong key?)"
            )));
        }
        let plain_len = buf.len() - pad - 1;
        if buf[plain_len..plain_len + pad]
            .iter()
            .enumerate()
            .any(|(i, &b)| usize::from(b) != i + 1)
        {
            return Err(WireError::Malformed(
                "confidentiality pad bytes are not 1, 2, 3... (wrong key?)".into(),
            ));
        }
        buf.truncate(plain_len);
        Ok(buf)
    }
}

/// One received RMCP packet with its session header, payload decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Session header authentication type (0 none, 6 RMCP+).
    pub auth_type: u8,
    /// Payload type with its encrypted/authenticated bits (0 for IPMI v1.5).
    pub payload_type: u8,
    /// Session ID.
    pub session_id: u32,
    /// Session sequence number.
    pub seq: u32,
    /// The payload (plain text).
    pub payload: Vec<u8>,
}

impl Packet {
    /// Payload type without the encrypted/authenticated bits.
    pub fn kind(&self) -> u8 {
        self.payload_type & 0x3f
    }
}

/// Read an RMCP packet. `keys` verify and decrypt protected packets; a
/// protected packet without keys, or one whose trailer does not match, is an
/// error.
pub fn parse_packet(b: &[u8], keys: Option<&SessionKeys>) -> Result<Packet, WireError> {
    need("RMCP header", b, 5)?;
    if b[0] != RMCP_HEADER[0] || b[3] & 0x1f != RMCP_HEADER[3] {
        return Err(WireError::Malformed(format!(
            "not an IPMI RMCP packet (header {:02x} {:02x} {:02x} {:02x})",
            b[0], b[1], b[2], b[3]
        )));
    }
    let auth_type = b[4] & 0x0f;
    if auth_type != AUTH_RMCP_PLUS {
        // IPMI v1.5 session header: auth type, seq, session id, [16-byte
        // auth code unless type none], length (1 byte), message.
        let code = if auth_type == 0 { 0 } else { 16 };
        let hdr = 4 + 1 + 4 + 4 + code + 1;
        need("IPMI v1.5 session header", b, hdr)?;
        let len = usize::from(b[hdr - 1]);
        need("IPMI v1.5 message", b, hdr + len)?;
        return Ok(Packet {
            auth_type,
            payload_type: 0,
            seq: u32le(b, 5),
            session_id: u32le(b, 9),
            payload: b[hdr..hdr + len].to_vec(),
        });
    }
    need("IPMI v2.0 session header", b, 16)?;
    let payload_type = b[5];
    if payload_type & 0x3f == 0x02 {
        return Err(WireError::Malformed(
            "OEM explicit payloads are not supported".into(),
        ));
    }
    let session_id = u32le(b, 6);
    let seq = u32le(b, 10);
    let len = usize::from(u16le(b, 14));
    need("IPMI v2.0 payload", b, 16 + len)?;
    let body = &b[16..16 + len];
    let authenticated = payload_type & AUTHENTICATED != 0;
    let encrypted = payload_type & ENCRYPTED != 0;
    if (authenticated || encrypted) && keys.is_none() {
        return Err(WireError::Unexpected(
            "protected packet outside an active session",
        ));
    }
    if let (true, Some(k)) = (authenticated, keys) {
        let icv = k.suite.icv_len();
        need("integrity trailer", b, 16 + len + 2 + icv)?;
        let end = b.len() - icv;
        // pad length and next header sit right before the code
        let pad = usize::from(b[end - 2]);
        if b[end - 1] != 0x07 || 16 + len + pad + 2 != end {
            return Err(WireError::Malformed(format!(
                "integrity trailer does not fit: payload {len} bytes, pad {pad}, packet {} bytes",
                b.len()
            )));
        }
        if k.mac(&b[4..end]) != b[end..] {
            return Err(WireError::Integrity);
        }
    }
    let payload = match (encrypted, keys) {
        (true, Some(k)) => k.decrypt(body)?,
        _ => body.to_vec(),
    };
    Ok(Packet {
        auth_type,
        payload_type,
        session_id,
        seq,
        payload,
    })
}

/// Build an IPMI v1.5 packet without authentication (used before a session:
/// Get Channel Authentication Capabilities).
pub fn encode_v15(msg: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(14 + msg.len());
    p.extend_from_slice(&RMCP_HEADER);
    p.push(0x00); // auth type none
    p.extend_from_slice(&0u32.to_le_bytes()); // session seq
    p.extend_from_slice(&0u32.to_le_bytes()); // session id
    p.push(msg.len() as u8);
    p.extend_from_slice(msg);
    p
}

/// Build an IPMI v2.0 (RMCP+) packet. With `keys` the payload is encrypted
/// with `iv` and the integrity trailer added.
pub fn encode_v2(
    payload_type: u8,
    session_id: u32,
    seq: u32,
    payload: &[u8],
    keys: Option<&SessionKeys>,
    iv: [u8; 16],
) -> Vec<u8> {
    let (pt, body) = match keys {
        Some(k) => (
            payload_type | ENCRYPTED | AUTHENTICATED,
            k.encrypt(payload, iv),
        ),
        None => (payload_type, payload.to_vec()),
    };
    let mut p = Vec::with_capacity(16 + body.len() + 24);
    p.extend_from_slice(&RMCP_HEADER);
    p.push(AUTH_RMCP_PLUS);
    p.push(pt);
    p.extend_from_slice(&session_id.to_le_bytes());
    p.extend_from_slice(&seq.to_le_bytes());
    p.extend_from_slice(&(body.len() as u16).to_le_bytes());
    p.extend_from_slice(&body);
    if let Some(k) = keys {
        // Integrity pad: auth type .. next header is a multiple of 4.
        let pad = (4 - (p.len() - 4 + 2) % 4) % 4;
        p.extend(std::iter::repeat_n(0xff, pad));
        p.push(pad as u8);
        p.push(0x07);
        let mac = k.mac(&p[4..]);
        p.extend_from_slice(&mac);
    }
    p
}

/// An IPMI message (section 13.8): request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpmiMsg {
    /// First address: responder (request) or requester (response).
    pub addr1: u8,
    /// Network function (even for requests, odd for responses).
    pub netfn: u8,
    /// LUN in byte 1.
    pub lun1: u8,
    /// Second address.
    pub addr2: u8,
    /// Requester's sequence number (6 bits).
    pub rq_seq: u8,
    /// LUN in byte 4.
    pub lun2: u8,
    /// Command.
    pub cmd: u8,
    /// Data (for a response: the completion code first).
    pub data: Vec<u8>,
}

fn checksum(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |a, &x| a.wrapping_add(x)).wrapping_neg()
}

/// Build a request from the console to the BMC.
pub fn encode_request(netfn: u8, cmd: u8, rq_seq: u8, data: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(7 + data.len());
    m.extend_from_slice(&[BMC_ADDR, netfn << 2]);
    m.push(checksum(&m[..2]));
    m.extend_from_slice(&[CONSOLE_ADDR, (rq_seq & 0x3f) << 2, cmd]);
    m.extend_from_slice(data);
    m.push(checksum(&m[3..]));
    m
}

/// Build the response to `req`: completion code `cc`, then `data`.
pub fn encode_response(req: &IpmiMsg, cc: u8, data: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + data.len());
    m.extend_from_slice(&[req.addr2, ((req.netfn | 1) << 2) | (req.lun2 & 3)]);
    m.push(checksum(&m[..2]));
    m.extend_from_slice(&[req.addr1, (req.rq_seq << 2) | (req.lun1 & 3), req.cmd, cc]);
    m.extend_from_slice(data);
    m.push(checksum(&m[3..]));
    m
}

/// Read an IPMI message and check both checksums.
pub fn parse_msg(b: &[u8]) -> Result<IpmiMsg, WireError> {
    need("IPMI message", b, 7)?;
    if checksum(&b[..2]) != b[2] {
        return Err(WireError::Malformed(
            "IPMI message header checksum is wrong".into(),
        ));
    }
    let last = b.len() - 1;
    if checksum(&b[3..last]) != b[last] {
        return Err(WireError::Malformed(
            "IPMI message data checksum is wrong".into(),
        ));
    }
    Ok(IpmiMsg {
        addr1: b[0],
        netfn: b[1] >> 2,
        lun1: b[1] & 3,
        addr2: b[3],
        rq_seq: b[4] >> 2,
        lun2: b[4] & 3,
        cmd: b[5],
        data: b[6..last].to_vec(),
    })
}

/// RMCP+ Open Session Request (section 13.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSessionRequest {
    /// Message tag echoed in the answer.
    pub tag: u8,
    /// Requested maximum privilege (0: the highest the algorithms allow).
    pub max_privilege: u8,
    /// Session ID the console picks for the BMC to use towards it.
    pub console_sid: u32,
    /// Authentication, integrity and confidentiality algorithm numbers.
    pub algorithms: [u8; 3],
}

impl OpenSessionRequest {
    /// Bytes of the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.tag, self.max_privilege, 0, 0];
        v.extend_from_slice(&self.console_sid.to_le_bytes());
        for (i, a) in self.algorithms.iter().enumerate() {
            v.extend_from_slice(&[i as u8, 0, 0, 8, *a, 0, 0, 0]);
        }
        v
    }
    /// Read the payload.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        need("Open Session Request", b, 32)?;
        let alg = |i: usize| b[8 + 8 * i + 4] & 0x3f;
        Ok(OpenSessionRequest {
            tag: b[0],
            max_privilege: b[1] & 0x0f,
            console_sid: u32le(b, 4),
            algorithms: [alg(0), alg(1), alg(2)],
        })
    }
}

/// RMCP+ Open Session Response (section 13.18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSessionResponse {
    /// Message tag.
    pub tag: u8,
    /// RMCP+ status code (0: success).
    pub status: u8,
    /// Maximum privilege granted.
    pub max_privilege: u8,
    /// The console's session ID.
    pub console_sid: u32,
    /// The BMC's session ID (0 on error).
    pub bmc_sid: u32,
    /// Chosen algorithms (zero on error).
    pub algorithms: [u8; 3],
}

impl OpenSessionResponse {
    /// Bytes of the payload (short form when `status` is an error).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.tag, self.status, self.max_privilege, 0];
        v.extend_from_slice(&self.console_sid.to_le_bytes());
        if self.status == 0 {
            v.extend_from_slice(&self.bmc_sid.to_le_bytes());
            for (i, a) in self.algorithms.iter().enumerate() {
                v.extend_from_slice(&[i as u8, 0, 0, 8, *a, 0, 0, 0]);
            }
        }
        v
    }
    /// Read the payload. An error answer may stop after the status byte
    /// (OpenIPMI does); the missing fields read as 0.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        need("Open Session Response", b, 2)?;
        if b[1] == 0 {
            need("Open Session Response", b, 36)?;
        }
        let mut r = OpenSessionResponse {
            tag: b[0],
            status: b[1],
            max_privilege: b.get(2).map_or(0, |p| p & 0x0f),
            console_sid: if b.len() >= 8 { u32le(b, 4) } else { 0 },
            bmc_sid: 0,
            algorithms: [0; 3],
        };
        if r.status == 0 {
            need("Open Session Response", b, 36)?;
            r.bmc_sid = u32le(b, 8);
            for i in 0..3 {
                r.algorithms[i] = b[12 + 8 * i + 4] & 0x3f;
            }
        }
        Ok(r)
    }
}

/// RAKP Message 1 (section 13.20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rakp1 {
    /// Message tag.
    pub tag: u8,
    /// The BMC's session ID.
    pub bmc_sid: u32,
    /// Console random number Rm.
    pub rm: [u8; 16],
    /// Requested role (privilege, bit 4: name-only lookup).
    pub role: u8,
    /// User name (at most 16 bytes).
    pub user: Vec<u8>,
}

impl Rakp1 {
    /// Bytes of the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.tag, 0, 0, 0];
        v.extend_from_slice(&self.bmc_sid.to_le_bytes());
        v.extend_from_slice(&self.rm);
        v.extend_from_slice(&[self.role, 0, 0, self.user.len() as u8]);
        v.extend_from_slice(&self.user);
        v
    }
    /// Read the payload.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        need("RAKP Message 1", b, 28)?;
        let ulen = usize::from(b[27]);
        if ulen > 16 {
            return Err(WireError::Malformed(format!(
                "RAKP 1 user name length {ulen} exceeds 16"
            )));
        }
        need("RAKP Message 1", b, 28 + ulen)?;
        let mut rm = [0u8; 16];
        rm.copy_from_slice(&b[8..24]);
        Ok(Rakp1 {
            tag: b[0],
            bmc_sid: u32le(b, 4),
            rm,
            role: b[24],
            user: b[28..28 + ulen].to_vec(),
        })
    }
}

/// RAKP Message 2 (section 13.21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rakp2 {
    /// Message tag.
    pub tag: u8,
    /// RMCP+ status code.
    pub status: u8,
    /// The console's session ID.
    pub console_sid: u32,
    /// BMC random number Rc.
    pub rc: [u8; 16],
    /// The BMC's GUID.
    pub guid: [u8; 16],
    /// Key exchange authentication code.
    pub code: Vec<u8>,
}

impl Rakp2 {
    /// Bytes of the payload (short form on error).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.tag, self.status, 0, 0];
        v.extend_from_slice(&self.console_sid.to_le_bytes());
        if self.status == 0 {
            v.extend_from_slice(&self.rc);
            v.extend_from_slice(&self.guid);
            v.extend_from_slice(&self.code);
        }
        v
    }
    /// Read the payload; the code is whatever follows the GUID. An error
    /// answer may stop after the status byte; missing fields read as 0.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        need("RAKP Message 2", b, 2)?;
        let mut r = Rakp2 {
            tag: b[0],
            status: b[1],
            console_sid: if b.len() >= 8 { u32le(b, 4) } else { 0 },
            rc: [0; 16],
            guid: [0; 16],
            code: Vec::new(),
        };
        if r.status == 0 {
            need("RAKP Message 2", b, 40)?;
            r.rc.copy_from_slice(&b[8..24]);
            r.guid.copy_from_slice(&b[24..40]);
            r.code = b[40..].to_vec();
        }
        Ok(r)
    }
}

/// RAKP Message 3 (section 13.22) and 4 (13.23): tag, status, a session ID
/// (the BMC's in 3, the console's in 4) and an authentication code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rakp34 {
    /// Message tag.
    pub tag: u8,
    /// RMCP+ status code.
    pub status: u8,
    /// Session ID.
    pub sid: u32,
    /// Key exchange authentication code (3) or integrity check value (4).
    pub code: Vec<u8>,
}

impl Rakp34 {
    /// Bytes of the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.tag, self.status, 0, 0];
        v.extend_from_slice(&self.sid.to_le_bytes());
        v.extend_from_slice(&self.code);
        v
    }
    /// Read the payload. An error answer may stop after the status byte;
    /// missing fields read as 0.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        need("RAKP Message 3/4", b, 2)?;
        if b[1] == 0 {
            need("RAKP Message 3/4", b, 8)?;
        }
        Ok(Rakp34 {
            tag: b[0],
            status: b[1],
            sid: if b.len() >= 8 { u32le(b, 4) } else { 0 },
            code: b.get(8..).unwrap_or_default().to_vec(),
        })
    }
}

/// Text of an RMCP+ status code (section 13.24, table 13-15).
pub fn rmcp_status_text(code: u8) -> &'static str {
    match code {
        0x00 => "no errors",
        0x01 => "insufficient resources to create a session",
        0x02 => "invalid session ID",
        0x03 => "invalid payload type",
        0x04 => "invalid authentication algorithm",
        0x05 => "invalid integrity algorithm",
        0x06 => "no matching authentication payload",
        0x07 => "no matching integrity payload",
        0x08 => "inactive session ID",
        0x09 => "invalid role",
        0x0a => "unauthorized role or privilege level requested",
        0x0b => "insufficient resources to create a session at the requested role",
        0x0c => "invalid name length",
        0x0d => "unauthorized name",
        0x0e => "unauthorized GUID",
        0x0f => "invalid integrity check value",
        0x10 => "invalid confidentiality algorithm",
        0x11 => "no cipher suite match with proposed security algorithms",
        0x12 => "illegal or unrecognized parameter",
        _ => "reserved status code",
    }
}

/// Text of an IPMI completion code (section 5.2, table 5-2).
pub fn completion_text(cc: u8) -> &'static str {
    match cc {
        0x00 => "command completed normally",
        0xc0 => "node busy",
        0xc1 => "invalid command",
        0xc2 => "command invalid for given LUN",
        0xc3 => "timeout while processing command",
        0xc4 => "out of space",
        0xc5 => "reservation canceled or invalid reservation ID",
        0xc6 => "request data truncated",
        0xc7 => "request data length invalid",
        0xc8 => "request data field length limit exceeded",
        0xc9 => "parameter out of range",
        0xca => "cannot return number of requested data bytes",
        0xcb => "requested sensor, data, or record not present",
        0xcc => "invalid data field in request",
        0xcd => "command illegal for specified sensor or record type",
        0xce => "command response could not be provided",
        0xcf => "cannot execute duplicated request",
        0xd0 => "SDR repository in update mode",
        0xd1 => "device in firmware update mode",
        0xd2 => "BMC initialization in progress",
        0xd3 => "destination unavailable",
        0xd4 => "insufficient privilege level",
        0xd5 => "command not supported in present state",
        0xd6 => "command sub-function disabled or unavailable",
        0xff => "unspecified error",
        _ => "device-specific or reserved completion code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_round_trip_and_padding() {
        let k = SessionKeys::derive(CipherSuite::Sha256, b"sik");
        for n in 0..40 {
            let plain: Vec<u8> = (0..n as u8).collect();
            let c = k.encrypt(&plain, [7; 16]);
            assert_eq!((c.len() - 16) % 16, 0);
            assert_eq!(k.decrypt(&c).unwrap(), plain);
        }
    }

    #[test]
    fn v2_packet_round_trip_and_tamper() {
        for suite in [CipherSuite::Sha1, CipherSuite::Sha256] {
            let k = SessionKeys::derive(suite, b"0123456789abcdefghij");
            let msg = encode_request(0x0a, 0x43, 5, &[0, 0, 0, 0, 0, 0xff]);
            let p = encode_v2(payload::IPMI, 0x1234, 9, &msg, Some(&k), [3; 16]);
            assert_eq!((p.len() - 4 - suite.icv_len()) % 4, 0);
            let got = parse_packet(&p, Some(&k)).unwrap();
            assert_eq!(got.payload, msg);
            assert_eq!(got.session_id, 0x1234);
            assert_eq!(got.seq, 9);
            let mut bad = p.clone();
            bad[20] ^= 1;
            assert_eq!(parse_packet(&bad, Some(&k)), Err(WireError::Integrity));
            let other = SessionKeys::derive(suite, b"other");
            assert!(parse_packet(&p, Some(&other)).is_err());
            assert!(parse_packet(&p, None).is_err());
        }
    }

    #[test]
    fn messages_round_trip() {
        let req = parse_msg(&encode_request(0x06, 0x38, 63, &[0x8e, 4])).unwrap();
        assert_eq!((req.netfn, req.cmd, req.rq_seq), (0x06, 0x38, 63));
        let resp = parse_msg(&encode_response(&req, 0, &[1, 2])).unwrap();
        assert_eq!(
            (resp.netfn, resp.rq_seq, resp.data.as_slice()),
            (0x07, 63, &[0u8, 1, 2][..])
        );
        let o = OpenSessionRequest {
            tag: 1,
            max_privilege: 4,
            console_sid: 0xa0a1a2a3,
            algorithms: [3, 4, 1],
        };
        assert_eq!(OpenSessionRequest::parse(&o.encode()).unwrap(), o);
        let r1 = Rakp1 {
            tag: 2,
            bmc_sid: 7,
            rm: [9; 16],
            role: 0x14,
            user: b"admin".to_vec(),
        };
        assert_eq!(Rakp1::parse(&r1.encode()).unwrap(), r1);
    }

    /// The HMAC-SHA1 vector of RFC 2202 test case 2 (key "Jefe").
    #[test]
    fn hmac_sha1_known_answer() {
        let mac = CipherSuite::Sha1.hmac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            crate::decode::hex(&mac),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
