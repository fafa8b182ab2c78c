//! Deterministic synthetic captures with TLS handshakes, for the tests, the
//! files in `testdata/tls/` and the benchmarks.
//!
//! Every conversation carries what a correct audit must report for it
//! ([`Expected`]), written down from the conversation's design, not from
//! the parser's output.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tls_handshake::Version;

use crate::capture::{CaptureWriter, Container};
use crate::frame::{TcpSegment, flags, tcp_frame};
use crate::rng::Rng;
use crate::tls::hello::{self as tg, ClientSpec, ServerSpec};

const FIN: u8 = flags::FIN;
const SYN: u8 = flags::SYN;
const RST: u8 = flags::RST;
const PSH: u8 = flags::PSH;
const ACK: u8 = flags::ACK;

/// One Ethernet frame carrying a TCP segment (802.1Q tags for `vlans`; the
/// outer one 802.1ad when there are two or more), window 0xfaf0, with
/// valid IPv4 and TCP checksums.
#[allow(clippy::too_many_arguments)]
pub fn segment(
    vlans: &[u16],
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    tcp_flags: u8,
    ip_id: u16,
    payload: &[u8],
) -> Vec<u8> {
    tcp_frame(&TcpSegment {
        vlans,
        qinq: vlans.len() > 1,
        seq,
        ack,
        window: 0xfaf0,
        ip_id,
        ..TcpSegment::new(src, dst, tcp_flags, payload)
    })
}

/// What the audit must report for a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Client endpoint.
    pub client: SocketAddr,
    /// Server endpoint.
    pub server: SocketAddr,
    /// Negotiated version name, or `None` when the server did not answer
    /// with a ServerHello.
    pub version: Option<&'static str>,
    /// Highest version the client offered.
    pub client_version: &'static str,
    /// Offered versions, strongest first.
    pub offered: Vec<&'static str>,
    /// SNI.
    pub sni: Option<&'static str>,
}

/// Which side sends a flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// The client.
    Client,
    /// The server.
    Server,
}

/// One TCP conversation: handshake, flights of bytes cut into segments at
/// the given offsets, and how it ends.
#[derive(Clone, Debug)]
pub struct Conversation {
    /// VLAN tags (outermost first).
    pub vlans: Vec<u16>,
    /// Client endpoint.
    pub client: SocketAddr,
    /// Server endpoint.
    pub server: SocketAddr,
    /// (sender, bytes, cut offsets, retransmit the first segment).
    pub flights: Vec<(From, Vec<u8>, Vec<usize>, bool)>,
    /// Close with FIN (true) or leave open.
    pub fin: bool,
    /// Close with RST from the server instead.
    pub rst: bool,
    /// What must be reported.
    pub expected: Option<Expected>,
}

impl Conversation {
    fn new(client: SocketAddr, server: SocketAddr) -> Self {
        Conversation {
            vlans: Vec::new(),
            client,
            server,
            flights: Vec::new(),
            fin: true,
            rst: false,
            expected: None,
        }
    }
    fn flight(mut self, from: From, bytes: Vec<u8>, cuts: &[usize]) -> Self {
        self.flights.push((from, bytes, cuts.to_vec(), false));
        self
    }
    fn retransmit_last(mut self) -> Self {
        if let Some(f) = self.flights.last_mut() {
            f.3 = true;
        }
        self
    }
    fn expect(
        mut self,
        version: Option<&'static str>,
        offered: &[&'static str],
        sni: Option<&'static str>,
    ) -> Self {
        self.expected = Some(Expected {
            client: self.client,
            server: self.server,
            version,
            client_version: offered[0],
            offered: offered.to_vec(),
            sni,
        });
        self
    }

    /// The frames, `(timestamp, bytes)`, starting at `t0` with `step_ns` between packets.
    pub fn frames(&self, t0: i64, step_ns: i64, ip_id: &mut u16) -> Vec<(i64, Vec<u8>)> {
        let mut out = Vec::new();
        let (c, s) = (self.client, self.server);
        let isn_c = 0x1000_0000u32.wrapping_add(u32::from(c.port()).wrapping_mul(7919));
        let isn_s = 0x8000_0000u32.wrapping_add(u32::from(c.port()).wrapping_mul(104_729));
        let (mut cseq, mut sseq) = (isn_c.wrapping_add(1), isn_s.wrapping_add(1));
        let mut t = t0;
        let mut push = |from_client: bool,
                        seq: u32,
                        ack: u32,
                        flags: u8,
                        payload: &[u8],
                        out: &mut Vec<(i64, Vec<u8>)>| {
            *ip_id = ip_id.wrapping_add(1);
            let (a, b) = if from_client { (c, s) } else { (s, c) };
            out.push((
                t,
                segment(&self.vlans, a, b, seq, ack, flags, *ip_id, payload),
            ));
            t += step_ns;
        };
        push(true, isn_c, 0, SYN, &[], &mut out);
        push(
            false,
            isn_s,
            isn_c.wrapping_add(1),
            SYN | ACK,
            &[],
            &mut out,
        );
        push(true, cseq, sseq, ACK, &[], &mut out);
        for (from, bytes, cuts, retransmit) in &self.flights {
            let client = *from == From::Client;
            let mut start = 0usize;
            let mut first = true;
            for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
                let end = end.clamp(start, bytes.len());
                if end == start {
                    continue;
                }
                let seg = &bytes[start..end];
                let (seq, ack) = if client { (cseq, sseq) } else { (sseq, cseq) };
                let seq = seq.wrapping_add(start as u32);
                push(client, seq, ack, PSH | ACK, seg, &mut out);
                if first && *retransmit {
                    push(client, seq, ack, PSH | ACK, seg, &mut out);
                }
                first = false;
                start = end;
            }
            if client {
                cseq = cseq.wrapping_add(bytes.len() as u32);
                push(false, sseq, cseq, ACK, &[], &mut out);
            } else {
                sseq = sseq.wrapping_add(bytes.len() as u32);
                push(true, cseq, sseq, ACK, &[], &mut out);
            }
        }
        if self.rst {
            push(false, sseq, cseq, RST | ACK, &[], &mut out);
        } else if self.fin {
            push(true, cseq, sseq, FIN | ACK, &[], &mut out);
            push(false, sseq, cseq.wrapping_add(1), FIN | ACK, &[], &mut out);
            push(
                true,
                cseq.wrapping_add(1),
                sseq.wrapping_add(1),
                ACK,
                &[],
                &mut out,
            );
        }
        out
    }
}

fn v4(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), port)
}

fn v6(host: u16, net: u16, port: u16) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, net, 0, 0, 0, 0, host)),
        port,
    )
}

fn appdata(seed: u64, n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        v.extend_from_slice(&tg::application_data_record(200 + 37 * i, seed + i as u64));
    }
    v
}

/// TLS 1.2 client second flight: ClientKeyExchange, ChangeCipherSpec, Finished.
fn tls12_client_finish(seed: u64) -> Vec<u8> {
    let mut key = vec![0u8; 65];
    Rng::xorshift64star(seed).fill(&mut key);
    let mut v = tg::record(22, 0x0303, &tg::handshake(16, &key));
    v.extend_from_slice(&tg::record(20, 0x0303, &[1]));
    let mut fin = vec![0u8; 40];
    Rng::xorshift64star(seed + 1).fill(&mut fin);
    v.extend_from_slice(&tg::record(22, 0x0303, &fin));
    v
}

/// ServerHello followed by a certificate-sized message in the same record.
fn server_first_flight(spec: &ServerSpec, cert_len: usize) -> Vec<u8> {
    let mut hs = tg::server_hello_message(spec);
    let mut cert = vec![0u8; cert_len];
    Rng::xorshift64star(spec.seed).fill(&mut cert);
    hs.extend_from_slice(&tg::handshake(11, &cert));
    hs.extend_from_slice(&tg::handshake(14, &[]));
    tg::record(22, spec.record_version, &hs)
}

fn with_seed(mut s: ClientSpec, seed: u64) -> ClientSpec {
    s.seed = seed;
    s
}

const T13: &str = "TLS 1.3";
const T12: &str = "TLS 1.2";
const T11: &str = "TLS 1.1";
const T10: &str = "TLS 1.0";
const S3: &str = "SSL 3.0";

/// The conversations of `testdata/tls/handshakes.pcap`: every version from
/// SSL 3.0 to TLS 1.3, HelloRetryRequest, hellos split over records and
/// TCP segments, SSLv2 framing, a refused SSL 3.0 client, STARTTLS, other
/// ports, a retransmission, and non-TLS traffic.
pub fn handshakes_conversations() -> Vec<Conversation> {
    let srv = |d: u8, port: u16| v4(192, 0, 2, d, port);
    let cli = |d: u8, port: u16| v4(10, 1, 0, d, port);
    let mut v = Vec::new();

    let ch = tg::client_hello_record(&ClientSpec::tls13("www.example.com"));
    let mut sh = tg::server_hello_record(&ServerSpec::tls13());
    sh.extend_from_slice(&appdata(1, 2));
    v.push(
        Conversation::new(cli(11, 50001), srv(10, 443))
            .flight(From::Client, ch, &[])
            .flight(From::Server, sh, &[])
            .flight(From::Client, appdata(2, 1), &[])
            .expect(Some(T13), &[T13, T12], Some("www.example.com")),
    );

    let ch = tg::client_hello_record(&ClientSpec::tls12("api.example.com"));
    let sh = server_first_flight(&ServerSpec::legacy(Version::TLS12, 0xc02f), 900);
    v.push(
        Conversation::new(cli(12, 50002), srv(11, 443))
            .flight(From::Client, ch, &[])
            .flight(From::Server, sh, &[])
            .flight(From::Client, tls12_client_finish(3), &[])
            .flight(From::Server, appdata(4, 1), &[])
            .expect(Some(T12), &[T12], Some("api.example.com")),
    );

    for (i, (ver, name, host, port, cipher)) in [
        (
            Version::TLS11,
            T11,
            Some("legacy.example.net"),
            8443u16,
            0x002fu16,
        ),
        (Version::TLS10, T10, Some("mail.example.net"), 993, 0x0035),
        (Version::SSL3, S3, None, 443, 0x000a),
    ]
    .into_iter()
    .enumerate()
    {
        let ch = tg::client_hello_record(&ClientSpec::legacy(ver, host));
        let sh = server_first_flight(&ServerSpec::legacy(ver, cipher), 700);
        v.push(
            Conversation::new(cli(13 + i as u8, 50003 + i as u16), srv(12 + i as u8, port))
                .flight(From::Client, ch, &[])
                .flight(From::Server, sh, &[])
                .expect(Some(name), &[name], host),
        );
    }

    // A TLS 1.3 client whose server only speaks TLS 1.2.
    let ch = tg::client_hello_record(&with_seed(ClientSpec::tls13("shop.example.com"), 11));
    let sh = server_first_flight(&ServerSpec::legacy(Version::TLS12, 0xc030), 800);
    v.push(
        Conversation::new(cli(16, 50006), srv(15, 443))
            .flight(From::Client, ch, &[])
            .flight(From::Server, sh, &[])
            .expect(Some(T12), &[T13, T12], Some("shop.example.com")),
    );

    // HelloRetryRequest, second ClientHello, real ServerHello.
    let ch1 = tg::client_hello_record(&with_seed(ClientSpec::tls13("hrr.example.com"), 12));
    let ch2 = tg::client_hello_record(&with_seed(ClientSpec::tls13("hrr.example.com"), 13));
    let mut sh = tg::server_hello_record(&ServerSpec::tls13());
    sh.extend_from_slice(&appdata(5, 1));
    v.push(
        Conversation::new(cli(17, 50007), srv(16, 443))
            .flight(From::Client, ch1, &[])
            .flight(
                From::Server,
                tg::hello_retry_request_records(&ServerSpec::tls13()),
                &[],
            )
            .flight(From::Client, ch2, &[])
            .flight(From::Server, sh, &[])
            .expect(Some(T13), &[T13, T12], Some("hrr.example.com")),
    );

    // A big ClientHello (padding) over three TCP segments.
    let mut big = with_seed(ClientSpec::tls13("big.example.com"), 14);
    big.extension_order.push(0x0015);
    let mut ch = tg::client_hello_record(&big);
    // Give the padding extension (empty from `hello`) 1400 zero bytes.
    let ch_msg = pad_client_hello(&ch[5..], 1400);
    ch = tg::record(22, 0x0301, &ch_msg);
    let n = ch.len();
    let mut sh = tg::server_hello_record(&ServerSpec::tls13());
    sh.extend_from_slice(&appdata(6, 1));
    v.push(
        Conversation::new(cli(18, 50008), srv(17, 443))
            .flight(From::Client, ch, &[1, n / 2])
            .flight(From::Server, sh, &[])
            .expect(Some(T13), &[T13, T12], Some("big.example.com")),
    );

    // One hello message split over two records, segments cut elsewhere.
    let msg = tg::client_hello_message(&with_seed(ClientSpec::tls12("frag.example.com"), 15));
    let recs = tg::records_split(0x0301, &msg, &[60]);
    let sh = server_first_flight(&ServerSpec::legacy(Version::TLS12, 0xc02f), 1200);
    v.push(
        Conversation::new(cli(19, 50009), srv(18, 443))
            .flight(From::Client, recs, &[30, 100])
            .flight(From::Server, sh, &[40, 700])
            .expect(Some(T12), &[T12], Some("frag.example.com")),
    );

    // An SSLv2-framed hello from a TLS 1.0 client.
    let ch = tg::sslv2_client_hello(0x0301, &[0x00_0035, 0x00_002f, 0x00_000a, 0x07_00c0], 16);
    let sh = server_first_flight(&ServerSpec::legacy(Version::TLS10, 0x0035), 600);
    v.push(
        Conversation::new(cli(20, 50010), srv(19, 443))
            .flight(From::Client, ch, &[])
            .flight(From::Server, sh, &[])
            .expect(Some(T10), &[T10], None),
    );

    // An SSL 3.0-only client refused with a handshake_failure alert.
    let ch = tg::client_hello_record(&with_seed(ClientSpec::legacy(Version::SSL3, None), 17));
    let mut conv = Conversation::new(cli(21, 50011), srv(20, 443))
        .flight(From::Client, ch, &[])
        .flight(From::Server, tg::alert_record(0x0300, 40), &[])
        .expect(None, &[S3], None);
    conv.rst = true;
    v.push(conv);

    // TLS 1.2 on a non-standard port (SIP over TLS).
    let ch = tg::client_hello_record(&with_seed(ClientSpec::tls12("sip.example.org"), 18));
    let sh = server_first_flight(&ServerSpec::legacy(Version::TLS12, 0xc02b), 500);
    v.push(
        Conversation::new(cli(22, 50012), srv(21, 5061))
            .flight(From::Client, ch, &[])
            .flight(From::Server, sh, &[])
            .expect(Some(T12), &[T12], Some("sip.example.org")),
    );

    // SMTP STARTTLS: plaintext first, then the handshake on port 25.
    let ch = tg::client_hello_record(&with_seed(
        ClientSpec::legacy(Version::TLS10, Some("mx.example.org")),
        19,
    ));
    let sh = server_first_flight(&ServerSpec::legacy(Version::TLS10, 0x002f), 500);
    v.push(
        Conversation::new(cli(23, 50013), srv(22, 25))
            .flight(From::Server, b"220 mx.example.org ESMTP\r\n".to_vec(), &[])
            .flight(From::Client, b"EHLO client.example.org\r\n".to_vec(), &[])
            .flight(
                From::Server,
                b"250-mx.example.org\r\n250 STARTTLS\r\n".to_vec(),
                &[],
            )
            .flight(From::Client, b"STARTTLS\r\n".to_vec(), &[])
            .flight(
                From::Server,
                b"220 2.0.0 Ready to start TLS\r\n".to_vec(),
                &[],
            )
            .flight(From::Client, ch, &[])
            .flight(From::Server, sh, &[])
            .expect(Some(T10), &[T10], Some("mx.example.org")),
    );

    // A retransmitted ClientHello: still one connection.
    let ch = tg::client_hello_record(&with_seed(ClientSpec::tls13("retx.example.com"), 20));
    let mut sh = tg::server_hello_record(&ServerSpec::tls13());
    sh.extend_from_slice(&appdata(7, 1));
    v.push(
        Conversation::new(cli(24, 50014), srv(23, 443))
            .flight(From::Client, ch, &[])
            .retransmit_last()
            .flight(From::Server, sh, &[])
            .retransmit_last()
            .expect(Some(T13), &[T13, T12], Some("retx.example.com")),
    );

    // Plain HTTP and random bytes on 443 (the middle of some connection):
    // no TLS connection must be reported.
    let mut http = Conversation::new(cli(25, 50015), srv(24, 80))
        .flight(
            From::Client,
            b"GET / HTTP/1.1\r\nHost: plain.example.com\r\n\r\n".to_vec(),
            &[],
        )
        .flight(
            From::Server,
            b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
            &[],
        );
    http.expected = None;
    v.push(http);
    let mut noise = vec![0u8; 1200];
    Rng::xorshift64star(21).fill(&mut noise);
    let mut mid = Conversation::new(cli(26, 50016), srv(25, 443))
        .flight(From::Client, appdata(8, 2), &[])
        .flight(From::Server, noise, &[]);
    mid.expected = None;
    v.push(mid);

    // A ClientHello left unanswered at the end of the capture.
    let ch = tg::client_hello_record(&with_seed(ClientSpec::tls12("noanswer.example.com"), 22));
    let mut open = Conversation::new(cli(27, 50017), srv(26, 443))
        .flight(From::Client, ch, &[])
        .expect(None, &[T12], Some("noanswer.example.com"));
    open.fin = false;
    v.push(open);
    v
}

/// Sets the (last) padding extension of a ClientHello message to `n` zero bytes.
fn pad_client_hello(msg: &[u8], n: usize) -> Vec<u8> {
    // The padding extension is the last one and empty: 00 15 00 00.
    let mut m = msg.to_vec();
    let len = m.len();
    assert!(
        m[len - 4..] == [0x00, 0x15, 0x00, 0x00],
        "padding extension must be last and empty"
    );
    m[len - 2..].copy_from_slice(&(n as u16).to_be_bytes());
    m.extend(std::iter::repeat_n(0u8, n));
    // Fix the extensions block length and the handshake length.
    let ext_len_pos = {
        // version(2) random(32) sid(1+len) ciphers(2+len) comp(1+len)
        let b = &m[4..];
        let sid = usize::from(b[34]);
        let cs = usize::from(u16::from_be_bytes([b[35 + sid], b[36 + sid]]));
        let comp = usize::from(b[37 + sid + cs]);
        4 + 38 + sid + cs + comp
    };
    let ext_len = u16::from_be_bytes([m[ext_len_pos], m[ext_len_pos + 1]]) as usize + n;
    m[ext_len_pos..ext_len_pos + 2].copy_from_slice(&(ext_len as u16).to_be_bytes());
    let body = (m.len() - 4) as u32;
    m[1..4].copy_from_slice(&body.to_be_bytes()[1..]);
    m
}

/// The conversations of `testdata/tls/vlan-ipv6.pcapng`: IPv6, 802.1Q and
/// QinQ tags, LDAPS and SSL 3.0 over IPv6.
pub fn vlan_ipv6_conversations() -> Vec<Conversation> {
    let mut v = Vec::new();
    let mut sh13 = tg::server_hello_record(&ServerSpec::tls13());
    sh13.extend_from_slice(&appdata(30, 1));

    let ch = tg::client_hello_record(&with_seed(ClientSpec::tls13("v6.example.com"), 31));
    v.push(
        Conversation::new(v6(0x11, 1, 40001), v6(0x10, 2, 443))
            .flight(From::Client, ch, &[200])
            .flight(From::Server, sh13.clone(), &[])
            .expect(Some(T13), &[T13, T12], Some("v6.example.com")),
    );

    let ch = tg::client_hello_record(&with_seed(ClientSpec::tls12("vlan.example.com"), 32));
    let mut c = Conversation::new(v4(10, 2, 0, 11, 40002), v4(198, 51, 100, 10, 443))
        .flight(From::Client, ch, &[])
        .flight(
            From::Server,
            server_first_flight(&ServerSpec::legacy(Version::TLS12, 0xc02f), 900),
            &[],
        )
        .expect(Some(T12), &[T12], Some("vlan.example.com"));
    c.vlans = vec![100];
    v.push(c);

    let ch = tg::client_hello_record(&with_seed(
        ClientSpec::legacy(Version::TLS11, Some("vlan6.example.com")),
        33,
    ));
    let mut c = Conversation::new(v6(0x12, 1, 40003), v6(0x11, 2, 8443))
        .flight(From::Client, ch, &[])
        .flight(
            From::Server,
            server_first_flight(&ServerSpec::legacy(Version::TLS11, 0x002f), 700),
            &[],
        )
        .expect(Some(T11), &[T11], Some("vlan6.example.com"));
    c.vlans = vec![200];
    v.push(c);

    let ch = tg::client_hello_record(&with_seed(
        ClientSpec::legacy(Version::TLS10, Some("ldap.example.com")),
        34,
    ));
    let mut c = Conversation::new(v4(10, 2, 0, 12, 40004), v4(198, 51, 100, 11, 636))
        .flight(From::Client, ch, &[])
        .flight(
            From::Server,
            server_first_flight(&ServerSpec::legacy(Version::TLS10, 0x0035), 700),
            &[],
        )
        .expect(Some(T10), &[T10], Some("ldap.example.com"));
    c.vlans = vec![300, 301];
    v.push(c);

    let ch = tg::client_hello_record(&with_seed(ClientSpec::legacy(Version::SSL3, None), 35));
    v.push(
        Conversation::new(v6(0x13, 1, 40005), v6(0x12, 2, 443))
            .flight(From::Client, ch, &[])
            .flight(
                From::Server,
                server_first_flight(&ServerSpec::legacy(Version::SSL3, 0x000a), 600),
                &[],
            )
            .expect(Some(S3), &[S3], None),
    );

    let ch1 = tg::client_hello_record(&with_seed(ClientSpec::tls13("hrr6.example.com"), 36));
    let ch2 = tg::client_hello_record(&with_seed(ClientSpec::tls13("hrr6.example.com"), 37));
    let mut c = Conversation::new(v6(0x14, 1, 40006), v6(0x13, 2, 443))
        .flight(From::Client, ch1, &[])
        .flight(
            From::Server,
            tg::hello_retry_request_records(&ServerSpec::tls13()),
            &[],
        )
        .flight(From::Client, ch2, &[100])
        .flight(From::Server, sh13, &[30])
        .expect(Some(T13), &[T13, T12], Some("hrr6.example.com"));
    c.vlans = vec![42];
    v.push(c);
    v
}

/// Interleaves conversations: conversation `i` starts `i * 40 ms` after
/// `t0`, its packets 10 ms apart; frames are merged by time (stable).
pub fn interleave(convs: &[Conversation], t0: i64) -> Vec<(i64, Vec<u8>)> {
    let mut ip_id = 0u16;
    let mut all: Vec<(i64, usize, Vec<u8>)> = Vec::new();
    for (i, c) in convs.iter().enumerate() {
        for (t, f) in c.frames(t0 + i as i64 * 40_000_000, 10_000_000, &mut ip_id) {
            all.push((t, i, f));
        }
    }
    all.sort_by_key(|(t, i, _)| (*t, *i));
    all.into_iter().map(|(t, _, f)| (t, f)).collect()
}

/// 2026-11-02 09:00:00 UTC, the start of the synthetic captures.
pub const T0: i64 = 1_793_610_000_000_000_000;

/// Writes timestamped frames as a classic pcap (Ethernet, microseconds)
/// or pcapng (one Ethernet interface, nanoseconds).
pub fn write_frames(container: Container, frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let nanos = container == Container::Pcapng;
    let mut w =
        CaptureWriter::new(Vec::new(), container, 262_144, nanos, 0, 0).expect("writing to memory");
    for (t, f) in frames {
        w.frame_at(*t, f).expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

/// Writes frames as a classic pcap (Ethernet, microseconds).
pub fn to_pcap(frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    write_frames(Container::Pcap, frames)
}

/// Writes frames as pcapng (one Ethernet interface, nanoseconds).
pub fn to_pcapng(frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    write_frames(Container::Pcapng, frames)
}

/// A file of `testdata/tls/`: name, bytes, and the connections in it.
pub struct TestFile {
    /// File name inside `testdata/tls/`.
    pub name: &'static str,
    /// Contents.
    pub bytes: Vec<u8>,
    /// The connections a correct audit reports, in conversation order.
    pub expected: Vec<Expected>,
}

/// Every file of `testdata/tls/`.
pub fn testdata() -> Vec<TestFile> {
    let a = handshakes_conversations();
    let b = vlan_ipv6_conversations();
    let q = crate::tls::quic::quic_conversations();
    vec![
        TestFile {
            name: "handshakes.pcap",
            bytes: to_pcap(&interleave(&a, T0)),
            expected: a.iter().filter_map(|c| c.expected.clone()).collect(),
        },
        TestFile {
            name: "vlan-ipv6.pcapng",
            bytes: to_pcapng(&interleave(&b, T0 + 3_600_000_000_000)),
            expected: b.iter().filter_map(|c| c.expected.clone()).collect(),
        },
        TestFile {
            name: "quic.pcap",
            bytes: to_pcap(&crate::tls::quic::quic_frames(&q, T0 + 7_200_000_000_000)),
            expected: q.iter().map(|c| c.expected.clone()).collect(),
        },
    ]
}

/// A conversation for benchmarks and memory tests: a short TLS connection
/// between generated endpoints (IPv4, client `10.x.y.z`), version chosen by
/// `n`. Used by [`write_bench_capture`].
pub fn numbered_conversation(n: u64) -> Conversation {
    let client = v4(
        10,
        (n >> 16) as u8,
        (n >> 8) as u8,
        n as u8,
        1024 + (n % 60_000) as u16,
    );
    let server = v4(
        192,
        0,
        2,
        (n % 200) as u8 + 1,
        if n.is_multiple_of(7) { 8443 } else { 443 },
    );
    let (cspec, sspec) = match n % 10 {
        0 => (
            ClientSpec::legacy(Version::TLS10, Some("old.example.com")),
            ServerSpec::legacy(Version::TLS10, 0x002f),
        ),
        1 => (
            ClientSpec::legacy(Version::TLS11, Some("mid.example.com")),
            ServerSpec::legacy(Version::TLS11, 0x002f),
        ),
        2..=4 => (
            ClientSpec::tls12("api.example.com"),
            ServerSpec::legacy(Version::TLS12, 0xc02f),
        ),
        _ => (ClientSpec::tls13("www.example.com"), ServerSpec::tls13()),
    };
    Conversation::new(client, server)
        .flight(
            From::Client,
            tg::client_hello_record(&with_seed(cspec, n)),
            &[],
        )
        .flight(From::Server, tg::server_hello_record(&sspec), &[])
}

/// Writes a benchmark capture of about `target_bytes`: `tls_share` percent
/// of the conversations are TLS handshakes ([`numbered_conversation`]), the
/// rest bulk TCP/UDP with random payloads (mean frame ~700 bytes). Returns
/// (packets, TLS connections). Classic pcap, Ethernet.
pub fn write_bench_capture(
    w: impl std::io::Write,
    target_bytes: u64,
    tls_share: u64,
    seed: u64,
) -> std::io::Result<(u64, u64)> {
    let mut pw = CaptureWriter::new(w, Container::Pcap, 262_144, false, 0, 0)?;
    let mut rng = Rng::xorshift64star(seed);
    let mut written = 24u64;
    let (mut packets, mut tls) = (0u64, 0u64);
    let mut t = T0;
    let mut ip_id = 0u16;
    let mut n = 0u64;
    let mut payload = vec![0u8; 1460];
    while written < target_bytes {
        n += 1;
        if rng.below(100) < tls_share {
            tls += 1;
            for (_, f) in numbered_conversation(n).frames(t, 1000, &mut ip_id) {
                pw.frame_at(t, &f)?;
                written += 16 + f.len() as u64;
                packets += 1;
                t += 1000;
            }
        } else {
            // A burst of bulk data segments of one flow.
            let c = v4(10, 9, (n >> 8) as u8, n as u8, 2000 + (n % 50_000) as u16);
            let s = v4(
                203,
                0,
                113,
                (n % 250) as u8 + 1,
                [443u16, 80, 22, 8080][(n % 4) as usize],
            );
            let vlans: &[u16] = if n.is_multiple_of(5) { &[10] } else { &[] };
            let mut seq = rng.next_u64() as u32;
            for _ in 0..8 {
                let len = [1460usize, 1460, 1460, 600, 90, 1200][rng.below(6) as usize];
                rng.fill(&mut payload[..len]);
                let f = segment(vlans, s, c, seq, 1, ACK, ip_id, &payload[..len]);
                ip_id = ip_id.wrapping_add(1);
                seq = seq.wrapping_add(len as u32);
                pw.frame_at(t, &f)?;
                written += 16 + f.len() as u64;
                packets += 1;
                t += 1000;
                let a = segment(vlans, c, s, 1, seq, ACK, ip_id, &[]);
                pw.frame_at(t, &a)?;
                written += 16 + a.len() as u64;
                packets += 1;
            }
        }
    }
    pw.finish()?;
    Ok((packets, tls))
}
