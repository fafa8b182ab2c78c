//! The `flows` table of one file walked in chunks on several threads
//! equals the sequential walk: the chunks' flow tables joined in file
//! order (`FlowTable::append`) give the same flows, counts, clients and
//! order, whatever the cut.

use std::sync::Arc;

use capture_sql::flows::{Flow, FlowTable};
use netops_testkit::pcap as synth;
use pcap_core::Capture;
use pcap_core::parallel::{SplitOptions, split_each};
use proptest::prelude::*;

fn sequential(cap: &Capture) -> (Vec<Flow>, Option<String>) {
    let mut t = FlowTable::default();
    let mut err = None;
    for p in cap.packets() {
        match p {
            Ok(p) => t.packet(&p),
            Err(e) => {
                err = Some(e.to_string());
                break;
            }
        }
    }
    let file: Arc<str> = "f".into();
    (t.finish(&file).collect(), err)
}

fn split(cap: &Capture, threads: usize, chunk: usize) -> (Vec<Flow>, Option<String>) {
    let mut t = FlowTable::default();
    let opts = SplitOptions {
        threads,
        chunk_size: chunk,
        lanes: 1,
    };
    let end = split_each(
        cap,
        opts,
        FlowTable::default,
        |t: &mut FlowTable, p| t.packet(p),
        |c| t.append(c.state),
    );
    let file: Arc<str> = "f".into();
    (t.finish(&file).collect(), end.error.map(|e| e.to_string()))
}

/// `packets` TCP packets of `flows` flows interleaved at random, each
/// from a random side, a tenth of them SYNs (with or without ACK), some
/// FINs, 0-300 payload bytes: flows cross every cut, and a flow's SYN may
/// come after its first packet.
fn interleaved(seed: u64, flows: u64, packets: u64) -> Vec<u8> {
    use netops_testkit::frame::{TcpSegment, flags, tcp_frame};
    use pcap_core::LinkType;
    use pcap_core::writer::{PcapOptions, PcapWriter};
    let mut rng = netops_testkit::Rng::new(seed);
    let mut w = PcapWriter::new(Vec::new(), PcapOptions::new(LinkType::ETHERNET)).unwrap();
    let payload = vec![0x5a; 300];
    for i in 0..packets {
        let f = rng.below(flows);
        let a = std::net::SocketAddr::from(([10, 0, (f >> 8) as u8, f as u8], 40_000 + f as u16));
        let b = std::net::SocketAddr::from(([192, 0, 2, 1 + (f % 7) as u8], 443));
        let (src, dst) = if rng.chance(50) { (a, b) } else { (b, a) };
        let fl = match rng.below(20) {
            0 => flags::SYN,
            1 => flags::SYN | flags::ACK,
            2 => flags::FIN | flags::ACK,
            _ => flags::ACK,
        };
        let len = rng.below(301) as usize;
        let frame = tcp_frame(&TcpSegment::new(src, dst, fl, &payload[..len]));
        // Mostly increasing times, sometimes one step back (captures
        // are not always in time order).
        let ts = 1_700_000_000_000_000_000 + (i as i64) * 1000 - rng.below(3) as i64 * 1500;
        w.write_packet(ts, frame.len() as u32, &frame).unwrap();
    }
    w.into_inner().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn flows_of_chunks_joined_in_order_equal_the_sequential_flows(
        seed in any::<u64>(),
        flows in 1u64..40,
        chunk in 512usize..20_000,
        threads in 1usize..4,
        cut in 0usize..60,
    ) {
        let mut v = interleaved(seed, flows, 600);
        v.truncate(v.len() - cut);
        let cap = Capture::from_vec("f.pcap", v).unwrap();
        let (seq, seq_err) = sequential(&cap);
        prop_assert!(!seq.is_empty(), "the capture holds flows");
        let (par, par_err) = split(&cap, threads, chunk);
        prop_assert_eq!(par_err, seq_err);
        prop_assert_eq!(par, seq);
    }

    /// The same on random mixed traffic (VLANs, IPv6, UDP, other protocols).
    #[test]
    fn flows_of_mixed_traffic_split_equal_the_sequential_flows(
        seed in any::<u64>(),
        chunk in 512usize..20_000,
    ) {
        let mut v = Vec::new();
        synth::write_mixed_pcap(&mut v, 100_000, seed).unwrap();
        let cap = Capture::from_vec("m.pcap", v).unwrap();
        let (seq, seq_err) = sequential(&cap);
        let (par, par_err) = split(&cap, 2, chunk);
        prop_assert_eq!(par_err, seq_err);
        prop_assert_eq!(par, seq);
    }
}
