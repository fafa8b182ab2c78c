//! Protocol versions as they appear on the wire, with the names people use.

use std::fmt;

/// A protocol version as carried on the wire (`major << 8 | minor`).
///
/// SSL 2.0 is `0x0002` (its wire encoding in SSLv2 hellos); SSL 3.0 is
/// `0x0300`; TLS 1.0 to 1.3 are `0x0301` to `0x0304`. GREASE values
/// (RFC 8701) and TLS 1.3 drafts (`0x7fxx`) are represented as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub u16);

impl Version {
    /// SSL 2.0 (as encoded in an SSLv2 CLIENT-HELLO).
    pub const SSL2: Version = Version(0x0002);
    /// SSL 3.0.
    pub const SSL3: Version = Version(0x0300);
    /// TLS 1.0.
    pub const TLS10: Version = Version(0x0301);
    /// TLS 1.1.
    pub const TLS11: Version = Version(0x0302);
    /// TLS 1.2.
    pub const TLS12: Version = Version(0x0303);
    /// TLS 1.3.
    pub const TLS13: Version = Version(0x0304);

    /// True for a GREASE value (`0x?a?a` with both bytes equal, RFC 8701).
    pub fn is_grease(self) -> bool {
        is_grease(self.0)
    }

    /// Strength rank used to order versions: SSL 2.0 < SSL 3.0 < TLS 1.0 <
    /// ... < TLS 1.3. TLS 1.3 drafts (`0x7fxx`) rank just below TLS 1.3.
    /// GREASE and unknown values rank 0 (never "highest").
    pub fn rank(self) -> u32 {
        match self.0 {
            0x0002 => 1,
            0x0300..=0x0304 => 2 + u32::from(self.0 - 0x0300) * 2,
            0x7f00..=0x7fff => 9,
            _ => 0,
        }
    }

    /// True when this is a version the tools know by name.
    pub fn is_known(self) -> bool {
        self.rank() > 0
    }

    /// The human name: `"SSL 2.0"`, `"SSL 3.0"`, `"TLS 1.0"` ... `"TLS 1.3"`,
    /// `"TLS 1.3 draft N"`, or `"0xNNNN"` for anything else.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow;
        match self.0 {
            0x0002 => Cow::Borrowed("SSL 2.0"),
            0x0300 => Cow::Borrowed("SSL 3.0"),
            0x0301 => Cow::Borrowed("TLS 1.0"),
            0x0302 => Cow::Borrowed("TLS 1.1"),
            0x0303 => Cow::Borrowed("TLS 1.2"),
            0x0304 => Cow::Borrowed("TLS 1.3"),
            v @ 0x7f00..=0x7fff => Cow::Owned(format!("TLS 1.3 draft {}", v & 0xff)),
            v => Cow::Owned(format!("0x{v:04x}")),
        }
    }

    /// The two-character JA4 version code (`"13"`, `"12"`, `"s3"`, `"s2"`,
    /// `"00"` for unknown).
    pub fn ja4_code(self) -> &'static str {
        match self.0 {
            0x0304 => "13",
            0x0303 => "12",
            0x0302 => "11",
            0x0301 => "10",
            0x0300 => "s3",
            0x0002 => "s2",
            0xfeff => "d1",
            0xfefd => "d2",
            0xfefc => "d3",
            _ => "00",
        }
    }

    /// Parses the names accepted on command lines: `ssl2`, `ssl3`,
    /// `tls1.0`/`tls1`/`tls10`, `tls1.1`, `tls1.2`, `tls1.3` (case-insensitive,
    /// spaces, `_`, `-` and `v` ignored, so `"TLS 1.1"` and `TLSv1_1` work).
    pub fn from_name(s: &str) -> Option<Version> {
        let norm: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-' | 'v' | 'V'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match norm.as_str() {
            "ssl2" | "ssl2.0" | "ssl20" => Version::SSL2,
            "ssl3" | "ssl3.0" | "ssl30" => Version::SSL3,
            "tls1" | "tls1.0" | "tls10" => Version::TLS10,
            "tls1.1" | "tls11" => Version::TLS11,
            "tls1.2" | "tls12" => Version::TLS12,
            "tls1.3" | "tls13" => Version::TLS13,
            _ => return None,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// True for a GREASE value (RFC 8701): `0x0a0a`, `0x1a1a`, ... `0xfafa`.
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Name of a well-known cipher suite (IANA name), or `None`.
///
/// Covers the suites a version audit meets in practice; anything else is
/// printed as `0xNNNN` by callers.
pub fn cipher_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0000 => "TLS_NULL_WITH_NULL_NULL",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0x5600 => "TLS_FALLBACK_SCSV",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xc012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values_are_exactly_the_sixteen_rfc8701_ones() {
        let all: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        let expected: Vec<u16> = (0..16u16)
            .map(|i| (i << 12) | 0x0a00 | (i << 4) | 0x0a)
            .collect();
        assert_eq!(all, expected);
        assert!(is_grease(0x0a0a) && is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
    }

    #[test]
    fn ranks_order_versions_by_strength() {
        let order = [
            Version::SSL2,
            Version::SSL3,
            Version::TLS10,
            Version::TLS11,
            Version::TLS12,
            Version(0x7f1c),
            Version::TLS13,
        ];
        for w in order.windows(2) {
            assert!(w[0].rank() < w[1].rank(), "{} < {}", w[0], w[1]);
        }
        assert_eq!(Version(0x0a0a).rank(), 0);
    }

    #[test]
    fn names_round_trip_through_from_name() {
        for v in [
            Version::SSL2,
            Version::SSL3,
            Version::TLS10,
            Version::TLS11,
            Version::TLS12,
            Version::TLS13,
        ] {
            assert_eq!(Version::from_name(&v.name()), Some(v));
        }
        assert_eq!(Version::from_name("tls1.1"), Some(Version::TLS11));
        assert_eq!(Version::from_name("TLSv1_2"), Some(Version::TLS12));
        assert_eq!(Version::from_name("tls1.4"), None);
        assert_eq!(Version(0x7f17).name(), "TLS 1.3 draft 23");
        assert_eq!(Version(0x1234).name(), "0x1234");
    }
}
