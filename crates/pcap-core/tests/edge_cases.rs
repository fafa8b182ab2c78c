//! Targeted cases for the reader and the decoder, each built by hand from
//! the format specifications.

use std::io::Write;
use std::net::IpAddr;

use netops_testkit::pcap::{FrameSpec, Link};
use pcap_core::writer::{PcapOptions, PcapWriter, PcapngWriter, TsResolution};
use pcap_core::{Capture, DecodeError, Endian, Error, L4, LinkType, decode};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn eth_ipv4_tcp(payload: &[u8]) -> Vec<u8> {
    FrameSpec::tcp(ip("10.0.0.1"), 1234, ip("10.0.0.2"), 80, payload.to_vec()).build()
}

#[test]
fn ethernet_padding_and_fcs_are_not_payload() {
    // 14 + 20 + 20 + 2 = 56 bytes; Ethernet pads to 60 and a trailing FCS adds 4.
    let mut f = eth_ipv4_tcp(b"hi");
    assert_eq!(f.len(), 56);
    f.extend_from_slice(&[0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
    let d = decode(LinkType::ETHERNET, &f).unwrap();
    let L4::Tcp(t) = d.l4 else {
        panic!("not tcp: {:?}", d.l4)
    };
    assert_eq!(t.payload, b"hi");
    assert_eq!((t.src_port, t.dst_port), (1234, 80));
}

#[test]
fn tcp_options_are_skipped_by_data_offset() {
    let mut s = FrameSpec::tcp(ip("10.0.0.1"), 1, ip("10.0.0.2"), 2, b"payload".to_vec());
    s.transport = netops_testkit::pcap::Transport::Tcp {
        sport: 1,
        dport: 2,
        flags: 0x12,
        opt_words: 10,
    };
    let f = s.build();
    let d = decode(LinkType::ETHERNET, &f).unwrap();
    let L4::Tcp(t) = d.l4 else { panic!() };
    assert_eq!(t.payload, b"payload");
    assert!(t.syn() && t.ack() && !t.fin() && !t.rst());
}

#[test]
fn tcp_data_offset_below_five_is_invalid() {
    let mut f = eth_ipv4_tcp(b"x");
    f[14 + 20 + 12] = 0x40; // data offset 4 words
    assert!(matches!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::Invalid { layer: "tcp", .. })
    ));
}

#[test]
fn snaplen_cut_inside_tcp_header_is_truncated_not_garbage() {
    let f = eth_ipv4_tcp(b"hello");
    let cut = &f[..14 + 20 + 10];
    match decode(LinkType::ETHERNET, cut) {
        Err(DecodeError::Truncated {
            layer: "tcp",
            offset: 34,
            needed: 20,
            available: 10,
        }) => {}
        other => panic!("{other:?}"),
    }
    // cut inside the payload: the payload slice is what was captured
    let d = decode(LinkType::ETHERNET, &f[..f.len() - 2]).unwrap();
    let L4::Tcp(t) = d.l4 else { panic!() };
    assert_eq!(t.payload, b"hel");
}

#[test]
fn ipv4_total_length_smaller_than_header_is_invalid() {
    let mut f = eth_ipv4_tcp(b"");
    f[14 + 2..14 + 4].copy_from_slice(&10u16.to_be_bytes());
    assert!(matches!(
        decode(LinkType::ETHERNET, &f),
        Err(DecodeError::Invalid { layer: "ipv4", .. })
    ));
}

#[test]
fn deep_vlan_stacks_are_counted_and_outer_tags_kept() {
    let s = FrameSpec {
        link: Link::Ethernet {
            vlans: vec![1, 2, 3, 4, 5, 6],
            qinq: true,
            mpls: vec![],
            pppoe: false,
        },
        ..FrameSpec::udp(
            ip("2001:db8::1"),
            53,
            ip("2001:db8::2"),
            5353,
            b"q".to_vec(),
        )
    };
    let frame = s.build();
    let d = decode(LinkType::ETHERNET, &frame).unwrap();
    assert_eq!(d.vlans.len(), 6);
    assert_eq!(d.vlans.ids().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(d.ports(), Some((53, 5353)));
    assert_eq!(d.ip_offset, 14 + 6 * 4);
}

#[test]
fn bsd_null_family_is_read_in_either_byte_order() {
    let raw = FrameSpec {
        link: Link::Raw,
        ..FrameSpec::udp(ip("10.0.0.1"), 1, ip("10.0.0.2"), 2, vec![])
    }
    .build();
    for hdr in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
        let mut f = hdr.to_vec();
        f.extend_from_slice(&raw);
        assert_eq!(decode(LinkType::NULL, &f).unwrap().dst, ip("10.0.0.2"));
    }
    // LOOP is always network order: a little-endian 2 is family 0x02000000, not IP
    let mut f = 2u32.to_le_bytes().to_vec();
    f.extend_from_slice(&raw);
    assert!(matches!(
        decode(LinkType::LOOP, &f),
        Err(DecodeError::NotIp { .. })
    ));
}

#[test]
fn ipv6_authentication_header_is_skipped_in_4_byte_units() {
    // IPv6 -> AH (payload len field 4 => (4+2)*4 = 24 bytes) -> UDP
    let mut f = vec![0x60, 0, 0, 0];
    let udp = [0x00, 0x35, 0x14, 0xe9, 0x00, 0x09, 0, 0, b'!'];
    f.extend_from_slice(&((24 + udp.len()) as u16).to_be_bytes());
    f.push(51); // AH
    f.push(64);
    f.extend_from_slice(&ip6("2001:db8::1"));
    f.extend_from_slice(&ip6("2001:db8::2"));
    let mut ah = vec![17, 4, 0, 0];
    ah.resize(24, 0xaa);
    f.extend_from_slice(&ah);
    f.extend_from_slice(&udp);
    let d = decode(LinkType::IPV6, &f).unwrap();
    assert_eq!(d.ip_proto, 17);
    let L4::Udp(u) = d.l4 else {
        panic!("{:?}", d.l4)
    };
    assert_eq!((u.src_port, u.dst_port, u.payload), (53, 5353, &b"!"[..]));
}

fn ip6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

#[test]
fn arp_and_unknown_link_types_are_reported_not_misread() {
    let mut arp = vec![0xff; 12];
    arp.extend_from_slice(&[0x08, 0x06]);
    arp.resize(60, 0);
    assert!(matches!(
        decode(LinkType::ETHERNET, &arp),
        Err(DecodeError::NotIp {
            ethertype: 0x0806,
            ..
        })
    ));
    assert!(matches!(
        decode(LinkType(147), &arp),
        Err(DecodeError::UnsupportedLinkType(LinkType(147)))
    ));
}

#[test]
fn empty_and_tiny_files_are_clear_errors() {
    let e = Capture::from_vec("empty.pcap", vec![]).unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("empty.pcap"));
    let e = Capture::from_vec("header.pcap", vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).unwrap_err();
    assert!(
        e.to_string().contains("header.pcap") && e.to_string().contains("file header"),
        "{e}"
    );
    let e = Capture::from_vec("text.txt", b"hello world, not a capture".to_vec()).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    assert!(e.to_string().contains("68 65 6c 6c"), "{e}");
}

#[test]
fn header_only_pcap_has_no_packets_and_no_error() {
    let w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::ETHERNET)).unwrap();
    let cap = Capture::from_vec("h.pcap", w.into_inner().unwrap()).unwrap();
    assert_eq!(cap.packets().count(), 0);
}

#[test]
fn damaged_gzip_keeps_the_packets_before_the_damage() {
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::ETHERNET)).unwrap();
    let f = eth_ipv4_tcp(&[7u8; 600]);
    for i in 0..50 {
        w.write_packet(i * 1000, f.len() as u32, &f).unwrap();
    }
    let raw = w.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let mut gz = gz.finish().unwrap();
    gz.truncate(gz.len() / 2);
    let cap = Capture::from_vec("cut.pcap.gz", gz).unwrap();
    let mut ok = 0;
    let mut err = None;
    for p in cap.packets() {
        match p {
            Ok(_) => ok += 1,
            Err(e) => err = Some(e),
        }
    }
    assert!(ok > 0 && ok < 50, "{ok}");
    let e = err.expect("an error at the cut");
    assert!(e.to_string().contains("cut.pcap.gz"), "{e}");
    assert!(
        matches!(e, Error::Truncated { .. } | Error::Gzip { .. }),
        "{e}"
    );
}

fn ng_with(f: impl FnOnce(&mut PcapngWriter<Vec<u8>>)) -> Vec<u8> {
    let mut w = PcapngWriter::new(Vec::new(), Endian::Little).unwrap();
    f(&mut w);
    w.into_inner().unwrap()
}

#[test]
fn pcapng_packet_on_undescribed_interface_is_corrupt_with_frame() {
    let mut b = ng_with(|w| {
        w.add_interface(LinkType::ETHERNET, 0, TsResolution::Decimal(6))
            .unwrap();
        w.write_packet(0, 0, 4, &[1, 2, 3, 4]).unwrap();
        w.write_packet(0, 0, 4, &[1, 2, 3, 4]).unwrap();
    });
    // rewrite the second EPB's interface id (at block start + 8) to 5
    let second = b.len() - 36;
    b[second + 8..second + 12].copy_from_slice(&5u32.to_le_bytes());
    let cap = Capture::from_vec("x.pcapng", b).unwrap();
    let r: Vec<_> = cap.packets().collect();
    assert_eq!(r.len(), 2);
    let e = r[1].as_ref().unwrap_err();
    assert_eq!((e.frame(), e.offset()), (Some(2), Some(second as u64)));
    assert!(e.to_string().contains("interface 5"), "{e}");
}

#[test]
fn pcapng_mismatched_trailing_length_is_corrupt() {
    let mut b = ng_with(|w| {
        w.add_interface(LinkType::ETHERNET, 0, TsResolution::Decimal(6))
            .unwrap();
        w.write_packet(0, 0, 4, &[1, 2, 3, 4]).unwrap();
    });
    let n = b.len();
    b[n - 4..].copy_from_slice(&40u32.to_le_bytes());
    let cap = Capture::from_vec("t.pcapng", b).unwrap();
    let e = cap.packets().next().unwrap().unwrap_err();
    assert!(e.to_string().contains("trailing copy says 40"), "{e}");
}

#[test]
fn pcapng_tsoffset_and_binary_resolution() {
    // if_tsresol = 2^-10, if_tsoffset = 100 s; units 1024 = 1 s
    let mut body = Vec::new();
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&9u16.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&[0x8a, 0, 0, 0]);
    body.extend_from_slice(&14u16.to_le_bytes());
    body.extend_from_slice(&8u16.to_le_bytes());
    body.extend_from_slice(&100i64.to_le_bytes());
    body.extend_from_slice(&[0; 4]);
    let b = ng_with(|w| {
        w.write_block(1, &body).unwrap();
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&1536u32.to_le_bytes()); // 1.5 s
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&0u32.to_le_bytes());
        w.write_block(6, &epb).unwrap();
    });
    let cap = Capture::from_vec("res.pcapng", b).unwrap();
    let p = cap.packets().next().unwrap().unwrap();
    assert_eq!(p.ts_ns, 101_500_000_000);
}

#[test]
fn erf_extension_headers_past_the_record_are_corrupt() {
    // type ETH with the extension bit, rlen 24: one extension header fits,
    // but it says another follows.
    let mut r = vec![0u8; 24];
    r[8] = 0x82;
    r[10..12].copy_from_slice(&24u16.to_be_bytes());
    r[16] = 0x80;
    let mut good = [0u8; 32];
    good[8] = 2;
    good[10..12].copy_from_slice(&32u16.to_be_bytes());
    good[14..16].copy_from_slice(&14u16.to_be_bytes());
    // eight good records (the format probe looks at up to eight), then the bad one
    let mut b = good.repeat(8);
    b.extend_from_slice(&r);
    let cap = Capture::from_vec("x.erf", b).unwrap();
    let r: Vec<_> = cap.packets().collect();
    assert_eq!(r.len(), 9);
    assert!(
        r[..8]
            .iter()
            .all(|p| p.as_ref().is_ok_and(|p| p.data.len() == 14))
    );
    let e = r[8].as_ref().unwrap_err();
    assert!(e.to_string().contains("extension headers run past"), "{e}");
    assert_eq!((e.frame(), e.offset()), (Some(9), Some(8 * 32)));
}

#[test]
fn pcapng_simple_packet_is_cut_to_the_interface_snaplen() {
    let b = ng_with(|w| {
        w.add_interface(LinkType::RAW, 6, TsResolution::Decimal(6))
            .unwrap();
        // original packet of 10 bytes, 6 captured, block padded to 8
        w.write_simple_packet(10, &[1, 2, 3, 4, 5, 6]).unwrap();
    });
    let cap = Capture::from_vec("spb.pcapng", b).unwrap();
    let p = cap.packets().next().unwrap().unwrap();
    assert_eq!(
        (p.caplen, p.origlen, p.data),
        (6, 10, &[1, 2, 3, 4, 5, 6][..])
    );
}

#[test]
fn opening_a_directory_or_a_missing_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let e = Capture::open(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("directory")
            && e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
    let missing = dir.path().join("nope.pcap");
    let e = Capture::open(&missing).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("nope.pcap"),
        "{e}"
    );
}

#[test]
fn pcapng_epb_dropcount_option_is_counted_as_lost() {
    let b = ng_with(|w| {
        w.add_interface(LinkType::RAW, 0, TsResolution::Decimal(6))
            .unwrap();
        // EPB with 5 data bytes (padded to 8) and options: epb_dropcount = 42, end
        let mut epb = Vec::new();
        for v in [0u32, 0, 0, 5, 5] {
            epb.extend_from_slice(&v.to_le_bytes());
        }
        epb.extend_from_slice(&[0x45, 1, 2, 3, 4, 0, 0, 0]);
        epb.extend_from_slice(&4u16.to_le_bytes());
        epb.extend_from_slice(&8u16.to_le_bytes());
        epb.extend_from_slice(&42u64.to_le_bytes());
        epb.extend_from_slice(&[0; 4]);
        w.write_block(6, &epb).unwrap();
        w.write_packet(0, 0, 3, &[0x45, 0, 0]).unwrap();
    });
    let cap = Capture::from_vec("drops.pcapng", b).unwrap();
    let mut it = cap.packets();
    let first = it.next().unwrap().unwrap();
    assert_eq!(first.data, &[0x45, 1, 2, 3, 4]);
    assert_eq!(it.by_ref().count(), 1);
    assert_eq!(it.lost(), 42);
}

#[test]
fn peek_takes_plain_and_tagged_ipv4_and_declines_the_rest() {
    use pcap_core::decode::peek;
    let v4 = |a| IpAddr::from([10, 0, 0, a]);
    let tagged = |vlans: Vec<u16>, qinq| Link::Ethernet {
        vlans,
        qinq,
        mpls: vec![],
        pppoe: false,
    };
    let frame = |link: Link, src, dst| {
        let mut f = FrameSpec::tcp(src, 40000, dst, 443, b"\x16\x03\x01".to_vec());
        f.link = link;
        f.build()
    };
    for link in [
        Link::ethernet(),
        tagged(vec![7], false),
        tagged(vec![7, 8], true),
    ] {
        let bytes = frame(link.clone(), v4(1), v4(2));
        let p = peek(LinkType::ETHERNET, &bytes).unwrap_or_else(|| panic!("{link:?}"));
        assert_eq!(
            (p.src_port, p.dst_port, p.payload),
            (40000, 443, &b"\x16\x03\x01"[..])
        );
    }
    // UDP the same way, untagged and tagged (QUIC and DNS scans).
    for link in [Link::ethernet(), tagged(vec![7], false)] {
        let mut f = FrameSpec::udp(v4(1), 5353, v4(2), 443, b"\xc0quic".to_vec());
        f.link = link.clone();
        let bytes = f.build();
        let p = peek(LinkType::ETHERNET, &bytes).unwrap_or_else(|| panic!("{link:?}"));
        assert_eq!(
            (p.proto, p.src_port, p.dst_port, p.flags, p.payload),
            (17, 5353, 443, 0, &b"\xc0quic"[..])
        );
    }
    // Deeper stacks, MPLS, IPv6 and other link types go to the full decode.
    let v6 = |a| IpAddr::from([0xfe80, 0, 0, 0, 0, 0, 0, a]);
    let declined = [
        (
            LinkType::ETHERNET,
            frame(tagged(vec![7, 8, 9], false), v4(1), v4(2)),
        ),
        (LinkType::ETHERNET, frame(Link::ethernet(), v6(1), v6(2))),
        (LinkType::LINUX_SLL, frame(Link::Sll, v4(1), v4(2))),
    ];
    for (lt, bytes) in declined {
        assert!(peek(lt, &bytes).is_none());
        assert!(decode(lt, &bytes).is_ok());
    }
}
