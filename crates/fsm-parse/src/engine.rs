//! Running a template over input: a step-by-step port of the semantics of
//! `textfsm.TextFSM.ParseText` (value options run their hooks in declaration
//! order, exactly as Python's option classes do).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::program::{LineOp, NewState, Opt, Program, RecordOp, ValueDef};
use crate::pyre::{LineBytes, Spans};
use crate::row::RowRef;
use crate::runstate::{PyVal, RunScratch, ScratchPool, Slot};
use crate::split::{LineSource, splitlines};
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

/// Lines a run spends in a state before that state's `RegexSet` is used
/// (building it costs about as much as scanning a few dozen lines rule by
/// rule; most states of most inputs see only a handful of lines).
const SET_AFTER_LINES: u32 = 16;

/// The set pays off only when lines run many rule automata before one
/// matches (or none does): the set scan costs about as much as several
/// short rule scans, and the matching rule still runs for its captures.
/// Rules whose literal tests (prefix, required literal) reject the line
/// cost next to nothing and are not counted.
const SET_MIN_TRIES_PER_LINE: u32 = 8;

/// Lines longer than this are folded into their [`LineBytes`] only while
/// that keeps rejecting rules (see [`LongFolds`]): the fold costs a step
/// per byte, and a long line often holds every folded bit a rule's literal
/// needs (fortinet's 400-byte interface lines pass every rule's test),
/// while padded or repetitive long lines (`show processes top`) do not.
const LONG_LINE: usize = 128;

/// Whether folding long lines pays in this run: a fold of a long line
/// costs about what three or four `memmem` calls over it cost, so after 32
/// long lines folded, fewer than two rules rejected by the fold per long
/// line turns folding off for long lines (their rules go straight to the
/// exact `memmem`), except every 16th long line, which is folded to keep
/// the count (halved every 1024 lines, so the choice follows the input).
#[derive(Default)]
struct LongFolds {
    folded: u32,
    rejected: u32,
    skipped: u32,
}

impl LongFolds {
    /// Whether this long line goes without its fold.
    fn skip(&mut self) -> bool {
        if self.folded < 32 || self.rejected >= 2 * self.folded {
            return false;
        }
        self.skipped = self.skipped.wrapping_add(1);
        !self.skipped.is_multiple_of(16)
    }

    /// A long line was folded (`lb`: its fold, if a rule needed it).
    fn saw(&mut self, lb: Option<&LineBytes>) {
        let Some(lb) = lb else {
            return;
        };
        if self.folded >= 1024 {
            self.folded /= 2;
            self.rejected /= 2;
        }
        self.folded += 1;
        self.rejected = self.rejected.saturating_add(lb.rejected());
    }
}

/// A row of a run's `Vec` output: a [`Record`], or bare values.
pub(crate) trait Row: Sized {
    fn from_values(t: &Program, values: Vec<Value>) -> Self;
    fn values_mut(&mut self) -> &mut [Value];
}

impl Row for Vec<Value> {
    fn from_values(_: &Program, values: Vec<Value>) -> Self {
        values
    }
    fn values_mut(&mut self) -> &mut [Value] {
        self
    }
}

impl Row for Record {
    fn from_values(t: &Program, values: Vec<Value>) -> Self {
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
    fn record(&mut self, t: &Program, slots: &mut [Slot]);
    /// `Fillup`: writes `s` into value `vi` of the rows recorded so far,
    /// from the last one back, while that value is empty there.
    fn fill_up(&mut self, vi: usize, s: &str);
}

/// The owned values of the current row. Strings are moved out of the slots
/// (the row is cleared right after), except Filldown ones, which stay.
fn take_row(t: &Program, slots: &mut [Slot]) -> Vec<Value> {
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

/// Collects every row (what [`Template::run`](crate::Template::run) returns).
struct Collect<R>(Vec<R>);

impl<R: Row> Sink for Collect<R> {
    fn record(&mut self, t: &Program, slots: &mut [Slot]) {
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
    fn record(&mut self, t: &Program, slots: &mut [Slot]) {
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
    fn new(t: &Program, header: &'h Arc<[String]>, f: F) -> Self {
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
    fn record(&mut self, t: &Program, slots: &mut [Slot]) {
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
    t: &'t Program,
    slots: Vec<Slot>,
    sink: S,
}

impl<'t, S: Sink> Machine<'t, S> {
    fn new(t: &'t Program, sink: S) -> Self {
        let slots = t.values.iter().map(|_| Slot::new()).collect();
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
                        let matched = re.match_spare(s, &mut spans).map_err(|e| e.to_string())?;
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

/// Runs `p` over `input` and collects the rows: [`Template::run`] and
/// [`Template::run_rows`].
///
/// [`Template::run`]: crate::Template::run
/// [`Template::run_rows`]: crate::Template::run_rows
pub(crate) fn run<R: Row>(
    p: &Program,
    pool: &ScratchPool,
    input: &str,
) -> Result<Vec<R>, RunError> {
    run_pooled(p, pool, input, Collect(Vec::new())).map(|c| c.0)
}

/// Runs `p` over `input` handing each row to `f` as soon as it is final:
/// [`Template::run_each`](crate::Template::run_each).
pub(crate) fn run_each<F: FnMut(RowRef<'_>)>(
    p: &Program,
    pool: &ScratchPool,
    input: &str,
    f: F,
) -> Result<(), RunError> {
    if p.values.iter().any(|d| d.has(Opt::Fillup)) {
        let mut held = run_pooled(p, pool, input, Held::new(p, &p.header, f))?;
        held.finish();
    } else {
        run_pooled(
            p,
            pool,
            input,
            Stream {
                header: &p.header,
                f,
            },
        )?;
    }
    Ok(())
}

/// [`run_each`] over the lines of any source (a reader: see
/// [`Template::run_each_read`](crate::Template::run_each_read)).
pub(crate) fn run_each_lines<L: LineSource, F: FnMut(RowRef<'_>)>(
    p: &Program,
    pool: &ScratchPool,
    lines: &mut L,
    f: F,
) -> Result<(), RunError> {
    if p.values.iter().any(|d| d.has(Opt::Fillup)) {
        let mut held = run_pooled_lines(p, pool, lines, Held::new(p, &p.header, f))?;
        if !lines.failed() {
            held.finish();
        }
    } else {
        run_pooled_lines(
            p,
            pool,
            lines,
            Stream {
                header: &p.header,
                f,
            },
        )?;
    }
    Ok(())
}

fn run_pooled<S: Sink>(
    p: &Program,
    pool: &ScratchPool,
    input: &str,
    sink: S,
) -> Result<S, RunError> {
    run_pooled_lines(p, pool, &mut splitlines(input), sink)
}

fn run_pooled_lines<L: LineSource, S: Sink>(
    p: &Program,
    pool: &ScratchPool,
    lines: &mut L,
    sink: S,
) -> Result<S, RunError> {
    let mut scratch = pool.take(p);
    let out = run_with(p, lines, &mut scratch, sink);
    pool.put(scratch);
    out
}

fn run_with<L: LineSource, S: Sink>(
    p: &Program,
    lines: &mut L,
    scratch: &mut RunScratch,
    sink: S,
) -> Result<S, RunError> {
    let mut m = Machine::new(p, sink);
    let mut spans: Spans = Vec::new();
    let mut state = p.start;
    // Some(true) = End, Some(false) = EOF.
    let mut stopped: Option<bool> = None;
    // Lines seen per state: a state's RuleSet is built (once per
    // template) only when a run spends enough lines in it to pay off.
    let mut seen: Vec<u32> = vec![0; p.states.len()];
    // Rules tried per state over its first SET_AFTER_LINES lines.
    let mut tries: Vec<u32> = vec![0; p.states.len()];
    let mut long_folds = LongFolds::default();
    let mut line_no = 0;
    while let Some((line, ascii)) = lines.next_line() {
        line_no += 1;
        let st = &p.states[state];
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
        let long = line.len() > LONG_LINE;
        let fold_skipped = long && long_folds.skip();
        let mut lb: Option<LineBytes> = fold_skipped.then_some(LineBytes::ALL);
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
            // The cheap tests first: the line's fold bits against the
            // required literal's (most rules fail that on most lines), the
            // first byte, then the literal itself (`memmem`).
            if !known && !rule.regex.fold_ok(line, &mut lb, &st.sig) {
                continue;
            }
            let first = rule.regex.first_byte(line, ascii);
            if first == Some(false) || (!known && !rule.regex.rest_ok(line)) {
                continue;
            }
            // Count the rules that get past those tests (those run an
            // automaton, which is what the set saves).
            if seen[state] <= SET_AFTER_LINES {
                tries[state] += 1;
            }
            // A rule that sets no value only needs a yes/no answer.
            let matched = if rule.assigns.is_empty() && (known || first == Some(true)) {
                Ok(true)
            } else {
                let sc = scratch[state][ri].get_or_insert_with(|| rule.regex.scratch());
                if rule.assigns.is_empty() {
                    rule.regex.is_match_prechecked(line, ascii, sc)
                } else {
                    rule.regex.match_prechecked(line, ascii, sc, &mut spans)
                }
            }
            .map_err(|e| RunError::Pattern {
                rule_line: rule.line_num,
                input_line: line_no,
                reason: e.to_string(),
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
        if long && !fold_skipped {
            long_folds.saw(lb.as_ref());
        }
        if stopped.is_some() {
            break;
        }
    }
    if stopped != Some(true) && !p.has_eof_state && !lines.failed() {
        m.append_record();
    }
    Ok(m.sink)
}
