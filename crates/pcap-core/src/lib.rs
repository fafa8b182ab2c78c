//! Zero-copy, mmap-backed reader and writer for pcap, pcapng and ERF
//! captures, with link/IP/TCP/UDP decoding.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//!
//! ```no_run
//! use pcap_core::{Capture, L4};
//!
//! let cap = Capture::open("testdata/pcap/ethernet-usec-le.pcap")?;
//! let mut tcp_payload = 0usize;
//! for pkt in cap.packets() {
//!     let pkt = pkt?; // a truncated or corrupt file stops here, with file, offset and frame
//!     let Ok(d) = pkt.decode() else { continue }; // not IP, or cut short by the snaplen
//!     if let L4::Tcp(tcp) = d.l4 {
//!         tcp_payload += tcp.payload.len();
//!     }
//! }
//! println!("{}: {} bytes of TCP payload", cap.path().display(), tcp_payload);
//! # Ok::<(), pcap_core::Error>(())
//! ```
//!
//! * [`Capture::open`] detects the format by its magic: classic pcap in all
//!   four variants (µs/ns, either byte order) and the modified (Kuznetzov)
//!   variant, pcapng (several sections and interfaces, EPB, SPB and the
//!   obsolete PB), ERF (Endace), and any of them gzip-compressed.
//! * [`Capture::packets`] is the hot path: a zero-copy walk that prefetches
//!   ahead and allocates nothing per packet.
//! * [`Packet::decode`] / [`decode()`] go from the link layer to TCP/UDP
//!   through VLAN/QinQ/MPLS/PPPoE, IPv4 options and fragments, and IPv6
//!   extension headers; field offsets are named constants in
//!   [`layers`].
//! * [`writer`] writes pcap, pcapng and ERF; [`parallel`] spreads many
//!   files, or one big file, over all cores. (Synthetic test captures are
//!   built by the dev-only `netops-testkit` crate, not here.)
//! * [`time`] prints packet timestamps as RFC 3339 UTC
//!   ([`time::format_rfc3339`]), the same way in every tool.
#![deny(missing_docs)]

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub mod decode;
mod error;
mod flow;
pub mod format;
mod guard;
pub mod input;
pub mod inputs;
pub mod layers;
mod linktype;
pub mod parallel;
mod read;
pub mod time;
pub mod writer;

pub use decode::{Decoded, L4, Tcp, TcpFlags, Udp, VlanStack, decode};
pub use error::{DecodeError, Error};
pub use flow::FlowKey;
pub use format::Endian;
pub use input::{GunzipLimits, Input, InputOptions, Stream, Walk};
pub use linktype::LinkType;
pub use read::{PREFETCH_DISTANCE, Packets, PcapLayout, PcapRecord, PcapRecords, SPARSE_BYTES};

use read::{NgWalk, Walker};

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Classic libpcap.
    Pcap {
        /// Byte order of the file.
        endian: Endian,
        /// Nanosecond (rather than microsecond) timestamps.
        nanos: bool,
        /// Kuznetzov's modified format with 24-byte record headers.
        modified: bool,
        /// The file's single link type.
        linktype: LinkType,
        /// The snapshot length in the file header.
        snaplen: u32,
    },
    /// pcapng; link types and timestamp resolutions are per interface.
    Pcapng,
    /// Endace ERF records.
    Erf,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcap {
                endian,
                nanos,
                modified,
                ..
            } => write!(
                f,
                "pcap{} ({}, {})",
                if *modified { " modified" } else { "" },
                if *nanos { "ns" } else { "us" },
                match endian {
                    Endian::Little => "little-endian",
                    Endian::Big => "big-endian",
                }
            ),
            Format::Pcapng => f.write_str("pcapng"),
            Format::Erf => f.write_str("erf"),
        }
    }
}

/// One captured packet, borrowed from its [`Capture`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based frame number, as Wireshark numbers it.
    pub frame: u64,
    /// Timestamp, nanoseconds since the Unix epoch (0 for pcapng Simple
    /// Packet Blocks, which carry none).
    pub ts_ns: i64,
    /// Bytes captured (the length of `data`).
    pub caplen: u32,
    /// Bytes the packet had on the wire.
    pub origlen: u32,
    /// How to read the first bytes of `data`.
    pub linktype: LinkType,
    /// The captured bytes, starting with the link-layer header.
    pub data: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Decodes the link, IP and transport headers; see [`decode()`].
    #[inline]
    pub fn decode(&self) -> Result<Decoded<'a>, DecodeError> {
        decode::decode(self.linktype, self.data)
    }

    /// The cheap first look at the commonest frames; see [`decode::peek`].
    #[inline(always)]
    pub fn peek(&self) -> Option<decode::Peek<'a>> {
        decode::peek(self.linktype, self.data)
    }
}

enum Backing {
    Mmap(Mapped),
    Vec(Vec<u8>),
}

/// A file mapping registered with the `SIGBUS` guard (see [`guard`]); the
/// guard is declared first so that it is unregistered before the unmap.
struct Mapped {
    guard: guard::Guard,
    map: memmap2::Mmap,
}

impl Mapped {
    fn new(map: memmap2::Mmap) -> Mapped {
        Mapped {
            guard: guard::Guard::register(map.as_ptr(), map.len()),
            map,
        }
    }
}

/// An opened capture file: its bytes (memory-mapped, or decompressed into
/// memory for `.gz`) and its detected format.
///
/// `Capture` is `Send + Sync`; iterate it from several threads at once, or
/// use [`parallel`] to split it.
pub struct Capture {
    path: PathBuf,
    backing: Backing,
    format: Format,
    walker: Walker,
    start: usize,
    gzipped: bool,
    deferred: Option<(u64, String)>,
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("len", &self.bytes().len())
            .field("gzipped", &self.gzipped)
            .finish()
    }
}

pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The page size [`Capture::release`] aligns to.
const RELEASE_PAGE: usize = 4096;

/// Decompressed `.gz` data up to this size is kept in memory; beyond it,
/// in a memory-mapped unlinked temporary file.
const GUNZIP_IN_MEMORY_MAX: usize = 256 << 20;

impl Capture {
    /// Opens and memory-maps `path` and detects its format from the first
    /// bytes. Gzip-compressed files are decompressed, into memory up to
    /// 256 MiB and beyond that into an unlinked, memory-mapped temporary
    /// file (in `$TMPDIR`), so a large `.gz` capture needs disk, not memory.
    ///
    /// The mapping assumes the file is not truncated or rewritten by
    /// another process while it is open (captures being written are only
    /// appended to, which is safe).
    pub fn open(path: impl AsRef<Path>) -> Result<Capture, Error> {
        Capture::open_with(path, &GunzipLimits::default())
    }

    /// [`Capture::open`] with explicit limits for `.gz` files.
    ///
    /// Only regular files are mapped: a FIFO, socket or device is refused
    /// at once with a message (never a blocking open); read those with
    /// [`Input::open`], which streams them. If the file shrinks while it is
    /// mapped (a capture writer rotating or truncating it), the process is
    /// not killed by `SIGBUS`: the walk stops with [`Error::Changed`] at the
    /// first record in the lost part, the packets before it intact.
    pub fn open_with(path: impl AsRef<Path>, limits: &GunzipLimits) -> Result<Capture, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = input::open_nonblocking(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(io(std::io::Error::other(
                "it is a directory; pass the capture files in it",
            )));
        }
        if !meta.is_file() {
            return Err(io(std::io::Error::other(format!(
                "it is {}, not a regular file, and cannot be mapped; read it as a stream \
                 (pcap_core::Input::open, which the capture tools use)",
                input::describe_kind(&meta.file_type())
            ))));
        }
        let len = meta.len();
        if len == 0 {
            return Capture::from_vec(path, Vec::new());
        }
        // SAFETY: the map is read-only and private to us. Another process
        // may still truncate the file: the SIGBUS guard (`guard`) turns the
        // fault into zero pages and `Error::Changed`, and the walks check
        // the valid length after every record.
        let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(io)?;
        let mapped = Mapped::new(map);
        if mapped.map.starts_with(&GZIP_MAGIC) {
            let gz_len = mapped.map.len();
            return Capture::gunzip(path.to_path_buf(), &mapped.map[..], gz_len, limits);
        }
        Capture::with_backing(path.to_path_buf(), Backing::Mmap(mapped), false, None)
    }

    /// Wraps bytes already in memory (the name is used in error messages).
    /// Gzip data is decompressed.
    pub fn from_vec(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Capture, Error> {
        let path = name.into();
        if bytes.starts_with(&GZIP_MAGIC) {
            let n = bytes.len();
            return Capture::gunzip(path, &bytes, n, &GunzipLimits::default());
        }
        Capture::with_backing(path, Backing::Vec(bytes), false, None)
    }

    fn gunzip(
        path: PathBuf,
        gz: &[u8],
        gz_len: usize,
        limits: &GunzipLimits,
    ) -> Result<Capture, Error> {
        Capture::gunzip_with_limit(
            path,
            gz,
            GUNZIP_IN_MEMORY_MAX,
            limits.max_output(gz_len as u64),
        )
    }

    /// Decompresses into memory up to `limit` bytes; beyond that into an
    /// unlinked temporary file that is then mapped, so that a large `.gz`
    /// capture needs room in the temporary directory rather than memory.
    fn gunzip_with_limit(
        path: PathBuf,
        gz: &[u8],
        limit: usize,
        max_output: u64,
    ) -> Result<Capture, Error> {
        let mut out = Vec::with_capacity(gz.len().saturating_mul(2).min(limit));
        let mut dec = flate2::read::MultiGzDecoder::new(gz).take(max_output.saturating_add(1));
        // Sniff the start before inflating the rest: a gzip of something
        // that is not a capture is refused after its first KiB, not after
        // writing all of it somewhere.
        let mut deferred = match input::sniff(&path, &mut dec, &mut out) {
            Ok(()) => None,
            Err(input::SniffError::Format(e)) => return Err(e),
            Err(input::SniffError::Read(e)) => Some((out.len() as u64, e.to_string())),
        };
        if deferred.is_none() {
            deferred = match (&mut dec)
                .take((limit as u64 + 1).saturating_sub(out.len() as u64))
                .read_to_end(&mut out)
            {
                Ok(_) => None,
                Err(e) => Some((out.len() as u64, e.to_string())),
            };
        }
        if out.starts_with(&GZIP_MAGIC) {
            return Err(Error::Corrupt {
                path,
                offset: 0,
                frame: 1,
                reason: "gzip inside gzip; decompress the outer layer first".into(),
            });
        }
        if out.is_empty()
            && let Some((_, reason)) = deferred
        {
            return Err(Error::Gzip {
                path,
                offset: 0,
                frame: 1,
                reason,
            });
        }
        if out.len() as u64 > max_output {
            return Err(GunzipLimits::exceeded(&path, max_output, gz.len() as u64));
        }
        if deferred.is_some() || out.len() <= limit {
            return Capture::with_backing(path, Backing::Vec(out), true, deferred);
        }
        // Larger than the limit: spill to a temporary file.
        let tmp_err = |e: std::io::Error| Error::Io {
            path: path.clone(),
            source: std::io::Error::new(
                e.kind(),
                format!(
                    "decompressing into a temporary file in {} failed ({e}); set TMPDIR to a \
                     directory with room for the uncompressed capture",
                    std::env::temp_dir().display()
                ),
            ),
        };
        let mut file = tempfile::tempfile().map_err(tmp_err)?;
        file.write_all(&out).map_err(tmp_err)?;
        let mut written = out.len() as u64;
        drop(out);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match dec.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if written + n as u64 > max_output {
                        return Err(GunzipLimits::exceeded(&path, max_output, gz.len() as u64));
                    }
                    file.write_all(&buf[..n]).map_err(tmp_err)?;
                    written += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    deferred = Some((written, e.to_string()));
                    break;
                }
            }
        }
        // SAFETY: the file is ours alone (unlinked, never written again).
        let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(tmp_err)?;
        Capture::with_backing(path, Backing::Mmap(Mapped::new(map)), true, deferred)
    }

    fn with_backing(
        path: PathBuf,
        backing: Backing,
        gzipped: bool,
        deferred: Option<(u64, String)>,
    ) -> Result<Capture, Error> {
        let bytes: &[u8] = match &backing {
            Backing::Mmap(m) => &m.map,
            Backing::Vec(v) => v,
        };
        let (format, walker, start) = detect(&path, bytes)?;
        Ok(Capture {
            path,
            backing,
            format,
            walker,
            start,
            gzipped,
            deferred,
        })
    }

    /// The path given to [`open`](Capture::open) (or the name given to
    /// [`from_vec`](Capture::from_vec)).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole file's bytes (decompressed for `.gz`).
    ///
    /// If the file shrank while it was mapped, the part past
    /// [`Capture::intact_len`] reads as zeros.
    pub fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Mmap(m) => &m.map,
            Backing::Vec(v) => v,
        }
    }

    /// How many bytes from the start still come from the file: all of
    /// them, unless the file shrank while it was read (then the offset of
    /// the first lost page; the rest of [`Capture::bytes`] reads as zeros).
    pub fn intact_len(&self) -> usize {
        let len = self.bytes().len();
        match &self.backing {
            Backing::Mmap(m) => m.guard.faulted(len).unwrap_or(len),
            Backing::Vec(_) => len,
        }
    }

    /// The guard's valid length, checked by the walks after each record.
    pub(crate) fn valid(&self) -> &'static std::sync::atomic::AtomicUsize {
        match &self.backing {
            Backing::Mmap(m) => m.guard.valid(),
            Backing::Vec(_) => guard::unguarded(),
        }
    }

    /// Drops this process's page-table entries for the whole pages of
    /// the file inside `lo..hi` (`madvise(MADV_DONTNEED)` on the mapping):
    /// the bytes stay what they were (a later read faults them in again
    /// from the page cache; the map is read-only, so nothing is lost) and
    /// the page cache keeps them. A split walk on two or more threads
    /// calls it for each group of chunks it has finished (the chunks its
    /// lanes walked together: each call makes the kernel interrupt the
    /// other cores running this process to flush their TLBs, so fewer,
    /// larger calls), on the thread that walked them: tearing down the
    /// page tables of a mapping costs about as much as faulting it in (a
    /// 2 GiB capture: tens of ms of `munmap` at exit, on one thread after
    /// every worker is done); group by group, the workers share it and
    /// overlap it with their walks. (On one thread it only adds the calls:
    /// the walk does not release there.) No effect on in-memory captures.
    pub(crate) fn release(&self, lo: usize, hi: usize) {
        #[cfg(unix)]
        if let Backing::Mmap(m) = &self.backing {
            let base = m.map.as_ptr() as usize;
            let hi = hi.min(m.map.len());
            // Whole pages only: the neighbours' first and last records
            // may share a page with this chunk (4 KiB is the smallest
            // page; a larger one only leaves more in place).
            let a = (base + lo).next_multiple_of(RELEASE_PAGE);
            let b = (base + hi) / RELEASE_PAGE * RELEASE_PAGE;
            if b > a {
                // SAFETY: `a..b` lies inside the mapping (page-aligned:
                // the mapping starts on a page); the mapping is a
                // read-only shared file map (memmap2's `map`), so dropping
                // its entries discards no data (the pages stay in the page
                // cache) and every reader sees the same bytes after.
                unsafe {
                    libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_DONTNEED);
                }
            }
        }
    }

    /// About what fraction of the file is in the page cache (0.0 to 1.0),
    /// from `mincore` on 256 pages spread over the mapping; 1.0 for
    /// in-memory captures and where `mincore` is not available. Readers
    /// choose by it: a walk that jumps between several places is faster
    /// from memory, one that reads in order is faster from disk (the
    /// kernel's readahead follows one sequential stream).
    pub fn cached_fraction(&self) -> f64 {
        #[cfg(unix)]
        if let Backing::Mmap(m) = &self.backing {
            // SAFETY: sysconf has no preconditions.
            let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
                .ok()
                .filter(|&p| p > 0)
                .unwrap_or(4096);
            let m = &m.map;
            let pages = m.len().div_ceil(page);
            if pages == 0 {
                return 1.0;
            }
            let samples = pages.min(256);
            let mut resident = 0usize;
            for i in 0..samples {
                let at = (i * pages / samples) * page;
                let mut vec = [0u8; 1];
                // SAFETY: `at` is a page-aligned offset inside the mapping
                // (the mapping itself is page-aligned), and one page needs
                // one byte of `vec`.
                let r = unsafe {
                    libc::mincore(
                        m.as_ptr().add(at) as *mut libc::c_void,
                        1,
                        vec.as_mut_ptr().cast(),
                    )
                };
                if r != 0 {
                    return 1.0;
                }
                resident += usize::from(vec[0] & 1);
            }
            return resident as f64 / samples as f64;
        }
        1.0
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the file was gzip-compressed.
    pub fn gzipped(&self) -> bool {
        self.gzipped
    }

    /// Offset of the first record (after the pcap file header).
    pub(crate) fn data_start(&self) -> usize {
        self.start
    }

    pub(crate) fn walker(&self) -> &Walker {
        &self.walker
    }

    pub(crate) fn deferred(&self) -> Option<&(u64, String)> {
        self.deferred.as_ref()
    }

    /// Iterates over the packets in file order. This is the fast path:
    /// zero-copy, prefetching, no allocation per packet.
    pub fn packets(&self) -> Packets<'_> {
        Packets::over(self, self.start, self.bytes().len(), self.walker.clone())
    }

    /// For a classic pcap file, a cursor over its records: the walk of
    /// [`Capture::packets`] (same checks, same errors) without prefetching
    /// and without building a [`Packet`] per record, for callers that read
    /// the file ahead of the walk themselves (see [`PcapRecords`]). `None`
    /// for pcapng and ERF.
    pub fn pcap_records(&self) -> Option<PcapRecords<'_>> {
        let Walker::Pcap(layout) = self.walker else {
            return None;
        };
        Some(
            PcapRecords::new(
                &self.path,
                self.bytes(),
                self.start,
                layout,
                self.deferred.as_ref(),
            )
            .watch(self.valid()),
        )
    }
}

/// Detects the format; returns it, the initial walker state and the offset
/// of the first record.
pub(crate) fn detect(path: &Path, b: &[u8]) -> Result<(Format, Walker, usize), Error> {
    use format::pcap as p;
    let truncated = |needed: usize| Error::Truncated {
        path: path.to_path_buf(),
        offset: 0,
        frame: 1,
        what: "file header",
        needed: needed as u64,
        available: b.len() as u64,
    };
    if b.len() < 4 {
        return Err(truncated(4));
    }
    let le = Endian::Little.u32(b, p::MAGIC);
    let be = Endian::Big.u32(b, p::MAGIC);
    let pcap = [p::MAGIC_USEC, p::MAGIC_NSEC, p::MAGIC_MODIFIED];
    let endian = if pcap.contains(&le) {
        Some((Endian::Little, le))
    } else if pcap.contains(&be) {
        Some((Endian::Big, be))
    } else {
        None
    };
    if let Some((endian, magic)) = endian {
        if b.len() < p::FILE_HEADER_LEN {
            return Err(truncated(p::FILE_HEADER_LEN));
        }
        let major = endian.u16(b, p::VERSION_MAJOR);
        if major != 2 {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                offset: p::VERSION_MAJOR as u64,
                frame: 1,
                reason: format!("pcap file header has version {major}.x, only 2.x exists"),
            });
        }
        let snaplen = endian.u32(b, p::SNAPLEN);
        let linktype = LinkType(endian.u32(b, p::LINKTYPE) & p::LINKTYPE_MASK);
        let nanos = magic == p::MAGIC_NSEC;
        let modified = magic == p::MAGIC_MODIFIED;
        let walk = PcapLayout::new(endian, nanos, modified, linktype, snaplen);
        return Ok((
            Format::Pcap {
                endian,
                nanos,
                modified,
                linktype,
                snaplen,
            },
            Walker::Pcap(walk),
            p::FILE_HEADER_LEN,
        ));
    }
    if le == format::pcapng::SHB {
        return Ok((Format::Pcapng, Walker::Pcapng(NgWalk::default()), 0));
    }
    if looks_like_erf(b) {
        return Ok((Format::Erf, Walker::Erf, 0));
    }
    let n = b.len().min(8);
    let magic = b[..n]
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    Err(Error::UnknownFormat {
        path: path.to_path_buf(),
        magic,
    })
}

/// ERF has no magic number: like Wireshark, accept a file whose first
/// records (up to 8) have valid types and lengths and timestamps that do
/// not jump backwards by more than a second or forwards by a year.
pub(crate) fn looks_like_erf(b: &[u8]) -> bool {
    erf_chain_ok(b, 0, 8, true)
}

/// Checks that up to `records` plausible ERF records start at `pos`.
/// With `need_first`, at least one complete record must be present.
pub(crate) fn erf_chain_ok(b: &[u8], mut pos: usize, records: usize, need_first: bool) -> bool {
    use format::erf::*;
    let mut prev_ts: Option<u64> = None;
    for i in 0..records {
        if pos == b.len() {
            return i > 0 || !need_first;
        }
        if b.len() - pos < HEADER_LEN {
            return i > 0;
        }
        let h = &b[pos..pos + HEADER_LEN];
        let kind = h[TYPE] & 0x7f;
        let rlen = usize::from(Endian::Big.u16(h, RLEN));
        if kind == 0
            || kind > TYPE_MAX
            || rlen < HEADER_LEN
            || (rlen == HEADER_LEN && kind != TYPE_PAD)
        {
            return false;
        }
        if rlen > b.len() - pos {
            return i > 0;
        }
        if kind != TYPE_PAD {
            let ts = Endian::Little.u64(h, TS);
            if let Some(prev) = prev_ts {
                if ts < prev && (prev - ts) >> 32 > 1 {
                    return false;
                }
                if ts > prev && (ts - prev) >> 32 > 3600 * 24 * 365 {
                    return false;
                }
            }
            prev_ts = Some(ts);
            // extension headers must fit
            let mut hdr = HEADER_LEN;
            let mut more = h[TYPE] & MORE_EXT != 0;
            while more {
                if hdr + EXT_HEADER_LEN > rlen {
                    return false;
                }
                more = b[pos + hdr] & MORE_EXT != 0;
                hdr += EXT_HEADER_LEN;
            }
        }
        pos += rlen;
    }
    true
}

/// A classic pcap of at least `target` bytes of frames of varied length
/// (the unit tests here cannot use `netops-testkit`: through it they would
/// see a second copy of this crate's types).
#[cfg(test)]
fn test_pcap(target: usize, seed: u8) -> Vec<u8> {
    let o = writer::PcapOptions::new(LinkType::ETHERNET);
    let mut w = writer::PcapWriter::new(Vec::new(), o).unwrap();
    let mut written = 24;
    let mut i = 0usize;
    while written < target {
        let frame: Vec<u8> = (0..60 + i * 37 % 1400)
            .map(|j| (i as u8).wrapping_mul(j as u8 | 1) ^ seed)
            .collect();
        let ts = 1_700_000_000_000_000_000 + i as i64 * 1_000_000;
        w.write_packet(ts, frame.len() as u32, &frame).unwrap();
        written += 16 + frame.len();
        i += 1;
    }
    w.into_inner().unwrap()
}

#[cfg(test)]
mod gunzip_tests {
    use super::*;

    fn rows(cap: &Capture) -> (Vec<(u64, Vec<u8>)>, Option<String>) {
        let mut v = Vec::new();
        for p in cap.packets() {
            match p {
                Ok(p) => v.push((p.frame, p.data.to_vec())),
                Err(e) => return (v, Some(e.to_string())),
            }
        }
        (v, None)
    }

    fn gz(raw: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(raw).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_large_gzip_spills_to_a_mapped_file_and_reads_the_same() {
        let raw = test_pcap(300_000, 5);
        let z = gz(&raw);
        let small = Capture::from_vec("a.pcap.gz", z.clone()).unwrap();
        let spilled = Capture::gunzip_with_limit("a.pcap.gz".into(), &z, 10_000, u64::MAX).unwrap();
        assert!(
            matches!(spilled.backing, Backing::Mmap(_)),
            "spilled to a file"
        );
        assert!(matches!(small.backing, Backing::Vec(_)));
        assert_eq!(spilled.bytes(), &raw[..]);
        assert!(spilled.gzipped());
        assert_eq!(rows(&spilled), rows(&small));
        assert!(rows(&small).1.is_none());
    }

    #[test]
    fn a_damaged_large_gzip_keeps_the_packets_before_the_damage() {
        let raw = test_pcap(300_000, 6);
        let mut z = gz(&raw);
        z.truncate(z.len() * 2 / 3);
        let small = Capture::from_vec("cut.pcap.gz", z.clone()).unwrap();
        for limit in [0, 1_000, 50_000] {
            let spilled =
                Capture::gunzip_with_limit("cut.pcap.gz".into(), &z, limit, u64::MAX).unwrap();
            let (got, err) = rows(&spilled);
            let (want, want_err) = rows(&small);
            assert_eq!(got, want, "limit {limit}");
            assert!(!got.is_empty());
            let err = err.expect("the damage is reported");
            assert_eq!(Some(&err), want_err.as_ref(), "limit {limit}");
            assert!(err.contains("cut.pcap.gz"), "{err}");
        }
    }
}

#[cfg(test)]
mod cached_tests {
    use super::*;

    /// The resident size (kB) of this process's mappings of `path`, from
    /// /proc/self/smaps.
    #[cfg(target_os = "linux")]
    fn mapped_rss_kb(path: &Path) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let name = path.to_str().unwrap();
        let mut in_map = false;
        let mut kb = 0;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if first.contains('-') && !first.ends_with(':') {
                in_map = line.ends_with(name);
            } else if in_map && let Some(v) = line.strip_prefix("Rss:") {
                kb += v
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap();
            }
        }
        kb
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn released_pages_leave_the_mapping_and_read_the_same() {
        let raw = test_pcap(8 << 20, 3);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.pcap");
        std::fs::write(&path, &raw).unwrap();
        let cap = Capture::open(&path).unwrap();
        // Every page touched: the whole file is mapped in.
        let sum: u64 = cap.bytes().iter().step_by(512).map(|&b| u64::from(b)).sum();
        let before = mapped_rss_kb(&path);
        assert!(before >= 7 << 10, "mapped in: {before} kB");
        // Not page-aligned on either side: only the whole pages inside go.
        cap.release(1000, raw.len() - 1000);
        let after = mapped_rss_kb(&path);
        assert!(after <= 64, "released: {after} kB left of {before} kB");
        // The bytes are what they were, read again from the page cache.
        assert_eq!(cap.bytes(), &raw[..]);
        let again: u64 = cap.bytes().iter().step_by(512).map(|&b| u64::from(b)).sum();
        assert_eq!(again, sum);
        // In-memory captures are left alone.
        let m = Capture::from_vec("m.pcap", raw.clone()).unwrap();
        m.release(0, raw.len());
        assert_eq!(m.bytes(), &raw[..]);
    }

    #[test]
    fn cached_fraction_sees_a_file_read_and_a_file_dropped() {
        let raw = test_pcap(2 << 20, 8);
        let in_memory = Capture::from_vec("m.pcap", raw.clone()).unwrap();
        assert_eq!(in_memory.cached_fraction(), 1.0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.pcap");
        std::fs::write(&path, &raw).unwrap();
        let cap = Capture::open(&path).unwrap();
        assert_eq!(cap.packets().count(), in_memory.packets().count());
        let read = cap.cached_fraction();
        assert!(read > 0.9, "just written and read: {read}");
        drop(cap);
        // Drop it from the page cache (a no-op on tmpfs, where it stays).
        let f = std::fs::File::open(&path).unwrap();
        f.sync_all().unwrap();
        #[cfg(target_os = "linux")]
        // SAFETY: a valid descriptor; the advice only affects the cache.
        unsafe {
            use std::os::fd::AsRawFd;
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
        let dropped = Capture::open(&path).unwrap().cached_fraction();
        assert!(
            (0.0..=read).contains(&dropped),
            "dropped: {dropped}, read: {read}"
        );
    }
}
