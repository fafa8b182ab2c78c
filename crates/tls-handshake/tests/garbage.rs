//! Arbitrary and truncated bytes never panic any parser.

use netops_testkit::tls::hello::*;
use proptest::prelude::*;
use tls_handshake::Version;
use tls_handshake::hello::{ClientHello, ServerHello};
use tls_handshake::ja4::ja4;
use tls_handshake::record::{Progress, records, scan_client, scan_server, sniff};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = sniff(&b);
        let _ = records(&b).count();
        if let Ok(h) = ClientHello::parse(&b) {
            let _ = (ja4(&h), h.sni(), h.alpn().count(), h.offered_versions());
        }
        let _ = ClientHello::parse_sslv2(&b).map(|h| ja4(&h));
        let _ = ServerHello::parse(&b).map(|h| h.version());
        let _ = ServerHello::parse_sslv2(&b).map(|h| h.version());
        let _ = scan_client(&b, |h| (ja4(h), h.sni().map(<[u8]>::to_vec)));
        let _ = scan_server(&b, |h| h.version());
    }

    /// Valid hellos with bytes flipped: parse or fail, never panic; when the
    /// mutated hello still parses, its accessors are safe to call.
    #[test]
    fn mutated_hellos(pos in any::<prop::sample::Index>(), val in any::<u8>(), which in 0usize..5, cut in any::<prop::sample::Index>()) {
        let mut b = match which {
            0 => client_hello_record(&ClientSpec::tls13("m.example")),
            1 => client_hello_record(&ClientSpec::legacy(Version::TLS11, Some("m"))),
            2 => sslv2_client_hello(0x0301, &[0x00_002f, 0x01_0080], 3),
            3 => server_hello_record(&ServerSpec::tls13()),
            _ => hello_retry_request_records(&ServerSpec::tls13()),
        };
        let i = pos.index(b.len());
        b[i] = val;
        let b = &b[..cut.index(b.len() + 1)];
        match scan_client(b, |h| (ja4(h), h.alpn().count(), h.signature_algorithms().count())) {
            Progress::Done(_) | Progress::NeedMore | Progress::Failed(_) => {}
        }
        let _ = scan_server(b, |h| (h.version(), h.is_hello_retry_request()));
    }
}
