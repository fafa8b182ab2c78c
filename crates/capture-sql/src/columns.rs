//! Building Arrow columns from row structs: only the projected columns are
//! built.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, ListBuilder, StringArray, StringBuilder, TimestampNanosecondArray, UInt8Array,
    UInt16Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

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

pub(crate) fn strs<'a>(it: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(it))
}

pub(crate) fn owned_strs(it: impl Iterator<Item = String>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(it))
}

pub(crate) fn u16s(it: impl Iterator<Item = u16>) -> ArrayRef {
    Arc::new(UInt16Array::from_iter_values(it))
}

pub(crate) fn u8s(it: impl Iterator<Item = u8>) -> ArrayRef {
    Arc::new(UInt8Array::from_iter_values(it))
}

pub(crate) fn u64s(it: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(it))
}

pub(crate) fn timestamps(it: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from_iter_values(it).with_timezone(UTC))
}

pub(crate) fn str_lists<'a, I, L>(it: I) -> ArrayRef
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

/// A batch of `rows` with the columns `projection` of the table, each
/// built by `column(index, rows)`.
pub(crate) fn batch<R>(
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
