//! The ntc-templates `index` file, read and applied the way Python's
//! `textfsm.clitable.CliTable` does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use std::io::Read;

use crate::pyre::PyRegex;
use crate::read::{ReadError, ReadSummary};
use crate::row::RowRef;
use crate::template::Template;
use crate::value::{ListItem, Record, Value};
use crate::{RunError, TemplateError};

/// Choosing or running templates through an index failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index file or a template file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The index file is malformed.
    #[error("{}: line {line}: {message}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No index row matches the platform and command.
    #[error(
        "no template in {} for platform {platform:?} and command {command:?}; check the spelling, or pass a template file instead",
        path.display()
    )]
    NoTemplate {
        /// The index file.
        path: PathBuf,
        /// Requested platform.
        platform: String,
        /// Requested command.
        command: String,
    },
    /// A template named by the index does not compile.
    #[error("{}: line {}: {source}", path.display(), source.line)]
    Template {
        /// The template file.
        path: PathBuf,
        /// TextFSM's complaint.
        source: TemplateError,
    },
    /// A template stopped with an `Error` action.
    #[error("{}: {source}", path.display())]
    Run {
        /// The template file.
        path: PathBuf,
        /// Where and why.
        source: RunError,
    },
    /// Joining the tables of several templates failed (a `Key` value of the
    /// first template is missing from the joined header).
    #[error("{}: unknown key {key:?} when joining templates {templates:?}", path.display())]
    Join {
        /// The index file.
        path: PathBuf,
        /// The key column.
        key: String,
        /// The templates of the row.
        templates: String,
    },
}

/// One row of the index.
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// 1-based line in the index file.
    pub line: usize,
    /// The `Template` column: one or more file names joined by `:`.
    pub templates: String,
    /// Every column, as written, by header name.
    pub fields: Vec<(String, String)>,
}

/// One index field as a matcher. Python compiles all of them when it loads
/// the index; here the syntax is checked at load (same errors) and the
/// pattern is compiled the first time a lookup reaches it, and a field
/// without regex syntax is a plain prefix test (what `re.match` does with
/// it). Loading the ntc-templates index this way takes milliseconds.
#[derive(Debug, Clone)]
enum Field {
    /// Empty field (or `.*`): matches anything.
    Any,
    /// No regex syntax: `re.match` is a prefix test.
    Literal(String),
    /// A `Command` field of plain text and `[[...]]` completions of plain
    /// text (`sh[[ow]] ver[[sion]]`), nearly every ntc-templates command:
    /// always a valid pattern, matched without compiling one (see
    /// [`completion_match`]).
    Completion(Vec<Part>),
    /// A pattern, compiled on first use.
    Pattern(String, Box<OnceLock<Option<PyRegex>>>),
}

/// A piece of a [`Field::Completion`].
#[derive(Debug, Clone)]
enum Part {
    /// Text matched as it is.
    Text(String),
    /// `[[xyz]]`, i.e. `(x(y(z)?)?)?`: any prefix of the text (whole
    /// characters), the empty one included.
    Prefix(String),
}

/// Characters with a meaning in a Python pattern (outside them the
/// pattern is plain text).
const PATTERN_SYNTAX: [char; 14] = [
    '\\', '.', '^', '$', '*', '+', '?', '{', '}', '[', ']', '|', '(', ')',
];

/// Where `s` first has the byte `b` twice in a row (`[[`, `]]`): a
/// `memchr` per candidate instead of a substring searcher set up per call
/// (the index has a thousand rows of these).
fn find_pair(s: &str, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b, &bytes[from..]) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `raw` as [`Part`]s when it is plain text and `[[...]]` completions of
/// non-empty plain text; `None` for anything else (which goes through
/// [`expand_completion`] and the regex engine).
fn completion_parts(raw: &str) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[[") {
            let j = find_pair(after, b']')?;
            let word = &after[..j];
            if word.is_empty() || word.contains(PATTERN_SYNTAX) {
                return None;
            }
            parts.push(Part::Prefix(word.to_owned()));
            rest = &after[j + 2..];
        } else {
            let j = find_pair(rest, b'[').unwrap_or(rest.len());
            let text = &rest[..j];
            if text.contains(PATTERN_SYNTAX) {
                return None;
            }
            parts.push(Part::Text(text.to_owned()));
            rest = &rest[j..];
        }
    }
    Some(parts)
}

/// `re.match` of a [`Field::Completion`] pattern: whether some choice of
/// completion lengths makes the parts a prefix of `v` (the greedy
/// `(x(y)?)?` groups try the lengths longest first, but only whether a
/// match exists matters here).
fn completion_match(parts: &[Part], v: &str) -> bool {
    match parts.split_first() {
        None => true,
        Some((Part::Text(t), rest)) => v
            .strip_prefix(t.as_str())
            .is_some_and(|v| completion_match(rest, v)),
        Some((Part::Prefix(w), rest)) => {
            // Every common prefix of `w` and `v` (whole chars) is a choice.
            let mut ends = vec![0];
            let mut n = 0;
            for (a, b) in w.chars().zip(v.chars()) {
                if a != b {
                    break;
                }
                n += a.len_utf8();
                ends.push(n);
            }
            ends.iter().rev().any(|&n| completion_match(rest, &v[n..]))
        }
    }
}

impl Field {
    /// `raw` is the field as written, `f` after [`expand_completion`]
    /// (the same text for columns other than `Command`).
    fn new(raw: &str, f: &str, command: bool) -> Result<Field, String> {
        if f.is_empty() || f == ".*" {
            return Ok(Field::Any);
        }
        if !f.contains(PATTERN_SYNTAX) {
            return Ok(Field::Literal(f.to_owned()));
        }
        if command && let Some(parts) = completion_parts(raw) {
            return Ok(Field::Completion(parts));
        }
        crate::translate::translate(f).map_err(|e| e.to_string())?;
        Ok(Field::Pattern(f.to_owned(), Box::default()))
    }

    fn matches(&self, v: &str) -> bool {
        match self {
            Field::Any => true,
            Field::Literal(l) => v.starts_with(l.as_str()),
            Field::Completion(parts) => completion_match(parts, v),
            Field::Pattern(src, re) => re
                .get_or_init(|| PyRegex::compile(src).ok())
                .as_ref()
                .is_some_and(|re| re.is_match(v).unwrap_or(false)),
        }
    }
}

/// A field that needs no matcher: `Some(None)` matches anything (empty
/// or `.*`), `Some(Some(lit))` is a prefix test; `None`: a pattern or a
/// completion ([`Field`]). The same answer [`Field::new`] gives, from the
/// text as written (a `Command` field without `[[` is its own expansion).
fn plain_field(raw: &str, command: bool) -> Option<Option<&str>> {
    if command && raw.contains("[[") {
        return None;
    }
    if raw.is_empty() || raw == ".*" {
        return Some(None);
    }
    (!raw.contains(PATTERN_SYNTAX)).then_some(Some(raw))
}

/// Whether [`completion_parts`] gives parts for `raw`, without making
/// them (the load checks every `Command` field).
fn is_completion(raw: &str) -> bool {
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[[") {
            let Some(j) = find_pair(after, b']') else {
                return false;
            };
            let word = &after[..j];
            if word.is_empty() || word.contains(PATTERN_SYNTAX) {
                return false;
            }
            rest = &after[j + 2..];
        } else {
            let j = find_pair(rest, b'[').unwrap_or(rest.len());
            if rest[..j].contains(PATTERN_SYNTAX) {
                return false;
            }
            rest = &rest[j..];
        }
    }
    true
}

/// [`Field::new`]'s syntax check without building the field: the error
/// Python's `re` gives for a bad pattern.
fn check_field(raw: &str, command: bool) -> Result<(), String> {
    if plain_field(raw, command).is_some() || (command && is_completion(raw)) {
        return Ok(());
    }
    let f = if command {
        expand_completion(raw)
    } else {
        raw.to_owned()
    };
    Field::new(raw, &f, command).map(|_| ())
}

/// A clitable index: the `index` file of a template directory.
///
/// ```no_run
/// let idx = fsm_parse::Index::load("ntc-templates/templates")?;
/// let rows = idx.parse("cisco_ios", "show version", "Cisco IOS Software, ...")?;
/// # Ok::<(), fsm_parse::IndexError>(())
/// ```
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    path: PathBuf,
    header: Vec<String>,
    /// The index file's text: rows are ranges of it until asked for.
    text: String,
    /// Per row: its 1-based line and its first cell in `cells`.
    rows: Vec<(usize, usize)>,
    /// Every row's cells (`header.len()` per row), as byte ranges of
    /// `text`, trimmed. A thousand rows of owned strings and fields made
    /// ahead were a third of a small run's instructions and most of its
    /// page faults.
    cells: Vec<(u32, u32)>,
    /// Per row, the row as [`IndexRow`], made when first handed out.
    built: Vec<OnceLock<Box<IndexRow>>>,
    /// Every row, for [`Index::rows`].
    all: OnceLock<Vec<IndexRow>>,
    /// The fields with a pattern or completion, by cell, made the first
    /// time a lookup reaches them (plain fields are tested from the text).
    fields: Mutex<HashMap<usize, Arc<Field>>>,
    cache: Mutex<HashMap<String, Arc<Template>>>,
    /// [`Index::find`] answers by platform, then command (row position):
    /// the rows never change, and the Command patterns of every row before
    /// the hit would otherwise run again on every call.
    found: Mutex<FoundCache>,
}

type FoundCache = HashMap<String, HashMap<String, Option<usize>>>;

/// `abc[[xyz]]` becomes `abc(x(y(z)?)?)?` (clitable's `_Completion`; the
/// `[[...]]` is matched non-greedily like `\[\[.+?\]\]`).
pub fn expand_completion(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    let mut rest = value;
    while let Some(i) = find_pair(rest, b'[') {
        // `.+?` needs at least one char, then "]]".
        let after = &rest[i + 2..];
        let mut found = None;
        let mut chars = after.char_indices();
        if chars.next().is_some() {
            for (j, _) in after.char_indices().skip(1) {
                if after[j..].starts_with("]]") {
                    found = Some(j);
                    break;
                }
            }
        }
        match found {
            Some(j) => {
                out.push_str(&rest[..i]);
                let word = &after[..j];
                // `(x(y(z` then `)?` per char, without a string per char
                // (this runs on every Command field of the index).
                for c in word.chars() {
                    out.push('(');
                    out.push(c);
                }
                for _ in word.chars() {
                    out.push_str(")?");
                }
                rest = &after[j + 2..];
            }
            None => {
                // No completion at this "[[": copy one char and go on.
                let c = rest[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&rest[..i + c]);
                rest = &rest[i + c..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Index {
    /// Reads `<dir>/index`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Index, IndexError> {
        let dir = dir.as_ref().to_path_buf();
        let path = dir.join("index");
        let text = std::fs::read_to_string(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        Index::from_text(&dir, &path, &text)
    }

    /// Reads an index from text; `dir` is where its templates are, `path`
    /// names the index in errors.
    pub fn from_text(dir: &Path, path: &Path, text: &str) -> Result<Index, IndexError> {
        // texttable.CsvToTable: the first line with something before a '#'
        // is the header; other lines starting with '#' are comments; rows
        // with a different number of fields are skipped.
        let lines: Vec<&str> = crate::split::template_lines(text);
        let mut i = 0;
        let mut header: Vec<String> = Vec::new();
        while i < lines.len() {
            let h = lines[i].split('#').next().unwrap_or("").trim();
            i += 1;
            if !h.is_empty() {
                for e in h.split(',') {
                    let e = e.trim().to_owned();
                    if header.contains(&e) {
                        return Err(IndexError::Index {
                            path: path.to_path_buf(),
                            line: i,
                            message: format!("duplicate header entry {e:?}"),
                        });
                    }
                    header.push(e);
                }
                break;
            }
        }
        if !header.iter().any(|h| h == "Template") {
            return Err(IndexError::Index {
                path: path.to_path_buf(),
                line: i.max(1),
                message: "index file does not have a 'Template' column".into(),
            });
        }
        let base = text.as_ptr() as usize;
        let range = |s: &str| {
            let a = s.as_ptr() as usize - base;
            (a as u32, (a + s.len()) as u32)
        };
        let mut rows = Vec::new();
        let mut cells = Vec::new();
        for (n, line) in lines.iter().enumerate().skip(i) {
            if line.starts_with('#') {
                continue;
            }
            if line.split(',').count() != header.len() {
                continue;
            }
            let first = cells.len();
            for (h, raw) in header.iter().zip(line.split(',').map(str::trim)) {
                // The syntax of every pattern is checked now, as Python
                // compiles them when it loads the index (same errors).
                if h != "Template"
                    && let Err(e) = check_field(raw, h == "Command")
                {
                    return Err(IndexError::Index {
                        path: path.to_path_buf(),
                        line: n + 1,
                        message: format!("column {h}: {e}"),
                    });
                }
                cells.push(range(raw));
            }
            rows.push((n + 1, first));
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            path: path.to_path_buf(),
            header,
            text: text.to_owned(),
            built: std::iter::repeat_with(OnceLock::new)
                .take(rows.len())
                .collect(),
            rows,
            cells,
            all: OnceLock::new(),
            fields: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            found: Mutex::new(HashMap::new()),
        })
    }

    /// Cell `col` of row `r`, as written (trimmed).
    fn cell(&self, r: usize, col: usize) -> &str {
        let (a, b) = self.cells[self.rows[r].1 + col];
        &self.text[a as usize..b as usize]
    }

    /// Row `r` as an [`IndexRow`] (made on first call).
    fn row(&self, r: usize) -> &IndexRow {
        self.built[r].get_or_init(|| Box::new(self.make_row(r)))
    }

    fn make_row(&self, r: usize) -> IndexRow {
        let mut templates = String::new();
        let fields = self
            .header
            .iter()
            .enumerate()
            .map(|(col, h)| {
                let raw = self.cell(r, col);
                let f = if h == "Command" {
                    expand_completion(raw)
                } else {
                    raw.to_owned()
                };
                if h == "Template" {
                    templates.clone_from(&f);
                }
                (h.clone(), f)
            })
            .collect();
        IndexRow {
            line: self.rows[r].0,
            templates,
            fields,
        }
    }

    /// Every attribute matches its column in row `r`; the cheap fields
    /// (empty, literal) are tested first (matching has no side effects,
    /// so the order of the tests does not change the answer).
    fn row_matches(&self, r: usize, attributes: &[(Option<usize>, &str)]) -> bool {
        let mut rest = false;
        for &(col, v) in attributes {
            let Some(col) = col else { continue };
            if self.header[col] == "Template" {
                continue;
            }
            match plain_field(self.cell(r, col), self.header[col] == "Command") {
                Some(None) => {}
                Some(Some(lit)) => {
                    if !v.starts_with(lit) {
                        return false;
                    }
                }
                None => rest = true,
            }
        }
        !rest
            || attributes.iter().all(|&(col, v)| {
                let Some(col) = col else { return true };
                let raw = self.cell(r, col);
                let command = self.header[col] == "Command";
                if self.header[col] == "Template" || plain_field(raw, command).is_some() {
                    return true;
                }
                let cell = self.rows[r].1 + col;
                let field = {
                    let mut fields = self.fields.lock().unwrap_or_else(PoisonError::into_inner);
                    Arc::clone(fields.entry(cell).or_insert_with(|| {
                        let f = if command {
                            expand_completion(raw)
                        } else {
                            raw.to_owned()
                        };
                        // Checked at load: this cannot fail.
                        Arc::new(Field::new(raw, &f, command).unwrap_or(Field::Any))
                    }))
                };
                field.matches(v)
            })
    }

    /// The index header (column names).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The index rows, in file order.
    pub fn rows(&self) -> &[IndexRow] {
        self.all
            .get_or_init(|| (0..self.rows.len()).map(|r| self.make_row(r)).collect())
    }

    /// The first row whose patterns match every given attribute
    /// (`re.match` semantics: anchored at the start only; an empty field or
    /// a column the index lacks matches anything).
    pub fn find_row(&self, attributes: &[(&str, &str)]) -> Option<&IndexRow> {
        let attributes = self.columns_of(attributes);
        (0..self.rows.len())
            .find(|&r| self.row_matches(r, &attributes))
            .map(|r| self.row(r))
    }

    /// Each attribute with its column's index in the header (`None`: a
    /// column the index lacks), looked up once for all rows.
    fn columns_of<'v>(&self, attributes: &[(&str, &'v str)]) -> Vec<(Option<usize>, &'v str)> {
        attributes
            .iter()
            .map(|(k, v)| (self.header.iter().position(|h| h == k), *v))
            .collect()
    }

    /// The row for a platform and a command (ntc-templates order of
    /// attributes: `Command` then `Platform`).
    pub fn find(&self, platform: &str, command: &str) -> Option<&IndexRow> {
        let cached = self
            .found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(platform)
            .and_then(|m| m.get(command).copied());
        if let Some(pos) = cached {
            return pos.map(|i| self.row(i));
        }
        let attributes = self.columns_of(&[("Command", command), ("Platform", platform)]);
        let pos = (0..self.rows.len()).find(|&r| self.row_matches(r, &attributes));
        self.found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(platform.to_owned())
            .or_default()
            .insert(command.to_owned(), pos);
        pos.map(|i| self.row(i))
    }

    /// Loads (once) and returns a template of this directory.
    pub fn template(&self, name: &str) -> Result<Arc<Template>, IndexError> {
        if let Some(t) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Ok(Arc::clone(t));
        }
        let path = self.dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let t = Arc::new(
            Template::parse(&text).map_err(|source| IndexError::Template { path, source })?,
        );
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), Arc::clone(&t));
        Ok(t)
    }

    /// Parses `input` with the template(s) the index names for this
    /// platform and command, joined and stringified like
    /// `clitable.CliTable.ParseCmd` (`List` items become Python strings:
    /// `"None"` for an unset group, a dict's repr for named groups). Header
    /// names are as the templates declare them (ntc-templates lowercases
    /// them afterwards).
    pub fn parse(
        &self,
        platform: &str,
        command: &str,
        input: &str,
    ) -> Result<Vec<Record>, IndexError> {
        let row = self
            .find(platform, command)
            .ok_or_else(|| IndexError::NoTemplate {
                path: self.path.clone(),
                platform: platform.to_owned(),
                command: command.to_owned(),
            })?;
        self.parse_with(&row.templates, input)
    }

    /// The column names [`Index::parse_with`] gives its records for this
    /// `a:b:c` template list: the first template's values, then each later
    /// template's values not seen yet. What a tool prints as the header
    /// when the input has no record.
    pub fn header_with(&self, templates: &str) -> Result<Vec<String>, IndexError> {
        let mut header: Vec<String> = Vec::new();
        for name in templates.split(':') {
            for v in self.template(name)?.value_names() {
                if !header.contains(v) {
                    header.push(v.clone());
                }
            }
        }
        Ok(header)
    }

    /// [`Index::parse_with`] handing each row to `f` instead of collecting
    /// them: one template streams its rows as the run records them
    /// ([`Template::run_each`], values borrowed, `List` items stringified
    /// like clitable: only a row holding a non-string item is copied);
    /// several templates are joined first (the join needs every row), then
    /// handed out. The rows and their order are [`Index::parse_with`]'s.
    /// As with [`Template::run_each`], a run that fails may have handed
    /// out rows before the error.
    pub fn parse_each_with<F: FnMut(RowRef<'_>)>(
        &self,
        templates: &str,
        input: &str,
        mut f: F,
    ) -> Result<(), IndexError> {
        if templates.contains(':') {
            for r in self.parse_with(templates, input)? {
                f(r.as_row_ref());
            }
            return Ok(());
        }
        let t = self.template(templates)?;
        let header = &t.prog.header;
        t.run_each(input, |row| emit_stringified(header, row, &mut f))
            .map_err(|source| IndexError::Run {
                path: self.dir.join(templates),
                source,
            })
    }

    /// [`Index::parse_each_with`] reading the input from `r`: one template
    /// reads it line by line ([`Template::run_each_read`], bounded memory,
    /// lines capped at `max_line` bytes); several templates each parse the
    /// whole input, which is read first, up to `max_input` bytes
    /// ([`ReadError::InputTooLarge`] past it).
    pub fn parse_each_read<R: Read, F: FnMut(RowRef<'_>)>(
        &self,
        templates: &str,
        r: R,
        max_line: usize,
        max_input: usize,
        mut f: F,
    ) -> Result<ReadSummary, ReadError> {
        if templates.contains(':') {
            let mut bytes = Vec::new();
            let limit = u64::try_from(max_input).unwrap_or(u64::MAX);
            r.take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|source| ReadError::Io { line: 0, source })?;
            if bytes.len() > max_input {
                return Err(ReadError::InputTooLarge { limit: max_input });
            }
            let (text, invalid_utf8_at) = match String::from_utf8(bytes) {
                Ok(s) => (s, None),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to() as u64;
                    (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
                }
            };
            self.parse_each_with(templates, &text, f)?;
            return Ok(ReadSummary {
                lines: crate::splitlines(&text).count(),
                invalid_utf8_at,
            });
        }
        let t = self.template(templates)?;
        let header = &t.prog.header;
        t.run_each_read(r, max_line, |row| emit_stringified(header, row, &mut f))
            .map_err(|e| match e {
                ReadError::Run(source) => ReadError::Index(IndexError::Run {
                    path: self.dir.join(templates),
                    source,
                }),
                other => other,
            })
    }

    /// Parses `input` with an explicit `a:b:c` template list of this
    /// directory, joined like clitable.
    pub fn parse_with(&self, templates: &str, input: &str) -> Result<Vec<Record>, IndexError> {
        let mut keys: Vec<String> = Vec::new();
        let mut header: Vec<String> = Vec::new();
        let mut table: Vec<Vec<Value>> = Vec::new();
        for (n, name) in templates.split(':').enumerate() {
            let t = self.template(name)?;
            let rows = t.run_rows(input).map_err(|source| IndexError::Run {
                path: self.dir.join(name),
                source,
            })?;
            if keys.is_empty() {
                keys = t
                    .values_with_option("Key")
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
            }
            let rows: Vec<Vec<Value>> = rows.into_iter().map(stringify_row).collect();
            if n == 0 {
                header = t.value_names().to_vec();
                table = rows;
                continue;
            }
            // texttable.extend(table, keys)
            let mut key_idx = Vec::new();
            for k in &keys {
                match header.iter().position(|h| h == k) {
                    Some(i) => key_idx.push((i, t.value_names().iter().position(|h| h == k))),
                    None => {
                        return Err(IndexError::Join {
                            path: self.path.clone(),
                            key: k.clone(),
                            templates: templates.to_owned(),
                        });
                    }
                }
            }
            let extend: Vec<usize> = t
                .value_names()
                .iter()
                .enumerate()
                .filter(|(_, h)| !header.contains(h))
                .map(|(i, _)| i)
                .collect();
            if extend.is_empty() {
                continue;
            }
            for &i in &extend {
                header.push(t.value_names()[i].clone());
            }
            for r in &mut table {
                r.extend(extend.iter().map(|_| Value::Str(String::new())));
            }
            let base = header.len() - extend.len();
            if keys.is_empty() {
                for (row1, row2) in table.iter_mut().zip(&rows) {
                    for (j, &i) in extend.iter().enumerate() {
                        row1[base + j] = row2[i].clone();
                    }
                }
            } else {
                for row1 in &mut table {
                    let hit = rows.iter().find(|row2| {
                        key_idx.iter().all(|&(i1, i2)| match i2 {
                            Some(i2) => row1[i1] == row2[i2],
                            // Python raises IndexError for a missing column:
                            // it can never compare equal.
                            None => false,
                        })
                    });
                    if let Some(row2) = hit {
                        for (j, &i) in extend.iter().enumerate() {
                            row1[base + j] = row2[i].clone();
                        }
                    }
                }
            }
        }
        let header: Arc<[String]> = header.into();
        Ok(table
            .into_iter()
            .map(|values| Record {
                header: Arc::clone(&header),
                values,
            })
            .collect())
    }
}

/// Hands `row` to `f` with its `List` items as clitable stores them
/// (`str()` of each): borrowed as it is when every item is a string
/// already, else as a stringified copy.
fn emit_stringified<F: FnMut(RowRef<'_>)>(header: &Arc<[String]>, row: RowRef<'_>, f: &mut F) {
    let plain = row.values().all(|v| {
        v.as_list()
            .is_none_or(|items| items.iter().all(|it| matches!(it, ListItem::Str(_))))
    });
    if plain {
        f(row);
    } else {
        let values = stringify_row(row.values().map(|v| v.to_value()).collect());
        f(RowRef::from_values(header, &values));
    }
}

/// clitable stores `str()` of every list element.
fn stringify_row(row: Vec<Value>) -> Vec<Value> {
    row.into_iter()
        .map(|v| match v {
            Value::List(items) => Value::List(
                items
                    .into_iter()
                    .map(|it| match it {
                        ListItem::Str(s) => ListItem::Str(s),
                        other => ListItem::Str(other.py_str()),
                    })
                    .collect(),
            ),
            s => s,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_pair_is_the_first_doubled_byte() {
        for s in [
            "", "[", "[x[", "[[", "a[b[[c", "]]]", "x]y]]", "[[[", "é[[", "[é[[",
        ] {
            assert_eq!(find_pair(s, b'['), s.find("[["), "{s:?}");
            assert_eq!(find_pair(s, b']'), s.find("]]"), "{s:?}");
        }
    }

    #[test]
    fn completion_expands_like_clitable() {
        assert_eq!(
            expand_completion("sh[[ow]] ver[[sion]]"),
            "sh(o(w)?)? ver(s(i(o(n)?)?)?)?"
        );
        assert_eq!(expand_completion("show [[]]x"), "show [[]]x");
        assert_eq!(expand_completion("a[[b]]]"), "a(b)?]");
        assert_eq!(expand_completion("a[[]]]"), "a(])?");
    }

    /// The completion matcher answers what the expanded pattern answers
    /// through the regex engine.
    #[test]
    fn completion_fields_match_like_their_pattern() {
        let fields = [
            "sh[[ow]] ver[[sion]]",
            "sh[[ow]] ip int[[erface]] br[[ief]]",
            "sh[[ow]]ow",
            "a[[bc]][[bcd]]e",
            "x[[é日]] y",
            "show lldp nei[[ghbors]] det[[ail]]",
        ];
        let inputs = [
            "",
            "s",
            "sh",
            "sho",
            "show",
            "show ver",
            "sh ver",
            "show version",
            "sh ve",
            "show ip int br",
            "show ip interface brief",
            "sh ip in b",
            "shoow",
            "show",
            "show ow",
            "ae",
            "abe",
            "abcbcde",
            "abbcde",
            "abcbe",
            "abcd",
            "x y",
            "xé y",
            "xé日 y",
            "xe y",
            "show lldp neighbors detail",
            "show lldp nei det",
            "show lldp neighbors",
            "show lldp neighbors detail x",
        ];
        for f in fields {
            let Some(parts) = completion_parts(f) else {
                panic!("{f} should be a completion field");
            };
            let re = PyRegex::compile(&expand_completion(f)).unwrap();
            for v in inputs {
                assert_eq!(
                    completion_match(&parts, v),
                    re.is_match(v).unwrap(),
                    "{f} on {v:?}"
                );
            }
        }
        for f in ["sh[[ow]] (ip|ipv6)", "a[[]]b", "a[[b", "show.*", "a[[b]]]"] {
            assert!(completion_parts(f).is_none(), "{f}");
        }
        // The load's check agrees with the parts made for matching.
        for f in fields.iter().chain(&[
            "sh[[ow]] (ip|ipv6)",
            "a[[]]b",
            "a[[b",
            "show.*",
            "a[[b]]]",
            "",
            "[[x]]",
            "a]]b",
            "[[a.b]]",
        ]) {
            assert_eq!(is_completion(f), completion_parts(f).is_some(), "{f}");
        }
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("fsm-index-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn first_matching_row_wins_and_match_is_prefix() {
        let d = tmpdir("rows");
        write(
            &d,
            "index",
            "# comment\n\nTemplate, Hostname, Platform, Command\n\nlong.t, .*, cisco_ios, sh[[ow]] ip ro[[ute]] su[[mmary]]\nshort.t, .*, cisco_ios, sh[[ow]] ip ro[[ute]]\nbad, row\nother.t, .*, arista, sh[[ow]] ver[[sion]]\n",
        );
        let idx = Index::load(&d).unwrap();
        assert_eq!(idx.rows().len(), 3, "the 2-field row is skipped");
        assert_eq!(
            idx.find("cisco_ios", "show ip route").unwrap().templates,
            "short.t"
        );
        assert_eq!(
            idx.find("cisco_ios", "sh ip ro su").unwrap().templates,
            "long.t"
        );
        // re.match is not anchored at the end: extra words still match.
        assert_eq!(
            idx.find("cisco_ios", "show ip route vrf X")
                .unwrap()
                .templates,
            "short.t"
        );
        assert_eq!(
            idx.find("cisco_ios_xe", "sh ip ro").unwrap().templates,
            "short.t"
        );
        assert!(idx.find("arista", "show ip route").is_none());
        // A row handed out is the row as written, the same by every route.
        let row = idx.find("arista", "sh ver").unwrap();
        assert_eq!(row.line, 8);
        assert_eq!(
            row.fields,
            [
                ("Template".to_owned(), "other.t".to_owned()),
                ("Hostname".to_owned(), ".*".to_owned()),
                ("Platform".to_owned(), "arista".to_owned()),
                (
                    "Command".to_owned(),
                    "sh(o(w)?)? ver(s(i(o(n)?)?)?)?".to_owned()
                ),
            ]
        );
        let same = &idx.rows()[2];
        assert_eq!(
            (same.line, &same.templates, &same.fields),
            (row.line, &row.templates, &row.fields)
        );
        assert_eq!(
            idx.find_row(&[("Platform", "arista"), ("Command", "show version")])
                .map(|r| r.line),
            Some(8)
        );
        assert!(matches!(
            idx.parse("juniper", "show x", ""),
            Err(IndexError::NoTemplate { .. })
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn bad_index_patterns_fail_at_load_with_the_line() {
        let d = tmpdir("bad");
        write(
            &d,
            "index",
            "Template, Platform, Command\nok.t, p, show x\nbad.t, p(, show y\n",
        );
        let e = Index::load(&d).unwrap_err();
        assert!(matches!(e, IndexError::Index { line: 3, .. }), "{e}");
        assert!(e.to_string().contains("line 3"), "{e}");
        // A Command field with completions and a bad pattern, on a late
        // row that no lookup would reach: still an error at load.
        write(
            &d,
            "index",
            "Template, Platform, Command\nok.t, p, sh[[ow]] x\nbad.t, p, sh[[ow]] (y\n",
        );
        let e = Index::load(&d).unwrap_err();
        assert!(matches!(e, IndexError::Index { line: 3, .. }), "{e}");
        assert!(e.to_string().contains("column Command"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn templates_join_on_key_and_lists_stringify() {
        let d = tmpdir("join");
        write(
            &d,
            "index",
            "Template, Platform, Command\na.t:b.t, p, c\nc.t:d.t, p, nokey\n",
        );
        write(
            &d,
            "a.t",
            "Value Key IF (\\S+)\nValue ST (\\S+)\n\nStart\n  ^if ${IF} ${ST} -> Record\n",
        );
        write(
            &d,
            "b.t",
            "Value Key IF (\\S+)\nValue List ADDR ((?P<ip>\\S+)/(?P<len>\\d+))\nValue List OPT (x)\n\nStart\n  ^addr ${IF} ${ADDR}( ${OPT})? -> Record\n",
        );
        let idx = Index::load(&d).unwrap();
        let rows = idx
            .parse(
                "p",
                "c",
                "if e1 up\nif e2 down\naddr e2 10.0.0.1/24 \naddr e9 1.1.1.1/8 x\n",
            )
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].header(), ["IF", "ST", "ADDR", "OPT"]);
        // The same header when the input has no record.
        assert!(idx.parse("p", "c", "nothing here\n").unwrap().is_empty());
        assert_eq!(idx.header_with("a.t:b.t").unwrap(), rows[0].header());
        assert!(matches!(
            idx.header_with("a.t:missing.t"),
            Err(IndexError::Io { .. })
        ));
        assert_eq!(rows[0].get("ADDR").unwrap(), &Value::Str(String::new()));
        assert_eq!(
            rows[1].get("ADDR").unwrap(),
            &Value::List(vec![ListItem::Str(
                "{'ip': '10.0.0.1', 'len': '24'}".into()
            )])
        );
        assert_eq!(
            rows[1].get("OPT").unwrap(),
            &Value::List(vec![ListItem::Str("None".into())])
        );
        // Without keys, rows are joined by position.
        write(&d, "c.t", "Value A (\\S+)\n\nStart\n  ^a ${A} -> Record\n");
        write(&d, "d.t", "Value B (\\S+)\n\nStart\n  ^b ${B} -> Record\n");
        let rows = idx.parse("p", "nokey", "a 1\na 2\nb 3\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("B").unwrap().as_str(), Some("3"));
        assert_eq!(rows[1].get("B").unwrap().as_str(), Some(""));
        let _ = std::fs::remove_dir_all(&d);
    }
}
