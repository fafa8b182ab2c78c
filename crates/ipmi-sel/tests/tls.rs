//! HTTPS: certificates are verified by default; a pinned certificate or an
//! explicit `insecure` is how a self-signed BMC is reached.

use std::time::Duration;

use bmc_sim::{self as sim, SimConfig, TlsIdentity};
use ipmi_sel::Error;
use ipmi_sel::source::{
    Credentials, HttpOptions, Secret, SelSource, SupermicroSource, TlsMode, build_client,
};

fn fetch_with(url: &str, tls: TlsMode) -> Result<usize, Error> {
    let client = build_client(
        &HttpOptions {
            timeout: Duration::from_secs(5),
            tls,
        },
        "bmc-tls",
    )?;
    let creds = Credentials {
        user: "ADMIN".into(),
        password: Secret::new("ADMIN"),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut s = SupermicroSource::new("bmc-tls", url, client, creds)?;
        s.fetch().await.map(|v| v.len())
    })
}

#[test]
fn verify_by_default_pinned_or_insecure_to_connect() {
    // Like a factory BMC certificate: self-signed, for a name that is not
    // the address we connect to.
    let id = TlsIdentity::self_signed(&["ipmi.factory.invalid"]).unwrap();
    let srv = sim::spawn_tls(SimConfig::default(), "127.0.0.1:0".parse().unwrap(), &id).unwrap();
    let url = srv.url(0);
    assert!(url.starts_with("https://127.0.0.1:"));

    let e = fetch_with(&url, TlsMode::Verify).unwrap_err().to_string();
    assert!(e.starts_with("bmc-tls: TLS certificate not trusted"), "{e}");
    assert!(e.contains("pinned_cert"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let pin = dir.path().join("bmc.pem");
    std::fs::write(&pin, &id.cert_pem).unwrap();
    assert_eq!(fetch_with(&url, TlsMode::Pinned(pin)).unwrap(), 14);

    // Pinning some other certificate does not let this one through.
    let other = TlsIdentity::self_signed(&["ipmi.factory.invalid"]).unwrap();
    let wrong = dir.path().join("other.pem");
    std::fs::write(&wrong, &other.cert_pem).unwrap();
    let e = fetch_with(&url, TlsMode::Pinned(wrong))
        .unwrap_err()
        .to_string();
    assert!(e.contains("TLS certificate not trusted"), "{e}");

    assert_eq!(fetch_with(&url, TlsMode::Insecure).unwrap(), 14);

    // A pin file that is not a certificate is a configuration error.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let e = fetch_with(&url, TlsMode::Pinned(junk))
        .unwrap_err()
        .to_string();
    assert!(e.contains("junk.pem"), "{e}");
}
