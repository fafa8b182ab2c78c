//! Drive EndaceOS probe CLIs over SSH/SFTP: fleet collection and hotfix roll-outs.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]
