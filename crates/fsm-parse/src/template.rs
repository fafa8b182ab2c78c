//! Template parsing: the TextFSM 2.x template language, read the way
//! Python's `textfsm.TextFSM` reads it, with the same error messages.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use crate::RunError;
use crate::engine;
use crate::program::{LineOp, NewState, Opt, Program, RecordOp, Rule, State, ValueDef};
use crate::pyre::PyRegex;
use crate::read::{ReadError, ReadSummary};
use crate::row::RowRef;
use crate::runstate::ScratchPool;
use crate::sig::Sig;
use crate::split::{ReadStop, ReaderLines};
use crate::split::{py_isspace, template_lines};
use crate::value::{Record, Value};

/// A template the way Python TextFSM rejects it: the message TextFSM gives
/// (which names the template line where it applies) and that line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// 1-based template line the error is about (0 when it is about the
    /// template as a whole, e.g. a missing `Start` state).
    pub line: usize,
    /// What is wrong, worded as Python TextFSM words it.
    pub message: String,
}

impl TemplateError {
    /// The message exactly as Python TextFSM's `TextFSMTemplateError`
    /// carries it. [`TemplateError::message`] is the same, except that for
    /// a rule whose regex does not compile it also says why, in
    /// parentheses after TextFSM's words (`Invalid regular expression:
    /// '...'. Line: N.`); this leaves that out.
    ///
    /// ```
    /// let e = fsm_parse::Template::parse("Value A (x)\n\nStart\n  ^(\n").unwrap_err();
    /// assert!(e.message.starts_with("Invalid regular expression: '^('. Line: 4. ("));
    /// assert_eq!(e.python_message(), "Invalid regular expression: '^('. Line: 4.");
    /// ```
    pub fn python_message(&self) -> &str {
        if self.message.starts_with("Invalid regular expression: '") {
            let marker = format!("'. Line: {}. (", self.line);
            if let Some(i) = self.message.find(&marker) {
                return &self.message[..i + marker.len() - 2];
            }
        }
        &self.message
    }
}

fn terr<T>(line: usize, message: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError {
        line,
        message: message.into(),
    })
}

/// A compiled TextFSM template: parse once, run on any number of inputs from
/// any number of threads.
///
/// ```
/// let t = fsm_parse::Template::parse(
///     "Value Filldown IF (\\S+)\nValue IP (\\S+)\n\nStart\n  ^interface ${IF}\n  ^ ip ${IP} -> Record\n",
/// )?;
/// let rows = t.run("interface eth0\n ip 10.0.0.1\n ip 10.0.0.2\n")?;
/// // Two records, plus the implicit EOF record holding the Filldown value
/// // (exactly what Python TextFSM returns).
/// assert_eq!(rows.len(), 3);
/// assert_eq!(rows[1].get("IF").and_then(|v| v.as_str()), Some("eth0"));
/// assert_eq!(rows[1].get("IP").and_then(|v| v.as_str()), Some("10.0.0.2"));
/// assert_eq!(rows[2].get("IP").and_then(|v| v.as_str()), Some(""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) prog: Program,
    /// Pattern scratch space of finished runs, reused by the next run (the
    /// lazy DFAs keep the states they built: small inputs would otherwise
    /// spend their time rebuilding them).
    pub(crate) scratch: ScratchPool,
}

/// One of the template-language expressions, in two forms: compiled with
/// Unicode off for ASCII text (where it matches exactly what the Unicode
/// form matches: `\w`, `\s` and `.` agree on ASCII), and the Unicode
/// form, compiled the first time a non-ASCII template line needs it. The
/// Unicode classes make the automata many times larger: compiling the six
/// expressions with Unicode was ~14 M instructions, most of a template's
/// compile time.
struct DualRe {
    src: String,
    ascii: regex::bytes::Regex,
    uni: OnceLock<Regex>,
}

/// The groups of a [`DualRe`] match.
struct DualCaps<'s> {
    text: &'s str,
    re: &'static DualRe,
    spans: Vec<Option<(usize, usize)>>,
}

impl<'s> DualCaps<'s> {
    fn name(&self, n: &str) -> Option<&'s str> {
        let gi = self.re.ascii.capture_names().position(|x| x == Some(n))?;
        self.spans
            .get(gi)
            .copied()
            .flatten()
            .map(|(a, b)| &self.text[a..b])
    }
}

impl DualRe {
    fn new(src: &str) -> DualRe {
        DualRe {
            src: src.to_owned(),
            ascii: regex::bytes::RegexBuilder::new(src)
                .unicode(false)
                .build()
                .expect("static regex"),
            uni: OnceLock::new(),
        }
    }

    fn uni(&self) -> &Regex {
        self.uni
            .get_or_init(|| Regex::new(&self.src).expect("static regex"))
    }

    fn is_match(&self, s: &str) -> bool {
        if s.is_ascii() {
            self.ascii.is_match(s.as_bytes())
        } else {
            self.uni().is_match(s)
        }
    }

    fn captures<'s>(&'static self, s: &'s str) -> Option<DualCaps<'s>> {
        let spans = if s.is_ascii() {
            let c = self.ascii.captures(s.as_bytes())?;
            c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()
        } else {
            let c = self.uni().captures(s)?;
            c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()
        };
        Some(DualCaps {
            text: s,
            re: self,
            spans,
        })
    }
}

struct ActionRes {
    main: DualRe,
    action: DualRe,
    action2: DualRe,
    action3: DualRe,
    state_name: DualRe,
    word_start: DualRe,
}

fn action_res() -> &'static ActionRes {
    static R: OnceLock<ActionRes> = OnceLock::new();
    R.get_or_init(|| {
        // The same expressions as textfsm.TextFSMRule.
        let line_op = "(?P<ln_op>Continue|Next|Error)";
        let rec_op = "(?P<rec_op>Clear|Clearall|Record|NoRecord)";
        let op = format!(r"({line_op}(\.{rec_op})?)");
        let new_state = r#"(?P<new_state>\w+|".*")"#;
        let build = DualRe::new;
        ActionRes {
            main: build(r"^(?P<match>.*)(\s->(?P<action>.*))"),
            action: build(&format!(r"^\s+{op}(\s+{new_state})?$")),
            action2: build(&format!(r"^\s+{rec_op}(\s+{new_state})?$")),
            action3: build(&format!(r"^(\s+{new_state})?$")),
            state_name: build(r"^(\w+)$"),
            word_start: build(r"^\w+"),
        }
    })
}

const MAX_NAME_LEN: usize = 48;

/// Python's `string.Template(s).substitute(map)`; `Err(())` for an invalid
/// placeholder or a missing name.
fn substitute(s: &str, map: &HashMap<String, String>) -> Result<String, ()> {
    let mut out = String::with_capacity(s.len() + 32);
    let b = s.as_bytes();
    let mut i = 0;
    let mut lit = 0;
    let is_start = |c: u8| c == b'_' || c.is_ascii_alphabetic();
    let is_cont = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        out.push_str(&s[lit..i]);
        let j = i + 1;
        if j < b.len() && b[j] == b'$' {
            out.push('$');
            i = j + 1;
        } else if j < b.len() && is_start(b[j]) {
            let mut k = j + 1;
            while k < b.len() && is_cont(b[k]) {
                k += 1;
            }
            out.push_str(map.get(&s[j..k]).ok_or(())?);
            i = k;
        } else if j + 1 < b.len() && b[j] == b'{' && is_start(b[j + 1]) {
            let mut k = j + 2;
            while k < b.len() && is_cont(b[k]) {
                k += 1;
            }
            if k >= b.len() || b[k] != b'}' {
                return Err(());
            }
            out.push_str(map.get(&s[j + 1..k]).ok_or(())?);
            i = k + 1;
        } else {
            return Err(());
        }
        lit = i;
    }
    out.push_str(&s[lit..]);
    Ok(out)
}

/// Python's `str.strip()` / `rstrip()` (whitespace as `str.isspace`).
fn py_strip(s: &str) -> &str {
    s.trim_matches(py_isspace)
}
fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(py_isspace)
}

fn is_comment(line: &str) -> bool {
    line.trim_start_matches(py_isspace).starts_with('#')
}

/// A rule before state names are resolved.
struct RawRule {
    rule: Rule,
    target: Option<String>,
}

impl Template {
    /// Compiles a template. Errors carry TextFSM's message and the template
    /// line number.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let lines = template_lines(source);
        let mut it = lines.iter().enumerate().map(|(i, l)| (i + 1, *l));
        let mut values: Vec<ValueDef> = Vec::new();
        let mut var_map: HashMap<String, String> = HashMap::new();

        // Value block: up to the first blank line.
        for (num, raw) in it.by_ref() {
            let line = py_rstrip(raw);
            if line.is_empty() {
                break;
            }
            if is_comment(line) {
                continue;
            }
            if line.starts_with("Value ") {
                let (def, templ) = parse_value(line).map_err(|m| TemplateError {
                    line: num,
                    message: format!("{m} Line {num}."),
                })?;
                if values.iter().any(|v| v.name == def.name) {
                    return terr(
                        num,
                        format!(
                            "Duplicate declarations for Value '{}'. Line: {num}.",
                            def.name
                        ),
                    );
                }
                var_map.insert(def.name.clone(), templ);
                values.push(def);
            } else if values.is_empty() {
                return terr(num, "No Value definitions found.");
            } else {
                return terr(
                    num,
                    format!("Expected blank line after last Value entry. Line: {num}."),
                );
            }
        }

        // States.
        let mut states: Vec<(String, Vec<RawRule>)> = Vec::new();
        let names: Vec<String> = values.iter().map(|v| v.name.clone()).collect();
        loop {
            let mut state_name = None;
            for (num, raw) in it.by_ref() {
                let line = py_rstrip(raw);
                if line.is_empty() || is_comment(line) {
                    continue;
                }
                if !action_res().state_name.is_match(line)
                    || line.chars().count() > MAX_NAME_LEN
                    || matches!(
                        line,
                        "Continue"
                            | "Next"
                            | "Error"
                            | "Clear"
                            | "Clearall"
                            | "Record"
                            | "NoRecord"
                    )
                {
                    return terr(num, format!("Invalid state name: '{line}'. Line: {num}"));
                }
                if states.iter().any(|(n, _)| n == line) {
                    return terr(num, format!("Duplicate state name: '{line}'. Line: {num}"));
                }
                state_name = Some(line.to_owned());
                break;
            }
            let Some(state_name) = state_name else { break };
            let mut rules = Vec::new();
            for (num, raw) in it.by_ref() {
                let line = py_rstrip(raw);
                if line.is_empty() {
                    break;
                }
                if is_comment(line) {
                    continue;
                }
                if !(line.starts_with(" ^") || line.starts_with("  ^") || line.starts_with("\t^")) {
                    return terr(
                        num,
                        format!("Missing white space or carat ('^') before rule. Line: {num}"),
                    );
                }
                rules.push(parse_rule(line, num, &var_map, &names)?);
            }
            states.push((state_name, rules));
        }

        // Validation, in TextFSM's order.
        if !states.iter().any(|(n, _)| n == "Start") {
            return terr(0, "Missing state 'Start'.");
        }
        if states.iter().any(|(n, r)| n == "End" && !r.is_empty()) {
            return terr(0, "Non-Empty 'End' state.");
        }
        if states.iter().any(|(n, r)| n == "EOF" && !r.is_empty()) {
            return terr(0, "Non-Empty 'EOF' state.");
        }
        states.retain(|(n, _)| n != "End");
        let index: HashMap<String, usize> = states
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let mut out_states = Vec::with_capacity(states.len());
        for (name, raw_rules) in &states {
            let mut rules = Vec::with_capacity(raw_rules.len());
            for rr in raw_rules {
                let mut rule = rr.rule.clone();
                if let Some(t) = &rr.target {
                    rule.new_state = match t.as_str() {
                        "End" => NewState::End,
                        "EOF" => NewState::Eof,
                        t => match index.get(t) {
                            Some(&i) => NewState::State(i),
                            None => {
                                return terr(
                                    rule.line_num,
                                    format!("State '{t}' not found, referenced in state '{name}'"),
                                );
                            }
                        },
                    };
                }
                rules.push(rule);
            }
            let needs: Vec<u64> = rules.iter().map(|r| r.regex.need_bytes()).collect();
            out_states.push(State {
                name: name.clone(),
                rules,
                set: OnceLock::new(),
                sig: Sig::new(&needs),
            });
        }
        let start = index["Start"];
        let has_eof_state = index.contains_key("EOF");
        Ok(Template {
            prog: Program {
                header: names.into(),
                values,
                states: out_states,
                start,
                has_eof_state,
            },
            scratch: Default::default(),
        })
    }

    /// The value names (the header), in declaration order.
    pub fn value_names(&self) -> &[String] {
        &self.prog.header
    }

    /// The header as a shared slice (what every [`crate::Record`] carries).
    pub fn header(&self) -> Arc<[String]> {
        Arc::clone(&self.prog.header)
    }

    /// Names of the values declared with the given option (`"Key"`,
    /// `"Filldown"`, `"Required"`, `"List"`, `"Fillup"`), in declaration
    /// order; empty for an unknown option.
    pub fn values_with_option(&self, option: &str) -> Vec<&str> {
        let Some(o) = Opt::parse(option) else {
            return Vec::new();
        };
        self.prog
            .values
            .iter()
            .filter(|v| v.has(o))
            .map(|v| v.name.as_str())
            .collect()
    }

    /// The regex of a value as declared (`None` for an unknown name).
    pub fn value_regex(&self, name: &str) -> Option<&str> {
        self.prog
            .values
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.regex.as_str())
    }

    /// The state names, in declaration order (`End` is not a state).
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.prog.states.iter().map(|s| s.name.as_str())
    }
}

impl Template {
    /// Runs the template over `input` (split like Python's
    /// `str.splitlines()`), returning the records in order.
    ///
    /// For large inputs whose rows are only written out or counted,
    /// [`Template::run_each`] gives the same rows without allocating them.
    pub fn run(&self, input: &str) -> Result<Vec<Record>, RunError> {
        engine::run(&self.prog, &self.scratch, input)
    }

    /// Like [`Template::run`], but rows as bare value vectors in header
    /// order (no header pointer per row).
    pub fn run_rows(&self, input: &str) -> Result<Vec<Vec<Value>>, RunError> {
        engine::run(&self.prog, &self.scratch, input)
    }

    /// Runs the template over `input` and calls `f` with each row, borrowed,
    /// in order: the rows, values and errors of [`Template::run`], without
    /// allocating a `String` per value or a `Vec` per row (the run reuses
    /// its buffers from row to row). Use it to write CSV or JSON, count or
    /// filter rows of inputs of many megabytes; call [`RowRef::to_record`]
    /// for the rows to keep.
    ///
    /// Rows are handed out as soon as they are final. A template with a
    /// `Fillup` value can still write into rows already recorded: those
    /// rows are held (as owned rows, allocated like [`Template::run`]'s)
    /// until every `Fillup` value has a non-empty value in them or in a
    /// later row, or until the input ends. `List` items reuse their
    /// strings too, except the maps of a `List` value with named groups.
    ///
    /// When the run fails (an `Error` action, a pattern that cannot run),
    /// the error is the one [`Template::run`] returns, but `f` has already
    /// seen the rows before the failing line; Python TextFSM and
    /// [`Template::run`] return no rows at all then, so a caller that must
    /// match them discards what it got (the `fsm-parse` command line writes
    /// its output only after the run succeeded).
    ///
    /// ```
    /// let t = fsm_parse::Template::parse(
    ///     "Value Filldown IF (\\S+)\nValue IP (\\S+)\n\nStart\n  ^interface ${IF}\n  ^ ip ${IP} -> Record\n",
    /// )?;
    /// let input = "interface eth0\n ip 10.0.0.1\n ip 10.0.0.2\n";
    /// let mut csv = String::new();
    /// t.run_each(input, |row| {
    ///     let cells: Vec<&str> = row.values().map(|v| v.as_str().unwrap_or("")).collect();
    ///     csv.push_str(&cells.join(","));
    ///     csv.push('\n');
    /// })?;
    /// // The same three rows as `run`, the implicit EOF record included.
    /// assert_eq!(csv, "eth0,10.0.0.1\neth0,10.0.0.2\neth0,\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_each<F: FnMut(RowRef<'_>)>(&self, input: &str, f: F) -> Result<(), RunError> {
        engine::run_each(&self.prog, &self.scratch, input, f)
    }

    /// [`Template::run_each`] reading the input from `r`, line by line
    /// (split like Python's `str.splitlines()`, invalid UTF-8 replaced with
    /// U+FFFD as a lossy decode does): memory stays bounded by a chunk of
    /// input and the longest line, whatever the size of the input. A line
    /// longer than `max_line` bytes stops the run with
    /// [`ReadError::LineTooLong`] ([`DEFAULT_MAX_LINE`] is a good
    /// default); a read error stops it with [`ReadError::Io`]. Either way
    /// no end-of-input record is made, and `f` has seen the rows before.
    ///
    /// Gives the rows [`Template::run_each`] gives for the whole text.
    ///
    /// [`DEFAULT_MAX_LINE`]: crate::DEFAULT_MAX_LINE
    ///
    /// ```
    /// let t = fsm_parse::Template::parse("Value A (\\d+)\n\nStart\n  ^a ${A} -> Record\n")?;
    /// let mut n = 0;
    /// let seen = t.run_each_read(&b"a 1\nb\na 2\n"[..], fsm_parse::DEFAULT_MAX_LINE, |_| n += 1)?;
    /// assert_eq!((n, seen.lines), (2, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_each_read<R: std::io::Read, F: FnMut(RowRef<'_>)>(
        &self,
        r: R,
        max_line: usize,
        f: F,
    ) -> Result<ReadSummary, ReadError> {
        let mut lines = ReaderLines::new(r, max_line);
        engine::run_each_lines(&self.prog, &self.scratch, &mut lines, f)?;
        match lines.stop.take() {
            Some(ReadStop::Io(n, source)) => Err(ReadError::Io {
                line: n + 1,
                source,
            }),
            Some(ReadStop::LineTooLong(line, limit)) => Err(ReadError::LineTooLong { line, limit }),
            None => Ok(ReadSummary {
                lines: lines.lines(),
                invalid_utf8_at: lines.lossy,
            }),
        }
    }

    /// Whether a rule of the template has the `Error` action: a run may
    /// then fail after rows were handed out, and Python TextFSM returns no
    /// rows at all (a caller streaming rows out holds them until the run
    /// ends).
    pub fn has_error_action(&self) -> bool {
        self.prog
            .states
            .iter()
            .any(|s| s.rules.iter().any(|r| r.line_op == LineOp::Error))
    }
}

/// Parses one `Value ...` line (already right-stripped); the error is the
/// message without the line suffix. Returns the value and its template
/// (`(?P<name>...`) for substitution.
fn parse_value(line: &str) -> Result<(ValueDef, String), String> {
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() < 3 {
        return Err("Expect at least 3 tokens on line.".into());
    }
    let mut options: Vec<Opt> = Vec::new();
    let (name, regex) = if !parts[2].starts_with('(') {
        for o in parts[1].split(',') {
            if options.iter().any(|x| x.name() == o) {
                return Err(format!("Duplicate option \"{o}\""));
            }
            match Opt::parse(o) {
                Some(opt) => options.push(opt),
                None => return Err(format!("Unknown option \"{o}\"")),
            }
        }
        (parts[2].to_owned(), parts[3..].join(" "))
    } else {
        (parts[1].to_owned(), parts[2..].join(" "))
    };
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!("Invalid Value name '{name}' or name too long."));
    }
    let chars: Vec<char> = regex.chars().collect();
    if chars.first() != Some(&'(')
        || chars.last() != Some(&')')
        || chars.len() < 2
        || chars[chars.len() - 2] == '\\'
    {
        return Err(format!(
            "Value '{regex}' must be contained within a '()' pair."
        ));
    }
    let compiled = PyRegex::compile(&regex).map_err(|e| e.to_string())?;
    let templ = format!("(?P<{name}>{}", &regex[1..]);
    let list_regex = options.contains(&Opt::List).then_some(compiled);
    Ok((
        ValueDef {
            name,
            regex,
            options,
            list_regex,
        },
        templ,
    ))
}

fn parse_rule(
    line: &str,
    num: usize,
    var_map: &HashMap<String, String>,
    names: &[String],
) -> Result<RawRule, TemplateError> {
    let res = action_res();
    let line = py_strip(line);
    let caps = res.main.captures(line);
    let matched = caps.as_ref().and_then(|c| c.name("match")).unwrap_or(line);
    let regex_src = if var_map.is_empty() {
        matched.to_owned()
    } else {
        substitute(matched, var_map).map_err(|()| TemplateError {
            line: num,
            message: format!(
                "Duplicate or invalid variable substitution: '{matched}'. Line: {num}."
            ),
        })?
    };
    let regex = PyRegex::compile(&regex_src).map_err(|e| TemplateError {
        line: num,
        message: format!("Invalid regular expression: '{regex_src}'. Line: {num}. ({e})"),
    })?;
    let mut assigns = Vec::new();
    for (gi, n) in regex.names().iter().enumerate() {
        if let Some(n) = n
            && let Some(vi) = names.iter().position(|v| v == n)
        {
            assigns.push((gi, vi));
        }
    }
    let mut rule = Rule {
        regex,
        assigns,
        line_op: LineOp::Next,
        record_op: RecordOp::NoRecord,
        new_state: NewState::Stay,
        error_msg: None,
        line_num: num,
    };
    let Some(caps) = caps else {
        return Ok(RawRule { rule, target: None });
    };
    let action = caps.name("action").unwrap_or("");
    let a = res
        .action
        .captures(action)
        .or_else(|| res.action2.captures(action))
        .or_else(|| res.action3.captures(action));
    let Some(a) = a else {
        return terr(num, format!("Badly formatted rule '{line}'. Line: {num}."));
    };
    if let Some(m) = a.name("ln_op") {
        rule.line_op = match m {
            "Continue" => LineOp::Continue,
            "Error" => LineOp::Error,
            _ => LineOp::Next,
        };
    }
    if let Some(m) = a.name("rec_op") {
        rule.record_op = match m {
            "Record" => RecordOp::Record,
            "Clear" => RecordOp::Clear,
            "Clearall" => RecordOp::Clearall,
            _ => RecordOp::NoRecord,
        };
    }
    let new_state = a
        .name("new_state")
        .map(str::to_owned)
        .filter(|s| !s.is_empty());
    if rule.line_op == LineOp::Continue
        && let Some(ns) = &new_state
    {
        let op = a.name("ln_op").unwrap_or("");
        return terr(
            num,
            format!("Action '{op}' with new state {ns} specified. Line: {num}."),
        );
    }
    let mut target = None;
    if let Some(ns) = new_state {
        if rule.line_op == LineOp::Error {
            rule.error_msg = Some(ns);
        } else {
            if !res.word_start.is_match(&ns) {
                return terr(
                    num,
                    format!("Alphanumeric characters only in state names. Line: {num}."),
                );
            }
            target = Some(ns);
        }
    }
    Ok(RawRule { rule, target })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> TemplateError {
        Template::parse(src).expect_err("template should be rejected")
    }

    #[test]
    fn substitution_follows_string_template() {
        let mut m = HashMap::new();
        m.insert("A".to_owned(), "(?P<A>x)".to_owned());
        assert_eq!(substitute("^${A}$$", &m).unwrap(), "^(?P<A>x)$");
        assert_eq!(substitute("^$A b", &m).unwrap(), "^(?P<A>x) b");
        assert!(substitute("^$AB", &m).is_err(), "missing name");
        assert!(substitute("^x$", &m).is_err(), "lone $ is invalid");
        assert!(substitute("^${A", &m).is_err());
        assert!(substitute("^$ x", &m).is_err());
    }

    #[test]
    fn value_errors_name_the_line() {
        let e = err("Value A\n\nStart\n");
        assert_eq!(e.line, 1);
        assert_eq!(e.message, "Expect at least 3 tokens on line. Line 1.");
        let e = err("# c\nValue Foo,Bar A (x)\n\nStart\n");
        assert_eq!(e.message, "Unknown option \"Foo\" Line 2.");
        let e = err("Value Key,Key A (x)\n\nStart\n");
        assert_eq!(e.message, "Duplicate option \"Key\" Line 1.");
        let e = err("Value A x\n\nStart\n");
        assert_eq!(e.message, "Unknown option \"A\" Line 1.");
        let e = err("Value Key A x\n\nStart\n");
        assert_eq!(
            e.message,
            "Value 'x' must be contained within a '()' pair. Line 1."
        );
        let e = err("Value A (x\\)\n\nStart\n");
        assert!(e.message.contains("must be contained"));
        let e = err("Value A (x)\nValue A (y)\n\nStart\n");
        assert_eq!(e.message, "Duplicate declarations for Value 'A'. Line: 2.");
        let e = err("Value A (x)\nStart\n");
        assert_eq!(
            e.message,
            "Expected blank line after last Value entry. Line: 2."
        );
        let e = err("Start\n  ^x\n");
        assert_eq!(e.message, "No Value definitions found.");
        let long = "N".repeat(49);
        let e = err(&format!("Value {long} (x)\n\nStart\n"));
        assert!(e.message.starts_with("Invalid Value name"));
    }

    #[test]
    fn state_and_rule_errors() {
        let e = err("Value A (x)\n\nStart\n ^${A} -> Continue Other\n\nOther\n");
        assert_eq!(e.line, 4);
        assert_eq!(
            e.message,
            "Action 'Continue' with new state Other specified. Line: 4."
        );
        let e = err("Value A (x)\n\nStart\n ^${A} -> Nowhere\n");
        assert_eq!(
            e.message,
            "State 'Nowhere' not found, referenced in state 'Start'"
        );
        let e = err("Value A (x)\n\nFoo\n ^x\n");
        assert_eq!(e.message, "Missing state 'Start'.");
        let e = err("Value A (x)\n\nStart\n ^x\n\nEOF\n ^y\n");
        assert_eq!(e.message, "Non-Empty 'EOF' state.");
        let e = err("Value A (x)\n\nStart\n ^x\n\nEnd\n ^y\n");
        assert_eq!(e.message, "Non-Empty 'End' state.");
        let e = err("Value A (x)\n\nStart\n   ^x\n");
        assert_eq!(
            e.message,
            "Missing white space or carat ('^') before rule. Line: 4"
        );
        let e = err("Value A (x)\n\nStart\n ^x$\n");
        assert!(
            e.message
                .starts_with("Duplicate or invalid variable substitution")
        );
        let e = err("Value A (x)\n\nStart\n ^${B}\n");
        assert!(
            e.message
                .starts_with("Duplicate or invalid variable substitution")
        );
        let e = err("Value A (x)\n\nStart\n ^x -> Next Foo Bar\n");
        assert_eq!(
            e.message,
            "Badly formatted rule '^x -> Next Foo Bar'. Line: 4."
        );
        let e = err("Value A (x)\n\nStart\n ^x\n\nStart\n");
        assert_eq!(e.message, "Duplicate state name: 'Start'. Line: 6");
        let e = err("Value A (x)\n\nStart\n ^x\n\nRecord\n");
        assert_eq!(e.message, "Invalid state name: 'Record'. Line: 6");
        let e = err("Value A (x)\n\nStart\n ^(\n");
        assert!(
            e.message
                .starts_with("Invalid regular expression: '^('. Line: 4.")
        );
    }

    #[test]
    fn actions_parse_like_textfsm() {
        let t = Template::parse(
            "Value A (x)\n\nStart\n ^a -> Next.Record Two\n ^b -> Continue.Clearall\n ^c -> Record\n ^d -> Two\n ^e -> Error \"bad thing\"\n ^f -> b -> End\n ^g ->\n\nTwo\n ^h -> EOF\n\nEnd\n",
        )
        .unwrap();
        let r = &t.prog.states[t.prog.start].rules;
        assert_eq!(
            (r[0].line_op, r[0].record_op),
            (LineOp::Next, RecordOp::Record)
        );
        assert_eq!(r[0].new_state, NewState::State(1));
        assert_eq!(
            (r[1].line_op, r[1].record_op),
            (LineOp::Continue, RecordOp::Clearall)
        );
        assert_eq!(
            (r[2].line_op, r[2].record_op),
            (LineOp::Next, RecordOp::Record)
        );
        assert_eq!(r[3].new_state, NewState::State(1));
        assert_eq!(r[4].line_op, LineOp::Error);
        assert_eq!(r[4].error_msg.as_deref(), Some("\"bad thing\""));
        // The last " ->" splits match from action.
        assert_eq!(r[5].new_state, NewState::End);
        assert_eq!(r[6].new_state, NewState::Stay);
        assert_eq!(t.prog.states[1].rules[0].new_state, NewState::Eof);
        assert_eq!(t.state_names().collect::<Vec<_>>(), ["Start", "Two"]);
        assert!(!t.prog.has_eof_state);
    }

    #[test]
    fn options_and_header() {
        let t = Template::parse(
            "Value Required,Key A (x)\nValue Filldown B (y)\nValue List C ((?P<n>a)b)\n\nStart\n ^${A}\n",
        )
        .unwrap();
        assert_eq!(t.value_names(), ["A", "B", "C"]);
        assert_eq!(t.values_with_option("Key"), ["A"]);
        assert_eq!(t.values_with_option("Filldown"), ["B"]);
        assert!(t.prog.values[2].list_regex.is_some());
        assert_eq!(t.prog.values[0].options, [Opt::Required, Opt::Key]);
    }

    #[test]
    fn crlf_templates_and_comments() {
        let t = Template::parse(
            "# head\r\nValue A (\\d+)\r\n\r\n# c\r\nStart\r\n  # c\r\n  ^${A} -> Record\r\n",
        )
        .unwrap();
        assert_eq!(t.prog.states[0].rules.len(), 1);
    }
}
