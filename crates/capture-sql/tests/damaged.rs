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

/// The scan errors recorded as metrics anywhere in `plan`, per node.
fn metric_errors(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> Vec<String> {
    let mut out = plan
        .metrics()
        .map(|m| capture_sql::exec::scan_errors_in(&m))
        .unwrap_or_default();
    for c in plan.children() {
        out.extend(metric_errors(c.as_ref()));
    }
    out
}

/// What a cluster ships to the client: each scan error is also a metric of
/// the scan, both of the local scan and of the unit scan the executors run
/// (`codec::distributable`), with the same message the session collects.
#[test]
fn scan_errors_are_metrics_of_the_scan() {
    let bytes = std::fs::read(testdata("tls/handshakes.pcap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cut.pcap");
    std::fs::write(&bad, &bytes[..bytes.len() - 7]).unwrap();
    let files = vec![testdata("tls/vlan-ipv6.pcapng"), bad];
    let (ctx, errors) = context(&files, 2, TableOptions::default());
    let rt = runtime();
    let sql = "SELECT count(*) FROM tls";
    let plan = rt
        .block_on(async { ctx.sql(sql).await?.create_physical_plan().await })
        .unwrap();
    let run = |plan: std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>| {
        let batches = rt
            .block_on(datafusion::physical_plan::collect(
                plan.clone(),
                ctx.task_ctx(),
            ))
            .unwrap();
        (rows(&batches), metric_errors(plan.as_ref()))
    };
    let (local_rows, local_metrics) = run(plan.clone());
    let msgs = errors.take();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(local_metrics, msgs);

    let unit_plan = capture_sql::codec::distributable(plan).unwrap();
    let (unit_rows, unit_metrics) = run(unit_plan);
    assert_eq!(unit_rows, local_rows);
    assert_eq!(unit_metrics, msgs);
}
