//! Find client addresses hidden in X-Forwarded-For, Forwarded and X-Real-IP headers in captures.
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//!
//! The matching core works on TCP payload byte slices and needs no capture:
//!
//! ```
//! use xff_scan::{Matcher, TargetSet, default_headers};
//!
//! let targets = TargetSet::parse(&["203.0.113.0/24"]).unwrap();
//! let m = Matcher::new(default_headers(), Some(targets));
//! let payload = b"GET /cart HTTP/1.1\r\nHost: shop.example\r\n\
//!                 X-Forwarded-For: 203.0.113.9, 10.0.0.1\r\n\r\n";
//! let mut hits = Vec::new();
//! assert!(m.scan_payload(payload, &mut hits).is_none()); // header block complete
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].client_ip.to_string(), "203.0.113.9");
//! assert_eq!(hits[0].position, 0); // the original client
//! assert_eq!(m.headers()[hits[0].header].name(), "X-Forwarded-For");
//! assert_eq!(hits[0].host.as_deref(), Some("shop.example"));
//! ```
//!
//! Over captures (via `pcap-core`):
//!
//! * [`scan::scan_capture`] / [`scan::scan_capture_parallel`]: the default
//!   scan. `memmem` for `" HTTP/1."` runs right ahead of the record walk and
//!   only packets containing it are decoded; header blocks split across
//!   segments are joined by a bounded per-flow carry-over. Its module docs
//!   explain the design and what it cannot find.
//! * [`reassemble::scan_capture_reassembled`]: `--reassemble`, full
//!   per-direction TCP reassembly into a streaming request parser
//!   ([`RequestStream`]).
//! * [`report::run`]: the whole `xff-scan` command as one call (what the
//!   binary prints, as data): every match in file order, `--summary`
//!   conversations completed by a second pass, `--write`, `--list` counts.
//! * [`batch`]: its parts: many files on all cores, conversations, the
//!   second pass, client counts, the conversation capture writer.
#![deny(missing_docs)]

pub mod batch;
mod headers;
mod http;
pub mod reassemble;
pub mod report;
pub mod requests;
pub mod scan;
mod search;
mod target;

pub use headers::{HeaderSpec, Syntax, default_headers, for_each_address, parse_node};
pub use http::{
    Carry, Hit, MAX_CARRY_LINE, MAX_STREAM_HOLD, Matcher, REQUEST_LINE_NEEDLE, RequestStream,
};
pub use target::{Target, TargetError, TargetSet};
