//! Running a template over input: a step-by-step port of the semantics of
//! `textfsm.TextFSM.ParseText` (value options run their hooks in declaration
//! order, exactly as Python's option classes do).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::pyre::{Scratch, Spans};
use crate::row::RowRef;
use crate::split::splitlines;
use crate::template::{LineOp, NewState, Opt, RecordOp, Template, ValueDef};
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

/// Python's `value.value`: `None`, a string (held in `Slot::buf`, whose
/// buffer is reused from one assignment to the next), or Filldown's
/// `_myvar` (Python shares that object; we read `Slot::myvar` instead of
/// copying it on every Clear). A `List` value's list is `Slot::list`; its
/// `value.value` before a record is saved is the last string assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PyVal {
    None,
    Str,
    Filled,
}

/// One value's state during a run.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) value: PyVal,
    /// The string of `PyVal::Str`.
    pub(crate) buf: String,
    /// Filldown's `_myvar`.
    pub(crate) myvar: Option<String>,
    /// List's `_value`: the first `list_len` items. The items past it are
    /// spares whose strings the next items reuse.
    list: Vec<ListItem>,
    list_len: usize,
}

impl Slot {
    /// Python's truthiness of `value.value` (for a `List` value before its
    /// record is saved: of the last string assigned).
    fn truthy(&self) -> bool {
        !self.as_str().is_empty()
    }

    /// `value.value is not None`: what makes a row count as not empty.
    fn is_set(&self) -> bool {
        match self.value {
            PyVal::None => false,
            PyVal::Str => true,
            PyVal::Filled => self.myvar.is_some(),
        }
    }

    /// List's `_value`.
    pub(crate) fn list(&self) -> &[ListItem] {
        &self.list[..self.list_len]
    }

    /// Appends to List's `_value`, reusing a spare item's buffer.
    fn list_push(&mut self, item: ListItem) {
        match self.list.get_mut(self.list_len) {
            Some(spare) => *spare = item,
            None => self.list.push(item),
        }
        self.list_len += 1;
    }

    /// Appends a string item to List's `_value`, reusing a spare item's
    /// buffer: a run of `run_each` allocates nothing for it then.
    fn list_push_str(&mut self, s: &str) {
        if let Some(ListItem::Str(spare)) = self.list.get_mut(self.list_len) {
            spare.clear();
            spare.push_str(s);
            self.list_len += 1;
        } else {
            self.list_push(ListItem::Str(s.to_owned()));
        }
    }

    /// Empties List's `_value` (its items stay as spares).
    fn list_clear(&mut self) {
        self.list_len = 0;
    }

    /// Moves List's `_value` out, leaving it empty.
    fn list_take(&mut self) -> Vec<ListItem> {
        self.list.truncate(self.list_len);
        self.list_len = 0;
        std::mem::take(&mut self.list)
    }

    /// The string a plain value records (`""` when unset).
    pub(crate) fn as_str(&self) -> &str {
        match self.value {
            PyVal::None => "",
            PyVal::Str => &self.buf,
            PyVal::Filled => self.myvar.as_deref().unwrap_or(""),
        }
    }
}

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

/// A row of a run's `Vec` output: a [`Record`], or bare values.
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

/// Where the rows of a run go.
trait Sink {
    /// Takes the current row: its `Required` values are set and it is not
    /// all unset. The machine clears the row right after.
    fn record(&mut self, t: &Template, slots: &mut [Slot]);
    /// `Fillup`: writes `s` into value `vi` of the rows recorded so far,
    /// from the last one back, while that value is empty there.
    fn fill_up(&mut self, vi: usize, s: &str);
}

/// The owned values of the current row. Strings are moved out of the slots
/// (the row is cleared right after), except Filldown ones, which stay.
fn take_row(t: &Template, slots: &mut [Slot]) -> Vec<Value> {
    let mut row = Vec::with_capacity(slots.len());
    for (def, slot) in t.values.iter().zip(slots.iter_mut()) {
        row.push(if def.is_list() {
            if def.has(Opt::Filldown) {
                Value::List(slot.list().to_vec())
            } else {
                Value::List(slot.list_take())
            }
        } else {
            match slot.value {
                PyVal::None => Value::Str(String::new()),
                PyVal::Str => Value::Str(std::mem::take(&mut slot.buf)),
                PyVal::Filled => Value::Str(slot.myvar.clone().unwrap_or_default()),
            }
        });
    }
    row
}

/// Python's `Fillup.OnAssignVar` over a run's rows, last row first.
fn fill_up_rows<'r>(rows: impl Iterator<Item = &'r mut [Value]>, vi: usize, s: &str) {
    for row in rows {
        if row[vi].is_truthy() {
            break;
        }
        row[vi] = Value::Str(s.to_owned());
    }
}

/// Collects every row (what [`Template::run`] returns).
struct Collect<R>(Vec<R>);

impl<R: Row> Sink for Collect<R> {
    fn record(&mut self, t: &Template, slots: &mut [Slot]) {
        let row = take_row(t, slots);
        self.0.push(R::from_values(t, row));
    }
    fn fill_up(&mut self, vi: usize, s: &str) {
        fill_up_rows(self.0.iter_mut().rev().map(R::values_mut), vi, s);
    }
}

/// Hands every row to a callback the moment it is recorded, borrowed from
/// the slots (templates without `Fillup`: nothing changes a row once it is
/// recorded).
struct Stream<'h, F> {
    header: &'h Arc<[String]>,
    f: F,
}

impl<F: FnMut(RowRef<'_>)> Sink for Stream<'_, F> {
    fn record(&mut self, t: &Template, slots: &mut [Slot]) {
        (self.f)(RowRef::from_slots(self.header, &t.values, slots));
    }
    fn fill_up(&mut self, _: usize, _: &str) {
        unreachable!("Stream is only used for templates without Fillup values")
    }
}

/// For templates with `Fillup` values: a recorded row stays here until no
/// later `Fillup` can write into it, then goes to the callback.
///
/// A `Fillup` walk from the last row back stops at the first row where the
/// value is non-empty, so row `r` is final once, for every `Fillup` value,
/// `r` or a later row has it non-empty (values only ever become non-empty).
struct Held<'h, F> {
    header: &'h Arc<[String]>,
    f: F,
    pending: VecDeque<Vec<Value>>,
    /// Rows handed out so far (the run-wide index of `pending[0]`).
    done: usize,
    /// Per `Fillup` value: its index, and 1 + the run-wide index of the
    /// last row where it is non-empty (0: no such row yet).
    fillup: Vec<(usize, usize)>,
}

impl<'h, F: FnMut(RowRef<'_>)> Held<'h, F> {
    fn new(t: &Template, header: &'h Arc<[String]>, f: F) -> Self {
        Held {
            header,
            f,
            pending: VecDeque::new(),
            done: 0,
            fillup: t
                .values
                .iter()
                .enumerate()
                .filter(|(_, d)| d.has(Opt::Fillup))
                .map(|(i, _)| (i, 0))
                .collect(),
        }
    }

    /// Hands out the rows that are final.
    fn release(&mut self) {
        let upto = self
            .fillup
            .iter()
            .map(|&(_, n)| n)
            .min()
            .unwrap_or(usize::MAX);
        while self.done < upto {
            let Some(row) = self.pending.pop_front() else {
                break;
            };
            (self.f)(RowRef::from_values(self.header, &row));
            self.done += 1;
        }
    }

    /// End of input: every row is final.
    fn finish(&mut self) {
        while let Some(row) = self.pending.pop_front() {
            (self.f)(RowRef::from_values(self.header, &row));
            self.done += 1;
        }
    }
}

impl<F: FnMut(RowRef<'_>)> Sink for Held<'_, F> {
    fn record(&mut self, t: &Template, slots: &mut [Slot]) {
        let row = take_row(t, slots);
        let n = self.done + self.pending.len() + 1;
        for (vi, last) in &mut self.fillup {
            if row[*vi].is_truthy() {
                *last = n;
            }
        }
        self.pending.push_back(row);
        self.release();
    }
    fn fill_up(&mut self, vi: usize, s: &str) {
        if self.pending.is_empty() {
            // Every row was handed out, so the last one has this value set
            // (see `release`): Python's walk stops there at once.
            return;
        }
        fill_up_rows(self.pending.iter_mut().rev().map(Vec::as_mut_slice), vi, s);
        // The last row has it now, written or already there.
        let n = self.done + self.pending.len();
        for (v, last) in &mut self.fillup {
            if *v == vi {
                *last = n;
            }
        }
        self.release();
    }
}

struct Machine<'t, S> {
    t: &'t Template,
    slots: Vec<Slot>,
    sink: S,
}

impl<'t, S: Sink> Machine<'t, S> {
    fn new(t: &'t Template, sink: S) -> Self {
        let slots = t
            .values
            .iter()
            .map(|_| Slot {
                value: PyVal::None,
                buf: String::new(),
                myvar: None,
                list: Vec::new(),
                list_len: 0,
            })
            .collect();
        Machine { t, slots, sink }
    }

    fn assign(&mut self, vi: usize, v: Option<&str>) -> Result<(), String> {
        let def = &self.t.values[vi];
        let slot = &mut self.slots[vi];
        slot.value = match v {
            Some(s) if !def.has(Opt::Filldown) => {
                // Reuse the buffer: a run of `run_each` never allocates for
                // a plain value once its buffer is long enough.
                slot.buf.clear();
                slot.buf.push_str(s);
                PyVal::Str
            }
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
                        self.sink.fill_up(vi, s);
                    }
                }
                Opt::List => match (&def.list_regex, v) {
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
                                    n.as_ref()
                                        .map(|n| (n.clone(), sp.map(|(a, b)| s[a..b].to_owned())))
                                })
                                .collect()
                        } else {
                            Vec::new()
                        };
                        if named.is_empty() {
                            slot.list_push_str(s);
                        } else {
                            slot.list_push(ListItem::Map(named));
                        }
                    }
                    (_, Some(s)) => slot.list_push_str(s),
                    (_, None) => slot.list_push(ListItem::None),
                },
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
                    Opt::List if !def.has(Opt::Filldown) => slot.list_clear(),
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
                    Opt::List => slot.list_clear(),
                    _ => {}
                }
            }
        }
    }

    /// Python's `Required.OnSaveRecord`, run in option order: before a
    /// `List` option saves the list, `value.value` is the last string
    /// assigned; after, it is the list.
    fn required_ok(def: &ValueDef, slot: &Slot) -> bool {
        let mut listed = false;
        for opt in &def.options {
            match opt {
                Opt::Required => {
                    let set = if listed {
                        !slot.list().is_empty()
                    } else {
                        slot.truthy()
                    };
                    if !set {
                        return false;
                    }
                }
                Opt::List => listed = true,
                _ => {}
            }
        }
        true
    }

    /// Python's `_AppendRecord`.
    fn append_record(&mut self) {
        if self.t.values.is_empty() {
            return;
        }
        let defs = &self.t.values;
        if !defs
            .iter()
            .zip(&self.slots)
            .all(|(d, s)| Self::required_ok(d, s))
        {
            self.clear();
            return;
        }
        // A row whose values are all None or [] is not recorded (and not
        // cleared: there is nothing in it to clear).
        let all_unset = defs.iter().zip(&self.slots).all(|(d, s)| {
            if d.is_list() {
                s.list().is_empty()
            } else {
                !s.is_set()
            }
        });
        if all_unset {
            return;
        }
        self.sink.record(self.t, &mut self.slots);
        self.clear();
    }
}

impl Template {
    /// Runs the template over `input` (split like Python's
    /// `str.splitlines()`), returning the records in order.
    ///
    /// For large inputs whose rows are only written out or counted,
    /// [`Template::run_each`] gives the same rows without allocating them.
    pub fn run(&self, input: &str) -> Result<Vec<Record>, RunError> {
        self.run_pooled(input, Collect(Vec::new())).map(|c| c.0)
    }

    /// Like [`Template::run`], but rows as bare value vectors in header
    /// order (no header pointer per row).
    pub fn run_rows(&self, input: &str) -> Result<Vec<Vec<Value>>, RunError> {
        self.run_pooled(input, Collect(Vec::new())).map(|c| c.0)
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
        if self.values.iter().any(|d| d.has(Opt::Fillup)) {
            let mut held = self.run_pooled(input, Held::new(self, &self.header, f))?;
            held.finish();
        } else {
            self.run_pooled(
                input,
                Stream {
                    header: &self.header,
                    f,
                },
            )?;
        }
        Ok(())
    }

    fn run_pooled<S: Sink>(&self, input: &str, sink: S) -> Result<S, RunError> {
        let mut scratch = self.scratch.take(self);
        let out = self.run_with(input, &mut scratch, sink);
        self.scratch.put(scratch);
        out
    }

    fn run_with<S: Sink>(
        &self,
        input: &str,
        scratch: &mut RunScratch,
        sink: S,
    ) -> Result<S, RunError> {
        let mut m = Machine::new(self, sink);
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
        Ok(m.sink)
    }
}
