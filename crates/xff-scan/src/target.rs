//! Target addresses and networks: what `--ip` accepts.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One `--ip` value: a single address or a CIDR network, IPv4 or IPv6.
///
/// A bare address is a network with a full-length prefix (/32 or /128).
/// IPv4-mapped IPv6 addresses in headers (`::ffff:192.0.2.1`) match the
/// IPv4 target, because proxies write them that way for IPv4 clients on
/// dual-stack sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    net: IpAddr,
    prefix: u8,
}

/// Why an `--ip` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid --ip value {value:?}: {reason}; expected an address or CIDR such as 192.0.2.7, 10.0.0.0/8 or 2001:db8::/32"
)]
pub struct TargetError {
    /// The rejected text.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Target {
    /// A network from an address and a prefix length; host bits are cleared.
    ///
    /// Returns `None` if the prefix is longer than the address (32 / 128).
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Target> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return None;
        }
        Some(Target {
            net: mask(addr, prefix),
            prefix,
        })
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.net
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = unmap(ip);
        match (self.net, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.net
            }
            _ => false,
        }
    }
}

/// `::ffff:a.b.c.d` becomes `a.b.c.d`; everything else is unchanged.
pub(crate) fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Target, TargetError> {
        let err = |reason| TargetError {
            value: s.to_string(),
            reason,
        };
        let t = s.trim();
        // Accept the bracketed form people paste from URLs: [2001:db8::1]
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => {
                let p: u8 = p
                    .parse()
                    .map_err(|_| err("the prefix length is not a number"))?;
                (a, Some(p))
            }
            None => (t, None),
        };
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let ip: IpAddr = addr.parse().map_err(|_| err("not an IP address"))?;
        let ip = unmap(ip);
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        Target::new(ip, prefix).ok_or_else(|| err("the prefix length is longer than the address"))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = if self.net.is_ipv4() { 32 } else { 128 };
        if self.prefix == full {
            write!(f, "{}", self.net)
        } else {
            write!(f, "{}/{}", self.net, self.prefix)
        }
    }
}

/// A set of targets; an address matches if any target contains it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSet {
    targets: Vec<Target>,
}

impl TargetSet {
    /// A set from targets.
    pub fn new(targets: impl IntoIterator<Item = Target>) -> TargetSet {
        TargetSet {
            targets: targets.into_iter().collect(),
        }
    }

    /// Parses each string as a [`Target`].
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<TargetSet, TargetError> {
        values
            .iter()
            .map(|v| v.as_ref().parse())
            .collect::<Result<Vec<_>, _>>()
            .map(TargetSet::new)
    }

    /// The targets.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Whether no target was given.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Whether any target contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.targets.iter().any(|t| t.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn single_addresses_and_networks() {
        let t: Target = "192.0.2.7".parse().unwrap();
        assert!(t.contains(ip("192.0.2.7")));
        assert!(!t.contains(ip("192.0.2.8")));
        assert!(t.contains(ip("::ffff:192.0.2.7")));

        let n: Target = "10.1.2.3/20".parse().unwrap();
        assert_eq!(n.to_string(), "10.1.0.0/20");
        assert!(n.contains(ip("10.1.15.255")));
        assert!(!n.contains(ip("10.1.16.0")));
        assert!(!n.contains(ip("::a01:0")));

        let v6: Target = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));

        let b: Target = "[2001:db8::1]".parse().unwrap();
        assert!(b.contains(ip("2001:DB8:0:0::1")));

        let all: Target = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("255.255.255.255")));
        assert!(!all.contains(ip("::1")));
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let e = "10.0.0.0/33".parse::<Target>().unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/33"), "{e}");
        assert!(e.to_string().contains("longer"), "{e}");
        let e = "example.com".parse::<Target>().unwrap_err();
        assert!(e.to_string().contains("not an IP address"), "{e}");
        assert!("10.0.0.0/x".parse::<Target>().is_err());
        assert!("2001:db8::/129".parse::<Target>().is_err());
    }
}
