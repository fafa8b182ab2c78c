//! Parsed values and records.

use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// One value of a record: a string, or the items of a `List` value.
///
/// An unset value is the empty string, as Python TextFSM returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A plain value (`""` when unset).
    Str(String),
    /// The items collected by a `List` value.
    List(Vec<ListItem>),
}

/// One item of a `List` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListItem {
    /// The text the value's group matched.
    Str(String),
    /// The value's group did not take part in the match (Python's `None`;
    /// serialised as `null`, and as `"None"` by the clitable index).
    None,
    /// The named groups of the value's own regex, in pattern order (for a
    /// `List` value like `((?P<name>\w+)\s+(?P<age>\d+))`); a group that did
    /// not take part is `None`.
    Map(Vec<(String, Option<String>)>),
}

impl Value {
    /// The string, for a plain value; `None` for a `List` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::List(_) => None,
        }
    }

    /// The items, for a `List` value.
    pub fn as_list(&self) -> Option<&[ListItem]> {
        match self {
            Value::Str(_) => None,
            Value::List(l) => Some(l),
        }
    }

    /// Python's truthiness: a non-empty string or a non-empty list.
    pub(crate) fn is_truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
        }
    }
}

/// Writes `s` the way Python's `repr(str)` does.
pub(crate) fn py_repr_str(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !py_printable(c) => {
                let v = c as u32;
                if v < 0x100 {
                    out.push_str(&format!("\\x{v:02x}"));
                } else if v < 0x10000 {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// An approximation of Python's `str.isprintable` good for device output:
/// controls, separators other than the space, format characters and
/// surrogates/private-use are not printable.
fn py_printable(c: char) -> bool {
    let v = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(v,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

impl ListItem {
    /// Python's `str()` of the item: what clitable stores.
    pub fn py_str(&self) -> String {
        match self {
            ListItem::Str(s) => s.clone(),
            ListItem::None => "None".to_owned(),
            ListItem::Map(m) => {
                let mut out = String::from("{");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    py_repr_str(k, &mut out);
                    out.push_str(": ");
                    match v {
                        Some(v) => py_repr_str(v, &mut out),
                        None => out.push_str("None"),
                    }
                }
                out.push('}');
                out
            }
        }
    }
}

impl fmt::Display for ListItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_str())
    }
}

/// A plain value displays as itself; a `List` value as Python prints a list
/// (`['a', 'b']`), as the `textfsm` command line does.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::List(items) => fmt_list(items, f),
        }
    }
}

/// Python's `str()` of a list of items: `['a', None, {'k': 'v'}]`.
pub(crate) fn fmt_list(items: &[ListItem], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut out = String::from("[");
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match it {
            ListItem::Str(s) => py_repr_str(s, &mut out),
            other => out.push_str(&other.py_str()),
        }
    }
    out.push(']');
    f.write_str(&out)
}

impl Serialize for ListItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ListItem::Str(v) => s.serialize_str(v),
            ListItem::None => s.serialize_none(),
            ListItem::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(v) => s.serialize_str(v),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for it in items {
                    seq.serialize_element(it)?;
                }
                seq.end()
            }
        }
    }
}

/// One row of output: a value per header name, in header order.
///
/// Serialises as a map from value name to value, in header order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub(crate) header: Arc<[String]>,
    pub(crate) values: Vec<Value>,
}

impl Record {
    /// Builds a record; `values` must have one entry per header name.
    ///
    /// # Panics
    /// If the lengths differ (a programming error, not an input error).
    pub fn new(header: Arc<[String]>, values: Vec<Value>) -> Record {
        assert_eq!(header.len(), values.len(), "one value per header name");
        Record { header, values }
    }

    /// The value of the named column, if the header has it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.header
            .iter()
            .position(|h| h == name)
            .map(|i| &self.values[i])
    }

    /// The values, in header order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The header names, in order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// `(name, value)` pairs in header order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.header
            .iter()
            .map(String::as_str)
            .zip(self.values.iter())
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.values.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_of_maps_and_strings() {
        let m = ListItem::Map(vec![
            ("name".into(), Some("Bob".into())),
            ("age".into(), None),
            ("q".into(), Some("it's".into())),
            ("b".into(), Some("a\\b\t".into())),
        ]);
        assert_eq!(
            m.py_str(),
            r#"{'name': 'Bob', 'age': None, 'q': "it's", 'b': 'a\\b\t'}"#
        );
        assert_eq!(ListItem::None.py_str(), "None");
        let mut s = String::new();
        py_repr_str("both ' and \"", &mut s);
        assert_eq!(s, r#"'both \' and "'"#);
        let mut s = String::new();
        py_repr_str("\u{7f}\u{a0}é", &mut s);
        assert_eq!(s, r"'\x7f\xa0é'");
    }

    #[test]
    fn record_serialises_in_header_order() {
        let h: Arc<[String]> = vec!["B".to_owned(), "A".to_owned()].into();
        let r = Record::new(
            h,
            vec![
                Value::Str("x".into()),
                Value::List(vec![ListItem::Str("1".into()), ListItem::None]),
            ],
        );
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"B":"x","A":["1",null]}"#
        );
        assert_eq!(r.get("A").unwrap().to_string(), "['1', None]");
        assert_eq!(r.get("B").unwrap().as_str(), Some("x"));
        assert!(r.get("C").is_none());
    }
}
