//! A TextFSM-compatible template engine.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]
