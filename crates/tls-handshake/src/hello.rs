//! Zero-copy ClientHello and ServerHello views (TLS 1.0-1.3, SSL 3.0 and the
//! SSLv2-compatible CLIENT-HELLO).

use crate::error::ParseError;
use crate::reader::Reader;
use crate::version::{Version, is_grease};

/// Handshake message type of a ClientHello.
pub const HANDSHAKE_CLIENT_HELLO: u8 = 1;
/// Handshake message type of a ServerHello (and of a HelloRetryRequest).
pub const HANDSHAKE_SERVER_HELLO: u8 = 2;

/// Extension numbers this crate interprets.
pub mod ext {
    /// `server_name` (SNI, RFC 6066).
    pub const SERVER_NAME: u16 = 0x0000;
    /// `signature_algorithms` (RFC 8446).
    pub const SIGNATURE_ALGORITHMS: u16 = 0x000d;
    /// `application_layer_protocol_negotiation` (ALPN, RFC 7301).
    pub const ALPN: u16 = 0x0010;
    /// `supported_versions` (RFC 8446).
    pub const SUPPORTED_VERSIONS: u16 = 0x002b;
}

/// The ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest")
/// (RFC 8446, section 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Iterator over a validated extension block: `(type, data)`.
#[derive(Clone, Debug)]
pub struct Extensions<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Extensions<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        // The block was validated at parse time, so these reads cannot fail;
        // `get` keeps it panic-free regardless.
        let head = self.rest.get(..4)?;
        let ty = u16::from_be_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let data = self.rest.get(4..4 + len)?;
        self.rest = &self.rest[4 + len..];
        Some((ty, data))
    }
}

fn validate_extensions(block: &[u8], base: usize) -> Result<(), ParseError> {
    let mut r = Reader::new(block, base);
    while !r.is_empty() {
        r.u16("extension type")?;
        r.vec16("extension data")?;
    }
    Ok(())
}

fn u16s(b: &[u8]) -> impl Iterator<Item = u16> + '_ {
    b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))
}

/// A parsed ClientHello, borrowing the message bytes.
#[derive(Clone, Debug)]
pub struct ClientHello<'a> {
    /// `legacy_version` (`client_version` before TLS 1.3).
    pub legacy_version: Version,
    /// The 32-byte random (SSLv2: the challenge, 16 to 32 bytes).
    pub random: &'a [u8],
    /// The legacy session id.
    pub session_id: &'a [u8],
    /// Raw cipher suite list: 2 bytes each, or 3 bytes each when `sslv2`.
    cipher_bytes: &'a [u8],
    /// Compression methods (empty for SSLv2).
    pub compression_methods: &'a [u8],
    /// Raw, validated extension block (empty when there are none).
    ext_bytes: &'a [u8],
    /// True when the hello was SSLv2-framed (`0x80` header, CLIENT-HELLO).
    pub sslv2: bool,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello body (the bytes after the 4-byte handshake header).
    pub fn parse(body: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(body, 0);
        let (legacy_version, random, session_id) = hello_prefix(&mut r, "client_version")?;
        let off = r.offset();
        let cipher_bytes = r.vec16("cipher_suites")?;
        if cipher_bytes.len() % 2 != 0 {
            return Err(ParseError::invalid(
                "cipher_suites",
                off,
                format!("odd length {}", cipher_bytes.len()),
            ));
        }
        let compression_methods = r.vec8("compression_methods")?;
        let ext_bytes = extensions_to_end(&mut r, "ClientHello")?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id,
            cipher_bytes,
            compression_methods,
            ext_bytes,
            sslv2: false,
        })
    }

    /// Parses an SSLv2-framed CLIENT-HELLO message: `msg` starts at the
    /// message type byte (`1`), after the 2-byte record header.
    pub fn parse_sslv2(msg: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(msg, 0);
        let ty = r.u8("SSLv2 message type")?;
        if ty != 1 {
            return Err(ParseError::invalid(
                "SSLv2 message type",
                0,
                format!("{ty} is not CLIENT-HELLO (1)"),
            ));
        }
        let legacy_version = Version(r.u16("SSLv2 version")?);
        if !matches!(legacy_version.0, 0x0002 | 0x0300..=0x0304) {
            return Err(ParseError::invalid(
                "SSLv2 version",
                1,
                format!("0x{:04x}", legacy_version.0),
            ));
        }
        let cs_len = usize::from(r.u16("cipher_spec_length")?);
        let sid_len = usize::from(r.u16("session_id_length")?);
        let ch_len = usize::from(r.u16("challenge_length")?);
        if cs_len % 3 != 0 {
            return Err(ParseError::invalid(
                "cipher_spec_length",
                3,
                format!("{cs_len} is not a multiple of 3"),
            ));
        }
        if !(16..=32).contains(&ch_len) {
            return Err(ParseError::invalid(
                "challenge_length",
                7,
                format!("{ch_len} is outside 16..=32"),
            ));
        }
        if sid_len != 0 && sid_len != 16 && sid_len != 32 {
            return Err(ParseError::invalid(
                "session_id_length",
                5,
                format!("{sid_len} is not 0, 16 or 32"),
            ));
        }
        let cipher_bytes = r.bytes(cs_len, "cipher_specs")?;
        let session_id = r.bytes(sid_len, "session_id")?;
        let random = r.bytes(ch_len, "challenge")?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id,
            cipher_bytes,
            compression_methods: &[],
            ext_bytes: &[],
            sslv2: true,
        })
    }

    /// Cipher suites in wire order, GREASE included. For an SSLv2 hello only
    /// the TLS-compatible specs (`0x00xxxx`) are returned, as `0xxxxx`.
    pub fn cipher_suites(&self) -> impl Iterator<Item = u16> + 'a {
        let sslv2 = self.sslv2;
        let (two, three) = if sslv2 {
            (&[][..], self.cipher_bytes)
        } else {
            (self.cipher_bytes, &[][..])
        };
        u16s(two).chain(
            three
                .chunks_exact(3)
                .filter(|c| c[0] == 0)
                .map(|c| u16::from_be_bytes([c[1], c[2]])),
        )
    }

    /// Number of SSLv2-only cipher specs (first byte non-zero); 0 for TLS hellos.
    pub fn sslv2_only_ciphers(&self) -> usize {
        if self.sslv2 {
            self.cipher_bytes
                .chunks_exact(3)
                .filter(|c| c[0] != 0)
                .count()
        } else {
            0
        }
    }

    /// Extensions in wire order, GREASE included.
    pub fn extensions(&self) -> Extensions<'a> {
        Extensions {
            rest: self.ext_bytes,
        }
    }

    /// Data of the first extension of type `ty`.
    pub fn extension(&self, ty: u16) -> Option<&'a [u8]> {
        self.extensions().find(|&(t, _)| t == ty).map(|(_, d)| d)
    }

    /// The first `host_name` of the `server_name` extension, raw bytes.
    pub fn sni(&self) -> Option<&'a [u8]> {
        let data = self.extension(ext::SERVER_NAME)?;
        let mut r = Reader::new(data, 0);
        let mut list = Reader::new(r.vec16("server_name_list").ok()?, 0);
        while !list.is_empty() {
            let ty = list.u8("name_type").ok()?;
            let name = list.vec16("host_name").ok()?;
            if ty == 0 {
                return Some(name);
            }
        }
        None
    }

    /// ALPN protocol names in the client's order (empty if no extension).
    pub fn alpn(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let list = self
            .extension(ext::ALPN)
            .and_then(|d| Reader::new(d, 0).vec16("protocol_name_list").ok())
            .unwrap_or(&[]);
        let mut r = Reader::new(list, 0);
        std::iter::from_fn(move || {
            if r.is_empty() {
                None
            } else {
                r.vec8("protocol_name").ok()
            }
        })
    }

    /// The `supported_versions` list in the client's order, GREASE
    /// included, or `None` when the extension is absent or malformed.
    pub fn supported_versions(&self) -> Option<impl Iterator<Item = Version> + 'a> {
        let d = self.extension(ext::SUPPORTED_VERSIONS)?;
        let list = Reader::new(d, 0).vec8("versions").ok()?;
        Some(u16s(list).map(Version))
    }

    /// Signature algorithms in the client's order (empty if absent).
    pub fn signature_algorithms(&self) -> impl Iterator<Item = u16> + 'a {
        let list = self
            .extension(ext::SIGNATURE_ALGORITHMS)
            .and_then(|d| {
                Reader::new(d, 0)
                    .vec16("supported_signature_algorithms")
                    .ok()
            })
            .unwrap_or(&[]);
        u16s(list)
    }

    /// The versions the client offers, strongest first, without GREASE or
    /// unknown values: the `supported_versions` list when present, otherwise
    /// just `legacy_version` (before TLS 1.3 a client offered "up to" it).
    pub fn offered_versions(&self) -> Vec<Version> {
        let mut v: Vec<Version> = match self.supported_versions() {
            Some(it) => it.filter(|v| v.is_known()).collect(),
            None => Vec::new(),
        };
        if v.is_empty() {
            v.push(self.legacy_version);
        }
        v.sort_by_key(|v| std::cmp::Reverse(v.rank()));
        v.dedup();
        v
    }

    /// The highest version the client offers (see [`offered_versions`](Self::offered_versions)).
    pub fn highest_version(&self) -> Version {
        self.offered_versions()
            .into_iter()
            .next()
            .unwrap_or(self.legacy_version)
    }
}

/// A parsed ServerHello (or HelloRetryRequest), borrowing the message bytes.
#[derive(Clone, Debug)]
pub struct ServerHello<'a> {
    /// `legacy_version` (`server_version` before TLS 1.3).
    pub legacy_version: Version,
    /// The 32-byte random (or the SSLv2 connection id).
    pub random: &'a [u8],
    /// The legacy session id echo.
    pub session_id: &'a [u8],
    /// The chosen cipher suite (for SSLv2: the first offered cipher kind's low 16 bits).
    pub cipher_suite: u16,
    /// The chosen compression method.
    pub compression_method: u8,
    ext_bytes: &'a [u8],
    /// True when this was an SSLv2 SERVER-HELLO.
    pub sslv2: bool,
}

impl<'a> ServerHello<'a> {
    /// Parses a ServerHello body (the bytes after the 4-byte handshake header).
    pub fn parse(body: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(body, 0);
        let (legacy_version, random, session_id) = hello_prefix(&mut r, "server_version")?;
        let cipher_suite = r.u16("cipher_suite")?;
        let compression_method = r.u8("compression_method")?;
        let ext_bytes = extensions_to_end(&mut r, "ServerHello")?;
        Ok(ServerHello {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            ext_bytes,
            sslv2: false,
        })
    }

    /// Parses an SSLv2 SERVER-HELLO message starting at its type byte (`4`).
    pub fn parse_sslv2(msg: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(msg, 0);
        let ty = r.u8("SSLv2 message type")?;
        if ty != 4 {
            return Err(ParseError::invalid(
                "SSLv2 message type",
                0,
                format!("{ty} is not SERVER-HELLO (4)"),
            ));
        }
        let _session_id_hit = r.u8("session_id_hit")?;
        let _cert_type = r.u8("certificate_type")?;
        let legacy_version = Version(r.u16("server_version")?);
        if legacy_version != Version::SSL2 {
            return Err(ParseError::invalid(
                "server_version",
                3,
                format!("0x{:04x} is not SSL 2.0", legacy_version.0),
            ));
        }
        let cert_len = usize::from(r.u16("certificate_length")?);
        let cs_len = usize::from(r.u16("cipher_specs_length")?);
        let cid_len = usize::from(r.u16("connection_id_length")?);
        if cs_len % 3 != 0 {
            return Err(ParseError::invalid(
                "cipher_specs_length",
                7,
                format!("{cs_len} is not a multiple of 3"),
            ));
        }
        r.bytes(cert_len, "certificate")?;
        let specs = r.bytes(cs_len, "cipher_specs")?;
        let random = r.bytes(cid_len, "connection_id")?;
        let cipher_suite = specs
            .get(..3)
            .map_or(0, |c| u16::from_be_bytes([c[1], c[2]]));
        Ok(ServerHello {
            legacy_version,
            random,
            session_id: &[],
            cipher_suite,
            compression_method: 0,
            ext_bytes: &[],
            sslv2: true,
        })
    }

    /// True when this is a TLS 1.3 HelloRetryRequest (its random is the
    /// special RFC 8446 value), not a real ServerHello.
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// Extensions in wire order.
    pub fn extensions(&self) -> Extensions<'a> {
        Extensions {
            rest: self.ext_bytes,
        }
    }

    /// The `supported_versions` selection, if the extension is present.
    pub fn selected_version(&self) -> Option<Version> {
        let d = self
            .extensions()
            .find(|&(t, _)| t == ext::SUPPORTED_VERSIONS)?
            .1;
        (d.len() == 2).then(|| Version(u16::from_be_bytes([d[0], d[1]])))
    }

    /// The negotiated version: `supported_versions` when present (TLS 1.3),
    /// otherwise `legacy_version`; SSL 2.0 for an SSLv2 SERVER-HELLO.
    pub fn version(&self) -> Version {
        if self.sslv2 {
            Version::SSL2
        } else {
            self.selected_version().unwrap_or(self.legacy_version)
        }
    }
}

/// Counts of the non-GREASE values, as JA4 counts them.
pub(crate) fn non_grease(it: impl Iterator<Item = u16>) -> impl Iterator<Item = u16> {
    it.filter(|&v| !is_grease(v))
}

/// The fields every SSL 3.0+/TLS hello starts with: the legacy version
/// (named `field` in errors), the 32-byte random and the session id.
fn hello_prefix<'a>(
    r: &mut Reader<'a>,
    field: &'static str,
) -> Result<(Version, &'a [u8], &'a [u8]), ParseError> {
    let legacy_version = Version(r.u16(field)?);
    if legacy_version.0 >> 8 != 3 {
        return Err(ParseError::invalid(
            field,
            0,
            format!("0x{:04x} is not SSL 3.0 or TLS", legacy_version.0),
        ));
    }
    let random = r.bytes(32, "random")?;
    let off = r.offset();
    let session_id = r.vec8("session_id")?;
    if session_id.len() > 32 {
        return Err(ParseError::invalid(
            "session_id",
            off,
            format!("length {} > 32", session_id.len()),
        ));
    }
    Ok((legacy_version, random, session_id))
}

/// The optional extension block that ends a hello (validated), and nothing
/// after it: trailing bytes are an error naming `message`.
fn extensions_to_end<'a>(
    r: &mut Reader<'a>,
    message: &'static str,
) -> Result<&'a [u8], ParseError> {
    let ext_bytes = if r.is_empty() {
        &[][..]
    } else {
        let off = r.offset() + 2;
        let block = r.vec16("extensions")?;
        validate_extensions(block, off)?;
        block
    };
    if !r.is_empty() {
        return Err(ParseError::invalid(
            message,
            r.offset(),
            format!("{} trailing byte(s) after the extensions", r.remaining()),
        ));
    }
    Ok(ext_bytes)
}
