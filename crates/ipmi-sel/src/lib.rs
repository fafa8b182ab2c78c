//! Decode IPMI System Event Log records and fetch them from Supermicro and Redfish BMCs.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
#![deny(missing_docs)]
