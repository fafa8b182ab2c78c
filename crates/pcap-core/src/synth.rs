//! Deterministic synthetic captures, for tests (here and in other crates)
//! and benchmarks.
//!
//! [`FrameSpec`] builds one frame from a description (link layer, tags, IP
//! version, options, extension headers, fragments, transport, payload) and
//! [`FrameSpec::expect`] says what a correct decoder must find in it,
//! derived from the description rather than from decoding. [`testdata`]
//! produces the small files shipped in `testdata/pcap/`, [`write_mixed_pcap`]
//! the large benchmark capture. Everything is a pure function of its seed.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::LinkType;
use crate::format::Endian;
use crate::layers::{ethertype, ip_proto};
use crate::writer::{ErfKind, ErfWriter, PcapOptions, PcapWriter, PcapngWriter, TsResolution};

/// SplitMix64: tiny, fast, and the same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// The link layer to wrap an IP packet in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II with optional tags.
    Ethernet {
        /// VLAN ids, outermost first.
        vlans: Vec<u16>,
        /// Outermost tag uses 802.1ad (0x88a8) rather than 802.1Q.
        qinq: bool,
        /// MPLS labels between the tags and the IP header.
        mpls: Vec<u32>,
        /// A PPPoE session header before the IP header.
        pppoe: bool,
    },
    /// Linux cooked v1.
    Sll,
    /// Linux cooked v2.
    Sll2,
    /// No link header.
    Raw,
    /// BSD loopback, family in little-endian (the capturing host's order).
    Null,
    /// OpenBSD loopback, family in network order.
    Loop,
}

impl Link {
    /// Plain Ethernet.
    pub fn ethernet() -> Link {
        Link::Ethernet {
            vlans: vec![],
            qinq: false,
            mpls: vec![],
            pppoe: false,
        }
    }

    /// The link type to store in a file for this link layer.
    pub fn linktype(&self) -> LinkType {
        match self {
            Link::Ethernet { .. } => LinkType::ETHERNET,
            Link::Sll => LinkType::LINUX_SLL,
            Link::Sll2 => LinkType::LINUX_SLL2,
            Link::Raw => LinkType::RAW,
            Link::Null => LinkType::NULL,
            Link::Loop => LinkType::LOOP,
        }
    }
}

/// The transport layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP with `opt_words` 32-bit words of options.
    Tcp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Flags byte.
        flags: u8,
        /// Option words (0..=10).
        opt_words: u8,
    },
    /// UDP.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
    },
    /// Another protocol (ICMP, ESP, ...): the payload follows IP directly.
    Other(u8),
}

/// A description of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    /// Link layer.
    pub link: Link,
    /// Source address (its family picks IPv4 or IPv6).
    pub src: IpAddr,
    /// Destination address (same family as `src`).
    pub dst: IpAddr,
    /// IPv4 option words (0..=10), filled with NOPs.
    pub ipv4_opt_words: u8,
    /// IPv6 extension headers before the transport (hop-by-hop, routing,
    /// destination options; each 8 bytes).
    pub ipv6_ext: Vec<u8>,
    /// `Some((offset_bytes, more))`: this is a fragment. With a non-zero
    /// offset no transport header is written.
    pub fragment: Option<(u16, bool)>,
    /// Transport.
    pub transport: Transport,
    /// Transport payload.
    pub payload: Vec<u8>,
}

/// What a correct decoder finds in a frame built from a [`FrameSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol.
    pub proto: u8,
    /// Ports, for TCP/UDP that is not a non-first fragment.
    pub ports: Option<(u16, u16)>,
    /// A non-first fragment.
    pub later_fragment: bool,
    /// Transport payload length (None for non-first fragments).
    pub payload_len: Option<usize>,
    /// VLAN tags.
    pub vlans: usize,
}

fn checksum(h: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in h.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

impl FrameSpec {
    /// A TCP packet over plain Ethernet.
    pub fn tcp(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, payload: Vec<u8>) -> FrameSpec {
        FrameSpec {
            link: Link::ethernet(),
            src,
            dst,
            ipv4_opt_words: 0,
            ipv6_ext: vec![],
            fragment: None,
            transport: Transport::Tcp {
                sport,
                dport,
                flags: 0x18,
                opt_words: 0,
            },
            payload,
        }
    }

    /// A UDP packet over plain Ethernet.
    pub fn udp(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, payload: Vec<u8>) -> FrameSpec {
        FrameSpec {
            transport: Transport::Udp { sport, dport },
            ..FrameSpec::tcp(src, sport, dst, dport, payload)
        }
    }

    fn later_fragment(&self) -> bool {
        matches!(self.fragment, Some((off, _)) if off != 0)
    }

    fn proto(&self) -> u8 {
        match self.transport {
            Transport::Tcp { .. } => ip_proto::TCP,
            Transport::Udp { .. } => ip_proto::UDP,
            Transport::Other(p) => p,
        }
    }

    /// What a decoder must report for this frame.
    pub fn expect(&self) -> Expect {
        let later = self.later_fragment();
        let ports = match self.transport {
            Transport::Tcp { sport, dport, .. } | Transport::Udp { sport, dport } if !later => {
                Some((sport, dport))
            }
            _ => None,
        };
        let vlans = match &self.link {
            Link::Ethernet { vlans, .. } => vlans.len(),
            _ => 0,
        };
        Expect {
            src: self.src,
            dst: self.dst,
            proto: self.proto(),
            ports,
            later_fragment: later,
            payload_len: (!later).then_some(self.payload.len()),
            vlans,
        }
    }

    fn l4(&self, out: &mut Vec<u8>) {
        if !self.later_fragment() {
            match self.transport {
                Transport::Tcp {
                    sport,
                    dport,
                    flags,
                    opt_words,
                } => {
                    out.extend_from_slice(&sport.to_be_bytes());
                    out.extend_from_slice(&dport.to_be_bytes());
                    out.extend_from_slice(&0x0102_0304u32.to_be_bytes());
                    out.extend_from_slice(&0x0a0b_0c0du32.to_be_bytes());
                    out.push((5 + opt_words) << 4);
                    out.push(flags);
                    out.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
                    out.extend(std::iter::repeat_n(1u8, usize::from(opt_words) * 4)); // NOP options
                }
                Transport::Udp { sport, dport } => {
                    out.extend_from_slice(&sport.to_be_bytes());
                    out.extend_from_slice(&dport.to_be_bytes());
                    out.extend_from_slice(&((8 + self.payload.len()) as u16).to_be_bytes());
                    out.extend_from_slice(&[0, 0]);
                }
                Transport::Other(_) => {}
            }
        }
        out.extend_from_slice(&self.payload);
    }

    fn ip(&self, out: &mut Vec<u8>) {
        let mut l4 = Vec::with_capacity(self.payload.len() + 60);
        self.l4(&mut l4);
        match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let ihl = 20 + usize::from(self.ipv4_opt_words) * 4;
                let start = out.len();
                out.push(0x40 | (ihl / 4) as u8);
                out.push(0);
                out.extend_from_slice(&((ihl + l4.len()) as u16).to_be_bytes());
                out.extend_from_slice(&0x1234u16.to_be_bytes());
                let ff = match self.fragment {
                    Some((off, more)) => (off >> 3) | if more { 0x2000 } else { 0 },
                    None => 0x4000,
                };
                out.extend_from_slice(&ff.to_be_bytes());
                out.push(64);
                out.push(self.proto());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&s.octets());
                out.extend_from_slice(&d.octets());
                out.extend(std::iter::repeat_n(
                    1u8,
                    usize::from(self.ipv4_opt_words) * 4,
                ));
                let c = checksum(&out[start..start + ihl]);
                out[start + 10..start + 12].copy_from_slice(&c.to_be_bytes());
            }
            (s, d) => {
                let s6 = match s {
                    IpAddr::V6(a) => a,
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                };
                let d6 = match d {
                    IpAddr::V6(a) => a,
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                };
                let mut chain: Vec<u8> = self.ipv6_ext.clone();
                if self.fragment.is_some() {
                    chain.push(ip_proto::IPV6_FRAG);
                }
                let ext_len = chain.len() * 8;
                out.extend_from_slice(&[0x60, 0, 0, 0]);
                out.extend_from_slice(&((ext_len + l4.len()) as u16).to_be_bytes());
                out.push(chain.first().copied().unwrap_or(self.proto()));
                out.push(64);
                out.extend_from_slice(&s6.octets());
                out.extend_from_slice(&d6.octets());
                for (i, &h) in chain.iter().enumerate() {
                    let next = chain.get(i + 1).copied().unwrap_or(self.proto());
                    if h == ip_proto::IPV6_FRAG {
                        let (off, more) = self.fragment.unwrap_or((0, false));
                        out.push(next);
                        out.push(0);
                        out.extend_from_slice(&((off & 0xfff8) | u16::from(more)).to_be_bytes());
                        out.extend_from_slice(&0xabcd_0001u32.to_be_bytes());
                    } else {
                        // 8-byte header: next, len 0, then a PadN option of 4 bytes.
                        out.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
                        if h == ip_proto::IPV6_ROUTE {
                            // routing type 253 (experimental), segments left 0
                            let n = out.len();
                            out[n - 6..n].copy_from_slice(&[253, 0, 0, 0, 0, 0]);
                        }
                    }
                }
            }
        }
        out.extend_from_slice(&l4);
    }

    /// Appends the frame's bytes to `out`.
    pub fn build_into(&self, out: &mut Vec<u8>) {
        let v6 = self.src.is_ipv6() || self.dst.is_ipv6();
        let ip_type = if v6 { ethertype::IPV6 } else { ethertype::IPV4 };
        match &self.link {
            Link::Ethernet {
                vlans,
                qinq,
                mpls,
                pppoe,
            } => {
                out.extend_from_slice(&[
                    0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c, 0x00, 0x25, 0x90, 0x01, 0x02, 0x03,
                ]);
                for (i, v) in vlans.iter().enumerate() {
                    let tpid = if i == 0 && *qinq {
                        ethertype::QINQ
                    } else {
                        ethertype::VLAN
                    };
                    out.extend_from_slice(&tpid.to_be_bytes());
                    out.extend_from_slice(&(v & 0x0fff).to_be_bytes());
                }
                if !mpls.is_empty() {
                    out.extend_from_slice(&ethertype::MPLS_UNICAST.to_be_bytes());
                    for (i, l) in mpls.iter().enumerate() {
                        let bos = u32::from(i + 1 == mpls.len());
                        out.extend_from_slice(&((l << 12) | (bos << 8) | 64).to_be_bytes());
                    }
                } else if *pppoe {
                    out.extend_from_slice(&ethertype::PPPOE_SESSION.to_be_bytes());
                    let mut ip = Vec::new();
                    self.ip(&mut ip);
                    out.extend_from_slice(&[0x11, 0x00, 0x00, 0x2a]);
                    out.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
                    out.extend_from_slice(&(if v6 { 0x0057u16 } else { 0x0021 }).to_be_bytes());
                    out.extend_from_slice(&ip);
                    return;
                } else {
                    out.extend_from_slice(&ip_type.to_be_bytes());
                }
            }
            Link::Sll => {
                out.extend_from_slice(&[
                    0, 0, 0, 1, 0, 6, 0x00, 0x25, 0x90, 0x01, 0x02, 0x03, 0, 0,
                ]);
                out.extend_from_slice(&ip_type.to_be_bytes());
            }
            Link::Sll2 => {
                out.extend_from_slice(&ip_type.to_be_bytes());
                out.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
                out.extend_from_slice(&[0x00, 0x25, 0x90, 0x01, 0x02, 0x03, 0, 0]);
            }
            Link::Raw => {}
            Link::Null => out.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_le_bytes()),
            Link::Loop => out.extend_from_slice(&(if v6 { 24u32 } else { 2 }).to_be_bytes()),
        }
        self.ip(out);
    }

    /// The frame's bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.payload.len() + 128);
        self.build_into(&mut v);
        v
    }
}

fn v4(rng: &mut Rng, net: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        net,
        rng.range(0, 255) as u8,
        rng.range(1, 254) as u8,
    ))
}

fn v6(rng: &mut Rng) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(
        0x2001,
        0xdb8,
        0,
        rng.range(0, 0xffff) as u16,
        0,
        0,
        0,
        rng.range(1, 0xfffe) as u16,
    ))
}

/// A varied frame: IPv4 or IPv6, TCP/UDP/ICMP, random ports and payload
/// (`payload_len` bytes), optionally with VLAN tags.
pub fn random_frame(rng: &mut Rng, link: Link, payload_len: usize) -> FrameSpec {
    let ipv6 = rng.chance(25);
    let (src, dst) = if ipv6 {
        (v6(rng), v6(rng))
    } else {
        (v4(rng, 1), v4(rng, 2))
    };
    let mut payload = vec![0u8; payload_len];
    rng.fill(&mut payload);
    let sport = rng.range(1024, 65535) as u16;
    let dport = [443u16, 80, 53, 8080, 22][rng.range(0, 4) as usize];
    let transport = match rng.range(0, 9) {
        0..=6 => Transport::Tcp {
            sport,
            dport,
            flags: 0x18,
            opt_words: if rng.chance(50) { 3 } else { 0 },
        },
        7 | 8 => Transport::Udp { sport, dport },
        _ => Transport::Other(if ipv6 {
            ip_proto::ICMPV6
        } else {
            ip_proto::ICMP
        }),
    };
    FrameSpec {
        link,
        src,
        dst,
        ipv4_opt_words: 0,
        ipv6_ext: vec![],
        fragment: None,
        transport,
        payload,
    }
}

/// Writes a classic pcap (little-endian, µs) of random frames until at
/// least `target_bytes` are written: half of the frames 64-200 bytes, half
/// 1000-1514 (mean about 700), random payload bytes as encrypted traffic
/// has, 20% VLAN-tagged (some QinQ), 25% IPv6. Returns the packet count.
pub fn write_mixed_pcap<W: Write>(w: W, target_bytes: u64, seed: u64) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let mut pw = PcapWriter::new(w, PcapOptions::new(LinkType::ETHERNET))?;
    let mut written = 24u64;
    let mut n = 0u64;
    let mut frame = Vec::with_capacity(2048);
    let mut ts = 1_700_000_000_000_000_000i64;
    while written < target_bytes {
        let size = if rng.chance(50) {
            rng.range(64, 200)
        } else {
            rng.range(1000, 1514)
        } as usize;
        let link = if rng.chance(20) {
            let qinq = rng.chance(25);
            let vlans = if qinq {
                vec![100, rng.range(1, 4094) as u16]
            } else {
                vec![rng.range(1, 4094) as u16]
            };
            Link::Ethernet {
                vlans,
                qinq,
                mpls: vec![],
                pppoe: false,
            }
        } else {
            Link::ethernet()
        };
        let overhead = 14 + 8 + 20 + 40;
        let spec = random_frame(&mut rng, link, size.saturating_sub(overhead).max(1));
        frame.clear();
        spec.build_into(&mut frame);
        ts += rng.range(1_000, 2_000_000) as i64 * 1000;
        pw.write_packet(ts, frame.len() as u32, &frame)?;
        written += 16 + frame.len() as u64;
        n += 1;
    }
    pw.into_inner()?;
    Ok(n)
}

/// How a shipped test file is expected to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// All records read.
    Clean,
    /// The last record is cut short: `Error::Truncated` at this frame.
    Truncated(u64),
    /// A corrupt record: `Error::Corrupt` at this frame.
    Corrupt(u64),
}

/// One expected frame of a shipped test file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedFrame {
    /// Frame number (as Wireshark numbers it).
    pub frame: u64,
    /// Link type the reader must report.
    pub linktype: LinkType,
    /// Timestamp the reader must report (at the file's resolution).
    pub ts_ns: i64,
    /// What the decoder must find; `None` for frames that are not IP.
    pub ip: Option<Expect>,
}

/// A small capture for `testdata/pcap/`, with what reading it must give.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// File name inside `testdata/pcap/`.
    pub name: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Every frame, in order.
    pub frames: Vec<ExpectedFrame>,
    /// How reading ends.
    pub ending: Ending,
    /// ERF loss counters summed (0 for other formats).
    pub lost: u64,
}

const T0: i64 = 1_732_000_000_000_000_000;

fn ts_at(i: usize, res_ns: i64) -> i64 {
    let t = T0 + i as i64 * 1_000_123_457;
    t - t.rem_euclid(res_ns)
}

fn mix(seed: u64, n: usize, link: impl Fn(&mut Rng, usize) -> Link) -> Vec<FrameSpec> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let l = link(&mut rng, i);
            let len = rng.range(0, 300) as usize;
            random_frame(&mut rng, l, len)
        })
        .collect()
}

fn arp_frame() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x00, 0x25, 0x90, 0x01, 0x02, 0x03, 0x08, 0x06]);
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&[0x00, 0x25, 0x90, 0x01, 0x02, 0x03, 10, 0, 0, 1]);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&[10, 0, 0, 2]);
    f.resize(60, 0);
    f
}

fn pcap_file(name: &'static str, o: PcapOptions, specs: &[FrameSpec]) -> TestFile {
    let res = if o.nanos && !o.modified { 1 } else { 1000 };
    let mut w = PcapWriter::new(Vec::new(), o).expect("writing to a Vec");
    let mut frames = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let b = s.build();
        let ts = ts_at(i, res);
        w.write_packet(ts, b.len() as u32, &b)
            .expect("writing to a Vec");
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: o.linktype,
            ts_ns: ts,
            ip: Some(s.expect()),
        });
    }
    TestFile {
        name,
        bytes: w.into_inner().expect("vec"),
        frames,
        ending: Ending::Clean,
        lost: 0,
    }
}

/// Every capture shipped in `testdata/pcap/`, regenerated from code.
pub fn testdata() -> Vec<TestFile> {
    let mut out = Vec::new();
    let eth = |_: &mut Rng, _| Link::ethernet();
    let base = mix(1, 12, eth);
    for (name, endian, nanos) in [
        ("ethernet-usec-le.pcap", Endian::Little, false),
        ("ethernet-usec-be.pcap", Endian::Big, false),
        ("ethernet-nsec-le.pcap", Endian::Little, true),
        ("ethernet-nsec-be.pcap", Endian::Big, true),
    ] {
        let mut o = PcapOptions::new(LinkType::ETHERNET);
        o.endian = endian;
        o.nanos = nanos;
        let mut f = pcap_file(name, o, &base);
        // one non-IP frame in the middle, to check it is counted but not decoded
        if name == "ethernet-usec-le.pcap" {
            let arp = arp_frame();
            let mut w = PcapWriter::new(Vec::new(), o).expect("vec");
            for (i, s) in base.iter().enumerate() {
                let b = s.build();
                w.write_packet(ts_at(i, 1000), b.len() as u32, &b)
                    .expect("vec");
            }
            let ts = ts_at(base.len(), 1000);
            w.write_packet(ts, arp.len() as u32, &arp).expect("vec");
            f.frames.push(ExpectedFrame {
                frame: 0,
                linktype: LinkType::ETHERNET,
                ts_ns: ts,
                ip: None,
            });
            f.bytes = w.into_inner().expect("vec");
        }
        out.push(f);
    }
    {
        let mut o = PcapOptions::new(LinkType::ETHERNET);
        o.modified = true;
        out.push(pcap_file("modified-kuznetzov.pcap", o, &mix(2, 6, eth)));
    }
    // Tags: 802.1Q, QinQ (802.1ad + 802.1Q), triple tags, MPLS, PPPoE.
    {
        let links = [
            Link::Ethernet {
                vlans: vec![10],
                qinq: false,
                mpls: vec![],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![100, 20],
                qinq: true,
                mpls: vec![],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![100, 20, 30],
                qinq: true,
                mpls: vec![],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![],
                qinq: false,
                mpls: vec![16, 17],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![42],
                qinq: false,
                mpls: vec![1000],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![],
                qinq: false,
                mpls: vec![],
                pppoe: true,
            },
        ];
        let specs = mix(3, 12, |_, i| links[i % links.len()].clone());
        out.push(pcap_file(
            "vlan-qinq-mpls-pppoe.pcap",
            PcapOptions::new(LinkType::ETHERNET),
            &specs,
        ));
    }
    for (name, link, seed) in [
        ("linux-sll.pcap", Link::Sll, 4),
        ("linux-sll2.pcap", Link::Sll2, 5),
        ("raw-ip.pcap", Link::Raw, 6),
        ("bsd-null.pcap", Link::Null, 7),
        ("openbsd-loop.pcap", Link::Loop, 8),
    ] {
        let lt = link.linktype();
        let specs = mix(seed, 8, |_, _| link.clone());
        out.push(pcap_file(name, PcapOptions::new(lt), &specs));
    }
    out.push(pcap_file(
        "ip-options-ext-headers-fragments.pcap",
        PcapOptions::new(LinkType::ETHERNET),
        &ip_edge_cases(),
    ));
    out.push(pcapng_multi());
    out.push(erf_file());
    {
        let mut f = pcap_file(
            "ethernet-gzip.pcap.gz",
            PcapOptions::new(LinkType::ETHERNET),
            &mix(9, 10, eth),
        );
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&f.bytes).expect("vec");
        f.bytes = gz.finish().expect("vec");
        out.push(f);
    }
    {
        let specs = mix(10, 6, eth);
        let mut f = pcap_file(
            "truncated.pcap",
            PcapOptions::new(LinkType::ETHERNET),
            &specs,
        );
        let last = f.frames.len() as u64;
        // cut the last record in the middle of its data
        let last_len = specs.last().map_or(0, |s| s.build().len());
        f.bytes.truncate(f.bytes.len() - last_len / 2);
        f.frames.pop();
        f.ending = Ending::Truncated(last);
        out.push(f);
    }
    {
        let mut f = pcap_file(
            "corrupt-length.pcap",
            PcapOptions::new(LinkType::ETHERNET),
            &mix(11, 5, eth),
        );
        // a record header claiming 0x7fff0000 captured bytes, then a valid-looking record
        let mut bad = Vec::new();
        bad.extend_from_slice(&1_732_000_100u32.to_le_bytes());
        bad.extend_from_slice(&0u32.to_le_bytes());
        bad.extend_from_slice(&0x7fff_0000u32.to_le_bytes());
        bad.extend_from_slice(&0x7fff_0000u32.to_le_bytes());
        bad.extend_from_slice(&[0u8; 64]);
        f.bytes.extend_from_slice(&bad);
        f.ending = Ending::Corrupt(f.frames.len() as u64 + 1);
        out.push(f);
    }
    for f in &mut out {
        if f.frames.first().is_some_and(|x| x.frame == 0) {
            for (i, x) in f.frames.iter_mut().enumerate() {
                x.frame = i as u64 + 1;
            }
        }
    }
    out
}

/// IPv4 options, IPv4 fragments (first and later), IPv6 extension headers
/// and IPv6 fragments.
fn ip_edge_cases() -> Vec<FrameSpec> {
    let a4: IpAddr = Ipv4Addr::new(192, 0, 2, 10).into();
    let b4: IpAddr = Ipv4Addr::new(198, 51, 100, 20).into();
    let a6: IpAddr = "2001:db8::10".parse().expect("literal");
    let b6: IpAddr = "2001:db8:1::20".parse().expect("literal");
    let pl = |n: usize| (0..n).map(|i| (i * 7 + 3) as u8).collect::<Vec<u8>>();
    let mut v = Vec::new();
    let mut s = FrameSpec::tcp(a4, 40000, b4, 443, pl(100));
    s.ipv4_opt_words = 3;
    v.push(s);
    let mut s = FrameSpec::udp(a4, 5353, b4, 53, pl(40));
    s.ipv4_opt_words = 10;
    v.push(s);
    // IPv4 fragments of one UDP datagram: first (ports visible), then later ones
    let mut s = FrameSpec::udp(a4, 7000, b4, 7001, pl(64));
    s.fragment = Some((0, true));
    v.push(s);
    let mut s = FrameSpec::udp(a4, 7000, b4, 7001, pl(72));
    s.fragment = Some((72, true));
    v.push(s);
    let mut s = FrameSpec::udp(a4, 7000, b4, 7001, pl(30));
    s.fragment = Some((144, false));
    v.push(s);
    // A later TCP fragment whose payload looks like a TCP header: must not be read as one
    let mut s = FrameSpec::tcp(
        a4,
        1,
        b4,
        2,
        vec![
            0x01, 0xbb, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x18, 0, 0, 0, 0, 0, 0, 0xaa,
        ],
    );
    s.fragment = Some((1480, false));
    v.push(s);
    for ext in [
        vec![ip_proto::HOPOPT],
        vec![ip_proto::HOPOPT, ip_proto::IPV6_ROUTE, ip_proto::IPV6_OPTS],
        vec![ip_proto::IPV6_OPTS],
    ] {
        let mut s = FrameSpec::tcp(a6, 50000, b6, 443, pl(90));
        s.ipv6_ext = ext.clone();
        v.push(s);
        let mut s = FrameSpec::udp(a6, 50001, b6, 53, pl(20));
        s.ipv6_ext = ext;
        v.push(s);
    }
    let mut s = FrameSpec::udp(a6, 9000, b6, 9001, pl(48));
    s.fragment = Some((0, true));
    v.push(s);
    let mut s = FrameSpec::udp(a6, 9000, b6, 9001, pl(24));
    s.fragment = Some((56, false));
    s.ipv6_ext = vec![ip_proto::HOPOPT];
    v.push(s);
    let mut s = FrameSpec::tcp(a4, 1, b4, 2, pl(8));
    s.transport = Transport::Other(ip_proto::ICMP);
    v.push(s);
    v
}

fn pcapng_multi() -> TestFile {
    let mut w = PcapngWriter::new(Vec::new(), Endian::Little).expect("vec");
    let mut frames = Vec::new();
    let e0 = w
        .add_interface(LinkType::ETHERNET, 65535, TsResolution::Decimal(6))
        .expect("vec");
    let e1 = w
        .add_interface(LinkType::RAW, 65535, TsResolution::Decimal(9))
        .expect("vec");
    let eth = mix(12, 6, |_, _| Link::ethernet());
    let raw = mix(13, 6, |_, _| Link::Raw);
    let mut i = 0usize;
    for (a, b) in eth.iter().zip(&raw) {
        let ts = ts_at(i, 1000);
        let d = a.build();
        w.write_packet(e0, ts, d.len() as u32, &d).expect("vec");
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: LinkType::ETHERNET,
            ts_ns: ts,
            ip: Some(a.expect()),
        });
        i += 1;
        // unknown and ignorable blocks between packets must be skipped
        if i == 3 {
            w.write_block(0x0000_0bad, &[0, 0, 0x7e, 0xd9, 1, 2, 3, 4])
                .expect("vec");
            w.write_block(0x0000_0004, &[0, 0, 0, 0]).expect("vec"); // NRB, empty
        }
        let ts = ts_at(i, 1) + 7;
        let d = b.build();
        w.write_packet(e1, ts, d.len() as u32, &d).expect("vec");
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: LinkType::RAW,
            ts_ns: ts,
            ip: Some(b.expect()),
        });
        i += 1;
    }
    // An obsolete Packet Block on interface 1 with 3 drops
    let pb = mix(14, 1, |_, _| Link::Raw).remove(0);
    let d = pb.build();
    let ts = ts_at(i, 1);
    w.write_obsolete_packet(1, 3, ts, d.len() as u32, &d)
        .expect("vec");
    frames.push(ExpectedFrame {
        frame: 0,
        linktype: LinkType::RAW,
        ts_ns: ts,
        ip: Some(pb.expect()),
    });
    i += 1;
    // Second section, big-endian, its own interfaces: SLL with 2^-20 s units, then Ethernet.
    w.new_section(Endian::Big).expect("vec");
    let s0 = w
        .add_interface(LinkType::LINUX_SLL, 262144, TsResolution::Binary(20))
        .expect("vec");
    let s1 = w
        .add_interface(LinkType::ETHERNET, 262144, TsResolution::Decimal(6))
        .expect("vec");
    let sll = mix(15, 4, |_, _| Link::Sll);
    for s in &sll {
        let ts = ts_at(i, 1);
        let units = TsResolution::Binary(20).units(ts as u64);
        let back = ((u128::from(units) * 1_000_000_000) >> 20) as i64;
        let d = s.build();
        w.write_packet(s0, ts, d.len() as u32, &d).expect("vec");
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: LinkType::LINUX_SLL,
            ts_ns: back,
            ip: Some(s.expect()),
        });
        i += 1;
    }
    let _ = s1;
    // Third section: a Simple Packet Block on its first interface (Ethernet).
    w.new_section(Endian::Little).expect("vec");
    w.add_interface(LinkType::ETHERNET, 65535, TsResolution::Decimal(6))
        .expect("vec");
    let spb = mix(16, 2, |_, _| Link::ethernet());
    for s in &spb {
        let d = s.build();
        w.write_simple_packet(d.len() as u32, &d).expect("vec");
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: LinkType::ETHERNET,
            ts_ns: 0,
            ip: Some(s.expect()),
        });
    }
    // the custom block after the third packet takes frame number 4
    let mut n = 0;
    for f in &mut frames {
        n += 1 + u64::from(n == 3);
        f.frame = n;
    }
    TestFile {
        name: "multi-section-multi-interface.pcapng",
        bytes: w.into_inner().expect("vec"),
        frames,
        ending: Ending::Clean,
        lost: 3,
    }
}

fn erf_file() -> TestFile {
    let mut w = ErfWriter::new(Vec::new());
    let mut frames = Vec::new();
    let specs = mix(17, 10, |rng, i| {
        if i % 3 == 1 {
            Link::Ethernet {
                vlans: vec![rng.range(1, 4094) as u16],
                qinq: false,
                mpls: vec![],
                pppoe: false,
            }
        } else {
            Link::ethernet()
        }
    });
    let mut lost = 0;
    for (i, s) in specs.iter().enumerate() {
        let ts = ts_at(i, 1);
        let d = s.build();
        let lctr = if i == 4 { 7 } else { 0 };
        lost += u64::from(lctr);
        w.write_record(ErfKind::Ethernet, ts, lctr, i % 3, &d)
            .expect("vec");
        // the writer rounds the 32.32 fraction up; the reader rounds to nearest
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: LinkType::ETHERNET,
            ts_ns: ts,
            ip: Some(s.expect()),
        });
    }
    let raw = mix(18, 2, |_, _| Link::Raw);
    for (j, s) in raw.iter().enumerate() {
        let ts = ts_at(specs.len() + j, 1);
        let d = s.build();
        let kind = if s.src.is_ipv6() {
            ErfKind::Ipv6
        } else {
            ErfKind::Ipv4
        };
        w.write_record(kind, ts, 0, 0, &d).expect("vec");
        frames.push(ExpectedFrame {
            frame: 0,
            linktype: LinkType::RAW,
            ts_ns: ts,
            ip: Some(s.expect()),
        });
    }
    TestFile {
        name: "endace.erf",
        bytes: w.into_inner().expect("vec"),
        frames,
        ending: Ending::Clean,
        lost,
    }
}
