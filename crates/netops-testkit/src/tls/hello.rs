//! Deterministic builders of TLS/SSL hellos, for tests, synthetic captures
//! and benchmarks. Everything is derived from the spec and its `seed`, so
//! the same spec always gives the same bytes.

use tls_handshake::Version;
use tls_handshake::hello::{HELLO_RETRY_REQUEST_RANDOM, ext};

use crate::rng::Rng;

/// What a generated ClientHello contains.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// Version in the record header.
    pub record_version: u16,
    /// `legacy_version` of the hello.
    pub legacy_version: u16,
    /// `supported_versions` list, if the extension is sent.
    pub supported_versions: Option<Vec<u16>>,
    /// SNI host name.
    pub sni: Option<String>,
    /// ALPN protocols.
    pub alpn: Vec<String>,
    /// Cipher suites in wire order.
    pub ciphers: Vec<u16>,
    /// Signature algorithms, if the extension is sent.
    pub sig_algs: Option<Vec<u16>>,
    /// Extension types in wire order. SNI (0), ALPN (0x10),
    /// supported_versions (0x2b) and signature_algorithms (0x0d) get their
    /// real contents from the fields above; other types get filler data.
    pub extension_order: Vec<u16>,
    /// Seed for random, session id and filler bytes.
    pub seed: u64,
}

const CHROME_CIPHERS: [u16; 16] = [
    0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
    0x009c, 0x009d, 0x002f, 0x0035,
];
const SIG_ALGS: [u16; 8] = [
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];

impl ClientSpec {
    /// A browser-like TLS 1.3 hello (GREASE, SNI, ALPN h2 + http/1.1).
    pub fn tls13(sni: &str) -> Self {
        ClientSpec {
            record_version: 0x0301,
            legacy_version: 0x0303,
            supported_versions: Some(vec![0x6a6a, 0x0304, 0x0303]),
            sni: Some(sni.to_owned()),
            alpn: vec!["h2".into(), "http/1.1".into()],
            ciphers: CHROME_CIPHERS.to_vec(),
            sig_algs: Some(SIG_ALGS.to_vec()),
            extension_order: vec![
                0x1a1a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x000d,
                0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x2a2a,
            ],
            seed: 1,
        }
    }

    /// A browser-like ClientHello as sent in QUIC Initials: TLS 1.3 only,
    /// ALPN `h3`, `quic_transport_parameters` (0x39), GREASE.
    pub fn quic(sni: &str) -> Self {
        ClientSpec {
            record_version: 0x0303,
            legacy_version: 0x0303,
            supported_versions: Some(vec![0x8a8a, 0x0304]),
            sni: Some(sni.to_owned()),
            alpn: vec!["h3".into()],
            ciphers: vec![0x8a8a, 0x1301, 0x1302, 0x1303],
            sig_algs: Some(SIG_ALGS.to_vec()),
            extension_order: vec![
                0x8a8a, 0x0033, 0x0000, 0x002d, 0x000d, 0x0039, 0x0010, 0x000a, 0x002b, 0x001b,
                0x4469, 0x9a9a,
            ],
            seed: 5,
        }
    }

    /// A TLS 1.2 hello without `supported_versions`.
    pub fn tls12(sni: &str) -> Self {
        ClientSpec {
            record_version: 0x0301,
            legacy_version: 0x0303,
            supported_versions: None,
            sni: Some(sni.to_owned()),
            alpn: vec!["http/1.1".into()],
            ciphers: vec![
                0xc02f, 0xc030, 0xc013, 0xc014, 0x009c, 0x002f, 0x0035, 0x00ff,
            ],
            sig_algs: Some(SIG_ALGS.to_vec()),
            extension_order: vec![
                0x0000, 0x000b, 0x000a, 0x0023, 0x0010, 0x0016, 0x0017, 0x000d,
            ],
            seed: 2,
        }
    }

    /// An old-style hello at `version` (SSL 3.0, TLS 1.0 or 1.1): no
    /// `supported_versions`, optionally SNI (SSL 3.0 clients send no extensions).
    pub fn legacy(version: Version, sni: Option<&str>) -> Self {
        let no_ext = version == Version::SSL3;
        ClientSpec {
            record_version: version.0,
            legacy_version: version.0,
            supported_versions: None,
            sni: if no_ext { None } else { sni.map(str::to_owned) },
            alpn: Vec::new(),
            ciphers: vec![0x0035, 0x002f, 0x000a, 0x0005, 0x0004],
            sig_algs: None,
            extension_order: if no_ext {
                Vec::new()
            } else {
                vec![0x0000, 0xff01]
            },
            seed: u64::from(version.0),
        }
    }
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

fn with_len16(v: &mut Vec<u8>, body: &[u8]) {
    put16(v, body.len() as u16);
    v.extend_from_slice(body);
}

fn extension_data(spec: &ClientSpec, ty: u16, rng: &mut Rng) -> Vec<u8> {
    let mut d = Vec::new();
    match ty {
        ext::SERVER_NAME => {
            let name = spec.sni.as_deref().unwrap_or("").as_bytes();
            let mut entry = vec![0u8];
            with_len16(&mut entry, name);
            with_len16(&mut d, &entry);
        }
        ext::ALPN => {
            let mut list = Vec::new();
            for p in &spec.alpn {
                list.push(p.len() as u8);
                list.extend_from_slice(p.as_bytes());
            }
            with_len16(&mut d, &list);
        }
        ext::SUPPORTED_VERSIONS => {
            let vs = spec.supported_versions.as_deref().unwrap_or(&[]);
            d.push((vs.len() * 2) as u8);
            for &v in vs {
                put16(&mut d, v);
            }
        }
        ext::SIGNATURE_ALGORITHMS => {
            let mut list = Vec::new();
            for &s in spec.sig_algs.as_deref().unwrap_or(&[]) {
                put16(&mut list, s);
            }
            with_len16(&mut d, &list);
        }
        0x000a => {
            with_len16(&mut d, &[0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
        }
        0x000b => d.extend_from_slice(&[1, 0]),
        0x0033 => {
            // One x25519 key share.
            let mut share = vec![0x00, 0x1d, 0x00, 0x20];
            let mut key = [0u8; 32];
            rng.fill(&mut key);
            share.extend_from_slice(&key);
            with_len16(&mut d, &share);
        }
        0x002d => d.extend_from_slice(&[1, 1]),
        0xff01 => d.push(0),
        0x0005 => d.extend_from_slice(&[1, 0, 0, 0, 0]),
        0x001b => d.extend_from_slice(&[2, 0, 2]),
        // quic_transport_parameters: initial_max_data 0x100000, max_idle_timeout 30 s
        0x0039 => d.extend_from_slice(&[
            0x04, 0x04, 0x80, 0x10, 0x00, 0x00, 0x01, 0x04, 0x80, 0x00, 0x75, 0x30,
        ]),
        t if tls_handshake::is_grease(t) => {}
        _ => {}
    }
    d
}

/// The ClientHello handshake message (4-byte header included).
pub fn client_hello_message(spec: &ClientSpec) -> Vec<u8> {
    let mut rng = Rng::xorshift64star(spec.seed);
    let mut b = Vec::with_capacity(512);
    put16(&mut b, spec.legacy_version);
    let mut random = [0u8; 32];
    rng.fill(&mut random);
    b.extend_from_slice(&random);
    let mut sid = [0u8; 32];
    rng.fill(&mut sid);
    b.push(32);
    b.extend_from_slice(&sid);
    let mut cs = Vec::new();
    for &c in &spec.ciphers {
        put16(&mut cs, c);
    }
    with_len16(&mut b, &cs);
    b.extend_from_slice(&[1, 0]);
    if !spec.extension_order.is_empty() {
        let mut exts = Vec::new();
        for &t in &spec.extension_order {
            put16(&mut exts, t);
            let d = extension_data(spec, t, &mut rng);
            with_len16(&mut exts, &d);
        }
        with_len16(&mut b, &exts);
    }
    handshake(1, &b)
}

/// Wraps a body in a handshake header of type `ty`.
pub fn handshake(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 4);
    m.push(ty);
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// Wraps bytes in one record of `content_type`.
pub fn record(content_type: u8, version: u16, fragment: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(fragment.len() + 5);
    r.push(content_type);
    put16(&mut r, version);
    with_len16(&mut r, fragment);
    r
}

/// Splits handshake bytes over several records, cutting at `cuts`
/// (offsets into `msg`, increasing).
pub fn records_split(version: u16, msg: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&msg.len())) {
        let c = c.clamp(start, msg.len());
        if c > start || (start == 0 && msg.is_empty()) {
            out.extend_from_slice(&record(22, version, &msg[start..c]));
        }
        start = c;
    }
    out
}

/// The ClientHello in one handshake record.
pub fn client_hello_record(spec: &ClientSpec) -> Vec<u8> {
    record(22, spec.record_version, &client_hello_message(spec))
}

/// An SSLv2-framed CLIENT-HELLO offering `version` (0x0002 for SSL 2.0,
/// 0x0300/0x0301 for a v3 client speaking v2 framing) with `specs`
/// (3-byte cipher kinds) and a 16-byte challenge.
pub fn sslv2_client_hello(version: u16, specs: &[u32], seed: u64) -> Vec<u8> {
    let mut rng = Rng::xorshift64star(seed);
    let mut m = vec![1u8];
    put16(&mut m, version);
    put16(&mut m, (specs.len() * 3) as u16);
    put16(&mut m, 0);
    put16(&mut m, 16);
    for &s in specs {
        m.extend_from_slice(&s.to_be_bytes()[1..]);
    }
    let mut ch = [0u8; 16];
    rng.fill(&mut ch);
    m.extend_from_slice(&ch);
    let mut r = vec![0x80 | (m.len() >> 8) as u8, m.len() as u8];
    r.extend_from_slice(&m);
    r
}

/// An SSLv2 SERVER-HELLO with a dummy 16-byte certificate and one cipher kind.
pub fn sslv2_server_hello(spec: u32, seed: u64) -> Vec<u8> {
    let mut rng = Rng::xorshift64star(seed);
    let mut m = vec![4u8, 0, 1];
    put16(&mut m, 0x0002);
    put16(&mut m, 16);
    put16(&mut m, 3);
    put16(&mut m, 16);
    let mut cert = [0u8; 16];
    rng.fill(&mut cert);
    m.extend_from_slice(&cert);
    m.extend_from_slice(&spec.to_be_bytes()[1..]);
    let mut cid = [0u8; 16];
    rng.fill(&mut cid);
    m.extend_from_slice(&cid);
    let mut r = vec![0x80 | (m.len() >> 8) as u8, m.len() as u8];
    r.extend_from_slice(&m);
    r
}

/// What a generated ServerHello contains.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// Version in the record header.
    pub record_version: u16,
    /// `legacy_version` of the hello.
    pub legacy_version: u16,
    /// `supported_versions` selection (TLS 1.3).
    pub selected_version: Option<u16>,
    /// Chosen cipher.
    pub cipher: u16,
    /// Seed for the random.
    pub seed: u64,
}

impl ServerSpec {
    /// A TLS 1.3 ServerHello (TLS_AES_128_GCM_SHA256).
    pub fn tls13() -> Self {
        ServerSpec {
            record_version: 0x0303,
            legacy_version: 0x0303,
            selected_version: Some(0x0304),
            cipher: 0x1301,
            seed: 3,
        }
    }
    /// A ServerHello negotiating `version` without `supported_versions`.
    pub fn legacy(version: Version, cipher: u16) -> Self {
        ServerSpec {
            record_version: version.0,
            legacy_version: version.0,
            selected_version: None,
            cipher,
            seed: u64::from(version.0) + 7,
        }
    }
}

fn server_hello_body(spec: &ServerSpec, random: Option<[u8; 32]>) -> Vec<u8> {
    let mut rng = Rng::xorshift64star(spec.seed);
    let mut b = Vec::new();
    put16(&mut b, spec.legacy_version);
    let random = random.unwrap_or_else(|| {
        let mut r = [0u8; 32];
        rng.fill(&mut r);
        r
    });
    b.extend_from_slice(&random);
    b.push(32);
    let mut sid = [0u8; 32];
    rng.fill(&mut sid);
    b.extend_from_slice(&sid);
    put16(&mut b, spec.cipher);
    b.push(0);
    let mut exts = Vec::new();
    put16(&mut exts, 0xff01);
    with_len16(&mut exts, &[0]);
    if let Some(v) = spec.selected_version {
        put16(&mut exts, ext::SUPPORTED_VERSIONS);
        with_len16(&mut exts, &v.to_be_bytes());
        put16(&mut exts, 0x0033);
        let mut share = vec![0x00, 0x1d, 0x00, 0x20];
        let mut key = [0u8; 32];
        rng.fill(&mut key);
        share.extend_from_slice(&key);
        with_len16(&mut exts, &share);
    }
    with_len16(&mut b, &exts);
    b
}

/// The ServerHello handshake message (4-byte header included).
pub fn server_hello_message(spec: &ServerSpec) -> Vec<u8> {
    handshake(2, &server_hello_body(spec, None))
}

/// The ServerHello in one record.
pub fn server_hello_record(spec: &ServerSpec) -> Vec<u8> {
    record(22, spec.record_version, &server_hello_message(spec))
}

/// A TLS 1.3 HelloRetryRequest record followed by the middlebox-compatibility
/// change_cipher_spec record.
pub fn hello_retry_request_records(spec: &ServerSpec) -> Vec<u8> {
    let mut out = record(
        22,
        spec.record_version,
        &handshake(
            2,
            &server_hello_body(spec, Some(HELLO_RETRY_REQUEST_RANDOM)),
        ),
    );
    out.extend_from_slice(&record(20, 0x0303, &[1]));
    out
}

/// A fatal alert record (e.g. 40 handshake_failure, 70 protocol_version).
pub fn alert_record(version: u16, description: u8) -> Vec<u8> {
    record(21, version, &[2, description])
}

/// Filler that looks like a TLS 1.2+ application-data record.
pub fn application_data_record(len: usize, seed: u64) -> Vec<u8> {
    let mut body = vec![0u8; len];
    Rng::xorshift64star(seed).fill(&mut body);
    record(23, 0x0303, &body)
}

/// The Certificate handshake message (TLS <= 1.2 layout, 4-byte header
/// included) carrying `chain` (DER, leaf first).
pub fn certificate_message(chain: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in chain {
        list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(c);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    handshake(11, &body)
}

/// A TLS <= 1.2 server's first flight: ServerHello, Certificate with
/// `chain`, ServerHelloDone, as handshake records of at most `max_record`
/// bytes of fragment each (messages cut across records where they do not fit).
pub fn server_flight_with_chain(spec: &ServerSpec, chain: &[&[u8]], max_record: usize) -> Vec<u8> {
    let mut hs = server_hello_message(spec);
    hs.extend_from_slice(&certificate_message(chain));
    hs.extend_from_slice(&handshake(14, &[]));
    let mut out = Vec::new();
    for part in hs.chunks(max_record.max(1)) {
        out.extend_from_slice(&record(22, spec.record_version, part));
    }
    out
}

/// Wraps TLS bytes in TDS packets (MS-TDS 2.2.6.5) of type `ty` (0x12
/// PRELOGIN; some servers answer in 0x04) with at most `max_data` bytes of
/// data each; the last packet has the end-of-message status. Packet ids
/// count from `first_id`.
pub fn tds_wrap(tls: &[u8], ty: u8, max_data: usize, first_id: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let parts: Vec<&[u8]> = tls.chunks(max_data.max(1)).collect();
    for (i, part) in parts.iter().enumerate() {
        let status = u8::from(i + 1 == parts.len());
        out.extend_from_slice(&[ty, status]);
        out.extend_from_slice(&((part.len() + 8) as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, first_id.wrapping_add(i as u8), 0]);
        out.extend_from_slice(part);
    }
    out
}
