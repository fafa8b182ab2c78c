//! Presentation only: row writers (table, CSV, JSON Lines) for the rows
//! and summary rows that `tls_handshake::audit` produces.

use std::io::{self, Write};

use serde::Serialize;
use tls_handshake::audit::{Connection, SummaryRow};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Column names of the per-connection output, in order.
pub const COLUMNS: [&str; 13] = [
    "file",
    "first_seen",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "version",
    "client_version",
    "offered_versions",
    "sni",
    "alpn",
    "cipher",
    "ja4",
];

/// Column names of the `--summary` output, in order.
pub const SUMMARY_COLUMNS: [&str; 8] = [
    "version",
    "client_ip",
    "server_ip",
    "server_port",
    "sni",
    "connections",
    "first_seen",
    "last_seen",
];

fn opt(s: &Option<String>, null: &str) -> String {
    s.clone().unwrap_or_else(|| null.to_owned())
}

/// The fields of a row as text; `null` stands for a missing value
/// (empty in CSV, `-` in the table). Lists are joined with `;`.
pub fn fields(c: &Connection, null: &str) -> Vec<String> {
    vec![
        c.file.clone(),
        c.first_seen.clone(),
        c.client_ip.to_string(),
        c.client_port.to_string(),
        c.server_ip.to_string(),
        c.server_port.to_string(),
        opt(&c.version, null),
        opt(&c.client_version, null),
        if c.offered_versions.is_empty() {
            null.to_owned()
        } else {
            c.offered_versions.join(";")
        },
        opt(&c.sni, null),
        if c.alpn.is_empty() {
            null.to_owned()
        } else {
            c.alpn.join(";")
        },
        opt(&c.cipher, null),
        opt(&c.ja4, null),
    ]
}

/// Writes rows of text in one of the formats. JSON rows come from a
/// `Serialize` value, the others from the text fields.
pub struct RowWriter<W: Write> {
    format: Format,
    out: Sink<W>,
    table: Table,
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Plain(W),
}

/// Rows the table buffers to size its columns before it starts printing.
const TABLE_SAMPLE: usize = 500;

struct Table {
    headers: Vec<&'static str>,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
}

impl<W: Write> RowWriter<W> {
    /// A writer for `format` with the given column names.
    pub fn new(format: Format, headers: &[&'static str], out: W) -> io::Result<Self> {
        let out = if format == Format::Csv {
            let mut w = csv::WriterBuilder::new().from_writer(out);
            w.write_record(headers).map_err(csv_err)?;
            Sink::Csv(Box::new(w))
        } else {
            Sink::Plain(out)
        };
        Ok(RowWriter {
            format,
            out,
            table: Table {
                headers: headers.to_vec(),
                pending: Vec::new(),
                widths: None,
            },
        })
    }

    /// Writes one row: `text` for table/CSV, `json` for JSON Lines.
    pub fn row(
        &mut self,
        text: impl FnOnce(&str) -> Vec<String>,
        json: &impl Serialize,
    ) -> io::Result<()> {
        match (&mut self.out, self.format) {
            (Sink::Csv(w), _) => w.write_record(text("")).map_err(csv_err),
            (Sink::Plain(out), Format::Jsonl) => {
                serde_json::to_writer(&mut *out, json).map_err(io::Error::other)?;
                out.write_all(b"\n")
            }
            (Sink::Plain(out), _) => {
                let fields = text("-");
                if let Some(widths) = &self.table.widths {
                    write_table_row(out, widths, &fields)
                } else {
                    self.table.pending.push(fields);
                    if self.table.pending.len() >= TABLE_SAMPLE {
                        self.flush_table()
                    } else {
                        Ok(())
                    }
                }
            }
        }
    }

    fn flush_table(&mut self) -> io::Result<()> {
        let Sink::Plain(out) = &mut self.out else {
            return Ok(());
        };
        let t = &mut self.table;
        if t.widths.is_none() {
            let mut widths: Vec<usize> = t.headers.iter().map(|h| h.len()).collect();
            for r in &t.pending {
                for (w, f) in widths.iter_mut().zip(r) {
                    *w = (*w).max(f.chars().count());
                }
            }
            let headers: Vec<String> = t.headers.iter().map(|h| h.to_string()).collect();
            write_table_row(out, &widths, &headers)?;
            t.widths = Some(widths);
        }
        let widths = t.widths.clone().unwrap_or_default();
        for r in t.pending.drain(..) {
            write_table_row(out, &widths, &r)?;
        }
        Ok(())
    }

    /// Flushes buffered rows; a table with no row prints its header only.
    pub fn finish(mut self) -> io::Result<()> {
        if self.format == Format::Table {
            self.flush_table()?;
        }
        match &mut self.out {
            Sink::Csv(w) => w.flush(),
            Sink::Plain(w) => w.flush(),
        }
    }
}

fn write_table_row(out: &mut impl Write, widths: &[usize], fields: &[String]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (f, w)) in fields.iter().zip(widths).enumerate() {
        if i + 1 == fields.len() {
            line.push_str(f);
        } else {
            line.push_str(f);
            let pad = w.saturating_sub(f.chars().count()) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.push('\n');
    out.write_all(line.trim_end_matches(' ').as_bytes())
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Text fields of a `--summary` row in [`SUMMARY_COLUMNS`] order.
pub fn summary_fields(r: &SummaryRow, null: &str) -> Vec<String> {
    vec![
        opt(&r.version, null),
        r.client_ip.to_string(),
        r.server_ip.to_string(),
        r.server_port.to_string(),
        opt(&r.sni, null),
        r.connections.to_string(),
        r.first_seen.clone(),
        r.last_seen.clone(),
    ]
}
