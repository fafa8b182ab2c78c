//! TLS fixtures: hello messages and records ([`hello`]) and captures of
//! whole conversations ([`capture`]: `testdata/tls/` and the benchmark
//! capture).

pub mod capture;
pub mod hello;
