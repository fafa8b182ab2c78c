//! Server certificates through the tracker: leaf facts from certificates
//! made here with rcgen (and the committed openssl fixtures), chains cut
//! over records and segments, the byte caps, TDS servers answering in
//! type-0x04 packets, SSLv2, and arbitrary or damaged certificates.

use netops_testkit::tls::certs;
use netops_testkit::tls::hello::*;
use proptest::prelude::*;
use rcgen::{
    CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, PKCS_ECDSA_P384_SHA384,
    PKCS_ED25519, SanType, date_time_ymd,
};
use tls_handshake::Version;
use tls_handshake::cert::{CertInfo, certificate_list};
use tls_handshake::record::{Flight, scan_server_flight};
use tls_handshake::tracker::{Handshake, Limits, Segment, Side, Tracker};

/// 2026-11-02 09:00:00 UTC in ns.
const NOW: i64 = 1_793_610_000_000_000_000;

fn seg(frame: u64, seq: u32, payload: &[u8]) -> Segment<'_> {
    Segment {
        frame,
        ts_ns: NOW + frame as i64,
        seq,
        fin: false,
        rst: false,
        syn: false,
        payload,
    }
}

/// Runs a ClientHello then the server's bytes cut at `cuts` through a
/// tracker with `limits`; returns the handshakes and the stats.
fn run(
    client: &[u8],
    server: &[u8],
    cuts: &[usize],
    limits: Limits,
) -> (Vec<Handshake>, tls_handshake::tracker::Stats) {
    let mut t = Tracker::new(limits);
    let mut out = Vec::new();
    t.push("f", Side::A, &seg(1, 1, client), &mut |_, h| out.push(h));
    let mut start = 0;
    for (frame, &end) in (2..).zip(cuts.iter().chain(std::iter::once(&server.len()))) {
        t.push(
            "f",
            Side::B,
            &seg(frame, 1 + start as u32, &server[start..end]),
            &mut |_, h| out.push(h),
        );
        start = end;
    }
    let stats = t.finish(&mut |_, h| out.push(h));
    (out, stats)
}

fn tls12_client() -> Vec<u8> {
    client_hello_record(&ClientSpec::tls12("cert.example.com"))
}

fn leaf_of(h: &Handshake) -> &CertInfo {
    h.server
        .as_ref()
        .and_then(|s| s.certificate.as_ref())
        .expect("a certificate")
}

#[test]
fn rcgen_leaf_and_ca_chain_over_records_and_segments() {
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Gen CA");
    ca.distinguished_name
        .push(DnType::OrganizationName, "netops test");
    let ca = CertifiedIssuer::self_signed(ca, ca_key).unwrap();

    let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let mut p = CertificateParams::new(vec!["svc.example.com".to_owned()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress("192.0.2.9".parse().unwrap()));
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, "svc.example.com");
    p.not_before = date_time_ymd(2019, 3, 1);
    p.not_after = date_time_ymd(2021, 3, 1);
    let leaf = p.signed_by(&key, &ca).unwrap();

    let chain: [&[u8]; 2] = [leaf.der(), ca.der()];
    let flight = server_flight_with_chain(&ServerSpec::legacy(Version::TLS12, 0xc02b), &chain, 100);
    let n = flight.len();
    let (rows, _) = run(
        &tls12_client(),
        &flight,
        &[3, 57, n / 2, n - 2],
        Limits::default(),
    );
    assert_eq!(rows.len(), 1);
    let c = leaf_of(&rows[0]);
    assert_eq!(c.chain_len, 2);
    assert_eq!(c.subject_cn.as_deref(), Some("svc.example.com"));
    assert_eq!(c.sans, ["svc.example.com", "192.0.2.9"]);
    assert_eq!(c.issuer.as_deref(), Some("CN=Gen CA, O=netops test"));
    assert_eq!(c.key_type.as_deref(), Some("Ed25519"));
    assert_eq!(c.signature.as_deref(), Some("ecdsa-with-SHA384"));
    assert_eq!(c.not_before, Some(1_551_398_400)); // 2019-03-01
    assert_eq!(c.not_after, Some(1_614_556_800)); // 2021-03-01
    assert!(c.expired && !c.weak_key && !c.weak_signature && !c.self_signed);
    assert_eq!(
        rows[0].server.as_ref().unwrap().version,
        Some(Version::TLS12)
    );
}

#[test]
fn rcgen_self_signed_p384_is_not_weak() {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let p = CertificateParams::new(vec!["p384.example.com".to_owned()]).unwrap();
    let cert = p.self_signed(&key).unwrap();
    let info = CertInfo::from_chain(&[cert.der()], NOW);
    assert_eq!(info.key_type.as_deref(), Some("EC"));
    assert_eq!(info.key_bits, Some(384));
    assert!(info.self_signed && !info.weak_key && !info.weak_signature && !info.expired);
    assert_eq!(info.sans, ["p384.example.com"]);
}

#[test]
fn openssl_fixtures_flags() {
    let weak = CertInfo::from_chain(&[certs::RSA1024_SHA1_SELFSIGNED], NOW);
    assert_eq!(
        (weak.key_type.as_deref(), weak.key_bits),
        (Some("RSA"), Some(1024))
    );
    assert!(weak.expired && weak.weak_key && weak.weak_signature && weak.self_signed);
    let p192 = CertInfo::from_chain(&[certs::LEAF_EC_P192_MD5, certs::CA_RSA2048], NOW);
    assert_eq!(
        (p192.key_type.as_deref(), p192.key_bits),
        (Some("EC"), Some(192))
    );
    assert!(!p192.expired && p192.weak_key && p192.weak_signature && !p192.self_signed);
    let ca = CertInfo::from_chain(&[certs::CA_RSA2048], NOW);
    assert_eq!(ca.key_bits, Some(2048));
    assert!(!ca.weak_key && !ca.weak_signature && ca.self_signed);
    // Not yet expired one second before notAfter, expired one after.
    let na = weak.not_after.unwrap();
    assert!(
        !CertInfo::from_chain(&[certs::RSA1024_SHA1_SELFSIGNED], (na - 1) * 1_000_000_000).expired
    );
    assert!(
        CertInfo::from_chain(&[certs::RSA1024_SHA1_SELFSIGNED], (na + 1) * 1_000_000_000).expired
    );
}

#[test]
fn chain_beyond_the_flow_bytes_keeps_the_server_hello() {
    let chain: [&[u8]; 2] = [certs::LEAF_EC_P256, certs::CA_RSA2048];
    let flight =
        server_flight_with_chain(&ServerSpec::legacy(Version::TLS12, 0xc02f), &chain, 16_384);
    let limits = Limits {
        per_direction: 1024,
        ..Limits::default()
    };
    let (rows, stats) = run(&tls12_client(), &flight, &[200, 700, 1100], limits);
    assert_eq!(rows.len(), 1);
    let s = rows[0].server.as_ref().unwrap();
    assert_eq!(s.version, Some(Version::TLS12));
    assert_eq!(s.certificate, None);
    assert_eq!(stats.cert_truncated, 1);
    assert_eq!(stats.truncated, 0);
    // With the default limits the same flight gives the chain.
    let (rows, _) = run(
        &tls12_client(),
        &flight,
        &[200, 700, 1100],
        Limits::default(),
    );
    assert_eq!(leaf_of(&rows[0]).chain_len, 2);
}

#[test]
fn server_hello_alone_until_fin_still_reports_the_hello() {
    let sh = server_hello_record(&ServerSpec::legacy(Version::TLS11, 0x002f));
    let mut t = Tracker::new(Limits::default());
    let mut out = Vec::new();
    t.push("f", Side::A, &seg(1, 1, &tls12_client()), &mut |_, h| {
        out.push(h)
    });
    t.push("f", Side::B, &seg(2, 1, &sh), &mut |_, h| out.push(h));
    assert!(out.is_empty(), "waits for the Certificate");
    let fin = Segment {
        fin: true,
        ..seg(3, 1 + sh.len() as u32, &[])
    };
    t.push("f", Side::B, &fin, &mut |_, h| out.push(h));
    assert_eq!(out.len(), 1);
    let s = out[0].server.as_ref().unwrap();
    assert_eq!(
        (s.version, s.certificate.as_ref()),
        (Some(Version::TLS11), None)
    );
}

#[test]
fn tds_server_answering_in_tabular_result_packets() {
    let ch = tds_wrap(&tls12_client(), 0x12, 4088, 1);
    let chain: [&[u8]; 1] = [certs::RSA1024_SHA1_SELFSIGNED];
    let flight =
        server_flight_with_chain(&ServerSpec::legacy(Version::TLS10, 0x002f), &chain, 16_384);
    let sh = tds_wrap(&flight, 0x04, 256, 1);
    let (rows, _) = run(&ch, &sh, &[4, 300, 301], Limits::default());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].wrap, Some(tls_handshake::tracker::Wrap::Tds));
    assert_eq!(
        rows[0].client.as_ref().unwrap().sni.as_deref(),
        Some("cert.example.com")
    );
    assert_eq!(
        leaf_of(&rows[0]).subject_cn.as_deref(),
        Some("legacy-sql.example.net")
    );
    // A client's hello in a type-0x04 packet is not a TDS handshake.
    let odd = tds_wrap(&tls12_client(), 0x04, 4088, 1);
    assert_eq!(
        tls_handshake::record::sniff(&odd),
        tls_handshake::record::Sniff::No
    );
}

#[test]
fn sslv2_server_hello_carries_its_certificate() {
    let der = certs::LEAF_EC_P256;
    let (cs, conn_id) = ([0x07u8, 0x00, 0xc0], [0x5au8; 16]);
    let mut m = vec![4, 0, 1, 0, 2];
    m.extend_from_slice(&(der.len() as u16).to_be_bytes());
    m.extend_from_slice(&(cs.len() as u16).to_be_bytes());
    m.extend_from_slice(&(conn_id.len() as u16).to_be_bytes());
    m.extend_from_slice(der);
    m.extend_from_slice(&cs);
    m.extend_from_slice(&conn_id);
    let mut rec = ((m.len() as u16) | 0x8000).to_be_bytes().to_vec();
    rec.extend_from_slice(&m);
    let got = scan_server_flight(
        &rec,
        |h| h.version(),
        |body| CertInfo::from_chain(&certificate_list(body).unwrap(), NOW),
    );
    let Flight::Done(_, Some(info)) = got else {
        panic!("{got:?}")
    };
    assert_eq!(info.subject_cn.as_deref(), Some("db.example.com"));
    assert_eq!(info.chain_len, 1);
}

#[test]
fn tls13_and_resumption_report_no_certificate() {
    let mut sh = server_hello_record(&ServerSpec::tls13());
    sh.extend_from_slice(&application_data_record(300, 1));
    let got = scan_server_flight(&sh, |h| h.version(), |_| ());
    assert!(matches!(got, Flight::Done(_, None)), "{got:?}");
    let mut sh = server_hello_record(&ServerSpec::legacy(Version::TLS12, 0xc02f));
    sh.extend_from_slice(&record(20, 0x0303, &[1]));
    let got = scan_server_flight(&sh, |h| h.version(), |_| ());
    assert!(matches!(got, Flight::Done(_, None)), "{got:?}");
    // The hello alone: waiting for the Certificate, the hello known.
    let sh = server_hello_record(&ServerSpec::legacy(Version::TLS12, 0xc02f));
    let got = scan_server_flight(&sh, |h| h.version(), |_| ());
    assert!(matches!(got, Flight::NeedMore(Some(_))), "{got:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Damaged certificates (a byte changed, cut short) never panic the
    /// leaf parser, and neither do the chain and flight parsers around it.
    #[test]
    fn damaged_certificates(which in 0usize..4, pos in any::<prop::sample::Index>(), val in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let der = [certs::RSA1024_SHA1_SELFSIGNED, certs::CA_RSA2048, certs::LEAF_EC_P256, certs::LEAF_EC_P192_MD5][which];
        let mut b = der.to_vec();
        let i = pos.index(b.len());
        b[i] = val;
        let b = &b[..cut.index(b.len() + 1)];
        let info = CertInfo::from_chain(&[b], NOW);
        prop_assert_eq!(info.chain_len, 1);
        let flight = server_flight_with_chain(&ServerSpec::legacy(Version::TLS12, 0xc02f), &[b], 500);
        let cut2 = cut.index(flight.len() + 1);
        let _ = scan_server_flight(&flight[..cut2], |h| h.version(), |body| {
            certificate_list(body).map(|c| CertInfo::from_chain(&c, NOW))
        });
        let _ = tls_handshake::tds::unwrap(&tds_wrap(&flight[..cut2], 0x12, 97, 1), true);
    }

    /// Arbitrary bytes as a certificate, a certificate list, a server
    /// flight and TDS packets.
    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..800)) {
        let _ = CertInfo::from_chain(&[&b], NOW);
        let _ = certificate_list(&b).map(|c| CertInfo::from_chain(&c, NOW));
        let _ = scan_server_flight(&b, |h| h.version(), |body| certificate_list(body).map(|c| c.len()));
        let _ = tls_handshake::tds::unwrap(&b, true);
        let _ = tls_handshake::tds::first_payload(&b, false);
        let _ = tls_handshake::record::sniff(&b);
    }
}
