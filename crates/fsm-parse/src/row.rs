//! Borrowed rows: what [`Template::run_each`](crate::Template::run_each)
//! hands to its callback.

use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::program::ValueDef;
use crate::runstate::Slot;
use crate::value::{ListItem, Record, Value, fmt_list};

/// One value of a borrowed row: the borrowed form of [`Value`].
///
/// Compares equal to the [`Value`] holding the same string or items;
/// displays and serialises exactly as that [`Value`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// A plain value (`""` when unset).
    Str(&'a str),
    /// The items collected by a `List` value.
    List(&'a [ListItem]),
}

impl<'a> ValueRef<'a> {
    /// The string, for a plain value; `None` for a `List` value.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            ValueRef::Str(s) => Some(s),
            ValueRef::List(_) => None,
        }
    }

    /// The items, for a `List` value.
    pub fn as_list(&self) -> Option<&'a [ListItem]> {
        match *self {
            ValueRef::Str(_) => None,
            ValueRef::List(l) => Some(l),
        }
    }

    /// An owned copy.
    pub fn to_value(&self) -> Value {
        match *self {
            ValueRef::Str(s) => Value::Str(s.to_owned()),
            ValueRef::List(l) => Value::List(l.to_vec()),
        }
    }
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Str(s) => ValueRef::Str(s),
            Value::List(l) => ValueRef::List(l),
        }
    }
}

impl PartialEq<Value> for ValueRef<'_> {
    fn eq(&self, other: &Value) -> bool {
        *self == ValueRef::from(other)
    }
}

impl PartialEq<ValueRef<'_>> for Value {
    fn eq(&self, other: &ValueRef<'_>) -> bool {
        ValueRef::from(self) == *other
    }
}

/// Same text as [`Value`]'s `Display`: a plain value as itself, a `List`
/// value as Python prints a list (`['a', 'b']`).
impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ValueRef::Str(s) => f.write_str(s),
            ValueRef::List(items) => fmt_list(items, f),
        }
    }
}

impl Serialize for ValueRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            ValueRef::Str(v) => s.serialize_str(v),
            ValueRef::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for it in items {
                    seq.serialize_element(it)?;
                }
                seq.end()
            }
        }
    }
}

/// Where a row's values live.
#[derive(Clone, Copy)]
enum Cells<'a> {
    /// The run's own value slots, at the moment the row is recorded.
    Slots {
        defs: &'a [ValueDef],
        slots: &'a [Slot],
    },
    /// An owned row (held back for `Fillup`, or a [`Record`]).
    Values(&'a [Value]),
}

/// One row, borrowed: a value per header name, in header order. What
/// [`Template::run_each`](crate::Template::run_each) hands to its callback
/// (valid during the call only; [`RowRef::to_record`] keeps a copy), and
/// what [`Record::as_row_ref`] gives for a row already collected.
///
/// Serialises like [`Record`]: a map from value name to value, in header
/// order.
#[derive(Clone, Copy)]
pub struct RowRef<'a> {
    header: &'a Arc<[String]>,
    cells: Cells<'a>,
}

impl<'a> RowRef<'a> {
    pub(crate) fn from_slots(
        header: &'a Arc<[String]>,
        defs: &'a [ValueDef],
        slots: &'a [Slot],
    ) -> Self {
        RowRef {
            header,
            cells: Cells::Slots { defs, slots },
        }
    }

    pub(crate) fn from_values(header: &'a Arc<[String]>, values: &'a [Value]) -> Self {
        RowRef {
            header,
            cells: Cells::Values(values),
        }
    }

    /// The number of values (the number of header names).
    #[inline]
    pub fn len(&self) -> usize {
        self.header.len()
    }

    /// A template without values has empty rows (and records none).
    pub fn is_empty(&self) -> bool {
        self.header.is_empty()
    }

    /// The header names, in order.
    pub fn header(&self) -> &'a [String] {
        self.header
    }

    /// The value at position `i` (header order).
    #[inline]
    pub fn value(&self, i: usize) -> Option<ValueRef<'a>> {
        match self.cells {
            Cells::Slots { defs, slots } => {
                let (def, slot) = (defs.get(i)?, slots.get(i)?);
                Some(if def.is_list() {
                    ValueRef::List(slot.list())
                } else {
                    ValueRef::Str(slot.as_str())
                })
            }
            Cells::Values(v) => v.get(i).map(ValueRef::from),
        }
    }

    /// The value of the named column, if the header has it.
    pub fn get(&self, name: &str) -> Option<ValueRef<'a>> {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.value(i))
    }

    /// The values, in header order.
    #[inline]
    pub fn values(&self) -> RowValues<'a> {
        RowValues {
            row: *self,
            next: 0,
        }
    }

    /// `(name, value)` pairs in header order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, ValueRef<'a>)> + use<'a> {
        self.header.iter().map(String::as_str).zip(self.values())
    }

    /// An owned copy of the row: the [`Record`] that
    /// [`Template::run`](crate::Template::run) returns in its place.
    pub fn to_record(&self) -> Record {
        Record {
            header: Arc::clone(self.header),
            values: self.values().map(|v| v.to_value()).collect(),
        }
    }
}

impl Record {
    /// The record as a borrowed row (to write records and
    /// [`Template::run_each`](crate::Template::run_each) rows with the
    /// same code).
    pub fn as_row_ref(&self) -> RowRef<'_> {
        RowRef::from_values(&self.header, &self.values)
    }
}

impl fmt::Debug for RowRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq<Record> for RowRef<'_> {
    fn eq(&self, other: &Record) -> bool {
        self.header() == other.header()
            && self.len() == other.values().len()
            && self.values().zip(other.values()).all(|(a, b)| a == *b)
    }
}

impl Serialize for RowRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

/// The values of a [`RowRef`], in header order.
#[derive(Debug, Clone)]
pub struct RowValues<'a> {
    row: RowRef<'a>,
    next: usize,
}

impl<'a> Iterator for RowValues<'a> {
    type Item = ValueRef<'a>;

    // Inlined into callers in other crates (the CLI's writer, the Python
    // module's row buffer): a call per value was a tenth of copying a row.
    #[inline]
    fn next(&mut self) -> Option<ValueRef<'a>> {
        let v = self.row.value(self.next)?;
        self.next += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.row.len().saturating_sub(self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for RowValues<'_> {}
