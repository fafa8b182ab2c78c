//! Zero-copy TLS record and handshake parsing (ClientHello, ServerHello, JA4) with bounded per-flow reassembly.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]
