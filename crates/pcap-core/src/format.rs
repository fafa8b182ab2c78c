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
        let a = [b[off], b[off + 1]];
        match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        }
    }

    /// Reads a `u32` at `off`. The caller guarantees `off + 4 <= b.len()`.
    #[inline(always)]
    pub(crate) fn u32(self, b: &[u8], off: usize) -> u32 {
        let a = [b[off], b[off + 1], b[off + 2], b[off + 3]];
        match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
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

    /// File header: magic number.
    pub const MAGIC: usize = 0;
    /// File header: major version (2).
    pub const VERSION_MAJOR: usize = 4;
    /// File header: minor version (4).
    pub const VERSION_MINOR: usize = 6;
    /// File header: time zone correction (always 0 in practice).
    pub const THISZONE: usize = 8;
    /// File header: timestamp accuracy (always 0).
    pub const SIGFIGS: usize = 12;
    /// File header: snapshot length.
    pub const SNAPLEN: usize = 16;
    /// File header: link type in the low 16 bits, FCS information above.
    pub const LINKTYPE: usize = 20;
    /// Length of the file header.
    pub const FILE_HEADER_LEN: usize = 24;
    /// Mask of the link type proper within the `LINKTYPE` field.
    pub const LINKTYPE_MASK: u32 = 0x0000_ffff;

    /// Record header: seconds since the epoch.
    pub const REC_TS_SEC: usize = 0;
    /// Record header: microseconds or nanoseconds within the second.
    pub const REC_TS_FRAC: usize = 4;
    /// Record header: bytes captured (following the header).
    pub const REC_CAPLEN: usize = 8;
    /// Record header: bytes on the wire.
    pub const REC_ORIGLEN: usize = 12;
    /// Length of a record header.
    pub const REC_HEADER_LEN: usize = 16;
    /// Length of a record header in the modified (Kuznetzov) format, which
    /// appends interface index (4), protocol (2), packet type (1), pad (1).
    pub const MODIFIED_REC_HEADER_LEN: usize = 24;

    /// Largest captured length accepted for a record when the snapshot
    /// length does not allow more (Wireshark uses the same limit).
    pub const MAX_CAPLEN: u32 = 262_144;
    /// Largest snapshot length honoured as a per-file record limit.
    pub const MAX_SNAPLEN_LIMIT: u32 = 16 * 1024 * 1024;
}

/// pcapng: a sequence of blocks, each `type, total length, body, total length`.
pub mod pcapng {
    /// Block: type.
    pub const BLOCK_TYPE: usize = 0;
    /// Block: total length, including type, both lengths and padding.
    pub const BLOCK_LEN: usize = 4;
    /// Block: start of the body.
    pub const BLOCK_BODY: usize = 8;
    /// Smallest possible block: type + two lengths.
    pub const MIN_BLOCK_LEN: usize = 12;
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
    pub const SHB_BOM: usize = 0;
    /// SHB body: major version (1).
    pub const SHB_MAJOR: usize = 4;
    /// SHB body: minor version (0).
    pub const SHB_MINOR: usize = 6;
    /// SHB body: section length or -1.
    pub const SHB_SECTION_LEN: usize = 8;
    /// SHB body: start of options.
    pub const SHB_OPTIONS: usize = 16;
    /// The byte-order magic.
    pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

    /// IDB body: link type (u16).
    pub const IDB_LINKTYPE: usize = 0;
    /// IDB body: snapshot length.
    pub const IDB_SNAPLEN: usize = 4;
    /// IDB body: start of options.
    pub const IDB_OPTIONS: usize = 8;
    /// IDB option: timestamp resolution (1 byte).
    pub const OPT_IF_TSRESOL: u16 = 9;
    /// IDB option: timestamp offset in seconds (i64).
    pub const OPT_IF_TSOFFSET: u16 = 14;
    /// Option code ending an option list.
    pub const OPT_ENDOFOPT: u16 = 0;

    /// EPB body: interface id.
    pub const EPB_INTERFACE: usize = 0;
    /// EPB body: timestamp, high 32 bits.
    pub const EPB_TS_HIGH: usize = 4;
    /// EPB body: timestamp, low 32 bits.
    pub const EPB_TS_LOW: usize = 8;
    /// EPB body: captured length.
    pub const EPB_CAPLEN: usize = 12;
    /// EPB body: original length.
    pub const EPB_ORIGLEN: usize = 16;
    /// EPB body: packet data.
    pub const EPB_DATA: usize = 20;
    /// EPB option: packets lost between this packet and the previous one (u64).
    pub const OPT_EPB_DROPCOUNT: u16 = 4;

    /// SPB body: original length.
    pub const SPB_ORIGLEN: usize = 0;
    /// SPB body: packet data.
    pub const SPB_DATA: usize = 4;

    /// PB body: interface id (u16).
    pub const PB_INTERFACE: usize = 0;
    /// PB body: drops count (u16).
    pub const PB_DROPS: usize = 2;
    /// PB body: timestamp, high 32 bits.
    pub const PB_TS_HIGH: usize = 4;
    /// PB body: timestamp, low 32 bits.
    pub const PB_TS_LOW: usize = 8;
    /// PB body: captured length.
    pub const PB_CAPLEN: usize = 12;
    /// PB body: original length.
    pub const PB_ORIGLEN: usize = 16;
    /// PB body: packet data.
    pub const PB_DATA: usize = 20;
}

/// ERF, the Endace record format: 16-byte headers, no file header, fields
/// big-endian except the little-endian timestamp.
pub mod erf {
    /// Timestamp: 32.32 fixed-point seconds, little-endian.
    pub const TS: usize = 0;
    /// Record type; bit 7 set means an extension header follows.
    pub const TYPE: usize = 8;
    /// Flags (interface id in the low bits).
    pub const FLAGS: usize = 9;
    /// Record length including this header (big-endian).
    pub const RLEN: usize = 10;
    /// Loss counter since the previous record, or colour for colour types.
    pub const LCTR: usize = 12;
    /// Wire length (big-endian).
    pub const WLEN: usize = 14;
    /// Length of the header.
    pub const HEADER_LEN: usize = 16;
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
