//! `parallel::packets_from`: a walk started at any byte offset joins the
//! sequential walk at its next real record.
use netops_testkit::pcap as synth;
use pcap_core::Capture;
use pcap_core::parallel::packets_from;

#[test]
fn walk_from_the_middle_joins_the_sequential_walk() {
    let mut bytes = Vec::new();
    synth::write_mixed_pcap(&mut bytes, 20_000, 3).unwrap();
    let cap = Capture::from_vec("mixed.pcap", bytes).unwrap();
    let all: Vec<(u64, i64, u32)> = {
        let mut it = cap.packets();
        let mut v = Vec::new();
        loop {
            let off = it.offset();
            match it.next() {
                Some(Ok(p)) => v.push((off, p.ts_ns, p.caplen)),
                _ => break,
            }
        }
        v
    };
    let len = cap.bytes().len();
    for at in [0, 10, len / 3, len / 2, len - 100] {
        let Some(mut it) = packets_from(&cap, at) else {
            continue;
        };
        let first = it.offset();
        let got: Vec<(u64, i64, u32)> = std::iter::from_fn(|| {
            let off = it.offset();
            it.next()?.ok().map(|p| (off, p.ts_ns, p.caplen))
        })
        .collect();
        let i = all
            .iter()
            .position(|r| r.0 == first)
            .expect("a real record");
        assert_eq!(got, all[i..], "from {at}");
    }
    assert!(packets_from(&cap, len + 10).is_none_or(|mut it| it.next().is_none()));
}
