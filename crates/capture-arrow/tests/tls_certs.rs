//! The certificate columns of `tls` carry what the audit found, typed:
//! validity as UTC second timestamps (year 9999 fits), flags as booleans.

use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{TimestampSecondType, UInt32Type};
use arrow_array::{Array, BooleanArray};
use tls_handshake::audit::{Audit, AuditOptions};

#[test]
fn certificate_columns_of_the_testdata() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tls/wrapped.pcap");
    let mut rows = Vec::new();
    Audit::new(AuditOptions::default()).run(
        &[file],
        |r| rows.push(r),
        |p, e| panic!("{}: {e}", p.display()),
    );
    let b = capture_arrow::tls::batch(&rows).unwrap();
    assert_eq!(b.num_rows(), 11);
    let port = b
        .column_by_name("server_port")
        .unwrap()
        .as_primitive::<arrow_array::types::UInt16Type>();
    let i = (0..port.len())
        .find(|&i| port.value(i) == 1433 && rows[i].version.as_deref() == Some("TLS 1.0"))
        .unwrap();
    let after = b
        .column_by_name("cert_not_after")
        .unwrap()
        .as_primitive::<TimestampSecondType>();
    assert_eq!(after.value(i), 1_577_836_800); // 2020-01-01T00:00:00Z
    let bits = b
        .column_by_name("cert_key_bits")
        .unwrap()
        .as_primitive::<UInt32Type>();
    assert_eq!(bits.value(i), 1024);
    let expired = b.column_by_name("cert_expired").unwrap();
    let expired = expired.as_any().downcast_ref::<BooleanArray>().unwrap();
    assert!(expired.value(i));
    assert_eq!(
        b.column_by_name("wrapped")
            .unwrap()
            .as_string::<i32>()
            .value(i),
        "tds"
    );
    // TLS 1.3 rows: no certificate, nulls.
    let j = rows
        .iter()
        .position(|r| r.version.as_deref() == Some("TLS 1.3"))
        .unwrap();
    assert!(after.is_null(j) && expired.is_null(j));
}
