//! The `tls` table has exactly `tls-audit --format jsonl`'s keys, in their
//! order, and its `frame` column carries the rows' frame numbers.

use std::path::PathBuf;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use tls_handshake::audit::{Audit, AuditOptions};

#[test]
fn columns_are_the_jsonl_keys_in_order_and_frame_is_filled() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tls/handshakes.pcap");
    let mut rows = Vec::new();
    Audit::new(AuditOptions::default()).run(
        &[file],
        |r| rows.push(r),
        |p, e| panic!("{}: {e}", p.display()),
    );
    assert!(rows.len() > 10);
    let schema = capture_arrow::tls::schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(&names[..3], ["file", "frame", "first_seen"]);
    // serde writes the keys in the struct's order: find each in the JSON
    // text; every name is there, in the schema's order, and nothing else.
    let json = serde_json::to_string(&rows[0]).unwrap();
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            json.find(&format!("\"{n}\":"))
                .unwrap_or_else(|| panic!("{n} not in {json}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{names:?} vs {json}");
    let keys = serde_json::from_str::<serde_json::Value>(&json).unwrap();
    assert_eq!(keys.as_object().unwrap().len(), names.len(), "{json}");

    let b = capture_arrow::tls::batch(&rows).unwrap();
    let frame = b
        .column_by_name("frame")
        .unwrap()
        .as_primitive::<UInt64Type>();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(frame.is_null(i), r.frame.is_none(), "{r:?}");
        if let Some(f) = r.frame {
            assert_eq!(frame.value(i), f);
        }
    }
    assert!(rows.iter().any(|r| r.frame.is_some()));
    // Frames strictly increase with the rows' ClientHellos in this file.
    let mut f: Vec<u64> = rows.iter().filter_map(|r| r.frame).collect();
    let n = f.len();
    f.sort_unstable();
    f.dedup();
    assert_eq!(f.len(), n, "two rows with one ClientHello frame");
}
