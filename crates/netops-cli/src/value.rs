//! Columns and the values in them.

use std::borrow::Cow;
use std::fmt::{Display, Write as _};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Where a table cell's text sits in its column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    /// Text first, padding after (the default).
    #[default]
    Left,
    /// Padding first (numbers).
    Right,
}

/// One output column: its name (the table and CSV header, the JSON key)
/// and how its values turn into text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    name: Cow<'static, str>,
    align: Align,
    decimals: Option<usize>,
    list_separator: Cow<'static, str>,
}

impl Column {
    /// A left-aligned column; lists joined with `;`, floats as Rust
    /// displays them.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Column {
        Column {
            name: name.into(),
            align: Align::Left,
            decimals: None,
            list_separator: Cow::Borrowed(";"),
        }
    }

    /// Right-aligned in tables.
    pub fn right(mut self) -> Column {
        self.align = Align::Right;
        self
    }

    /// [`Value::F64`] printed with this many decimals in table and CSV
    /// (JSON keeps the full number).
    pub fn decimals(mut self, n: usize) -> Column {
        self.decimals = Some(n);
        self
    }

    /// What joins the items of a [`Value::List`] in table and CSV.
    pub fn list_separator(mut self, sep: impl Into<Cow<'static, str>>) -> Column {
        self.list_separator = sep.into();
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The alignment in tables.
    pub fn align(&self) -> Align {
        self.align
    }
}

/// Left-aligned columns with these names.
pub fn columns(names: &[&'static str]) -> Vec<Column> {
    names.iter().map(|n| Column::new(*n)).collect()
}

/// One cell. Text formats (table, CSV) print it as text, JSON keeps its
/// type: numbers stay numbers, [`Value::Null`] is `null`, lists are arrays.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Missing: the table's null text (see
    /// [`TableStyle::null`](crate::TableStyle::null)), empty in CSV,
    /// `null` in JSON.
    Null,
    /// Text.
    Str(Cow<'a, str>),
    /// An unsigned number.
    U64(u64),
    /// A signed number.
    I64(i64),
    /// A float (see [`Column::decimals`]); not finite is `null` in JSON.
    F64(f64),
    /// `true` or `false`.
    Bool(bool),
    /// An IP address: its text, a string in JSON. Written straight into
    /// the output (every row of the capture tools has two: a `String`
    /// each was an allocation, a copy and a free per address).
    Ip(std::net::IpAddr),
    /// Items joined with the column's [`Column::list_separator`] in text
    /// (an empty list prints as [`Value::Null`]), an array in JSON.
    List(Vec<Value<'a>>),
    /// Keys and values in this order: an object in JSON, `{k: v, ...}` in
    /// text.
    Map(Vec<(Cow<'a, str>, Value<'a>)>),
    /// `text` in table and CSV, `data` in JSON (and in typed formats):
    /// for a value whose text form is not derived from its structure.
    WithText {
        /// What table and CSV print.
        text: Cow<'a, str>,
        /// What JSON writes.
        data: Box<Value<'a>>,
    },
}

impl<'a> Value<'a> {
    /// A value's text from anything that displays ([`std::net::IpAddr`],
    /// a path's `display()`, ...).
    pub fn display(x: impl Display) -> Value<'a> {
        Value::Str(Cow::Owned(x.to_string()))
    }

    /// `Null` for an empty string, else the string.
    pub fn non_empty(s: impl Into<Cow<'a, str>>) -> Value<'a> {
        let s = s.into();
        if s.is_empty() {
            Value::Null
        } else {
            Value::Str(s)
        }
    }

    /// The cell's text in `col`, with `null` for a missing value.
    pub fn text<'s>(&'s self, col: &Column, null: &'s str) -> Cow<'s, str> {
        match self {
            Value::Null => Cow::Borrowed(null),
            Value::Str(s) => Cow::Borrowed(s),
            Value::WithText { text, .. } => Cow::Borrowed(text),
            Value::List(items) if items.is_empty() => Cow::Borrowed(null),
            _ => {
                let mut s = String::new();
                self.push_text(col, null, &mut s);
                Cow::Owned(s)
            }
        }
    }

    fn push_text(&self, col: &Column, null: &str, out: &mut String) {
        match self {
            Value::Null => out.push_str(null),
            Value::Str(s) => out.push_str(s),
            Value::WithText { text, .. } => out.push_str(text),
            Value::U64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::I64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::F64(x) => {
                let _ = match col.decimals {
                    Some(d) => write!(out, "{x:.d$}"),
                    None => write!(out, "{x}"),
                };
            }
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Ip(ip) => {
                let mut buf = [0u8; IP_TEXT_MAX];
                out.push_str(ip_text(&mut buf, *ip));
            }
            Value::List(items) => {
                if items.is_empty() {
                    out.push_str(null);
                }
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&col.list_separator);
                    }
                    it.push_text(col, null, out);
                }
            }
            Value::Map(kv) => {
                out.push('{');
                for (i, (k, v)) in kv.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    v.push_text(col, null, out);
                }
                out.push('}');
            }
        }
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Str(v) => s.serialize_str(v),
            Value::U64(n) => s.serialize_u64(*n),
            Value::I64(n) => s.serialize_i64(*n),
            Value::F64(x) => s.serialize_f64(*x),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Ip(ip) => s.collect_str(ip),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for it in items {
                    seq.serialize_element(it)?;
                }
                seq.end()
            }
            Value::Map(kv) => {
                let mut m = s.serialize_map(Some(kv.len()))?;
                for (k, v) in kv {
                    m.serialize_entry(k.as_ref(), v)?;
                }
                m.end()
            }
            Value::WithText { data, .. } => data.serialize(s),
        }
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(s: &'a String) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Str(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Value::Str(s)
    }
}

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                Value::U64(u64::from(n))
            }
        }
    )*};
}
from_unsigned!(u8, u16, u32, u64);

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                Value::I64(i64::from(n))
            }
        }
    )*};
}
from_signed!(i8, i16, i32, i64);

impl From<usize> for Value<'_> {
    fn from(n: usize) -> Self {
        Value::U64(n as u64)
    }
}

impl From<f64> for Value<'_> {
    fn from(x: f64) -> Self {
        Value::F64(x)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<std::net::IpAddr> for Value<'_> {
    fn from(ip: std::net::IpAddr) -> Self {
        Value::Ip(ip)
    }
}

/// Per octet value: its decimal digits followed by `.` (padded to 4
/// bytes), and the number of digits.
const OCTETS: [([u8; 4], usize); 256] = {
    let mut t = [([0u8; 4], 0usize); 256];
    let mut v = 0;
    while v < 256 {
        let (h, d, o) = ((v / 100) as u8, (v / 10 % 10) as u8, (v % 10) as u8);
        t[v] = if v >= 100 {
            ([b'0' + h, b'0' + d, b'0' + o, b'.'], 3)
        } else if v >= 10 {
            ([b'0' + d, b'0' + o, b'.', 0], 2)
        } else {
            ([b'0' + o, b'.', 0, 0], 1)
        };
        v += 1;
    }
    t
};

/// The longest text of an address (`ffff:ffff:...:255.255.255.255`).
pub(crate) const IP_TEXT_MAX: usize = 45;

/// `ip` as `Display` writes it, in `buf`: the dotted quad without the
/// formatter (what nearly every row has), IPv6 through it.
pub(crate) fn ip_text(buf: &mut [u8; IP_TEXT_MAX], ip: std::net::IpAddr) -> &str {
    let n = match ip {
        std::net::IpAddr::V4(v4) => {
            // Each octet's digits and a '.' as one 4-byte store from a
            // table, then advanced by the digits' count (a division loop
            // and a variable-length copy per octet cost ~100 instructions).
            let mut n = 0;
            for octet in v4.octets() {
                let (text, len) = OCTETS[usize::from(octet)];
                buf[n..n + 4].copy_from_slice(&text);
                n += len + 1;
            }
            n - 1
        }
        std::net::IpAddr::V6(_) => {
            let mut w = &mut buf[..];
            let _ = std::io::Write::write_fmt(&mut w, format_args!("{ip}"));
            IP_TEXT_MAX - w.len()
        }
    };
    std::str::from_utf8(&buf[..n]).expect("an address is ASCII")
}

/// `n` in decimal in `buf`, as `Display` writes it (no formatter, no
/// UTF-8 check: the writers take bytes).
pub(crate) fn decimal_bytes(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl<'a> From<&'a [String]> for Value<'a> {
    fn from(items: &'a [String]) -> Self {
        Value::List(items.iter().map(Value::from).collect())
    }
}

impl<'a> From<&'a Vec<String>> for Value<'a> {
    fn from(items: &'a Vec<String>) -> Self {
        Value::from(items.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The direct dotted quad and decimal text equal `Display`'s.
        #[test]
        fn addresses_and_numbers_read_as_display_writes_them(
            octets in proptest::array::uniform4(0u8..=255),
            v6 in proptest::array::uniform8(proptest::prop_oneof![proptest::strategy::Just(0u16), proptest::strategy::Just(0xffff), proptest::prelude::any::<u16>()]),
            n in proptest::prelude::any::<u64>(),
        ) {
            for ip in [std::net::IpAddr::from(octets), std::net::IpAddr::from(v6)] {
                let c = Column::new("x");
                let v = Value::from(ip);
                proptest::prop_assert_eq!(v.text(&c, "-"), ip.to_string());
                proptest::prop_assert_eq!(serde_json::to_string(&Value::from(ip)).unwrap(), format!("\"{ip}\""));
            }
            let mut digits = [0u8; 20];
            let text = n.to_string();
            proptest::prop_assert_eq!(decimal_bytes(&mut digits, n), text.as_bytes());
        }
    }

    #[test]
    fn edge_numbers_and_addresses() {
        for n in [0, 9, 10, 99, 100, u64::MAX] {
            let mut digits = [0u8; 20];
            assert_eq!(decimal_bytes(&mut digits, n), n.to_string().as_bytes());
        }
        for ip in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "::1",
            "2001:db8::1",
            "::ffff:255.255.255.255",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(Value::from(ip).text(&Column::new("x"), "-"), ip.to_string());
        }
    }

    #[test]
    fn text_of_each_kind() {
        let c = Column::new("x");
        assert_eq!(Value::Null.text(&c, "-"), "-");
        assert_eq!(Value::from("a b").text(&c, "-"), "a b");
        assert_eq!(Value::from(443u16).text(&c, "-"), "443");
        assert_eq!(Value::from(-5i64).text(&c, "-"), "-5");
        assert_eq!(Value::F64(1.25).text(&c, "-"), "1.25");
        assert_eq!(Value::F64(1.25).text(&c.clone().decimals(1), "-"), "1.2");
        assert_eq!(
            Value::F64(0.06).text(&Column::new("s").decimals(1), ""),
            "0.1"
        );
        assert_eq!(Value::Bool(true).text(&c, "-"), "true");
        let l = Value::List(vec!["tls1.3".into(), "tls1.2".into()]);
        assert_eq!(l.text(&c, "-"), "tls1.3;tls1.2");
        assert_eq!(
            l.text(&Column::new("x").list_separator(" "), "-"),
            "tls1.3 tls1.2"
        );
        assert_eq!(Value::List(vec![]).text(&c, "-"), "-");
        assert_eq!(Value::List(vec![]).text(&c, ""), "");
        let m = Value::Map(vec![("a".into(), 1u8.into()), ("b".into(), Value::Null)]);
        assert_eq!(m.text(&c, "-"), "{a: 1, b: -}");
        let w = Value::WithText {
            text: "['x']".into(),
            data: Box::new(Value::List(vec!["x".into()])),
        };
        assert_eq!(w.text(&c, "-"), "['x']");
        assert_eq!(Value::non_empty(""), Value::Null);
        assert_eq!(Value::from(None::<&str>), Value::Null);
    }

    #[test]
    fn json_keeps_types_and_order() {
        let v = Value::Map(vec![
            ("z".into(), Value::U64(1)),
            ("a".into(), Value::Null),
            ("m".into(), Value::List(vec!["x".into(), Value::I64(-1)])),
            ("f".into(), Value::F64(f64::NAN)),
            (
                "w".into(),
                Value::WithText {
                    text: "shown".into(),
                    data: Box::new(Value::Bool(false)),
                },
            ),
        ]);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"z":1,"a":null,"m":["x",-1],"f":null,"w":false}"#
        );
    }
}
