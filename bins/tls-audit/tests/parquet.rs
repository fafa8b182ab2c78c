//! `--format parquet` writes the same rows as `--format jsonl`, with the
//! columns of capture-sql's `tls` table.

use std::path::Path;

use arrow::array::{Array, AsArray};
use assert_cmd::Command;

#[test]
fn parquet_has_the_jsonl_rows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pq = Command::cargo_bin("tls-audit")
        .unwrap()
        .current_dir(&root)
        .args(["--format", "parquet", "testdata/tls"])
        .output()
        .unwrap();
    assert!(
        pq.status.success(),
        "{}",
        String::from_utf8_lossy(&pq.stderr)
    );
    let js = Command::cargo_bin("tls-audit")
        .unwrap()
        .current_dir(&root)
        .args(["--format", "jsonl", "testdata/tls"])
        .output()
        .unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&js.stdout).unwrap().lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tls.parquet");
    std::fs::write(&file, &pq.stdout).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut n = 0;
    let mut transports = Vec::new();
    // The string columns compared value by value with the JSONL rows.
    let compared = [
        "sni",
        "transport",
        "ja4s",
        "wrapped",
        "cert_cn",
        "cert_signature",
    ];
    let mut got: Vec<Vec<String>> = vec![Vec::new(); compared.len()];
    for b in reader {
        let b = b.unwrap();
        assert_eq!(b.schema(), capture_arrow::tls::schema());
        let t = b.column_by_name("transport").unwrap().as_string::<i32>();
        transports.extend((0..t.len()).map(|i| t.value(i).to_string()));
        n += b.num_rows();
        for (name, out) in compared.iter().zip(got.iter_mut()) {
            let col = b.column_by_name(name).unwrap().as_string::<i32>();
            out.extend((0..col.len()).map(|i| {
                if col.is_null(i) {
                    "null".to_string()
                } else {
                    col.value(i).to_string()
                }
            }));
        }
    }
    assert_eq!(n, lines.len());
    let quic = lines
        .iter()
        .filter(|l| l.contains("\"transport\":\"quic\""))
        .count();
    assert!(quic > 0);
    assert_eq!(transports.iter().filter(|t| *t == "quic").count(), quic);
    let rows: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Same columns, same names, same order as the JSONL keys.
    let names: Vec<String> = capture_arrow::tls::schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let keys: Vec<String> = rows[0].as_object().unwrap().keys().cloned().collect();
    let (mut a, mut b) = (names.clone(), keys);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(names.len(), 30);
    // In the CSV header's order (the JSONL key order).
    let csv = Command::cargo_bin("tls-audit")
        .unwrap()
        .current_dir(&root)
        .args(["--format", "csv", "testdata/tls/quic.pcap"])
        .output()
        .unwrap();
    let header = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(header.lines().next().unwrap(), names.join(","));
    // The frame numbers, null where JSONL has null.
    let mut frames: Vec<Option<u64>> = Vec::new();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    for b in reader {
        let b = b.unwrap();
        let col = b
            .column_by_name("frame")
            .unwrap()
            .as_primitive::<arrow::datatypes::UInt64Type>();
        frames.extend((0..col.len()).map(|i| (!col.is_null(i)).then(|| col.value(i))));
    }
    let mut want: Vec<Option<u64>> = rows.iter().map(|v| v["frame"].as_u64()).collect();
    frames.sort_unstable();
    want.sort_unstable();
    assert_eq!(frames, want);
    assert!(frames.iter().any(Option::is_some));
    for (name, mut have) in compared.iter().zip(got) {
        let mut want: Vec<String> = rows
            .iter()
            .map(|v| v[name].as_str().unwrap_or("null").to_string())
            .collect();
        want.sort();
        have.sort();
        assert_eq!(have, want, "{name}");
    }
}
