//! Arbitrary and truncated bytes never panic any parser.

use netops_testkit::tls::hello::*;
use proptest::prelude::*;
use tls_handshake::Version;
use tls_handshake::hello::{ClientHello, ServerHello};
use tls_handshake::ja4::ja4;
use tls_handshake::record::{
    Progress, Sniff, may_start_hello, records, scan_client, scan_server, sniff,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let found = sniff(&b);
        // The scans' cheap first test never drops what sniff would take.
        prop_assert!(may_start_hello(&b) || found == Sniff::No, "{found:?} on {b:02x?}");
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
    fn mutated_hellos(pos in any::<prop::sample::Index>(), val in any::<u8>(), which in 0usize..8, cut in any::<prop::sample::Index>()) {
        let mut b = match which {
            0 => client_hello_record(&ClientSpec::tls13("m.example")),
            1 => client_hello_record(&ClientSpec::legacy(Version::TLS11, Some("m"))),
            2 => sslv2_client_hello(0x0301, &[0x00_002f, 0x01_0080], 3),
            3 => server_hello_record(&ServerSpec::tls13()),
            4 => sslv2_server_hello(0x01_0080, 5),
            5 => tds_wrap(&client_hello_record(&ClientSpec::tls13("t.example")), 0x12, 4096, 1),
            6 => tds_wrap(&server_hello_record(&ServerSpec::tls13()), 0x04, 4096, 1),
            _ => hello_retry_request_records(&ServerSpec::tls13()),
        };
        let i = pos.index(b.len());
        b[i] = val;
        let b = &b[..cut.index(b.len() + 1)];
        // Hellos, cut and mutated, are where sniff says yes: the cheap
        // first test must let every one of those through.
        let found = sniff(b);
        prop_assert!(may_start_hello(b) || found == Sniff::No, "{found:?} on {b:02x?}");
        match scan_client(b, |h| (ja4(h), h.alpn().count(), h.signature_algorithms().count())) {
            Progress::Done(_) | Progress::NeedMore | Progress::Failed(_) => {}
        }
        let _ = scan_server(b, |h| (h.version(), h.is_hello_retry_request()));
    }
}
