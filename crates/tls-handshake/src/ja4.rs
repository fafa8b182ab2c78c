//! JA4 TLS client fingerprint (FoxIO JA4 specification, `technical_details/JA4.md`)
//! and JA4S, the ServerHello fingerprint (`technical_details/JA4S.md`).
//!
//! `t13d1516h2_8daaf6152771_e5627efa2ab1` = protocol `t` (TLS over TCP),
//! version, `d`/`i` (SNI present or not), cipher count, extension count,
//! first+last character of the first ALPN value, then the truncated SHA-256
//! of the sorted cipher list and of the sorted extension list (without SNI and
//! ALPN) followed by the signature algorithms in wire order. GREASE values are
//! ignored everywhere.

use sha2::{Digest, Sha256};

use crate::hello::{ClientHello, ServerHello, ext, non_grease};
use crate::version::Version;

/// The transport a hello travelled over: the first character of JA4 and
/// JA4S (`t` TLS over TCP, `q` QUIC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// TLS over TCP.
    #[default]
    Tcp,
    /// QUIC (the hellos in CRYPTO frames of Initial packets).
    Quic,
}

impl Transport {
    /// `tcp` or `quic`, as in the `transport` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Quic => "quic",
        }
    }

    /// The JA4/JA4S protocol character: `t` or `q`.
    pub fn ja4_char(self) -> char {
        match self {
            Transport::Tcp => 't',
            Transport::Quic => 'q',
        }
    }
}

/// The JA4 fingerprint of a ClientHello sent over TCP.
pub fn ja4(hello: &ClientHello<'_>) -> String {
    ja4_over(hello, Transport::Tcp)
}

/// The JA4 fingerprint of a ClientHello sent over `transport` (`q...` for
/// QUIC).
pub fn ja4_over(hello: &ClientHello<'_>, transport: Transport) -> String {
    let mut out = String::with_capacity(36);
    let (a, ciphers, exts_sorted, sigs) = parts(hello, transport);
    out.push_str(&a);
    out.push('_');
    out.push_str(&hash12(&ciphers));
    out.push('_');
    if exts_sorted.is_empty() {
        out.push_str("000000000000");
    } else {
        let mut s = exts_sorted;
        if !sigs.is_empty() {
            s.push('_');
            s.push_str(&sigs);
        }
        out.push_str(&truncated_sha256(&s));
    }
    out
}

/// The raw (unhashed, sorted) JA4 string, `JA4_r` in the specification.
pub fn ja4_raw(hello: &ClientHello<'_>) -> String {
    let (a, ciphers, exts, sigs) = parts(hello, Transport::Tcp);
    let mut out = format!("{a}_{ciphers}_{exts}");
    if !sigs.is_empty() {
        out.push('_');
        out.push_str(&sigs);
    }
    out
}

fn hash12(list: &str) -> String {
    if list.is_empty() {
        "000000000000".to_owned()
    } else {
        truncated_sha256(list)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn truncated_sha256(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let mut out = String::with_capacity(12);
    for &b in &digest[..6] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// `0a0a,1301,...`: 4 lower-case hex digits per value, comma separated.
fn hex_list(v: impl Iterator<Item = u16>) -> String {
    let mut s = String::with_capacity(5 * 24);
    for (i, x) in v.enumerate() {
        if i > 0 {
            s.push(',');
        }
        for shift in [12u16, 8, 4, 0] {
            s.push(char::from(HEX[usize::from((x >> shift) & 0x0f)]));
        }
    }
    s
}

/// (`JA4_a`, sorted cipher list, sorted extension list, signature algorithms)
fn parts(hello: &ClientHello<'_>, transport: Transport) -> (String, String, String, String) {
    let version = match hello.supported_versions() {
        Some(it) => it
            .filter(|v| !v.is_grease())
            .max_by_key(|v| v.0)
            .unwrap_or(hello.legacy_version),
        None => hello.legacy_version,
    };
    let version = if hello.sslv2 && hello.legacy_version == Version::SSL2 {
        Version::SSL2
    } else {
        version
    };
    let mut ciphers: Vec<u16> = non_grease(hello.cipher_suites()).collect();
    let exts: Vec<u16> = non_grease(hello.extensions().map(|(t, _)| t)).collect();
    let sni = if exts.contains(&ext::SERVER_NAME) {
        'd'
    } else {
        'i'
    };
    let alpn = alpn_chars(hello.alpn().next());
    let a = format!(
        "{}{}{}{:02}{:02}{}",
        transport.ja4_char(),
        version.ja4_code(),
        sni,
        ciphers.len().min(99),
        exts.len().min(99),
        alpn
    );
    ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .into_iter()
        .filter(|&t| t != ext::SERVER_NAME && t != ext::ALPN)
        .collect();
    sorted_exts.sort_unstable();
    let sigs = hex_list(non_grease(hello.signature_algorithms()));
    (
        a,
        hex_list(ciphers.into_iter()),
        hex_list(sorted_exts.into_iter()),
        sigs,
    )
}

/// The JA4S fingerprint of a ServerHello sent over `transport`:
/// `t120400_c030_4e8089b08790` = protocol, version (`supported_versions`
/// when present, else `legacy_version`), number of extensions, first and
/// last character of the ALPN the server chose (`00` when the ServerHello
/// has no ALPN extension, as in every TLS 1.3 and QUIC handshake, where the
/// choice travels in the encrypted EncryptedExtensions), the chosen cipher
/// in hex, and the truncated SHA-256 of the extensions in wire order.
///
/// Two points the JA4S definition leaves open are settled like JA4: the
/// ALPN characters follow JA4's rule (hex digits for a non-alphanumeric
/// value), and a ServerHello without extensions (SSL 3.0, many TLS 1.0
/// servers) hashes to `000000000000`. GREASE values are not removed: a
/// server may not send them in a ServerHello (RFC 8701, 3), so the
/// definition's "extensions in the order they appear" is taken literally.
pub fn ja4s(hello: &ServerHello<'_>, transport: Transport) -> String {
    let (a, cipher, exts) = ja4s_parts(hello, transport);
    format!("{a}_{cipher}_{}", hash12(&exts))
}

/// The raw JA4S (`JA4S_r`): the extension list unhashed.
pub fn ja4s_raw(hello: &ServerHello<'_>, transport: Transport) -> String {
    let (a, cipher, exts) = ja4s_parts(hello, transport);
    format!("{a}_{cipher}_{exts}")
}

fn ja4s_parts(hello: &ServerHello<'_>, transport: Transport) -> (String, String, String) {
    let exts: Vec<u16> = hello.extensions().map(|(t, _)| t).collect();
    let alpn = hello
        .extensions()
        .find(|&(t, _)| t == ext::ALPN)
        .and_then(|(_, d)| {
            // protocol_name_list (2-byte length) holding one vec8 name
            let list = d.get(2..)?;
            let n = usize::from(*list.first()?);
            list.get(1..1 + n)
        });
    let a = format!(
        "{}{}{:02}{}",
        transport.ja4_char(),
        hello.version().ja4_code(),
        exts.len().min(99),
        alpn_chars(alpn)
    );
    (
        a,
        hex_list(std::iter::once(hello.cipher_suite)),
        hex_list(exts.into_iter()),
    )
}

fn alpn_chars(first: Option<&[u8]>) -> String {
    let Some(v) = first.filter(|v| !v.is_empty()) else {
        return "00".to_owned();
    };
    let (f, l) = (v[0], v[v.len() - 1]);
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        let mut s = String::with_capacity(2);
        s.push(char::from(f));
        s.push(char::from(l));
        s
    } else {
        // First hex digit of the first byte and last hex digit of the last.
        let hex = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
        let mut s = String::with_capacity(2);
        s.push(hex(f >> 4));
        s.push(hex(l & 0x0f));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_rules_match_the_specification_examples() {
        assert_eq!(alpn_chars(None), "00");
        assert_eq!(alpn_chars(Some(b"")), "00");
        assert_eq!(alpn_chars(Some(b"h2")), "h2");
        assert_eq!(alpn_chars(Some(b"http/1.1")), "h1");
        assert_eq!(alpn_chars(Some(b"x")), "xx");
        // The non-alphanumeric examples listed in JA4.md.
        assert_eq!(alpn_chars(Some(&[0xab])), "ab");
        assert_eq!(alpn_chars(Some(&[0xab, 0xcd])), "ad");
        assert_eq!(alpn_chars(Some(&[0x30, 0xab])), "3b");
        assert_eq!(alpn_chars(Some(&[0x30, 0x31, 0xab, 0xcd])), "3d");
        assert_eq!(alpn_chars(Some(&[0x30, 0xab, 0xcd, 0x31])), "01");
    }

    #[test]
    fn hashes_match_the_specification_worked_example() {
        assert_eq!(
            hash12("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"),
            "8daaf6152771"
        );
        assert_eq!(
            truncated_sha256(
                "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
            ),
            "e5627efa2ab1"
        );
        assert_eq!(
            truncated_sha256(
                "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"
            ),
            "6d807ffa2a79"
        );
        assert_eq!(hash12(""), "000000000000");
    }

    #[test]
    fn ja4s_matches_the_specification_example() {
        // JA4S.md: a TLS 1.2 ServerHello choosing c030 with the extensions
        // 0005,0017,ff01,0000 and no ALPN is t120400_c030_4e8089b08790.
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0x11; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0xc0, 0x30, 0x00]);
        let exts: &[u8] = &[
            0x00, 0x05, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00,
        ];
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(exts);
        let sh = ServerHello::parse(&body).unwrap();
        assert_eq!(ja4s(&sh, Transport::Tcp), "t120400_c030_4e8089b08790");
        assert_eq!(
            ja4s_raw(&sh, Transport::Tcp),
            "t120400_c030_0005,0017,ff01,0000"
        );
        assert_eq!(ja4s(&sh, Transport::Quic), "q120400_c030_4e8089b08790");
    }

    #[test]
    fn ja4s_takes_the_chosen_alpn_and_the_selected_version() {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0x22; 32]);
        body.push(0);
        body.extend_from_slice(&[0x13, 0x01, 0x00]);
        // supported_versions 0304, ALPN "h2"
        let exts: &[u8] = &[
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h',
            b'2',
        ];
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(exts);
        let sh = ServerHello::parse(&body).unwrap();
        assert!(ja4s(&sh, Transport::Tcp).starts_with("t1302h2_1301_"));
        // No extensions at all: count 00 and the empty hash.
        let mut bare = vec![0x03, 0x01];
        bare.extend_from_slice(&[0x33; 32]);
        bare.extend_from_slice(&[0, 0x00, 0x2f, 0x00]);
        let sh = ServerHello::parse(&bare).unwrap();
        assert_eq!(ja4s(&sh, Transport::Tcp), "t100000_002f_000000000000");
    }
}
