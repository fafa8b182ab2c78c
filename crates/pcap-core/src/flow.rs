//! Direction-independent flow keys.

use std::net::IpAddr;

/// A 5-tuple that is the same for both directions of a conversation: the
/// endpoints are stored in a canonical order (lower `(ip, port)` first).
///
/// ```
/// use pcap_core::FlowKey;
/// let a = "10.0.0.1".parse().unwrap();
/// let b = "192.0.2.7".parse().unwrap();
/// let there = FlowKey::new(a, 51000, b, 443, 6);
/// let back = FlowKey::new(b, 443, a, 51000, 6);
/// assert_eq!(there, back);
/// assert!(there.is_from_lower(a, 51000));
/// assert!(!back.is_from_lower(b, 443));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    lower_ip: IpAddr,
    lower_port: u16,
    upper_ip: IpAddr,
    upper_port: u16,
    proto: u8,
}

impl FlowKey {
    /// The key of the flow a packet from `src` to `dst` belongs to.
    #[inline]
    pub fn new(src_ip: IpAddr, src_port: u16, dst_ip: IpAddr, dst_port: u16, proto: u8) -> FlowKey {
        if (src_ip, src_port) <= (dst_ip, dst_port) {
            FlowKey {
                lower_ip: src_ip,
                lower_port: src_port,
                upper_ip: dst_ip,
                upper_port: dst_port,
                proto,
            }
        } else {
            FlowKey {
                lower_ip: dst_ip,
                lower_port: dst_port,
                upper_ip: src_ip,
                upper_port: src_port,
                proto,
            }
        }
    }

    /// The endpoint that sorts first.
    pub fn lower(&self) -> (IpAddr, u16) {
        (self.lower_ip, self.lower_port)
    }

    /// The endpoint that sorts last.
    pub fn upper(&self) -> (IpAddr, u16) {
        (self.upper_ip, self.upper_port)
    }

    /// The IP protocol (6 TCP, 17 UDP, ...).
    pub fn proto(&self) -> u8 {
        self.proto
    }

    /// Whether a packet sent from `(src_ip, src_port)` travels from the
    /// lower endpoint to the upper one (tells the two directions apart).
    pub fn is_from_lower(&self, src_ip: IpAddr, src_port: u16) -> bool {
        (src_ip, src_port) == (self.lower_ip, self.lower_port)
    }
}
