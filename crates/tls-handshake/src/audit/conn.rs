//! One output row per TLS connection, and the version threshold used by
//! `--max-version` / `--fail-on`.

use std::net::IpAddr;

use crate::Version;
use crate::ja4::Transport;
use crate::tracker::{Handshake, Side};
use pcap_core::FlowKey;
use serde::Serialize;

/// One TLS connection, with the field names of the CSV header and JSON keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Capture file the connection was found in.
    pub file: String,
    /// Frame number in `file` (1-based, tshark's `frame.number`) of the
    /// ClientHello: of its first TCP segment when it spans several (tshark
    /// shows the hello in the last, the one it is reassembled in), of the
    /// first Initial carrying it over QUIC. `null` when no ClientHello
    /// was captured.
    pub frame: Option<u64>,
    /// Time of the first hello, RFC 3339 UTC with microseconds.
    pub first_seen: String,
    /// Client address.
    pub client_ip: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Server address.
    pub server_ip: IpAddr,
    /// Server port.
    pub server_port: u16,
    /// `tcp` (TLS over TCP) or `quic` (the hellos in QUIC Initials).
    pub transport: Transport,
    /// Version the ServerHello negotiated (`null`: no ServerHello captured).
    pub version: Option<String>,
    /// Highest version the client offered (`null`: no ClientHello captured).
    pub client_version: Option<String>,
    /// Every version the client offered, strongest first.
    pub offered_versions: Vec<String>,
    /// Server name the client asked for (SNI).
    pub sni: Option<String>,
    /// ALPN protocols the client offered.
    pub alpn: Vec<String>,
    /// Cipher suite the server chose (IANA name, or `0xNNNN`).
    pub cipher: Option<String>,
    /// JA4 fingerprint of the ClientHello.
    pub ja4: Option<String>,
    /// JA4S fingerprint of the ServerHello.
    pub ja4s: Option<String>,
    /// The protocol the handshake was wrapped in (`tds`: SQL Server's TDS
    /// PRELOGIN packets); `null` for TLS on the TCP stream itself (from its
    /// start, or after a STARTTLS-style plaintext prelude).
    pub wrapped: Option<String>,
    /// Server certificate (TLS <= 1.2 only; TLS 1.3 encrypts it): the
    /// leaf's subject common name. All `cert_*` fields are `null` (lists
    /// empty) when no certificate was seen in the clear.
    pub cert_cn: Option<String>,
    /// The leaf's subject alternative names (DNS, IP, e-mail, URI).
    pub cert_san: Vec<String>,
    /// The leaf's issuer distinguished name.
    pub cert_issuer: Option<String>,
    /// Start of the leaf's validity, RFC 3339 UTC.
    pub cert_not_before: Option<String>,
    /// End of the leaf's validity, RFC 3339 UTC.
    pub cert_not_after: Option<String>,
    /// The leaf's key type (`RSA`, `EC`, `DSA`, `Ed25519`, ...).
    pub cert_key_type: Option<String>,
    /// The leaf's key size in bits.
    pub cert_key_bits: Option<u32>,
    /// The leaf's signature algorithm (e.g. `sha256WithRSAEncryption`).
    pub cert_signature: Option<String>,
    /// The leaf is self-signed (issuer = subject; signature not verified).
    pub cert_self_signed: Option<bool>,
    /// Certificates the server sent (leaf included).
    pub cert_chain_len: Option<u32>,
    /// The leaf had expired when it was captured.
    pub cert_expired: Option<bool>,
    /// RSA/DSA key below 2048 bits or EC key below 224 bits.
    pub cert_weak_key: Option<bool>,
    /// Leaf signed with MD2/MD4/MD5 or SHA-1.
    pub cert_weak_signature: Option<bool>,
    /// Negotiated version, typed.
    #[serde(skip)]
    pub version_raw: Option<Version>,
    /// Highest offered version, typed.
    #[serde(skip)]
    pub client_version_raw: Option<Version>,
    /// Frame of the first hello.
    #[serde(skip)]
    pub first_frame: u64,
    /// Timestamp of the first hello, ns since the epoch.
    #[serde(skip)]
    pub first_seen_ns: i64,
    /// `cert_not_before` in seconds since the epoch.
    #[serde(skip)]
    pub cert_not_before_secs: Option<i64>,
    /// `cert_not_after` in seconds since the epoch.
    #[serde(skip)]
    pub cert_not_after_secs: Option<i64>,
}

impl Connection {
    /// Builds the row for a TLS-over-TCP handshake of flow `key` found in `file`.
    pub fn new(file: &str, key: &FlowKey, h: Handshake) -> Connection {
        Connection::over(file, key, h, Transport::Tcp)
    }

    /// Builds the row for a handshake that travelled over `transport`.
    pub fn over(file: &str, key: &FlowKey, mut h: Handshake, transport: Transport) -> Connection {
        let (client, server) = match h.client_side {
            Side::A => (key.lower(), key.upper()),
            Side::B => (key.upper(), key.lower()),
        };
        let version_raw = h.server.as_ref().and_then(|s| s.version);
        let cert = h.server.as_mut().and_then(|s| s.certificate.take());
        let leaf = cert.as_deref().filter(|c| c.leaf_parsed());
        let flag = |f: fn(&crate::cert::CertInfo) -> bool| leaf.map(f);
        let cipher = h.server.as_ref().and_then(|s| s.cipher).map(cipher_label);
        let ja4s = h.server.as_mut().and_then(|s| s.ja4s.take());
        let frame = h.client.as_ref().map(|c| c.frame);
        let (client_version_raw, offered, sni, alpn, ja4) = match h.client {
            Some(c) => {
                let hv = c.highest();
                (
                    Some(hv),
                    c.offered.iter().map(|v| v.name().into_owned()).collect(),
                    c.sni,
                    c.alpn,
                    Some(c.ja4),
                )
            }
            None => (None, Vec::new(), None, Vec::new(), None),
        };
        Connection {
            file: file.to_owned(),
            frame,
            first_seen: rfc3339_micros(h.first_seen_ns),
            client_ip: client.0,
            client_port: client.1,
            server_ip: server.0,
            server_port: server.1,
            transport,
            version: version_raw.map(|v| v.name().into_owned()),
            client_version: client_version_raw.map(|v| v.name().into_owned()),
            offered_versions: offered,
            sni,
            alpn,
            cipher,
            ja4,
            ja4s,
            wrapped: h.wrap.map(|w| w.name().to_owned()),
            cert_cn: leaf.and_then(|c| c.subject_cn.clone()),
            cert_san: leaf.map(|c| c.sans.clone()).unwrap_or_default(),
            cert_issuer: leaf.and_then(|c| c.issuer.clone()),
            cert_not_before: leaf
                .and_then(|c| c.not_before)
                .map(crate::cert::format_utc_seconds),
            cert_not_after: leaf
                .and_then(|c| c.not_after)
                .map(crate::cert::format_utc_seconds),
            cert_key_type: leaf.and_then(|c| c.key_type.clone()),
            cert_key_bits: leaf.and_then(|c| c.key_bits),
            cert_signature: leaf.and_then(|c| c.signature.clone()),
            cert_self_signed: flag(|c| c.self_signed),
            cert_chain_len: cert.as_ref().map(|c| c.chain_len),
            cert_expired: flag(|c| c.expired),
            cert_weak_key: flag(|c| c.weak_key),
            cert_weak_signature: flag(|c| c.weak_signature),
            version_raw,
            client_version_raw,
            first_frame: h.first_frame,
            first_seen_ns: h.first_seen_ns,
            cert_not_before_secs: leaf.and_then(|c| c.not_before),
            cert_not_after_secs: leaf.and_then(|c| c.not_after),
        }
    }

    /// The version this connection is judged by: the negotiated one, or,
    /// when no ServerHello was captured, the highest the client offered
    /// (a client that only offers SSL 3.0 breaks whether or not the server
    /// answered).
    pub fn effective_version(&self) -> Option<Version> {
        self.version_raw.or(self.client_version_raw)
    }

    /// The certificate flags that are set, `,`-joined (`expired`,
    /// `weak_key`, `weak_signature`, `self_signed`); `None` without a
    /// parsed certificate.
    pub fn cert_flags(&self) -> Option<String> {
        self.cert_expired?;
        let v: Vec<&str> = [
            (self.cert_expired, "expired"),
            (self.cert_weak_key, "weak_key"),
            (self.cert_weak_signature, "weak_signature"),
            (self.cert_self_signed, "self_signed"),
        ]
        .into_iter()
        .filter(|(f, _)| *f == Some(true))
        .map(|(_, n)| n)
        .collect();
        Some(v.join(","))
    }

    /// True when the connection is at or below `max` (see
    /// [`effective_version`](Self::effective_version)).
    pub fn at_or_below(&self, max: Version) -> bool {
        self.effective_version()
            .is_some_and(|v| v.rank() <= max.rank())
    }
}

impl Serialize for Transport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// IANA name of a cipher suite, or `0xNNNN`.
pub fn cipher_label(id: u16) -> String {
    crate::cipher_name(id).map_or_else(|| format!("0x{id:04x}"), str::to_owned)
}

/// `2026-11-25T09:30:00.123456Z` for a timestamp in ns since the epoch
/// (UTC, microseconds, truncated; see [`pcap_core::time::Rfc3339`]).
pub fn rfc3339_micros(ts_ns: i64) -> String {
    pcap_core::time::format_rfc3339(ts_ns, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        // 2000-02-29 12:34:56.789012 UTC = 951827696 s.
        assert_eq!(
            rfc3339_micros(951_827_696_789_012_345),
            "2000-02-29T12:34:56.789012Z"
        );
        // One microsecond before the epoch.
        assert_eq!(rfc3339_micros(-1_000), "1969-12-31T23:59:59.999999Z");
        // 2026-11-25 00:00:00 UTC = 1795564800 s.
        assert_eq!(
            rfc3339_micros(1_795_564_800_000_000_000),
            "2026-11-25T00:00:00.000000Z"
        );
    }
}
