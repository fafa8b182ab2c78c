//! Running Python `re` patterns: the engines behind [`PyRegex`]. A pattern
//! is first translated ([`crate::translate`]), then run on
//! `regex-automata` for ASCII lines (a lazy DFA to say whether a line
//! matches, the budgeted backtracking VM of [`crate::vm`] for the groups,
//! the PikeVM past its budget), on `regex` for other lines, and on
//! `fancy-regex` per pattern for look-around and back-references.

use std::sync::OnceLock;

use regex_automata::hybrid::dfa::{Cache as LazyCache, DFA as LazyDfa};
use regex_automata::nfa::thompson::NFA;
use regex_automata::nfa::thompson::pikevm::{Cache as PikeCache, PikeVM};
use regex_automata::util::captures::Captures;
use regex_automata::util::primitives::PatternID;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

use crate::sig::Sig;
use crate::translate::{TranslateError, translate, translate_relaxed};
use crate::vm::{FirstByte, Frame, NO_POS, OverBudget, Vm};

/// The memory one pattern may compile to (its Thompson NFA, and for
/// `regex`/`fancy-regex` forms their compiled program): 8 MiB. The largest
/// pattern of the ntc-templates collection needs a few hundred KiB; a
/// counted repetition like `a{1000000}` or `(?:a{1000}){2000}` would need
/// gigabytes (Python's `re` keeps the count instead of unrolling it) and is
/// refused with [`RegexError::TooBig`]. The other structures of a pattern
/// are bounded by it: the backtracking VM's program is a fixed multiple of
/// the NFA, each lazy DFA has a fixed cache.
pub(crate) const PATTERN_BUDGET: usize = 8 << 20;

/// A compiled pattern with Python `re.match` semantics (anchored at the
/// start of the text, not at its end).
#[derive(Debug, Clone)]
pub(crate) struct PyRegex {
    engine: Engine,
    /// A literal every matching text starts with (see [`literal_prefix`]):
    /// lines without it are rejected before any automaton runs.
    prefix: Option<Box<str>>,
    /// A literal every match contains somewhere (see [`required_literal_of`]):
    /// lines without it are rejected by one `memmem` instead of running
    /// an automaton (`^.*System Description:`, `^\s+Chassis ID\s+:`).
    need: Option<Box<memchr::memmem::Finder<'static>>>,
    /// The bytes of `need` as [`LineBytes`] folds them (none without
    /// one): a line missing one of them is rejected without the `memmem`.
    need_bytes: u64,
    /// Whether there is a prefix or a required literal to test.
    more_tests: bool,
    /// The ASCII form's first-byte test (see [`PyRegex::first_byte`]).
    first: Option<FirstByte>,
    /// Name of every capture group, by group index (index 0 = whole match).
    names: Vec<Option<String>>,
    /// Scratch for [`PyRegex::is_match`] (callers without a run of their
    /// own, like the index's Platform/Command patterns), kept between calls
    /// so that the lazy DFA keeps its states.
    spare: SpareScratch,
}

/// One scratch space kept between calls; a clone starts without one.
#[derive(Default)]
struct SpareScratch(std::sync::Mutex<Option<Box<Scratch>>>);

impl Clone for SpareScratch {
    fn clone(&self) -> Self {
        SpareScratch::default()
    }
}

impl std::fmt::Debug for SpareScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpareScratch")
    }
}

#[derive(Debug, Clone)]
enum Engine {
    Std(StdRe),
    /// `fancy-regex`, behind a `regex` prefilter: the same pattern with
    /// look-around removed, back-references as `.*`, atomic groups plain.
    /// It accepts every line the real pattern accepts, so a line it
    /// rejects is rejected without running the backtracking VM.
    Fancy {
        re: Box<fancy_regex::Regex>,
        pre: Option<StdRe>,
    },
}

/// A pattern on the `regex` engines. `ascii` is the same pattern compiled
/// with Unicode off, used for ASCII lines (where it matches exactly the same
/// text): Unicode `\w`/`\d`/`\s` classes make automata many times larger
/// and slower to build, and device output is nearly always ASCII. The
/// Unicode form is compiled the first time a non-ASCII line needs it (at
/// once when there is no ASCII form).
#[derive(Debug, Clone)]
struct StdRe {
    src: String,
    uni: OnceLock<regex::Regex>,
    ascii: Option<Box<AsciiRe>>,
}

/// The ASCII form, on `regex-automata` directly (the engines under
/// `regex`), so that a run keeps its own caches and capture slots: a lazy
/// DFA answers whether the line matches (most rules tried on a line do
/// not), then [`Vm`] finds the groups of a matching line, with the PikeVM
/// for a line where the VM runs out of budget. All three run the same NFA,
/// so the groups are the ones `regex` gives.
#[derive(Debug, Clone)]
struct AsciiRe {
    /// `None`: the lazy DFA could not be built (the VM decides alone).
    dfa: Option<LazyDfa>,
    /// The start configuration of every walk: anchored, at the start of
    /// the text.
    dfa_start: regex_automata::util::start::Config,
    vm: Vm,
    pike: PikeVM,
}

/// Per-run scratch space of an [`AsciiRe`].
#[derive(Debug)]
pub(crate) struct AsciiScratch {
    dfa: Option<LazyCache>,
    /// The lazy DFA's state after a run of spaces at the start of a line
    /// (see [`AsciiRe::dfa_match`]).
    spaced: Spaced,
    /// Lines this run asked for groups (past the first-byte test), and how
    /// many of them matched: a rule that matches nearly every line it is
    /// tried on skips the DFA pass (the VM answers no as well, just less
    /// cheaply).
    tried: u32,
    matched: u32,
    slots: Vec<usize>,
    stack: Vec<Frame>,
    pike: Option<(PikeCache, Captures)>,
}

/// What a run knows of the lazy DFA's state after leading spaces.
#[derive(Debug, Clone, Copy)]
enum Spaced {
    /// Not asked yet.
    Unknown,
    /// The start state's transition on a space leads to an ordinary state
    /// that a space keeps: after any run of spaces the walk is there. The
    /// id is valid while the cache has been cleared this many times.
    Loop(regex_automata::hybrid::LazyStateID, usize),
    /// Not so (a space ends the match, kills it, or moves on).
    Never,
}

/// A rule skips the DFA pass once more than this many lines were tried...
const SKIP_MIN_TRIED: u32 = 32;
/// ... and 7 in 8 of them matched (counts halved every this many lines).
const SKIP_WINDOW: u32 = 1024;

impl AsciiRe {
    /// `hir`: `anchored` parsed already (with [`ascii_hir`]), saving a
    /// second parse.
    fn compile(
        anchored: &str,
        hir: Option<&regex_syntax::hir::Hir>,
    ) -> Result<AsciiRe, RegexError> {
        let mut compiler = NFA::compiler();
        compiler
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(
                NFA::config()
                    .utf8(false)
                    .nfa_size_limit(Some(PATTERN_BUDGET)),
            );
        let nfa = match hir {
            Some(h) => compiler.build_from_hir(h),
            None => compiler.build(anchored),
        };
        let nfa = nfa.map_err(|e| match e.size_limit() {
            Some(_) => RegexError::TooBig,
            None => RegexError::Invalid(e.to_string()),
        })?;
        // The settings `regex` gives its own lazy DFA (gives up on a line
        // where it would thrash; the VM or PikeVM answers then).
        let dfa = LazyDfa::builder()
            .configure(
                LazyDfa::config()
                    .cache_capacity(16 << 20)
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .build_from_nfa(nfa.clone())
            .ok();
        let pike =
            PikeVM::new_from_nfa(nfa.clone()).map_err(|e| RegexError::Invalid(e.to_string()))?;
        Ok(AsciiRe {
            dfa,
            dfa_start: regex_automata::util::start::Config::new().anchored(Anchored::Yes),
            vm: Vm::new(&nfa),
            pike,
        })
    }

    fn names(&self) -> Vec<Option<String>> {
        self.pike
            .get_nfa()
            .group_info()
            .pattern_names(PatternID::ZERO)
            .map(|n| n.map(str::to_owned))
            .collect()
    }

    fn scratch(&self) -> AsciiScratch {
        AsciiScratch {
            dfa: self.dfa.as_ref().map(LazyDfa::create_cache),
            spaced: Spaced::Unknown,
            tried: 0,
            matched: 0,
            slots: Vec::with_capacity(self.vm.slot_len()),
            stack: Vec::new(),
            pike: None,
        }
    }

    /// The lazy DFA's answer: `None` when it has none (not built, or it
    /// gave up on this line).
    /// Only whether a match exists is asked: the walk stops at the first
    /// match state (what an `earliest` search does), or where the DFA
    /// dies, which on most lines a rule is tried on and fails is within a
    /// few bytes: so the walk is done here, state by state from the
    /// anchored start state, without a search routine's set-up per call
    /// (`try_search_fwd` cost more in set-up than in steps on such lines).
    fn dfa_match(&self, hay: &[u8], sc: &mut AsciiScratch) -> Option<bool> {
        let (dfa, cache) = (self.dfa.as_ref()?, sc.dfa.as_mut()?);
        let start = dfa.start_state(cache, &self.dfa_start).ok()?;
        if start.is_tagged() {
            // A dead start state (a pattern that cannot match), or one
            // this walk does not handle: the search routine decides.
            return dfa
                .try_search_fwd(
                    cache,
                    &Input::new(hay).anchored(Anchored::Yes).earliest(true),
                )
                .ok()
                .map(|m| m.is_some());
        }
        cache.search_start(0);
        // Indented lines (most of the lines rules like `^\s+Chassis` are
        // tried on): when a space from the start state leads to a state a
        // space keeps, the walk starts past the leading spaces in that
        // state, as the byte-by-byte walk would have ended there (one
        // dependent table load per space saved).
        let spaces = hay.iter().take_while(|&&b| b == b' ').count();
        let clears = cache.clear_count();
        let spaced = if spaces > 0 {
            spaced_state(dfa, cache, &mut sc.spaced, start)
        } else {
            None
        };
        let (sid, at) = match spaced {
            Some(s1) => (s1, spaces),
            None if cache.clear_count() == clears => (start, 0),
            None => (dfa.start_state(cache, &self.dfa_start).ok()?, 0),
        };
        let answer = dfa_walk(dfa, cache, sid, hay, at);
        cache.search_finish(answer.1);
        answer.0
    }

    fn is_match(&self, hay: &[u8], sc: &mut AsciiScratch) -> bool {
        if !self.vm.may_match(hay) {
            return false;
        }
        if self.vm.is_one_byte() {
            return true;
        }
        match self.dfa_match(hay, sc) {
            Some(m) => m,
            None => self.captures(hay, sc, &mut Vec::new()),
        }
    }

    /// Fills `spans` with the groups of the match; false when none.
    fn captures(&self, hay: &[u8], sc: &mut AsciiScratch, spans: &mut Spans) -> bool {
        spans.clear();
        if !self.vm.may_match(hay) {
            return false;
        }
        // Halve the counts now and then, so that the choice follows the
        // input.
        if sc.tried >= SKIP_WINDOW {
            sc.tried /= 2;
            sc.matched /= 2;
        }
        sc.tried += 1;
        let skip_dfa = sc.tried > SKIP_MIN_TRIED && sc.matched * 8 >= sc.tried * 7;
        if !skip_dfa && self.dfa_match(hay, sc) == Some(false) {
            return false;
        }
        match self.vm.search(hay, &mut sc.slots, &mut sc.stack) {
            Ok(None) => false,
            Ok(Some(_)) => {
                sc.matched += 1;
                spans.extend(
                    sc.slots
                        .chunks_exact(2)
                        .map(|p| (p[0] != NO_POS && p[1] != NO_POS).then_some((p[0], p[1]))),
                );
                true
            }
            Err(OverBudget) => {
                let (cache, caps) = sc
                    .pike
                    .get_or_insert_with(|| (self.pike.create_cache(), self.pike.create_captures()));
                self.pike
                    .search(cache, &Input::new(hay).anchored(Anchored::Yes), caps);
                if !caps.is_match() {
                    return false;
                }
                sc.matched += 1;
                spans.extend(
                    (0..caps.group_len()).map(|g| caps.get_group(g).map(|sp| (sp.start, sp.end))),
                );
                true
            }
        }
    }
}

/// The state after a run of spaces from the untagged start state
/// `start` (see [`Spaced`]), worked out on the first call and kept in
/// `memo`; `None` when the walk must start at the start state. A cache
/// clear while it is worked out makes `start` stale too: the caller gets
/// the start state again.
fn spaced_state(
    dfa: &LazyDfa,
    cache: &mut LazyCache,
    memo: &mut Spaced,
    start: regex_automata::hybrid::LazyStateID,
) -> Option<regex_automata::hybrid::LazyStateID> {
    match *memo {
        Spaced::Loop(s1, clears) if clears == cache.clear_count() => return Some(s1),
        Spaced::Never => return None,
        _ => {}
    }
    let clears = cache.clear_count();
    let s1 = dfa.next_state(cache, start, b' ').ok()?;
    let s2 = dfa.next_state(cache, s1, b' ').ok()?;
    if cache.clear_count() != clears {
        *memo = Spaced::Unknown;
        return None;
    }
    *memo = if !s1.is_tagged() && s2 == s1 {
        Spaced::Loop(s1, clears)
    } else {
        Spaced::Never
    };
    match *memo {
        Spaced::Loop(s1, _) => Some(s1),
        _ => None,
    }
}

/// [`AsciiRe::dfa_match`]'s walk from the untagged state `sid` at `at`: the
/// answer and how far it read. Match states are delayed by a byte in
/// `regex-automata`'s DFAs: a match state reached on a byte means a match
/// ended before it, and the end of the text has its own transition.
#[inline]
fn dfa_walk(
    dfa: &LazyDfa,
    cache: &mut LazyCache,
    mut sid: regex_automata::hybrid::LazyStateID,
    hay: &[u8],
    mut at: usize,
) -> (Option<bool>, usize) {
    loop {
        // Known transitions between ordinary states: one table load each.
        while let Some(&b) = hay.get(at) {
            let next = dfa.next_state_untagged(cache, sid, b);
            if next.is_tagged() {
                break;
            }
            sid = next;
            at += 1;
        }
        let Some(&b) = hay.get(at) else {
            return match dfa.next_eoi_state(cache, sid) {
                Ok(end) => (Some(end.is_match()), at),
                Err(_) => (None, at),
            };
        };
        // A transition not computed yet, or a special state.
        let Ok(next) = dfa.next_state(cache, sid, b) else {
            return (None, at);
        };
        if next.is_match() {
            return (Some(true), at);
        }
        if next.is_dead() {
            return (Some(false), at);
        }
        if next.is_tagged() {
            // Quit (not configured here) or a specialised start state.
            return (None, at);
        }
        sid = next;
        at += 1;
    }
}

fn build_uni(anchored: &str) -> Result<regex::Regex, RegexError> {
    regex::RegexBuilder::new(anchored)
        .size_limit(PATTERN_BUDGET)
        .dfa_size_limit(16 << 20)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => RegexError::TooBig,
            e => RegexError::Invalid(e.to_string()),
        })
}

impl StdRe {
    fn compile(anchored: &str, hir: Option<&regex_syntax::hir::Hir>) -> Result<StdRe, RegexError> {
        // A non-ASCII pattern (a literal or escape) keeps Unicode rules even
        // against ASCII text (case folding), so it gets no ASCII form.
        let ascii = if anchored.is_ascii() {
            Some(Box::new(AsciiRe::compile(anchored, hir)?))
        } else {
            None
        };
        let uni = OnceLock::new();
        if ascii.is_none() {
            let _ = uni.set(build_uni(anchored)?);
        }
        Ok(StdRe {
            src: anchored.to_owned(),
            uni,
            ascii,
        })
    }

    fn uni(&self) -> Result<&regex::Regex, RegexError> {
        if let Some(r) = self.uni.get() {
            return Ok(r);
        }
        let r = build_uni(&self.src)?;
        Ok(self.uni.get_or_init(|| r))
    }

    fn names(&self) -> Vec<Option<String>> {
        match &self.ascii {
            Some(a) => a.names(),
            None => self
                .uni
                .get()
                .map(|u| u.capture_names().map(|n| n.map(str::to_owned)).collect())
                .unwrap_or_default(),
        }
    }

    fn scratch(&self) -> Option<AsciiScratch> {
        self.ascii.as_deref().map(AsciiRe::scratch)
    }

    /// `ascii`: whether `text` is all ASCII.
    fn is_match(
        &self,
        text: &str,
        ascii: bool,
        sc: &mut Option<AsciiScratch>,
    ) -> Result<bool, RegexError> {
        match &self.ascii {
            Some(a) if ascii => {
                let sc = sc.get_or_insert_with(|| a.scratch());
                Ok(a.is_match(text.as_bytes(), sc))
            }
            _ => Ok(self.uni()?.is_match(text)),
        }
    }
}

/// Capture positions of one match: `(start, end)` per group, `None` when the
/// group did not take part.
pub(crate) type Spans = Vec<Option<(usize, usize)>>;

fn runtime_err(e: fancy_regex::Error) -> RegexError {
    RegexError::Runtime(e.to_string())
}

/// Why a pattern could not be compiled or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RegexError {
    /// Python rejects the pattern (CPython's message).
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// The translated pattern does not compile (too big, for one).
    #[error("invalid regular expression: {0}")]
    Invalid(String),
    /// The pattern compiles to more than [`PATTERN_BUDGET`] (a counted
    /// repetition of thousands, nested or very large).
    #[error(
        "pattern too big: it compiles to more than {} MiB (a large counted repetition such as a{{1000000}} or (?:a{{1000}}){{2000}}); Python's re runs such a pattern by backtracking, fsm-parse refuses it: lower the count or use + or *.",
        PATTERN_BUDGET >> 20
    )]
    TooBig,
    /// `fancy-regex` does not support the pattern.
    #[error("regular expression not supported: {0}")]
    Unsupported(String),
    /// `fancy-regex` gave up on a line (its backtracking limit).
    #[error("regular expression failed at run time: {0}")]
    Runtime(String),
}

impl PyRegex {
    /// Compiles a Python pattern. The error text says what is wrong.
    pub(crate) fn compile(py: &str) -> Result<PyRegex, RegexError> {
        let t = translate(py)?;
        let prefix: Option<Box<str>> = literal_prefix(py).map(Into::into);
        let anchored = format!(r"\A(?:{})", t.pattern);
        // One parse serves the required literal and the ASCII NFA.
        let hir = ascii_hir(&anchored);
        let need = hir
            .as_ref()
            .and_then(required_literal_of)
            .filter(|lit| {
                // Not worth a second scan when the prefix test covers it.
                lit.len() >= 2
                    && !prefix
                        .as_deref()
                        .is_some_and(|p| p.as_bytes().starts_with(lit))
            })
            .map(|lit| Box::new(memchr::memmem::Finder::new(&lit).into_owned()));
        // Every required literal's bytes, not only the needle's: a rule
        // like `^\s*Chassis\s+type:` is then rejected by the fold on a
        // `Chassis ID:` line, without the `memmem` and the lazy DFA.
        let need_bytes = match (&need, &hir) {
            (Some(_), Some(h)) => fold(&required_bytes_of(h)),
            _ => 0,
        };
        if t.fancy {
            let re = fancy_regex::RegexBuilder::new(&anchored)
                .backtrack_limit(10_000_000)
                .delegate_size_limit(PATTERN_BUDGET)
                .build()
                .map_err(|e| match &e {
                    fancy_regex::Error::CompileError(c)
                        if matches!(&**c, fancy_regex::CompileError::InnerError(b) if b.size_limit().is_some()) =>
                    {
                        RegexError::TooBig
                    }
                    _ => RegexError::Unsupported(e.to_string()),
                })?;
            let names = re.capture_names().map(|n| n.map(str::to_owned)).collect();
            let pre = translate_relaxed(py)
                .ok()
                .and_then(|r| StdRe::compile(&format!(r"\A(?:{r})"), None).ok());
            Ok(PyRegex {
                engine: Engine::Fancy {
                    re: Box::new(re),
                    pre,
                },
                more_tests: prefix.is_some() || need.is_some(),
                prefix,
                need,
                need_bytes,
                first: None,
                names,
                spare: SpareScratch::default(),
            })
        } else {
            let std = StdRe::compile(&anchored, hir.as_ref())?;
            let names = std.names();
            let first = std.ascii.as_ref().and_then(|a| a.vm.first_byte());
            Ok(PyRegex {
                engine: Engine::Std(std),
                more_tests: prefix.is_some() || need.is_some(),
                prefix,
                need,
                need_bytes,
                first,
                names,
                spare: SpareScratch::default(),
            })
        }
    }

    /// False when the line cannot match: it lacks the literal prefix or
    /// the required literal.
    #[inline]
    pub(crate) fn may_match(&self, text: &str) -> bool {
        self.may_match_sig(text, &mut Some(LineBytes::ALL), &Sig::EXACT)
    }

    /// [`PyRegex::may_match_sig`] with the full fold.
    #[cfg(test)]
    pub(crate) fn may_match_lazy(&self, text: &str, lb: &mut Option<LineBytes>) -> bool {
        self.may_match_sig(text, lb, &Sig::EXACT)
    }

    /// [`PyRegex::fold_ok`] then [`PyRegex::rest_ok`] (the run's rule
    /// loop calls the two itself, with the first-byte test between them).
    #[inline(always)]
    pub(crate) fn may_match_sig(&self, text: &str, lb: &mut Option<LineBytes>, sig: &Sig) -> bool {
        self.fold_ok(text, lb, sig) && self.rest_ok(text)
    }

    /// Whether the line holds every fold class of the required literal's
    /// bytes, its bits made the first time a rule of the line needs them,
    /// as the rules of a state test them (`sig`, see [`Sig`]): most lines
    /// lack a byte of a rule's required literal, and that test costs a few
    /// instructions where the `memmem` costs a hundred. Inlined into the
    /// run's rule loop (a call per rule and line cost its prologue).
    #[inline(always)]
    pub(crate) fn fold_ok(&self, text: &str, lb: &mut Option<LineBytes>, sig: &Sig) -> bool {
        if self.need_bytes != 0 {
            let lb = match lb {
                Some(l) => l,
                None => lb.insert(LineBytes::of(text, sig)),
            };
            if !lb.has_all(self.need_bytes) {
                return false;
            }
        }
        true
    }

    /// The exact literal tests: the prefix and the required literal
    /// itself (`memmem`).
    #[inline(always)]
    pub(crate) fn rest_ok(&self, text: &str) -> bool {
        !self.more_tests || self.may_match_rest(text)
    }

    /// The fold bits of the pattern's required literal (0: none), which a
    /// line must all hold (see [`LineBytes`]).
    pub(crate) fn need_bytes(&self) -> u64 {
        self.need_bytes
    }

    /// The prefix and `memmem` tests of [`PyRegex::rest_ok`].
    #[inline(never)]
    fn may_match_rest(&self, text: &str) -> bool {
        if self.prefix.as_deref().is_some_and(|p| !text.starts_with(p)) {
            return false;
        }
        self.need
            .as_deref()
            .is_none_or(|f| f.find(text.as_bytes()).is_some())
    }

    /// What the first byte of an ASCII line says (`Some(false)`: no
    /// match; `Some(true)`: a match of a one-byte pattern; `None`: the
    /// engine must run), tested here, before the run looks up the rule's
    /// scratch space and goes through the engine's layers: lines that
    /// reach a rule like `^\s*$$` or `^\*+` without it are mostly
    /// rejected by this one test, and `^.` is answered by it.
    #[inline]
    pub(crate) fn first_byte(&self, text: &str, ascii: bool) -> Option<bool> {
        if !ascii {
            return None;
        }
        self.first.as_ref()?.answer(text.as_bytes())
    }

    /// Group names by index (0 is the whole match).
    pub(crate) fn names(&self) -> &[Option<String>] {
        &self.names
    }

    /// Number of capture groups, not counting the whole match (Python's
    /// `pattern.groups`).
    pub(crate) fn groups(&self) -> usize {
        self.names.len().saturating_sub(1)
    }

    /// Whether `fancy-regex` runs this pattern.
    #[cfg(test)]
    pub(crate) fn is_fancy(&self) -> bool {
        matches!(self.engine, Engine::Fancy { .. })
    }

    /// Whether the pattern has a `regex` prefilter (fancy patterns only).
    #[cfg(test)]
    pub(crate) fn has_prefilter(&self) -> bool {
        matches!(self.engine, Engine::Fancy { pre: Some(_), .. })
    }

    /// The anchored ASCII-form source usable in a per-state `RegexSet`, and
    /// whether it is exact (`false`: a fancy pattern's prefilter, which
    /// accepts a superset of the lines). `None`: no ASCII form.
    pub(crate) fn set_source(&self) -> Option<(&str, bool)> {
        match &self.engine {
            Engine::Std(StdRe {
                src,
                ascii: Some(_),
                ..
            }) => Some((src, true)),
            Engine::Fancy {
                pre:
                    Some(StdRe {
                        src,
                        ascii: Some(_),
                        ..
                    }),
                ..
            } => Some((src, false)),
            _ => None,
        }
    }

    /// A reusable scratch space for [`PyRegex::match_into`] and
    /// [`PyRegex::is_match_with`].
    pub(crate) fn scratch(&self) -> Scratch {
        match &self.engine {
            Engine::Std(std) => Scratch::Std {
                uni: None,
                ascii: std.scratch(),
            },
            Engine::Fancy { pre, .. } => Scratch::Fancy {
                pre: pre.as_ref().and_then(StdRe::scratch),
            },
        }
    }

    /// `bool(re.match(text))`, without computing groups.
    pub(crate) fn is_match(&self, text: &str) -> Result<bool, RegexError> {
        self.with_spare(|sc| self.is_match_with(text, sc))
    }

    /// [`PyRegex::match_into`] with the pattern's own spare scratch.
    pub(crate) fn match_spare(&self, text: &str, spans: &mut Spans) -> Result<bool, RegexError> {
        self.with_spare(|sc| self.match_into(text, sc, spans))
    }

    fn with_spare<T>(&self, f: impl FnOnce(&mut Scratch) -> T) -> T {
        // Another thread using the spare gets a fresh scratch instead.
        let taken = self.spare.0.try_lock().ok().and_then(|mut g| g.take());
        let mut sc = taken.unwrap_or_else(|| Box::new(self.scratch()));
        let out = f(&mut sc);
        if let Ok(mut g) = self.spare.0.try_lock() {
            *g = Some(sc);
        }
        out
    }

    /// [`PyRegex::is_match`] with a scratch space made by
    /// [`PyRegex::scratch`] for this pattern.
    pub(crate) fn is_match_with(
        &self,
        text: &str,
        scratch: &mut Scratch,
    ) -> Result<bool, RegexError> {
        self.is_match_line(text, text.is_ascii(), scratch)
    }

    /// [`PyRegex::is_match_with`] on a line whose ASCII-ness is known.
    pub(crate) fn is_match_line(
        &self,
        text: &str,
        ascii: bool,
        scratch: &mut Scratch,
    ) -> Result<bool, RegexError> {
        if !self.may_match(text) {
            return Ok(false);
        }
        self.is_match_prechecked(text, ascii, scratch)
    }

    /// [`PyRegex::is_match_line`] on a line that passed
    /// [`PyRegex::fold_ok`] and [`PyRegex::rest_ok`].
    pub(crate) fn is_match_prechecked(
        &self,
        text: &str,
        ascii: bool,
        scratch: &mut Scratch,
    ) -> Result<bool, RegexError> {
        match (&self.engine, scratch) {
            (Engine::Std(std), Scratch::Std { ascii: sc, .. }) => std.is_match(text, ascii, sc),
            (Engine::Fancy { re, pre }, Scratch::Fancy { pre: psc }) => {
                if let Some(p) = pre
                    && p.is_match(text, ascii, psc) == Ok(false)
                {
                    return Ok(false);
                }
                re.is_match(text).map_err(runtime_err)
            }
            (_, s) => {
                *s = self.scratch();
                self.is_match_prechecked(text, ascii, s)
            }
        }
    }

    /// `re.match(text)`: fills `spans` and returns true on a match.
    /// A fancy-regex runtime failure (backtrack limit) is an error.
    pub(crate) fn match_into(
        &self,
        text: &str,
        scratch: &mut Scratch,
        spans: &mut Spans,
    ) -> Result<bool, RegexError> {
        self.match_line(text, text.is_ascii(), scratch, spans)
    }

    /// [`PyRegex::match_into`] on a line whose ASCII-ness is known.
    pub(crate) fn match_line(
        &self,
        text: &str,
        ascii: bool,
        scratch: &mut Scratch,
        spans: &mut Spans,
    ) -> Result<bool, RegexError> {
        spans.clear();
        if !self.may_match(text) {
            return Ok(false);
        }
        self.match_prechecked(text, ascii, scratch, spans)
    }

    /// [`PyRegex::match_line`] on a line that passed
    /// [`PyRegex::fold_ok`] and [`PyRegex::rest_ok`].
    pub(crate) fn match_prechecked(
        &self,
        text: &str,
        ascii: bool,
        scratch: &mut Scratch,
        spans: &mut Spans,
    ) -> Result<bool, RegexError> {
        spans.clear();
        match (&self.engine, scratch) {
            (
                Engine::Std(StdRe { ascii: Some(a), .. }),
                Scratch::Std {
                    ascii: Some(sc), ..
                },
            ) if ascii => Ok(a.captures(text.as_bytes(), sc, spans)),
            (Engine::Std(std), Scratch::Std { uni: locs, .. }) => {
                let uni = std.uni()?;
                let locs = locs.get_or_insert_with(|| uni.capture_locations());
                if uni.captures_read(locs, text).is_none() {
                    return Ok(false);
                }
                spans.extend((0..locs.len()).map(|i| locs.get(i)));
                Ok(true)
            }
            (Engine::Fancy { re, pre }, Scratch::Fancy { pre: psc }) => {
                if let Some(p) = pre
                    && p.is_match(text, ascii, psc) == Ok(false)
                {
                    return Ok(false);
                }
                match re.captures(text).map_err(runtime_err)? {
                    Some(c) => {
                        spans.extend(
                            (0..self.names.len()).map(|i| c.get(i).map(|m| (m.start(), m.end()))),
                        );
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }
            (_, s) => {
                *s = self.scratch();
                self.match_prechecked(text, ascii, s, spans)
            }
        }
    }
}

/// The literal text every `re.match` of the Python pattern `py` starts
/// with, when that is plain to see: after an optional leading `^`, the run of
/// characters that are literals in Python (letters, digits, space and
/// punctuation without meaning outside a class), minus the last one when a
/// quantifier follows. Patterns with inline flags (`(?i)`...) or any `|`
/// get none: their prefix could be case-folded or one alternative's only.
fn literal_prefix(py: &str) -> Option<String> {
    if py.contains("(?") || py.contains('|') {
        return None;
    }
    let body = py.strip_prefix('^').unwrap_or(py);
    let is_lit = |c: char| c.is_ascii_alphanumeric() || " _-:,=/!@%&;~\"'<>#".contains(c);
    let mut prefix: String = body.chars().take_while(|&c| is_lit(c)).collect();
    if body[prefix.len()..].starts_with(['*', '+', '?', '{']) {
        prefix.pop();
    }
    (!prefix.is_empty()).then_some(prefix)
}

/// The longest literal every match of the (translated, `regex`-syntax)
/// pattern contains, read from its syntax tree: a literal of a
/// concatenation, of a group, or of a repetition of at least one. Parsed
/// without Unicode, so a case-insensitive letter is a class, never a
/// literal, and a literal here is the same bytes in the Unicode form. `None`
/// for patterns `regex-syntax` does not parse (look-around: the fancy ones)
/// or without such a literal.
#[cfg(test)]
fn required_literal(pattern: &str) -> Option<Vec<u8>> {
    required_literal_of(&ascii_hir(pattern)?)
}

/// `pattern` parsed the way the ASCII NFA reads it (Unicode off, any
/// bytes); `None` when that parser rejects it.
fn ascii_hir(pattern: &str) -> Option<regex_syntax::hir::Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// Every literal each match of `hir` contains: those of its
/// concatenations, captures and repetitions of at least one, not those
/// under an alternation or an optional part.
fn required_literals(hir: &regex_syntax::hir::Hir) -> Vec<&[u8]> {
    use regex_syntax::hir::{Hir, HirKind};
    fn walk<'h>(h: &'h Hir, out: &mut Vec<&'h [u8]>) {
        match h.kind() {
            HirKind::Literal(l) => out.push(&l.0),
            HirKind::Capture(c) => walk(&c.sub, out),
            HirKind::Repetition(r) if r.min >= 1 => walk(&r.sub, out),
            HirKind::Concat(hs) => hs.iter().for_each(|h| walk(h, out)),
            _ => {}
        }
    }
    let mut lits = Vec::new();
    walk(hir, &mut lits);
    lits
}

/// The literal of [`required_literals`] the `memmem` looks for (see
/// [`PyRegex::compile`]).
fn required_literal_of(hir: &regex_syntax::hir::Hir) -> Option<Vec<u8>> {
    let lits = required_literals(hir);
    // A field's label (`name:` in `^\s*System\s+name:`) before the
    // longest word: sibling rules share their first words (`System name`,
    // `System description`), the label tells them apart.
    lits.iter()
        .filter(|l| l.len() >= 3 && l.ends_with(b":"))
        .max_by_key(|l| l.len())
        .or_else(|| lits.iter().max_by_key(|l| l.len()))
        .map(|l| l.to_vec())
}

/// The bytes of every literal of [`required_literals`].
fn required_bytes_of(hir: &regex_syntax::hir::Hir) -> Vec<u8> {
    required_literals(hir).concat()
}

/// Which bytes a line holds, folded to 64 bits (see [`FOLD`]: `a` and
/// `A` have their own, all digits share one), made once per line and shared by every rule tried
/// on it (see [`PyRegex::fold_ok`]). A line lacking a bit of a
/// rule's required literal cannot match it; folding only lets more lines
/// through to the exact test. One register per chain: a set of 256 bits
/// in memory made each byte wait for the store of the one before.
#[derive(Debug, Clone)]
pub(crate) struct LineBytes {
    bits: u64,
    /// How many rules this test rejected (the run uses it to tell whether
    /// folding its long lines is worth it).
    rejected: u32,
}

impl LineBytes {
    /// Every byte: no test.
    pub(crate) const ALL: LineBytes = LineBytes {
        bits: u64::MAX,
        rejected: 0,
    };

    /// The bits of `line` as the rules of `sig` test them (out of line:
    /// the rule loop inlines the test that uses them).
    #[inline(never)]
    pub(crate) fn of(line: &str, sig: &Sig) -> LineBytes {
        LineBytes {
            bits: sig.bits(line.as_bytes()),
            rejected: 0,
        }
    }

    /// Whether every bit of `set` is in the line.
    #[inline(always)]
    fn has_all(&mut self, set: u64) -> bool {
        let all = set & !self.bits == 0;
        // Written as a branch: `self.rejected += u32::from(!all)` here,
        // inlined into `fold_ok`, lost the increment in release
        // builds with rustc 1.95.0 (the count stayed 0; debug builds
        // counted). The test below checks the count.
        if !all {
            self.rejected += 1;
        }
        all
    }

    /// How many rules of this line [`LineBytes::has_all`] said no to.
    pub(crate) fn rejected(&self) -> u32 {
        self.rejected
    }
}

/// The bit of each byte in a [`LineBytes`] set: every letter its own (a
/// line's letters are what tells rules apart), all digits one (nearly
/// every line has some, and few literals do), the commonest punctuation
/// of literals (`:`, `,`, `.`, `-`, `/`, ...) a few, and the rest (space,
/// control and non-ASCII bytes, rarer punctuation) the last. `b & 63`
/// put `p`-`y` on the digits and `a`-`o` on the punctuation: a literal
/// like `rate` or `put` then looked present on every line with a digit.
pub(crate) static FOLD: [u64; 256] = {
    let mut t = [1u64 << 63; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let bit = match c {
            b'a'..=b'z' => (c - b'a') as u32,
            b'A'..=b'Z' => 26 + (c - b'A') as u32,
            b'0'..=b'9' => 52,
            b':' => 53,
            b',' => 54,
            b'.' => 55,
            b'-' => 56,
            b'/' => 57,
            b'(' | b')' => 58,
            b'"' | b'\'' => 59,
            b'_' => 60,
            b'=' => 61,
            b'[' | b']' | b'<' | b'>' | b'{' | b'}' => 62,
            _ => 63,
        };
        t[b] = 1 << bit;
        b += 1;
    }
    t
};

/// The [`FOLD`] bits of the bytes of `bytes`, in four independent chains.
pub(crate) fn fold(bytes: &[u8]) -> u64 {
    let (mut a, mut b, mut c, mut d) = (0u64, 0u64, 0u64, 0u64);
    let mut quads = bytes.chunks_exact(4);
    for q in &mut quads {
        a |= FOLD[usize::from(q[0])];
        b |= FOLD[usize::from(q[1])];
        c |= FOLD[usize::from(q[2])];
        d |= FOLD[usize::from(q[3])];
    }
    for &x in quads.remainder() {
        a |= FOLD[usize::from(x)];
    }
    a | b | c | d
}

/// Per-run scratch space of one pattern.
#[derive(Debug)]
pub(crate) enum Scratch {
    Std {
        uni: Option<regex::CaptureLocations>,
        ascii: Option<AsciiScratch>,
    },
    Fancy {
        /// The prefilter's scratch.
        pre: Option<AsciiScratch>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(py: &str, text: &str) -> Option<Vec<Option<String>>> {
        let re = PyRegex::compile(py).unwrap_or_else(|e| panic!("{py}: {e}"));
        let mut s = re.scratch();
        let mut spans = Vec::new();
        if re.match_into(text, &mut s, &mut spans).unwrap() {
            Some(
                spans
                    .iter()
                    .map(|o| o.map(|(a, b)| text[a..b].to_owned()))
                    .collect(),
            )
        } else {
            None
        }
    }

    #[test]
    fn lines_past_the_vm_budget_get_the_pikevm_groups() {
        // An empty-matching loop inside a loop: the VM runs out of budget on
        // these lines and the PikeVM answers; the groups must be the ones
        // the `regex` crate gives for the same pattern and line.
        for (py, text) in [
            (r"(a*)*(c)", format!("{}c", "a".repeat(40))),
            (r"((a|b)*)*(c)x", format!("{}cx", "ab".repeat(30))),
            (r"(a*)*(c)", "a".repeat(40)),
        ] {
            let t = translate(py).expect("translates");
            let reference = regex::Regex::new(&format!(r"\A(?:{})", t.pattern)).expect("compiles");
            let want = reference.captures(&text).map(|c| {
                c.iter()
                    .map(|g| g.map(|g| g.as_str().to_owned()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(m(py, &text), want, "{py}");
            let re = PyRegex::compile(py).expect("compiles");
            let Engine::Std(StdRe { ascii: Some(a), .. }) = &re.engine else {
                panic!("{py} runs on the ASCII form");
            };
            assert_eq!(
                a.vm.search(text.as_bytes(), &mut Vec::new(), &mut Vec::new()),
                Err(OverBudget),
                "{py} is past the VM's budget"
            );
        }
    }

    /// The lazy DFA walk's answer against `regex`'s on the same anchored
    /// pattern: matches ending mid-line, at the end (`$`, the end-of-text
    /// transition), word boundaries (look-behind in the DFA's states),
    /// lines that die at once and lines that never die.
    /// `py` compiled, and `regex`'s anchored form of it (the reference).
    fn with_reference(py: &str) -> (PyRegex, regex::Regex) {
        let re = PyRegex::compile(py).unwrap_or_else(|e| panic!("{py}: {e}"));
        let t = translate(py).expect("translates");
        let reference = regex::Regex::new(&format!(r"\A(?:{})", t.pattern)).expect("compiles");
        (re, reference)
    }

    /// The ASCII form of a pattern that has one.
    fn ascii_of(re: &PyRegex) -> &AsciiRe {
        let Engine::Std(StdRe { ascii: Some(a), .. }) = &re.engine else {
            panic!("runs on the ASCII form");
        };
        a
    }

    fn dfa_agrees(py: &str, text: &str) {
        let (re, reference) = with_reference(py);
        let a = ascii_of(&re);
        let mut sc = a.scratch();
        // Twice: the second walk goes over transitions the first computed.
        for _ in 0..2 {
            assert_eq!(
                a.dfa_match(text.as_bytes(), &mut sc),
                Some(reference.is_match(text)),
                "{py} on {text:?}"
            );
        }
    }

    /// The walk that starts past a line's leading spaces (in the state a
    /// run of spaces leads to, kept between lines) answers like `regex`,
    /// for patterns where a space loops, ends the match, or moves on.
    #[test]
    fn the_walk_past_leading_spaces_answers_like_regex() {
        let patterns = [
            r"^\s+Chassis ID\s+:\s+(\S+)$$",
            r"^\s*$$",
            r"^ x",
            r"^  \d",
            r"^ +$$",
            r"^\s{2}\S",
            r"^\s{1,3}x",
            r"^\s*\S+ +(\S+)",
            r"^.*x",
            r"^ *",
            r"^[ a]+b",
        ];
        let texts = [
            "",
            " ",
            "   ",
            " x",
            "  x",
            "   x",
            "    x",
            "\t x",
            " \tx",
            "  1",
            "   1",
            "x",
            "  ab",
            "  aab",
            "  a b",
            "   Chassis ID : 1",
            "  w  v",
            "ab",
        ];
        for py in patterns {
            let (re, reference) = with_reference(py);
            let a = ascii_of(&re);
            // One scratch for all the lines, as in a run.
            let mut sc = a.scratch();
            for _ in 0..2 {
                for text in texts {
                    assert_eq!(
                        a.dfa_match(text.as_bytes(), &mut sc),
                        Some(reference.is_match(text)),
                        "{py} on {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_dfa_walk_answers_like_regex() {
        let patterns = [
            r"^\s+Chassis ID\s+:\s+(\S+)$$",
            r#"^.*System Description:\s+"(.+?)("|$$)"#,
            r"^\s+(Up|Down)\s+(.*)",
            r"^\s*$$",
            r"^(\w+)\b\s*\d+",
            r"^\S+\s+is\s+\S+(\s+\S+)?,",
            r"^a*$$",
            r"^x?",
        ];
        let texts = [
            "",
            " ",
            "  Chassis ID     : 001c.7300.1234",
            "  Chassis ID     : 001c.7300.1234 x",
            "  - System Description: \"Arista\"",
            "  - System Description: \"Arista",
            "  Up 2 days",
            "  Down",
            "  Upx 1",
            "Ethernet1 is up, line protocol",
            "word 12",
            "word12",
            "aaaa",
            "aaab",
            "x",
            "y",
        ];
        for p in patterns {
            for t in texts {
                dfa_agrees(p, t);
            }
        }
    }

    #[test]
    fn a_rule_that_skips_its_dfa_still_says_no() {
        let re = PyRegex::compile(r"(\d+)\s+(\w+)$").expect("compiles");
        let mut sc = re.scratch();
        let mut spans = Vec::new();
        for i in 0..200 {
            let line = format!("{i} name{i}");
            assert!(re.match_into(&line, &mut sc, &mut spans).expect("runs"));
            assert_eq!(
                spans[2],
                Some((line.len() - 4 - i.to_string().len(), line.len()))
            );
            // Now and then a line that starts right but does not match.
            if i % 10 == 9 {
                assert!(!re.match_into("12 x y", &mut sc, &mut spans).expect("runs"));
                assert!(!re.match_into("", &mut sc, &mut spans).expect("runs"));
            }
        }
        let Scratch::Std { ascii: Some(a), .. } = &sc else {
            panic!("ASCII scratch");
        };
        assert!(
            a.tried > SKIP_MIN_TRIED && a.matched * 8 >= a.tried * 7,
            "the DFA pass is skipped by now"
        );
    }

    #[test]
    fn braces_python_reads_as_literal() {
        assert!(m(r"^{master:\d+}", "{master:12}").is_some());
        assert!(m(r"a{1-2}", "a{1-2}").is_some());
        assert!(m(r"a{}", "a{}").is_some());
        assert!(m(r"a{x", "a{x").is_some());
        // {,4} means 0..4 in Python 3.
        assert_eq!(m(r"(a{,4})", "aaaaaa").unwrap()[1].as_deref(), Some("aaaa"));
        assert_eq!(m(r"(a{2,})", "aaa").unwrap()[1].as_deref(), Some("aaa"));
        assert_eq!(m(r"(a{2})", "aaa").unwrap()[1].as_deref(), Some("aa"));
        assert!(m(r"a{2}", "a{2}").is_none());
    }

    #[test]
    fn unicode_lines_use_the_unicode_form() {
        // ASCII pattern, non-ASCII line: the lazily built Unicode form runs.
        assert_eq!(
            m(r"(\w+)\s(\d+)", "héllo ٣").unwrap()[1].as_deref(),
            Some("héllo")
        );
        assert_eq!(m(r"(\w+)", "abc").unwrap()[1].as_deref(), Some("abc"));
        assert!(
            m(r"\S+ x", "ü\u{a0}x").is_none(),
            "NBSP is whitespace for Python"
        );
        // Non-ASCII pattern.
        assert!(m(r"°C (\d+)", "°C 21").is_some());
    }

    #[test]
    fn angle_escapes_are_literals() {
        assert!(m(r"\<foo\>", "<foo>").is_some());
        assert!(m(r"\<foo\>", "foo").is_none());
    }

    #[test]
    fn z_is_end_of_text_and_match_is_start_anchored() {
        assert!(m(r"abc\Z", "abc").is_some());
        assert!(m(r"abc\Z", "abcd").is_none());
        assert!(m(r"b", "ab").is_none());
        assert!(m(r"a", "ab").is_some());
    }

    #[test]
    fn classes_follow_python() {
        assert!(m(r"[]a]+$", "]a]").is_some());
        assert!(m(r"[^]]+$", "abc").is_some());
        assert!(
            m(r"[[:alpha:]]", "a]").is_some(),
            "[ is a literal in Python classes"
        );
        assert!(m(r"[[:alpha:]]", "b]").is_none());
        assert!(m(r"[a-]+$", "a-a").is_some());
        assert!(m(r"[\b]", "\x08").is_some());
        assert!(m(r"[a&&b]+$", "a&b").is_some(), "&& is literal in Python");
        assert!(m(r"[\s]", "\x1c").is_some());
        assert!(m(r"\S", "\x1f").is_none());
    }

    #[test]
    fn lookaround_goes_to_fancy_and_plain_stays_on_regex() {
        let re = PyRegex::compile(r"(?<=a)b|c(?!d)").unwrap();
        assert!(re.is_fancy());
        let re = PyRegex::compile(r"(?P<x>\d+)\s+\S").unwrap();
        assert!(!re.is_fancy());
        assert_eq!(re.groups(), 1);
    }

    #[test]
    fn fancy_patterns_get_a_superset_prefilter() {
        let cases = [
            (
                r"(?P<a>\S.*(?<!\s))\s+MTU:(?P<m>\d+)",
                "eth0 up  MTU:1500",
                "RX packets:1",
            ),
            (
                r"([^\s].+?)(?=\s+(Up|Down))",
                "Gi1/0/1 port Up",
                "nothing here",
            ),
            (r"(a+)b\1c", "aabaac", "ab"),
            (r"(?>a+)b", "aab", "ac"),
            (r"(a)?(?(1)b|c)", "ab", "d"),
            (r"x(?<=[^()\s])+y", "xy", "xz"),
        ];
        for (p, yes, no) in cases {
            let re = PyRegex::compile(p).unwrap();
            assert!(re.is_fancy() && re.has_prefilter(), "{p}");
            assert!(re.is_match(yes).unwrap(), "{p} on {yes}");
            assert!(!re.is_match(no).unwrap(), "{p} on {no}");
            let relaxed = translate_relaxed(p).unwrap();
            let plain = regex::Regex::new(&format!(r"\A(?:{relaxed})")).unwrap();
            assert!(plain.is_match(yes), "prefilter of {p} must accept {yes}");
            assert_eq!(plain.captures_len(), 1, "no groups in {relaxed}");
        }
        assert_eq!(translate_relaxed(r"a(?=b)c").unwrap(), "ac");
    }

    #[test]
    fn quantified_lookbehind_compiles() {
        assert!(m(r"x(?<=[^()\s])+y", "xy").is_some());
        assert!(m(r"x(?<=[^()\s])*y", "xy").is_some());
    }

    #[test]
    fn literal_prefixes_only_where_python_reads_literals() {
        assert_eq!(
            literal_prefix(r"^Routing\s+Table").as_deref(),
            Some("Routing")
        );
        assert_eq!(literal_prefix("Load for ").as_deref(), Some("Load for "));
        // The quantifier takes the last letter back.
        assert_eq!(literal_prefix("^abc*d").as_deref(), Some("ab"));
        assert_eq!(literal_prefix("^ab{2}").as_deref(), Some("a"));
        assert_eq!(literal_prefix("^a?"), None);
        assert_eq!(literal_prefix(r"^\s+x"), None);
        assert_eq!(literal_prefix("^abc|def"), None);
        assert_eq!(literal_prefix("(?i)^abc"), None);
        assert_eq!(literal_prefix("^a(?i:b)"), None);
        // And the matcher honours it exactly like the regex would.
        assert!(m(r"^Routing\s+Table", "Routing  Table").is_some());
        assert!(m(r"^Routing\s+Table", "routing Table").is_none());
        assert!(m(r"^Routing\s+Table", "Routin").is_none());
        assert!(m("^abc*d", "abd").is_some());
    }

    #[test]
    fn required_literals_are_in_every_match() {
        let lit = |p: &str| required_literal(p).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(
            lit(r"^.*System Description:\s+(.+?)").as_deref(),
            Some("System Description:")
        );
        assert_eq!(
            lit(r"^\s+Chassis ID\s+:\s+(?P<x>.+?)$").as_deref(),
            Some("Chassis ID")
        );
        assert_eq!(lit(r"(?:ab)+x").as_deref(), Some("ab"));
        assert_eq!(lit(r"(?:ab)*x").as_deref(), Some("x"));
        assert_eq!(lit(r"(?i)Name:").as_deref(), Some(":"));
        assert_eq!(lit(r"a|bcd"), None);
        assert_eq!(lit(r"(?:abc)?"), None);
        assert_eq!(lit(r"(?=x)a"), None, "look-around does not parse");
        // And matching honours them.
        assert!(m(r"^.*Name:\s+(\S+)", "  - System Name: x").is_some());
        assert!(m(r"^.*Name:\s+(\S+)", "  - System Nam: x").is_none());
        assert!(m(r"(?i)^.*name:\s+(\S+)", "  - System NAME: x").is_some());
    }

    /// The fold tests the bytes of every required literal, not only the
    /// needle's: a line with the needle but without another literal's
    /// bytes is rejected before any automaton, and matching lines pass.
    #[test]
    fn the_fold_holds_every_required_literal() {
        let re = PyRegex::compile(r"^\s*Chassis\s+type:\s+(\S+)\s*$").unwrap();
        let mut lb = None;
        assert!(!re.may_match_lazy("    Chassis ID: 00:1b:17", &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(1));
        let mut lb = None;
        assert!(re.may_match_lazy("    Chassis type: MAC", &mut lb));
        assert!(m(r"^\s*Chassis\s+type:\s+(\S+)\s*$", "    Chassis type: MAC").is_some());
        assert!(m(r"^\s*Chassis\s+type:\s+(\S+)\s*$", "    Chassis ID: 00:1b").is_none());
        // Literals under a group, a capture and a repetition count; an
        // optional one and an alternative do not.
        let got = |p: &str| String::from_utf8(required_bytes_of(&ascii_hir(p).unwrap())).unwrap();
        assert_eq!(got(r"a(?:bc)+(?P<x>de)(?:fg)?(?:h|i)j"), "abcdej");
    }

    #[test]
    fn folded_line_bytes_pass_every_line_with_the_literal() {
        let re = PyRegex::compile(r"^.*aA:\s+(\S+)").unwrap();
        // `!` and `\x01` fold onto `a` and `A`: the byte test passes, the
        // literal test still says no.
        assert!(!re.may_match("!\x01: x"));
        assert!(re.may_match("  aA: x"));
        assert!(re.may_match("x!\x01 aA: x"));
        for line in ["", "aA", "Aa", "aA:", " a A: ", "\u{e1}A: x", "aA\u{e1}: x"] {
            let want = line.contains("aA:");
            assert_eq!(re.may_match(line), want, "{line:?}");
        }
        // Every byte value, at every offset of the fold's chains.
        for b in 0..=255u8 {
            for at in 0..9 {
                let mut line = vec![b' '; 9];
                line[at] = b;
                let set = fold(&line);
                let mut lb = LineBytes {
                    bits: set,
                    rejected: 0,
                };
                assert!(lb.has_all(fold(&[b])), "byte {b} at {at}");
                assert_eq!(lb.rejected(), 0);
            }
        }
    }

    #[test]
    fn the_needle_is_a_field_label_before_the_longest_word() {
        // `System` is the longest literal, but every `System ...:` line
        // has it: the `memmem` looks for `name:`.
        let re = PyRegex::compile(r"^\s*System\s+name:\s+(\S+)\s*$$").unwrap();
        let desc = "  System description: Palo Alto, name server, Mem:";
        assert!(!re.may_match_lazy(desc, &mut None));
        assert!(re.may_match_lazy("  System name: fw1", &mut None));
        // No label: the longest literal, as before.
        let re = PyRegex::compile(r"^\s+Hardware\s+is\s+(\S+)").unwrap();
        assert!(!re.may_match_lazy("  Hard ware is ether, dr H", &mut None));
        assert!(re.may_match_lazy("  Hardware is Ethernet", &mut None));
    }

    #[test]
    fn the_fold_tells_digits_and_punctuation_from_letters() {
        // With `b & 63` the digits stood for `p`-`y` and `,./-` for
        // `l`-`o`: this line looked like it held `put` and `rate`.
        let re = PyRegex::compile(r"^\s+\d+\s+\S+\s+(in|out)put\s+rate").unwrap();
        let line = "     0 in 1, 2 CRC 34 56 789 a-b.c/d 5%";
        let mut lb = None;
        assert!(!re.may_match_lazy(line, &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(1));
        // Upper and lower case keep their own bits.
        let re = PyRegex::compile(r"^\s+Port\s+ID:").unwrap();
        let mut lb = None;
        assert!(!re.may_match_lazy("  port id: x", &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(1));
        assert!(re.may_match_lazy("  Port ID: x", &mut None));
    }

    #[test]
    fn a_line_counts_the_rules_its_fold_rejects() {
        let total = PyRegex::compile(r"^\s+Mem.*:\s+(\d+)\s+total").unwrap();
        let pid = PyRegex::compile(r"^\s*(\d+)\s+root").unwrap();
        let line = " 2858 xyz";
        let mut lb = None;
        // `total`'s bytes are not in the line: rejected by the fold.
        assert!(!total.may_match_lazy(line, &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(1));
        // `root`'s are not either; the count is per line, over rules.
        assert!(!pid.may_match_lazy(line, &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(2));
        // A line with the bytes but not the literal: rejected by `memmem`,
        // not counted.
        let mut lb = None;
        assert!(!total.may_match_lazy(" 2858 root at tl Mem:", &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(0));
        // No fold (a long line whose folds do not pay): `memmem` decides.
        let mut lb = Some(LineBytes::ALL);
        assert!(!total.may_match_lazy(line, &mut lb));
        assert!(total.may_match_lazy("  Mem: 12 total", &mut lb));
        assert_eq!(lb.as_ref().map(LineBytes::rejected), Some(0));
    }

    #[test]
    fn backrefs() {
        assert!(m(r"(a+)b\1", "aabaa").is_some());
        assert!(m(r"(?P<q>['])x(?P=q)", "'x'").is_some());
        assert!(PyRegex::compile(r"(a)\2").is_err());
    }

    #[test]
    fn python_errors_stay_errors() {
        for bad in [
            r"\p{L}",
            r"(",
            r")",
            r"*a",
            r"a**",
            r"[a",
            r"a{3,2}",
            r"(?i)a(?i)b",
            r"x(?i)",
            r"[z-a]",
            r"\e",
            r"(?P<1a>x)",
            r"(?P<a>x)(?P<a>y)",
        ] {
            assert!(PyRegex::compile(bad).is_err(), "{bad} should be rejected");
        }
        assert!(PyRegex::compile(r"(?i)abc").is_ok());
        assert!(m(r"(?i)abc", "ABC").is_some());
        assert!(m(r"(?i:a)b", "Ab").is_some());
        assert!(m(r"(?i:a)b", "AB").is_none());
    }

    #[test]
    fn escapes() {
        assert!(m(r"\x41\u0042\101\0", "ABA\0").is_some());
        assert!(m(r"a\ b\#\-", "a b#-").is_some());
        assert!(m(r"\.", "x").is_none());
        assert!(m(r"(?#comment)a", "a").is_some());
        assert!(m(r"\é", "é").is_some());
    }
}
