//! A damaged or truncated capture gives an error message, never a panic;
//! its rows before the damage and the other files' rows are all there.

mod common;

use std::path::PathBuf;

use capture_sql::TableOptions;
use common::*;
use proptest::prelude::*;

fn check(bytes: &[u8], cut: usize, flips: &[(usize, u8)]) {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a-good.pcapng");
    std::fs::copy(testdata("tls/vlan-ipv6.pcapng"), &good).unwrap();
    let bad = dir.path().join("b-bad.pcap");
    let mut b = bytes[..cut.min(bytes.len())].to_vec();
    for &(at, x) in flips {
        if !b.is_empty() {
            let i = at % b.len();
            b[i] ^= x;
        }
    }
    std::fs::write(&bad, &b).unwrap();
    let files: Vec<PathBuf> = vec![good.clone(), bad.clone()];
    let (want_good, _) = audit_rows(std::slice::from_ref(&good));
    let (want_bad, bad_errors) = audit_rows(std::slice::from_ref(&bad));
    for table in ["tls", "http", "flows"] {
        let (ctx, errors) = context(&files, 2, TableOptions::default());
        let got = collect(&ctx, &format!("SELECT * FROM {table}"));
        let msgs = errors.take();
        if table == "tls" {
            let got = rows(&got);
            let good_path = good.display().to_string();
            let got_good: Vec<_> = got.iter().filter(|r| r[0] == good_path).cloned().collect();
            assert_eq!(sorted(got_good), sorted(want_good.clone()));
            let got_bad: Vec<_> = got.iter().filter(|r| r[0] != good_path).cloned().collect();
            assert_eq!(sorted(got_bad), sorted(want_bad.clone()));
            assert_eq!(msgs.len(), bad_errors, "{msgs:?}");
        }
        for m in &msgs {
            assert!(m.contains("b-bad.pcap"), "{m}");
            assert!(!m.contains('\n'), "{m}");
        }
    }
}

#[test]
fn truncated_capture_reports_file_and_offset() {
    let bytes = std::fs::read(testdata("tls/handshakes.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cut.pcap");
    std::fs::write(&bad, &bytes[..bytes.len() - 7]).unwrap();
    let (ctx, errors) = context(std::slice::from_ref(&bad), 1, TableOptions::default());
    let n = rows(&collect(&ctx, "SELECT count(*) FROM tls"));
    let msgs = errors.take();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("cut.pcap") && msgs[0].contains("offset"),
        "{}",
        msgs[0]
    );
    assert_ne!(n[0][0], "0");
    check(&bytes, bytes.len() - 7, &[]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn damaged_captures_never_panic(cut in 0usize..60_000, flips in proptest::collection::vec((0usize..60_000, 1u8..=255), 0..6)) {
        let bytes = std::fs::read(testdata("tls/handshakes.pcap")).unwrap();
        check(&bytes, cut, &flips);
    }
}
