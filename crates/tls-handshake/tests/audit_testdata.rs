//! The files in `testdata/tls/` are exactly what the generator produces
//! (`UPDATE_TESTDATA=1` rewrites them), and the audit reports exactly the
//! connections each file was designed with.

use std::collections::BTreeSet;
use std::path::PathBuf;

use netops_testkit::tls::capture::{Expected, testdata};
use tls_handshake::audit::{Audit, AuditOptions, Connection};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tls")
}

#[test]
fn testdata_files_match_the_generator() {
    let update = std::env::var_os("UPDATE_TESTDATA").is_some_and(|v| v == "1");
    std::fs::create_dir_all(dir()).unwrap();
    for f in testdata() {
        let path = dir().join(f.name);
        if update {
            std::fs::write(&path, &f.bytes).unwrap();
            continue;
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run UPDATE_TESTDATA=1 cargo test -p tls-handshake --features audit",
                path.display()
            )
        });
        assert!(
            on_disk == f.bytes,
            "{} differs from the generator; run UPDATE_TESTDATA=1 cargo test -p tls-handshake --features audit",
            path.display()
        );
    }
}

type Key = (
    String,
    String,
    Option<String>,
    Option<String>,
    Vec<String>,
    Option<String>,
    Option<String>,
    Option<CertKey>,
);

/// cn, sans, issuer, not_before, not_after, key type, bits, signature,
/// (self_signed, chain_len, expired, weak_key, weak_signature)
type CertKey = (
    String,
    Vec<String>,
    String,
    String,
    String,
    String,
    u32,
    String,
    (bool, u32, bool, bool, bool),
);

fn key_of_expected(e: &Expected) -> Key {
    (
        e.client.to_string(),
        e.server.to_string(),
        e.version.map(str::to_owned),
        Some(e.client_version.to_owned()),
        e.offered.iter().map(|s| s.to_string()).collect(),
        e.sni.map(str::to_owned),
        e.wrap.map(str::to_owned),
        e.cert.as_ref().map(|c| {
            (
                c.cn.to_owned(),
                c.sans.iter().map(|s| s.to_string()).collect(),
                c.issuer.to_owned(),
                c.not_before.to_owned(),
                c.not_after.to_owned(),
                c.key_type.to_owned(),
                c.key_bits,
                c.signature.to_owned(),
                (
                    c.self_signed,
                    c.chain_len,
                    c.expired,
                    c.weak_key,
                    c.weak_signature,
                ),
            )
        }),
    )
}

fn key_of_row(c: &Connection) -> Key {
    let sock = |ip: std::net::IpAddr, port: u16| std::net::SocketAddr::new(ip, port).to_string();
    (
        sock(c.client_ip, c.client_port),
        sock(c.server_ip, c.server_port),
        c.version.clone(),
        c.client_version.clone(),
        c.offered_versions.clone(),
        c.sni.clone(),
        c.wrapped.clone(),
        c.cert_chain_len.map(|n| {
            (
                c.cert_cn.clone().unwrap_or_default(),
                c.cert_san.clone(),
                c.cert_issuer.clone().unwrap_or_default(),
                c.cert_not_before.clone().unwrap_or_default(),
                c.cert_not_after.clone().unwrap_or_default(),
                c.cert_key_type.clone().unwrap_or_default(),
                c.cert_key_bits.unwrap_or_default(),
                c.cert_signature.clone().unwrap_or_default(),
                (
                    c.cert_self_signed.unwrap_or_default(),
                    n,
                    c.cert_expired.unwrap_or_default(),
                    c.cert_weak_key.unwrap_or_default(),
                    c.cert_weak_signature.unwrap_or_default(),
                ),
            )
        }),
    )
}

#[test]
fn audit_reports_every_designed_connection_and_nothing_else() {
    for f in testdata() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(f.name);
        std::fs::write(&path, &f.bytes).unwrap();
        let mut rows = Vec::new();
        let report = Audit::new(AuditOptions::default()).run(
            &[path],
            |r| rows.push(r),
            |p, e| panic!("{}: {e}", p.display()),
        );
        assert_eq!(report.files_failed, 0);
        let got: Vec<Key> = rows.iter().map(key_of_row).collect();
        let want: Vec<Key> = f.expected.iter().map(key_of_expected).collect();
        assert_eq!(got.len(), rows.len());
        assert_eq!(
            got.iter().cloned().collect::<BTreeSet<_>>(),
            want.iter().cloned().collect::<BTreeSet<_>>(),
            "{}",
            f.name
        );
        assert_eq!(got.len(), want.len(), "{}: duplicate rows", f.name);
        for r in &rows {
            let prefix = match r.transport {
                tls_handshake::Transport::Tcp => 't',
                tls_handshake::Transport::Quic => 'q',
            };
            assert!(
                r.ja4
                    .as_deref()
                    .is_none_or(|j| j.len() == 36 && j.starts_with(prefix)),
                "{r:?}"
            );
            assert!(
                r.ja4s.as_deref().is_none_or(|j| j.starts_with(prefix)),
                "{r:?}"
            );
            assert_eq!(r.ja4s.is_some(), r.version.is_some(), "{r:?}");
        }
        // The QUIC capture holds only QUIC rows, the others only TCP rows.
        let quic = f.name.contains("quic");
        assert!(
            rows.iter()
                .all(|r| (r.transport == tls_handshake::Transport::Quic) == quic),
            "{}",
            f.name
        );
    }
}
