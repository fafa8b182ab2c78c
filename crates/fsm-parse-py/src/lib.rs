//! The native half of the Python module `fsm_parse`: `fsm_parse._native`.
//!
//! The pure-Python package in `python/fsm_parse` gives Python textfsm's
//! API (`TextFSM`, `clitable.CliTable`, the exceptions, ntc-templates'
//! `parse_output`); this module does the work with the `fsm-parse` crate:
//!
//! - [`NativeTemplate`] is a compiled template. Templates are compiled once
//!   per process: from text (cached by the text), or from a file (cached by
//!   path, modification time and size, so an edited file is compiled
//!   again).
//! - [`NativeIndex`] is a clitable `index` file (cached the same way; an
//!   index whose templates changed on disk is loaded again).
//! - Parsing runs with the GIL released (`Python::detach`), so Python
//!   threads parse in parallel; the rows become Python lists afterwards.
//!
//! Errors are raised as the package's own exception classes
//! (`fsm_parse.TextFSMTemplateError`, `fsm_parse.TextFSMError`,
//! `fsm_parse.clitable.CliTableError`) with Python textfsm's messages.
//!
//! Built by maturin (`pip install ./crates/fsm-parse-py`), which turns on
//! the `extension-module` feature; a plain `cargo build` builds it as an
//! ordinary library.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use fsm_parse::{
    Index, IndexError, ListItem, Record, RunError, Template, TemplateError, Value, ValueRef,
};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// Templates compiled from text, by a hash of the text (the text is kept
/// to rule out collisions).
type TextCache = HashMap<u64, Vec<(Arc<str>, Arc<Template>)>>;

/// How many distinct template texts stay compiled; past this the cache is
/// emptied (a process that generates templates must not grow without end).
const TEXT_CACHE_MAX: usize = 4096;

fn text_cache() -> &'static Mutex<TextCache> {
    static C: std::sync::OnceLock<Mutex<TextCache>> = std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// A file's identity for the caches: modification time and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    mtime: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = std::fs::metadata(path)?;
    Ok(Stamp {
        mtime: m.modified().ok(),
        len: m.len(),
    })
}

type FileCache = HashMap<PathBuf, (Stamp, Arc<Template>)>;

fn file_cache() -> &'static Mutex<FileCache> {
    static C: std::sync::OnceLock<Mutex<FileCache>> = std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// A loaded index and the stamps of the templates it has compiled so far.
struct IndexEntry {
    stamp: Stamp,
    index: Arc<Index>,
    templates: Mutex<HashMap<String, Option<Stamp>>>,
}

fn index_cache() -> &'static Mutex<HashMap<PathBuf, Arc<IndexEntry>>> {
    static C: std::sync::OnceLock<Mutex<HashMap<PathBuf, Arc<IndexEntry>>>> =
        std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// Raises `fsm_parse.<module>.<class>(message)`.
fn py_error(py: Python<'_>, module: &str, class: &str, message: String) -> PyErr {
    match py
        .import(module)
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1((message,)))
    {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

fn template_error(py: Python<'_>, e: &TemplateError) -> PyErr {
    py_error(
        py,
        "fsm_parse.parser",
        "TextFSMTemplateError",
        e.python_message().to_owned(),
    )
}

fn run_error(py: Python<'_>, e: &RunError) -> PyErr {
    match e.python_message() {
        Some(m) => py_error(py, "fsm_parse.parser", "TextFSMError", m),
        // Python textfsm fails with a TypeError inside its List option here.
        None => PyTypeError::new_err(e.to_string()),
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> PyErr {
    let msg = format!("{}: {e}", path.display());
    match e.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
        _ => PyOSError::new_err(msg),
    }
}

fn index_error(py: Python<'_>, e: &IndexError) -> PyErr {
    match e {
        IndexError::Io { path, source } => io_error(path, source),
        IndexError::Template { source, .. } => template_error(py, source),
        IndexError::Run { source, .. } => run_error(py, source),
        IndexError::Index { message, .. } if message.contains("'Template' column") => py_error(
            py,
            "fsm_parse.clitable",
            "CliTableError",
            "Index file does not have 'Template' column.".to_owned(),
        ),
        IndexError::Index { .. } | IndexError::NoTemplate { .. } | IndexError::Join { .. } => {
            py_error(py, "fsm_parse.clitable", "CliTableError", e.to_string())
        }
    }
}

/// A Python list item of a `List` value: str, None or dict.
fn list_item<'py>(py: Python<'py>, item: &ListItem) -> PyResult<Bound<'py, PyAny>> {
    Ok(match item {
        ListItem::Str(s) => PyString::new(py, s).into_any(),
        ListItem::None => py.None().into_bound(py),
        ListItem::Map(m) => {
            let d = PyDict::new(py);
            for (k, v) in m {
                d.set_item(k, v.as_deref())?;
            }
            d.into_any()
        }
    })
}

fn value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::List(items) => {
            let l = PyList::empty(py);
            for it in items {
                l.append(list_item(py, it)?)?;
            }
            l.into_any()
        }
    })
}

fn row_list<'py>(py: Python<'py>, row: &[Value]) -> PyResult<Bound<'py, PyList>> {
    let items = row
        .iter()
        .map(|v| value(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// The rows of one run, flat: every string (plain values and `List`
/// items) in one buffer, one `u32` cell per value or item; nothing
/// allocated per value while the engine runs. A plain value equal to the
/// one above it in its column (a Filldown value, a status, an empty value:
/// most values of most tables) is one [`SAME`] cell and no text, so the
/// buffers stay small (fewer fresh pages to fault in) and the conversion
/// reuses the Python string above it without comparing.
#[derive(Default)]
struct Flat {
    width: usize,
    rows: usize,
    text: String,
    /// In row order, per plain value: [`SAME`], or the length of its text
    /// in `text` (it starts where the previous string ended); per `List`
    /// value: [`LIST`] | its item count, then per item the length of its
    /// text, [`NONE`], or [`MAP`] | its index in `maps`. A number too
    /// large for the low 29 bits is [`BIG`] there and the two cells after
    /// hold it (low half first).
    cells: Vec<u32>,
    /// Per column, where the last plain value's text is in `text`.
    above: Vec<Option<(usize, usize)>>,
    /// `List` items with named groups (rare): kept as they are.
    maps: Vec<ListItem>,
}

/// The kind of a cell: its top three bits.
const KIND: u32 = 0b111 << 29;
/// A plain value's text (the low bits: its length).
const STR: u32 = 0;
/// A plain value equal to the one above it in its column.
const SAME: u32 = 1 << 29;
/// A cell that starts a `List` value (the low bits: its item count).
const LIST: u32 = 2 << 29;
/// A `List` item whose group did not take part (`None`).
const NONE: u32 = 3 << 29;
/// A `List` item with named groups (a dict; the low bits: its index in
/// `Flat::maps`).
const MAP: u32 = 4 << 29;
/// The low bits of a cell whose number is in the two cells after it.
const BIG: u32 = !KIND;

impl Flat {
    fn push(&mut self, row: fsm_parse::RowRef<'_>) {
        self.rows += 1;
        for (col, v) in row.values().enumerate() {
            match v {
                ValueRef::Str(s) => {
                    if let Some(Some((a, b))) = self.above.get(col)
                        && same_bytes(&self.text.as_bytes()[*a..*b], s.as_bytes())
                    {
                        self.cells.push(SAME);
                        continue;
                    }
                    let a = self.text.len();
                    self.push_str(s);
                    if let Some(slot) = self.above.get_mut(col) {
                        *slot = Some((a, self.text.len()));
                    }
                }
                ValueRef::List(items) => {
                    self.push_num(LIST, items.len());
                    for it in items {
                        match it {
                            ListItem::Str(s) => self.push_str(s),
                            ListItem::None => self.cells.push(NONE),
                            ListItem::Map(_) => {
                                self.push_num(MAP, self.maps.len());
                                self.maps.push(it.clone());
                            }
                        }
                    }
                }
            }
        }
    }

    fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
        self.push_num(STR, s.len());
    }

    /// A cell of `kind` holding `n`.
    #[inline]
    fn push_num(&mut self, kind: u32, n: usize) {
        match u32::try_from(n) {
            Ok(n) if n < BIG => self.cells.push(kind | n),
            _ => {
                let n = n as u64;
                self.cells
                    .extend_from_slice(&[kind | BIG, n as u32, (n >> 32) as u32]);
            }
        }
    }
}

/// `a == b` without a call to `memcmp` (most values are a few bytes, and
/// a call per value of every row cost more than the compare itself).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if p != q {
            return false;
        }
    }
    x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
}

/// Walks a [`Flat`]'s values in order, making the Python objects.
struct Cursor<'f, 'py> {
    flat: &'f Flat,
    next: usize,
    start: usize,
    strs: StrCache<'py>,
    /// Per column, the last plain value's object: what a [`SAME`] cell
    /// stands for.
    above: Vec<Option<Bound<'py, PyString>>>,
}

impl<'f, 'py> Cursor<'f, 'py> {
    fn new(flat: &'f Flat) -> Self {
        Cursor {
            flat,
            next: 0,
            start: 0,
            strs: StrCache::new(),
            above: vec![None; flat.width],
        }
    }

    /// The next cell: its kind and number.
    #[inline]
    fn take(&mut self) -> (u32, usize) {
        let c = self.flat.cells[self.next];
        self.next += 1;
        let n = c & !KIND;
        if n != BIG {
            return (c & KIND, n as usize);
        }
        let (lo, hi) = (self.flat.cells[self.next], self.flat.cells[self.next + 1]);
        self.next += 2;
        (c & KIND, (u64::from(hi) << 32 | u64::from(lo)) as usize)
    }

    /// Whether the next cell is a [`SAME`] one; if so, it is consumed.
    #[inline]
    fn skip_same(&mut self) -> bool {
        let same = self.flat.cells.get(self.next).is_some_and(|&c| c == SAME);
        if same {
            self.next += 1;
        }
        same
    }

    /// The next row as a list. After the first row, a copy of the row
    /// above (`PyList_GetSlice`: one call that copies the items) with
    /// only the values that differ set again: most values of most tables
    /// are the ones above them, and one `PyList_SetItem` call per value
    /// was most of the cost of a row.
    fn row(
        &mut self,
        py: Python<'py>,
        above: Option<&Bound<'py, PyList>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let width = self.flat.width;
        let Some(above) = above else {
            return new_list(py, width, |col| self.value(py, col));
        };
        // SAFETY: the GIL is held (`py`) and `above` is a list of `width`
        // items; PyList_GetSlice returns a new reference or NULL with an
        // exception set.
        let list = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                pyo3::ffi::PyList_GetSlice(above.as_ptr(), 0, width as pyo3::ffi::Py_ssize_t),
            )?
        };
        for col in 0..width {
            if self.skip_same() {
                continue;
            }
            let v = self.value(py, col)?;
            // SAFETY: `list` is a new list of `width` items and
            // `col < width`; PyList_SetItem steals the reference
            // `into_ptr` hands over and releases the item it replaces.
            let rc = unsafe {
                pyo3::ffi::PyList_SetItem(list.as_ptr(), col as pyo3::ffi::Py_ssize_t, v.into_ptr())
            };
            if rc != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        // SAFETY: PyList_GetSlice of a list makes a list.
        Ok(unsafe { list.cast_into_unchecked() })
    }

    /// The next `len` bytes of text as a Python string.
    fn string(&mut self, py: Python<'py>, len: usize) -> Bound<'py, PyString> {
        let a = self.start;
        self.start += len;
        self.strs.get(py, &self.flat.text, a, a + len)
    }

    /// The next value, of column `col`: a string, or a list of its items.
    fn value(&mut self, py: Python<'py>, col: usize) -> PyResult<Bound<'py, PyAny>> {
        let (kind, n) = self.take();
        match kind {
            SAME => {
                if let Some(Some(obj)) = self.above.get(col) {
                    return Ok(obj.clone().into_any());
                }
                // Flat::push writes SAME only after a plain value of the
                // same column, which set `above` here.
                Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "fsm_parse: row buffer out of order",
                ))
            }
            STR => {
                let obj = self.string(py, n);
                if let Some(slot) = self.above.get_mut(col) {
                    *slot = Some(obj.clone());
                }
                Ok(obj.into_any())
            }
            _ => new_list(py, n, |_| {
                let (kind, n) = self.take();
                match kind {
                    NONE => Ok(py.None().into_bound(py)),
                    MAP => list_item(py, &self.flat.maps[n]),
                    _ => Ok(self.string(py, n).into_any()),
                }
            })
            .map(Bound::into_any),
        }
    }
}

/// Python strings made from a run's values, reusing the object for a short
/// value seen recently (interface names, states, protocol codes and empty
/// values repeat row after row): a hash table of 4096 entries, one per
/// hash, the newest value wins. An entry holds its value's bytes itself:
/// comparing them where the value was first seen in the run's text (often
/// megabytes back, out of cache) cost more than the rest of the lookup.
struct StrCache<'py> {
    slots: Vec<Option<Slot<'py>>>,
}

/// A cached string: its bytes zero-padded to 32, its length, its object.
struct Slot<'py> {
    key: [u64; 4],
    len: usize,
    obj: Bound<'py, PyString>,
}

/// Values longer than this are always made anew (they rarely repeat).
const STR_CACHE_MAX_LEN: usize = 32;
const STR_CACHE_SLOTS: usize = 4096;

impl<'py> StrCache<'py> {
    fn new() -> Self {
        StrCache {
            slots: std::iter::repeat_with(|| None)
                .take(STR_CACHE_SLOTS)
                .collect(),
        }
    }

    /// The Python string of `text[a..b]`.
    fn get(&mut self, py: Python<'py>, text: &str, a: usize, b: usize) -> Bound<'py, PyString> {
        let s = &text[a..b];
        if s.len() > STR_CACHE_MAX_LEN {
            return PyString::new(py, s);
        }
        let key = padded_words(s.as_bytes());
        // Each word multiplied by its own odd constant, then MurmurHash3's
        // finaliser, so that every byte reaches the bits the index takes.
        let h = (s.len() as u64)
            ^ key[0].wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ key[1].wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ key[2].wrapping_mul(0x1656_67B1_9E37_79F9)
            ^ key[3].wrapping_mul(0x85EB_CA77_C2B2_AE63);
        let h = (h ^ (h >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        let h = (h ^ (h >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        let h = h ^ (h >> 33);
        let slot = &mut self.slots[h as usize % STR_CACHE_SLOTS];
        if let Some(e) = slot
            && e.len == s.len()
            && e.key[0] == key[0]
            && e.key[1] == key[1]
            && e.key[2] == key[2]
            && e.key[3] == key[3]
        {
            return e.obj.clone();
        }
        let obj = PyString::new(py, s);
        *slot = Some(Slot {
            key,
            len: s.len(),
            obj: obj.clone(),
        });
        obj
    }
}

/// `b` (at most 32 bytes) as four little-endian words, zero-padded, read
/// with loads of the slice itself, each word computed on its own (kept in
/// registers): copying the value into a zeroed buffer, or words written to
/// an array by index, made the loads after wait for those stores (a failed
/// store forwarding, a quarter of the lookup's time).
#[inline(always)]
fn padded_words(b: &[u8]) -> [u64; 4] {
    [word_at(b, 0), word_at(b, 8), word_at(b, 16), word_at(b, 24)]
}

/// Bytes `i..i + 8` of `b` as a little-endian word, zero past the end.
#[inline(always)]
fn word_at(b: &[u8], i: usize) -> u64 {
    let n = b.len();
    let le = |at: usize, w: usize| -> u64 {
        let mut x = [0u8; 8];
        x[..w].copy_from_slice(&b[at..at + w]);
        u64::from_le_bytes(x)
    };
    if n >= i + 8 {
        return le(i, 8);
    }
    if n <= i {
        return 0;
    }
    let rem = n - i;
    if n >= 8 {
        // The last eight bytes, those of the words before shifted out.
        le(n - 8, 8) >> (8 * (8 - rem))
    } else if rem >= 4 {
        le(0, 4) | le(rem - 4, 4) << (8 * (rem - 4))
    } else if rem >= 2 {
        le(0, 2) | le(rem - 2, 2) << (8 * (rem - 2))
    } else {
        u64::from(b[0])
    }
}

/// A new list of `n` items made by `item(i)`.
fn new_list<'py>(
    py: Python<'py>,
    n: usize,
    mut item: impl FnMut(usize) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let len = pyo3::ffi::Py_ssize_t::try_from(n)
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("too many rows"))?;
    // SAFETY: the GIL is held (`py`); PyList_New returns a new reference
    // or NULL with an exception set, which `from_owned_ptr_or_err` turns
    // into the error.
    let list = unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyList_New(len))? };
    for i in 0..n {
        let v = item(i)?;
        // SAFETY: `list` is a list of length `n` and `i < n`; PyList_SetItem
        // steals the reference `into_ptr` hands over. Slots not yet set
        // are NULL, which a list frees fine if we return early.
        let rc = unsafe {
            pyo3::ffi::PyList_SetItem(list.as_ptr(), i as pyo3::ffi::Py_ssize_t, v.into_ptr())
        };
        if rc != 0 {
            return Err(PyErr::fetch(py));
        }
    }
    // SAFETY: PyList_New made a list.
    Ok(unsafe { list.cast_into_unchecked() })
}

/// Python's cyclic garbage collector paused while this lives (restored to
/// what it was). Building hundreds of thousands of row lists otherwise
/// starts a collection every 700 of them, each walking every list built
/// so far; the rows hold only strings and lists, so there is no cycle for
/// it to find.
struct GcPause {
    was_enabled: bool,
}

impl GcPause {
    fn new(_py: Python<'_>) -> GcPause {
        // SAFETY: called with the GIL held (the `Python` token proves it).
        let was_enabled = unsafe { pyo3::ffi::PyGC_Disable() } != 0;
        GcPause { was_enabled }
    }
}

impl Drop for GcPause {
    fn drop(&mut self) {
        if self.was_enabled {
            // SAFETY: the GIL is still held: a `GcPause` never leaves the
            // scope of the `Python` token it was made with.
            unsafe {
                pyo3::ffi::PyGC_Enable();
            }
        }
    }
}

/// A compiled template (`fsm_parse._native.Template`).
#[pyclass(name = "Template", module = "fsm_parse._native", frozen)]
pub struct NativeTemplate {
    t: Arc<Template>,
}

impl NativeTemplate {
    /// Runs the template with the GIL released.
    fn run<'py>(&self, py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<Flat> {
        let s = text.to_str()?;
        let t = Arc::clone(&self.t);
        py.detach(move || {
            // Capacity is only address space until written: reserving for
            // the worst case saves the copies of growing the buffers.
            let mut flat = Flat {
                width: t.value_names().len(),
                rows: 0,
                text: String::with_capacity(s.len()),
                cells: Vec::with_capacity(s.len() / 8),
                above: vec![None; t.value_names().len()],
                maps: Vec::new(),
            };
            // The row buffers of a large input are written once: huge
            // pages spare most of their page faults.
            fsm_parse::advise_huge_pages(flat.text.as_ptr(), flat.text.capacity());
            fsm_parse::advise_huge_pages(flat.cells.as_ptr().cast(), flat.cells.capacity() * 4);
            t.run_each(s, |row| flat.push(row)).map(|()| flat)
        })
        .map_err(|e| run_error(py, &e))
    }
}

#[pymethods]
impl NativeTemplate {
    /// Compiles template text, once per distinct text in this process.
    #[staticmethod]
    fn from_text(py: Python<'_>, text: &str) -> PyResult<NativeTemplate> {
        let mut h = DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        if let Some(list) = text_cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            && let Some((_, t)) = list.iter().find(|(s, _)| &**s == text)
        {
            return Ok(NativeTemplate { t: Arc::clone(t) });
        }
        let owned = text.to_owned();
        let t = py
            .detach(move || Template::parse(&owned))
            .map_err(|e| template_error(py, &e))?;
        let t = Arc::new(t);
        let mut cache = text_cache().lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= TEXT_CACHE_MAX {
            cache.clear();
        }
        cache
            .entry(key)
            .or_default()
            .push((Arc::from(text), Arc::clone(&t)));
        Ok(NativeTemplate { t })
    }

    /// Compiles a template file, once per path, modification time and size.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<NativeTemplate> {
        compiled_file(py, &path).map(|t| NativeTemplate { t })
    }

    /// The value names, in declaration order.
    fn header(&self) -> Vec<String> {
        self.t.value_names().to_vec()
    }

    /// Names of the values with this option (`Key`, `Filldown`, ...).
    fn values_with_option(&self, option: &str) -> Vec<String> {
        self.t
            .values_with_option(option)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The regex of a value as declared.
    fn value_regex(&self, name: &str) -> Option<String> {
        self.t.value_regex(name).map(str::to_owned)
    }

    /// The state names in declaration order.
    fn state_names(&self) -> Vec<String> {
        self.t.state_names().map(str::to_owned).collect()
    }

    /// How many rows `parse` would return, without building them (the
    /// engine's share of a parse, for benchmarks).
    fn count_rows(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<usize> {
        let s = text.to_str()?;
        let t = Arc::clone(&self.t);
        py.detach(move || {
            let mut n = 0usize;
            t.run_each(s, |_| n += 1).map(|()| n)
        })
        .map_err(|e| run_error(py, &e))
    }

    /// Like `count_rows`, but the rows are also copied into the flat
    /// buffers `parse` converts from (the Rust share of a parse).
    fn count_flat(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<usize> {
        Ok(self.run(py, text)?.rows)
    }

    /// `ParseText` from a fresh state: a list of rows (lists).
    fn parse<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyList>> {
        let flat = self.run(py, text)?;
        let _gc = GcPause::new(py);
        let mut cur = Cursor::new(&flat);
        let mut above: Option<Bound<'py, PyList>> = None;
        new_list(py, flat.rows, |_| {
            let row = cur.row(py, above.as_ref())?;
            above = Some(row.clone());
            Ok(row.into_any())
        })
    }

    /// `ParseTextToDicts` from a fresh state: a list of dicts.
    fn parse_dicts<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyList>> {
        let flat = self.run(py, text)?;
        let _gc = GcPause::new(py);
        let keys: Vec<Bound<'py, PyString>> = self
            .t
            .value_names()
            .iter()
            .map(|n| PyString::new(py, n))
            .collect();
        let mut cur = Cursor::new(&flat);
        new_list(py, flat.rows, |_| {
            let d = PyDict::new(py);
            for (col, k) in keys.iter().enumerate() {
                d.set_item(k, cur.value(py, col)?)?;
            }
            Ok(d.into_any())
        })
    }
}

fn compiled_file(py: Python<'_>, path: &Path) -> PyResult<Arc<Template>> {
    let st = stamp(path).map_err(|e| io_error(path, &e))?;
    if let Some((s, t)) = file_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(path)
        && *s == st
    {
        return Ok(Arc::clone(t));
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    let t = py
        .detach(move || Template::parse(&text))
        .map_err(|e| template_error(py, &e))?;
    let t = Arc::new(t);
    file_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(path.to_path_buf(), (st, Arc::clone(&t)));
    Ok(t)
}

/// A clitable index (`fsm_parse._native.Index`).
#[pyclass(name = "Index", module = "fsm_parse._native", frozen)]
pub struct NativeIndex {
    dir: PathBuf,
    path: PathBuf,
}

/// The cached index at `path`, loaded again when the index file changed
/// or (`force`) when a template it compiled changed.
fn index_entry(py: Python<'_>, dir: &Path, path: &Path, force: bool) -> PyResult<Arc<IndexEntry>> {
    let st = stamp(path).map_err(|e| io_error(path, &e))?;
    if !force
        && let Some(entry) = index_cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
        && entry.stamp == st
    {
        return Ok(Arc::clone(entry));
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    let index = Index::from_text(dir, path, &text).map_err(|e| index_error(py, &e))?;
    let entry = Arc::new(IndexEntry {
        stamp: st,
        index: Arc::new(index),
        templates: Mutex::default(),
    });
    index_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(path.to_path_buf(), Arc::clone(&entry));
    Ok(entry)
}

impl NativeIndex {
    fn entry(&self, py: Python<'_>) -> PyResult<Arc<IndexEntry>> {
        index_entry(py, &self.dir, &self.path, false)
    }

    /// The entry to parse with `templates`: loaded again when one of them
    /// changed on disk since this index compiled it.
    fn entry_for(&self, py: Python<'_>, templates: &str) -> PyResult<Arc<IndexEntry>> {
        let entry = self.entry(py)?;
        let now: Vec<(String, Option<Stamp>)> = templates
            .split(':')
            .map(|n| (n.to_owned(), stamp(&self.dir.join(n)).ok()))
            .collect();
        let changed = {
            let seen = entry
                .templates
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            now.iter()
                .any(|(n, st)| seen.get(n).is_some_and(|old| old != st))
        };
        let entry = if changed {
            index_entry(py, &self.dir, &self.path, true)?
        } else {
            entry
        };
        let mut seen = entry
            .templates
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (n, st) in now {
            seen.entry(n).or_insert(st);
        }
        drop(seen);
        Ok(entry)
    }
}

#[pymethods]
impl NativeIndex {
    /// Loads `template_dir/index_file` (cached by path, modification time
    /// and size; templates are compiled on first use and again when they
    /// change on disk).
    #[new]
    fn new(py: Python<'_>, template_dir: PathBuf, index_file: &str) -> PyResult<NativeIndex> {
        let path = template_dir.join(index_file);
        let idx = NativeIndex {
            dir: template_dir,
            path,
        };
        idx.entry(py)?;
        Ok(idx)
    }

    /// The index columns.
    fn columns(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        Ok(self.entry(py)?.index.header().to_vec())
    }

    /// The `Template` field of the first row matching every attribute
    /// (`(column, value)` pairs), or None.
    fn find(&self, py: Python<'_>, attributes: Vec<(String, String)>) -> PyResult<Option<String>> {
        let attrs: Vec<(&str, &str)> = attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(self
            .entry(py)?
            .index
            .find_row(&attrs)
            .map(|r| r.templates.clone()))
    }

    /// Parses `text` with an `a:b:c` template list joined like clitable:
    /// `(header, rows)`, every `List` item a string.
    fn parse<'py>(
        &self,
        py: Python<'py>,
        templates: &str,
        text: &Bound<'py, PyString>,
    ) -> PyResult<(Vec<String>, Bound<'py, PyList>)> {
        let s = text.to_str()?;
        let index = Arc::clone(&self.entry_for(py, templates)?.index);
        let (header, rows) = py
            .detach(move || -> Result<(Vec<String>, Vec<Record>), IndexError> {
                let header = index.header_with(templates)?;
                let rows = index.parse_with(templates, s)?;
                Ok((header, rows))
            })
            .map_err(|e| index_error(py, &e))?;
        let _gc = GcPause::new(py);
        let out = rows
            .iter()
            .map(|r| row_list(py, r.values()))
            .collect::<PyResult<Vec<_>>>()?;
        Ok((header, PyList::new(py, out)?))
    }
}

/// Empties every cache of compiled templates and indexes (for tests, and
/// for a process that wants its memory back).
#[pyfunction]
fn clear_caches() {
    text_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    file_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    index_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}

/// How many compiled templates and indexes the caches hold:
/// `(from text, from files, indexes)`.
#[pyfunction]
fn cache_sizes() -> (usize, usize, usize) {
    let texts = text_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .map(Vec::len)
        .sum();
    let files = file_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    let idx = index_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    (texts, files, idx)
}

/// `fsm_parse._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeTemplate>()?;
    m.add_class::<NativeIndex>()?;
    m.add_function(wrap_pyfunction!(clear_caches, m)?)?;
    m.add_function(wrap_pyfunction!(cache_sizes, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
