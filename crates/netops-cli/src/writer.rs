//! One row writer for every tool: table, CSV, JSON Lines, JSON.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::exit;
use crate::output::{Finished, WriteError, copy_error};
use crate::value::{Align, Column, Value};

/// Standard output as [`Writer::stdout`] writes it: buffered (64 KiB).
pub type Stdout = io::BufWriter<io::Stdout>;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Aligned columns with a header line, for people (see [`TableStyle`]).
    Table,
    /// RFC 4180 CSV (the `csv` crate) with a header row; `\n` line ends,
    /// fields quoted only when they must be.
    Csv,
    /// JSON Lines: one compact object per row, keys in column order.
    Jsonl,
    /// One pretty-printed JSON array of objects (two-space indent, keys in
    /// column order), what `serde_json::to_writer_pretty` gives for a list.
    Json,
}

impl Format {
    /// The name users type after `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
        }
    }

    /// The format called `name` (as [`Format::name`] spells it).
    pub fn from_name(name: &str) -> Option<Format> {
        [Format::Table, Format::Csv, Format::Jsonl, Format::Json]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

/// How a table looks. The default: no null text, widths from every row
/// (the whole table is held until [`Writer::finish`]), no rule under the
/// header, the header printed even with no rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableStyle {
    null: Cow<'static, str>,
    sample: usize,
    rule: bool,
    header_when_empty: bool,
}

impl Default for TableStyle {
    fn default() -> Self {
        TableStyle {
            null: Cow::Borrowed(""),
            sample: usize::MAX,
            rule: false,
            header_when_empty: true,
        }
    }
}

impl TableStyle {
    /// The default style.
    pub fn new() -> TableStyle {
        TableStyle::default()
    }

    /// What a [`Value::Null`] (and an empty list) prints as, e.g. `-`.
    pub fn null(mut self, text: impl Into<Cow<'static, str>>) -> TableStyle {
        self.null = text.into();
        self
    }

    /// Size the columns from the first `rows` rows, then stream: the table
    /// starts printing after `rows` rows and holds no more; a later, wider
    /// cell pushes its line out of alignment. Without this, every row is
    /// held until [`Writer::finish`].
    pub fn sample(mut self, rows: usize) -> TableStyle {
        self.sample = rows.max(1);
        self
    }

    /// A line of dashes under the header.
    pub fn rule(mut self, yes: bool) -> TableStyle {
        self.rule = yes;
        self
    }

    /// Whether a table with no rows prints its header (default) or nothing.
    pub fn header_when_empty(mut self, yes: bool) -> TableStyle {
        self.header_when_empty = yes;
        self
    }
}

/// Where rows go in a format this crate does not write itself (the hook for
/// Arrow/Parquet, which a crate of its own adds): [`Writer::with_sink`]
/// hands it each row, and the writer's error policy applies to it too.
pub trait RowSink<W> {
    /// One row: `values[i]` belongs to `columns[i]` (a missing value is
    /// [`Value::Null`]).
    fn row(&mut self, columns: &[Column], values: &[Value<'_>]) -> io::Result<()>;

    /// Writes what is still held, flushes, and hands back the destination.
    fn finish(self: Box<Self>, columns: &[Column]) -> io::Result<W>;
}

/// Writes rows in one [`Format`], a [`Value`] per [`Column`] per row, to
/// `W` (standard output for [`Writer::stdout`]).
///
/// Errors are sticky: [`Writer::row`] returns nothing; the first write
/// error is kept, the rows after it are dropped ([`Writer::is_failed`] says
/// so, for callers that want to stop early), and [`Writer::finish`] reports
/// it. A writer dropped without `finish` finishes itself and prints a real
/// write error on standard error, so no error goes unreported.
pub struct Writer<W: Write> {
    columns: Vec<Column>,
    sink: Option<Sink<W>>,
    error: Option<io::Error>,
    rows: u64,
}

enum Sink<W: Write> {
    Table(TableSink<W>),
    Csv(Box<CsvSink<W>>),
    Jsonl(JsonlSink<W>),
    Json(JsonSink<W>),
    Custom(Box<dyn RowSink<W>>),
}

static NULL: Value<'static> = Value::Null;

/// `values[i]`, or `Null` past the end.
fn cell<'v, 'a>(values: &'v [Value<'a>], i: usize) -> &'v Value<'a> {
    values.get(i).unwrap_or(&NULL)
}

impl Writer<Stdout> {
    /// A writer to standard output (buffered, 64 KiB).
    pub fn stdout(format: Format, columns: Vec<Column>) -> Writer<Stdout> {
        Writer::new(
            format,
            columns,
            io::BufWriter::with_capacity(1 << 16, io::stdout()),
        )
    }
}

impl<W: Write> Writer<W> {
    /// A writer for `format` with these columns. Nothing is written until
    /// the first row (or [`Writer::finish`], which writes the header of an
    /// empty CSV or table).
    pub fn new(format: Format, columns: Vec<Column>, out: W) -> Writer<W> {
        let sink = match format {
            Format::Table => Sink::Table(TableSink {
                out,
                style: TableStyle::default(),
                pending: Vec::new(),
                widths: None,
                line: String::new(),
            }),
            Format::Csv => Sink::Csv(Box::new(CsvSink {
                w: csv::WriterBuilder::new().from_writer(out),
                header_done: false,
            })),
            Format::Jsonl => Sink::Jsonl(JsonlSink {
                out,
                keys: Vec::new(),
                scratch: Vec::new(),
            }),
            Format::Json => Sink::Json(JsonSink {
                out,
                first: true,
                scratch: Vec::new(),
                keys: Vec::new(),
            }),
        };
        Writer {
            columns,
            sink: Some(sink),
            error: None,
            rows: 0,
        }
    }

    /// A writer that hands rows to `sink` (another format).
    pub fn with_sink(columns: Vec<Column>, sink: Box<dyn RowSink<W>>) -> Writer<W> {
        Writer {
            columns,
            sink: Some(Sink::Custom(sink)),
            error: None,
            rows: 0,
        }
    }

    /// Sets the table's style (no effect on other formats); call before
    /// the first row.
    pub fn table_style(mut self, style: TableStyle) -> Writer<W> {
        if let Some(Sink::Table(t)) = &mut self.sink
            && t.widths.is_none()
            && t.pending.is_empty()
        {
            t.style = style;
        }
        self
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Writes one row: `values[i]` is the value of column `i`; missing
    /// values are [`Value::Null`], extra values are ignored. After a write
    /// error the row is dropped (see [`Writer::is_failed`]).
    pub fn row(&mut self, values: &[Value<'_>]) {
        self.rows += 1;
        if self.error.is_some() {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        let cols = &self.columns;
        let r = match sink {
            Sink::Table(t) => t.row(cols, values),
            Sink::Csv(c) => c.row(cols, values),
            Sink::Jsonl(j) => j.row(cols, values),
            Sink::Json(j) => j.row(cols, values),
            Sink::Custom(c) => c.row(cols, values),
        };
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// Like [`Writer::row`], with the row's `n` values made one at a time
    /// by `value(i)` (values past `n` are `Null`): the JSON formats write
    /// each value as it is made, without collecting the row first (a
    /// program that streams many rows of borrowed text saves a vector per
    /// row and a second walk over it); the other formats collect it.
    pub fn row_with<'v>(&mut self, n: usize, mut value: impl FnMut(usize) -> Value<'v>) {
        let cols = &self.columns;
        let r = match self.sink.as_mut() {
            Some(Sink::Json(j)) if self.error.is_none() => j.row_by(cols, |buf, i| {
                value_or_null(buf, i, n, &mut value, json_value)
            }),
            Some(Sink::Jsonl(j)) if self.error.is_none() => j.row_by(cols, |buf, i| {
                value_or_null(buf, i, n, &mut value, json_compact)
            }),
            _ => {
                let values: Vec<Value<'v>> = (0..n).map(value).collect();
                self.row(&values);
                return;
            }
        };
        self.rows += 1;
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// Rows handed to [`Writer::row`] so far (written or dropped).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether a write failed or the reader closed the pipe: later rows are
    /// dropped, so a caller may stop producing them.
    pub fn is_failed(&self) -> bool {
        self.error.is_some()
    }

    /// Writes what is held (a table's rows, the header of an empty output),
    /// flushes, and says how the output went: [`Finished::exit_code`] turns
    /// that into the exit code.
    pub fn finish(mut self) -> Finished {
        Finished::from_result(self.close().map(drop))
    }

    /// Like [`Writer::finish`], handing back the destination (a `Vec<u8>`
    /// the output was formatted into). A closed pipe is an error here.
    pub fn into_inner(mut self) -> Result<W, WriteError> {
        match self.close() {
            Ok(Some(w)) => Ok(w),
            Ok(None) => Err(WriteError::new(io::Error::other("writer already finished"))),
            Err(e) => Err(WriteError::new(e)),
        }
    }

    /// Finishes the sink; the first error of the whole run wins.
    fn close(&mut self) -> io::Result<Option<W>> {
        let Some(sink) = self.sink.take() else {
            return Ok(None);
        };
        let cols = &self.columns;
        let r = match sink {
            Sink::Table(t) => t.finish(cols, self.error.is_none()),
            Sink::Csv(c) => (*c).finish(cols, self.error.is_none()),
            Sink::Jsonl(mut j) => j.out.flush().map(|()| j.out),
            Sink::Json(j) => j.finish(self.error.is_none()),
            Sink::Custom(c) => c.finish(cols),
        };
        match (self.error.take(), r) {
            (Some(e), _) => Err(e),
            (None, Ok(w)) => Ok(Some(w)),
            (None, Err(e)) => Err(e),
        }
    }
}

impl<W: Write> Drop for Writer<W> {
    fn drop(&mut self) {
        if self.sink.is_some()
            && let Err(e) = self.close()
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            exit::warn(WriteError::new(e));
        }
    }
}

/// A row as a JSON object, keys in column order (what the direct JSON
/// writers are checked against).
#[cfg(test)]
struct RowSer<'r, 'a>(&'r [Column], &'r [Value<'a>]);

#[cfg(test)]
impl serde::Serialize for RowSer<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (i, c) in self.0.iter().enumerate() {
            m.serialize_entry(c.name(), cell(self.1, i))?;
        }
        m.end()
    }
}

struct TableSink<W> {
    out: W,
    style: TableStyle,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    line: String,
}

impl<W: Write> TableSink<W> {
    fn row(&mut self, cols: &[Column], values: &[Value<'_>]) -> io::Result<()> {
        let null = &self.style.null;
        if let Some(widths) = &self.widths {
            let cells = (0..cols.len()).map(|i| cell(values, i).text(&cols[i], null));
            return write_line(&mut self.out, &mut self.line, widths, cols, cells);
        }
        let cells = (0..cols.len())
            .map(|i| cell(values, i).text(&cols[i], null).into_owned())
            .collect();
        self.pending.push(cells);
        if self.pending.len() >= self.style.sample {
            self.start(cols)?;
        }
        Ok(())
    }

    /// Sizes the columns from the header and the held rows, prints them.
    fn start(&mut self, cols: &[Column]) -> io::Result<()> {
        let mut widths: Vec<usize> = cols.iter().map(|c| c.name().chars().count()).collect();
        for r in &self.pending {
            for (w, f) in widths.iter_mut().zip(r) {
                *w = (*w).max(f.chars().count());
            }
        }
        let (out, line) = (&mut self.out, &mut self.line);
        write_line(out, line, &widths, cols, cols.iter().map(|c| c.name()))?;
        if self.style.rule {
            let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            write_line(out, line, &widths, cols, dashes.iter().map(String::as_str))?;
        }
        for r in self.pending.drain(..) {
            write_line(out, line, &widths, cols, r.iter().map(String::as_str))?;
        }
        self.pending = Vec::new();
        self.widths = Some(widths);
        Ok(())
    }

    fn finish(mut self, cols: &[Column], ok: bool) -> io::Result<W> {
        if ok && self.widths.is_none() && (!self.pending.is_empty() || self.style.header_when_empty)
        {
            self.start(cols)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One table line: cells separated by two spaces, padded to `widths`
/// (the last left-aligned cell is not padded), trailing spaces trimmed.
fn write_line<'c>(
    out: &mut impl Write,
    line: &mut String,
    widths: &[usize],
    cols: &[Column],
    cells: impl Iterator<Item = impl AsRef<str> + 'c>,
) -> io::Result<()> {
    line.clear();
    let n = widths.len();
    for (i, c) in cells.enumerate().take(n) {
        let c = c.as_ref();
        let pad = widths[i].saturating_sub(c.chars().count());
        if i > 0 {
            line.push_str("  ");
        }
        if cols[i].align() == Align::Right {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(c);
        } else {
            line.push_str(c);
            if i + 1 < n {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
    }
    let kept = line.trim_end_matches(' ').len();
    line.truncate(kept);
    line.push('\n');
    out.write_all(line.as_bytes())
}

struct CsvSink<W: Write> {
    w: csv::Writer<W>,
    header_done: bool,
}

impl<W: Write> CsvSink<W> {
    fn header(&mut self, cols: &[Column]) -> io::Result<()> {
        if !self.header_done {
            self.header_done = true;
            self.w
                .write_record(cols.iter().map(|c| c.name()))
                .map_err(csv_err)?;
        }
        Ok(())
    }

    fn row(&mut self, cols: &[Column], values: &[Value<'_>]) -> io::Result<()> {
        self.header(cols)?;
        for (i, c) in cols.iter().enumerate() {
            self.w
                .write_field(cell(values, i).text(c, "").as_bytes())
                .map_err(csv_err)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(csv_err)
    }

    fn finish(mut self, cols: &[Column], ok: bool) -> io::Result<W> {
        if ok {
            self.header(cols)?;
        }
        self.w.into_inner().map_err(|e| copy_error(e.error()))
    }
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// JSON Lines written directly: each column's `"name":` escaped once, the
/// row built in one buffer and written with one call; byte for byte what
/// `serde_json::to_writer` writes for the row as a map (tested).
struct JsonlSink<W> {
    out: W,
    /// `"name":` per column, made at the first row.
    keys: Vec<Vec<u8>>,
    scratch: Vec<u8>,
}

impl<W: Write> JsonlSink<W> {
    fn row(&mut self, cols: &[Column], values: &[Value<'_>]) -> io::Result<()> {
        self.row_by(cols, |buf, i| json_compact(buf, cell(values, i)))
    }

    /// [`JsonlSink::row`] with value `i` written by `put(buf, i)`.
    fn row_by(
        &mut self,
        cols: &[Column],
        mut put: impl FnMut(&mut Vec<u8>, usize) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.keys.len() != cols.len() {
            self.keys = json_keys(cols, b"", b",", b":");
        }
        let buf = &mut self.scratch;
        buf.clear();
        buf.push(b'{');
        for (i, key) in self.keys.iter().enumerate() {
            buf.extend_from_slice(key);
            put(buf, i)?;
        }
        buf.extend_from_slice(b"}\n");
        self.out.write_all(buf)
    }
}

/// [`Writer::row_with`]'s value `i` of `n` (`Null` past them), written by
/// the sink's own JSON writer `write`.
#[inline(always)]
fn value_or_null<'v>(
    buf: &mut Vec<u8>,
    i: usize,
    n: usize,
    value: &mut impl FnMut(usize) -> Value<'v>,
    write: impl Fn(&mut Vec<u8>, &Value<'_>) -> io::Result<()>,
) -> io::Result<()> {
    if i < n {
        write(buf, &value(i))
    } else {
        write(buf, &NULL)
    }
}

/// Appends `n` in decimal (what `write!(buf, "{n}")` gives, without the
/// formatter: every row has a few integers).
fn push_u64(buf: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    buf.extend_from_slice(crate::value::decimal_bytes(&mut digits, n));
}

/// [`push_u64`] for a signed number.
fn push_i64(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_u64(buf, n.unsigned_abs());
}

/// Writes one value as `serde_json::to_writer` does: strings and integers
/// directly, everything else through serde_json.
fn json_compact(buf: &mut Vec<u8>, v: &Value<'_>) -> io::Result<()> {
    match v {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Str(s) => json_str(buf, s),
        Value::U64(n) => push_u64(buf, *n),
        Value::I64(n) => push_i64(buf, *n),
        Value::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Ip(ip) => json_ip(buf, *ip),
        Value::WithText { data, .. } => return json_compact(buf, data),
        other => serde_json::to_writer(&mut *buf, other)?,
    }
    Ok(())
}

struct JsonSink<W> {
    out: W,
    first: bool,
    scratch: Vec<u8>,
    /// Per column, what goes before its value: `\n    "name": ` (`,`
    /// first after the first column), escaped once instead of on every
    /// row (made by the first row: the columns never change).
    keys: Vec<Vec<u8>>,
}

impl<W: Write> JsonSink<W> {
    /// One object of the array, exactly as `serde_json`'s pretty printer
    /// writes it one level in; strings and numbers are written here
    /// directly (a row of short strings is most of what tools print, and
    /// the pretty printer costs several times more per key), other values
    /// go through the pretty printer and are indented to their depth.
    fn row(&mut self, cols: &[Column], values: &[Value<'_>]) -> io::Result<()> {
        self.row_by(cols, |buf, i| json_value(buf, cell(values, i)))
    }

    /// [`JsonSink::row`] with value `i` written by `put(buf, i)`.
    fn row_by(
        &mut self,
        cols: &[Column],
        mut put: impl FnMut(&mut Vec<u8>, usize) -> io::Result<()>,
    ) -> io::Result<()> {
        let buf = &mut self.scratch;
        buf.clear();
        buf.extend_from_slice(if self.first { b"[\n" } else { b",\n" });
        self.first = false;
        if cols.is_empty() {
            buf.extend_from_slice(b"  {}");
        } else {
            if self.keys.len() != cols.len() {
                self.keys = json_keys(cols, b"\n    ", b",\n    ", b": ");
            }
            buf.extend_from_slice(b"  {");
            for (i, k) in self.keys.iter().enumerate() {
                buf.extend_from_slice(k);
                put(buf, i)?;
            }
            buf.extend_from_slice(b"\n  }");
        }
        self.out.write_all(buf)
    }

    fn finish(mut self, ok: bool) -> io::Result<W> {
        if ok {
            self.out
                .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What goes before each column's value in a JSON object row: `first` (the
/// first column) or `rest`, the escaped name, then `colon`. Made once per
/// writer: the columns never change.
fn json_keys(cols: &[Column], first: &[u8], rest: &[u8], colon: &[u8]) -> Vec<Vec<u8>> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| {
            let mut k = Vec::new();
            k.extend_from_slice(if i == 0 { first } else { rest });
            json_str(&mut k, c.name());
            k.extend_from_slice(colon);
            k
        })
        .collect()
}

/// Writes `s` as a JSON string, escaped as `serde_json` escapes it.
fn json_str(buf: &mut Vec<u8>, s: &str) {
    if json_plain(s.as_bytes()) {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // serde_json cannot fail writing a str into a Vec.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// Writes an address as a JSON string.
fn json_ip(buf: &mut Vec<u8>, ip: std::net::IpAddr) {
    let mut text = [0u8; crate::value::IP_TEXT_MAX];
    let t = crate::value::ip_text(&mut text, ip);
    buf.reserve(t.len() + 2);
    buf.push(b'"');
    buf.extend_from_slice(t.as_bytes());
    buf.push(b'"');
}

/// A byte JSON writes as it is: not a control byte, `"` or `\\`.
fn plain_byte(b: u8) -> bool {
    b >= 0x20 && b != b'"' && b != b'\\'
}

/// True when no byte of `s` needs escaping in JSON ([`plain_byte`] holds
/// for all), tested eight bytes at a time: every string of every JSON row
/// goes through this (a byte loop was ~3.5 instructions a byte).
fn json_plain(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Non-zero when some byte of `w` is below `n` (n <= 0x80; bytes with
    // the high bit set are never below).
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
    let mut words = s.chunks_exact(8);
    let mut escape = 0;
    for c in &mut words {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        escape |= below(w, 0x20)
            | below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1);
    }
    escape == 0 && words.remainder().iter().all(|&b| plain_byte(b))
}

/// Writes one value at depth 2 (inside an object inside the array).
fn json_value(buf: &mut Vec<u8>, v: &Value<'_>) -> io::Result<()> {
    match v {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Str(s) => json_str(buf, s),
        Value::U64(n) => push_u64(buf, *n),
        Value::I64(n) => push_i64(buf, *n),
        Value::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Ip(ip) => json_ip(buf, *ip),
        Value::WithText { data, .. } => return json_value(buf, data),
        // A list of strings (what fsm-parse's `List` values are), as the
        // pretty printer writes it at depth 2.
        Value::List(items)
            if items
                .iter()
                .all(|v| matches!(v, Value::Str(_) | Value::Null)) =>
        {
            if items.is_empty() {
                buf.extend_from_slice(b"[]");
                return Ok(());
            }
            for (i, it) in items.iter().enumerate() {
                buf.extend_from_slice(if i == 0 { b"[\n      " } else { b",\n      " });
                match it {
                    Value::Str(s) => json_str(buf, s),
                    _ => buf.extend_from_slice(b"null"),
                }
            }
            buf.extend_from_slice(b"\n    ]");
        }
        other => {
            let start = buf.len();
            serde_json::to_writer_pretty(&mut *buf, other)?;
            // Indent every line after the first to depth 2.
            if buf[start..].contains(&b'\n') {
                let tail = buf.split_off(start);
                for (i, l) in tail.split(|&b| b == b'\n').enumerate() {
                    if i > 0 {
                        buf.extend_from_slice(b"\n    ");
                    }
                    buf.extend_from_slice(l);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns;

    fn render(format: Format, style: TableStyle, rows: &[Vec<Value<'_>>]) -> String {
        let cols = vec![
            Column::new("name"),
            Column::new("port").right(),
            Column::new("tags"),
        ];
        let mut w = Writer::new(format, cols, Vec::new()).table_style(style);
        for r in rows {
            w.row(r);
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    proptest::proptest! {
        /// The word-at-a-time test agrees with the byte test, and a string
        /// is written as serde_json writes it, on strings made mostly of
        /// the bytes either side of each limit.
        #[test]
        fn json_plain_agrees_with_the_byte_test(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        0u8, 0x1f, 0x20, 0x21, b'"', b'#', b'[', b'\\', b']', 0x7f, 0x80, 0xa2, 0xdc, 0xff,
                    ]),
                    proptest::num::u8::ANY,
                ],
                0..40,
            )
        ) {
            proptest::prop_assert_eq!(json_plain(&bytes), bytes.iter().all(|&b| plain_byte(b)));
            let text = String::from_utf8_lossy(&bytes);
            let mut ours = Vec::new();
            json_str(&mut ours, &text);
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&*text).unwrap());
        }
    }

    #[test]
    fn json_plain_finds_each_byte_to_escape_at_every_place_in_a_word() {
        for len in 1..=24 {
            assert!(json_plain(&vec![b'a'; len]));
            for at in 0..len {
                for b in [0u8, 0x1f, b'"', b'\\'] {
                    let mut v = vec![0xffu8; len];
                    v[at] = b;
                    assert!(!json_plain(&v), "{b:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn row_with_writes_what_row_writes() {
        let cols = || {
            vec![
                Column::new("name"),
                Column::new("port").right(),
                Column::new("tags"),
            ]
        };
        for format in [Format::Json, Format::Jsonl, Format::Csv, Format::Table] {
            let rows = sample();
            let mut by_row = Writer::new(format, cols(), Vec::new());
            let mut by_value = Writer::new(format, cols(), Vec::new());
            for r in &rows {
                by_row.row(r);
                by_value.row_with(r.len(), |i| r[i].clone());
            }
            // Fewer values than columns: the rest are null.
            by_row.row(&["short".into()]);
            by_value.row_with(1, |_| "short".into());
            assert_eq!(by_value.rows(), 3);
            let want = String::from_utf8(by_row.into_inner().unwrap()).unwrap();
            let got = String::from_utf8(by_value.into_inner().unwrap()).unwrap();
            assert!(want.contains("short"), "{format:?}");
            assert_eq!(got, want, "{format:?}");
        }
    }

    fn sample() -> Vec<Vec<Value<'static>>> {
        vec![
            vec![
                "web01".into(),
                443u16.into(),
                Value::List(vec!["a".into(), "b".into()]),
            ],
            vec!["db, \"x\"".into(), 5432u16.into(), Value::Null],
        ]
    }

    #[test]
    fn table() {
        let t = render(Format::Table, TableStyle::new().null("-"), &sample());
        assert_eq!(
            t,
            "name     port  tags\n\
             web01     443  a;b\n\
             db, \"x\"  5432  -\n"
        );
        let ruled = render(Format::Table, TableStyle::new().rule(true), &sample());
        assert_eq!(
            ruled,
            "name     port  tags\n\
             -------  ----  ----\n\
             web01     443  a;b\n\
             db, \"x\"  5432\n"
        );
    }

    #[test]
    fn empty_table_header_or_nothing() {
        assert_eq!(
            render(Format::Table, TableStyle::new(), &[]),
            "name  port  tags\n"
        );
        let none = TableStyle::new().header_when_empty(false);
        assert_eq!(render(Format::Table, none, &[]), "");
    }

    #[test]
    fn streamed_table_sizes_from_the_sample() {
        let rows = vec![
            vec!["a".into(), 1u8.into(), "x".into()],
            vec!["bb".into(), 2u8.into(), "y".into()],
            vec!["a-much-longer-name".into(), 3u8.into(), "z".into()],
        ];
        let t = render(Format::Table, TableStyle::new().sample(2), &rows);
        assert_eq!(
            t,
            "name  port  tags\n\
             a        1  x\n\
             bb       2  y\n\
             a-much-longer-name     3  z\n"
        );
    }

    #[test]
    fn csv() {
        let t = render(Format::Csv, TableStyle::new().null("-"), &sample());
        assert_eq!(
            t,
            "name,port,tags\nweb01,443,a;b\n\"db, \"\"x\"\"\",5432,\n"
        );
        assert_eq!(
            render(Format::Csv, TableStyle::new(), &[]),
            "name,port,tags\n"
        );
    }

    #[test]
    fn jsonl() {
        let t = render(Format::Jsonl, TableStyle::new(), &sample());
        assert_eq!(
            t,
            "{\"name\":\"web01\",\"port\":443,\"tags\":[\"a\",\"b\"]}\n\
             {\"name\":\"db, \\\"x\\\"\",\"port\":5432,\"tags\":null}\n"
        );
        assert_eq!(render(Format::Jsonl, TableStyle::new(), &[]), "");
    }

    #[test]
    fn json_is_serde_json_pretty() {
        let t = render(Format::Json, TableStyle::new(), &sample());
        // What serde_json prints for the same data as a list of objects.
        let mut expect = serde_json::to_string_pretty(&serde_json::json!([
            {"name": "web01", "port": 443, "tags": ["a", "b"]},
            {"name": "db, \"x\"", "port": 5432, "tags": null},
        ]))
        .unwrap();
        expect.push('\n');
        assert_eq!(t, expect);
        assert_eq!(render(Format::Json, TableStyle::new(), &[]), "[]\n");
    }

    /// The direct writer against the pretty printer, on every kind of
    /// value (nested lists and maps, escapes, numbers, no columns).
    #[test]
    fn json_rows_are_what_the_pretty_printer_writes() {
        let cols = vec![
            Column::new("a\"b"),
            Column::new("n"),
            Column::new("x"),
            Column::new("m"),
        ];
        let rows: Vec<Vec<Value<'_>>> = vec![
            vec![
                "tab\there \u{1} é \\ \"q\"".into(),
                Value::I64(-3),
                Value::F64(1.5),
                Value::Map(vec![
                    ("k".into(), Value::List(vec!["a".into(), Value::Null])),
                    ("e".into(), Value::List(vec![])),
                ]),
            ],
            vec![
                Value::Bool(true),
                Value::U64(7),
                Value::WithText {
                    text: "t".into(),
                    data: Box::new(Value::List(vec!["x".into()])),
                },
                Value::Map(vec![]),
            ],
            vec![
                Value::List(vec!["a\n\"".into(), Value::Null, "".into()]),
                Value::List(vec![]),
                Value::List(vec!["x".into(), Value::U64(1)]),
                Value::List(vec![Value::Null]),
            ],
            vec![],
        ];
        let mut w = Writer::new(Format::Json, cols.clone(), Vec::new());
        for r in &rows {
            w.row(r);
        }
        let got = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let objs: Vec<RowSer<'_, '_>> = rows.iter().map(|r| RowSer(&cols, r)).collect();
        let mut want = serde_json::to_string_pretty(&objs).unwrap();
        want.push('\n');
        assert_eq!(got, want);
        let mut w = Writer::new(Format::Json, Vec::new(), Vec::new());
        w.row(&[]);
        let got = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(got, "[\n  {}\n]\n");
    }

    /// The direct JSON Lines writer against `serde_json::to_writer` on
    /// every kind of value, and on rows shorter and longer than the columns.
    #[test]
    fn jsonl_rows_are_what_serde_json_writes() {
        let cols = vec![
            Column::new("a\"b"),
            Column::new("n"),
            Column::new("x"),
            Column::new("m"),
            Column::new("f"),
        ];
        let rows: Vec<Vec<Value<'_>>> = vec![
            vec![
                "tab\there \u{1} \u{7f} é \\ \"q\"".into(),
                Value::I64(i64::MIN),
                Value::F64(1.5),
                Value::Map(vec![
                    ("k\n".into(), Value::List(vec!["a".into(), Value::Null])),
                    ("e".into(), Value::List(vec![])),
                ]),
                Value::F64(f64::NAN),
            ],
            vec![
                Value::Bool(false),
                Value::U64(u64::MAX),
                Value::WithText {
                    text: "t".into(),
                    data: Box::new(Value::List(vec!["x".into(), Value::F64(-0.25)])),
                },
                Value::Map(vec![]),
            ],
            vec![],
            vec![Value::Null; 7],
        ];
        let mut w = Writer::new(Format::Jsonl, cols.clone(), Vec::new());
        for r in &rows {
            w.row(r);
        }
        let got = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let mut want = String::new();
        for r in &rows {
            want.push_str(&serde_json::to_string(&RowSer(&cols, r)).unwrap());
            want.push('\n');
        }
        assert_eq!(got, want);
    }

    #[test]
    fn short_rows_are_padded_with_null() {
        let mut w = Writer::new(Format::Csv, columns(&["a", "b"]), Vec::new());
        w.row(&["1".into()]);
        w.row(&["2".into(), "3".into(), "extra".into()]);
        assert_eq!(w.rows(), 2);
        assert_eq!(w.into_inner().unwrap(), b"a,b\n1,\n2,3\n");
    }

    #[test]
    fn format_names_round_trip() {
        for f in [Format::Table, Format::Csv, Format::Jsonl, Format::Json] {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("parquet"), None);
    }

    /// A sink standing in for a later Arrow/Parquet writer.
    struct Count(Vec<u8>, usize);
    impl RowSink<Vec<u8>> for Count {
        fn row(&mut self, cols: &[Column], values: &[Value<'_>]) -> io::Result<()> {
            self.1 += 1;
            assert_eq!(cols.len(), 2);
            assert_eq!(values[0], Value::U64(7));
            Ok(())
        }
        fn finish(mut self: Box<Self>, _: &[Column]) -> io::Result<Vec<u8>> {
            self.0
                .extend_from_slice(format!("{} rows", self.1).as_bytes());
            Ok(self.0)
        }
    }

    #[test]
    fn custom_sink() {
        let mut w = Writer::with_sink(columns(&["a", "b"]), Box::new(Count(Vec::new(), 0)));
        w.row(&[7u8.into(), Value::Null]);
        w.row(&[7u8.into(), Value::Null]);
        assert_eq!(w.into_inner().unwrap(), b"2 rows");
    }

    /// Accepts `room` bytes, then fails like a full disk.
    struct Full {
        room: usize,
        writes_after_error: usize,
        kind: io::ErrorKind,
    }
    impl Write for Full {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                self.writes_after_error += 1;
                return Err(io::Error::from(self.kind));
            }
            let n = b.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn first_error_is_kept_and_later_rows_dropped() {
        for format in [Format::Table, Format::Csv, Format::Jsonl, Format::Json] {
            let full = Full {
                room: 10,
                writes_after_error: 0,
                kind: io::ErrorKind::StorageFull,
            };
            let mut w =
                Writer::new(format, columns(&["a"]), full).table_style(TableStyle::new().sample(1));
            for i in 0..10_000u32 {
                w.row(&[i.into()]);
            }
            assert!(w.is_failed(), "{format:?}");
            assert_eq!(w.rows(), 10_000);
            match w.finish() {
                Finished::Failed(e) => {
                    assert_eq!(e.io().kind(), io::ErrorKind::StorageFull, "{format:?}")
                }
                other => panic!("{format:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn broken_pipe_is_closed_not_failed() {
        let pipe = Full {
            room: 0,
            writes_after_error: 0,
            kind: io::ErrorKind::BrokenPipe,
        };
        let mut w = Writer::new(
            Format::Jsonl,
            columns(&["a"]),
            io::BufWriter::with_capacity(4, pipe),
        );
        w.row(&["hello".into()]);
        w.row(&["again".into()]);
        assert!(w.is_failed());
        let f = w.finish();
        assert!(matches!(f, Finished::Closed), "{f:?}");
        assert_eq!(f.code(exit::OK), exit::OK);
    }
}
