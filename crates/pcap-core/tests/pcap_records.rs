//! `Capture::pcap_records`, the record cursor xff-scan's hot loop walks,
//! against `Capture::packets`: the same packets, frames and offsets, and the
//! same error (file, offset, frame, wording) at the same place, for every
//! classic pcap variant, cut anywhere, with impossible lengths, and gzipped
//! with a damaged stream.

use std::io::Write;

use pcap_core::writer::{PcapOptions, PcapWriter};
use pcap_core::{Capture, Endian, LinkType, Packet};
use proptest::prelude::*;

/// What a walk saw: the packets and the error that ended it.
type Walk = (Vec<(Packet<'static>, usize)>, Option<String>);

fn leak(cap: Capture) -> &'static Capture {
    Box::leak(Box::new(cap))
}

fn via_packets(cap: &'static Capture) -> Walk {
    let base = cap.bytes().as_ptr() as usize;
    let mut out = Vec::new();
    for p in cap.packets() {
        match p {
            Ok(p) => out.push((p, p.data.as_ptr() as usize - base)),
            Err(e) => return (out, Some(format!("{e:?}"))),
        }
    }
    (out, None)
}

fn via_records(cap: &'static Capture) -> Walk {
    let mut out = Vec::new();
    let mut recs = cap.pcap_records().expect("a classic pcap file");
    let mut last_offset = recs.offset();
    for r in recs.by_ref() {
        match r {
            Ok(r) => {
                assert_eq!(r.data(), r.packet().data);
                assert_eq!(r.frame(), r.packet().frame);
                assert!(r.data_offset() > last_offset);
                out.push((r.packet(), r.data_offset()));
                last_offset = r.data_offset() + r.data().len();
            }
            Err(e) => return (out, Some(format!("{e:?}"))),
        }
    }
    assert_eq!(recs.frames(), out.len() as u64);
    (out, None)
}

fn write(o: PcapOptions, packets: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), o).unwrap();
    for (ts, d) in packets {
        w.write_packet(*ts, d.len() as u32 + 3, d).unwrap();
    }
    w.into_inner().unwrap()
}

fn options() -> impl Strategy<Value = PcapOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>(), 0u32..3).prop_map(|(be, nanos, modified, s)| {
        PcapOptions {
            linktype: LinkType::ETHERNET,
            endian: if be { Endian::Big } else { Endian::Little },
            nanos,
            modified,
            // below, at and above the default record limit
            snaplen: [65_535, 262_144, 1 << 20][s as usize],
        }
    })
}

proptest! {
    #[test]
    fn the_cursor_walks_like_packets(
        o in options(),
        packets in prop::collection::vec(
            (0i64..4_000_000_000_000_000_000, prop::collection::vec(any::<u8>(), 0..300)),
            0..12,
        ),
        cut in any::<prop::sample::Index>(),
        poke in any::<Option<(prop::sample::Index, u8)>>(),
    ) {
        let mut bytes = write(o, &packets);
        // Cut anywhere after the file header, and maybe corrupt a byte
        // (a length then claims too much or runs past the end).
        let keep = 24 + cut.index(bytes.len() - 23);
        bytes.truncate(keep);
        if let Some((at, v)) = poke
            && bytes.len() > 24
        {
            let i = 24 + at.index(bytes.len() - 24);
            bytes[i] = v;
        }
        let cap = leak(Capture::from_vec("cut.pcap", bytes).unwrap());
        prop_assert_eq!(via_records(cap), via_packets(cap));
    }
}

#[test]
fn a_record_longer_than_the_file_allows_is_the_same_error() {
    let mut bytes = write(PcapOptions::new(LinkType::RAW), &[(0, vec![0x45; 40])]);
    // The record's captured length (offset 24 + 8) claims 300000 bytes.
    bytes[32..36].copy_from_slice(&300_000u32.to_le_bytes());
    let cap = leak(Capture::from_vec("long.pcap", bytes).unwrap());
    let (ok, err) = via_records(cap);
    assert!(ok.is_empty());
    let err = err.expect("an error");
    assert!(err.contains("record claims 300000 captured bytes"), "{err}");
    assert_eq!(via_packets(cap).1, Some(err));
}

#[test]
fn a_damaged_gzip_stream_is_reported_after_the_last_record() {
    let packets: Vec<(i64, Vec<u8>)> = (0..200).map(|i| (i * 1000, vec![i as u8; 500])).collect();
    let raw = write(PcapOptions::new(LinkType::RAW), &packets);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let mut gz = gz.finish().unwrap();
    gz.truncate(gz.len() * 2 / 3);
    let cap = leak(Capture::from_vec("cut.pcap.gz", gz).unwrap());
    let (ok, err) = via_records(cap);
    assert!(!ok.is_empty() && ok.len() < 200, "{}", ok.len());
    assert!(err.is_some());
    assert_eq!((ok, err), via_packets(cap));
}

#[test]
fn pcapng_and_erf_have_no_pcap_cursor() {
    let mut w = pcap_core::writer::PcapngWriter::new(Vec::new(), Endian::Little).unwrap();
    w.add_interface(
        LinkType::RAW,
        0,
        pcap_core::writer::TsResolution::Decimal(6),
    )
    .unwrap();
    let cap = Capture::from_vec("x.pcapng", w.into_inner().unwrap()).unwrap();
    assert!(cap.pcap_records().is_none());
}
