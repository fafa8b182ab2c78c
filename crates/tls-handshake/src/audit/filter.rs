//! tshark-style filters over the audit's rows: the server's address or
//! network, either side's port, the SNI (a case-insensitive glob) and a
//! time range over `first_seen`.
//!
//! Every [`Filter`] field is a list of alternatives (any may match; an empty
//! list matches everything) and the fields must all match. The scan also
//! uses the filter to skip work early (see [`Filter::packet_may_match`],
//! [`Filter::skip_before_ns`], [`Filter::is_late`]): frames that cannot
//! belong to a matching connection are not given to the trackers, and a
//! sequential scan stops reading once it is past `until` with no handshake
//! in progress. The rows are always checked with [`Filter::matches`], so
//! the early skips only save time.
//!
//! ```
//! use tls_handshake::audit::filter::{Filter, Network, SniGlob, parse_time};
//!
//! let f = Filter {
//!     servers: vec!["192.0.2.0/24".parse().unwrap()],
//!     ports: vec![443],
//!     sni: vec![SniGlob::new("*.Example.com").unwrap()],
//!     since_ns: Some(parse_time("2026-11-25").unwrap()),
//!     until_ns: Some(parse_time("2026-11-25 12:00").unwrap()),
//! };
//! f.check().unwrap();
//! assert!(f.servers[0].contains("192.0.2.77".parse().unwrap()));
//! assert!(f.sni[0].matches("www.example.COM"));
//! assert!(!f.sni[0].matches("example.com"));
//! ```

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::conn::Connection;

/// Why a filter value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not an IP address, or `ADDR/PREFIX` with a bad prefix.
    #[error(
        "{0:?} is not an address or network; use ADDR or ADDR/PREFIX (192.0.2.10, 10.0.0.0/8, 2001:db8::/32)"
    )]
    BadNetwork(String),
    /// A prefix longer than the address.
    #[error("{value:?}: prefix /{prefix} is longer than the {bits}-bit address")]
    BadPrefix {
        /// The value given.
        value: String,
        /// Its prefix length.
        prefix: u32,
        /// Bits of its address family.
        bits: u32,
    },
    /// Not one of the accepted time forms.
    #[error(
        "{0:?} is not a time; use RFC 3339 (2026-11-25T09:30:00Z) or YYYY-MM-DD[ HH:MM[:SS]] in UTC"
    )]
    BadTime(String),
    /// An empty SNI pattern.
    #[error("empty SNI pattern; use a host name or a glob such as *.example.com")]
    EmptyGlob,
    /// `since` is not before `until`: nothing can match.
    #[error("--since {since} is not before --until {until}: the range [since, until) is empty")]
    EmptyRange {
        /// `since`, RFC 3339.
        since: String,
        /// `until`, RFC 3339.
        until: String,
    },
}

/// An IP network: an address and a prefix length (`192.0.2.0/24`,
/// `2001:db8::/32`; a bare address is a /32 or /128). Host bits after the
/// prefix are ignored, as in tshark's `ip.addr == 10.1.2.3/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u32,
}

impl Network {
    /// The network of `addr` with `prefix` bits (at most 32 for IPv4, 128
    /// for IPv6).
    pub fn new(addr: IpAddr, prefix: u32) -> Result<Network, FilterError> {
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > bits {
            return Err(FilterError::BadPrefix {
                value: format!("{addr}/{prefix}"),
                prefix,
                bits,
            });
        }
        Ok(Network { addr, prefix })
    }

    /// True when `ip` lies in the network (same address family).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                (u32::from(n) ^ u32::from(a)) & mask == 0
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                (u128::from(n) ^ u128::from(a)) & mask == 0
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Network, FilterError> {
        let bad = || FilterError::BadNetwork(s.to_owned());
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| bad())?;
        let prefix = match p {
            None => {
                if addr.is_ipv4() {
                    32
                } else {
                    128
                }
            }
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        Network::new(addr, prefix).map_err(|e| match e {
            FilterError::BadPrefix { prefix, bits, .. } => FilterError::BadPrefix {
                value: s.to_owned(),
                prefix,
                bits,
            },
            e => e,
        })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A case-insensitive glob over server names: `*` matches any run of
/// characters (dots included: `*.example.com` matches `a.b.example.com`
/// but not `example.com`), `?` exactly one; everything else matches itself
/// (ASCII case folded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SniGlob {
    pattern: Vec<u8>,
}

impl SniGlob {
    /// The glob `pattern` (not empty).
    pub fn new(pattern: &str) -> Result<SniGlob, FilterError> {
        if pattern.is_empty() {
            return Err(FilterError::EmptyGlob);
        }
        Ok(SniGlob {
            pattern: pattern.bytes().map(|b| b.to_ascii_lowercase()).collect(),
        })
    }

    /// True when `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let (p, s) = (&self.pattern[..], name.as_bytes());
        // The classic linear-time wildcard match: on a mismatch, go back to
        // the last `*` and let it swallow one more character.
        let (mut pi, mut si) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            match p.get(pi) {
                Some(b'*') => {
                    star = Some((pi, si));
                    pi += 1;
                }
                Some(&c) if c == b'?' || c == s[si].to_ascii_lowercase() => {
                    pi += 1;
                    si += 1;
                }
                _ => match star {
                    Some((sp, ss)) => {
                        pi = sp + 1;
                        si = ss + 1;
                        star = Some((sp, ss + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|&c| c == b'*')
    }
}

impl FromStr for SniGlob {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<SniGlob, FilterError> {
        SniGlob::new(s)
    }
}

impl fmt::Display for SniGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.pattern))
    }
}

/// Which connections to report. Within a field any value may match (an
/// empty list matches all); all fields must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// The server's address lies in one of these networks.
    pub servers: Vec<Network>,
    /// The client's or the server's port is one of these.
    pub ports: Vec<u16>,
    /// The SNI matches one of these globs (a connection without SNI never
    /// matches when any is given).
    pub sni: Vec<SniGlob>,
    /// `first_seen` is at or after this (ns since the epoch, UTC).
    pub since_ns: Option<i64>,
    /// `first_seen` is before this (ns since the epoch, UTC).
    pub until_ns: Option<i64>,
}

impl Filter {
    /// True when the filter lets every connection through.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
            && self.ports.is_empty()
            && self.sni.is_empty()
            && self.since_ns.is_none()
            && self.until_ns.is_none()
    }

    /// Refuses a filter nothing can match: `since` not before `until`.
    pub fn check(&self) -> Result<(), FilterError> {
        if let (Some(s), Some(u)) = (self.since_ns, self.until_ns)
            && s >= u
        {
            // Whole seconds without a fraction, as the user wrote them.
            let show = |t: i64| {
                let digits = if t % 1_000_000_000 == 0 { 0 } else { 9 };
                pcap_core::time::format_rfc3339(t, digits)
            };
            return Err(FilterError::EmptyRange {
                since: show(s),
                until: show(u),
            });
        }
        Ok(())
    }

    /// True when the connection passes every field.
    pub fn matches(&self, c: &Connection) -> bool {
        (self.servers.is_empty() || self.servers.iter().any(|n| n.contains(c.server_ip)))
            && (self.ports.is_empty()
                || self
                    .ports
                    .iter()
                    .any(|&p| p == c.client_port || p == c.server_port))
            && (self.sni.is_empty()
                || c.sni
                    .as_deref()
                    .is_some_and(|s| self.sni.iter().any(|g| g.matches(s))))
            && self.since_ns.is_none_or(|t| c.first_seen_ns >= t)
            && self.until_ns.is_none_or(|t| c.first_seen_ns < t)
    }

    /// True unless the address and port fields rule out every connection a
    /// packet between (`src`, `sport`) and (`dst`, `dport`) could belong to
    /// (its server is one of the two addresses, its ports are the two
    /// ports). Such packets are not given to the trackers.
    #[inline]
    pub fn packet_may_match(&self, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> bool {
        (self.servers.is_empty()
            || self
                .servers
                .iter()
                .any(|n| n.contains(src) || n.contains(dst)))
            && (self.ports.is_empty() || self.ports.iter().any(|&p| p == sport || p == dport))
    }

    /// Frames before this time (ns) are skipped unread: `since` less
    /// `margin`, the trackers' idle timeout and a second, so that a
    /// handshake that started before `since` is still seen as such (and
    /// not reported as a new one when its rest comes after `since`) unless
    /// it was idle long enough to be evicted anyway.
    pub fn skip_before_ns(&self, idle_timeout_ns: i64) -> Option<i64> {
        self.since_ns
            .map(|t| t.saturating_sub(Self::margin(idle_timeout_ns)))
    }

    /// True for a frame at or after `until`: it cannot start a connection
    /// that matches (only finish one already started).
    #[inline]
    pub fn is_late(&self, ts_ns: i64) -> bool {
        self.until_ns.is_some_and(|t| ts_ns >= t)
    }

    /// True for a frame so far past `until` (more than the idle timeout
    /// and a second) that a scan with no handshake in progress can stop:
    /// the margin tolerates captures whose frames are slightly out of
    /// time order.
    #[inline]
    pub fn is_past_end(&self, ts_ns: i64, idle_timeout_ns: i64) -> bool {
        self.until_ns
            .is_some_and(|t| ts_ns >= t.saturating_add(Self::margin(idle_timeout_ns)))
    }

    fn margin(idle_timeout_ns: i64) -> i64 {
        idle_timeout_ns.max(0).saturating_add(1_000_000_000)
    }
}

/// Parses a time for `--since`/`--until` into ns since the epoch: RFC
/// 3339 (`2026-11-25T09:30:00Z`, `2026-11-25T09:30:00.25+01:00`; `t`, `z`
/// and a space for `T` accepted) or, in UTC, `YYYY-MM-DD`,
/// `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS[.frac]` (`T` in place of the
/// space too). Years 1678 to 2261 (the range of i64 nanoseconds).
pub fn parse_time(s: &str) -> Result<i64, FilterError> {
    pcap_core::time::parse_rfc3339(s.trim()).ok_or_else(|| FilterError::BadTime(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_core::time::format_rfc3339;
    use proptest::prelude::*;

    fn net(s: &str) -> Network {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = net("10.0.0.0/8");
        assert!(n.contains("10.255.1.2".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(
            !n.contains("::ffff:10.0.0.1".parse().unwrap()),
            "families differ"
        );
        // Host bits are ignored.
        assert!(net("10.1.2.3/8").contains("10.9.9.9".parse().unwrap()));
        assert!(net("0.0.0.0/0").contains("192.0.2.1".parse().unwrap()));
        let one = net("192.0.2.10");
        assert!(one.contains("192.0.2.10".parse().unwrap()));
        assert!(!one.contains("192.0.2.11".parse().unwrap()));
        let v6 = net("2001:db8::/32");
        assert!(v6.contains("2001:db8:1::13".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(net("::/0").contains("::1".parse().unwrap()));
        assert!(net("2001:db8::1/128").contains("2001:db8::1".parse().unwrap()));
        assert_eq!(net("10.0.0.0/8").to_string(), "10.0.0.0/8");
    }

    #[test]
    fn bad_networks_are_refused_with_the_value() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/",
            "10.0.0.0/x",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "host",
            "10.0.0.0/ 8",
            "10.0.0.0/0008",
        ] {
            let e = bad.parse::<Network>().unwrap_err();
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
        let e = "10.0.0.0/33".parse::<Network>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"10.0.0.0/33\": prefix /33 is longer than the 32-bit address"
        );
        assert!("2001:db8::/129".parse::<Network>().is_err());
        assert!("2001:db8::/128".parse::<Network>().is_ok());
    }

    #[test]
    fn globs_match_case_insensitively() {
        let g = SniGlob::new("*.Example.com").unwrap();
        assert!(g.matches("www.example.com"));
        assert!(g.matches("A.B.EXAMPLE.COM"));
        assert!(!g.matches("example.com"));
        assert!(!g.matches("www.example.com.evil"));
        assert!(!g.matches("wwwexample.com"));
        let q = SniGlob::new("api-?.example.*").unwrap();
        assert!(q.matches("api-1.example.org"));
        assert!(!q.matches("api-12.example.org"));
        assert!(SniGlob::new("*").unwrap().matches(""));
        assert!(SniGlob::new("a**b").unwrap().matches("ab"));
        assert!(SniGlob::new("*a*b*").unwrap().matches("xxaxxbxx"));
        assert!(!SniGlob::new("*a*b").unwrap().matches("xxbxxa"));
        assert!(SniGlob::new("exact.host").unwrap().matches("EXACT.host"));
        assert!(!SniGlob::new("exact.host").unwrap().matches("exact.hos"));
        assert_eq!(SniGlob::new("").unwrap_err(), FilterError::EmptyGlob);
    }

    #[test]
    fn times_parse_in_every_documented_form() {
        let t = |s| parse_time(s).unwrap();
        // 2026-11-25 00:00:00 UTC = 1795564800 s.
        let day = 1_795_564_800_000_000_000;
        assert_eq!(t("2026-11-25"), day);
        assert_eq!(
            t("2026-11-25 09:30"),
            day + (9 * 3600 + 30 * 60) * 1_000_000_000
        );
        assert_eq!(
            t("2026-11-25 09:30:15"),
            day + (9 * 3600 + 30 * 60 + 15) * 1_000_000_000
        );
        assert_eq!(t("2026-11-25T09:30:15Z"), t("2026-11-25 09:30:15"));
        assert_eq!(t("2026-11-25t09:30:15z"), t("2026-11-25 09:30:15"));
        assert_eq!(
            t("2026-11-25T09:30:15.25Z"),
            t("2026-11-25 09:30:15") + 250_000_000
        );
        assert_eq!(
            t("2026-11-25T09:30:15.123456789123Z"),
            t("2026-11-25 09:30:15") + 123_456_789
        );
        assert_eq!(t("2026-11-25T10:30:15+01:00"), t("2026-11-25T09:30:15Z"));
        assert_eq!(t("2026-11-25T08:00:15-01:30"), t("2026-11-25T09:30:15Z"));
        assert_eq!(t("2000-02-29"), 951_782_400_000_000_000);
        assert_eq!(t("1970-01-01"), 0);
        assert!(t("1969-12-31 23:59:59") < 0);
        assert_eq!(t("  2026-11-25  "), day);
    }

    #[test]
    fn bad_times_are_refused_with_the_value() {
        for bad in [
            "",
            "yesterday",
            "2026-11-25T",
            "2026-11-25 9:30",
            "2026-13-01",
            "2026-02-29",
            "2026-11-31",
            "2026-11-25 24:00",
            "2026-11-25 12:60",
            "2026-11-25 12:00:60",
            "2026-11-25 12:00:00.",
            "2026-11-25 12:00:00Zjunk",
            "2026-11-25T12:00:00+0100",
            "2026/11/25",
            "1600-01-01",
            "9999-01-01",
            "1795564800",
        ] {
            let e = parse_time(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn an_empty_range_is_refused() {
        let at = |s| Some(parse_time(s).unwrap());
        let f = Filter {
            since_ns: at("2026-11-25 10:00"),
            until_ns: at("2026-11-25 09:00"),
            ..Filter::default()
        };
        assert_eq!(
            f.check().unwrap_err().to_string(),
            "--since 2026-11-25T10:00:00Z is not before --until 2026-11-25T09:00:00Z: the range [since, until) is empty"
        );
        let same = Filter {
            since_ns: at("2026-11-25"),
            until_ns: at("2026-11-25"),
            ..Filter::default()
        };
        assert!(same.check().is_err(), "half-open: [t, t) is empty");
        let frac = Filter {
            since_ns: Some(1_500_000_000),
            until_ns: Some(1_000_000_000),
            ..Filter::default()
        };
        assert!(frac.check().unwrap_err().to_string().starts_with(
            "--since 1970-01-01T00:00:01.500000000Z is not before --until 1970-01-01T00:00:01Z"
        ),);
        let ok = Filter {
            since_ns: at("2026-11-25"),
            until_ns: at("2026-11-26"),
            ..Filter::default()
        };
        assert!(ok.check().is_ok());
        assert!(Filter::default().check().is_ok());
        assert!(Filter::default().is_empty());
        assert!(!ok.is_empty());
    }

    #[test]
    fn packets_are_ruled_out_only_when_no_row_could_match() {
        let f = Filter {
            servers: vec![net("192.0.2.0/24")],
            ports: vec![443, 8443],
            ..Filter::default()
        };
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let s: IpAddr = "192.0.2.9".parse().unwrap();
        assert!(f.packet_may_match(a, 50000, s, 443));
        assert!(f.packet_may_match(s, 443, a, 50000), "either direction");
        assert!(!f.packet_may_match(a, 50000, a, 443), "no server address");
        assert!(!f.packet_may_match(a, 50000, s, 80), "no wanted port");
        assert!(Filter::default().packet_may_match(a, 1, a, 2));
        let t = Filter {
            since_ns: Some(100_000_000_000),
            until_ns: Some(200_000_000_000),
            ..Filter::default()
        };
        assert_eq!(t.skip_before_ns(60_000_000_000), Some(39_000_000_000));
        assert!(!t.is_late(199_999_999_999));
        assert!(t.is_late(200_000_000_000));
        assert!(!t.is_past_end(260_000_000_000, 60_000_000_000));
        assert!(t.is_past_end(261_000_000_000, 60_000_000_000));
        assert_eq!(Filter::default().skip_before_ns(1), None);
    }

    proptest! {
        #[test]
        fn formatted_times_parse_back(ts in -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000) {
            // The RFC 3339 form tls-audit prints reads back to the same
            // instant, truncated to the digits printed.
            for digits in [0u8, 6, 9] {
                let s = format_rfc3339(ts, digits);
                let unit = 10i64.pow(9 - u32::from(digits));
                prop_assert_eq!(parse_time(&s).unwrap(), ts.div_euclid(unit) * unit, "{}", s);
            }
        }

        #[test]
        fn time_parser_never_panics(s in ".{0,40}", d in "[0-9: TZ.+-]{0,30}") {
            let _ = parse_time(&s);
            let _ = parse_time(&format!("2026-11-25{d}"));
        }

        #[test]
        fn network_parser_never_panics_and_contains_its_address(
            s in ".{0,50}", v4 in any::<u32>(), v6 in any::<u128>(), p in 0u32..200,
        ) {
            let _ = s.parse::<Network>();
            let a = IpAddr::from(std::net::Ipv4Addr::from(v4));
            match format!("{a}/{p}").parse::<Network>() {
                Ok(n) => prop_assert!(p <= 32 && n.contains(a)),
                Err(_) => prop_assert!(p > 32),
            }
            let b = IpAddr::from(std::net::Ipv6Addr::from(v6));
            match format!("{b}/{p}").parse::<Network>() {
                Ok(n) => prop_assert!(p <= 128 && n.contains(b) && !n.contains(a)),
                Err(_) => prop_assert!(p > 128),
            }
        }

        #[test]
        fn glob_agrees_with_a_simple_recursive_matcher(p in "[ab.*?]{0,8}", s in "[abAB.]{0,10}") {
            fn slow(p: &[u8], s: &[u8]) -> bool {
                match p.split_first() {
                    None => s.is_empty(),
                    Some((b'*', rest)) => (0..=s.len()).any(|i| slow(rest, &s[i..])),
                    Some((&c, rest)) => s.split_first().is_some_and(|(&x, srest)| {
                        (c == b'?' || c == x.to_ascii_lowercase()) && slow(rest, srest)
                    }),
                }
            }
            match SniGlob::new(&p) {
                Ok(g) => prop_assert_eq!(g.matches(&s), slow(p.as_bytes(), s.as_bytes())),
                Err(_) => prop_assert!(p.is_empty()),
            }
        }
    }
}
