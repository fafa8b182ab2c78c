//! Building Arrow columns from row structs. A table's `column(i, rows)`
//! builds one column; [`batch`] builds only the projected ones, so columns
//! nobody asked for cost nothing.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, StringArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef, TimeUnit};

/// The time zone of every timestamp column.
pub const UTC: &str = "UTC";

/// `Timestamp(ns, UTC)`.
pub fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some(UTC.into()))
}

/// `List<Utf8>`.
pub fn str_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// A `Utf8` column of optional strings.
pub fn strs<'a>(it: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(it))
}

/// A `Utf8` column of owned strings (no nulls).
pub fn owned_strs(it: impl Iterator<Item = String>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(it))
}

/// A `Utf8` column of values written by `Display` into one buffer (no
/// per-row allocation; used for IP addresses).
pub fn display_strs<T: std::fmt::Display>(it: impl Iterator<Item = T>) -> ArrayRef {
    use std::fmt::Write;
    let (lo, _) = it.size_hint();
    let mut b = StringBuilder::with_capacity(lo, lo * 16);
    for v in it {
        // Writing into the builder cannot fail.
        let _ = write!(b, "{v}");
        b.append_value("");
    }
    Arc::new(b.finish())
}

/// A `UInt16` column.
pub fn u16s(it: impl Iterator<Item = u16>) -> ArrayRef {
    Arc::new(UInt16Array::from_iter_values(it))
}

/// A `UInt8` column.
pub fn u8s(it: impl Iterator<Item = u8>) -> ArrayRef {
    Arc::new(UInt8Array::from_iter_values(it))
}

/// A `UInt64` column.
pub fn u64s(it: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(it))
}

/// A `UInt32` column of optional values.
pub fn opt_u32s(it: impl Iterator<Item = Option<u32>>) -> ArrayRef {
    Arc::new(UInt32Array::from_iter(it))
}

/// A `UInt64` column of optional values.
pub fn opt_u64s(it: impl Iterator<Item = Option<u64>>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter(it))
}

/// A `Boolean` column of optional values.
pub fn opt_bools(it: impl Iterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(BooleanArray::from_iter(it))
}

/// `Timestamp(s, UTC)`: seconds reach the year 9999 that certificates
/// name, nanoseconds end in 2262.
pub fn ts_seconds_type() -> DataType {
    DataType::Timestamp(TimeUnit::Second, Some(UTC.into()))
}

/// A `Timestamp(s, UTC)` column of optional seconds since the epoch.
pub fn opt_ts_seconds(it: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(TimestampSecondArray::from_iter(it).with_timezone(UTC))
}

/// A `Timestamp(ns, UTC)` column of nanoseconds since the epoch.
pub fn timestamps(it: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from_iter_values(it).with_timezone(UTC))
}

/// A `List<Utf8>` column, one list per row.
pub fn str_lists<'a, I, L>(it: I) -> ArrayRef
where
    I: Iterator<Item = L>,
    L: IntoIterator<Item = &'a str>,
{
    let mut b = ListBuilder::new(StringBuilder::new());
    for list in it {
        for v in list {
            b.values().append_value(v);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// A `List<Utf8>` column of values written by `Display`, one list per row.
pub fn display_lists<T, I, L>(it: I) -> ArrayRef
where
    T: std::fmt::Display,
    I: Iterator<Item = L>,
    L: IntoIterator<Item = T>,
{
    use std::fmt::Write;
    let mut b = ListBuilder::new(StringBuilder::new());
    for list in it {
        for v in list {
            let _ = write!(b.values(), "{v}");
            b.values().append_value("");
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// A batch of `rows` with the columns `projection` of `schema` (the
/// batch's schema is `schema` projected), each built by
/// `column(index, rows)`.
///
/// # Errors
/// When a built column does not match its field (a bug in `column`).
pub fn batch<R>(
    rows: &[R],
    schema: &SchemaRef,
    projection: &[usize],
    column: impl Fn(usize, &[R]) -> ArrayRef,
) -> Result<RecordBatch, ArrowError> {
    let cols: Vec<ArrayRef> = projection.iter().map(|&i| column(i, rows)).collect();
    RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &RecordBatchOptions::new().with_row_count(Some(rows.len())),
    )
}
