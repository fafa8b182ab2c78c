//! The captures of `testdata/pcap/` ([`testdata`]) and the large mixed
//! capture of the pcap-core tests and benchmarks ([`write_mixed_pcap`]),
//! built from [`FrameSpec`]s. Everything is a pure function of its seed.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

use pcap_core::layers::ip_proto;
use pcap_core::writer::{ErfKind, ErfWriter, PcapOptions, PcapWriter, PcapngWriter, TsResolution};
use pcap_core::{Endian, LinkType};

pub use crate::frame::{Expect, FrameSpec, Link, Transport, random_frame};
pub use crate::rng::Rng;

/// Writes a classic pcap (little-endian, µs) of random frames until at
/// least `target_bytes` are written: half of the frames 64-200 bytes, half
/// 1000-1514 (mean about 700), random payload bytes as encrypted traffic
/// has, 20% VLAN-tagged (some QinQ), 25% IPv6. Returns the packet count.
pub fn write_mixed_pcap<W: Write>(w: W, target_bytes: u64, seed: u64) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let mut pw = PcapWriter::new(w, PcapOptions::new(LinkType::ETHERNET))?;
    let mut written = 24u64;
    let mut n = 0u64;
    let mut frame = Vec::with_capacity(2048);
    let mut ts = 1_700_000_000_000_000_000i64;
    while written < target_bytes {
        let size = if rng.chance(50) {
            rng.range(64, 200)
        } else {
            rng.range(1000, 1514)
        } as usize;
        let link = if rng.chance(20) {
            let qinq = rng.chance(25);
            let vlans = if qinq {
                vec![100, rng.range(1, 4094) as u16]
            } else {
                vec![rng.range(1, 4094) as u16]
            };
            Link::Ethernet {
                vlans,
                qinq,
                mpls: vec![],
                pppoe: false,
            }
        } else {
            Link::ethernet()
        };
        let overhead = 14 + 8 + 20 + 40;
        let spec = random_frame(&mut rng, link, size.saturating_sub(overhead).max(1));
        frame.clear();
        spec.build_into(&mut frame);
        ts += rng.range(1_000, 2_000_000) as i64 * 1000;
        pw.write_packet(ts, frame.len() as u32, &frame)?;
        written += 16 + frame.len() as u64;
        n += 1;
    }
    pw.into_inner()?;
    Ok(n)
}

/// How a shipped test file is expected to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// All records read.
    Clean,
    /// The last record is cut short: `Error::Truncated` at this frame.
    Truncated(u64),
    /// A corrupt record: `Error::Corrupt` at this frame.
    Corrupt(u64),
}

/// One expected frame of a shipped test file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedFrame {
    /// Frame number (as Wireshark numbers it).
    pub frame: u64,
    /// Link type the reader must report.
    pub linktype: LinkType,
    /// Timestamp the reader must report (at the file's resolution).
    pub ts_ns: i64,
    /// What the decoder must find; `None` for frames that are not IP.
    pub ip: Option<Expect>,
}

/// A small capture for `testdata/pcap/`, with what reading it must give.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// File name inside `testdata/pcap/`.
    pub name: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Every frame, in order.
    pub frames: Vec<ExpectedFrame>,
    /// How reading ends.
    pub ending: Ending,
    /// ERF loss counters summed (0 for other formats).
    pub lost: u64,
}

/// The expected frame for `spec` (numbered later).
fn expected(linktype: LinkType, ts_ns: i64, spec: &FrameSpec) -> ExpectedFrame {
    ExpectedFrame {
        frame: 0,
        linktype,
        ts_ns,
        ip: Some(spec.expect()),
    }
}

const T0: i64 = 1_732_000_000_000_000_000;

fn ts_at(i: usize, res_ns: i64) -> i64 {
    let t = T0 + i as i64 * 1_000_123_457;
    t - t.rem_euclid(res_ns)
}

fn mix(seed: u64, n: usize, link: impl Fn(&mut Rng, usize) -> Link) -> Vec<FrameSpec> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let l = link(&mut rng, i);
            let len = rng.range(0, 300) as usize;
            random_frame(&mut rng, l, len)
        })
        .collect()
}

fn arp_frame() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x00, 0x25, 0x90, 0x01, 0x02, 0x03, 0x08, 0x06]);
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&[0x00, 0x25, 0x90, 0x01, 0x02, 0x03, 10, 0, 0, 1]);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&[10, 0, 0, 2]);
    f.resize(60, 0);
    f
}

fn pcap_file(name: &'static str, o: PcapOptions, specs: &[FrameSpec]) -> TestFile {
    let res = if o.nanos && !o.modified { 1 } else { 1000 };
    let mut w = PcapWriter::new(Vec::new(), o).expect("writing to a Vec");
    let mut frames = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let b = s.build();
        let ts = ts_at(i, res);
        w.write_packet(ts, b.len() as u32, &b)
            .expect("writing to a Vec");
        frames.push(expected(o.linktype, ts, s));
    }
    TestFile {
        name,
        bytes: w.into_inner().expect("vec"),
        frames,
        ending: Ending::Clean,
        lost: 0,
    }
}

/// Every capture shipped in `testdata/pcap/`, regenerated from code.
pub fn testdata() -> Vec<TestFile> {
    let mut out = Vec::new();
    let eth = |_: &mut Rng, _| Link::ethernet();
    let base = mix(1, 12, eth);
    for (name, endian, nanos) in [
        ("ethernet-usec-le.pcap", Endian::Little, false),
        ("ethernet-usec-be.pcap", Endian::Big, false),
        ("ethernet-nsec-le.pcap", Endian::Little, true),
        ("ethernet-nsec-be.pcap", Endian::Big, true),
    ] {
        let mut o = PcapOptions::new(LinkType::ETHERNET);
        o.endian = endian;
        o.nanos = nanos;
        let mut f = pcap_file(name, o, &base);
        // one non-IP frame in the middle, to check it is counted but not decoded
        if name == "ethernet-usec-le.pcap" {
            let arp = arp_frame();
            let mut w = PcapWriter::new(Vec::new(), o).expect("vec");
            for (i, s) in base.iter().enumerate() {
                let b = s.build();
                w.write_packet(ts_at(i, 1000), b.len() as u32, &b)
                    .expect("vec");
            }
            let ts = ts_at(base.len(), 1000);
            w.write_packet(ts, arp.len() as u32, &arp).expect("vec");
            f.frames.push(ExpectedFrame {
                frame: 0,
                linktype: LinkType::ETHERNET,
                ts_ns: ts,
                ip: None,
            });
            f.bytes = w.into_inner().expect("vec");
        }
        out.push(f);
    }
    {
        let mut o = PcapOptions::new(LinkType::ETHERNET);
        o.modified = true;
        out.push(pcap_file("modified-kuznetzov.pcap", o, &mix(2, 6, eth)));
    }
    // Tags: 802.1Q, QinQ (802.1ad + 802.1Q), triple tags, MPLS, PPPoE.
    {
        let links = [
            Link::Ethernet {
                vlans: vec![10],
                qinq: false,
                mpls: vec![],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![100, 20],
                qinq: true,
                mpls: vec![],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![100, 20, 30],
                qinq: true,
                mpls: vec![],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![],
                qinq: false,
                mpls: vec![16, 17],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![42],
                qinq: false,
                mpls: vec![1000],
                pppoe: false,
            },
            Link::Ethernet {
                vlans: vec![],
                qinq: false,
                mpls: vec![],
                pppoe: true,
            },
        ];
        let specs = mix(3, 12, |_, i| links[i % links.len()].clone());
        out.push(pcap_file(
            "vlan-qinq-mpls-pppoe.pcap",
            PcapOptions::new(LinkType::ETHERNET),
            &specs,
        ));
    }
    for (name, link, seed) in [
        ("linux-sll.pcap", Link::Sll, 4),
        ("linux-sll2.pcap", Link::Sll2, 5),
        ("raw-ip.pcap", Link::Raw, 6),
        ("bsd-null.pcap", Link::Null, 7),
        ("openbsd-loop.pcap", Link::Loop, 8),
    ] {
        let lt = link.linktype();
        let specs = mix(seed, 8, |_, _| link.clone());
        out.push(pcap_file(name, PcapOptions::new(lt), &specs));
    }
    out.push(pcap_file(
        "ip-options-ext-headers-fragments.pcap",
        PcapOptions::new(LinkType::ETHERNET),
        &ip_edge_cases(),
    ));
    out.push(pcapng_multi());
    out.push(erf_file());
    {
        let mut f = pcap_file(
            "ethernet-gzip.pcap.gz",
            PcapOptions::new(LinkType::ETHERNET),
            &mix(9, 10, eth),
        );
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&f.bytes).expect("vec");
        f.bytes = gz.finish().expect("vec");
        out.push(f);
    }
    {
        let specs = mix(10, 6, eth);
        let mut f = pcap_file(
            "truncated.pcap",
            PcapOptions::new(LinkType::ETHERNET),
            &specs,
        );
        let last = f.frames.len() as u64;
        // cut the last record in the middle of its data
        let last_len = specs.last().map_or(0, |s| s.build().len());
        f.bytes.truncate(f.bytes.len() - last_len / 2);
        f.frames.pop();
        f.ending = Ending::Truncated(last);
        out.push(f);
    }
    {
        let mut f = pcap_file(
            "corrupt-length.pcap",
            PcapOptions::new(LinkType::ETHERNET),
            &mix(11, 5, eth),
        );
        // a record header claiming 0x7fff0000 captured bytes, then a valid-looking record
        let mut bad = Vec::new();
        bad.extend_from_slice(&1_732_000_100u32.to_le_bytes());
        bad.extend_from_slice(&0u32.to_le_bytes());
        bad.extend_from_slice(&0x7fff_0000u32.to_le_bytes());
        bad.extend_from_slice(&0x7fff_0000u32.to_le_bytes());
        bad.extend_from_slice(&[0u8; 64]);
        f.bytes.extend_from_slice(&bad);
        f.ending = Ending::Corrupt(f.frames.len() as u64 + 1);
        out.push(f);
    }
    for f in &mut out {
        if f.frames.first().is_some_and(|x| x.frame == 0) {
            for (i, x) in f.frames.iter_mut().enumerate() {
                x.frame = i as u64 + 1;
            }
        }
    }
    out
}

/// IPv4 options, IPv4 fragments (first and later), IPv6 extension headers
/// and IPv6 fragments.
fn ip_edge_cases() -> Vec<FrameSpec> {
    let a4: IpAddr = Ipv4Addr::new(192, 0, 2, 10).into();
    let b4: IpAddr = Ipv4Addr::new(198, 51, 100, 20).into();
    let a6: IpAddr = "2001:db8::10".parse().expect("literal");
    let b6: IpAddr = "2001:db8:1::20".parse().expect("literal");
    let pl = |n: usize| (0..n).map(|i| (i * 7 + 3) as u8).collect::<Vec<u8>>();
    let mut v = Vec::new();
    let mut s = FrameSpec::tcp(a4, 40000, b4, 443, pl(100));
    s.ipv4_opt_words = 3;
    v.push(s);
    let mut s = FrameSpec::udp(a4, 5353, b4, 53, pl(40));
    s.ipv4_opt_words = 10;
    v.push(s);
    // IPv4 fragments of one UDP datagram: first (ports visible), then later ones
    let mut s = FrameSpec::udp(a4, 7000, b4, 7001, pl(64));
    s.fragment = Some((0, true));
    v.push(s);
    let mut s = FrameSpec::udp(a4, 7000, b4, 7001, pl(72));
    s.fragment = Some((72, true));
    v.push(s);
    let mut s = FrameSpec::udp(a4, 7000, b4, 7001, pl(30));
    s.fragment = Some((144, false));
    v.push(s);
    // A later TCP fragment whose payload looks like a TCP header: must not be read as one
    let mut s = FrameSpec::tcp(
        a4,
        1,
        b4,
        2,
        vec![
            0x01, 0xbb, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x18, 0, 0, 0, 0, 0, 0, 0xaa,
        ],
    );
    s.fragment = Some((1480, false));
    v.push(s);
    for ext in [
        vec![ip_proto::HOPOPT],
        vec![ip_proto::HOPOPT, ip_proto::IPV6_ROUTE, ip_proto::IPV6_OPTS],
        vec![ip_proto::IPV6_OPTS],
    ] {
        let mut s = FrameSpec::tcp(a6, 50000, b6, 443, pl(90));
        s.ipv6_ext = ext.clone();
        v.push(s);
        let mut s = FrameSpec::udp(a6, 50001, b6, 53, pl(20));
        s.ipv6_ext = ext;
        v.push(s);
    }
    let mut s = FrameSpec::udp(a6, 9000, b6, 9001, pl(48));
    s.fragment = Some((0, true));
    v.push(s);
    let mut s = FrameSpec::udp(a6, 9000, b6, 9001, pl(24));
    s.fragment = Some((56, false));
    s.ipv6_ext = vec![ip_proto::HOPOPT];
    v.push(s);
    let mut s = FrameSpec::tcp(a4, 1, b4, 2, pl(8));
    s.transport = Transport::Other(ip_proto::ICMP);
    v.push(s);
    v
}

fn pcapng_multi() -> TestFile {
    let mut w = PcapngWriter::new(Vec::new(), Endian::Little).expect("vec");
    let mut frames = Vec::new();
    let e0 = w
        .add_interface(LinkType::ETHERNET, 65535, TsResolution::Decimal(6))
        .expect("vec");
    let e1 = w
        .add_interface(LinkType::RAW, 65535, TsResolution::Decimal(9))
        .expect("vec");
    let eth = mix(12, 6, |_, _| Link::ethernet());
    let raw = mix(13, 6, |_, _| Link::Raw);
    let mut i = 0usize;
    for (a, b) in eth.iter().zip(&raw) {
        let ts = ts_at(i, 1000);
        let d = a.build();
        w.write_packet(e0, ts, d.len() as u32, &d).expect("vec");
        frames.push(expected(LinkType::ETHERNET, ts, a));
        i += 1;
        // unknown and ignorable blocks between packets must be skipped
        if i == 3 {
            w.write_block(0x0000_0bad, &[0, 0, 0x7e, 0xd9, 1, 2, 3, 4])
                .expect("vec");
            w.write_block(0x0000_0004, &[0, 0, 0, 0]).expect("vec"); // NRB, empty
        }
        let ts = ts_at(i, 1) + 7;
        let d = b.build();
        w.write_packet(e1, ts, d.len() as u32, &d).expect("vec");
        frames.push(expected(LinkType::RAW, ts, b));
        i += 1;
    }
    // An obsolete Packet Block on interface 1 with 3 drops
    let pb = mix(14, 1, |_, _| Link::Raw).remove(0);
    let d = pb.build();
    let ts = ts_at(i, 1);
    w.write_obsolete_packet(1, 3, ts, d.len() as u32, &d)
        .expect("vec");
    frames.push(expected(LinkType::RAW, ts, &pb));
    i += 1;
    // Second section, big-endian, its own interfaces: SLL with 2^-20 s units, then Ethernet.
    w.new_section(Endian::Big).expect("vec");
    let s0 = w
        .add_interface(LinkType::LINUX_SLL, 262144, TsResolution::Binary(20))
        .expect("vec");
    let s1 = w
        .add_interface(LinkType::ETHERNET, 262144, TsResolution::Decimal(6))
        .expect("vec");
    let sll = mix(15, 4, |_, _| Link::Sll);
    for s in &sll {
        let ts = ts_at(i, 1);
        let units = TsResolution::Binary(20).units(ts as u64);
        let back = ((u128::from(units) * 1_000_000_000) >> 20) as i64;
        let d = s.build();
        w.write_packet(s0, ts, d.len() as u32, &d).expect("vec");
        frames.push(expected(LinkType::LINUX_SLL, back, s));
        i += 1;
    }
    let _ = s1;
    // Third section: a Simple Packet Block on its first interface (Ethernet).
    w.new_section(Endian::Little).expect("vec");
    w.add_interface(LinkType::ETHERNET, 65535, TsResolution::Decimal(6))
        .expect("vec");
    let spb = mix(16, 2, |_, _| Link::ethernet());
    for s in &spb {
        let d = s.build();
        w.write_simple_packet(d.len() as u32, &d).expect("vec");
        frames.push(expected(LinkType::ETHERNET, 0, s));
    }
    // the custom block after the third packet takes frame number 4
    let mut n = 0;
    for f in &mut frames {
        n += 1 + u64::from(n == 3);
        f.frame = n;
    }
    TestFile {
        name: "multi-section-multi-interface.pcapng",
        bytes: w.into_inner().expect("vec"),
        frames,
        ending: Ending::Clean,
        lost: 3,
    }
}

fn erf_file() -> TestFile {
    let mut w = ErfWriter::new(Vec::new());
    let mut frames = Vec::new();
    let specs = mix(17, 10, |rng, i| {
        if i % 3 == 1 {
            Link::Ethernet {
                vlans: vec![rng.range(1, 4094) as u16],
                qinq: false,
                mpls: vec![],
                pppoe: false,
            }
        } else {
            Link::ethernet()
        }
    });
    let mut lost = 0;
    for (i, s) in specs.iter().enumerate() {
        let ts = ts_at(i, 1);
        let d = s.build();
        let lctr = if i == 4 { 7 } else { 0 };
        lost += u64::from(lctr);
        w.write_record(ErfKind::Ethernet, ts, lctr, i % 3, &d)
            .expect("vec");
        // the writer rounds the 32.32 fraction up; the reader rounds to nearest
        frames.push(expected(LinkType::ETHERNET, ts, s));
    }
    let raw = mix(18, 2, |_, _| Link::Raw);
    for (j, s) in raw.iter().enumerate() {
        let ts = ts_at(specs.len() + j, 1);
        let d = s.build();
        let kind = if s.src.is_ipv6() {
            ErfKind::Ipv6
        } else {
            ErfKind::Ipv4
        };
        w.write_record(kind, ts, 0, 0, &d).expect("vec");
        frames.push(expected(LinkType::RAW, ts, s));
    }
    TestFile {
        name: "endace.erf",
        bytes: w.into_inner().expect("vec"),
        frames,
        ending: Ending::Clean,
        lost,
    }
}
