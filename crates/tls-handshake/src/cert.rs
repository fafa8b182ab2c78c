//! The server's certificate chain as sent in the clear by TLS 1.2 and
//! older (the `Certificate` handshake message, RFC 5246 7.4.2; SSL 3.0 and
//! TLS 1.0/1.1 use the same layout) and by an SSLv2 SERVER-HELLO, and the
//! facts an audit reports about its leaf ([`CertInfo`]).
//!
//! Splitting the message into certificates needs no dependency
//! ([`certificate_list`]); reading the leaf's fields needs the cargo feature
//! `certs` (on with `audit`), which parses X.509 with `x509-parser`.
//! TLS 1.3 encrypts the Certificate message: nothing is reported for it.

use crate::error::ParseError;
use crate::reader::Reader;

/// Handshake type `certificate`.
pub const HANDSHAKE_CERTIFICATE: u8 = 11;

/// The DER certificates of a TLS <= 1.2 Certificate message body
/// (`certificate_list<0..2^24-1>`, each entry `opaque<1..2^24-1>`), leaf
/// first. Fails when the lengths do not add up.
pub fn certificate_list(body: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    let mut r = Reader::new(body, 0);
    let total = r.u24("certificate_list length")?;
    let list = r.bytes(total, "certificate_list")?;
    if !r.is_empty() {
        return Err(ParseError::invalid(
            "certificate message",
            r.offset(),
            format!("{} bytes after the certificate_list", r.remaining()),
        ));
    }
    let mut r = Reader::new(list, 3);
    let mut out = Vec::new();
    while !r.is_empty() {
        let at = r.offset();
        let n = r.u24("certificate length")?;
        if n == 0 {
            return Err(ParseError::invalid(
                "certificate length",
                at,
                "0 (a certificate is at least one byte)".to_owned(),
            ));
        }
        out.push(r.bytes(n, "certificate")?);
    }
    Ok(out)
}

/// What the audit reports about a server's certificate chain: the leaf's
/// fields and flags, and the number of certificates sent.
///
/// Every field but `chain_len` is empty when the leaf could not be parsed
/// (or the crate was built without the `certs` feature).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertInfo {
    /// Certificates in the message (leaf included).
    pub chain_len: u32,
    /// The leaf's subject common name (the first CN).
    pub subject_cn: Option<String>,
    /// The leaf's subject alternative names: DNS names as they are, IP
    /// addresses in their usual text form, e-mail addresses and URIs as
    /// they are (other kinds are left out).
    pub sans: Vec<String>,
    /// The leaf's issuer distinguished name (RFC 4514 order, e.g.
    /// `CN=Example CA, O=Example`).
    pub issuer: Option<String>,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: Option<i64>,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: Option<i64>,
    /// Public key type: `RSA`, `EC`, `DSA`, `Ed25519`, `Ed448`, `RSA-PSS`,
    /// or the algorithm OID.
    pub key_type: Option<String>,
    /// Public key size in bits (RSA/DSA modulus; EC curve size).
    pub key_bits: Option<u32>,
    /// Signature algorithm of the leaf (e.g. `sha256WithRSAEncryption`,
    /// `ecdsa-with-SHA256`), or its OID.
    pub signature: Option<String>,
    /// Issuer and subject are the same name (and, when both key
    /// identifiers are present, they match); the signature is not verified.
    pub self_signed: bool,
    /// `not_after` lies before the time the certificate was captured.
    pub expired: bool,
    /// RSA or DSA key below 2048 bits, or EC key below 224 bits.
    pub weak_key: bool,
    /// Signed with MD2, MD4, MD5 or SHA-1.
    pub weak_signature: bool,
}

impl CertInfo {
    /// Summarises a chain (leaf first) seen at `seen_ns` (ns since the
    /// epoch; decides `expired`). Only the leaf is parsed.
    pub fn from_chain(chain: &[&[u8]], seen_ns: i64) -> CertInfo {
        let chain_len = u32::try_from(chain.len()).unwrap_or(u32::MAX);
        let mut info = CertInfo {
            chain_len,
            ..CertInfo::default()
        };
        if let Some(leaf) = chain.first() {
            x509::fill(&mut info, leaf, seen_ns);
        }
        info
    }

    /// The parsed facts of the leaf are present.
    pub fn leaf_parsed(&self) -> bool {
        self.not_after.is_some()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (UTC; any year a
/// certificate can name, 9999-12-31 included).
pub fn format_utc_seconds(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian, after
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg_attr(not(feature = "certs"), allow(dead_code))]
/// A certificate string for a report: control characters and `\\` as
/// `\\xNN`, everything else (non-ASCII letters included) as it is.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || c == '\\' {
            for b in c.to_string().bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Signature algorithm OIDs that hash with MD2, MD4, MD5 or SHA-1.
pub const WEAK_SIGNATURE_OIDS: [&str; 9] = [
    "1.2.840.113549.1.1.2", // md2WithRSAEncryption
    "1.2.840.113549.1.1.3", // md4WithRSAEncryption
    "1.2.840.113549.1.1.4", // md5WithRSAEncryption
    "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
    "1.3.14.3.2.29",        // sha1WithRSA (OIW)
    "1.3.14.3.2.3",         // md5WithRSA (OIW)
    "1.2.840.10040.4.3",    // dsa-with-sha1
    "1.2.840.10045.4.1",    // ecdsa-with-SHA1
    "1.3.14.3.2.27",        // dsaWithSHA1 (OIW)
];

#[cfg(feature = "certs")]
mod x509 {
    use super::{CertInfo, WEAK_SIGNATURE_OIDS};
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::public_key::PublicKey;

    pub(super) fn fill(info: &mut CertInfo, der: &[u8], seen_ns: i64) {
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            return;
        };
        let tbs = &cert.tbs_certificate;
        info.subject_cn = tbs
            .subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(super::clean);
        info.issuer = Some(super::clean(&tbs.issuer.to_string()));
        if let Ok(Some(san)) = tbs.subject_alternative_name() {
            for n in &san.value.general_names {
                let s = match n {
                    GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                        super::clean(s)
                    }
                    GeneralName::IPAddress(b) => match b.len() {
                        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).unwrap_or([0; 4]))
                            .to_string(),
                        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).unwrap_or([0; 16]))
                            .to_string(),
                        _ => continue,
                    },
                    _ => continue,
                };
                info.sans.push(s);
            }
        }
        let nb = tbs.validity.not_before.timestamp();
        let na = tbs.validity.not_after.timestamp();
        info.not_before = Some(nb);
        info.not_after = Some(na);
        info.expired = i128::from(na) * 1_000_000_000 < i128::from(seen_ns);

        let spki = &tbs.subject_pki;
        let alg = spki.algorithm.algorithm.to_id_string();
        let (kt, bits) = match alg.as_str() {
            "1.2.840.113549.1.1.1" => ("RSA", rsa_bits(spki)),
            "1.2.840.113549.1.1.10" => ("RSA-PSS", rsa_bits(spki)),
            "1.2.840.10040.4.1" => ("DSA", dsa_bits(spki)),
            "1.2.840.10045.2.1" => ("EC", ec_bits(spki)),
            "1.3.101.112" => ("Ed25519", Some(256)),
            "1.3.101.113" => ("Ed448", Some(456)),
            "1.3.101.110" => ("X25519", Some(256)),
            "1.3.101.111" => ("X448", Some(448)),
            _ => ("", None),
        };
        info.key_type = Some(if kt.is_empty() { alg } else { kt.to_owned() });
        info.key_bits = bits;
        info.weak_key = match (kt, bits) {
            ("RSA" | "RSA-PSS" | "DSA", Some(b)) => b < 2048,
            ("EC", Some(b)) => b < 224,
            _ => false,
        };

        let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
        info.weak_signature = WEAK_SIGNATURE_OIDS.contains(&sig_oid.as_str());
        info.signature = Some(
            x509_parser::objects::oid2sn(
                &cert.signature_algorithm.algorithm,
                x509_parser::objects::oid_registry(),
            )
            .map_or(sig_oid, str::to_owned),
        );

        info.self_signed = tbs.subject.as_raw() == tbs.issuer.as_raw() && {
            let ski = tbs
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                    _ => None,
                });
            let aki = tbs
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                        a.key_identifier.as_ref().map(|k| k.0)
                    }
                    _ => None,
                });
            match (ski, aki) {
                (Some(s), Some(a)) => s == a,
                _ => true,
            }
        };
    }

    /// Bits of an unsigned big-endian integer (leading zero bytes ignored).
    fn int_bits(b: &[u8]) -> Option<u32> {
        let b = &b[b.iter().position(|&x| x != 0)?..];
        let len = u32::try_from(b.len()).ok()?;
        Some((len - 1) * 8 + (8 - b[0].leading_zeros()))
    }

    fn rsa_bits(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Option<u32> {
        match spki.parsed() {
            Ok(PublicKey::RSA(k)) => int_bits(k.modulus),
            _ => None,
        }
    }

    fn dsa_bits(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Option<u32> {
        // The size of a DSA key is that of its prime p, in the parameters
        // (Dss-Parms ::= SEQUENCE { p, q, g }); when they are inherited
        // from the issuer, that of the public value.
        use x509_parser::der_parser::ber::BerObjectContent;
        let from_params = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|params| params.as_sequence().ok())
            .and_then(|seq| {
                match x509_parser::der_parser::der::parse_der_integer(&seq.content)
                    .ok()?
                    .1
                    .content
                {
                    BerObjectContent::Integer(b) => int_bits(b),
                    _ => None,
                }
            });
        from_params.or_else(|| match spki.parsed() {
            Ok(PublicKey::DSA(y)) => int_bits(y),
            _ => None,
        })
    }

    fn ec_bits(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Option<u32> {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        let named = match curve.as_deref() {
            Some("1.2.840.10045.3.1.1") => Some(192),   // prime192v1
            Some("1.3.132.0.33") => Some(224),          // secp224r1
            Some("1.2.840.10045.3.1.7") => Some(256),   // prime256v1
            Some("1.3.132.0.10") => Some(256),          // secp256k1
            Some("1.3.132.0.34") => Some(384),          // secp384r1
            Some("1.3.132.0.35") => Some(521),          // secp521r1
            Some("1.3.36.3.3.2.8.1.1.7") => Some(256),  // brainpoolP256r1
            Some("1.3.36.3.3.2.8.1.1.11") => Some(384), // brainpoolP384r1
            Some("1.3.36.3.3.2.8.1.1.13") => Some(512), // brainpoolP512r1
            _ => None,
        };
        named.or_else(|| match spki.parsed() {
            Ok(PublicKey::EC(p)) => u32::try_from(p.key_size()).ok().filter(|&b| b > 0),
            _ => None,
        })
    }
}

#[cfg(not(feature = "certs"))]
mod x509 {
    use super::CertInfo;
    pub(super) fn fill(_: &mut CertInfo, _: &[u8], _: i64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_far_dates() {
        assert_eq!(format_utc_seconds(0), "1970-01-01T00:00:00Z");
        // 9999-12-31T23:59:59Z, RFC 5280's "no well-defined expiration".
        assert_eq!(format_utc_seconds(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(format_utc_seconds(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_utc_seconds(951_827_696), "2000-02-29T12:34:56Z");
    }

    #[test]
    fn splits_a_certificate_list() {
        let body = [0, 0, 9, 0, 0, 2, 0xaa, 0xbb, 0, 0, 1, 0xcc];
        assert_eq!(
            certificate_list(&body).unwrap(),
            vec![&[0xaa, 0xbb][..], &[0xcc][..]]
        );
        assert!(certificate_list(&[0, 0, 0]).unwrap().is_empty());
        assert!(certificate_list(&body[..11]).is_err());
        assert!(certificate_list(&[0, 0, 3, 0, 0, 0]).is_err());
        assert!(certificate_list(&[0, 0, 4, 0, 0, 1, 1, 9]).is_err());
    }
}
