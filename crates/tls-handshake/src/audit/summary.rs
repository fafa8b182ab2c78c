//! The `--summary` aggregation: connections counted by (client, server,
//! port, transport, SNI, version, the client's highest offered version,
//! server certificate), with first and last seen.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::net::IpAddr;

use serde::Serialize;

use super::conn::{Connection, rfc3339_micros};
use crate::Version;
use crate::ja4::Transport;
use crate::tracker::FlowHasher;

/// `--summary` key: who talks to which service with which version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SummaryKey {
    version: Option<Version>,
    client_version: Option<Version>,
    transport: Transport,
    client_ip: IpAddr,
    server_ip: IpAddr,
    server_port: u16,
    sni: Option<String>,
    /// Boxed, `None` without a certificate (most keys): a smaller key is
    /// cheaper to move into the table and to merge.
    cert: Option<Box<CertKey>>,
}

/// The certificate part of a [`SummaryKey`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CertKey {
    cn: Option<String>,
    not_after: Option<String>,
    flags: Option<String>,
}

impl CertKey {
    /// `None` when the connection has none of the three columns.
    fn of(c: &Connection) -> Option<Box<CertKey>> {
        let k = CertKey {
            cn: c.cert_cn.clone(),
            not_after: c.cert_not_after.clone(),
            flags: c.cert_flags(),
        };
        (k.cn.is_some() || k.not_after.is_some() || k.flags.is_some()).then(|| Box::new(k))
    }
}

/// One `--summary` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    /// Negotiated version (`null`: no ServerHello captured).
    pub version: Option<String>,
    /// Highest version the client offered (`null`: no ClientHello
    /// captured); what the row is ranked by when `version` is `null`.
    pub client_version: Option<String>,
    /// Client address.
    pub client_ip: IpAddr,
    /// Server address.
    pub server_ip: IpAddr,
    /// Server port.
    pub server_port: u16,
    /// `tcp` or `quic`.
    pub transport: Transport,
    /// Server name (SNI).
    pub sni: Option<String>,
    /// The server certificate's subject common name (TLS <= 1.2).
    pub cert_cn: Option<String>,
    /// The server certificate's end of validity.
    pub cert_not_after: Option<String>,
    /// The certificate's flags that are set (`expired`, `weak_key`,
    /// `weak_signature`, `self_signed`), `,`-joined; empty when none.
    pub cert_flags: Option<String>,
    /// Number of connections.
    pub connections: u64,
    /// First connection, RFC 3339 UTC.
    pub first_seen: String,
    /// Last connection, RFC 3339 UTC.
    pub last_seen: String,
}

/// Aggregates connections by (client, server, port, transport, SNI,
/// version, highest offered version, server certificate).
#[derive(Default, Debug)]
pub struct Summary {
    /// Hashed with [`FlowHasher`]: on a connection-dense capture there is a
    /// group per connection, and SipHash over the key's strings was a tenth
    /// of `--summary`'s time.
    groups: HashMap<SummaryKey, (u64, i64, i64), BuildHasherDefault<FlowHasher>>,
}

impl Summary {
    /// Counts one connection.
    pub fn add(&mut self, c: &Connection) {
        let key = SummaryKey {
            version: c.version_raw,
            client_version: c.client_version_raw,
            client_ip: c.client_ip,
            server_ip: c.server_ip,
            server_port: c.server_port,
            transport: c.transport,
            sni: c.sni.clone(),
            cert: CertKey::of(c),
        };
        let e = self.groups.entry(key).or_insert((0, i64::MAX, i64::MIN));
        e.0 += 1;
        e.1 = e.1.min(c.first_seen_ns);
        e.2 = e.2.max(c.first_seen_ns);
    }

    /// Adds another summary's counts.
    pub fn merge(&mut self, other: Summary) {
        for (k, (n, first, last)) in other.groups {
            let e = self.groups.entry(k).or_insert((0, i64::MAX, i64::MIN));
            e.0 += n;
            e.1 = e.1.min(first);
            e.2 = e.2.max(last);
        }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The rows, weakest version first, then by most connections, then by
    /// addresses. A row is ranked by its negotiated version or, when no
    /// ServerHello was captured, by the highest version the client offered
    /// (as [`Connection::effective_version`]: a client that offers only
    /// SSL 3.0 is an SSL 3.0 problem whether or not a server answered); at
    /// equal rank an answered row comes first.
    pub fn rows(&self) -> Vec<SummaryRow> {
        let mut v: Vec<(&SummaryKey, &(u64, i64, i64))> = self.groups.iter().collect();
        v.sort_by(|(a, ca), (b, cb)| {
            let rank = |k: &SummaryKey| {
                k.version
                    .or(k.client_version)
                    .map_or(u32::MAX, |v| v.rank())
            };
            rank(a)
                .cmp(&rank(b))
                .then(a.version.is_none().cmp(&b.version.is_none()))
                .then(cb.0.cmp(&ca.0))
                .then(a.client_ip.cmp(&b.client_ip))
                .then(a.server_ip.cmp(&b.server_ip))
                .then(a.server_port.cmp(&b.server_port))
                .then(a.transport.as_str().cmp(b.transport.as_str()))
                .then(a.sni.cmp(&b.sni))
                .then_with(|| cert_order(&a.cert, &b.cert))
                .then(a.version.cmp(&b.version))
                .then(a.client_version.cmp(&b.client_version))
        });
        v.into_iter()
            .map(|(k, &(n, first, last))| SummaryRow {
                version: k.version.map(|v| v.name().into_owned()),
                client_version: k.client_version.map(|v| v.name().into_owned()),
                client_ip: k.client_ip,
                server_ip: k.server_ip,
                server_port: k.server_port,
                transport: k.transport,
                sni: k.sni.clone(),
                cert_cn: k.cert.as_ref().and_then(|c| c.cn.clone()),
                cert_not_after: k.cert.as_ref().and_then(|c| c.not_after.clone()),
                cert_flags: k.cert.as_ref().and_then(|c| c.flags.clone()),
                connections: n,
                first_seen: rfc3339_micros(first),
                last_seen: rfc3339_micros(last),
            })
            .collect()
    }
}

/// Orders certificate keys as their three columns would (`None` first).
fn cert_order(a: &Option<Box<CertKey>>, b: &Option<Box<CertKey>>) -> std::cmp::Ordering {
    fn cols(k: &Option<Box<CertKey>>) -> (Option<&String>, Option<&String>, Option<&String>) {
        k.as_deref().map_or((None, None, None), |c| {
            (c.cn.as_ref(), c.not_after.as_ref(), c.flags.as_ref())
        })
    }
    cols(a).cmp(&cols(b))
}
