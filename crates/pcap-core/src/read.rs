//! The record walk: turning a capture's bytes into [`Packet`]s.
//!
//! One iterator, [`Packets`], serves every format. It is the hot path: it
//! allocates nothing per packet, and it touches memory ahead of use (see
//! [`PREFETCH_DISTANCE`]) so that the walk is bound by memory bandwidth
//! rather than by the latency of one cache miss per record.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::format::{self, Endian};
use crate::{Error, LinkType, Packet};

/// How far ahead of the current record the walk asks the CPU to fetch
/// memory. A packet-by-packet loop over a mapping otherwise stalls on a
/// cache miss for every record header (the next header's address depends
/// on the current record's length, which defeats the hardware prefetcher
/// at page boundaries). 4 KiB ahead hides that latency on the machines we
/// measured (see `docs/BENCHMARKS.md`).
pub const PREFETCH_DISTANCE: usize = 4096;
const CACHE_LINE: usize = 64;

/// Bytes from each record's start that a headers-only walk fetches ahead:
/// the record header, the link, IP and TCP headers and the first payload
/// bytes of a VLAN-tagged IPv6 packet fit in 128.
pub const SPARSE_BYTES: usize = 128;

/// An ERF record header's timestamp (seconds in the high 32 bits, a binary
/// fraction in the low 32) in nanoseconds, rounded to the nearest.
#[inline(always)]
fn erf_ts_ns(ts: u64) -> i64 {
    let frac = ((ts & 0xffff_ffff) * 1_000_000_000 + 0x8000_0000) >> 32;
    ((ts >> 32) as i64) * 1_000_000_000 + frac as i64
}

/// An Enhanced or obsolete Packet Block's timestamp, in interface units,
/// from its high and low halves at `high` and `low` in `body`.
#[inline(always)]
fn block_units(endian: Endian, body: &[u8], high: usize, low: usize) -> u64 {
    (u64::from(endian.u32(body, high)) << 32) | u64::from(endian.u32(body, low))
}

/// Prefetches the cache lines holding bytes `from..to` of `data` (`to`
/// clamped to its end).
#[inline(always)]
fn prefetch_span(data: &[u8], from: usize, to: usize) {
    let last = to.min(data.len());
    let mut line = from & !(CACHE_LINE - 1);
    while line < last {
        prefetch(data, line);
        line += CACHE_LINE;
    }
}

/// Prefetches the first [`SPARSE_BYTES`] of the record at `at` (two or
/// three lines) without a loop: the headers-only steps' next record.
#[inline(always)]
fn prefetch_record_start(data: &[u8], at: usize) {
    const { assert!(SPARSE_BYTES == 2 * CACHE_LINE) };
    prefetch(data, at);
    prefetch(data, at + CACHE_LINE);
    prefetch(data, at + SPARSE_BYTES - 1);
}

/// Asks the CPU to bring the cache line at `p` closer. Never faults.
#[inline(always)]
fn prefetch(data: &[u8], i: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let p = data.as_ptr().wrapping_add(i);
        // SAFETY: PREFETCHT0 is an SSE instruction, part of the x86_64
        // baseline; it is a hint that never faults and reads no value, so
        // any address is fine (a line past the end of the data included).
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // Portable fallback: an actual load whose value is unused. The
        // out-of-order core issues it early, which is what we want.
        if let Some(b) = data.get(i) {
            std::hint::black_box(*b);
        }
    }
}

/// Per-format walking state. Cloneable so that the parallel driver can
/// start a chunk with an assumed state and compare states at boundaries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Walker {
    Pcap(PcapLayout),
    Pcapng(NgWalk),
    Erf,
}

/// What walking the records of a classic pcap file needs from its file
/// header: byte order, timestamp unit, record header length, link type
/// and the largest captured length a record may claim.
///
/// [`PcapRecords`] and [`Packets`] both read records through
/// one function (`PcapLayout::record`), so a record one accepts the other accepts too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapLayout {
    pub(crate) endian: Endian,
    pub(crate) nanos: bool,
    pub(crate) modified: bool,
    pub(crate) linktype: LinkType,
    pub(crate) max_caplen: u32,
}

/// Why [`PcapLayout::record`] did not accept the record at an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordFault {
    /// Fewer bytes left than a record header.
    Header(usize),
    /// The header claims more captured bytes than the file allows.
    TooLong(u32),
    /// The record's data runs past the end of the file.
    Data(usize),
}

/// A record [`PcapLayout::record`] accepted: its header and where its data
/// lies in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRecord<'a> {
    pub(crate) header: &'a [u8],
    pub(crate) caplen: u32,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl PcapLayout {
    /// The layout of a file with this header: the largest record is
    /// [`MAX_CAPLEN`](format::pcap::MAX_CAPLEN) bytes, or the snapshot
    /// length when that is larger and below
    /// [`MAX_SNAPLEN_LIMIT`](format::pcap::MAX_SNAPLEN_LIMIT).
    pub(crate) fn new(
        endian: Endian,
        nanos: bool,
        modified: bool,
        linktype: LinkType,
        snaplen: u32,
    ) -> PcapLayout {
        use format::pcap::{MAX_CAPLEN, MAX_SNAPLEN_LIMIT};
        let max_caplen = if snaplen > MAX_CAPLEN && snaplen <= MAX_SNAPLEN_LIMIT {
            snaplen
        } else {
            MAX_CAPLEN
        };
        PcapLayout {
            endian,
            nanos,
            modified,
            linktype,
            max_caplen,
        }
    }

    /// Length of a record header: 16 bytes, 24 in the modified format.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        if self.modified {
            format::pcap::MODIFIED_REC_HEADER_LEN
        } else {
            format::pcap::REC_HEADER_LEN
        }
    }

    /// The file's link type.
    pub fn linktype(&self) -> LinkType {
        self.linktype
    }

    /// The largest captured length a record of this file may claim.
    pub fn max_caplen(&self) -> u32 {
        self.max_caplen
    }

    /// Reads the record header at `pos` (`pos < data.len()`) and checks
    /// that the record is whole and not longer than the file allows. Only
    /// the captured length is read; the other fields wait for
    /// [`PcapLayout::packet`].
    #[inline(always)]
    pub(crate) fn record<'a>(
        &self,
        data: &'a [u8],
        pos: usize,
    ) -> Result<RawRecord<'a>, RecordFault> {
        let hl = self.header_len();
        let rest = data.len() - pos;
        if rest < hl {
            return Err(RecordFault::Header(hl));
        }
        let header = &data[pos..pos + hl];
        let caplen = self.endian.u32(header, format::pcap::REC_CAPLEN);
        if caplen > self.max_caplen {
            return Err(RecordFault::TooLong(caplen));
        }
        let need = hl + caplen as usize;
        if rest < need {
            return Err(RecordFault::Data(need));
        }
        Ok(RawRecord {
            header,
            caplen,
            start: pos + hl,
            end: pos + need,
        })
    }

    /// The packet of a record [`PcapLayout::record`] accepted.
    #[inline(always)]
    pub(crate) fn packet<'a>(&self, data: &'a [u8], r: &RawRecord<'a>, frame: u64) -> Packet<'a> {
        use format::pcap::{REC_ORIGLEN, REC_TS_FRAC, REC_TS_SEC};
        let h = r.header;
        let sec = self.endian.u32(h, REC_TS_SEC);
        let frac = self.endian.u32(h, REC_TS_FRAC);
        let frac_ns = if self.nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        Packet {
            frame,
            ts_ns: i64::from(sec) * 1_000_000_000 + frac_ns,
            caplen: r.caplen,
            origlen: self.endian.u32(h, REC_ORIGLEN),
            linktype: self.linktype,
            data: &data[r.start..r.end],
        }
    }
}

/// The error for a record [`PcapLayout::record`] rejected at `pos`, with
/// `frame` frames before it.
#[cold]
#[inline(never)]
fn record_error(
    path: &Path,
    data_len: usize,
    pos: usize,
    frame: u64,
    max_caplen: u32,
    fault: RecordFault,
) -> Error {
    let (what, needed) = match fault {
        RecordFault::Header(n) => ("record header", n),
        RecordFault::Data(n) => ("record", n),
        RecordFault::TooLong(caplen) => {
            return Error::Corrupt {
                path: path.to_path_buf(),
                offset: pos as u64,
                frame: frame + 1,
                reason: format!(
                    "record claims {caplen} captured bytes, more than the limit of {max_caplen} for this file"
                ),
            };
        }
    };
    Error::Truncated {
        path: path.to_path_buf(),
        offset: pos as u64,
        frame: frame + 1,
        what,
        needed: needed as u64,
        available: (data_len - pos) as u64,
    }
}

/// Reads the last byte of a record whose data crosses into another page,
/// so that a file that shrank under the walk faults now (see `guard`),
/// before the record is handed out, rather than when the caller reads the
/// tail. Records within one page need nothing: their page was touched by
/// the header read.
#[inline(always)]
fn touch_tail(data: &[u8]) {
    const PAGE_MIN: usize = 4096;
    if let Some(last) = data.last()
        && (data.as_ptr() as usize ^ (last as *const u8 as usize)) >= PAGE_MIN
    {
        std::hint::black_box(*last);
    }
}

/// The error for a record that reaches into the part of a mapping that was
/// lost when the file shrank.
#[cold]
#[inline(never)]
fn changed(path: &Path, valid: &AtomicUsize, frame: u64) -> Error {
    Error::Changed {
        path: path.to_path_buf(),
        offset: valid.load(Ordering::Acquire) as u64,
        frame,
    }
}

/// The error a walk that reached the end of the data reports when the
/// gzip stream it came from was damaged (`None` when it was not, or when
/// the walk stopped at a chunk boundary before the end).
fn gzip_error(
    path: &Path,
    data_len: usize,
    pos: usize,
    frame: u64,
    deferred: Option<&(u64, String)>,
) -> Option<Error> {
    let (offset, reason) = deferred?;
    if pos < data_len {
        return None;
    }
    Some(Error::Gzip {
        path: path.to_path_buf(),
        offset: *offset,
        frame: frame + 1,
        reason: reason.clone(),
    })
}

/// A cursor over the records of a classic pcap file, created by
/// [`Capture::pcap_records`](crate::Capture::pcap_records): the record
/// walk of [`Packets`] without its prefetching and without building a
/// [`Packet`] for every record.
///
/// For callers that bring the bytes into cache themselves and look at most
/// records only by their position (xff-scan searches the file ahead of the
/// walk and decodes only the records a hit falls into). Each
/// [`PcapRecord`] says where its data lies in the file
/// ([`PcapRecord::data_offset`]); [`PcapRecord::packet`] reads the rest of
/// its header. The validity rules, the errors (file, offset, frame) and
/// the report of a damaged gzip stream after the last record are those of
/// [`Packets`]: yields `Err` once, then ends.
#[derive(Debug, Clone)]
pub struct PcapRecords<'a> {
    path: &'a Path,
    data: &'a [u8],
    pos: usize,
    frame: u64,
    layout: PcapLayout,
    deferred: Option<&'a (u64, String)>,
    done: bool,
    valid: &'static AtomicUsize,
}

/// One record of a classic pcap file, yielded by [`PcapRecords`].
#[derive(Debug, Clone, Copy)]
pub struct PcapRecord<'a> {
    file: &'a [u8],
    raw: RawRecord<'a>,
    frame: u64,
    layout: PcapLayout,
}

impl<'a> PcapRecords<'a> {
    pub(crate) fn new(
        path: &'a Path,
        data: &'a [u8],
        pos: usize,
        layout: PcapLayout,
        deferred: Option<&'a (u64, String)>,
    ) -> PcapRecords<'a> {
        PcapRecords {
            path,
            data,
            pos: pos.min(data.len()),
            frame: 0,
            layout,
            deferred,
            done: false,
            valid: crate::guard::unguarded(),
        }
    }

    /// Checks every record against the mapping's valid length (see
    /// `guard`; the caller reads the data, so a record straddling a cut
    /// may carry zeros past it, as the last record before the error).
    pub(crate) fn watch(mut self, valid: &'static AtomicUsize) -> Self {
        self.valid = valid;
        self
    }

    /// Byte offset of the next record (after the last one yielded).
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Records yielded so far.
    pub fn frames(&self) -> u64 {
        self.frame
    }

    /// The file's record layout.
    pub fn layout(&self) -> PcapLayout {
        self.layout
    }
}

impl<'a> Iterator for PcapRecords<'a> {
    type Item = Result<PcapRecord<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let data = self.data;
        let pos = self.pos;
        if pos >= data.len() {
            self.done = true;
            return gzip_error(self.path, data.len(), pos, self.frame, self.deferred).map(Err);
        }
        match self.layout.record(data, pos) {
            Ok(raw) => {
                self.pos = raw.end;
                self.frame += 1;
                if raw.end > self.valid.load(Ordering::Acquire) {
                    self.done = true;
                    return Some(Err(changed(self.path, self.valid, self.frame)));
                }
                Some(Ok(PcapRecord {
                    file: data,
                    raw,
                    frame: self.frame,
                    layout: self.layout,
                }))
            }
            Err(_) if self.valid.load(Ordering::Acquire) < data.len() => {
                self.done = true;
                Some(Err(changed(self.path, self.valid, self.frame + 1)))
            }
            Err(fault) => {
                self.done = true;
                Some(Err(record_error(
                    self.path,
                    data.len(),
                    pos,
                    self.frame,
                    self.layout.max_caplen,
                    fault,
                )))
            }
        }
    }
}

impl<'a> PcapRecord<'a> {
    /// 1-based frame number.
    #[inline(always)]
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Byte offset in the file of the record's captured data (right after
    /// its header).
    #[inline(always)]
    pub fn data_offset(&self) -> usize {
        self.raw.start
    }

    /// The captured bytes.
    #[inline(always)]
    pub fn data(&self) -> &'a [u8] {
        &self.file[self.raw.start..self.raw.end]
    }

    /// The record as a [`Packet`] (reads the timestamp and original length
    /// from its header).
    #[inline]
    pub fn packet(&self) -> Packet<'a> {
        self.layout.packet(self.file, &self.raw, self.frame)
    }
}

/// State of a pcapng section: its byte order and its interfaces.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct NgWalk {
    /// `None` before the first Section Header Block.
    pub(crate) endian: Option<Endian>,
    pub(crate) ifaces: Vec<Iface>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Iface {
    pub(crate) linktype: LinkType,
    /// Snapshot length (0 = none); bounds Simple Packet Blocks.
    pub(crate) snaplen: u32,
    pub(crate) res: TsRes,
    pub(crate) offset_ns: i64,
}

/// Timestamp resolution of a pcapng interface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TsRes {
    /// Units of 10^-n seconds, as `units * mul / div` nanoseconds.
    Dec { mul: u64, div: u64 },
    /// Units of 2^-n seconds.
    Bin(u8),
}

impl TsRes {
    pub(crate) fn from_option(v: u8) -> Option<TsRes> {
        if v & 0x80 != 0 {
            let n = v & 0x7f;
            (n < 64).then_some(TsRes::Bin(n))
        } else if v <= 9 {
            Some(TsRes::Dec {
                mul: 10u64.pow(9 - u32::from(v)),
                div: 1,
            })
        } else if v <= 19 {
            Some(TsRes::Dec {
                mul: 1,
                div: 10u64.pow(u32::from(v) - 9),
            })
        } else {
            None
        }
    }

    #[inline(always)]
    pub(crate) fn to_ns(self, units: u64) -> i64 {
        match self {
            TsRes::Dec { mul, div: 1 } => units.wrapping_mul(mul) as i64,
            TsRes::Dec { mul, div } => {
                (u128::from(units) * u128::from(mul) / u128::from(div)) as i64
            }
            TsRes::Bin(n) => ((u128::from(units) * 1_000_000_000) >> n) as i64,
        }
    }
}

impl Iface {
    #[inline(always)]
    fn ts_ns(&self, units: u64) -> i64 {
        self.res.to_ns(units).wrapping_add(self.offset_ns)
    }
}

/// Iterator over the packets of a [`Capture`](crate::Capture), in file
/// order, created by [`Capture::packets`](crate::Capture::packets).
///
/// Yields `Err` once when the file turns out truncated or corrupt, then
/// ends; everything yielded before is intact. No allocation per packet.
#[derive(Debug)]
pub struct Packets<'a> {
    path: &'a Path,
    data: &'a [u8],
    pos: usize,
    end: usize,
    frame: u64,
    prefetched: usize,
    /// Headers-only walk: prefetch just the next record's first lines
    /// instead of every line ahead (see [`Packets::sparse`]).
    sparse: bool,
    /// Headers-only walk over small records: also prefetch this many
    /// bytes past the next record (0: no; see [`Packets::ahead`]).
    ahead: usize,
    done: bool,
    pub(crate) walker: Walker,
    loss: u64,
    deferred: Option<&'a (u64, String)>,
    valid: &'static AtomicUsize,
    guarded: bool,
    /// Headers-only pcapng walk: the last Enhanced Packet Block taken by
    /// [`Packets::next_sparse_epb`] (offset, total length), whose trailing
    /// length copy is checked one step later, once the line holding it
    /// has arrived with the next block's header.
    trailer_due: Option<(usize, usize)>,
}

enum Step<'a> {
    Packet(Packet<'a>),
    End,
    Err(Error),
}

impl<'a> Packets<'a> {
    /// Walks records that start at `pos` up to (not including) the first
    /// record starting at or after `end`. Frames count from `frame_base + 1`.
    pub(crate) fn new(
        path: &'a Path,
        data: &'a [u8],
        pos: usize,
        end: usize,
        walker: Walker,
        deferred: Option<&'a (u64, String)>,
    ) -> Packets<'a> {
        let pos = pos.min(data.len());
        Packets {
            path,
            data,
            pos,
            end: end.min(data.len()),
            frame: 0,
            prefetched: pos & !(CACHE_LINE - 1),
            sparse: false,
            ahead: 0,
            done: false,
            walker,
            loss: 0,
            deferred,
            valid: crate::guard::unguarded(),
            guarded: false,
            trailer_due: None,
        }
    }

    /// Walks `cap`'s records from `pos` to `end` (see [`Packets::new`]),
    /// stopping with [`Error::Changed`] if the file shrinks under the walk.
    pub(crate) fn over(
        cap: &'a crate::Capture,
        pos: usize,
        end: usize,
        walker: Walker,
    ) -> Packets<'a> {
        let mut p = Packets::new(cap.path(), cap.bytes(), pos, end, walker, cap.deferred());
        p.valid = cap.valid();
        p.guarded = !std::ptr::eq(p.valid, crate::guard::unguarded());
        p
    }

    /// No prefetching (a stream's buffer is in cache already), frames
    /// counted from `frame + 1`.
    pub(crate) fn in_buffer(mut self, frame: u64, loss: u64) -> Self {
        self.prefetched = usize::MAX;
        self.frame = frame;
        self.loss = loss;
        self
    }

    /// Switches to a headers-only walk for callers that read only the
    /// first bytes of each packet: instead of fetching every cache line
    /// ahead (which makes the walk stream the whole file), it fetches the
    /// next record's first [`SPARSE_BYTES`] as soon as their address
    /// is known. Alone such a walk waits on one cache miss per record;
    /// [`parallel::split_opts`](crate::parallel::split_opts) interleaves
    /// several so that their misses overlap.
    pub(crate) fn sparse(mut self) -> Self {
        self.sparse = true;
        self
    }

    /// For a headers-only walk over small records, which lie a line or
    /// two apart and so use nearly every line of the file: also prefetch
    /// the line `bytes` past each next record. The next record's own
    /// prefetch is issued one step ahead, too late to hide a miss to
    /// memory; this one streams the file ahead of the walk like the
    /// in-order walk's [`PREFETCH_DISTANCE`].
    pub(crate) fn ahead(mut self, bytes: usize) -> Self {
        self.ahead = bytes;
        self
    }

    /// The far prefetch of [`Packets::ahead`] for a walk now at `pos`.
    #[inline(always)]
    fn prefetch_ahead_of(&self, pos: usize) {
        if self.ahead != 0 {
            prefetch(self.data, pos.wrapping_add(self.ahead));
        }
    }

    /// Byte offset of the next record (after the last one yielded).
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// Frame numbers used so far: the packets yielded, plus the pcapng
    /// blocks Wireshark numbers as frames without them holding a packet
    /// (custom blocks, systemd journal entries).
    pub fn frames(&self) -> u64 {
        self.frame
    }

    /// Packets the capture device reported lost so far: the sum of the loss
    /// counters of the ERF records read (colour record types excluded, their
    /// counter field holds a colour), plus the pcapng `epb_dropcount` options
    /// and the drop counts of obsolete Packet Blocks. Zero for classic pcap,
    /// which does not record losses.
    pub fn lost(&self) -> u64 {
        self.loss
    }

    #[inline(always)]
    fn prefetch_ahead(&mut self) {
        let target = self
            .pos
            .saturating_add(PREFETCH_DISTANCE)
            .min(self.data.len());
        while self.prefetched < target {
            prefetch(self.data, self.prefetched);
            self.prefetched += CACHE_LINE;
        }
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, what: &'static str, needed: usize) -> Error {
        Error::Truncated {
            path: self.path.to_path_buf(),
            offset: self.pos as u64,
            frame: self.frame + 1,
            what,
            needed: needed as u64,
            available: (self.data.len() - self.pos) as u64,
        }
    }

    #[cold]
    #[inline(never)]
    fn corrupt(&self, reason: String) -> Error {
        Error::Corrupt {
            path: self.path.to_path_buf(),
            offset: self.pos as u64,
            frame: self.frame + 1,
            reason,
        }
    }

    #[inline(always)]
    fn next_pcap(&mut self, w: PcapLayout) -> Step<'a> {
        let pos = self.pos;
        if pos >= self.end {
            return Step::End;
        }
        match w.record(self.data, pos) {
            Ok(r) => {
                self.pos = r.end;
                self.frame += 1;
                Step::Packet(w.packet(self.data, &r, self.frame))
            }
            Err(fault) => Step::Err(record_error(
                self.path,
                self.data.len(),
                pos,
                self.frame,
                w.max_caplen,
                fault,
            )),
        }
    }

    #[inline(always)]
    fn next_pcapng(&mut self) -> Step<'a> {
        let mut ng = match &mut self.walker {
            Walker::Pcapng(ng) => std::mem::take(ng),
            _ => return Step::End,
        };
        let step = self.next_pcapng_in(&mut ng);
        self.walker = Walker::Pcapng(ng);
        step
    }

    #[inline(always)]
    fn next_pcapng_in(&mut self, ng: &mut NgWalk) -> Step<'a> {
        use format::pcapng::*;
        let data = self.data;
        loop {
            let pos = self.pos;
            if pos >= self.end {
                return Step::End;
            }
            let rest = data.len() - pos;
            if rest < MIN_BLOCK_LEN {
                return Step::Err(self.truncated("block header", MIN_BLOCK_LEN));
            }
            let raw_type = Endian::Little.u32(data, pos + BLOCK_TYPE);
            if raw_type == SHB {
                let bom = &data[pos + BLOCK_BODY..][field::SHB_BOM];
                let endian = if Endian::Little.u32(bom, 0) == BYTE_ORDER_MAGIC {
                    Endian::Little
                } else if Endian::Big.u32(bom, 0) == BYTE_ORDER_MAGIC {
                    Endian::Big
                } else {
                    return Step::Err(self.corrupt(format!(
                        "section header block has byte-order magic {bom:02x?}, expected 1a2b3c4d in either order"
                    )));
                };
                ng.endian = Some(endian);
            }
            let Some(endian) = ng.endian else {
                return Step::Err(
                    self.corrupt("pcapng data before the first section header block".into()),
                );
            };
            let btype = endian.u32(data, pos + BLOCK_TYPE);
            let blen = endian.u32(data, pos + BLOCK_LEN);
            if blen > MAX_BLOCK_LEN || (blen as usize) < MIN_BLOCK_LEN || !blen.is_multiple_of(4) {
                return Step::Err(self.corrupt(format!(
                    "block of type 0x{btype:08x} has total length {blen}: not a multiple of 4 in 12..={MAX_BLOCK_LEN}"
                )));
            }
            let blen = blen as usize;
            if blen > rest {
                return Step::Err(self.truncated("block", blen));
            }
            let trailer = endian.u32(data, pos + blen - field::BLOCK_TRAILER_LEN);
            if trailer != blen as u32 {
                return Step::Err(self.corrupt(format!(
                    "block of type 0x{btype:08x} has total length {blen} but its trailing copy says {trailer}"
                )));
            }
            let body = &data[pos + BLOCK_BODY..pos + blen - field::BLOCK_TRAILER_LEN];
            match btype {
                EPB => {
                    if body.len() < EPB_DATA {
                        return Step::Err(
                            self.corrupt(format!("enhanced packet block too short ({blen} bytes)")),
                        );
                    }
                    let ifid = endian.u32(body, EPB_INTERFACE);
                    let caplen = endian.u32(body, EPB_CAPLEN);
                    if caplen as usize > body.len() - EPB_DATA {
                        return Step::Err(self.corrupt(format!(
                            "enhanced packet block claims {caplen} captured bytes but has room for {}",
                            body.len() - EPB_DATA
                        )));
                    }
                    let Some(iface) = ng.ifaces.get(ifid as usize).copied() else {
                        return Step::Err(self.corrupt(format!(
                            "packet on interface {ifid}, but the section describes only {} interface(s)",
                            ng.ifaces.len()
                        )));
                    };
                    let units = block_units(endian, body, EPB_TS_HIGH, EPB_TS_LOW);
                    let origlen = endian.u32(body, EPB_ORIGLEN);
                    let opts = EPB_DATA + (caplen as usize).next_multiple_of(4);
                    if body.len() > opts {
                        for (code, val) in Options::new(&body[opts..], endian) {
                            if code == OPT_EPB_DROPCOUNT && val.len() == 8 {
                                self.loss = self.loss.saturating_add(endian.u64(val, 0));
                            }
                        }
                    }
                    self.pos = pos + blen;
                    self.frame += 1;
                    return Step::Packet(Packet {
                        frame: self.frame,
                        ts_ns: iface.ts_ns(units),
                        caplen,
                        origlen,
                        linktype: iface.linktype,
                        data: &body[EPB_DATA..EPB_DATA + caplen as usize],
                    });
                }
                SPB => {
                    if body.len() < SPB_DATA {
                        return Step::Err(
                            self.corrupt(format!("simple packet block too short ({blen} bytes)")),
                        );
                    }
                    let Some(iface) = ng.ifaces.first().copied() else {
                        return Step::Err(self.corrupt(
                            "simple packet block, but the section describes no interface".into(),
                        ));
                    };
                    // An SPB has no captured length: the packet is its
                    // original length cut to the snapshot length, and it
                    // must fit in the block (the rest is padding).
                    let origlen = endian.u32(body, SPB_ORIGLEN);
                    let snap = if iface.snaplen == 0 {
                        u32::MAX
                    } else {
                        iface.snaplen
                    };
                    let caplen = (origlen.min(snap) as usize).min(body.len() - SPB_DATA);
                    self.pos = pos + blen;
                    self.frame += 1;
                    return Step::Packet(Packet {
                        frame: self.frame,
                        ts_ns: 0,
                        caplen: caplen as u32,
                        origlen,
                        linktype: iface.linktype,
                        data: &body[SPB_DATA..SPB_DATA + caplen],
                    });
                }
                PB => {
                    if body.len() < PB_DATA {
                        return Step::Err(
                            self.corrupt(format!("packet block too short ({blen} bytes)")),
                        );
                    }
                    let ifid = endian.u16(body, PB_INTERFACE);
                    let caplen = endian.u32(body, PB_CAPLEN);
                    if caplen as usize > body.len() - PB_DATA {
                        return Step::Err(self.corrupt(format!(
                            "packet block claims {caplen} captured bytes but has room for {}",
                            body.len() - PB_DATA
                        )));
                    }
                    let Some(iface) = ng.ifaces.get(usize::from(ifid)).copied() else {
                        return Step::Err(self.corrupt(format!(
                            "packet on interface {ifid}, but the section describes only {} interface(s)",
                            ng.ifaces.len()
                        )));
                    };
                    let drops = endian.u16(body, PB_DROPS);
                    if drops != u16::MAX {
                        self.loss = self.loss.saturating_add(u64::from(drops));
                    }
                    let units = block_units(endian, body, PB_TS_HIGH, PB_TS_LOW);
                    let origlen = endian.u32(body, PB_ORIGLEN);
                    self.pos = pos + blen;
                    self.frame += 1;
                    return Step::Packet(Packet {
                        frame: self.frame,
                        ts_ns: iface.ts_ns(units),
                        caplen,
                        origlen,
                        linktype: iface.linktype,
                        data: &body[PB_DATA..PB_DATA + caplen as usize],
                    });
                }
                SHB => {
                    if body.len() < SHB_OPTIONS {
                        return Step::Err(
                            self.corrupt(format!("section header block too short ({blen} bytes)")),
                        );
                    }
                    let major = endian.u16(body, SHB_MAJOR);
                    if major != 1 {
                        return Step::Err(self.corrupt(format!(
                            "section header block has version {major}.{}, only 1.x is defined",
                            endian.u16(body, SHB_MINOR)
                        )));
                    }
                    ng.ifaces.clear();
                }
                IDB => {
                    if body.len() < IDB_OPTIONS {
                        return Step::Err(self.corrupt(format!(
                            "interface description block too short ({blen} bytes)"
                        )));
                    }
                    let linktype = LinkType(u32::from(endian.u16(body, IDB_LINKTYPE)));
                    let snaplen = endian.u32(body, IDB_SNAPLEN);
                    let mut iface = Iface {
                        linktype,
                        snaplen,
                        res: TsRes::Dec { mul: 1000, div: 1 },
                        offset_ns: 0,
                    };
                    let mut bad_res = None;
                    for (code, val) in Options::new(&body[IDB_OPTIONS..], endian) {
                        match code {
                            OPT_IF_TSRESOL if val.len() == 1 => match TsRes::from_option(val[0]) {
                                Some(r) => iface.res = r,
                                None => bad_res = Some(val[0]),
                            },
                            OPT_IF_TSOFFSET if val.len() == 8 => {
                                iface.offset_ns =
                                    (endian.u64(val, 0) as i64).wrapping_mul(1_000_000_000);
                            }
                            _ => {}
                        }
                    }
                    if let Some(v) = bad_res {
                        return Step::Err(self.corrupt(format!(
                            "interface {} has timestamp resolution option 0x{v:02x}, finer than 10^-19 s or 2^-63 s",
                            ng.ifaces.len()
                        )));
                    }
                    ng.ifaces.push(iface);
                }
                // Wireshark gives custom blocks and systemd journal
                // entries a frame number; keep the numbering identical.
                CUSTOM | CUSTOM_NOCOPY | SYSTEMD_JOURNAL => self.frame += 1,
                _ => {}
            }
            self.pos = pos + blen;
        }
    }

    #[inline(always)]
    fn next_erf(&mut self) -> Step<'a> {
        use format::erf::*;
        let data = self.data;
        loop {
            let pos = self.pos;
            if pos >= self.end {
                return Step::End;
            }
            let rest = data.len() - pos;
            if rest < HEADER_LEN {
                return Step::Err(self.truncated("record header", HEADER_LEN));
            }
            let h = &data[pos..pos + HEADER_LEN];
            let rtype = h[TYPE];
            let rlen = usize::from(Endian::Big.u16(h, RLEN));
            let kind = rtype & 0x7f;
            if rlen < HEADER_LEN || (rlen == HEADER_LEN && kind != TYPE_PAD) {
                return Step::Err(self.corrupt(format!(
                    "ERF record length {rlen} leaves no room for data after the {HEADER_LEN}-byte header"
                )));
            }
            if rlen > rest {
                return Step::Err(self.truncated("record", rlen));
            }
            let rec = &data[pos..pos + rlen];
            if kind == TYPE_PAD {
                self.pos = pos + rlen;
                continue;
            }
            let mut hdr = HEADER_LEN;
            let mut more = rtype & MORE_EXT != 0;
            while more {
                if hdr + EXT_HEADER_LEN > rlen {
                    return Step::Err(self.corrupt(format!(
                        "ERF extension headers run past the end of the {rlen}-byte record"
                    )));
                }
                more = rec[hdr] & MORE_EXT != 0;
                hdr += EXT_HEADER_LEN;
            }
            let lctr = Endian::Big.u16(h, LCTR);
            let wlen = u32::from(Endian::Big.u16(h, WLEN));
            let (linktype, start) = match kind {
                TYPE_ETH | TYPE_COLOR_ETH | TYPE_DSM_COLOR_ETH | TYPE_COLOR_HASH_ETH => {
                    if hdr + ETH_PAD > rlen {
                        return Step::Err(self.corrupt(format!(
                            "ERF Ethernet record of {rlen} bytes has no room for its 2-byte pad"
                        )));
                    }
                    (LinkType::ETHERNET, hdr + ETH_PAD)
                }
                TYPE_IPV4 | TYPE_IPV6 => (LinkType::RAW, hdr),
                _ => (LinkType::ERF, 0),
            };
            let (caplen, origlen) = if linktype == LinkType::ERF {
                (rlen, rlen as u32)
            } else {
                ((rlen - start).min(wlen as usize), wlen)
            };
            if !matches!(
                kind,
                TYPE_COLOR_ETH | TYPE_DSM_COLOR_ETH | TYPE_COLOR_HASH_ETH | 10 | 15 | 17 | 19
            ) {
                self.loss = self.loss.saturating_add(u64::from(lctr));
            }
            self.pos = pos + rlen;
            self.frame += 1;
            return Step::Packet(Packet {
                frame: self.frame,
                ts_ns: erf_ts_ns(Endian::Little.u64(h, TS)),
                caplen: caplen as u32,
                origlen,
                linktype,
                data: &rec[start..start + caplen],
            });
        }
    }
}

impl<'a> Packets<'a> {
    /// The headers-only walk's step over a classic pcap record, a pcapng
    /// Enhanced Packet Block without options or an ERF Ethernet record
    /// without extension headers, that is whole and inside the
    /// guarded part of the mapping: the lanes' hot path, small enough to
    /// inline into their loop. `None` (nothing yielded) for everything else,
    /// which [`Packets::next_general`] handles.
    #[inline(always)]
    pub(crate) fn next_sparse(&mut self) -> Option<Packet<'a>> {
        if !self.sparse {
            return None;
        }
        match &self.walker {
            &Walker::Pcap(w) if w.endian == Endian::Little => self.lane_step_pcap::<false>(&w),
            &Walker::Pcap(w) => self.lane_step_pcap::<true>(&w),
            Walker::Pcapng(NgWalk {
                endian: Some(Endian::Big),
                ..
            }) => self.lane_step_epb::<true>(),
            Walker::Pcapng(_) => self.lane_step_epb::<false>(),
            Walker::Erf => self.lane_step_erf(),
        }
    }

    /// The lanes' step over a pcapng Enhanced Packet Block (see
    /// [`Packets::next_sparse_epb`]) in a headers-only walk of a pcapng
    /// file, chosen once per walk.
    #[inline(always)]
    pub(crate) fn lane_step_epb<const BIG: bool>(&mut self) -> Option<Packet<'a>> {
        let p = self.next_sparse_epb::<BIG>()?;
        // The next block's first bytes and, right before them, this
        // block's trailing length copy (checked at the next step; nearly
        // always on the next block's first line): four hints, no loop.
        prefetch(
            self.data,
            self.pos - format::pcapng::field::BLOCK_TRAILER_LEN,
        );
        prefetch_record_start(self.data, self.pos);
        self.prefetch_ahead_of(self.pos);
        Some(p)
    }

    /// The lanes' step over a plain ERF Ethernet record (see
    /// [`Packets::next_sparse_erf`]) in a headers-only walk of an ERF
    /// file, chosen once per walk.
    #[inline(always)]
    pub(crate) fn lane_step_erf(&mut self) -> Option<Packet<'a>> {
        let p = self.next_sparse_erf()?;
        prefetch_record_start(self.data, self.pos);
        self.prefetch_ahead_of(self.pos);
        Some(p)
    }

    /// The lanes' step over a classic pcap record, for a walk that is
    /// headers-only ([`Packets::sparse`]) over a file of layout `w` and
    /// byte order `BIG` (the caller checked it): the record read and
    /// checked by [`PcapLayout::record`] (the rule every pcap walk
    /// shares), with the byte order a constant the inlined reads fold, and
    /// the next record's first [`SPARSE_BYTES`] prefetched. `None` for
    /// anything else (the end of the chunk, a record that is not whole or
    /// not in the guarded part of the mapping), which
    /// [`Packets::next_general`] then handles.
    #[inline(always)]
    pub(crate) fn lane_step_pcap<const BIG: bool>(&mut self, w: &PcapLayout) -> Option<Packet<'a>> {
        let w = PcapLayout {
            endian: if BIG { Endian::Big } else { Endian::Little },
            ..*w
        };
        let pos = self.pos;
        if self.done || pos >= self.end {
            return None;
        }
        let r = w.record(self.data, pos).ok()?;
        if r.end > self.valid.load(Ordering::Acquire) {
            return None;
        }
        prefetch_record_start(self.data, r.end);
        self.prefetch_ahead_of(r.end);
        self.pos = r.end;
        self.frame += 1;
        Some(w.packet(self.data, &r, self.frame))
    }

    /// The ERF half of [`Packets::next_sparse`]: plain Ethernet records
    /// without extension headers (what a DAG card writes by default); the
    /// general walk takes every other record type.
    #[inline(always)]
    fn next_sparse_erf(&mut self) -> Option<Packet<'a>> {
        use format::erf::*;
        let (data, pos) = (self.data, self.pos);
        if self.done || pos >= self.end {
            return None;
        }
        // The whole record header through one bounds check.
        let h: &[u8; HEADER_LEN] = data.get(pos..pos + HEADER_LEN)?.try_into().ok()?;
        if h[TYPE] != TYPE_ETH {
            return None;
        }
        let rlen = usize::from(Endian::Big.u16(h, RLEN));
        let start = HEADER_LEN + ETH_PAD;
        if rlen < start
            || rlen > data.len() - pos
            || pos + rlen > self.valid.load(Ordering::Acquire)
        {
            return None;
        }
        let wlen = u32::from(Endian::Big.u16(h, WLEN));
        let caplen = (rlen - start).min(wlen as usize);
        self.loss = self
            .loss
            .saturating_add(u64::from(Endian::Big.u16(h, LCTR)));
        self.pos = pos + rlen;
        self.frame += 1;
        Some(Packet {
            frame: self.frame,
            ts_ns: erf_ts_ns(Endian::Little.u64(h, TS)),
            caplen: caplen as u32,
            origlen: wlen,
            linktype: LinkType::ETHERNET,
            data: &data[pos + start..pos + start + caplen],
        })
    }

    /// The pcapng half of [`Packets::next_sparse`]. A block's trailing copy
    /// of its length lies at its end, a cache line the headers-only walk
    /// would otherwise wait for at every block; it is prefetched with the
    /// next block's header and checked at the next step
    /// ([`Packets::check_trailer_due`]). A bad copy then ends the walk
    /// with the same error, at the same block and frame, as the in-order
    /// walk gives, after that block's packet was yielded (the packet has
    /// the length its header claims, within the block).
    #[inline(always)]
    fn next_sparse_epb<const BIG: bool>(&mut self) -> Option<Packet<'a>> {
        use format::pcapng::*;
        const FIXED: usize = BLOCK_BODY + EPB_DATA;
        // The byte order is the caller's constant: no choice per field.
        let endian = if BIG { Endian::Big } else { Endian::Little };
        let Walker::Pcapng(ng) = &self.walker else {
            return None;
        };
        let (data, pos) = (self.data, self.pos);
        if self.done || ng.endian != Some(endian) || pos >= self.end {
            return None;
        }
        // The block header and the fixed EPB fields: one bounds check.
        let h: &[u8; FIXED] = data.get(pos..pos + FIXED)?.try_into().ok()?;
        if endian.u32(h, BLOCK_TYPE) != EPB {
            return None;
        }
        let blen = endian.u32(h, BLOCK_LEN);
        let caplen = endian.u32(h, BLOCK_BODY + EPB_CAPLEN);
        // Exactly the packet and its padding, no options (drop counts are
        // the general walk's); this also makes the length a multiple of 4
        // and large enough.
        if blen > MAX_BLOCK_LEN
            || u64::from(blen)
                != (FIXED + field::BLOCK_TRAILER_LEN) as u64 + u64::from(caplen).next_multiple_of(4)
        {
            return None;
        }
        let (blen, caplen) = (blen as usize, caplen as usize);
        if blen > data.len() - pos || pos + blen > self.valid.load(Ordering::Acquire) {
            return None;
        }
        // The two fields the packet needs, not the interface copied.
        let iface = ng
            .ifaces
            .get(endian.u32(h, BLOCK_BODY + EPB_INTERFACE) as usize)?;
        let (linktype, ts_ns) = (
            iface.linktype,
            iface.ts_ns(block_units(
                endian,
                h,
                BLOCK_BODY + EPB_TS_HIGH,
                BLOCK_BODY + EPB_TS_LOW,
            )),
        );
        if !self.trailer_ok_as(endian) {
            return None;
        }
        self.trailer_due = Some((pos, blen));
        self.pos = pos + blen;
        self.frame += 1;
        Some(Packet {
            frame: self.frame,
            ts_ns,
            caplen: caplen as u32,
            origlen: endian.u32(h, BLOCK_BODY + EPB_ORIGLEN),
            linktype,
            data: &data[pos + FIXED..pos + FIXED + caplen],
        })
    }

    /// Checks the trailer [`Packets::next_sparse_epb`] left due. When it
    /// does not match, the walk goes back to that block (one frame back)
    /// so that the general walk reads it again and reports it, and `false`
    /// is returned.
    #[inline(always)]
    fn check_trailer_due(&mut self) -> bool {
        match &self.walker {
            Walker::Pcapng(NgWalk {
                endian: Some(endian),
                ..
            }) => {
                let endian = *endian;
                self.trailer_ok_as(endian)
            }
            _ => {
                self.trailer_due = None;
                true
            }
        }
    }

    /// [`Packets::check_trailer_due`] in a section of byte order `endian`
    /// (the headers-only step's constant: no look at the walker).
    #[inline(always)]
    fn trailer_ok_as(&mut self, endian: Endian) -> bool {
        let Some((at, blen)) = self.trailer_due.take() else {
            return true;
        };
        let tail = at + blen - format::pcapng::field::BLOCK_TRAILER_LEN;
        if endian.u32(self.data, tail) as usize == blen {
            return true;
        }
        self.pos = at;
        self.frame -= 1;
        false
    }

    /// Every other step: pcapng, ERF, the prefetching walk, the end of the
    /// walk and damaged records.
    #[inline(never)]
    pub(crate) fn next_general(&mut self) -> Option<Result<Packet<'a>, Error>> {
        self.check_trailer_due();
        if self.done {
            return None;
        }
        if !self.sparse {
            self.prefetch_ahead();
        }
        let step = match &self.walker {
            Walker::Pcap(w) => {
                let w = *w;
                self.next_pcap(w)
            }
            Walker::Pcapng(_) => self.next_pcapng(),
            Walker::Erf => self.next_erf(),
        };
        match step {
            Step::Packet(p) => {
                // Not in a headers-only walk: there the tail's line is not
                // meant to be loaded at all (measured: +37 % user time on
                // xff-scan's lanes), so a record straddling a cut may be
                // handed out with zeros past the cut, as the last packet
                // before the error.
                if self.guarded && !self.sparse {
                    touch_tail(p.data);
                }
                if self.pos > self.valid.load(Ordering::Acquire) {
                    self.done = true;
                    return Some(Err(changed(self.path, self.valid, self.frame)));
                }
                if self.sparse {
                    // The next record's address is known now: start its
                    // misses while the caller works on this packet.
                    prefetch_span(
                        self.data,
                        self.pos,
                        self.pos.saturating_add(SPARSE_BYTES - 1),
                    );
                }
                Some(Ok(p))
            }
            Step::End => {
                self.done = true;
                // A damaged gzip stream ends the data early: report it once
                // the packets decompressed before the damage were read.
                // (Not when it stopped at a chunk boundary before the end.)
                gzip_error(
                    self.path,
                    self.data.len(),
                    self.pos,
                    self.frame,
                    self.deferred,
                )
                .map(Err)
            }
            Step::Err(e) => {
                self.done = true;
                // Zeros where the file used to be make impossible records:
                // say what really happened.
                let valid = self.valid.load(Ordering::Acquire);
                if valid < self.data.len() && e.offset().is_none_or(|o| o as usize + 64 > valid) {
                    return Some(Err(changed(self.path, self.valid, self.frame + 1)));
                }
                Some(Err(e))
            }
        }
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_sparse() {
            Some(p) => Some(Ok(p)),
            None => self.next_general(),
        }
    }
}

/// Iterates over the options of a pcapng block: `(code, value)`.
struct Options<'b> {
    b: &'b [u8],
    endian: Endian,
}

impl<'b> Options<'b> {
    fn new(b: &'b [u8], endian: Endian) -> Self {
        Options { b, endian }
    }
}

impl<'b> Iterator for Options<'b> {
    type Item = (u16, &'b [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        use format::pcapng::{OPT_ENDOFOPT, OPT_VALUE, field};
        if self.b.len() < OPT_VALUE {
            return None;
        }
        let code = self.endian.u16(self.b, field::OPT_CODE.start);
        let len = usize::from(self.endian.u16(self.b, field::OPT_LEN.start));
        if code == OPT_ENDOFOPT || OPT_VALUE + len > self.b.len() {
            self.b = &[];
            return None;
        }
        let val = &self.b[OPT_VALUE..OPT_VALUE + len];
        let padded = (OPT_VALUE + len).next_multiple_of(4);
        self.b = self.b.get(padded..).unwrap_or(&[]);
        Some((code, val))
    }
}
