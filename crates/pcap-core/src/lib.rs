//! Zero-copy, mmap-backed reader and writer for pcap, pcapng and ERF captures, with link/IP/TCP/UDP decoding.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]
