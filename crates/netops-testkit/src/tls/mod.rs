//! TLS fixtures: hello messages and records ([`hello`]), test certificates
//! ([`certs`]) and captures of whole conversations ([`capture`]:
//! `testdata/tls/` and the benchmark capture).

pub mod capture;
pub mod certs;
pub mod hello;
