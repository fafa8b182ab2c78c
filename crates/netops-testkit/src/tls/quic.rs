//! QUIC Initial packets ENCRYPTED with keys from known Destination
//! Connection IDs (through `tls_handshake::quic::seal`, which reproduces the
//! RFC 9001/9369 sample packets byte for byte), and UDP conversations of
//! them for captures: ClientHellos cut into several CRYPTO frames, out of
//! order, spread over several Initial packets with PING and PADDING between
//! them, retransmitted Initials, server Initials coalesced with a Handshake
//! packet, 1-RTT short-header packets after the handshake.

use std::net::SocketAddr;

use tls_handshake::quic::{InitialKeys, QuicVersion, seal};

use crate::frame::udp_frame;
use crate::rng::Rng;
use crate::tls::capture::Expected;
use crate::tls::hello::{ClientSpec, ServerSpec, client_hello_message, server_hello_message};

/// How a connection's Initial packets are built.
#[derive(Clone, Debug)]
pub struct InitialSpec {
    /// QUIC version.
    pub version: QuicVersion,
    /// The client's original Destination Connection ID (the keys' source).
    pub dcid: Vec<u8>,
    /// The client's Source Connection ID.
    pub client_scid: Vec<u8>,
    /// The server's Source Connection ID.
    pub server_scid: Vec<u8>,
    /// Offsets at which the ClientHello is cut into CRYPTO frames.
    pub cuts: Vec<usize>,
    /// Client Initial packets the frames are spread over (round robin).
    pub packets: usize,
    /// Frames in reverse order within each packet, and packets in reverse
    /// order of their first offset (out-of-order delivery).
    pub reverse: bool,
    /// Several packets coalesced into one datagram (padded at the end)
    /// instead of one packet per datagram.
    pub coalesce: bool,
}

impl InitialSpec {
    /// A QUIC v1 connection: the ClientHello in one CRYPTO frame.
    pub fn v1(dcid: &[u8]) -> Self {
        InitialSpec {
            version: QuicVersion::V1,
            dcid: dcid.to_vec(),
            client_scid: vec![0xc1, 0x1e, 0x47, 0x01],
            server_scid: vec![0x5e, 0x4f, 0xe4, 0x01, 0x02, 0x03, 0x04, 0x05],
            cuts: Vec::new(),
            packets: 1,
            reverse: false,
            coalesce: false,
        }
    }

    /// The same for another version.
    pub fn with_version(mut self, v: QuicVersion) -> Self {
        self.version = v;
        self
    }

    fn keys(&self) -> InitialKeys {
        InitialKeys::derive(self.version, &self.dcid)
    }
}

/// A QUIC variable-length integer in its shortest form.
pub fn varint(v: u64) -> Vec<u8> {
    match v {
        0..=0x3f => vec![v as u8],
        0x40..=0x3fff => ((v as u16) | 0x4000).to_be_bytes().to_vec(),
        0x4000..=0x3fff_ffff => ((v as u32) | 0x8000_0000).to_be_bytes().to_vec(),
        _ => (v | 0xc000_0000_0000_0000).to_be_bytes().to_vec(),
    }
}

/// A CRYPTO frame.
pub fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend(varint(offset));
    f.extend(varint(data.len() as u64));
    f.extend_from_slice(data);
    f
}

/// An ACK frame acknowledging packets `0..=largest`.
pub fn ack_frame(largest: u64) -> Vec<u8> {
    let mut f = vec![0x02];
    f.extend(varint(largest));
    f.extend(varint(0)); // delay
    f.extend(varint(0)); // no further ranges
    f.extend(varint(largest)); // first range
    f
}

/// A protected long-header packet of type `ty_bits` (the version's own
/// bits, 0..=3) with a 2-byte packet number; the payload is padded with
/// PADDING so that the packet is at least `min_len` bytes. The Initial's
/// token is empty. Keys `None`: the payload is sent as is (a Handshake
/// packet whose keys nobody outside has).
#[allow(clippy::too_many_arguments)]
pub fn long_packet(
    version: QuicVersion,
    ty_bits: u8,
    dcid: &[u8],
    scid: &[u8],
    pn: u16,
    payload: &[u8],
    min_len: usize,
    keys: Option<&tls_handshake::quic::Keys>,
) -> Vec<u8> {
    let initial = ty_bits == version.initial_type_bits();
    let mut head = vec![0xc0 | (ty_bits << 4) | 0x01];
    head.extend_from_slice(&version.wire().to_be_bytes());
    head.push(dcid.len() as u8);
    head.extend_from_slice(dcid);
    head.push(scid.len() as u8);
    head.extend_from_slice(scid);
    if initial {
        head.push(0); // token length
    }
    // Length (2-byte varint) + pn (2) + payload + tag (16).
    let fixed = head.len() + 2 + 2 + 16;
    let mut body = payload.to_vec();
    // At least 20 bytes of payload keep the header-protection sample inside.
    let want = min_len.saturating_sub(fixed).max(body.len()).max(20);
    body.resize(want, 0);
    let len = 2 + body.len() + 16;
    head.extend_from_slice(&((len as u16) | 0x4000).to_be_bytes());
    head.extend_from_slice(&pn.to_be_bytes());
    match keys {
        Some(k) => seal(&head, u64::from(pn), &body, k).expect("a padded payload seals"),
        None => {
            head.extend_from_slice(&body);
            head.extend_from_slice(&[0xaa; 16]);
            head
        }
    }
}

/// The client's Initial datagrams carrying the ClientHello of `hello` as
/// `spec` says, each padded to 1200 bytes (RFC 9000, 14.1).
pub fn client_initials(spec: &InitialSpec, hello: &ClientSpec) -> Vec<Vec<u8>> {
    let msg = client_hello_message(hello);
    let keys = spec.keys();
    let mut cuts: Vec<usize> = spec
        .cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < msg.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut bounds = vec![0];
    bounds.extend(cuts);
    bounds.push(msg.len());
    let pieces: Vec<(usize, &[u8])> = bounds
        .windows(2)
        .map(|w| (w[0], &msg[w[0]..w[1]]))
        .collect();
    let n = spec.packets.max(1);
    let mut per_packet: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..pieces.len() {
        per_packet[i % n].push(i);
    }
    let mut packets: Vec<Vec<u8>> = Vec::new();
    for (p, idx) in per_packet.iter().enumerate() {
        let mut order = idx.clone();
        if spec.reverse {
            order.reverse();
        }
        let mut payload = Vec::new();
        for i in order {
            let (off, data) = pieces[i];
            if i % 2 == 1 {
                // PING and a little PADDING between CRYPTO frames, as Chrome does.
                payload.extend_from_slice(&[0x01, 0x00, 0x00]);
            }
            payload.extend(crypto_frame(off as u64, data));
        }
        let min = if spec.coalesce { 0 } else { 1200 };
        packets.push(long_packet(
            spec.version,
            spec.version.initial_type_bits(),
            &spec.dcid,
            &spec.client_scid,
            p as u16,
            &payload,
            min,
            Some(&keys.client),
        ));
    }
    if spec.reverse {
        packets.reverse();
    }
    if spec.coalesce {
        let mut d: Vec<u8> = packets.concat();
        // Pad the datagram with one more Initial holding only PADDING.
        let fill = 1200usize.saturating_sub(d.len()).max(64);
        d.extend(long_packet(
            spec.version,
            spec.version.initial_type_bits(),
            &spec.dcid,
            &spec.client_scid,
            n as u16,
            &[],
            fill,
            Some(&keys.client),
        ));
        vec![d]
    } else {
        packets
    }
}

/// A later client Initial (after the server's first flight): an ACK only,
/// sent to the server's connection ID, packet number `pn`.
pub fn client_ack_initial(spec: &InitialSpec, pn: u16) -> Vec<u8> {
    let keys = spec.keys();
    long_packet(
        spec.version,
        spec.version.initial_type_bits(),
        &spec.server_scid,
        &spec.client_scid,
        pn,
        &ack_frame(0),
        1200,
        Some(&keys.client),
    )
}

/// The server's first datagram: an Initial (ACK + CRYPTO with the
/// ServerHello) coalesced with a Handshake packet nobody outside can
/// decrypt.
pub fn server_initials(spec: &InitialSpec, hello: &ServerSpec) -> Vec<Vec<u8>> {
    let keys = spec.keys();
    let msg = server_hello_message(hello);
    let mut payload = ack_frame(spec.packets.max(1) as u64 - 1);
    payload.extend(crypto_frame(0, &msg));
    let mut d = long_packet(
        spec.version,
        spec.version.initial_type_bits(),
        &spec.client_scid,
        &spec.server_scid,
        0,
        &payload,
        0,
        Some(&keys.server),
    );
    let mut hs = vec![0u8; 600];
    Rng::xorshift64star(hello.seed).fill(&mut hs);
    // Handshake packet type: v1 0b10, v2 0b11.
    let hs_bits = match spec.version {
        QuicVersion::V2 => 3,
        _ => 2,
    };
    d.extend(long_packet(
        spec.version,
        hs_bits,
        &spec.client_scid,
        &spec.server_scid,
        0,
        &hs,
        0,
        None,
    ));
    vec![d]
}

/// A 1-RTT short-header packet (opaque, as on the wire after the handshake).
pub fn short_packet(dcid: &[u8], len: usize, seed: u64) -> Vec<u8> {
    let mut p = vec![0x41];
    p.extend_from_slice(dcid);
    let mut body = vec![0u8; len];
    Rng::xorshift64star(seed).fill(&mut body);
    p.extend(body);
    p
}

/// One QUIC connection for a capture: the client's Initials (retransmitted
/// when asked), the server's first datagram, the client's ACK Initial to
/// the server's connection ID, then some 1-RTT packets.
#[derive(Clone, Debug)]
pub struct QuicConversation {
    /// Client endpoint (IPv4).
    pub client: SocketAddr,
    /// Server endpoint (IPv4).
    pub server: SocketAddr,
    /// The packets' layout.
    pub spec: InitialSpec,
    /// The ClientHello.
    pub hello: ClientSpec,
    /// The ServerHello (`None`: the server never answers).
    pub server_hello: Option<ServerSpec>,
    /// Send the client's first datagram again after its last one.
    pub retransmit: bool,
    /// What the audit must report.
    pub expected: Expected,
    /// ALPN the client offers (as reported).
    pub alpn: Vec<&'static str>,
}

fn v4(sock: SocketAddr) -> (std::net::Ipv4Addr, u16) {
    match sock.ip() {
        std::net::IpAddr::V4(a) => (a, sock.port()),
        std::net::IpAddr::V6(_) => (std::net::Ipv4Addr::UNSPECIFIED, sock.port()),
    }
}

impl QuicConversation {
    /// The UDP frames, `(timestamp, bytes)`, from `t0`, `step_ns` apart.
    pub fn frames(&self, t0: i64, step_ns: i64) -> Vec<(i64, Vec<u8>)> {
        let (c, s) = (v4(self.client), v4(self.server));
        let mut out = Vec::new();
        let mut t = t0;
        let mut push = |from_client: bool, d: &[u8], out: &mut Vec<(i64, Vec<u8>)>| {
            let f = if from_client {
                udp_frame(c, s, d)
            } else {
                udp_frame(s, c, d)
            };
            out.push((t, f));
            t += step_ns;
        };
        let ch = client_initials(&self.spec, &self.hello);
        for d in &ch {
            push(true, d, &mut out);
        }
        if self.retransmit
            && let Some(first) = ch.first()
        {
            push(true, first, &mut out);
        }
        if let Some(sh) = &self.server_hello {
            for d in server_initials(&self.spec, sh) {
                push(false, &d, &mut out);
            }
            let pn = ch.len() as u16 + 1;
            push(true, &client_ack_initial(&self.spec, pn), &mut out);
            for i in 0..3u64 {
                push(
                    true,
                    &short_packet(&self.spec.server_scid, 60 + 40 * i as usize, i),
                    &mut out,
                );
                push(
                    false,
                    &short_packet(&self.spec.client_scid, 900, 10 + i),
                    &mut out,
                );
            }
        }
        out
    }
}

/// A QUIC conversation between `10.0.7.n:50000+n` and `198.51.100.n:443`
/// (TLS 1.3, ALPN h3) with what the audit must report.
pub fn quic_conversation(
    n: u8,
    spec: InitialSpec,
    sni: &'static str,
    answer: bool,
    retransmit: bool,
) -> QuicConversation {
    let t13 = "TLS 1.3";
    let client = SocketAddr::from(([10, 0, 7, n], 50_000 + u16::from(n)));
    let server = SocketAddr::from(([198, 51, 100, n], 443));
    let mut hello = ClientSpec::quic(sni);
    hello.seed = 100 + u64::from(n);
    QuicConversation {
        client,
        server,
        spec,
        hello,
        server_hello: answer.then(ServerSpec::tls13),
        retransmit,
        expected: Expected {
            client,
            server,
            version: answer.then_some(t13),
            client_version: t13,
            offered: vec![t13],
            sni: Some(sni),
            wrap: None,
            cert: None,
        },
        alpn: vec!["h3"],
    }
}

/// `n` conversations (at most 250) with layouts drawn from `seed`: version,
/// cuts, packets, order, coalescing, retransmission, answer.
pub fn random_quic_conversations(n: u8, seed: u64) -> Vec<QuicConversation> {
    const SNIS: [&str; 4] = [
        "a.quic.example",
        "bb.quic.example",
        "ccc.quic.example",
        "dddd.quic.example",
    ];
    let mut rng = Rng::xorshift64star(seed);
    (1..=n.min(250))
        .map(|i| {
            let version =
                [QuicVersion::V1, QuicVersion::V2, QuicVersion::Draft(29)][rng.below(3) as usize];
            let mut dcid = vec![0u8; 4 + rng.below(17) as usize];
            rng.fill(&mut dcid);
            let cuts = (0..rng.below(8))
                .map(|_| rng.range(1, 280) as usize)
                .collect();
            let spec = InitialSpec {
                cuts,
                packets: 1 + rng.below(3) as usize,
                reverse: rng.chance(50),
                coalesce: rng.chance(30),
                ..InitialSpec::v1(&dcid).with_version(version)
            };
            quic_conversation(
                i,
                spec,
                SNIS[rng.below(4) as usize],
                rng.chance(85),
                rng.chance(30),
            )
        })
        .collect()
}

/// The QUIC conversations of `testdata/tls/quic.pcap`: v1 and v2, a
/// ClientHello in one frame, cut into many frames out of order over two
/// Initials, coalesced Initials, a retransmitted first Initial, draft-29, and
/// a client whose server never answers.
pub fn quic_conversations() -> Vec<QuicConversation> {
    let conv = quic_conversation;
    let dcid = |n: u8| vec![0xd0, n, 0x11, 0x22, 0x33, 0x44, 0x55, n];
    vec![
        conv(
            1,
            InitialSpec::v1(&dcid(1)),
            "one.quic.example",
            true,
            false,
        ),
        conv(
            2,
            InitialSpec {
                cuts: vec![40, 90, 150, 200, 260],
                packets: 2,
                reverse: true,
                ..InitialSpec::v1(&dcid(2))
            },
            "split.quic.example",
            true,
            true,
        ),
        conv(
            3,
            InitialSpec {
                cuts: vec![100],
                packets: 2,
                coalesce: true,
                ..InitialSpec::v1(&dcid(3)).with_version(QuicVersion::V2)
            },
            "v2.quic.example",
            true,
            false,
        ),
        conv(
            4,
            InitialSpec::v1(&dcid(4)).with_version(QuicVersion::Draft(29)),
            "draft29.quic.example",
            true,
            false,
        ),
        conv(
            5,
            InitialSpec {
                cuts: vec![64, 128],
                ..InitialSpec::v1(&dcid(5))
            },
            "silent.quic.example",
            false,
            true,
        ),
    ]
}

/// Interleaves QUIC conversations like
/// [`interleave`](crate::tls::capture::interleave): conversation `i` starts
/// `i * 40 ms` after `t0`, packets 10 ms apart, merged by time. A DNS
/// query and answer (UDP, not QUIC) are mixed in.
pub fn quic_frames(convs: &[QuicConversation], t0: i64) -> Vec<(i64, Vec<u8>)> {
    let mut all: Vec<(i64, usize, Vec<u8>)> = Vec::new();
    for (i, c) in convs.iter().enumerate() {
        for (t, f) in c.frames(t0 + i as i64 * 40_000_000, 10_000_000) {
            all.push((t, i, f));
        }
    }
    // A DNS exchange whose first byte (0xc0...) has the long-header bits:
    // rejected by the version check.
    let q = [
        0xc0, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let dns_c = (std::net::Ipv4Addr::new(10, 0, 7, 99), 53_000);
    let dns_s = (std::net::Ipv4Addr::new(10, 0, 0, 53), 53);
    all.push((t0 + 5_000_000, usize::MAX, udp_frame(dns_c, dns_s, &q)));
    all.push((t0 + 6_000_000, usize::MAX, udp_frame(dns_s, dns_c, &q)));
    all.sort_by_key(|(t, i, _)| (*t, *i));
    all.into_iter().map(|(t, _, f)| (t, f)).collect()
}
