//! JA4 TLS client fingerprint (FoxIO JA4 specification, `technical_details/JA4.md`).
//!
//! `t13d1516h2_8daaf6152771_e5627efa2ab1` = protocol `t` (TLS over TCP),
//! version, `d`/`i` (SNI present or not), cipher count, extension count,
//! first+last character of the first ALPN value, then the truncated SHA-256
//! of the sorted cipher list and of the sorted extension list (without SNI and
//! ALPN) followed by the signature algorithms in wire order. GREASE values are
//! ignored everywhere.

use sha2::{Digest, Sha256};

use crate::hello::{ClientHello, ext, non_grease};
use crate::version::Version;

/// The JA4 fingerprint of a ClientHello sent over TCP.
pub fn ja4(hello: &ClientHello<'_>) -> String {
    let mut out = String::with_capacity(36);
    let (a, ciphers, exts_sorted, sigs) = parts(hello);
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
    let (a, ciphers, exts, sigs) = parts(hello);
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
fn parts(hello: &ClientHello<'_>) -> (String, String, String, String) {
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
        "t{}{}{:02}{:02}{}",
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
}
