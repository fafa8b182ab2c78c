//! `fsm-parse`: thin command-line front end over the `fsm-parse` crate.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use fsm_parse::{Index, IndexError, ListItem, Record, RowRef, Template, ValueRef};
use netops_cli::{Column, Format, TableStyle, Value, Writer, exit};

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
  3  usage error, or the output could not be written (a closed pipe is
     not an error)";

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
    #[arg(long, value_enum, default_value_t = Fmt::Table)]
    format: Fmt,

    /// Lowercase the column names (what ntc-templates' parse_output and
    /// netmiko return).
    #[arg(long)]
    lowercase_keys: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Fmt {
    Table,
    Csv,
    Json,
}

/// Exit code 2 with a message.
struct Failure(String);

impl From<IndexError> for Failure {
    fn from(e: IndexError) -> Self {
        Failure(e.to_string())
    }
}

fn read_input(path: Option<&Path>) -> Result<(String, String), Failure> {
    let (name, bytes) = match path.filter(|p| p.as_os_str() != "-") {
        Some(p) => (p.display().to_string(), std::fs::read(p)),
        None => {
            let mut b = Vec::new();
            let r = std::io::stdin().read_to_end(&mut b).map(|_| b);
            ("<stdin>".to_owned(), r)
        }
    };
    let bytes = bytes.map_err(|e| Failure(format!("{name}: cannot read input: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok((name, s)),
        Err(e) => {
            let off = e.utf8_error().valid_up_to();
            netops_cli::warn(format_args!(
                "warning: {name}: byte offset {off}: not UTF-8; invalid bytes are replaced with U+FFFD"
            ));
            Ok((name, String::from_utf8_lossy(e.as_bytes()).into_owned()))
        }
    }
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
        let idx = Index::load(dir)?;
        let (_, input) = read_input(args.paths.first().map(PathBuf::as_path))?;
        let row = idx.find(platform, command).ok_or_else(|| {
            Failure(format!(
                "{}: no template for platform {platform:?} and command {command:?}; check the spelling of both",
                dir.join("index").display()
            ))
        })?;
        let templates = row.templates.clone();
        let rows = idx.parse_with(&templates, &input)?;
        // The header the templates declare (also when there is no row).
        return Ok((idx.header_with(&templates)?, Rows::Records(rows)));
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

/// A value as the shared writer takes it: a plain value is text; a `List`
/// value prints as Python prints a list in table and CSV, and is an array
/// (items `null` or objects in pattern order, as `fsm_parse` serialises
/// them) in JSON.
fn cell(v: ValueRef<'_>) -> Value<'_> {
    match v {
        ValueRef::Str(s) => Value::Str(s.into()),
        ValueRef::List(items) => Value::WithText {
            text: v.to_string().into(),
            data: Box::new(Value::List(items.iter().map(item).collect())),
        },
    }
}

fn item(it: &ListItem) -> Value<'_> {
    match it {
        ListItem::Str(s) => Value::Str(s.into()),
        ListItem::None => Value::Null,
        ListItem::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.into(), v.as_deref().into()))
                .collect(),
        ),
    }
}

/// Formats every row into a buffer. The rows come from `rows.each`, so a
/// template run streams into the buffer without collecting records; the
/// buffer is written out only after the run succeeded (an `Error` action
/// leaves stdout empty, as it always did).
fn format_rows(args: &Args, header: &[String], rows: &Rows) -> Result<Vec<u8>, Failure> {
    let (format, mut order): (Format, Vec<usize>) = match args.format {
        Fmt::Table => (Format::Table, (0..header.len()).collect()),
        Fmt::Csv => (Format::Csv, (0..header.len()).collect()),
        Fmt::Json => (Format::Json, (0..header.len()).collect()),
    };
    let name = |i: usize| {
        if args.lowercase_keys {
            header[i].to_lowercase()
        } else {
            header[i].clone()
        }
    };
    if format == Format::Json {
        // Keys in sorted order, as a JSON object map gives them.
        order.sort_by_key(|&i| name(i));
    }
    let cols = order.iter().map(|&i| Column::new(name(i))).collect();
    let mut w = Writer::new(format, cols, Vec::new()).table_style(TableStyle::new().rule(true));
    rows.each(&mut |row| {
        let values: Vec<Value<'_>> = order
            .iter()
            .map(|&i| row.value(i).map_or(Value::Null, cell))
            .collect();
        w.row(&values);
    })?;
    w.into_inner()
        .map_err(|e| Failure(format!("cannot format output: {e}")))
}

fn main() -> ExitCode {
    let args: Args = netops_cli::parse();
    match run(&args).and_then(|(header, rows)| format_rows(&args, &header, &rows)) {
        Ok(buf) => netops_cli::write_stdout(&buf).exit_code(exit::OK),
        Err(Failure(msg)) => {
            netops_cli::warn(msg);
            ExitCode::from(exit::FAILED)
        }
    }
}
