//! The DER certificates of `testdata/tls/certs/` (made by
//! `scripts/gen-test-certs.sh` with openssl: rcgen cannot make weak keys
//! or SHA-1/MD5 signatures) and what an audit must report for each as the
//! leaf of a chain, written down from the script's settings.

/// RSA 1024, sha1WithRSAEncryption, self-signed, valid 2015..2020.
pub const RSA1024_SHA1_SELFSIGNED: &[u8] =
    include_bytes!("../../../../testdata/tls/certs/rsa1024-sha1-selfsigned.der");
/// RSA 2048 CA, sha256WithRSAEncryption, self-signed, valid 2024..2036.
pub const CA_RSA2048: &[u8] = include_bytes!("../../../../testdata/tls/certs/ca-rsa2048.der");
/// EC P-256 leaf signed by [`CA_RSA2048`], valid 2025..2035.
pub const LEAF_EC_P256: &[u8] = include_bytes!("../../../../testdata/tls/certs/leaf-ec-p256.der");
/// EC P-192 leaf signed by [`CA_RSA2048`] with MD5, valid 2025..2035.
pub const LEAF_EC_P192_MD5: &[u8] =
    include_bytes!("../../../../testdata/tls/certs/leaf-ec-p192-md5.der");

/// What must be reported about a server's certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedCert {
    /// Leaf subject CN.
    pub cn: &'static str,
    /// Leaf SANs in certificate order.
    pub sans: Vec<&'static str>,
    /// Leaf issuer DN.
    pub issuer: &'static str,
    /// Validity start, RFC 3339.
    pub not_before: &'static str,
    /// Validity end, RFC 3339.
    pub not_after: &'static str,
    /// Key type.
    pub key_type: &'static str,
    /// Key size in bits.
    pub key_bits: u32,
    /// Signature algorithm name.
    pub signature: &'static str,
    /// Self-signed.
    pub self_signed: bool,
    /// Certificates in the chain.
    pub chain_len: u32,
    /// Expired at capture time (the captures are from November 2026).
    pub expired: bool,
    /// Weak key.
    pub weak_key: bool,
    /// Weak signature.
    pub weak_signature: bool,
}

const CA_DN: &str = "CN=Example Test CA, O=netops-kit";

/// [`RSA1024_SHA1_SELFSIGNED`] alone.
pub fn weak_selfsigned() -> ExpectedCert {
    ExpectedCert {
        cn: "legacy-sql.example.net",
        sans: vec!["legacy-sql.example.net", "sql01.example.net", "192.0.2.50"],
        issuer: "CN=legacy-sql.example.net, O=Example Legacy",
        not_before: "2015-01-01T00:00:00Z",
        not_after: "2020-01-01T00:00:00Z",
        key_type: "RSA",
        key_bits: 1024,
        signature: "sha1WithRSAEncryption",
        self_signed: true,
        chain_len: 1,
        expired: true,
        weak_key: true,
        weak_signature: true,
    }
}

/// [`LEAF_EC_P256`] followed by [`CA_RSA2048`].
pub fn p256_chain() -> ExpectedCert {
    ExpectedCert {
        cn: "db.example.com",
        sans: vec!["db.example.com", "*.db.example.com", "2001:db8::5"],
        issuer: CA_DN,
        not_before: "2025-01-01T00:00:00Z",
        not_after: "2035-01-01T00:00:00Z",
        key_type: "EC",
        key_bits: 256,
        signature: "sha256WithRSAEncryption",
        self_signed: false,
        chain_len: 2,
        expired: false,
        weak_key: false,
        weak_signature: false,
    }
}

/// [`LEAF_EC_P192_MD5`] followed by [`CA_RSA2048`].
pub fn p192_md5_chain() -> ExpectedCert {
    ExpectedCert {
        cn: "old-mail.example.org",
        sans: vec!["old-mail.example.org"],
        issuer: CA_DN,
        not_before: "2025-01-01T00:00:00Z",
        not_after: "2035-01-01T00:00:00Z",
        key_type: "EC",
        key_bits: 192,
        signature: "md5WithRSAEncryption",
        self_signed: false,
        chain_len: 2,
        expired: false,
        weak_key: true,
        weak_signature: true,
    }
}

/// [`CA_RSA2048`] alone (a server sending its own CA-style certificate).
pub fn ca_alone() -> ExpectedCert {
    ExpectedCert {
        cn: "Example Test CA",
        sans: vec![],
        issuer: CA_DN,
        not_before: "2024-01-01T00:00:00Z",
        not_after: "2036-01-01T00:00:00Z",
        key_type: "RSA",
        key_bits: 2048,
        signature: "sha256WithRSAEncryption",
        self_signed: true,
        chain_len: 1,
        expired: false,
        weak_key: false,
        weak_signature: false,
    }
}
