//! Zero-copy TLS record and handshake parsing (ClientHello, ServerHello, JA4)
//! with bounded per-flow reassembly. No I/O, no packet decoding: callers hand
//! in TCP payloads (see `pcap-core` for reading captures).
//!
//! Part of netops-kit; see `docs/ARCHITECTURE.md` for how this crate fits.
//!
//! * [`hello`]: [`ClientHello`] / [`ServerHello`] views over message bytes:
//!   versions (legacy and `supported_versions`), SNI, ALPN, cipher suites,
//!   extensions, GREASE; SSLv2-compatible CLIENT-HELLO; HelloRetryRequest.
//! * [`record`]: record walking, content sniffing ([`record::sniff`]) and
//!   the scan of one direction's stream for its first hello, across several
//!   records and with several records per segment.
//! * [`tracker`]: per-flow reassembly of the first bytes of each direction
//!   with hard caps per flow and in total, eviction on FIN/RST/idle, and the
//!   hand-over of unfinished flows between chunks of one capture.
//! * [`ja4`]: the JA4 TLS client fingerprint and JA4S, the ServerHello's.
//! * [`quic`]: QUIC Initial packets (v1, v2, draft-29): Initial keys from the
//!   client's Destination Connection ID, header protection, AES-128-GCM,
//!   CRYPTO frame reassembly, and a [`quic::QuicTracker`] giving the same
//!   handshake rows as the TCP tracker.
//! * [`cert`]: the server's certificate chain (TLS <= 1.2, in the clear)
//!   and the facts about its leaf (with the feature `certs`, on with
//!   `audit`: parsed by `x509-parser`).
//! * [`tds`]: TLS handshakes wrapped in TDS PRELOGIN packets (SQL Server).
//! * `audit` (only with the opt-in cargo feature `audit`, which pulls in
//!   `pcap-core` and `serde`): the capture audit behind the `tls-audit`
//!   tool: reads capture files, scans them on all cores and reports one row
//!   per TLS connection. Without the feature this crate does no I/O and
//!   depends only on `thiserror`, `sha2` and, for QUIC, the RustCrypto
//!   `hkdf`, `aes` and `aes-gcm`.
//!
//! ```
//! use tls_handshake::{ClientHello, Version, record::{scan_client, Progress}};
//! use netops_testkit::tls::hello::{ClientSpec, client_hello_record};
//!
//! let bytes = client_hello_record(&ClientSpec::tls13("example.org"));
//! let Progress::Done((sni, highest)) = scan_client(&bytes, |h: &ClientHello<'_>| {
//!     (h.sni().map(<[u8]>::to_vec), h.highest_version())
//! }) else { panic!("not a complete hello") };
//! assert_eq!(sni.as_deref(), Some(&b"example.org"[..]));
//! assert_eq!(highest, Version::TLS13);
//! ```
#![deny(missing_docs)]

#[cfg(feature = "audit")]
pub mod audit;
pub mod cert;
mod error;
pub mod hello;
pub mod ja4;
pub mod quic;
mod reader;
pub mod record;
pub mod tds;
pub mod tracker;
mod version;

pub use error::ParseError;
pub use hello::{ClientHello, ServerHello};
pub use ja4::Transport;
pub use version::{Version, cipher_name, is_grease};
