//! Parser tests on generated hellos: fields, JA4 against the published
//! vectors, record splits at every byte, several records per slice.

use netops_testkit::tls::hello::*;
use tls_handshake::Version;
use tls_handshake::hello::{ClientHello, ServerHello};
use tls_handshake::ja4::{ja4, ja4_raw};
use tls_handshake::record::{Progress, ServerOutcome, Sniff, scan_client, scan_server, sniff};

fn client_body(spec: &ClientSpec) -> Vec<u8> {
    client_hello_message(spec)[4..].to_vec()
}

#[derive(Debug, PartialEq)]
struct Summary {
    legacy: Version,
    highest: Version,
    offered: Vec<Version>,
    sni: Option<Vec<u8>>,
    alpn: Vec<Vec<u8>>,
    ja4: String,
}

fn summary(h: &ClientHello<'_>) -> Summary {
    Summary {
        legacy: h.legacy_version,
        highest: h.highest_version(),
        offered: h.offered_versions(),
        sni: h.sni().map(<[u8]>::to_vec),
        alpn: h.alpn().map(<[u8]>::to_vec).collect(),
        ja4: ja4(h),
    }
}

fn hex16(s: &str) -> Vec<u16> {
    s.split(',')
        .map(|x| u16::from_str_radix(x, 16).unwrap())
        .collect()
}

/// A spec reproducing a published JA4 example: original cipher and extension
/// order, GREASE sprinkled in (JA4 must ignore it).
fn spec_from_lists(ciphers: &str, exts: &str, sigs: &str, alpn: &[&str]) -> ClientSpec {
    let mut c = vec![0x0a0a];
    c.extend(hex16(ciphers));
    let mut e = vec![0x5a5a];
    e.extend(hex16(exts));
    e.push(0xdada);
    ClientSpec {
        record_version: 0x0301,
        legacy_version: 0x0303,
        supported_versions: Some(vec![0x7a7a, 0x0304, 0x0303]),
        sni: Some("example.com".into()),
        alpn: alpn.iter().map(|s| s.to_string()).collect(),
        ciphers: c,
        sig_algs: Some(hex16(sigs)),
        extension_order: e,
        seed: 9,
    }
}

#[test]
fn ja4_matches_the_specification_example() {
    // technical_details/JA4.md: the example's original orders and its result.
    let spec = spec_from_lists(
        "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
        "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015",
        "0403,0804,0401,0503,0805,0501,0806,0601",
        &["h2", "http/1.1"],
    );
    let body = client_body(&spec);
    let h = ClientHello::parse(&body).unwrap();
    assert_eq!(ja4(&h), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_eq!(
        ja4_raw(&h),
        "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
         0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_\
         0403,0804,0401,0503,0805,0501,0806,0601"
    );
}

#[test]
fn ja4_matches_a_published_browser_fingerprint() {
    // A Chrome hello as published with its ja4 and ja4_ro by a fingerprinting
    // service (ECH 0xfe0d and ALPS 0x44cd extensions).
    let spec = spec_from_lists(
        "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
        "002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b",
        "0403,0804,0401,0503,0805,0501,0806,0601",
        &["h2", "http/1.1"],
    );
    let body = client_body(&spec);
    assert_eq!(
        ja4(&ClientHello::parse(&body).unwrap()),
        "t13d1516h2_8daaf6152771_d8a2da3f94cd"
    );
}

#[test]
fn ja4_without_alpn_and_with_rsa_pkcs1_sha1() {
    // A published rustls client profile: 18 ciphers, 10 extensions, no ALPN.
    let spec = spec_from_lists(
        "1301,1302,1303,c02f,c02b,c030,c02c,c027,cca9,cca8,c009,c013,c00a,c014,009c,009d,002f,0035",
        "0000,0017,ff01,000a,000b,0023,000d,0033,002d,002b",
        "0403,0804,0401,0503,0805,0501,0806,0601,0201",
        &[],
    );
    let body = client_body(&spec);
    assert_eq!(
        ja4(&ClientHello::parse(&body).unwrap()),
        "t13d181000_5d04281c6031_78e6aca7449b"
    );
}

#[test]
fn client_hello_fields() {
    let spec = ClientSpec::tls13("www.example.org");
    let body = client_body(&spec);
    let h = ClientHello::parse(&body).unwrap();
    let s = summary(&h);
    assert_eq!(s.legacy, Version::TLS12);
    assert_eq!(s.highest, Version::TLS13);
    assert_eq!(s.offered, vec![Version::TLS13, Version::TLS12]);
    assert_eq!(s.sni.as_deref(), Some(&b"www.example.org"[..]));
    assert_eq!(s.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    // 15 real suites + 1 GREASE; 14 real extensions + 2 GREASE.
    assert_eq!(h.cipher_suites().count(), 16);
    assert_eq!(h.extensions().count(), 16);
    assert!(s.ja4.starts_with("t13d1514h2_"), "{}", s.ja4);

    let legacy = ClientSpec::legacy(Version::TLS10, Some("old.example"));
    let body = client_body(&legacy);
    let s = summary(&ClientHello::parse(&body).unwrap());
    assert_eq!((s.legacy, s.highest), (Version::TLS10, Version::TLS10));
    assert_eq!(s.offered, vec![Version::TLS10]);
    assert!(s.ja4.starts_with("t10d050200_"), "{}", s.ja4);

    // SSL 3.0 hellos carry no extension block at all.
    let ssl3 = ClientSpec::legacy(Version::SSL3, Some("ignored"));
    let body = client_body(&ssl3);
    let h = ClientHello::parse(&body).unwrap();
    assert_eq!(h.extensions().count(), 0);
    assert_eq!(h.sni(), None);
    assert!(
        ja4(&h).starts_with("ts3i050000_") && ja4(&h).ends_with("_000000000000"),
        "{}",
        ja4(&h)
    );
}

#[test]
fn sslv2_client_hello_is_recognised() {
    // A v3-capable client using v2 framing: two TLS suites, one SSLv2-only kind.
    let rec = sslv2_client_hello(0x0301, &[0x00_002f, 0x01_0080, 0x00_000a], 5);
    assert_eq!(sniff(&rec), Sniff::Sslv2ClientHello);
    let Progress::Done((v, ciphers, v2only, sslv2, j)) = scan_client(&rec, |h| {
        (
            h.highest_version(),
            h.cipher_suites().collect::<Vec<_>>(),
            h.sslv2_only_ciphers(),
            h.sslv2,
            ja4(h),
        )
    }) else {
        panic!("SSLv2 hello not parsed")
    };
    assert_eq!(v, Version::TLS10);
    assert_eq!(ciphers, vec![0x002f, 0x000a]);
    assert_eq!(v2only, 1);
    assert!(sslv2);
    assert!(j.starts_with("t10i020000_"), "{j}");

    let v2 = sslv2_client_hello(0x0002, &[0x01_0080, 0x07_00c0], 6);
    let Progress::Done(v) = scan_client(&v2, |h| h.highest_version()) else {
        panic!()
    };
    assert_eq!(v, Version::SSL2);
    let sh = sslv2_server_hello(0x01_0080, 7);
    assert_eq!(sniff(&sh), Sniff::Sslv2ServerHello);
    let Progress::Done(ServerOutcome::Hello { hello, hrr: false }) =
        scan_server(&sh, |h| h.version())
    else {
        panic!()
    };
    assert_eq!(hello, Version::SSL2);
}

#[test]
fn server_hello_versions_and_hello_retry_request() {
    let sh = server_hello_message(&ServerSpec::tls13());
    let h = ServerHello::parse(&sh[4..]).unwrap();
    assert_eq!(h.legacy_version, Version::TLS12);
    assert_eq!(h.version(), Version::TLS13);
    assert_eq!(h.cipher_suite, 0x1301);
    assert!(!h.is_hello_retry_request());

    for v in [
        Version::SSL3,
        Version::TLS10,
        Version::TLS11,
        Version::TLS12,
    ] {
        let m = server_hello_message(&ServerSpec::legacy(v, 0x002f));
        assert_eq!(ServerHello::parse(&m[4..]).unwrap().version(), v);
    }

    // HRR + CCS, then (later in the stream) the real ServerHello.
    let mut stream = hello_retry_request_records(&ServerSpec::tls13());
    assert_eq!(scan_server(&stream, |h| h.version()), Progress::NeedMore);
    stream.extend_from_slice(&server_hello_record(&ServerSpec::tls13()));
    assert_eq!(
        scan_server(&stream, |h| (h.version(), h.cipher_suite)),
        Progress::Done(ServerOutcome::Hello {
            hello: (Version::TLS13, 0x1301),
            hrr: true
        })
    );
}

#[test]
fn server_alert_instead_of_hello() {
    let a = alert_record(0x0300, 40);
    assert_eq!(
        scan_server(&a, |h| h.version()),
        Progress::Done(ServerOutcome::Alert {
            level: 2,
            description: 40,
            hrr: false
        })
    );
}

#[test]
fn several_records_and_messages_in_one_slice() {
    // ServerHello + Certificate-like message in one record, then app data.
    let spec = ServerSpec::legacy(Version::TLS12, 0xc02f);
    let mut hs = server_hello_message(&spec);
    hs.extend_from_slice(&handshake(11, &[0u8; 300]));
    let mut stream = record(22, 0x0303, &hs);
    stream.extend_from_slice(&application_data_record(50, 1));
    assert_eq!(
        scan_server(&stream, |h| h.version()),
        Progress::Done(ServerOutcome::Hello {
            hello: Version::TLS12,
            hrr: false
        })
    );
    // The ServerHello is parsed from the first bytes of a record that is
    // not complete yet (a big first flight cut by the segment).
    let cut = &stream[..5 + hs.len() - 100];
    assert!(matches!(
        scan_server(cut, |h| h.version()),
        Progress::Done(_)
    ));
}

#[test]
fn message_split_over_records_at_every_byte() {
    let spec = ClientSpec::tls13("split.example");
    let msg = client_hello_message(&spec);
    let whole = scan_client(&record(22, 0x0301, &msg), summary);
    let Progress::Done(ref expected) = whole else {
        panic!("{whole:?}")
    };
    for cut in 1..msg.len() {
        let stream = records_split(0x0301, &msg, &[cut]);
        assert_eq!(
            scan_client(&stream, summary),
            Progress::Done(expected.clone_for_test()),
            "cut at {cut}"
        );
    }
    // Three records.
    for cut in (1..msg.len() - 1).step_by(7) {
        let stream = records_split(0x0301, &msg, &[cut, cut + 1]);
        assert_eq!(
            scan_client(&stream, summary),
            Progress::Done(expected.clone_for_test()),
            "cuts at {cut}"
        );
    }
}

#[test]
fn every_prefix_of_a_hello_stream_needs_more() {
    let cases: Vec<Vec<u8>> = vec![
        client_hello_record(&ClientSpec::tls13("a.example")),
        client_hello_record(&ClientSpec::legacy(Version::SSL3, None)),
        records_split(
            0x0301,
            &client_hello_message(&ClientSpec::tls12("b.example")),
            &[10, 200],
        ),
        sslv2_client_hello(0x0300, &[0x00_0035, 0x00_0004], 1),
    ];
    for stream in &cases {
        assert!(matches!(scan_client(stream, |_| ()), Progress::Done(())));
        for n in 0..stream.len() {
            assert_eq!(
                scan_client(&stream[..n], |_| ()),
                Progress::NeedMore,
                "prefix of {n} bytes"
            );
        }
    }
    let mut server = hello_retry_request_records(&ServerSpec::tls13());
    server.extend_from_slice(&server_hello_record(&ServerSpec::tls13()));
    for n in 0..server.len() {
        assert_eq!(
            scan_server(&server[..n], |_| ()),
            Progress::NeedMore,
            "prefix of {n} bytes"
        );
    }
}

#[test]
fn sniff_detects_by_content_not_port() {
    assert_eq!(
        sniff(&client_hello_record(&ClientSpec::tls13("x"))),
        Sniff::ClientHello
    );
    assert_eq!(
        sniff(&server_hello_record(&ServerSpec::tls13())),
        Sniff::ServerHello
    );
    assert_eq!(sniff(b"GET / HTTP/1.1\r\n"), Sniff::No);
    assert_eq!(sniff(&application_data_record(10, 1)), Sniff::No);
    assert_eq!(sniff(&alert_record(0x0303, 40)), Sniff::No);
    assert_eq!(
        sniff(&[0x16, 0x03, 0x03, 0x00, 0x10, 0x10]),
        Sniff::No,
        "ClientKeyExchange is no start"
    );
    assert_eq!(
        sniff(&[0x16, 0x03]),
        Sniff::ClientHello,
        "consistent prefix"
    );
    assert_eq!(sniff(&[0x16, 0x02]), Sniff::No);
    assert_eq!(sniff(b""), Sniff::No);
    // Random bytes with the high bit set are not taken for SSLv2 hellos.
    let mut rng = netops_testkit::Rng::xorshift64star(5);
    let mut starts = 0;
    for _ in 0..100_000 {
        let mut b = [0u8; 64];
        rng.fill(&mut b);
        b[0] |= 0x80;
        if sniff(&b) != Sniff::No {
            starts += 1;
        }
    }
    assert_eq!(starts, 0);
}

#[test]
fn client_version_is_rejected_when_not_ssl3_or_tls() {
    let mut body = client_body(&ClientSpec::tls12("x"));
    body[0] = 0x02;
    let e = ClientHello::parse(&body).unwrap_err();
    assert!(e.to_string().contains("client_version"), "{e}");
    // Lengths that overrun are reported with their offset.
    let body = client_body(&ClientSpec::tls12("x"));
    let e = ClientHello::parse(&body[..40]).unwrap_err();
    // version (2) + random (32) + length byte: the id bytes start at 35; 5 of 32 are there.
    assert_eq!(
        e.to_string(),
        "truncated session_id at byte offset 35: need 27 more byte(s)"
    );
}

trait CloneForTest {
    fn clone_for_test(&self) -> Self;
}
impl CloneForTest for Summary {
    fn clone_for_test(&self) -> Self {
        Summary {
            legacy: self.legacy,
            highest: self.highest,
            offered: self.offered.clone(),
            sni: self.sni.clone(),
            alpn: self.alpn.clone(),
            ja4: self.ja4.clone(),
        }
    }
}
