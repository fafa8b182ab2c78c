//! Property tests of the capture scan: corrupt, truncated and random
//! captures never panic, and a file cut anywhere only loses hits after the
//! cut.

use netops_testkit::xff::{self as synth, Container};
use pcap_core::Capture;
use proptest::prelude::*;
use xff_scan::scan::{ScanOptions, scan_capture, scan_capture_parallel};
use xff_scan::{Matcher, default_headers};

fn all() -> Matcher {
    Matcher::new(default_headers(), None)
}

fn scan_both(bytes: Vec<u8>) {
    let Ok(cap) = Capture::from_vec("fuzz.pcap", bytes) else {
        return;
    };
    let m = all();
    let mut a = vec![];
    let r = scan_capture(&cap, &m, &ScanOptions::default(), |x| a.push(x), |_| {});
    if let Some(e) = &r.error {
        assert!(e.to_string().contains("fuzz.pcap"), "{e}");
    }
    let opts = ScanOptions {
        chunk_size: 2048,
        ..ScanOptions::default()
    };
    let mut b = vec![];
    let _ = scan_capture_parallel(&cap, &m, &opts, 2, |x| b.push(x), |_| {});
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_records_after_a_valid_header(tail in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (fixture, _) = synth::headers_fixture(Container::Pcap);
        let mut bytes = fixture[..24].to_vec();
        bytes.extend_from_slice(&tail);
        scan_both(bytes);
    }

    #[test]
    fn mutated_fixtures(ng in any::<bool>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16)) {
        let (mut bytes, _) = synth::headers_fixture(if ng { Container::Pcapng } else { Container::Pcap });
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] = v;
        }
        scan_both(bytes);
    }

    #[test]
    fn truncation_only_loses_later_hits(cut in any::<usize>(), split in any::<bool>()) {
        let (bytes, _) = if split { synth::split_fixture() } else { synth::headers_fixture(Container::Pcap) };
        let m = all();
        let full_cap = Capture::from_vec("full.pcap", bytes.clone()).unwrap();
        let mut full = vec![];
        scan_capture(&full_cap, &m, &ScanOptions::default(), |x| full.push(x), |_| {});
        let cut = 24 + cut % (bytes.len() - 24);
        let cap = Capture::from_vec("cut.pcap", bytes[..cut].to_vec()).unwrap();
        let mut part = vec![];
        let r = scan_capture(&cap, &m, &ScanOptions::default(), |x| part.push(x), |_| {});
        prop_assert!(part.len() <= full.len());
        prop_assert_eq!(&full[..part.len()], &part[..]);
        prop_assert!(part.iter().all(|p| p.frame <= r.frames));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The fast classic-pcap walk gives exactly what pcap-core's reader
    /// gives (used by the chunked scan), on damaged files too.
    #[test]
    fn fast_walk_equals_the_reader(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6), cut in any::<usize>()) {
        let (mut bytes, _) = synth::split_fixture();
        for (at, v) in flips {
            let i = 24 + at % (bytes.len() - 24);
            bytes[i] = v;
        }
        let cut = 24 + cut % (bytes.len() - 23);
        bytes.truncate(cut);
        let cap = Capture::from_vec("eq.pcap", bytes).unwrap();
        let m = all();
        let mut fast = vec![];
        let a = scan_capture(&cap, &m, &ScanOptions::default(), |x| fast.push(x), |_| {});
        let mut reader = vec![];
        let b = scan_capture_parallel(&cap, &m, &ScanOptions { chunk_size: 1 << 30, ..ScanOptions::default() }, 1, |x| reader.push(x), |_| {});
        prop_assert_eq!(a.frames, b.frames);
        prop_assert_eq!(a.error.map(|e| e.to_string()), b.error.map(|e| e.to_string()));
        prop_assert_eq!(fast, reader);
    }
}
