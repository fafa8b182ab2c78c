//! TLS fixtures: hello messages and records ([`hello`]), test certificates
//! ([`certs`]), captures of whole conversations ([`capture`]:
//! `testdata/tls/` and the benchmark capture) and QUIC Initial packets
//! encrypted with known keys ([`quic`]).

pub mod capture;
pub mod certs;
pub mod hello;
pub mod quic;
