//! Header layouts as named constants: every offset is relative to the
//! start of its own header, so decoding code reads `ipv4::SRC_ADDR`, never
//! `[12..16]`.

/// Ethernet II.
pub mod ethernet {
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Destination MAC address (6 bytes).
        pub const DST_MAC: Range<usize> = 0..6;
        /// Source MAC address (6 bytes).
        pub const SRC_MAC: Range<usize> = 6..12;
        /// EtherType (or 802.3 length when <= 1500).
        pub const ETHERTYPE: Range<usize> = 12..14;
    }

    /// Destination MAC address (6 bytes).
    pub const DST_MAC: usize = field::DST_MAC.start;
    /// Source MAC address (6 bytes).
    pub const SRC_MAC: usize = field::SRC_MAC.start;
    /// EtherType (or 802.3 length when <= 1500).
    pub const ETHERTYPE: usize = field::ETHERTYPE.start;
    /// Header length.
    pub const HEADER_LEN: usize = field::ETHERTYPE.end;
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
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Tag control information: PCP (3 bits), DEI (1), VLAN id (12).
        pub const TCI: Range<usize> = 0..2;
        /// EtherType of what follows the tag.
        pub const ETHERTYPE: Range<usize> = 2..4;
    }

    /// Tag control information: PCP (3 bits), DEI (1), VLAN id (12).
    pub const TCI: usize = field::TCI.start;
    /// EtherType of what follows the tag.
    pub const ETHERTYPE: usize = field::ETHERTYPE.start;
    /// Tag length.
    pub const HEADER_LEN: usize = field::ETHERTYPE.end;
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
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Packet type (to us, broadcast, outgoing, ...).
        pub const PKTTYPE: Range<usize> = 0..2;
        /// ARPHRD_ type of the interface.
        pub const ARPHRD: Range<usize> = 2..4;
        /// Link-layer address length.
        pub const ADDR_LEN: Range<usize> = 4..6;
        /// Link-layer address (8 bytes, zero padded).
        pub const ADDR: Range<usize> = 6..14;
        /// Protocol (an EtherType for Ethernet-like interfaces).
        pub const PROTOCOL: Range<usize> = 14..16;
    }

    /// Packet type (to us, broadcast, outgoing, ...).
    pub const PKTTYPE: usize = field::PKTTYPE.start;
    /// ARPHRD_ type of the interface.
    pub const ARPHRD: usize = field::ARPHRD.start;
    /// Link-layer address length.
    pub const ADDR_LEN: usize = field::ADDR_LEN.start;
    /// Link-layer address (8 bytes, zero padded).
    pub const ADDR: usize = field::ADDR.start;
    /// Protocol (an EtherType for Ethernet-like interfaces).
    pub const PROTOCOL: usize = field::PROTOCOL.start;
    /// Header length.
    pub const HEADER_LEN: usize = field::PROTOCOL.end;
}

/// Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2`).
pub mod sll2 {
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Protocol (EtherType).
        pub const PROTOCOL: Range<usize> = 0..2;
        /// Reserved (must be zero).
        pub const RESERVED: Range<usize> = 2..4;
        /// Interface index.
        pub const IFINDEX: Range<usize> = 4..8;
        /// ARPHRD_ type.
        pub const ARPHRD: Range<usize> = 8..10;
        /// Packet type.
        pub const PKTTYPE: Range<usize> = 10..11;
        /// Link-layer address length.
        pub const ADDR_LEN: Range<usize> = 11..12;
        /// Link-layer address (8 bytes).
        pub const ADDR: Range<usize> = 12..20;
    }

    /// Protocol (EtherType).
    pub const PROTOCOL: usize = field::PROTOCOL.start;
    /// Reserved (must be zero).
    pub const RESERVED: usize = field::RESERVED.start;
    /// Interface index.
    pub const IFINDEX: usize = field::IFINDEX.start;
    /// ARPHRD_ type.
    pub const ARPHRD: usize = field::ARPHRD.start;
    /// Packet type.
    pub const PKTTYPE: usize = field::PKTTYPE.start;
    /// Link-layer address length.
    pub const ADDR_LEN: usize = field::ADDR_LEN.start;
    /// Link-layer address (8 bytes).
    pub const ADDR: usize = field::ADDR.start;
    /// Header length.
    pub const HEADER_LEN: usize = field::ADDR.end;
}

/// BSD loopback (`NULL`: host byte order; `LOOP`: network byte order).
pub mod null {
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Address family (4 bytes).
        pub const FAMILY: Range<usize> = 0..4;
    }

    /// Address family (4 bytes).
    pub const FAMILY: usize = field::FAMILY.start;
    /// Header length.
    pub const HEADER_LEN: usize = field::FAMILY.end;
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
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Version (high nibble) and header length in 32-bit words (low nibble).
        pub const VERSION_IHL: Range<usize> = 0..1;
        /// DSCP/ECN.
        pub const TOS: Range<usize> = 1..2;
        /// Total length, header included.
        pub const TOTAL_LEN: Range<usize> = 2..4;
        /// Identification.
        pub const IDENT: Range<usize> = 4..6;
        /// Flags (3 bits) and fragment offset in 8-byte units (13 bits).
        pub const FLAGS_FRAG: Range<usize> = 6..8;
        /// Time to live.
        pub const TTL: Range<usize> = 8..9;
        /// Protocol of the payload.
        pub const PROTOCOL: Range<usize> = 9..10;
        /// Header checksum.
        pub const CHECKSUM: Range<usize> = 10..12;
        /// Source address (4 bytes).
        pub const SRC_ADDR: Range<usize> = 12..16;
        /// Destination address (4 bytes).
        pub const DST_ADDR: Range<usize> = 16..20;
    }

    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub const VERSION_IHL: usize = field::VERSION_IHL.start;
    /// DSCP/ECN.
    pub const TOS: usize = field::TOS.start;
    /// Total length, header included.
    pub const TOTAL_LEN: usize = field::TOTAL_LEN.start;
    /// Identification.
    pub const IDENT: usize = field::IDENT.start;
    /// Flags (3 bits) and fragment offset in 8-byte units (13 bits).
    pub const FLAGS_FRAG: usize = field::FLAGS_FRAG.start;
    /// Time to live.
    pub const TTL: usize = field::TTL.start;
    /// Protocol of the payload.
    pub const PROTOCOL: usize = field::PROTOCOL.start;
    /// Header checksum.
    pub const CHECKSUM: usize = field::CHECKSUM.start;
    /// Source address (4 bytes).
    pub const SRC_ADDR: usize = field::SRC_ADDR.start;
    /// Destination address (4 bytes).
    pub const DST_ADDR: usize = field::DST_ADDR.start;
    /// Header length without options.
    pub const MIN_HEADER_LEN: usize = field::DST_ADDR.end;
    /// "More fragments" flag within `FLAGS_FRAG`.
    pub const FLAG_MF: u16 = 0x2000;
    /// "Don't fragment" flag within `FLAGS_FRAG`.
    pub const FLAG_DF: u16 = 0x4000;
    /// Fragment offset mask within `FLAGS_FRAG`.
    pub const FRAG_OFFSET_MASK: u16 = 0x1fff;
}

/// IPv6 header and extension headers.
pub mod ipv6 {
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Version (4 bits), traffic class (8), flow label (20).
        pub const VERSION_CLASS_FLOW: Range<usize> = 0..4;
        /// Payload length (everything after this 40-byte header).
        pub const PAYLOAD_LEN: Range<usize> = 4..6;
        /// Next header.
        pub const NEXT_HEADER: Range<usize> = 6..7;
        /// Hop limit.
        pub const HOP_LIMIT: Range<usize> = 7..8;
        /// Source address (16 bytes).
        pub const SRC_ADDR: Range<usize> = 8..24;
        /// Destination address (16 bytes).
        pub const DST_ADDR: Range<usize> = 24..40;
    }

    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VERSION_CLASS_FLOW: usize = field::VERSION_CLASS_FLOW.start;
    /// Payload length (everything after this 40-byte header).
    pub const PAYLOAD_LEN: usize = field::PAYLOAD_LEN.start;
    /// Next header.
    pub const NEXT_HEADER: usize = field::NEXT_HEADER.start;
    /// Hop limit.
    pub const HOP_LIMIT: usize = field::HOP_LIMIT.start;
    /// Source address (16 bytes).
    pub const SRC_ADDR: usize = field::SRC_ADDR.start;
    /// Destination address (16 bytes).
    pub const DST_ADDR: usize = field::DST_ADDR.start;
    /// Header length.
    pub const HEADER_LEN: usize = field::DST_ADDR.end;
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
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Source port.
        pub const SRC_PORT: Range<usize> = 0..2;
        /// Destination port.
        pub const DST_PORT: Range<usize> = 2..4;
        /// Sequence number.
        pub const SEQ: Range<usize> = 4..8;
        /// Acknowledgement number.
        pub const ACK: Range<usize> = 8..12;
        /// Data offset (high nibble, 32-bit words).
        pub const DATA_OFFSET: Range<usize> = 12..13;
        /// Flags.
        pub const FLAGS: Range<usize> = 13..14;
        /// Window.
        pub const WINDOW: Range<usize> = 14..16;
        /// Checksum.
        pub const CHECKSUM: Range<usize> = 16..18;
        /// Urgent pointer.
        pub const URGENT: Range<usize> = 18..20;
    }

    /// Source port.
    pub const SRC_PORT: usize = field::SRC_PORT.start;
    /// Destination port.
    pub const DST_PORT: usize = field::DST_PORT.start;
    /// Sequence number.
    pub const SEQ: usize = field::SEQ.start;
    /// Acknowledgement number.
    pub const ACK: usize = field::ACK.start;
    /// Data offset (high nibble, 32-bit words).
    pub const DATA_OFFSET: usize = field::DATA_OFFSET.start;
    /// Flags.
    pub const FLAGS: usize = field::FLAGS.start;
    /// Window.
    pub const WINDOW: usize = field::WINDOW.start;
    /// Header length without options.
    pub const MIN_HEADER_LEN: usize = field::URGENT.end;
}

/// UDP header.
pub mod udp {
    /// Where each field lies, as byte ranges (smoltcp's style); the
    /// offsets and the header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Source port.
        pub const SRC_PORT: Range<usize> = 0..2;
        /// Destination port.
        pub const DST_PORT: Range<usize> = 2..4;
        /// Length, header included.
        pub const LENGTH: Range<usize> = 4..6;
        /// Checksum.
        pub const CHECKSUM: Range<usize> = 6..8;
    }

    /// Source port.
    pub const SRC_PORT: usize = field::SRC_PORT.start;
    /// Destination port.
    pub const DST_PORT: usize = field::DST_PORT.start;
    /// Length, header included.
    pub const LENGTH: usize = field::LENGTH.start;
    /// Checksum.
    pub const CHECKSUM: usize = field::CHECKSUM.start;
    /// Header length.
    pub const HEADER_LEN: usize = field::CHECKSUM.end;
}
