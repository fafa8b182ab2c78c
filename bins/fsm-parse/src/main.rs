//! `fsm-parse`: thin command-line front end over the `fsm-parse` crate.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use fsm_parse::{
    DEFAULT_MAX_INPUT, DEFAULT_MAX_LINE, Index, IndexError, ListItem, ReadError, ReadSummary,
    RowRef, Template, ValueRef,
};
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
  json   a JSON array of objects keyed by value name, keys in template
         order (as Python TextFSM gives them); List values are arrays;
         unset values are \"\" (what Python TextFSM returns)
  jsonl  the same objects, one per line (JSON Lines)
  In table and csv, a List value prints as Python prints a list: ['a', 'b'].

Input is read line by line and rows are written as they are made (a
template with an Error action holds its rows until the input ended, as
Python TextFSM returns none when one fires). Limits: --max-line-bytes
(16 MiB), --max-input-bytes (128 MiB, only for index rows that join
several templates); see docs/LIMITS.md.

With --index, templates are chosen like clitable/ntc-templates: the first
index row whose Platform and Command patterns match (Command completions
like sh[[ow]]), several templates per row joined on their Key values, List
items turned into strings.

Exit codes:
  0  parsed (possibly zero records)
  2  the template, the index or the input failed (message on stderr names
     the file and line); an Error action in the template also exits 2
  3  usage error (no TEMPLATE and no --index, two INPUTs with --index),
     or the output could not be written (a closed pipe is not an error)";

/// Parse CLI output into records with TextFSM templates.
#[derive(Parser, Debug)]
#[command(name = "fsm-parse", version, about, after_help = AFTER_HELP)]
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

    /// Longest input line accepted, in bytes: the input is read line by
    /// line, and a longer line (not text: `/dev/zero`, a binary file) stops
    /// with an error instead of filling memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE)]
    max_line_bytes: usize,

    /// Largest input held whole, in bytes: only an index row naming several
    /// templates (joined on their keys) reads the input whole; a larger
    /// input stops with an error.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_INPUT)]
    max_input_bytes: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Fmt {
    Table,
    Csv,
    /// One JSON array of the records.
    Json,
    /// One JSON object per record, per line.
    Jsonl,
}

/// A run that failed: the message, and the exit code.
struct Failure(String, u8);

impl Failure {
    /// The template, the index or the input failed: exit 2.
    fn input(msg: impl Into<String>) -> Failure {
        Failure(msg.into(), exit::FAILED)
    }
    /// The arguments do not make a run: exit 3.
    fn usage(msg: impl Into<String>) -> Failure {
        Failure(msg.into(), exit::USAGE)
    }
}

impl From<IndexError> for Failure {
    fn from(e: IndexError) -> Self {
        Failure::input(e.to_string())
    }
}

/// An opened input: its name, its reader, and its size when it is a
/// regular file.
type Input = (String, Box<dyn Read>, Option<u64>);

/// The input: a file, or standard input for none or `-`.
fn open_input(path: Option<&Path>) -> Result<Input, Failure> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            let name = p.display().to_string();
            let f = std::fs::File::open(p)
                .map_err(|e| Failure::input(format!("{name}: cannot read input: {e}")))?;
            let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            Ok((name, Box::new(f), len))
        }
        None => Ok((
            "<stdin>".to_owned(),
            Box::new(std::io::stdin().lock()),
            None,
        )),
    }
}

/// The buffer for output held until the run succeeded. For a large
/// regular file it has room for twice the input (JSON of a table is
/// about that; room not written is only address space), and its pages
/// are asked for as transparent huge pages: tens of megabytes of output
/// then take tens of page faults instead of thousands, each a trap into
/// the kernel (mikrotik's 20 MB input held 37 MB of JSON in 9,000 faults).
fn held_buffer(input_len: Option<u64>) -> Vec<u8> {
    let Some(cap) = input_len
        .and_then(|n| usize::try_from(n).ok())
        .map(|n| n.saturating_mul(2))
        .filter(|&n| n >= 2 * fsm_parse::HUGE_PAGE)
    else {
        return Vec::new();
    };
    let v = Vec::with_capacity(cap);
    fsm_parse::advise_huge_pages(v.as_ptr(), v.capacity());
    v
}

/// What to run: one template file, or an index row's templates.
enum Source {
    Template { t: Template, tpath: PathBuf },
    Index { idx: Box<Index>, templates: String },
}

fn source(args: &Args) -> Result<(Source, Option<&Path>), Failure> {
    if let Some(dir) = &args.index {
        if args.paths.len() > 1 {
            return Err(Failure::usage(
                "with --index give at most one INPUT file (the template comes from the index)",
            ));
        }
        let (platform, command) = (
            args.platform.as_deref().unwrap_or_default(),
            args.command.as_deref().unwrap_or_default(),
        );
        let idx = Box::new(Index::load(dir)?);
        let row = idx.find(platform, command).ok_or_else(|| {
            Failure::input(format!(
                "{}: no template for platform {platform:?} and command {command:?}; check the spelling of both",
                dir.join("index").display()
            ))
        })?;
        let templates = row.templates.clone();
        return Ok((
            Source::Index { idx, templates },
            args.paths.first().map(PathBuf::as_path),
        ));
    }
    let Some(tpath) = args.paths.first() else {
        return Err(Failure::usage(
            "give a TEMPLATE file, or --index DIR --platform P --command C (see --help)",
        ));
    };
    let text = std::fs::read_to_string(tpath)
        .map_err(|e| Failure::input(format!("{}: cannot read template: {e}", tpath.display())))?;
    let t = Template::parse(&text).map_err(|e| {
        let at = if e.line > 0 {
            format!("line {}: ", e.line)
        } else {
            String::new()
        };
        Failure::input(format!("{}: {at}{e}; fix the template", tpath.display()))
    })?;
    Ok((
        Source::Template {
            t,
            tpath: tpath.clone(),
        },
        args.paths.get(1).map(PathBuf::as_path),
    ))
}

impl Source {
    /// The column names (also when there is no row).
    fn header(&self) -> Result<Vec<String>, Failure> {
        match self {
            Source::Template { t, .. } => Ok(t.value_names().to_vec()),
            Source::Index { idx, templates } => Ok(idx.header_with(templates)?),
        }
    }

    /// Whether a run can fail after rows were made (an `Error` action):
    /// then the output is held until the run succeeded, as Python TextFSM
    /// returns no rows at all on an error.
    fn may_fail_late(&self) -> Result<bool, Failure> {
        match self {
            Source::Template { t, .. } => Ok(t.has_error_action()),
            Source::Index { idx, templates } => {
                for name in templates.split(':') {
                    if idx.template(name)?.has_error_action() {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }

    /// Runs over `input`, line by line, calling `emit` with every row.
    fn each(
        &self,
        args: &Args,
        name: &str,
        input: Box<dyn Read>,
        emit: &mut dyn FnMut(RowRef<'_>),
    ) -> Result<ReadSummary, Failure> {
        let hint = |e: ReadError| -> String {
            match e {
                ReadError::LineTooLong { .. } => {
                    format!("{e} (raise the limit with --max-line-bytes)")
                }
                ReadError::InputTooLarge { .. } => {
                    format!("{e} (raise the limit with --max-input-bytes)")
                }
                e => e.to_string(),
            }
        };
        match self {
            Source::Template { t, tpath } => t
                .run_each_read(input, args.max_line_bytes, emit)
                .map_err(|e| match e {
                    ReadError::Run(e) => {
                        Failure::input(format!("{name}: {e} (template {})", tpath.display()))
                    }
                    e => Failure::input(format!("{name}: {}", hint(e))),
                }),
            Source::Index { idx, templates } => idx
                .parse_each_read(
                    templates,
                    input,
                    args.max_line_bytes,
                    args.max_input_bytes,
                    emit,
                )
                .map_err(|e| match e {
                    ReadError::Index(e) => Failure::input(e.to_string()),
                    e => Failure::input(format!("{name}: {}", hint(e))),
                }),
        }
    }
}

/// A value as the shared writer takes it: a plain value is text; a `List`
/// value prints as Python prints a list in table and CSV (`json` false),
/// and is an array (items `null` or objects in pattern order, as
/// `fsm_parse` serialises them) in JSON.
#[inline]
fn cell(v: ValueRef<'_>, json: bool) -> Value<'_> {
    match v {
        ValueRef::Str(s) => Value::Str(s.into()),
        ValueRef::List(items) if json => Value::List(items.iter().map(item).collect()),
        ValueRef::List(_) => Value::Str(v.to_string().into()),
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

/// Writes every row as the run makes it: straight to standard output, or,
/// when the template can fail late (an `Error` action), into a buffer
/// written only after the run succeeded (an `Error` action leaves stdout
/// empty, as Python TextFSM returns no rows then).
fn write_rows(args: &Args) -> Result<ExitCode, Failure> {
    let (src, input_path) = source(args)?;
    // Never dropped: the process ends right after this run, and freeing
    // the index (a thousand rows of compiled fields) one allocation at a
    // time cost more instructions than parsing the commonest small input.
    let src = std::mem::ManuallyDrop::new(src);
    let header = src.header()?;
    let format = match args.format {
        Fmt::Table => Format::Table,
        Fmt::Csv => Format::Csv,
        Fmt::Json => Format::Json,
        Fmt::Jsonl => Format::Jsonl,
    };
    // Columns (and JSON keys) in template order, as Python TextFSM gives
    // them.
    let cols = header
        .iter()
        .map(|h| {
            Column::new(if args.lowercase_keys {
                h.to_lowercase()
            } else {
                h.clone()
            })
        })
        .collect();
    let hold = src.may_fail_late()?;
    let json = matches!(format, Format::Json | Format::Jsonl);
    let (name, input, input_len) = open_input(input_path)?;
    let mut held: Vec<u8> = if hold {
        held_buffer(input_len)
    } else {
        Vec::new()
    };
    let out: Box<dyn Write + '_> = if hold {
        Box::new(&mut held)
    } else {
        Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        ))
    };
    let mut w = Writer::new(format, cols, out).table_style(TableStyle::new().rule(true));
    let seen = src.each(args, &name, input, &mut |row| {
        w.row_with(row.len(), |i| {
            row.value(i).map_or(Value::Null, |v| cell(v, json))
        });
    });
    let seen = match seen {
        Ok(seen) => seen,
        Err(e) => {
            if w.rows() == 0 {
                // Nothing was written: leave stdout empty rather than let
                // the writer print an empty table's header or `[]`.
                std::mem::forget(w);
            }
            return Err(e);
        }
    };
    if let Some(off) = seen.invalid_utf8_at {
        netops_cli::warn(format_args!(
            "warning: {name}: byte offset {off}: not UTF-8; invalid bytes are replaced with U+FFFD"
        ));
    }
    if hold {
        let w = w
            .into_inner()
            .map_err(|e| Failure::input(format!("cannot format output: {e}")))?;
        drop(w);
        return Ok(netops_cli::write_stdout(&held).exit_code(exit::OK));
    }
    Ok(w.finish().exit_code(exit::OK))
}

fn main() -> ExitCode {
    let args: Args = netops_cli::parse();
    match write_rows(&args) {
        Ok(code) => code,
        Err(Failure(msg, code)) => {
            netops_cli::warn(msg);
            ExitCode::from(code)
        }
    }
}
