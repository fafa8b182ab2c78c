//! Decode IPMI System Event Log records and fetch them from Supermicro and Redfish BMCs and over IPMI LAN (RMCP+).
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//!
//! * [`decode`]: 16-byte SEL records per IPMI 2.0 section 32 (no I/O).
//! * [`parse`]: `SEL_INFO.XML`, Redfish JSON, raw binary and hex inputs.
//! * [`Event`]: the flat record every source yields and every format prints;
//!   [`event::SeverityFilter`] (`--min-severity`/`--fail-on`), the CSV and
//!   table columns.
//! * [`input`]: what a `decode` argument is (file, `-`, hex records).
//! * [`lan`]: native IPMI v2.0 over LAN (RMCP+) client, SEL and SDR reads.
//! * [`watch`]: inventory (or one host from a URL), polling, alerts, `check`.
//! * [`exporter`]: the watch loop with Prometheus `/metrics` (`serve`).
//! * [`ops`]: `sel info`, `sel get ID`, `sel clear` on each source kind.
//! * [`source::Limits`]: what one host may cost (body cap, Redfish caps);
//!   see `docs/LIMITS.md`.
//!
//! Severity rules: deassertions are `info`; threshold non-critical events
//! are `warning`, critical/non-recoverable ones `critical`; for
//! sensor-specific events, failures that stop a machine (PCI PERR/SERR, bus
//! uncorrectable/fatal, fatal NMI, processor IERR/thermal trip/MCE,
//! uncorrectable memory, power supply failure, run-time OS stop...) are
//! `critical`, degraded/predictive ones `warning`, the rest `info`.
//!
//! ```
//! use ipmi_sel::decode::SelRecord;
//! let r = &ipmi_sel::decode::parse_hex_records("020002124c015d33000413006fa58012").unwrap()[0];
//! assert_eq!(r.description(), "PCI SERR @Bus80(DevFn12)");
//! ```
#![deny(missing_docs)]

pub mod decode;
pub mod error;
pub mod event;
pub mod exporter;
pub mod input;
pub mod lan;
pub mod ops;
pub mod parse;
pub mod source;
pub mod tables;
pub mod watch;

pub use decode::{SelRecord, Severity};
pub use error::Error;
pub use event::Event;
pub use source::{AnySource, SelSource};
