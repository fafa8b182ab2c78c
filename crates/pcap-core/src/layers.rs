//! Header layouts as named constants: every offset is relative to the
//! start of its own header, so decoding code reads `ipv4::SRC_ADDR`, never
//! `[12..16]`.

/// Ethernet II.
pub mod ethernet {
    /// Destination MAC address (6 bytes).
    pub const DST_MAC: usize = 0;
    /// Source MAC address (6 bytes).
    pub const SRC_MAC: usize = 6;
    /// EtherType (or 802.3 length when <= 1500).
    pub const ETHERTYPE: usize = 12;
    /// Header length.
    pub const HEADER_LEN: usize = 14;
}

/// EtherType values (also used by Linux SLL/SLL2 protocol fields).
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// 802.1Q VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// MPLS unicast.
    pub const MPLS_UNICAST: u16 = 0x8847;
    /// MPLS multicast.
    pub const MPLS_MULTICAST: u16 = 0x8848;
    /// PPPoE session stage.
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// 802.1ad service tag (QinQ outer tag).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ outer tag.
    pub const QINQ_OLD: u16 = 0x9100;
}

/// 802.1Q / 802.1ad tag (following the EtherType that announced it).
pub mod vlan {
    /// Tag control information: PCP (3 bits), DEI (1), VLAN id (12).
    pub const TCI: usize = 0;
    /// EtherType of what follows the tag.
    pub const ETHERTYPE: usize = 2;
    /// Tag length.
    pub const HEADER_LEN: usize = 4;
    /// Mask of the VLAN id within the TCI.
    pub const VID_MASK: u16 = 0x0fff;
}

/// MPLS label stack entry.
pub mod mpls {
    /// Length of one label stack entry.
    pub const ENTRY_LEN: usize = 4;
    /// Byte holding the bottom-of-stack bit.
    pub const BOS_BYTE: usize = 2;
    /// Bottom-of-stack bit within [`BOS_BYTE`].
    pub const BOS_BIT: u8 = 0x01;
}

/// PPPoE session header followed by the PPP protocol field.
pub mod pppoe {
    /// PPPoE header length.
    pub const HEADER_LEN: usize = 6;
    /// PPP protocol field, right after the PPPoE header.
    pub const PPP_PROTOCOL: usize = 6;
    /// PPPoE header plus PPP protocol.
    pub const TOTAL_LEN: usize = 8;
    /// PPP protocol: IPv4.
    pub const PPP_IPV4: u16 = 0x0021;
    /// PPP protocol: IPv6.
    pub const PPP_IPV6: u16 = 0x0057;
}

/// Linux cooked capture v1 (`LINKTYPE_LINUX_SLL`).
pub mod sll {
    /// Packet type (to us, broadcast, outgoing, ...).
    pub const PKTTYPE: usize = 0;
    /// ARPHRD_ type of the interface.
    pub const ARPHRD: usize = 2;
    /// Link-layer address length.
    pub const ADDR_LEN: usize = 4;
    /// Link-layer address (8 bytes, zero padded).
    pub const ADDR: usize = 6;
    /// Protocol (an EtherType for Ethernet-like interfaces).
    pub const PROTOCOL: usize = 14;
    /// Header length.
    pub const HEADER_LEN: usize = 16;
}

/// Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2`).
pub mod sll2 {
    /// Protocol (EtherType).
    pub const PROTOCOL: usize = 0;
    /// Reserved (must be zero).
    pub const RESERVED: usize = 2;
    /// Interface index.
    pub const IFINDEX: usize = 4;
    /// ARPHRD_ type.
    pub const ARPHRD: usize = 8;
    /// Packet type.
    pub const PKTTYPE: usize = 10;
    /// Link-layer address length.
    pub const ADDR_LEN: usize = 11;
    /// Link-layer address (8 bytes).
    pub const ADDR: usize = 12;
    /// Header length.
    pub const HEADER_LEN: usize = 20;
}

/// BSD loopback (`NULL`: host byte order; `LOOP`: network byte order).
pub mod null {
    /// Address family (4 bytes).
    pub const FAMILY: usize = 0;
    /// Header length.
    pub const HEADER_LEN: usize = 4;
    /// AF_INET everywhere.
    pub const AF_INET: u32 = 2;
    /// AF_INET6 on NetBSD/OpenBSD/BSD/OS.
    pub const AF_INET6_BSD: u32 = 24;
    /// AF_INET6 on FreeBSD/DragonFly.
    pub const AF_INET6_FREEBSD: u32 = 28;
    /// AF_INET6 on Darwin.
    pub const AF_INET6_DARWIN: u32 = 30;
    /// AF_INET6 on Linux.
    pub const AF_INET6_LINUX: u32 = 10;
}

/// IPv4 header.
pub mod ipv4 {
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub const VERSION_IHL: usize = 0;
    /// DSCP/ECN.
    pub const TOS: usize = 1;
    /// Total length, header included.
    pub const TOTAL_LEN: usize = 2;
    /// Identification.
    pub const IDENT: usize = 4;
    /// Flags (3 bits) and fragment offset in 8-byte units (13 bits).
    pub const FLAGS_FRAG: usize = 6;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Protocol of the payload.
    pub const PROTOCOL: usize = 9;
    /// Header checksum.
    pub const CHECKSUM: usize = 10;
    /// Source address (4 bytes).
    pub const SRC_ADDR: usize = 12;
    /// Destination address (4 bytes).
    pub const DST_ADDR: usize = 16;
    /// Header length without options.
    pub const MIN_HEADER_LEN: usize = 20;
    /// "More fragments" flag within `FLAGS_FRAG`.
    pub const FLAG_MF: u16 = 0x2000;
    /// "Don't fragment" flag within `FLAGS_FRAG`.
    pub const FLAG_DF: u16 = 0x4000;
    /// Fragment offset mask within `FLAGS_FRAG`.
    pub const FRAG_OFFSET_MASK: u16 = 0x1fff;
}

/// IPv6 header and extension headers.
pub mod ipv6 {
    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VERSION_CLASS_FLOW: usize = 0;
    /// Payload length (everything after this 40-byte header).
    pub const PAYLOAD_LEN: usize = 4;
    /// Next header.
    pub const NEXT_HEADER: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address (16 bytes).
    pub const SRC_ADDR: usize = 8;
    /// Destination address (16 bytes).
    pub const DST_ADDR: usize = 24;
    /// Header length.
    pub const HEADER_LEN: usize = 40;
    /// Extension header: next header.
    pub const EXT_NEXT_HEADER: usize = 0;
    /// Extension header: length in 8-byte units not counting the first 8
    /// (in 4-byte units minus 2 for AH).
    pub const EXT_LEN: usize = 1;
    /// Fragment header: offset (13 bits, in 8-byte units) and M flag.
    pub const FRAG_OFFSET_FLAGS: usize = 2;
    /// Fragment header length.
    pub const FRAG_HEADER_LEN: usize = 8;
    /// Fragment offset mask (the value is already in bytes).
    pub const FRAG_OFFSET_MASK: u16 = 0xfff8;
    /// "More fragments" flag.
    pub const FRAG_MORE: u16 = 0x0001;
}

/// IP protocol numbers (IPv4 protocol / IPv6 next header).
pub mod ip_proto {
    /// IPv6 hop-by-hop options.
    pub const HOPOPT: u8 = 0;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 routing header.
    pub const IPV6_ROUTE: u8 = 43;
    /// IPv6 fragment header.
    pub const IPV6_FRAG: u8 = 44;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ESP.
    pub const ESP: u8 = 50;
    /// Authentication header.
    pub const AH: u8 = 51;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv6 "no next header".
    pub const IPV6_NONXT: u8 = 59;
    /// IPv6 destination options.
    pub const IPV6_OPTS: u8 = 60;
    /// Mobility header.
    pub const MOBILITY: u8 = 135;
    /// Host Identity Protocol.
    pub const HIP: u8 = 139;
    /// Shim6.
    pub const SHIM6: u8 = 140;
}

/// TCP header.
pub mod tcp {
    /// Source port.
    pub const SRC_PORT: usize = 0;
    /// Destination port.
    pub const DST_PORT: usize = 2;
    /// Sequence number.
    pub const SEQ: usize = 4;
    /// Acknowledgement number.
    pub const ACK: usize = 8;
    /// Data offset (high nibble, 32-bit words).
    pub const DATA_OFFSET: usize = 12;
    /// Flags.
    pub const FLAGS: usize = 13;
    /// Window.
    pub const WINDOW: usize = 14;
    /// Header length without options.
    pub const MIN_HEADER_LEN: usize = 20;
}

/// UDP header.
pub mod udp {
    /// Source port.
    pub const SRC_PORT: usize = 0;
    /// Destination port.
    pub const DST_PORT: usize = 2;
    /// Length, header included.
    pub const LENGTH: usize = 4;
    /// Checksum.
    pub const CHECKSUM: usize = 6;
    /// Header length.
    pub const HEADER_LEN: usize = 8;
}
