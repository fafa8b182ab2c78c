//! The Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP over IPv4
//! and IPv6 (with their pseudo-headers).

use std::net::IpAddr;

/// Adds `data` as big-endian 16-bit words to `acc` (an odd last byte is
/// padded with zero). Fold the result with [`fold`].
pub fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    acc
}

/// Folds the carries of a [`sum16`] and returns its one's complement: the
/// value to store in the checksum field.
pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The checksum of `data` alone (an IPv4 header with its checksum field zero).
pub fn internet(data: &[u8]) -> u16 {
    fold(sum16(data, 0))
}

/// The checksum of a transport segment (`segment` with its checksum field
/// zero) of protocol `proto` between `src` and `dst`: IPv4 addresses use
/// the 12-byte IPv4 pseudo-header, IPv6 ones the 40-byte IPv6
/// pseudo-header (an IPv4 address paired with an IPv6 one is mapped).
pub fn transport(src: IpAddr, dst: IpAddr, proto: u8, segment: &[u8]) -> u16 {
    let mut p = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, proto]);
            p.extend_from_slice(&(segment.len() as u16).to_be_bytes());
        }
        (s, d) => {
            p.extend_from_slice(&crate::frame::to_v6(s).octets());
            p.extend_from_slice(&crate::frame::to_v6(d).octets());
            p.extend_from_slice(&(segment.len() as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, proto]);
        }
    }
    fold(sum16(segment, sum16(&p, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of these words is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet(&data), !0xddf2);
    }

    #[test]
    fn a_header_with_its_checksum_sums_to_zero() {
        let mut h = [
            0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0,
            0xc7,
        ];
        let c = internet(&h);
        assert_eq!(c, 0xb861);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(internet(&h), 0);
    }
}
