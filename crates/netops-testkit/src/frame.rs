//! The one frame builder: Ethernet (802.1Q/802.1ad tags, MPLS, PPPoE),
//! Linux SLL/SLL2, raw IP and BSD loopback around IPv4 (options,
//! fragments) or IPv6 (extension headers, fragments) around TCP, UDP or
//! another protocol. Every header field is written at its named offset
//! from `pcap_core::layers`.
//!
//! Two ways in: [`FrameSpec`] describes a frame for the decoder tests and
//! says what a correct decoder must find in it ([`FrameSpec::expect`]);
//! [`tcp_frame`] and [`udp_frame`] build the segments of a conversation
//! with valid IP and TCP checksums.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use pcap_core::LinkType;
use pcap_core::layers::{
    ethernet, ethertype, ip_proto, ipv4, ipv6, mpls, null, pppoe, sll, sll2, tcp, udp, vlan,
};

use crate::checksum;
use crate::rng::Rng;

/// TCP checksum offset (`pcap_core::layers::tcp` names only what the
/// decoder reads).
const TCP_CHECKSUM: usize = 16;
/// Time to live / hop limit of every generated packet.
const TTL: u8 = 64;

/// TCP flag bits (the same values as `pcap_core::TcpFlags`).
pub mod flags {
    /// FIN
    pub const FIN: u8 = 0x01;
    /// SYN
    pub const SYN: u8 = 0x02;
    /// RST
    pub const RST: u8 = 0x04;
    /// PSH
    pub const PSH: u8 = 0x08;
    /// ACK
    pub const ACK: u8 = 0x10;
}

/// An IPv4 address as IPv6 (mapped), an IPv6 address as is.
pub(crate) fn to_v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V6(a) => a,
        IpAddr::V4(a) => a.to_ipv6_mapped(),
    }
}

/// Ethernet II header up to (not including) the final EtherType: MAC
/// addresses, then one tag per VLAN id (the outermost 802.1ad when `qinq`).
fn ethernet_macs_and_tags(
    out: &mut Vec<u8>,
    dst: [u8; 6],
    src: [u8; 6],
    vlans: &[u16],
    qinq: bool,
) {
    let mut h = [0u8; ethernet::ETHERTYPE];
    h[ethernet::DST_MAC..ethernet::DST_MAC + 6].copy_from_slice(&dst);
    h[ethernet::SRC_MAC..ethernet::SRC_MAC + 6].copy_from_slice(&src);
    out.extend_from_slice(&h);
    for (i, v) in vlans.iter().enumerate() {
        let tpid = if i == 0 && qinq {
            ethertype::QINQ
        } else {
            ethertype::VLAN
        };
        out.extend_from_slice(&tpid.to_be_bytes());
        let mut tag = [0u8; vlan::ETHERTYPE];
        tag[vlan::TCI..vlan::TCI + 2].copy_from_slice(&(v & vlan::VID_MASK).to_be_bytes());
        out.extend_from_slice(&tag);
    }
}

/// The fields of an IPv4 header that differ between generated packets.
struct Ipv4Fields {
    ident: u16,
    flags_frag: u16,
    proto: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    /// Option words, filled with NOPs.
    opt_words: u8,
}

/// Appends an IPv4 header (with its checksum) for `payload_len` bytes.
fn ipv4_header(out: &mut Vec<u8>, f: &Ipv4Fields, payload_len: usize) {
    let ihl = ipv4::MIN_HEADER_LEN + usize::from(f.opt_words) * 4;
    let start = out.len();
    out.resize(start + ihl, 0);
    let h = &mut out[start..];
    h[ipv4::VERSION_IHL] = 0x40 | (ihl / 4) as u8;
    h[ipv4::TOTAL_LEN..ipv4::TOTAL_LEN + 2]
        .copy_from_slice(&((ihl + payload_len) as u16).to_be_bytes());
    h[ipv4::IDENT..ipv4::IDENT + 2].copy_from_slice(&f.ident.to_be_bytes());
    h[ipv4::FLAGS_FRAG..ipv4::FLAGS_FRAG + 2].copy_from_slice(&f.flags_frag.to_be_bytes());
    h[ipv4::TTL] = TTL;
    h[ipv4::PROTOCOL] = f.proto;
    h[ipv4::SRC_ADDR..ipv4::SRC_ADDR + 4].copy_from_slice(&f.src.octets());
    h[ipv4::DST_ADDR..ipv4::DST_ADDR + 4].copy_from_slice(&f.dst.octets());
    h[ipv4::MIN_HEADER_LEN..].fill(1); // NOP options
    let c = checksum::internet(h);
    h[ipv4::CHECKSUM..ipv4::CHECKSUM + 2].copy_from_slice(&c.to_be_bytes());
}

/// Appends an IPv6 header whose payload (extension headers included) is
/// `payload_len` bytes.
fn ipv6_header(out: &mut Vec<u8>, next: u8, src: Ipv6Addr, dst: Ipv6Addr, payload_len: usize) {
    let mut h = [0u8; ipv6::HEADER_LEN];
    h[ipv6::VERSION_CLASS_FLOW] = 0x60;
    h[ipv6::PAYLOAD_LEN..ipv6::PAYLOAD_LEN + 2]
        .copy_from_slice(&(payload_len as u16).to_be_bytes());
    h[ipv6::NEXT_HEADER] = next;
    h[ipv6::HOP_LIMIT] = TTL;
    h[ipv6::SRC_ADDR..ipv6::SRC_ADDR + 16].copy_from_slice(&src.octets());
    h[ipv6::DST_ADDR..ipv6::DST_ADDR + 16].copy_from_slice(&dst.octets());
    out.extend_from_slice(&h);
}

/// The fields of a TCP header.
struct TcpFields {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    /// Option words, filled with NOPs.
    opt_words: u8,
}

/// Appends a TCP header with a zero checksum.
fn tcp_header(out: &mut Vec<u8>, f: &TcpFields) {
    let len = tcp::MIN_HEADER_LEN + usize::from(f.opt_words) * 4;
    let start = out.len();
    out.resize(start + len, 0);
    let h = &mut out[start..];
    h[tcp::SRC_PORT..tcp::SRC_PORT + 2].copy_from_slice(&f.sport.to_be_bytes());
    h[tcp::DST_PORT..tcp::DST_PORT + 2].copy_from_slice(&f.dport.to_be_bytes());
    h[tcp::SEQ..tcp::SEQ + 4].copy_from_slice(&f.seq.to_be_bytes());
    h[tcp::ACK..tcp::ACK + 4].copy_from_slice(&f.ack.to_be_bytes());
    h[tcp::DATA_OFFSET] = ((len / 4) as u8) << 4;
    h[tcp::FLAGS] = f.flags;
    h[tcp::WINDOW..tcp::WINDOW + 2].copy_from_slice(&f.window.to_be_bytes());
    h[tcp::MIN_HEADER_LEN..].fill(1); // NOP options
}

/// Appends a UDP header with a zero checksum ("none") for `payload_len` bytes.
fn udp_header(out: &mut Vec<u8>, sport: u16, dport: u16, payload_len: usize) {
    let mut h = [0u8; udp::HEADER_LEN];
    h[udp::SRC_PORT..udp::SRC_PORT + 2].copy_from_slice(&sport.to_be_bytes());
    h[udp::DST_PORT..udp::DST_PORT + 2].copy_from_slice(&dport.to_be_bytes());
    h[udp::LENGTH..udp::LENGTH + 2]
        .copy_from_slice(&((udp::HEADER_LEN + payload_len) as u16).to_be_bytes());
    out.extend_from_slice(&h);
}

/// MAC addresses of [`tcp_frame`]/[`udp_frame`] frames: to the server side, from the client side.
const SEGMENT_DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
const SEGMENT_SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// One TCP segment of a conversation, for [`tcp_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// 802.1Q VLAN ids, outermost first.
    pub vlans: &'a [u16],
    /// The outermost tag is 802.1ad (QinQ).
    pub qinq: bool,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver (an IPv4/IPv6 mix is sent as IPv6 with the IPv4 address mapped).
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flag bits ([`flags`]).
    pub flags: u8,
    /// Receive window.
    pub window: u16,
    /// IPv4 identification.
    pub ip_id: u16,
    /// Segment payload.
    pub payload: &'a [u8],
}

impl<'a> TcpSegment<'a> {
    /// A segment from `src` to `dst` with sequence and acknowledgement 0,
    /// window 65535, IP id 0 and no tags.
    pub fn new(src: SocketAddr, dst: SocketAddr, flags: u8, payload: &'a [u8]) -> Self {
        TcpSegment {
            vlans: &[],
            qinq: false,
            src,
            dst,
            seq: 0,
            ack: 0,
            flags,
            window: 0xffff,
            ip_id: 0,
            payload,
        }
    }
}

/// An Ethernet frame carrying `seg` over IPv4 (DF set) or IPv6, with valid
/// IP and TCP checksums.
pub fn tcp_frame(seg: &TcpSegment<'_>) -> Vec<u8> {
    let tcp_len = tcp::MIN_HEADER_LEN + seg.payload.len();
    let mut f =
        Vec::with_capacity(ethernet::HEADER_LEN + 4 * seg.vlans.len() + ipv6::HEADER_LEN + tcp_len);
    ethernet_macs_and_tags(
        &mut f,
        SEGMENT_DST_MAC,
        SEGMENT_SRC_MAC,
        seg.vlans,
        seg.qinq,
    );
    match (seg.src.ip(), seg.dst.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            f.extend_from_slice(&ethertype::IPV4.to_be_bytes());
            let ip = Ipv4Fields {
                ident: seg.ip_id,
                flags_frag: ipv4::FLAG_DF,
                proto: ip_proto::TCP,
                src,
                dst,
                opt_words: 0,
            };
            ipv4_header(&mut f, &ip, tcp_len);
        }
        (s, d) => {
            f.extend_from_slice(&ethertype::IPV6.to_be_bytes());
            ipv6_header(&mut f, ip_proto::TCP, to_v6(s), to_v6(d), tcp_len);
        }
    }
    let start = f.len();
    tcp_header(
        &mut f,
        &TcpFields {
            sport: seg.src.port(),
            dport: seg.dst.port(),
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            window: seg.window,
            opt_words: 0,
        },
    );
    f.extend_from_slice(seg.payload);
    let c = checksum::transport(seg.src.ip(), seg.dst.ip(), ip_proto::TCP, &f[start..]);
    f[start + TCP_CHECKSUM..start + TCP_CHECKSUM + 2].copy_from_slice(&c.to_be_bytes());
    f
}

/// An Ethernet frame carrying a UDP datagram over IPv4 (IP id 0, no
/// flags; UDP checksum 0 = none).
pub fn udp_frame(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Vec<u8> {
    let udp_len = udp::HEADER_LEN + payload.len();
    let mut f = Vec::with_capacity(ethernet::HEADER_LEN + ipv4::MIN_HEADER_LEN + udp_len);
    ethernet_macs_and_tags(&mut f, SEGMENT_DST_MAC, SEGMENT_SRC_MAC, &[], false);
    f.extend_from_slice(&ethertype::IPV4.to_be_bytes());
    let ip = Ipv4Fields {
        ident: 0,
        flags_frag: 0,
        proto: ip_proto::UDP,
        src: src.0,
        dst: dst.0,
        opt_words: 0,
    };
    ipv4_header(&mut f, &ip, udp_len);
    udp_header(&mut f, src.1, dst.1, payload.len());
    f.extend_from_slice(payload);
    f
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

/// `ARPHRD_ETHER`, the Linux cooked headers' interface type.
const ARPHRD_ETHER: u16 = 1;

/// MAC addresses of [`FrameSpec`] frames.
const SPEC_DST_MAC: [u8; 6] = [0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c];
const SPEC_SRC_MAC: [u8; 6] = [0x00, 0x25, 0x90, 0x01, 0x02, 0x03];

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

    /// The transport header (no checksum; none for later fragments) and payload.
    fn l4(&self, out: &mut Vec<u8>) {
        if !self.later_fragment() {
            match self.transport {
                Transport::Tcp {
                    sport,
                    dport,
                    flags,
                    opt_words,
                } => tcp_header(
                    out,
                    &TcpFields {
                        sport,
                        dport,
                        seq: 0x0102_0304,
                        ack: 0x0a0b_0c0d,
                        flags,
                        window: 0xffff,
                        opt_words,
                    },
                ),
                Transport::Udp { sport, dport } => {
                    udp_header(out, sport, dport, self.payload.len())
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
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let flags_frag = match self.fragment {
                    Some((off, more)) => (off >> 3) | if more { ipv4::FLAG_MF } else { 0 },
                    None => ipv4::FLAG_DF,
                };
                let ip = Ipv4Fields {
                    ident: 0x1234,
                    flags_frag,
                    proto: self.proto(),
                    src,
                    dst,
                    opt_words: self.ipv4_opt_words,
                };
                ipv4_header(out, &ip, l4.len());
            }
            (s, d) => {
                let mut chain: Vec<u8> = self.ipv6_ext.clone();
                if self.fragment.is_some() {
                    chain.push(ip_proto::IPV6_FRAG);
                }
                let ext_len = chain.len() * 8;
                let first = chain.first().copied().unwrap_or(self.proto());
                ipv6_header(out, first, to_v6(s), to_v6(d), ext_len + l4.len());
                for (i, &h) in chain.iter().enumerate() {
                    let next = chain.get(i + 1).copied().unwrap_or(self.proto());
                    let mut e = [0u8; 8];
                    e[ipv6::EXT_NEXT_HEADER] = next;
                    if h == ip_proto::IPV6_FRAG {
                        let (off, more) = self.fragment.unwrap_or((0, false));
                        let field =
                            (off & ipv6::FRAG_OFFSET_MASK) | if more { ipv6::FRAG_MORE } else { 0 };
                        e[ipv6::FRAG_OFFSET_FLAGS..ipv6::FRAG_OFFSET_FLAGS + 2]
                            .copy_from_slice(&field.to_be_bytes());
                        e[4..8].copy_from_slice(&0xabcd_0001u32.to_be_bytes()); // identification
                    } else if h == ip_proto::IPV6_ROUTE {
                        // routing type 253 (experimental), segments left 0
                        e[2] = 253;
                    } else {
                        // a PadN option of 4 bytes
                        e[2..4].copy_from_slice(&[1, 4]);
                    }
                    out.extend_from_slice(&e);
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
                mpls: labels,
                pppoe,
            } => {
                ethernet_macs_and_tags(out, SPEC_DST_MAC, SPEC_SRC_MAC, vlans, *qinq);
                if !labels.is_empty() {
                    out.extend_from_slice(&ethertype::MPLS_UNICAST.to_be_bytes());
                    for (i, l) in labels.iter().enumerate() {
                        let bos = u32::from(i + 1 == labels.len());
                        let entry =
                            (l << 12) | (bos << (8 * (3 - mpls::BOS_BYTE))) | u32::from(TTL);
                        out.extend_from_slice(&entry.to_be_bytes());
                    }
                } else if *pppoe {
                    out.extend_from_slice(&ethertype::PPPOE_SESSION.to_be_bytes());
                    let mut ip = Vec::new();
                    self.ip(&mut ip);
                    let mut h = [0u8; pppoe::TOTAL_LEN];
                    // version/type 1/1, code 0 (session data), session id 0x002a
                    h[..4].copy_from_slice(&[0x11, 0x00, 0x00, 0x2a]);
                    h[4..6].copy_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
                    let ppp = if v6 { pppoe::PPP_IPV6 } else { pppoe::PPP_IPV4 };
                    h[pppoe::PPP_PROTOCOL..pppoe::PPP_PROTOCOL + 2]
                        .copy_from_slice(&ppp.to_be_bytes());
                    out.extend_from_slice(&h);
                    out.extend_from_slice(&ip);
                    return;
                } else {
                    out.extend_from_slice(&ip_type.to_be_bytes());
                }
            }
            Link::Sll => {
                let mut h = [0u8; sll::HEADER_LEN];
                h[sll::PKTTYPE..sll::PKTTYPE + 2].copy_from_slice(&0u16.to_be_bytes()); // to us
                h[sll::ARPHRD..sll::ARPHRD + 2].copy_from_slice(&ARPHRD_ETHER.to_be_bytes());
                h[sll::ADDR_LEN..sll::ADDR_LEN + 2].copy_from_slice(&6u16.to_be_bytes());
                h[sll::ADDR..sll::ADDR + 6].copy_from_slice(&SPEC_SRC_MAC);
                h[sll::PROTOCOL..sll::PROTOCOL + 2].copy_from_slice(&ip_type.to_be_bytes());
                out.extend_from_slice(&h);
            }
            Link::Sll2 => {
                let mut h = [0u8; sll2::HEADER_LEN];
                h[sll2::PROTOCOL..sll2::PROTOCOL + 2].copy_from_slice(&ip_type.to_be_bytes());
                h[sll2::IFINDEX..sll2::IFINDEX + 4].copy_from_slice(&2u32.to_be_bytes());
                h[sll2::ARPHRD..sll2::ARPHRD + 2].copy_from_slice(&ARPHRD_ETHER.to_be_bytes());
                h[sll2::ADDR_LEN] = 6;
                h[sll2::ADDR..sll2::ADDR + 6].copy_from_slice(&SPEC_SRC_MAC);
                out.extend_from_slice(&h);
            }
            Link::Raw => {}
            Link::Null | Link::Loop => {
                let family = if v6 {
                    null::AF_INET6_BSD
                } else {
                    null::AF_INET
                };
                let mut h = [0u8; null::HEADER_LEN];
                h[null::FAMILY..null::FAMILY + 4].copy_from_slice(&if matches!(
                    self.link,
                    Link::Null
                ) {
                    family.to_le_bytes()
                } else {
                    family.to_be_bytes()
                });
                out.extend_from_slice(&h);
            }
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

fn random_v4(rng: &mut Rng, net: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        net,
        rng.range(0, 255) as u8,
        rng.range(1, 254) as u8,
    ))
}

fn random_v6(rng: &mut Rng) -> IpAddr {
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
/// (`payload_len` bytes), on `link`.
pub fn random_frame(rng: &mut Rng, link: Link, payload_len: usize) -> FrameSpec {
    let ipv6 = rng.chance(25);
    let (src, dst) = if ipv6 {
        (random_v6(rng), random_v6(rng))
    } else {
        (random_v4(rng, 1), random_v4(rng, 2))
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
