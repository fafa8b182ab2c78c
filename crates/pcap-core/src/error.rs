//! Error types: [`Error`] for reading a capture file, [`DecodeError`] for
//! decoding one packet's headers.

use std::path::PathBuf;

use crate::LinkType;

/// Why a capture could not be opened or read further.
///
/// Every variant names the file; the ones raised while walking records also
/// name the byte offset of the offending record (in the decompressed stream
/// for `.gz` files) and the frame number it would have had, counted from 1 as
/// Wireshark does. After an error the packet iterator ends, but every packet
/// it yielded before is intact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, mapped or read.
    #[error("{}: cannot read the file: {source}; check the path and its permissions", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The first bytes match no supported format.
    #[error(
        "{}: byte offset 0: not a capture file (starts with {magic}); expected pcap, pcapng, ERF or a gzip of one of them",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The first bytes in hex.
        magic: String,
    },
    /// The file ended in the middle of a file header or a record.
    #[error(
        "{}: byte offset {offset}, frame {frame}: truncated {what}: needs {needed} bytes, only {available} left; the file was probably cut off while being written, the {} packets before are intact",
        path.display(),
        frame.saturating_sub(1)
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Byte offset where the incomplete header or record starts.
        offset: u64,
        /// Frame number the record would have had.
        frame: u64,
        /// What was cut: "file header", "record header", "record", "block".
        what: &'static str,
        /// Bytes the header or record needs.
        needed: u64,
        /// Bytes left in the file from `offset`.
        available: u64,
    },
    /// A record header or block is impossible (absurd length, bad
    /// trailer, unknown interface, ...). Reading this file stops here.
    #[error(
        "{}: byte offset {offset}, frame {frame}: corrupt capture: {reason}; the file cannot be read past this point, the {} packets before are intact",
        path.display(),
        frame.saturating_sub(1)
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the offending record or block.
        offset: u64,
        /// Frame number the record would have had.
        frame: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The gzip stream is damaged or cut short; the packets decompressed
    /// before the damage were read.
    #[error(
        "{}: byte offset {offset} of the decompressed data, frame {frame}: gzip stream damaged: {reason}; the {} packets before are intact, re-copy or re-compress the file",
        path.display(),
        frame.saturating_sub(1)
    )]
    Gzip {
        /// The file.
        path: PathBuf,
        /// Bytes decompressed before the damage.
        offset: u64,
        /// Frame number of the first packet not read.
        frame: u64,
        /// The decompressor's message.
        reason: String,
    },
    /// The file shrank (was truncated or replaced) while it was being read:
    /// the part from `offset` on is gone. What was read before stands.
    #[error(
        "{}: byte offset {offset}, frame {frame}: the file shrank while it was read (another process truncated or rewrote it; the data from this offset on is gone); the {} packets before are intact, copy a capture that is still being written before scanning it",
        path.display(),
        frame.saturating_sub(1)
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// First byte offset that is gone (a page boundary).
        offset: u64,
        /// Frame number of the first packet not read.
        frame: u64,
    },
    /// A stream (pipe, FIFO, standard input) ended in the middle of a
    /// header or record.
    #[error(
        "{}: byte offset {offset}, frame {frame}: the stream ended mid-{what} ({available} of {needed} bytes); the writer stopped or was killed before finishing it, the {} packets before are intact",
        path.display(),
        frame.saturating_sub(1)
    )]
    StreamEnded {
        /// The stream's name (`-` for standard input).
        path: PathBuf,
        /// Byte offset in the stream (decompressed, for gzip) where the
        /// incomplete header or record starts.
        offset: u64,
        /// Frame number the record would have had.
        frame: u64,
        /// What was cut: "file header", "record header", "record", "block".
        what: &'static str,
        /// Bytes the header or record needs.
        needed: u64,
        /// Bytes the stream delivered from `offset`.
        available: u64,
    },
    /// A limit protecting memory, disk or time was reached (see
    /// `docs/LIMITS.md`).
    #[error("{}: {what}", path.display())]
    Limit {
        /// The file.
        path: PathBuf,
        /// Which limit, its value and how to change it.
        what: String,
    },
}

impl Error {
    /// The file this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::UnknownFormat { path, .. }
            | Error::Truncated { path, .. }
            | Error::Corrupt { path, .. }
            | Error::Gzip { path, .. }
            | Error::Changed { path, .. }
            | Error::StreamEnded { path, .. }
            | Error::Limit { path, .. } => path,
        }
    }

    /// The frame number the error stopped at (the first frame not read),
    /// if the error happened while walking records.
    pub fn frame(&self) -> Option<u64> {
        match self {
            Error::Truncated { frame, .. }
            | Error::Corrupt { frame, .. }
            | Error::Gzip { frame, .. }
            | Error::Changed { frame, .. }
            | Error::StreamEnded { frame, .. } => Some(*frame),
            _ => None,
        }
    }

    /// The byte offset the error is at, if it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Truncated { offset, .. }
            | Error::Corrupt { offset, .. }
            | Error::Gzip { offset, .. }
            | Error::Changed { offset, .. }
            | Error::StreamEnded { offset, .. } => Some(*offset),
            Error::UnknownFormat { .. } => Some(0),
            Error::Io { .. } | Error::Limit { .. } => None,
        }
    }

    /// Adds `base` to the frame number (used when a chunk of a file was
    /// walked with frames counted from the chunk start).
    pub(crate) fn shift_frame(mut self, base: u64) -> Self {
        match &mut self {
            Error::Truncated { frame, .. }
            | Error::Corrupt { frame, .. }
            | Error::Gzip { frame, .. }
            | Error::Changed { frame, .. }
            | Error::StreamEnded { frame, .. } => *frame += base,
            _ => {}
        }
        self
    }

    /// Adds `base` to the byte offset (a stream's buffer starts at `base`).
    pub(crate) fn shift_offset(mut self, base: u64) -> Self {
        match &mut self {
            Error::Truncated { offset, .. }
            | Error::Corrupt { offset, .. }
            | Error::Gzip { offset, .. }
            | Error::Changed { offset, .. }
            | Error::StreamEnded { offset, .. } => *offset += base,
            _ => {}
        }
        self
    }
}

/// Why one packet's headers could not be decoded down to L4.
///
/// Offsets are relative to the start of the packet data. A decode error
/// concerns one packet only; the reader carries on with the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The packet ends inside a header (often a short snapshot length).
    #[error(
        "packet offset {offset}: {layer} header truncated: needs {needed} bytes, {available} captured"
    )]
    Truncated {
        /// The layer whose header is cut ("ethernet", "ipv4", "tcp", ...).
        layer: &'static str,
        /// Offset of that header in the packet.
        offset: usize,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes captured from `offset`.
        available: usize,
    },
    /// A header field holds an impossible value.
    #[error("packet offset {offset}: invalid {layer} header: {reason}")]
    Invalid {
        /// The layer ("ipv4", "tcp", ...).
        layer: &'static str,
        /// Offset of that header in the packet.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The capture's link type is not one this crate decodes.
    #[error(
        "link type {0} is not decoded (supported: Ethernet, Linux SLL/SLL2, raw IP, BSD NULL/LOOP)"
    )]
    UnsupportedLinkType(LinkType),
    /// The frame carries something other than IPv4/IPv6 (ARP, LLDP, ...).
    #[error("packet offset {offset}: not IP (ethertype/protocol 0x{ethertype:04x})")]
    NotIp {
        /// The EtherType or equivalent that was found.
        ethertype: u16,
        /// Where it was found.
        offset: usize,
    },
}
