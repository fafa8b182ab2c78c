//! Running a template over input: a step-by-step port of the semantics of
//! `textfsm.TextFSM.ParseText` (value options run their hooks in declaration
//! order, exactly as Python's option classes do).

use std::sync::Mutex;

use crate::pyre::{Scratch, Spans};
use crate::split::splitlines;
use crate::template::{LineOp, NewState, Opt, RecordOp, Template};
use crate::value::{ListItem, Record, Value};

/// Parsing stopped: an `Error` rule matched, or a pattern could not be run
/// on a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// A rule with the `Error` action matched. TextFSM discards all output.
    #[error("input line {input_line}: {}", python_error_text(message.as_deref(), *rule_line, text))]
    Action {
        /// The message given after `Error` (quotes included, as TextFSM
        /// keeps them), if any.
        message: Option<String>,
        /// 1-based template line of the rule.
        rule_line: usize,
        /// 1-based input line number.
        input_line: usize,
        /// The input line's text.
        text: String,
    },
    /// A value or rule pattern could not be evaluated on this line (a
    /// `fancy-regex` backtracking limit, or a `List` value with named groups
    /// whose group did not take part in the match, which makes Python
    /// TextFSM raise `TypeError`).
    #[error("input line {input_line}: template line {rule_line}: {reason}")]
    Pattern {
        /// 1-based template line of the rule.
        rule_line: usize,
        /// 1-based input line number.
        input_line: usize,
        /// What went wrong.
        reason: String,
    },
}

fn python_error_text(message: Option<&str>, rule_line: usize, text: &str) -> String {
    match message {
        Some(m) => format!("Error: {m}. Rule Line: {rule_line}. Input Line: {text}."),
        None => format!("State Error raised. Rule Line: {rule_line}. Input Line: {text}"),
    }
}

impl RunError {
    /// The exact message Python TextFSM's `TextFSMError` carries for an
    /// `Error` action (`None` for [`RunError::Pattern`]).
    pub fn python_message(&self) -> Option<String> {
        match self {
            RunError::Action {
                message,
                rule_line,
                text,
                ..
            } => Some(python_error_text(message.as_deref(), *rule_line, text)),
            RunError::Pattern { .. } => None,
        }
    }

    /// 1-based input line number where parsing stopped.
    pub fn input_line(&self) -> usize {
        match self {
            RunError::Action { input_line, .. } | RunError::Pattern { input_line, .. } => {
                *input_line
            }
        }
    }
}

/// Python's `value.value`: `None`, a string, or (just before a record is
/// saved) the list of a `List` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PyVal {
    None,
    Str(String),
    List(Vec<ListItem>),
    /// The same object as Filldown's `_myvar` (Python shares it; we read
    /// `Slot::myvar` instead of copying it on every Clear).
    Filled,
}

impl Slot {
    fn truthy(&self) -> bool {
        match &self.value {
            PyVal::None => false,
            PyVal::Str(s) => !s.is_empty(),
            PyVal::List(l) => !l.is_empty(),
            PyVal::Filled => self.myvar.as_deref().is_some_and(|s| !s.is_empty()),
        }
    }
}

#[derive(Debug, Clone)]
struct Slot {
    value: PyVal,
    /// Filldown's `_myvar`.
    myvar: Option<String>,
    /// List's `_value`.
    list: Vec<ListItem>,
}

struct SkipRecord;

/// Scratch space of one run: per state, per rule, made on first use (most
/// rules of a template never match a given input).
type RunScratch = Vec<Vec<Option<Scratch>>>;

/// Scratch spaces of finished runs of one template, for the next runs to
/// reuse (a run takes one out and puts it back when done; concurrent runs
/// each get their own).
#[derive(Default)]
pub(crate) struct ScratchPool(Mutex<Vec<RunScratch>>);

/// At most this many idle scratch spaces are kept per template.
const POOL_KEEP: usize = 4;

impl ScratchPool {
    fn take(&self, t: &Template) -> RunScratch {
        let got = self.0.lock().ok().and_then(|mut v| v.pop());
        got.unwrap_or_else(|| {
            t.states
                .iter()
                .map(|s| s.rules.iter().map(|_| None).collect())
                .collect()
        })
    }

    fn put(&self, s: RunScratch) {
        if let Ok(mut v) = self.0.lock()
            && v.len() < POOL_KEEP
        {
            v.push(s);
        }
    }
}

impl Clone for ScratchPool {
    /// A clone starts with no scratch of its own.
    fn clone(&self) -> Self {
        ScratchPool::default()
    }
}

impl std::fmt::Debug for ScratchPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScratchPool")
    }
}

/// Lines a run spends in a state before that state's `RegexSet` is used
/// (building it costs about as much as scanning a few dozen lines rule by
/// rule; most states of most inputs see only a handful of lines).
const SET_AFTER_LINES: u32 = 16;

/// The set pays off only when lines run through many rules before one
/// matches (or none does): the set scan costs about as much as several
/// short rule scans, and the matching rule still runs for its captures.
const SET_MIN_TRIES_PER_LINE: u32 = 8;

/// What a run collects: [`Record`]s, or bare value rows.
trait Row: Sized {
    fn from_values(t: &Template, values: Vec<Value>) -> Self;
    fn values_mut(&mut self) -> &mut [Value];
}

impl Row for Vec<Value> {
    fn from_values(_: &Template, values: Vec<Value>) -> Self {
        values
    }
    fn values_mut(&mut self) -> &mut [Value] {
        self
    }
}

impl Row for Record {
    fn from_values(t: &Template, values: Vec<Value>) -> Self {
        Record {
            header: t.header.clone(),
            values,
        }
    }
    fn values_mut(&mut self) -> &mut [Value] {
        &mut self.values
    }
}

struct Machine<'t, R> {
    t: &'t Template,
    slots: Vec<Slot>,
    result: Vec<R>,
}

impl<'t, R: Row> Machine<'t, R> {
    fn new(t: &'t Template) -> Self {
        let slots = t
            .values
            .iter()
            .map(|_| Slot {
                value: PyVal::None,
                myvar: None,
                list: Vec::new(),
            })
            .collect();
        Machine {
            t,
            slots,
            result: Vec::new(),
        }
    }

    fn assign(&mut self, vi: usize, v: Option<&str>) -> Result<(), String> {
        let def = &self.t.values[vi];
        let slot = &mut self.slots[vi];
        slot.value = match v {
            Some(s) if !def.has(Opt::Filldown) => PyVal::Str(s.to_owned()),
            _ => PyVal::None,
        };
        for opt in &def.options {
            match opt {
                Opt::Filldown => {
                    // Reuse the old buffer: Filldown values are set on most
                    // lines of a table.
                    match (v, &mut slot.myvar) {
                        (Some(s), Some(old)) => {
                            old.clear();
                            old.push_str(s);
                        }
                        (Some(s), mv) => *mv = Some(s.to_owned()),
                        (None, mv) => *mv = None,
                    }
                    if slot.myvar.is_some() {
                        slot.value = PyVal::Filled;
                    }
                }
                Opt::Fillup => {
                    if let Some(s) = v.filter(|s| !s.is_empty()) {
                        for row in self.result.iter_mut().rev() {
                            let row = row.values_mut();
                            if row[vi].is_truthy() {
                                break;
                            }
                            row[vi] = Value::Str(s.to_owned());
                        }
                    }
                }
                Opt::List => {
                    let item = match (&def.list_regex, v) {
                        (Some(re), _) if re.groups() > 1 => {
                            let Some(s) = v else {
                                return Err(format!(
                                    "List value '{}' has groups but its group did not take part in the match (Python TextFSM fails with TypeError here)",
                                    def.name
                                ));
                            };
                            let mut spans = Vec::new();
                            let matched = re.match_spare(s, &mut spans)?;
                            let named: Vec<(String, Option<String>)> = if matched {
                                re.names()
                                    .iter()
                                    .zip(spans.iter())
                                    .filter_map(|(n, sp)| {
                                        n.as_ref().map(|n| {
                                            (n.clone(), sp.map(|(a, b)| s[a..b].to_owned()))
                                        })
                                    })
                                    .collect()
                            } else {
                                Vec::new()
                            };
                            if named.is_empty() {
                                ListItem::Str(s.to_owned())
                            } else {
                                ListItem::Map(named)
                            }
                        }
                        (_, Some(s)) => ListItem::Str(s.to_owned()),
                        (_, None) => ListItem::None,
                    };
                    slot.list.push(item);
                }
                Opt::Required | Opt::Key => {}
            }
        }
        Ok(())
    }

    fn clear(&mut self) {
        for (def, slot) in self.t.values.iter().zip(self.slots.iter_mut()) {
            slot.value = PyVal::None;
            for opt in &def.options {
                match opt {
                    Opt::Filldown => {
                        slot.value = if slot.myvar.is_some() {
                            PyVal::Filled
                        } else {
                            PyVal::None
                        };
                    }
                    Opt::List if !def.has(Opt::Filldown) => slot.list.clear(),
                    _ => {}
                }
            }
        }
    }

    fn clear_all(&mut self) {
        for (def, slot) in self.t.values.iter().zip(self.slots.iter_mut()) {
            slot.value = PyVal::None;
            for opt in &def.options {
                match opt {
                    Opt::Filldown => slot.myvar = None,
                    Opt::List => slot.list.clear(),
                    _ => {}
                }
            }
        }
    }

    fn save_value(def_opts: &[Opt], slot: &mut Slot) -> Result<(), SkipRecord> {
        for opt in def_opts {
            match opt {
                Opt::Required if !slot.truthy() => return Err(SkipRecord),
                Opt::List => slot.value = PyVal::List(slot.list.clone()),
                _ => {}
            }
        }
        Ok(())
    }

    fn append_record(&mut self) {
        if self.t.values.is_empty() {
            return;
        }
        let mut row = Vec::with_capacity(self.slots.len());
        let mut all_empty = true;
        for (def, slot) in self.t.values.iter().zip(self.slots.iter_mut()) {
            if Self::save_value(&def.options, slot).is_err() {
                self.clear();
                return;
            }
            // Moved out, not copied: the row is cleared right after (when it
            // is not recorded because it is all empty, every value was None
            // or [] anyway, and None and [] behave alike from here on).
            let v = match std::mem::replace(&mut slot.value, PyVal::None) {
                PyVal::None => Value::Str(String::new()),
                PyVal::Filled => match &slot.myvar {
                    Some(s) => {
                        all_empty = false;
                        Value::Str(s.clone())
                    }
                    None => Value::Str(String::new()),
                },
                PyVal::Str(s) => {
                    all_empty = false;
                    Value::Str(s)
                }
                PyVal::List(l) => {
                    if !l.is_empty() {
                        all_empty = false;
                    }
                    Value::List(l)
                }
            };
            row.push(v);
        }
        if all_empty {
            return;
        }
        self.result.push(R::from_values(self.t, row));
        self.clear();
    }
}

impl Template {
    /// Runs the template over `input` (split like Python's
    /// `str.splitlines()`), returning the records in order.
    pub fn run(&self, input: &str) -> Result<Vec<Record>, RunError> {
        self.run_pooled(input)
    }

    /// Like [`Template::run`], but rows as bare value vectors in header
    /// order (no header pointer per row).
    pub fn run_rows(&self, input: &str) -> Result<Vec<Vec<Value>>, RunError> {
        self.run_pooled(input)
    }

    fn run_pooled<R: Row>(&self, input: &str) -> Result<Vec<R>, RunError> {
        let mut scratch = self.scratch.take(self);
        let out = self.run_with(input, &mut scratch);
        self.scratch.put(scratch);
        out
    }

    fn run_with<R: Row>(&self, input: &str, scratch: &mut RunScratch) -> Result<Vec<R>, RunError> {
        let mut m = Machine::new(self);
        let mut spans: Spans = Vec::new();
        let mut state = self.start;
        // Some(true) = End, Some(false) = EOF.
        let mut stopped: Option<bool> = None;
        // Lines seen per state: a state's RuleSet is built (once per
        // template) only when a run spends enough lines in it to pay off.
        let mut seen: Vec<u32> = vec![0; self.states.len()];
        // Rules tried per state over its first SET_AFTER_LINES lines.
        let mut tries: Vec<u32> = vec![0; self.states.len()];
        let mut lines = splitlines(input);
        let mut line_no = 0;
        while let Some((line, ascii)) = lines.next_line() {
            line_no += 1;
            let st = &self.states[state];
            let rules = &st.rules;
            seen[state] = seen[state].saturating_add(1);
            // Which rules can match, from one scan of the line (a rule
            // match does not depend on the machine's state, so one answer
            // per line serves every rule, Continue included).
            let use_set = seen[state] > SET_AFTER_LINES
                && tries[state] >= SET_AFTER_LINES * SET_MIN_TRIES_PER_LINE;
            let hits = if use_set && ascii {
                st.rule_set()
                    .map(|rs| (rs, rs.set.matches(line.as_bytes())))
            } else {
                None
            };
            for (ri, rule) in rules.iter().enumerate() {
                let mut known = false;
                if let Some((rs, hits)) = &hits
                    && let Some((k, exact)) = rs.members[ri]
                {
                    if !hits.matched(k) {
                        continue;
                    }
                    known = exact;
                }
                if seen[state] <= SET_AFTER_LINES {
                    tries[state] += 1;
                }
                // A rule that sets no value only needs a yes/no answer.
                let matched = if rule.assigns.is_empty() && known {
                    Ok(true)
                } else {
                    let sc = scratch[state][ri].get_or_insert_with(|| rule.regex.scratch());
                    if rule.assigns.is_empty() {
                        rule.regex.is_match_line(line, ascii, sc)
                    } else {
                        rule.regex.match_line(line, ascii, sc, &mut spans)
                    }
                }
                .map_err(|reason| RunError::Pattern {
                    rule_line: rule.line_num,
                    input_line: line_no,
                    reason,
                })?;
                if !matched {
                    continue;
                }
                for &(gi, vi) in &rule.assigns {
                    let v = spans.get(gi).copied().flatten().map(|(a, b)| &line[a..b]);
                    m.assign(vi, v).map_err(|reason| RunError::Pattern {
                        rule_line: rule.line_num,
                        input_line: line_no,
                        reason,
                    })?;
                }
                match rule.record_op {
                    RecordOp::Record => m.append_record(),
                    RecordOp::Clear => m.clear(),
                    RecordOp::Clearall => m.clear_all(),
                    RecordOp::NoRecord => {}
                }
                match rule.line_op {
                    LineOp::Error => {
                        return Err(RunError::Action {
                            message: rule.error_msg.clone(),
                            rule_line: rule.line_num,
                            input_line: line_no,
                            text: line.to_owned(),
                        });
                    }
                    LineOp::Continue => continue,
                    LineOp::Next => {}
                }
                match rule.new_state {
                    NewState::Stay => {}
                    NewState::State(s) => state = s,
                    NewState::End => stopped = Some(true),
                    NewState::Eof => stopped = Some(false),
                }
                break;
            }
            if stopped.is_some() {
                break;
            }
        }
        if stopped != Some(true) && !self.has_eof_state {
            m.append_record();
        }
        Ok(m.result)
    }
}
