//! Writing captures: [`PcapWriter`] (all classic variants), [`PcapngWriter`]
//! and [`ErfWriter`].
//!
//! ```
//! use pcap_core::writer::{PcapOptions, PcapWriter};
//! use pcap_core::{Capture, LinkType};
//!
//! let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::RAW))?;
//! w.write_packet(1_700_000_000_123_456_000, 3, &[0x45, 0, 0])?;
//! let bytes = w.into_inner()?;
//! let cap = Capture::from_vec("mem.pcap", bytes).unwrap();
//! let p = cap.packets().next().unwrap().unwrap();
//! assert_eq!((p.ts_ns, p.data), (1_700_000_000_123_456_000, &[0x45, 0, 0][..]));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use crate::LinkType;
use crate::format::Endian;
use crate::format::pcapng::{
    self as ng, BYTE_ORDER_MAGIC, EPB, EPB_DATA, IDB, IDB_OPTIONS, MAX_BLOCK_LEN, MIN_BLOCK_LEN,
    OPT_IF_TSRESOL, OPT_VALUE, PB, PB_DATA, SHB, SHB_OPTIONS, SPB, SPB_DATA,
};

fn too_long(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} too long for the format"),
    )
}

/// Options of a classic pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapOptions {
    /// Link type of every packet.
    pub linktype: LinkType,
    /// Byte order to write.
    pub endian: Endian,
    /// Nanosecond timestamps (magic `a1b23c4d`) instead of microseconds.
    pub nanos: bool,
    /// Kuznetzov's modified format (24-byte record headers).
    pub modified: bool,
    /// Snapshot length stored in the header.
    pub snaplen: u32,
}

impl PcapOptions {
    /// Little-endian, microseconds, snaplen 262144.
    pub fn new(linktype: LinkType) -> PcapOptions {
        PcapOptions {
            linktype,
            endian: Endian::Little,
            nanos: false,
            modified: false,
            snaplen: 262_144,
        }
    }
}

/// Writes a classic pcap file.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    o: PcapOptions,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(mut w: W, o: PcapOptions) -> io::Result<Self> {
        use crate::format::pcap::*;
        let e = o.endian;
        let magic = if o.modified {
            MAGIC_MODIFIED
        } else if o.nanos {
            MAGIC_NSEC
        } else {
            MAGIC_USEC
        };
        let mut h = [0u8; FILE_HEADER_LEN];
        h[field::MAGIC].copy_from_slice(&e.put_u32(magic));
        h[field::VERSION_MAJOR].copy_from_slice(&e.put_u16(2));
        h[field::VERSION_MINOR].copy_from_slice(&e.put_u16(4));
        h[field::SNAPLEN].copy_from_slice(&e.put_u32(o.snaplen));
        h[field::LINKTYPE].copy_from_slice(&e.put_u32(o.linktype.0));
        w.write_all(&h)?;
        Ok(PcapWriter { w, o })
    }

    /// Appends a record. The timestamp is truncated to microseconds unless
    /// the file has nanosecond resolution; times before 1970 or after 2106
    /// cannot be represented and are rejected.
    pub fn write_packet(&mut self, ts_ns: i64, origlen: u32, data: &[u8]) -> io::Result<()> {
        use crate::format::pcap::*;
        let e = self.o.endian;
        if ts_ns < 0 || ts_ns / 1_000_000_000 > i64::from(u32::MAX) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "timestamp outside 1970..2106",
            ));
        }
        let sec = (ts_ns / 1_000_000_000) as u32;
        let ns = (ts_ns % 1_000_000_000) as u32;
        let frac = if self.o.nanos && !self.o.modified {
            ns
        } else {
            ns / 1000
        };
        let caplen = u32::try_from(data.len()).map_err(|_| too_long("packet"))?;
        let mut h = [0u8; MODIFIED_REC_HEADER_LEN];
        h[field::REC_TS_SEC].copy_from_slice(&e.put_u32(sec));
        h[field::REC_TS_FRAC].copy_from_slice(&e.put_u32(frac));
        h[field::REC_CAPLEN].copy_from_slice(&e.put_u32(caplen));
        h[field::REC_ORIGLEN].copy_from_slice(&e.put_u32(origlen));
        let hl = if self.o.modified {
            MODIFIED_REC_HEADER_LEN
        } else {
            REC_HEADER_LEN
        };
        self.w.write_all(&h[..hl])?;
        self.w.write_all(data)
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Timestamp resolution of a pcapng interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsResolution {
    /// 10^-n seconds (6 = microseconds, the pcapng default; 9 = nanoseconds).
    Decimal(u8),
    /// 2^-n seconds.
    Binary(u8),
}

impl TsResolution {
    fn option_byte(self) -> u8 {
        match self {
            TsResolution::Decimal(n) => n & 0x7f,
            TsResolution::Binary(n) => 0x80 | (n & 0x7f),
        }
    }

    /// Converts nanoseconds to units of this resolution (truncating).
    pub fn units(self, ts_ns: u64) -> u64 {
        match self {
            TsResolution::Decimal(n) if n <= 9 => ts_ns / 10u64.pow(9 - u32::from(n)),
            TsResolution::Decimal(n) => ts_ns.saturating_mul(10u64.pow(u32::from(n.min(19)) - 9)),
            TsResolution::Binary(n) => ((u128::from(ts_ns) << n.min(63)) / 1_000_000_000) as u64,
        }
    }
}

/// Writes a pcapng file: sections, interfaces and packet blocks.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    endian: Endian,
    ifaces: Vec<TsResolution>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes a Section Header Block in byte order `endian`.
    pub fn new(w: W, endian: Endian) -> io::Result<Self> {
        let mut s = PcapngWriter {
            w,
            endian,
            ifaces: Vec::new(),
        };
        s.new_section(endian)?;
        Ok(s)
    }

    /// Starts a new section (its interfaces start from zero again).
    pub fn new_section(&mut self, endian: Endian) -> io::Result<()> {
        self.endian = endian;
        self.ifaces.clear();
        let e = endian;
        let mut body = [0u8; SHB_OPTIONS];
        body[ng::field::SHB_BOM].copy_from_slice(&e.put_u32(BYTE_ORDER_MAGIC));
        body[ng::field::SHB_MAJOR].copy_from_slice(&e.put_u16(1));
        body[ng::field::SHB_MINOR].copy_from_slice(&e.put_u16(0));
        body[ng::field::SHB_SECTION_LEN].copy_from_slice(&e.put_u64(u64::MAX));
        self.write_block(SHB, &body)
    }

    /// Describes an interface; returns its id for [`write_packet`](Self::write_packet).
    pub fn add_interface(
        &mut self,
        linktype: LinkType,
        snaplen: u32,
        res: TsResolution,
    ) -> io::Result<u32> {
        let e = self.endian;
        let lt = u16::try_from(linktype.0).map_err(|_| too_long("link type"))?;
        let mut fixed = [0u8; IDB_OPTIONS];
        fixed[ng::field::IDB_LINKTYPE].copy_from_slice(&e.put_u16(lt));
        fixed[ng::field::IDB_SNAPLEN].copy_from_slice(&e.put_u32(snaplen));
        let mut body = Vec::with_capacity(IDB_OPTIONS + 12);
        body.extend_from_slice(&fixed);
        if res != TsResolution::Decimal(6) {
            let mut opt = [0u8; OPT_VALUE + 4];
            opt[ng::field::OPT_CODE].copy_from_slice(&e.put_u16(OPT_IF_TSRESOL));
            opt[ng::field::OPT_LEN].copy_from_slice(&e.put_u16(1));
            opt[OPT_VALUE] = res.option_byte();
            body.extend_from_slice(&opt);
            body.extend_from_slice(&[0; OPT_VALUE]); // opt_endofopt
        }
        self.write_block(IDB, &body)?;
        self.ifaces.push(res);
        Ok((self.ifaces.len() - 1) as u32)
    }

    fn units(&self, iface: u32, ts_ns: i64) -> io::Result<u64> {
        let res = self.ifaces.get(iface as usize).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("interface {iface} was not added"),
            )
        })?;
        let ts = u64::try_from(ts_ns)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp before 1970"))?;
        Ok(res.units(ts))
    }

    /// Writes an Enhanced Packet Block.
    pub fn write_packet(
        &mut self,
        iface: u32,
        ts_ns: i64,
        origlen: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let e = self.endian;
        let units = self.units(iface, ts_ns)?;
        let caplen = u32::try_from(data.len()).map_err(|_| too_long("packet"))?;
        let mut head = [0u8; EPB_DATA];
        head[ng::field::EPB_INTERFACE].copy_from_slice(&e.put_u32(iface));
        head[ng::field::EPB_TS_HIGH].copy_from_slice(&e.put_u32((units >> 32) as u32));
        head[ng::field::EPB_TS_LOW].copy_from_slice(&e.put_u32(units as u32));
        head[ng::field::EPB_CAPLEN].copy_from_slice(&e.put_u32(caplen));
        head[ng::field::EPB_ORIGLEN].copy_from_slice(&e.put_u32(origlen));
        self.write_block_parts(EPB, &head, data)
    }

    /// Writes a Simple Packet Block (interface 0, no timestamp). The block
    /// holds `data`; `origlen` may be larger (the packet was cut).
    pub fn write_simple_packet(&mut self, origlen: u32, data: &[u8]) -> io::Result<()> {
        let e = self.endian;
        let mut head = [0u8; SPB_DATA];
        head[ng::field::SPB_ORIGLEN].copy_from_slice(&e.put_u32(origlen));
        self.write_block_parts(SPB, &head, data)
    }

    /// Writes an obsolete Packet Block (as old Wireshark versions did).
    pub fn write_obsolete_packet(
        &mut self,
        iface: u16,
        drops: u16,
        ts_ns: i64,
        origlen: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let e = self.endian;
        let units = self.units(u32::from(iface), ts_ns)?;
        let caplen = u32::try_from(data.len()).map_err(|_| too_long("packet"))?;
        let mut head = [0u8; PB_DATA];
        head[ng::field::PB_INTERFACE].copy_from_slice(&e.put_u16(iface));
        head[ng::field::PB_DROPS].copy_from_slice(&e.put_u16(drops));
        head[ng::field::PB_TS_HIGH].copy_from_slice(&e.put_u32((units >> 32) as u32));
        head[ng::field::PB_TS_LOW].copy_from_slice(&e.put_u32(units as u32));
        head[ng::field::PB_CAPLEN].copy_from_slice(&e.put_u32(caplen));
        head[ng::field::PB_ORIGLEN].copy_from_slice(&e.put_u32(origlen));
        self.write_block_parts(PB, &head, data)
    }

    /// Writes any block (body padded to 4 bytes); readers skip types they
    /// do not know.
    pub fn write_block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        self.write_block_parts(block_type, &[], body)
    }

    fn write_block_parts(&mut self, block_type: u32, head: &[u8], data: &[u8]) -> io::Result<()> {
        let e = self.endian;
        let pad = (4 - data.len() % 4) % 4;
        let total = MIN_BLOCK_LEN + head.len() + data.len() + pad;
        let total = u32::try_from(total).map_err(|_| too_long("block"))?;
        if total > MAX_BLOCK_LEN {
            return Err(too_long("block"));
        }
        self.w.write_all(&e.put_u32(block_type))?;
        self.w.write_all(&e.put_u32(total))?;
        self.w.write_all(head)?;
        self.w.write_all(data)?;
        self.w.write_all(&[0u8; 3][..pad])?;
        self.w.write_all(&e.put_u32(total))
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Writes ERF records (Ethernet or raw IP), e.g. to build test captures.
#[derive(Debug)]
pub struct ErfWriter<W: Write> {
    w: W,
}

/// What an ERF record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErfKind {
    /// An Ethernet frame (`TYPE_ETH`, with the 2-byte pad).
    Ethernet,
    /// A raw IPv4 packet.
    Ipv4,
    /// A raw IPv6 packet.
    Ipv6,
}

impl<W: Write> ErfWriter<W> {
    /// ERF has no file header; records are written as they come.
    pub fn new(w: W) -> Self {
        ErfWriter { w }
    }

    /// Writes one record with `ext_headers` 8-byte extension headers (their
    /// contents zero apart from the chaining bit), loss counter `lctr`, and
    /// the record padded to a multiple of 8 bytes as DAG cards do.
    pub fn write_record(
        &mut self,
        kind: ErfKind,
        ts_ns: i64,
        lctr: u16,
        ext_headers: usize,
        data: &[u8],
    ) -> io::Result<()> {
        use crate::format::erf::*;
        let (t, pad) = match kind {
            ErfKind::Ethernet => (TYPE_ETH, ETH_PAD),
            ErfKind::Ipv4 => (TYPE_IPV4, 0),
            ErfKind::Ipv6 => (TYPE_IPV6, 0),
        };
        let unpadded = HEADER_LEN + ext_headers * EXT_HEADER_LEN + pad + data.len();
        let rlen = unpadded.div_ceil(8) * 8;
        let rlen16 = u16::try_from(rlen).map_err(|_| too_long("ERF record"))?;
        let wlen = u16::try_from(data.len()).map_err(|_| too_long("ERF record"))?;
        let ts_ns = u64::try_from(ts_ns)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp before 1970"))?;
        let sec = ts_ns / 1_000_000_000;
        let frac = ((ts_ns % 1_000_000_000) << 32).div_ceil(1_000_000_000);
        let mut h = [0u8; HEADER_LEN];
        h[field::TS].copy_from_slice(&((sec << 32) | frac).to_le_bytes());
        h[TYPE] = t | if ext_headers > 0 { MORE_EXT } else { 0 };
        h[field::RLEN].copy_from_slice(&rlen16.to_be_bytes());
        h[field::LCTR].copy_from_slice(&lctr.to_be_bytes());
        h[field::WLEN].copy_from_slice(&wlen.to_be_bytes());
        self.w.write_all(&h)?;
        for i in 0..ext_headers {
            let mut x = [0u8; EXT_HEADER_LEN];
            x[0] = 0x04 | if i + 1 < ext_headers { MORE_EXT } else { 0 }; // type 4: flow id
            self.w.write_all(&x)?;
        }
        self.w.write_all(&[0u8; ETH_PAD][..pad])?;
        self.w.write_all(data)?;
        self.w.write_all(&vec![0u8; rlen - unpadded])
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}
