//! One file split over cores gives exactly the rows of a sequential scan,
//! wherever the chunk boundaries fall (inside hellos, between a ClientHello
//! and its ServerHello, inside a split ServerHello).

use pcap_core::Capture;
use tls_audit::scan::{scan_parallel, scan_sequential};
use tls_audit::synth::{T0, interleave, numbered_conversation, testdata, to_pcap};
use tls_audit::{AuditOptions, Collector, Connection};

fn brief(rows: &[Connection]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {}:{} {:?} {:?} {:?}",
                r.first_frame, r.client_ip, r.client_port, r.version, r.client_version, r.sni
            )
        })
        .collect()
}

fn sequential(cap: &Capture) -> Vec<Connection> {
    let mut rows = Vec::new();
    let s = scan_sequential(cap, Default::default(), &|_| {}, &mut |r| rows.push(r));
    assert!(s.error.is_none());
    rows
}

fn parallel(
    cap: &Capture,
    chunk_size: usize,
    summary: bool,
) -> (Vec<Connection>, tls_audit::output::Summary) {
    let opts = AuditOptions {
        chunk_size,
        summary,
        ..AuditOptions::default()
    };
    let mut rows = Vec::new();
    let mut col = Collector::new(&opts, |r| rows.push(r));
    let s = scan_parallel(cap, &opts, 2, &|_| {}, &mut col);
    assert!(s.error.is_none());
    let summary = std::mem::take(&mut col.summary);
    drop(col);
    (rows, summary)
}

#[test]
fn split_scan_equals_sequential_scan_for_many_chunk_sizes() {
    let f = testdata()
        .into_iter()
        .find(|f| f.name.ends_with(".pcap"))
        .unwrap();
    let cap = Capture::from_vec("handshakes.pcap", f.bytes).unwrap();
    let want = sequential(&cap);
    assert_eq!(want.len(), f.expected.len());
    let mut sizes: Vec<usize> = (600..3000).step_by(97).collect();
    sizes.extend([4096, 8192, 20_000]);
    for size in sizes {
        let (got, _) = parallel(&cap, size, false);
        assert_eq!(
            brief(&got).join("\n"),
            brief(&want).join("\n"),
            "chunk size {size}"
        );
        assert_eq!(got, want, "chunk size {size}");
    }
}

#[test]
fn split_summary_equals_sequential_summary() {
    // Many short connections, some straddling every boundary.
    let convs: Vec<_> = (1..400).map(numbered_conversation).collect();
    let cap = Capture::from_vec("many.pcap", to_pcap(&interleave(&convs, T0))).unwrap();
    let rows = sequential(&cap);
    assert_eq!(rows.len(), 399);
    let mut want = tls_audit::output::Summary::default();
    rows.iter().for_each(|r| want.add(r));
    for size in [3000, 7777, 50_000] {
        let (got_rows, _) = parallel(&cap, size, false);
        assert_eq!(brief(&got_rows), brief(&rows), "rows, chunk size {size}");
        assert_eq!(got_rows, rows, "rows, chunk size {size}");
        let (none, got) = parallel(&cap, size, true);
        assert!(none.is_empty());
        assert_eq!(got.rows(), want.rows(), "summary, chunk size {size}");
    }
}
