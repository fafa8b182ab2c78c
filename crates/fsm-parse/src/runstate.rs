//! The state of a run: each value's slot (Python's `value.value` and
//! Filldown's `_myvar`) and the pooled pattern scratch space. Below both
//! [`crate::template`] (a template owns its pool) and [`crate::engine`]
//! (which runs on them); [`crate::row`] reads the slots.

use std::sync::Mutex;

use crate::program::Program;
use crate::pyre::Scratch;
use crate::value::ListItem;

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
    /// An unset value.
    pub(crate) fn new() -> Slot {
        Slot {
            value: PyVal::None,
            buf: String::new(),
            myvar: None,
            list: Vec::new(),
            list_len: 0,
        }
    }

    /// Python's truthiness of `value.value` (for a `List` value before its
    /// record is saved: of the last string assigned).
    pub(crate) fn truthy(&self) -> bool {
        !self.as_str().is_empty()
    }

    /// `value.value is not None`: what makes a row count as not empty.
    pub(crate) fn is_set(&self) -> bool {
        match self.value {
            PyVal::None => false,
            PyVal::Str => true,
            PyVal::Filled => self.myvar.is_some(),
        }
    }

    /// List's `_value`.
    #[inline]
    pub(crate) fn list(&self) -> &[ListItem] {
        &self.list[..self.list_len]
    }

    /// Appends to List's `_value`, reusing a spare item's buffer.
    pub(crate) fn list_push(&mut self, item: ListItem) {
        match self.list.get_mut(self.list_len) {
            Some(spare) => *spare = item,
            None => self.list.push(item),
        }
        self.list_len += 1;
    }

    /// Appends a string item to List's `_value`, reusing a spare item's
    /// buffer: a run of `run_each` allocates nothing for it then.
    pub(crate) fn list_push_str(&mut self, s: &str) {
        if let Some(ListItem::Str(spare)) = self.list.get_mut(self.list_len) {
            spare.clear();
            spare.push_str(s);
            self.list_len += 1;
        } else {
            self.list_push(ListItem::Str(s.to_owned()));
        }
    }

    /// Empties List's `_value` (its items stay as spares).
    pub(crate) fn list_clear(&mut self) {
        self.list_len = 0;
    }

    /// Moves List's `_value` out, leaving it empty.
    pub(crate) fn list_take(&mut self) -> Vec<ListItem> {
        self.list.truncate(self.list_len);
        self.list_len = 0;
        std::mem::take(&mut self.list)
    }

    /// The string a plain value records (`""` when unset).
    #[inline]
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
pub(crate) type RunScratch = Vec<Vec<Option<Scratch>>>;

/// Scratch spaces of finished runs of one template, for the next runs to
/// reuse (a run takes one out and puts it back when done; concurrent runs
/// each get their own).
#[derive(Default)]
pub(crate) struct ScratchPool(Mutex<Vec<RunScratch>>);

/// At most this many idle scratch spaces are kept per template.
const POOL_KEEP: usize = 4;

impl ScratchPool {
    /// A scratch space of an earlier run, or a new one shaped like `p`.
    pub(crate) fn take(&self, p: &Program) -> RunScratch {
        let got = self.0.lock().ok().and_then(|mut v| v.pop());
        got.unwrap_or_else(|| {
            p.states
                .iter()
                .map(|s| s.rules.iter().map(|_| None).collect())
                .collect()
        })
    }

    /// Keeps `s` for the next run.
    pub(crate) fn put(&self, s: RunScratch) {
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
