//! `fsm-parse`: thin command-line front end over the `fsm-parse` crate.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use fsm_parse::{Index, Record, RowRef, Template, ValueRef};

const AFTER_HELP: &str = "\
Examples:
  fsm-parse cisco_ios_show_version.textfsm show_version.txt
  ssh sw1 'show ip route' | fsm-parse routes.textfsm --format json
  fsm-parse --index ntc-templates/templates --platform cisco_ios \\
            --command 'sh ip int br' output.txt --format csv
  fsm-parse --index ./templates --platform arista_eos --command 'show version' \\
            --lowercase-keys --format json < out.txt

Output:
  table  aligned columns with a header line (default)
  csv    header row, then one row per record
  json   a JSON array of objects keyed by value name; List values are
         arrays; unset values are \"\" (what Python TextFSM returns)
  In table and csv, a List value prints as Python prints a list: ['a', 'b'].

With --index, templates are chosen like clitable/ntc-templates: the first
index row whose Platform and Command patterns match (Command completions
like sh[[ow]]), several templates per row joined on their Key values, List
items turned into strings.

Exit codes:
  0  parsed (possibly zero records)
  2  the template, the index or the input failed (message on stderr names
     the file and line); an Error action in the template also exits 2
  3  usage error";

/// Parse CLI output into records with TextFSM templates.
#[derive(Parser, Debug)]
#[command(version, about, after_help = AFTER_HELP)]
struct Args {
    /// `TEMPLATE [INPUT]`, or with --index just `[INPUT]`; INPUT defaults
    /// to standard input (`-` also means standard input).
    #[arg(value_name = "TEMPLATE|INPUT", num_args = 0..=2)]
    paths: Vec<PathBuf>,

    /// Template directory holding an ntc-templates `index` file.
    #[arg(long, value_name = "DIR", requires_all = ["platform", "command"])]
    index: Option<PathBuf>,

    /// Platform to look up in the index (e.g. cisco_ios).
    #[arg(long, requires = "index")]
    platform: Option<String>,

    /// Command to look up in the index (e.g. "show ip route").
    #[arg(long, requires = "index")]
    command: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Lowercase the column names (what ntc-templates' parse_output and
    /// netmiko return).
    #[arg(long)]
    lowercase_keys: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

/// Exit code 2 with a message.
struct Failure(String);

fn read_input(path: Option<&Path>) -> Result<(String, String), Failure> {
    let (name, bytes) = match path {
        None => read_stdin()?,
        Some(p) if p.as_os_str() == "-" => read_stdin()?,
        Some(p) => (
            p.display().to_string(),
            std::fs::read(p)
                .map_err(|e| Failure(format!("{}: cannot read input: {e}", p.display())))?,
        ),
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok((name, s)),
        Err(e) => {
            let off = e.utf8_error().valid_up_to();
            eprintln!(
                "fsm-parse: warning: {name}: byte offset {off}: not UTF-8; invalid bytes are replaced with U+FFFD"
            );
            Ok((name, String::from_utf8_lossy(e.as_bytes()).into_owned()))
        }
    }
}

fn read_stdin() -> Result<(String, Vec<u8>), Failure> {
    let mut b = Vec::new();
    std::io::stdin()
        .read_to_end(&mut b)
        .map_err(|e| Failure(format!("<stdin>: cannot read input: {e}")))?;
    Ok(("<stdin>".to_owned(), b))
}

/// The rows to write: collected through the index, or one template run
/// over the input (streamed to the writer by `Template::run_each`).
enum Rows {
    Records(Vec<Record>),
    Template {
        t: Template,
        name: String,
        tpath: PathBuf,
        input: String,
    },
}

fn run(args: &Args) -> Result<(Vec<String>, Rows), Failure> {
    if let Some(dir) = &args.index {
        if args.paths.len() > 1 {
            return Err(Failure(
                "with --index give at most one INPUT file (the template comes from the index)"
                    .into(),
            ));
        }
        let (platform, command) = (
            args.platform.as_deref().unwrap_or_default(),
            args.command.as_deref().unwrap_or_default(),
        );
        let idx = Index::load(dir).map_err(|e| Failure(e.to_string()))?;
        let (_, input) = read_input(args.paths.first().map(PathBuf::as_path))?;
        let row = idx.find(platform, command).ok_or_else(|| {
            Failure(format!(
                "{}: no template for platform {platform:?} and command {command:?}; check the spelling of both",
                dir.join("index").display()
            ))
        })?;
        let templates = row.templates.clone();
        let rows = idx
            .parse_with(&templates, &input)
            .map_err(|e| Failure(e.to_string()))?;
        let header = match rows.first() {
            Some(r) => r.header().to_vec(),
            None => {
                // No rows: still print the header the templates declare.
                let mut h: Vec<String> = Vec::new();
                for name in templates.split(':') {
                    let t = idx.template(name).map_err(|e| Failure(e.to_string()))?;
                    for v in t.value_names() {
                        if !h.contains(v) {
                            h.push(v.clone());
                        }
                    }
                }
                h
            }
        };
        return Ok((header, Rows::Records(rows)));
    }
    let Some(tpath) = args.paths.first() else {
        return Err(Failure(
            "give a TEMPLATE file, or --index DIR --platform P --command C (see --help)".into(),
        ));
    };
    let text = std::fs::read_to_string(tpath)
        .map_err(|e| Failure(format!("{}: cannot read template: {e}", tpath.display())))?;
    let t = Template::parse(&text).map_err(|e| {
        let at = if e.line > 0 {
            format!("line {}: ", e.line)
        } else {
            String::new()
        };
        Failure(format!("{}: {at}{e}; fix the template", tpath.display()))
    })?;
    let (name, input) = read_input(args.paths.get(1).map(PathBuf::as_path))?;
    let header = t.value_names().to_vec();
    Ok((
        header,
        Rows::Template {
            t,
            name,
            tpath: tpath.clone(),
            input,
        },
    ))
}

impl Rows {
    /// Calls `emit` with every row, in order.
    fn each(&self, emit: &mut dyn FnMut(RowRef<'_>)) -> Result<(), Failure> {
        match self {
            Rows::Records(rows) => {
                for r in rows {
                    emit(r.as_row_ref());
                }
                Ok(())
            }
            Rows::Template {
                t,
                name,
                tpath,
                input,
            } => t
                .run_each(input, emit)
                .map_err(|e| Failure(format!("{name}: {e} (template {})", tpath.display()))),
        }
    }
}

/// One row as a JSON object: value name -> value, keys in `order`.
struct JsonRow<'a> {
    header: &'a [String],
    order: &'a [usize],
    row: RowRef<'a>,
}

impl serde::Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.order.len()))?;
        for &i in self.order {
            if let Some(v) = self.row.value(i) {
                m.serialize_entry(&self.header[i], &v)?;
            }
        }
        m.end()
    }
}

/// A failed write into the output buffer (cannot happen with a `Vec`, but
/// the writers' APIs say it may).
fn write_failure(e: impl std::fmt::Display) -> Failure {
    Failure(format!("cannot format output: {e}"))
}

/// Formats every row into a buffer. The rows come from `rows.each`, so a
/// template run streams into the buffer without collecting records; the
/// buffer is written out only after the run succeeded (an `Error` action
/// leaves stdout empty, as it always did).
fn format_rows(args: &Args, header: &[String], rows: &Rows) -> Result<Vec<u8>, Failure> {
    let header: Vec<String> = header
        .iter()
        .map(|h| {
            if args.lowercase_keys {
                h.to_lowercase()
            } else {
                h.clone()
            }
        })
        .collect();
    let mut out: Vec<u8> = Vec::new();
    match args.format {
        Format::Json => {
            // Keys in sorted order, as a JSON object map gives them.
            use serde::ser::{SerializeSeq, Serializer};
            let mut order: Vec<usize> = (0..header.len()).collect();
            order.sort_by(|&a, &b| header[a].cmp(&header[b]));
            let mut ser = serde_json::Serializer::pretty(&mut out);
            let mut seq = ser.serialize_seq(None).map_err(write_failure)?;
            let mut err = None;
            rows.each(&mut |row| {
                if err.is_none()
                    && let Err(e) = seq.serialize_element(&JsonRow {
                        header: &header,
                        order: &order,
                        row,
                    })
                {
                    err = Some(e);
                }
            })?;
            if let Some(e) = err {
                return Err(write_failure(e));
            }
            seq.end().map_err(write_failure)?;
            out.push(b'\n');
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(&header).map_err(write_failure)?;
            let mut err = None;
            rows.each(&mut |row| {
                if err.is_some() {
                    return;
                }
                for v in row.values() {
                    let r = match v {
                        ValueRef::Str(s) => w.write_field(s),
                        ValueRef::List(_) => w.write_field(v.to_string()),
                    };
                    if let Err(e) = r {
                        err = Some(e);
                        return;
                    }
                }
                if let Err(e) = w.write_record(None::<&[u8]>) {
                    err = Some(e);
                }
            })?;
            if let Some(e) = err {
                return Err(write_failure(e));
            }
            w.flush().map_err(write_failure)?;
        }
        Format::Table => {
            let mut cells: Vec<Vec<String>> = Vec::new();
            rows.each(&mut |row| cells.push(row.values().map(|v| v.to_string()).collect()))?;
            let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
            for row in &cells {
                for (w, c) in widths.iter_mut().zip(row) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |out: &mut Vec<u8>, row: &[String]| {
                let mut s = String::new();
                for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
                    if i > 0 {
                        s.push_str("  ");
                    }
                    s.push_str(c);
                    if i + 1 < row.len() {
                        s.extend(std::iter::repeat_n(' ', w - c.chars().count()));
                    }
                }
                out.extend_from_slice(s.trim_end().as_bytes());
                out.push(b'\n');
            };
            line(&mut out, &header);
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            line(&mut out, &rule);
            for row in &cells {
                line(&mut out, row);
            }
        }
    }
    Ok(out)
}

fn write_out(buf: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(buf)?;
    out.flush()
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let formatted = run(&args).and_then(|(header, rows)| format_rows(&args, &header, &rows));
    match formatted {
        Ok(buf) => match write_out(&buf) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("fsm-parse: cannot write output: {e}");
                ExitCode::from(2)
            }
        },
        Err(Failure(msg)) => {
            eprintln!("fsm-parse: {msg}");
            ExitCode::from(2)
        }
    }
}
