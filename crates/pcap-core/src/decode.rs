//! Decoding from the link layer down to TCP/UDP, zero-copy.
//!
//! [`decode`] never allocates and never panics: every header is
//! length-checked before it is read, and an IP header's total length bounds
//! the payload (so Ethernet padding and trailing FCS never leak into it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::layers::{
    ethernet, ethertype, ip_proto, ipv4, ipv6, mpls, null, pppoe, sll, sll2, tcp, udp, vlan,
};
use crate::{DecodeError, FlowKey, LinkType};

/// How many VLAN tags a [`VlanStack`] stores; deeper stacks are decoded and
/// counted, but only the outermost tags are kept.
pub const MAX_VLANS: usize = 4;

/// The 802.1Q/802.1ad tags of a frame, outermost first, in a fixed array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanStack {
    tcis: [u16; MAX_VLANS],
    count: u8,
}

impl VlanStack {
    #[inline]
    fn push(&mut self, tci: u16) {
        if let Some(slot) = self.tcis.get_mut(usize::from(self.count)) {
            *slot = tci;
        }
        self.count = self.count.saturating_add(1);
    }

    /// Number of tags on the frame (may exceed [`MAX_VLANS`]).
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether the frame was untagged.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The stored tag control fields (PCP, DEI, VLAN id), outermost first.
    pub fn tcis(&self) -> &[u16] {
        &self.tcis[..usize::from(self.count).min(MAX_VLANS)]
    }

    /// The stored VLAN ids, outermost first.
    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.tcis().iter().map(|t| t & vlan::VID_MASK)
    }
}

/// TCP flag bits, as in the header's flags byte.
#[derive(Debug, Clone, Copy)]
pub struct TcpFlags;

impl TcpFlags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

/// A TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flag bits ([`TcpFlags`]).
    pub flags: u8,
    /// Payload after the header and its options (as captured).
    pub payload: &'a [u8],
}

impl Tcp<'_> {
    /// SYN set.
    pub fn syn(&self) -> bool {
        self.flags & TcpFlags::SYN != 0
    }
    /// FIN set.
    pub fn fin(&self) -> bool {
        self.flags & TcpFlags::FIN != 0
    }
    /// RST set.
    pub fn rst(&self) -> bool {
        self.flags & TcpFlags::RST != 0
    }
    /// ACK set.
    pub fn ack(&self) -> bool {
        self.flags & TcpFlags::ACK != 0
    }
    /// PSH set.
    pub fn psh(&self) -> bool {
        self.flags & TcpFlags::PSH != 0
    }
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload (bounded by the UDP length when it is consistent).
    pub payload: &'a [u8],
}

/// The transport layer of a decoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4<'a> {
    /// TCP.
    Tcp(Tcp<'a>),
    /// UDP.
    Udp(Udp<'a>),
    /// A non-first IPv4/IPv6 fragment: its payload is the middle of some
    /// datagram and is never read as a transport header.
    Fragment,
    /// Any other protocol (ICMP, ESP, GRE, ...), with the IP payload.
    Other {
        /// IP protocol number.
        proto: u8,
        /// The IP payload.
        payload: &'a [u8],
    },
}

/// A packet decoded down to L4. All slices borrow from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// VLAN tags, outermost first.
    pub vlans: VlanStack,
    /// Number of MPLS labels crossed.
    pub mpls_labels: u8,
    /// Offset of the IP header in the packet data.
    pub ip_offset: usize,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol (after IPv6 extension headers).
    pub ip_proto: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// Fragment offset in bytes (0 for first fragments and whole datagrams).
    pub frag_offset: u16,
    /// More fragments follow this one.
    pub more_fragments: bool,
    /// The IP payload (after IPv6 extension headers), bounded by the IP
    /// length fields and the captured bytes.
    pub ip_payload: &'a [u8],
    /// The transport layer.
    pub l4: L4<'a>,
}

impl Decoded<'_> {
    /// Whether this packet is any fragment of a fragmented datagram.
    pub fn is_fragment(&self) -> bool {
        self.frag_offset != 0 || self.more_fragments
    }

    /// Source and destination ports for TCP and UDP.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match self.l4 {
            L4::Tcp(t) => Some((t.src_port, t.dst_port)),
            L4::Udp(u) => Some((u.src_port, u.dst_port)),
            _ => None,
        }
    }

    /// The direction-independent flow key (ports 0 when not TCP/UDP).
    pub fn flow_key(&self) -> FlowKey {
        let (sp, dp) = self.ports().unwrap_or((0, 0));
        FlowKey::new(self.src, sp, self.dst, dp, self.ip_proto)
    }
}

#[inline(always)]
fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

#[inline(always)]
fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

#[inline(always)]
fn need(data: &[u8], layer: &'static str, offset: usize, needed: usize) -> Result<(), DecodeError> {
    let available = data.len().saturating_sub(offset);
    if available < needed {
        return Err(DecodeError::Truncated {
            layer,
            offset,
            needed,
            available,
        });
    }
    Ok(())
}

/// Decodes `data` captured with link type `linktype` down to L4.
///
/// Handles Ethernet (with any stack of 802.1Q/802.1ad tags, MPLS labels and
/// PPPoE), Linux SLL and SLL2, raw IPv4/IPv6 and BSD NULL/LOOP. A
/// non-first fragment gives [`L4::Fragment`].
#[inline]
pub fn decode(linktype: LinkType, data: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let (etype, off) = match linktype {
        LinkType::ETHERNET => {
            need(data, "ethernet", 0, ethernet::HEADER_LEN)?;
            (be16(data, ethernet::ETHERTYPE), ethernet::HEADER_LEN)
        }
        LinkType::LINUX_SLL => {
            need(data, "linux sll", 0, sll::HEADER_LEN)?;
            (be16(data, sll::PROTOCOL), sll::HEADER_LEN)
        }
        LinkType::LINUX_SLL2 => {
            need(data, "linux sll2", 0, sll2::HEADER_LEN)?;
            (be16(data, sll2::PROTOCOL), sll2::HEADER_LEN)
        }
        LinkType::NULL | LinkType::LOOP => {
            need(data, "loopback", 0, null::HEADER_LEN)?;
            let mut raw = [0u8; 4];
            raw.copy_from_slice(&data[null::field::FAMILY]);
            let family = if linktype == LinkType::LOOP || (raw[0] == 0 && raw[1] == 0) {
                u32::from_be_bytes(raw)
            } else {
                u32::from_le_bytes(raw)
            };
            let et = match family {
                null::AF_INET => ethertype::IPV4,
                null::AF_INET6_BSD
                | null::AF_INET6_FREEBSD
                | null::AF_INET6_DARWIN
                | null::AF_INET6_LINUX => ethertype::IPV6,
                other => {
                    return Err(DecodeError::NotIp {
                        ethertype: other as u16,
                        offset: null::FAMILY,
                    });
                }
            };
            (et, null::HEADER_LEN)
        }
        LinkType::RAW => (version_ethertype(data, 0)?, 0),
        LinkType::IPV4 => (ethertype::IPV4, 0),
        LinkType::IPV6 => (ethertype::IPV6, 0),
        other => return Err(DecodeError::UnsupportedLinkType(other)),
    };
    decode_ethertype(data, etype, off)
}

/// The transport header fields a scan tests first, for the commonest
/// frames only: Ethernet (untagged, or with one or two VLAN tags) carrying
/// an unfragmented IPv4 TCP or UDP packet. See [`peek`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek<'a> {
    /// [`ip_proto::TCP`] or [`ip_proto::UDP`].
    pub proto: u8,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// TCP flag bits ([`TcpFlags`]); 0 for UDP.
    pub flags: u8,
    /// The transport payload, exactly as [`decode`] bounds it.
    pub payload: &'a [u8],
}

/// A cheaper first look than [`decode`] for scans that drop most packets
/// on their ports, flags or first payload bytes: for Ethernet (untagged,
/// or with one or two VLAN tags) carrying an unfragmented IPv4 TCP or UDP
/// packet it reads only those
/// fields (no addresses, no [`Decoded`] to build and return); for every
/// other frame, and for any header [`decode`] would reject, it returns
/// `None` and the caller decodes.
///
/// Whenever it returns `Some`, [`decode`] returns `Ok` with the same
/// protocol, ports, flags and payload (a property test checks this on
/// arbitrary bytes), so a packet dropped on what `peek` shows is one the
/// full decode would have dropped too.
#[inline(always)]
pub fn peek(linktype: LinkType, data: &[u8]) -> Option<Peek<'_>> {
    if linktype == LinkType::ETHERNET
        && let Some(h) = data.first_chunk::<{ ethernet::HEADER_LEN + vlan::HEADER_LEN + 1 }>()
    {
        // Ethernet, untagged or with one 802.1Q tag, and IPv4 without
        // options (most frames of a capture): the EtherType and the
        // version/length byte in one compare.
        let lead = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
        if lead & 0x00ff_ffff == u32::from_le_bytes([0x08, 0x00, 0x45, 0]) {
            return peek_ipv4(data, ethernet::HEADER_LEN);
        }
        if lead == u32::from_le_bytes([0x81, 0x00, h[14], h[15]])
            && u32::from_le_bytes([h[16], h[17], h[18], 0])
                == u32::from_le_bytes([0x08, 0x00, 0x45, 0])
        {
            return peek_ipv4(data, ethernet::HEADER_LEN + vlan::HEADER_LEN);
        }
    }
    if linktype != LinkType::ETHERNET || data.len() < ethernet::HEADER_LEN {
        return None;
    }
    let mut etype = be16(data, ethernet::ETHERTYPE);
    let mut ip = ethernet::HEADER_LEN;
    if etype != ethertype::IPV4 {
        // Up to two VLAN tags (802.1Q, QinQ).
        for _ in 0..2 {
            if !matches!(
                etype,
                ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD
            ) {
                break;
            }
            if data.len() < ip + vlan::HEADER_LEN {
                return None;
            }
            etype = be16(data, ip + vlan::ETHERTYPE);
            ip += vlan::HEADER_LEN;
        }
        if etype != ethertype::IPV4 {
            return None;
        }
    }
    // Fixed-size views: one length check each, none per field.
    let h: &[u8; ipv4::MIN_HEADER_LEN] =
        data.get(ip..ip + ipv4::MIN_HEADER_LEN)?.try_into().ok()?;
    let vihl = h[ipv4::VERSION_IHL];
    // Version 4 without options (nearly every packet): the view above
    // already holds the whole header.
    let ihl = usize::from(vihl & 0x0f) * 4;
    if vihl != 0x45 && (vihl >> 4 != 4 || ihl < ipv4::MIN_HEADER_LEN || data.len() < ip + ihl) {
        return None;
    }
    if be16(h, ipv4::FLAGS_FRAG) & ipv4::FRAG_OFFSET_MASK != 0 {
        return None;
    }
    let total = usize::from(be16(h, ipv4::TOTAL_LEN));
    let end = match total {
        0 => data.len(),
        t if t < ihl => return None,
        t => (ip + t).min(data.len()),
    };
    peek_transport(h[ipv4::PROTOCOL], &data[ip + ihl..end])
}

/// [`peek`] for an IPv4 header without options at `ip` (the caller saw
/// version 4 and length 5 there): the fragment field and the protocol
/// from one word, then [`peek_transport`].
#[inline(always)]
fn peek_ipv4(data: &[u8], ip: usize) -> Option<Peek<'_>> {
    let l4 = ip + ipv4::MIN_HEADER_LEN;
    let h: &[u8; ipv4::MIN_HEADER_LEN] = data.get(ip..l4)?.try_into().ok()?;
    // Bytes 2-9 of the header: total length, id, flags and fragment
    // offset, TTL, protocol.
    let w = u64::from_le_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]);
    if (w >> 32) as u16 & u16::from_le_bytes([0x1f, 0xff]) != 0 {
        return None;
    }
    let end = match usize::from(u16::from_be_bytes([w as u8, (w >> 8) as u8])) {
        0 => data.len(),
        t if t < ipv4::MIN_HEADER_LEN => return None,
        t => (ip + t).min(data.len()),
    };
    peek_transport((w >> 56) as u8, data.get(l4..end)?)
}

/// [`peek`]'s TCP or UDP header at the start of `p`, the IP payload as the
/// IP header bounds it.
#[inline(always)]
fn peek_transport(proto: u8, p: &[u8]) -> Option<Peek<'_>> {
    match proto {
        ip_proto::TCP => {
            let t: &[u8; tcp::MIN_HEADER_LEN] = p.get(..tcp::MIN_HEADER_LEN)?.try_into().ok()?;
            let hl = usize::from(t[tcp::DATA_OFFSET] >> 4) * 4;
            if hl < tcp::MIN_HEADER_LEN || p.len() < hl {
                return None;
            }
            Some(Peek {
                proto: ip_proto::TCP,
                src_port: be16(t, tcp::SRC_PORT),
                dst_port: be16(t, tcp::DST_PORT),
                flags: t[tcp::FLAGS],
                payload: &p[hl..],
            })
        }
        ip_proto::UDP => {
            let u: &[u8; udp::HEADER_LEN] = p.get(..udp::HEADER_LEN)?.try_into().ok()?;
            let ulen = usize::from(be16(u, udp::LENGTH));
            let end = if (udp::HEADER_LEN..=p.len()).contains(&ulen) {
                ulen
            } else {
                p.len()
            };
            Some(Peek {
                proto: ip_proto::UDP,
                src_port: be16(u, udp::SRC_PORT),
                dst_port: be16(u, udp::DST_PORT),
                flags: 0,
                payload: &p[udp::HEADER_LEN..end],
            })
        }
        _ => None,
    }
}

fn version_ethertype(data: &[u8], off: usize) -> Result<u16, DecodeError> {
    need(data, "ip", off, 1)?;
    match data[off] >> 4 {
        4 => Ok(ethertype::IPV4),
        6 => Ok(ethertype::IPV6),
        _ => Err(DecodeError::Invalid {
            layer: "ip",
            offset: off,
            reason: "version is neither 4 nor 6",
        }),
    }
}

#[inline(always)]
fn decode_ethertype(
    data: &[u8],
    mut etype: u16,
    mut off: usize,
) -> Result<Decoded<'_>, DecodeError> {
    let mut vlans = VlanStack::default();
    let mut labels = 0u8;
    loop {
        match etype {
            ethertype::IPV4 => return ipv4(data, off, vlans, labels),
            ethertype::IPV6 => return ipv6(data, off, vlans, labels),
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD => {
                need(data, "vlan", off, vlan::HEADER_LEN)?;
                vlans.push(be16(data, off + vlan::TCI));
                etype = be16(data, off + vlan::ETHERTYPE);
                off += vlan::HEADER_LEN;
            }
            ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => {
                loop {
                    need(data, "mpls", off, mpls::ENTRY_LEN)?;
                    let bos = data[off + mpls::BOS_BYTE] & mpls::BOS_BIT != 0;
                    labels = labels.saturating_add(1);
                    off += mpls::ENTRY_LEN;
                    if bos {
                        break;
                    }
                }
                // No type field after the stack: guess from the version
                // nibble, as Wireshark does for plain IP over MPLS.
                etype = version_ethertype(data, off)?;
            }
            ethertype::PPPOE_SESSION => {
                need(data, "pppoe", off, pppoe::TOTAL_LEN)?;
                etype = match be16(data, off + pppoe::PPP_PROTOCOL) {
                    pppoe::PPP_IPV4 => ethertype::IPV4,
                    pppoe::PPP_IPV6 => ethertype::IPV6,
                    other => {
                        return Err(DecodeError::NotIp {
                            ethertype: other,
                            offset: off + pppoe::PPP_PROTOCOL,
                        });
                    }
                };
                off += pppoe::TOTAL_LEN;
            }
            other => {
                return Err(DecodeError::NotIp {
                    ethertype: other,
                    offset: off.saturating_sub(2),
                });
            }
        }
    }
}

#[inline(always)]
fn ipv4(
    data: &[u8],
    off: usize,
    vlans: VlanStack,
    mpls_labels: u8,
) -> Result<Decoded<'_>, DecodeError> {
    need(data, "ipv4", off, ipv4::MIN_HEADER_LEN)?;
    let h = &data[off..];
    let vihl = h[ipv4::VERSION_IHL];
    if vihl >> 4 != 4 {
        return Err(DecodeError::Invalid {
            layer: "ipv4",
            offset: off,
            reason: "version is not 4",
        });
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    if ihl < ipv4::MIN_HEADER_LEN {
        return Err(DecodeError::Invalid {
            layer: "ipv4",
            offset: off,
            reason: "header length below 20 bytes",
        });
    }
    need(data, "ipv4", off, ihl)?;
    let total = usize::from(be16(h, ipv4::TOTAL_LEN));
    // Total length 0 appears with TCP segmentation offload: use what was captured.
    let end = if total == 0 {
        data.len()
    } else if total < ihl {
        return Err(DecodeError::Invalid {
            layer: "ipv4",
            offset: off,
            reason: "total length smaller than the header",
        });
    } else {
        (off + total).min(data.len())
    };
    let ff = be16(h, ipv4::FLAGS_FRAG);
    let frag_offset = (ff & ipv4::FRAG_OFFSET_MASK) << 3;
    let src = Ipv4Addr::from(be32(h, ipv4::SRC_ADDR));
    let dst = Ipv4Addr::from(be32(h, ipv4::DST_ADDR));
    let proto = h[ipv4::PROTOCOL];
    let poff = off + ihl;
    let payload = &data[poff..end];
    let l4 = if frag_offset != 0 {
        L4::Fragment
    } else {
        transport(proto, payload, poff)?
    };
    Ok(Decoded {
        vlans,
        mpls_labels,
        ip_offset: off,
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        ip_proto: proto,
        ttl: h[ipv4::TTL],
        frag_offset,
        more_fragments: ff & ipv4::FLAG_MF != 0,
        ip_payload: payload,
        l4,
    })
}

#[inline(always)]
fn ipv6(
    data: &[u8],
    off: usize,
    vlans: VlanStack,
    mpls_labels: u8,
) -> Result<Decoded<'_>, DecodeError> {
    need(data, "ipv6", off, ipv6::HEADER_LEN)?;
    let h = &data[off..];
    if h[ipv6::VERSION_CLASS_FLOW] >> 4 != 6 {
        return Err(DecodeError::Invalid {
            layer: "ipv6",
            offset: off,
            reason: "version is not 6",
        });
    }
    let plen = usize::from(be16(h, ipv6::PAYLOAD_LEN));
    // Payload length 0: jumbogram or segmentation offload; use what was captured.
    let end = if plen == 0 {
        data.len()
    } else {
        (off + ipv6::HEADER_LEN + plen).min(data.len())
    };
    let mut src = [0u8; 16];
    src.copy_from_slice(&h[ipv6::field::SRC_ADDR]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&h[ipv6::field::DST_ADDR]);
    let mut nh = h[ipv6::NEXT_HEADER];
    let mut p = off + ipv6::HEADER_LEN;
    let mut frag_offset = 0u16;
    let mut more_fragments = false;
    // Only the bytes inside the IPv6 payload belong to the extension headers.
    let body = &data[..end.max(p.min(data.len()))];
    loop {
        match nh {
            ip_proto::HOPOPT
            | ip_proto::IPV6_ROUTE
            | ip_proto::IPV6_OPTS
            | ip_proto::MOBILITY
            | ip_proto::HIP
            | ip_proto::SHIM6 => {
                need(body, "ipv6 extension", p, 2)?;
                let len = (usize::from(body[p + ipv6::EXT_LEN]) + 1) * 8;
                need(body, "ipv6 extension", p, len)?;
                nh = body[p + ipv6::EXT_NEXT_HEADER];
                p += len;
            }
            ip_proto::AH => {
                need(body, "ipv6 authentication header", p, 2)?;
                let len = (usize::from(body[p + ipv6::EXT_LEN]) + 2) * 4;
                need(body, "ipv6 authentication header", p, len)?;
                nh = body[p + ipv6::EXT_NEXT_HEADER];
                p += len;
            }
            ip_proto::IPV6_FRAG => {
                need(body, "ipv6 fragment header", p, ipv6::FRAG_HEADER_LEN)?;
                let v = be16(body, p + ipv6::FRAG_OFFSET_FLAGS);
                frag_offset = v & ipv6::FRAG_OFFSET_MASK;
                more_fragments = v & ipv6::FRAG_MORE != 0;
                nh = body[p + ipv6::EXT_NEXT_HEADER];
                p += ipv6::FRAG_HEADER_LEN;
                if frag_offset != 0 {
                    break;
                }
            }
            _ => break,
        }
    }
    let payload = &body[p..];
    let l4 = if frag_offset != 0 {
        L4::Fragment
    } else {
        transport(nh, payload, p)?
    };
    Ok(Decoded {
        vlans,
        mpls_labels,
        ip_offset: off,
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        ip_proto: nh,
        ttl: h[ipv6::HOP_LIMIT],
        frag_offset,
        more_fragments,
        ip_payload: payload,
        l4,
    })
}

#[inline(always)]
fn transport(proto: u8, p: &[u8], poff: usize) -> Result<L4<'_>, DecodeError> {
    let trunc = |layer, needed| DecodeError::Truncated {
        layer,
        offset: poff,
        needed,
        available: p.len(),
    };
    match proto {
        ip_proto::TCP => {
            if p.len() < tcp::MIN_HEADER_LEN {
                return Err(trunc("tcp", tcp::MIN_HEADER_LEN));
            }
            let hl = usize::from(p[tcp::DATA_OFFSET] >> 4) * 4;
            if hl < tcp::MIN_HEADER_LEN {
                return Err(DecodeError::Invalid {
                    layer: "tcp",
                    offset: poff,
                    reason: "data offset below 20 bytes",
                });
            }
            if p.len() < hl {
                return Err(trunc("tcp", hl));
            }
            Ok(L4::Tcp(Tcp {
                src_port: be16(p, tcp::SRC_PORT),
                dst_port: be16(p, tcp::DST_PORT),
                seq: be32(p, tcp::SEQ),
                ack: be32(p, tcp::ACK),
                flags: p[tcp::FLAGS],
                payload: &p[hl..],
            }))
        }
        ip_proto::UDP => {
            if p.len() < udp::HEADER_LEN {
                return Err(trunc("udp", udp::HEADER_LEN));
            }
            let ulen = usize::from(be16(p, udp::LENGTH));
            let end = if (udp::HEADER_LEN..=p.len()).contains(&ulen) {
                ulen
            } else {
                p.len()
            };
            Ok(L4::Udp(Udp {
                src_port: be16(p, udp::SRC_PORT),
                dst_port: be16(p, udp::DST_PORT),
                payload: &p[udp::HEADER_LEN..end],
            }))
        }
        _ => Ok(L4::Other { proto, payload: p }),
    }
}
