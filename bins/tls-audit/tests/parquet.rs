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
    let mut snis = Vec::new();
    for b in reader {
        let b = b.unwrap();
        assert_eq!(b.schema().fields().len(), 13);
        assert_eq!(b.schema(), capture_arrow::tls::schema());
        n += b.num_rows();
        let col = b.column_by_name("sni").unwrap().as_string::<i32>();
        snis.extend((0..col.len()).map(|i| {
            if col.is_null(i) {
                "null".to_string()
            } else {
                col.value(i).to_string()
            }
        }));
    }
    assert_eq!(n, lines.len());
    let mut want: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["sni"].as_str().unwrap_or("null").to_string()
        })
        .collect();
    want.sort();
    snis.sort();
    assert_eq!(snis, want);
}
