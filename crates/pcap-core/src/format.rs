//! On-disk layouts of the supported capture formats, as named constants.
//!
//! Every offset is relative to the start of the structure it belongs to
//! (file header, record header, block, option), so the reader's code says
//! `pcap::REC_CAPLEN`, never `[8..12]`.

/// Byte order of a file or pcapng section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first (written by x86 and most ARM hosts).
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// Reads a `u16` at `off`. The caller guarantees `off + 2 <= b.len()`.
    #[inline(always)]
    pub(crate) fn u16(self, b: &[u8], off: usize) -> u16 {
        // One bounds check and one load; the swap is a conditional move.
        let v = u16::from_le_bytes(b[off..off + 2].try_into().expect("two bytes"));
        if self == Endian::Big {
            v.swap_bytes()
        } else {
            v
        }
    }

    /// Reads a `u32` at `off`. The caller guarantees `off + 4 <= b.len()`.
    #[inline(always)]
    pub(crate) fn u32(self, b: &[u8], off: usize) -> u32 {
        let v = u32::from_le_bytes(b[off..off + 4].try_into().expect("four bytes"));
        if self == Endian::Big {
            v.swap_bytes()
        } else {
            v
        }
    }

    /// Reads a `u64` at `off`. The caller guarantees `off + 8 <= b.len()`.
    #[inline(always)]
    pub(crate) fn u64(self, b: &[u8], off: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[off..off + 8]);
        match self {
            Endian::Little => u64::from_le_bytes(a),
            Endian::Big => u64::from_be_bytes(a),
        }
    }

    /// Writes a `u16` in this byte order.
    pub(crate) fn put_u16(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Writes a `u32` in this byte order.
    pub(crate) fn put_u32(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Writes a `u64` in this byte order.
    pub(crate) fn put_u64(self, v: u64) -> [u8; 8] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}

/// Classic libpcap files: a 24-byte file header, then records.
pub mod pcap {
    /// Magic for microsecond timestamps, as read in the file's byte order.
    pub const MAGIC_USEC: u32 = 0xa1b2_c3d4;
    /// Magic for nanosecond timestamps.
    pub const MAGIC_NSEC: u32 = 0xa1b2_3c4d;
    /// Magic of Alexey Kuznetzov's modified format (24-byte record headers).
    pub const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

    /// Where each field lies, as byte ranges (smoltcp's style): the
    /// writer fills `header[field::SNAPLEN]`, the offsets and lengths
    /// below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// File header: magic number.
        pub const MAGIC: Range<usize> = 0..4;
        /// File header: major version (2).
        pub const VERSION_MAJOR: Range<usize> = 4..6;
        /// File header: minor version (4).
        pub const VERSION_MINOR: Range<usize> = 6..8;
        /// File header: time zone correction (always 0 in practice).
        pub const THISZONE: Range<usize> = 8..12;
        /// File header: timestamp accuracy (always 0).
        pub const SIGFIGS: Range<usize> = 12..16;
        /// File header: snapshot length.
        pub const SNAPLEN: Range<usize> = 16..20;
        /// File header: link type in the low 16 bits, FCS information above.
        pub const LINKTYPE: Range<usize> = 20..24;

        /// Record header: seconds since the epoch.
        pub const REC_TS_SEC: Range<usize> = 0..4;
        /// Record header: microseconds or nanoseconds within the second.
        pub const REC_TS_FRAC: Range<usize> = 4..8;
        /// Record header: bytes captured (following the header).
        pub const REC_CAPLEN: Range<usize> = 8..12;
        /// Record header: bytes on the wire.
        pub const REC_ORIGLEN: Range<usize> = 12..16;
        /// Modified record header: interface index.
        pub const REC_IFINDEX: Range<usize> = 16..20;
        /// Modified record header: protocol.
        pub const REC_PROTOCOL: Range<usize> = 20..22;
        /// Modified record header: packet type.
        pub const REC_PKT_TYPE: Range<usize> = 22..23;
        /// Modified record header: padding.
        pub const REC_PAD: Range<usize> = 23..24;
    }

    /// File header: magic number.
    pub const MAGIC: usize = field::MAGIC.start;
    /// File header: major version (2).
    pub const VERSION_MAJOR: usize = field::VERSION_MAJOR.start;
    /// File header: minor version (4).
    pub const VERSION_MINOR: usize = field::VERSION_MINOR.start;
    /// File header: time zone correction (always 0 in practice).
    pub const THISZONE: usize = field::THISZONE.start;
    /// File header: timestamp accuracy (always 0).
    pub const SIGFIGS: usize = field::SIGFIGS.start;
    /// File header: snapshot length.
    pub const SNAPLEN: usize = field::SNAPLEN.start;
    /// File header: link type in the low 16 bits, FCS information above.
    pub const LINKTYPE: usize = field::LINKTYPE.start;
    /// Length of the file header.
    pub const FILE_HEADER_LEN: usize = field::LINKTYPE.end;
    /// Mask of the link type proper within the `LINKTYPE` field.
    pub const LINKTYPE_MASK: u32 = 0x0000_ffff;

    /// Record header: seconds since the epoch.
    pub const REC_TS_SEC: usize = field::REC_TS_SEC.start;
    /// Record header: microseconds or nanoseconds within the second.
    pub const REC_TS_FRAC: usize = field::REC_TS_FRAC.start;
    /// Record header: bytes captured (following the header).
    pub const REC_CAPLEN: usize = field::REC_CAPLEN.start;
    /// Record header: bytes on the wire.
    pub const REC_ORIGLEN: usize = field::REC_ORIGLEN.start;
    /// Length of a record header.
    pub const REC_HEADER_LEN: usize = field::REC_ORIGLEN.end;
    /// Length of a record header in the modified (Kuznetzov) format, which
    /// appends interface index (4), protocol (2), packet type (1), pad (1).
    pub const MODIFIED_REC_HEADER_LEN: usize = field::REC_PAD.end;

    /// Largest captured length accepted for a record when the snapshot
    /// length does not allow more (Wireshark uses the same limit).
    pub const MAX_CAPLEN: u32 = 262_144;
    /// Largest snapshot length honoured as a per-file record limit.
    pub const MAX_SNAPLEN_LIMIT: u32 = 16 * 1024 * 1024;
}

/// pcapng: a sequence of blocks, each `type, total length, body, total length`.
pub mod pcapng {
    /// Where each field lies, as byte ranges: block header fields from
    /// the block's start, the others from the start of the block body
    /// ([`BLOCK_BODY`]) or of an option. The offsets and lengths below are
    /// derived from these.
    pub mod field {
        use core::ops::Range;
        /// Block: type.
        pub const BLOCK_TYPE: Range<usize> = 0..4;
        /// Block: total length, including type, both lengths and padding.
        pub const BLOCK_LEN: Range<usize> = 4..8;
        /// Block: the copy of the total length that ends it (from its end).
        pub const BLOCK_TRAILER_LEN: usize = 4;

        /// SHB body: byte-order magic.
        pub const SHB_BOM: Range<usize> = 0..4;
        /// SHB body: major version.
        pub const SHB_MAJOR: Range<usize> = 4..6;
        /// SHB body: minor version.
        pub const SHB_MINOR: Range<usize> = 6..8;
        /// SHB body: section length or -1.
        pub const SHB_SECTION_LEN: Range<usize> = 8..16;

        /// IDB body: link type.
        pub const IDB_LINKTYPE: Range<usize> = 0..2;
        /// IDB body: reserved.
        pub const IDB_RESERVED: Range<usize> = 2..4;
        /// IDB body: snapshot length.
        pub const IDB_SNAPLEN: Range<usize> = 4..8;

        /// EPB body: interface id.
        pub const EPB_INTERFACE: Range<usize> = 0..4;
        /// EPB body: timestamp, high 32 bits.
        pub const EPB_TS_HIGH: Range<usize> = 4..8;
        /// EPB body: timestamp, low 32 bits.
        pub const EPB_TS_LOW: Range<usize> = 8..12;
        /// EPB body: captured length.
        pub const EPB_CAPLEN: Range<usize> = 12..16;
        /// EPB body: original length.
        pub const EPB_ORIGLEN: Range<usize> = 16..20;

        /// SPB body: original length.
        pub const SPB_ORIGLEN: Range<usize> = 0..4;

        /// PB body: interface id.
        pub const PB_INTERFACE: Range<usize> = 0..2;
        /// PB body: drops count.
        pub const PB_DROPS: Range<usize> = 2..4;
        /// PB body: timestamp, high 32 bits.
        pub const PB_TS_HIGH: Range<usize> = 4..8;
        /// PB body: timestamp, low 32 bits.
        pub const PB_TS_LOW: Range<usize> = 8..12;
        /// PB body: captured length.
        pub const PB_CAPLEN: Range<usize> = 12..16;
        /// PB body: original length.
        pub const PB_ORIGLEN: Range<usize> = 16..20;

        /// Option: code.
        pub const OPT_CODE: Range<usize> = 0..2;
        /// Option: length of the value (before padding to 4 bytes).
        pub const OPT_LEN: Range<usize> = 2..4;
    }

    /// Block: type.
    pub const BLOCK_TYPE: usize = field::BLOCK_TYPE.start;
    /// Block: total length, including type, both lengths and padding.
    pub const BLOCK_LEN: usize = field::BLOCK_LEN.start;
    /// Block: start of the body.
    pub const BLOCK_BODY: usize = field::BLOCK_LEN.end;
    /// Smallest possible block: type + two lengths.
    pub const MIN_BLOCK_LEN: usize = BLOCK_BODY + field::BLOCK_TRAILER_LEN;
    /// Largest block accepted (Wireshark's limit is of the same order).
    pub const MAX_BLOCK_LEN: u32 = 64 * 1024 * 1024;

    /// Section Header Block type (a palindrome, same in either byte order).
    pub const SHB: u32 = 0x0a0d_0d0a;
    /// Interface Description Block type.
    pub const IDB: u32 = 1;
    /// Obsolete Packet Block type.
    pub const PB: u32 = 2;
    /// Simple Packet Block type.
    pub const SPB: u32 = 3;
    /// Name Resolution Block type.
    pub const NRB: u32 = 4;
    /// Interface Statistics Block type.
    pub const ISB: u32 = 5;
    /// Enhanced Packet Block type.
    pub const EPB: u32 = 6;
    /// Decryption Secrets Block type.
    pub const DSB: u32 = 0x0a;
    /// systemd Journal Export Block type.
    pub const SYSTEMD_JOURNAL: u32 = 9;
    /// Custom block that may be copied.
    pub const CUSTOM: u32 = 0x0bad;
    /// Custom block that must not be copied.
    pub const CUSTOM_NOCOPY: u32 = 0x4000_0bad;

    /// SHB body: byte-order magic, `0x1a2b3c4d` in the section's order.
    pub const SHB_BOM: usize = field::SHB_BOM.start;
    /// SHB body: major version (1).
    pub const SHB_MAJOR: usize = field::SHB_MAJOR.start;
    /// SHB body: minor version (0).
    pub const SHB_MINOR: usize = field::SHB_MINOR.start;
    /// SHB body: section length or -1.
    pub const SHB_SECTION_LEN: usize = field::SHB_SECTION_LEN.start;
    /// SHB body: start of options.
    pub const SHB_OPTIONS: usize = field::SHB_SECTION_LEN.end;
    /// The byte-order magic.
    pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

    /// IDB body: link type (u16).
    pub const IDB_LINKTYPE: usize = field::IDB_LINKTYPE.start;
    /// IDB body: snapshot length.
    pub const IDB_SNAPLEN: usize = field::IDB_SNAPLEN.start;
    /// IDB body: start of options.
    pub const IDB_OPTIONS: usize = field::IDB_SNAPLEN.end;
    /// IDB option: timestamp resolution (1 byte).
    pub const OPT_IF_TSRESOL: u16 = 9;
    /// IDB option: timestamp offset in seconds (i64).
    pub const OPT_IF_TSOFFSET: u16 = 14;
    /// Option code ending an option list.
    pub const OPT_ENDOFOPT: u16 = 0;
    /// Option: start of the value.
    pub const OPT_VALUE: usize = field::OPT_LEN.end;

    /// EPB body: interface id.
    pub const EPB_INTERFACE: usize = field::EPB_INTERFACE.start;
    /// EPB body: timestamp, high 32 bits.
    pub const EPB_TS_HIGH: usize = field::EPB_TS_HIGH.start;
    /// EPB body: timestamp, low 32 bits.
    pub const EPB_TS_LOW: usize = field::EPB_TS_LOW.start;
    /// EPB body: captured length.
    pub const EPB_CAPLEN: usize = field::EPB_CAPLEN.start;
    /// EPB body: original length.
    pub const EPB_ORIGLEN: usize = field::EPB_ORIGLEN.start;
    /// EPB body: packet data.
    pub const EPB_DATA: usize = field::EPB_ORIGLEN.end;
    /// EPB option: packets lost between this packet and the previous one (u64).
    pub const OPT_EPB_DROPCOUNT: u16 = 4;

    /// SPB body: original length.
    pub const SPB_ORIGLEN: usize = field::SPB_ORIGLEN.start;
    /// SPB body: packet data.
    pub const SPB_DATA: usize = field::SPB_ORIGLEN.end;

    /// PB body: interface id (u16).
    pub const PB_INTERFACE: usize = field::PB_INTERFACE.start;
    /// PB body: drops count (u16).
    pub const PB_DROPS: usize = field::PB_DROPS.start;
    /// PB body: timestamp, high 32 bits.
    pub const PB_TS_HIGH: usize = field::PB_TS_HIGH.start;
    /// PB body: timestamp, low 32 bits.
    pub const PB_TS_LOW: usize = field::PB_TS_LOW.start;
    /// PB body: captured length.
    pub const PB_CAPLEN: usize = field::PB_CAPLEN.start;
    /// PB body: original length.
    pub const PB_ORIGLEN: usize = field::PB_ORIGLEN.start;
    /// PB body: packet data.
    pub const PB_DATA: usize = field::PB_ORIGLEN.end;
}

/// ERF, the Endace record format: 16-byte headers, no file header, fields
/// big-endian except the little-endian timestamp.
pub mod erf {
    /// Where each header field lies, as byte ranges; the offsets and the
    /// header length below are derived from these.
    pub mod field {
        use core::ops::Range;
        /// Timestamp: 32.32 fixed-point seconds, little-endian.
        pub const TS: Range<usize> = 0..8;
        /// Record type; bit 7 set means an extension header follows.
        pub const TYPE: Range<usize> = 8..9;
        /// Flags (interface id in the low bits).
        pub const FLAGS: Range<usize> = 9..10;
        /// Record length including this header (big-endian).
        pub const RLEN: Range<usize> = 10..12;
        /// Loss counter since the previous record, or colour for colour types.
        pub const LCTR: Range<usize> = 12..14;
        /// Wire length (big-endian).
        pub const WLEN: Range<usize> = 14..16;
    }

    /// Timestamp: 32.32 fixed-point seconds, little-endian.
    pub const TS: usize = field::TS.start;
    /// Record type; bit 7 set means an extension header follows.
    pub const TYPE: usize = field::TYPE.start;
    /// Flags (interface id in the low bits).
    pub const FLAGS: usize = field::FLAGS.start;
    /// Record length including this header (big-endian).
    pub const RLEN: usize = field::RLEN.start;
    /// Loss counter since the previous record, or colour for colour types.
    pub const LCTR: usize = field::LCTR.start;
    /// Wire length (big-endian).
    pub const WLEN: usize = field::WLEN.start;
    /// Length of the header.
    pub const HEADER_LEN: usize = field::WLEN.end;
    /// Length of one extension header.
    pub const EXT_HEADER_LEN: usize = 8;
    /// In the type byte and each extension header's first byte: another
    /// extension header follows.
    pub const MORE_EXT: u8 = 0x80;
    /// Ethernet records start with this much offset/pad before the frame.
    pub const ETH_PAD: usize = 2;

    /// Record type: HDLC over SONET/SDH.
    pub const TYPE_HDLC_POS: u8 = 1;
    /// Record type: Ethernet.
    pub const TYPE_ETH: u8 = 2;
    /// Record type: coloured Ethernet (`lctr` holds a colour).
    pub const TYPE_COLOR_ETH: u8 = 11;
    /// Record type: DSM-coloured Ethernet.
    pub const TYPE_DSM_COLOR_ETH: u8 = 16;
    /// Record type: colour-hash Ethernet.
    pub const TYPE_COLOR_HASH_ETH: u8 = 20;
    /// Record type: raw IPv4.
    pub const TYPE_IPV4: u8 = 22;
    /// Record type: raw IPv6.
    pub const TYPE_IPV6: u8 = 23;
    /// Record type: provenance metadata.
    pub const TYPE_META: u8 = 27;
    /// Record type: padding, skipped by readers.
    pub const TYPE_PAD: u8 = 48;
    /// Largest record type number accepted when probing for ERF.
    pub const TYPE_MAX: u8 = 48;
}
