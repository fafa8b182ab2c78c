//! Find client addresses hidden in X-Forwarded-For, Forwarded and X-Real-IP headers in captures.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]
