//! Capture extraction for one line: a backtracking search over the same
//! Thompson NFA `regex-automata` builds, in the same priority order as its
//! `BoundedBacktracker` (so it finds the same leftmost-first match and the
//! same groups), but without the visited table and with greedy loops over
//! one byte class (`\s+`, `\d*`, `[\w.:/]+`, what templates are made of)
//! run as one tight loop with one backtrack frame instead of two NFA steps
//! and a frame per byte.
//!
//! Without the visited table the search can take exponential time on some
//! patterns, so every search has a step budget the size of the bounded
//! backtracker's own worst case (NFA states x (line length + 1)); a search
//! that runs out of it reports so, and the caller asks the PikeVM instead.

use regex_automata::nfa::thompson::{NFA, State};
use regex_automata::util::look::{Look, LookMatcher};

/// Saved work a search may hold at once (24 MiB of frames): past it the
/// search stops as over budget, so a long line cannot make the stack grow
/// with the step budget (the PikeVM then needs memory for its states only).
const MAX_FRAMES: usize = 1 << 20;

/// A slot whose group did not take part in the match.
pub(crate) const NO_POS: usize = usize::MAX;

/// A set of bytes.
type ByteSet = [u64; 4];

#[inline(always)]
fn has(set: &ByteSet, b: u8) -> bool {
    (set[usize::from(b >> 6)] >> (b & 63)) & 1 == 1
}

fn add_range(set: &mut ByteSet, start: u8, end: u8) {
    for b in start..=end {
        set[usize::from(b >> 6)] |= 1 << (b & 63);
    }
}

#[derive(Debug, Clone)]
enum Inst {
    /// Consume one byte of `set`, go to `next`.
    Class {
        set: ByteSet,
        next: u32,
        /// A group slot to save before the step ([`NO_SAVE`]: none): a
        /// `Save` leading into this step, fused (see [`fuse_saves`]).
        pre: u32,
    },
    /// Consume one byte of each set in turn (a run of `Class` steps, fused:
    /// no dispatch between the bytes of `\svia\s`), go to `next`.
    Seq {
        /// `Vm::seqs[start..start + len]`.
        start: u32,
        len: u32,
        next: u32,
        pre: u32,
        /// `Vm::words` index: the run as whole words (see [`SeqWords`]).
        words: u32,
        /// `next` is a `Star`, run as part of this step (`name:\s+`: the
        /// literal and its first `\s`, then the rest of the spaces).
        star: bool,
    },
    /// Consume one byte; each range has its own next state.
    Sparse {
        trans: Box<[(u8, u8, u32)]>,
    },
    Look {
        look: Look,
        next: u32,
        pre: u32,
    },
    /// Try `a`, then `b`.
    Split2 {
        a: u32,
        b: u32,
        pre: u32,
    },
    SplitN {
        alts: Box<[u32]>,
        pre: u32,
    },
    Save {
        slot: u32,
        next: u32,
    },
    /// A greedy loop over one byte class (`Split2 { a: Class { next: self },
    /// b: exit }`): take the longest run, then give back one byte at a time.
    Star {
        set: ByteSet,
        exit: u32,
        /// `Vm::guards` index of `exit`'s guard ([`NO_GUARD`]: none).
        guard: u32,
        /// `set` is `.` (see [`is_dot`]): the run ends at the first `\n`.
        dot: bool,
        pre: u32,
        /// The run takes at least one byte: a `Class` of the same set
        /// that leads into the loop, fused (`\s+` is one step, see
        /// [`fuse_plus`]).
        plus: bool,
        /// How the run may skip 8 bytes at a time (see [`run_end`]).
        span: Span,
    },
    /// A lazy loop over one byte class (`Split2 { a: exit, b: Class {
    /// next: self } }`, what `S*?` compiles to): try `exit` here, then one
    /// byte further while the bytes are in the class, shortest first.
    Lazy {
        set: ByteSet,
        exit: u32,
        guard: u32,
        /// `set` is `.` (see [`is_dot`]).
        dot: bool,
    },
    /// A greedy bounded repetition of one byte class (`\d{0,2}`, the tail
    /// of `\d{1,3}`): up to `max` bytes, then give back one at a time.
    Rep {
        set: ByteSet,
        max: u32,
        exit: u32,
        guard: u32,
        pre: u32,
    },
    /// A `Split2` of a program that never backtracks (see [`linearize`]):
    /// its two paths start with disjoint bytes, so the byte at the
    /// position picks the one that can match (`a` when it is in `set`,
    /// else `b`, which then fails on its own first step).
    Pick2 {
        set: ByteSet,
        a: u32,
        b: u32,
        pre: u32,
    },
    /// The match, after setting up to two group slots (the last group's
    /// end and the whole match's end, fused: see [`fuse_saves`]), if
    /// `look` (a `$` fused into it: see [`fuse_look_match`]) holds here.
    Match {
        pre: u32,
        pre2: u32,
        look: Option<Look>,
    },
    Fail,
}

/// Saved work of the search.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Frame {
    Step {
        pc: u32,
        at: usize,
    },
    Restore {
        slot: u32,
        old: usize,
    },
    /// The rest of a `Star` run: positions `lo..=cur` still to try, longest
    /// first.
    Star {
        exit: u32,
        guard: u32,
        lo: usize,
        cur: usize,
    },
    /// The rest of a `Lazy` loop at `pc`: go on from `at` (if the byte
    /// there is in the class).
    Lazy {
        pc: u32,
        at: usize,
    },
}

/// No guard: every position may start the exit path.
const NO_GUARD: u32 = u32::MAX;

/// No slot to save before a step.
const NO_SAVE: u32 = u32::MAX;

/// Where the path after a loop can start: the byte there is in `set`, or
/// the position is the end of the text and `end_ok` (a `$` comes first).
/// Positions failing both cannot match, so a loop never tries its exit
/// there: `.*System Description:` tries the exit only before an `S`.
#[derive(Debug, Clone)]
struct Guard {
    set: ByteSet,
    end_ok: bool,
    /// `set` when it holds one to three bytes (`.*System Description:`:
    /// `S`): the positions are then found with `memchr`/`memrchr` instead
    /// of a test per byte.
    few: Option<Few>,
    /// No byte of the loop's own class is in `set` (`\S+` before `\s`,
    /// `\d+` before `\.`): inside the loop's run the exit never passes,
    /// so only the run's end can start it and no backtrack frame is kept.
    disjoint: bool,
}

/// Spans shorter than this are walked byte by byte: `memchr` costs more
/// to set up than it saves on them.
const LONG_SPAN: usize = 32;

/// Whether every byte of `run` is in its set (`run` and `sets` have the
/// same length).
#[inline(always)]
fn seq_matches(run: &[u8], sets: &[ByteSet]) -> bool {
    for (&b, set) in run.iter().zip(sets) {
        if !has(set, b) {
            return false;
        }
    }
    true
}

/// The first `\n` from `at`, or the end of `hay`: where a `.` run stops.
#[inline(never)]
fn line_end(hay: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &hay[at..]).map_or(hay.len(), |i| at + i)
}

/// Where a `.` lazy loop from `at` may first exit: the first byte of
/// `few` before the first `\n`, else that `\n` (or the end of `hay`),
/// where the caller's test decides.
#[inline(never)]
fn first_of_few(few: Few, hay: &[u8], at: usize) -> usize {
    let limit = line_end(hay, at);
    few.find(&hay[at..limit]).map_or(limit, |i| at + i)
}

/// [`Vm::last_passing`] for a guard of one to three bytes: the last
/// position in `lo..=hi` holding one of them, or `hi` itself when it is
/// the end of `hay` and the guard takes the end.
#[inline(never)]
fn last_of_few(few: Few, end_ok: bool, hay: &[u8], lo: usize, hi: usize) -> Option<usize> {
    let top = if hi >= hay.len() {
        if end_ok {
            return Some(hi);
        }
        if hi == lo {
            return None;
        }
        hi - 1
    } else {
        hi
    };
    few.rfind(&hay[lo..=top]).map(|i| lo + i)
}

/// One to three bytes, searched with `memchr`.
#[derive(Debug, Clone, Copy)]
enum Few {
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
}

impl Few {
    fn of(set: &ByteSet) -> Option<Few> {
        let mut bytes = (0..=255u8).filter(|&b| has(set, b));
        let a = bytes.next()?;
        let few = match (bytes.next(), bytes.next()) {
            (None, _) => Few::One(a),
            (Some(b), None) => Few::Two(a, b),
            (Some(b), Some(c)) => Few::Three(a, b, c),
        };
        bytes.next().is_none().then_some(few)
    }

    #[inline(always)]
    fn find(self, hay: &[u8]) -> Option<usize> {
        match self {
            Few::One(a) => memchr::memchr(a, hay),
            Few::Two(a, b) => memchr::memchr2(a, b, hay),
            Few::Three(a, b, c) => memchr::memchr3(a, b, c, hay),
        }
    }

    #[inline(always)]
    fn rfind(self, hay: &[u8]) -> Option<usize> {
        match self {
            Few::One(a) => memchr::memrchr(a, hay),
            Few::Two(a, b) => memchr::memrchr2(a, b, hay),
            Few::Three(a, b, c) => memchr::memrchr3(a, b, c, hay),
        }
    }
}

/// The byte of a set that holds exactly one.
fn one_of(set: &ByteSet) -> Option<u8> {
    if set.iter().map(|w| w.count_ones()).sum::<u32>() != 1 {
        return None;
    }
    let (k, w) = set.iter().enumerate().find(|(_, w)| **w != 0)?;
    Some((k * 64) as u8 + w.trailing_zeros() as u8)
}

/// The byte class of `.`: every byte but `\n`.
fn is_dot(set: &ByteSet) -> bool {
    let mut all_but_nl = [u64::MAX; 4];
    all_but_nl[0] &= !(1 << b'\n');
    *set == all_but_nl
}

/// How a greedy loop's run may be skipped 8 bytes at a time: which
/// bytes its class surely holds, tested on a word at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    /// One byte at a time.
    Bytes,
    /// The class holds every printable ASCII byte but space (`\S`, `.`;
    /// not `[^,]`): words of `!`..`~` are skipped whole.
    Graphic,
    /// The class holds space and no printable ASCII byte (`\s`, `[ \t]`):
    /// words of spaces are skipped whole (column padding).
    Spaces,
}

/// Bytes `0x21..=0x7E` of a [`ByteSet`]: word 0 bits 33-63, word 1 bits
/// 0-62.
const GRAPHIC: ByteSet = [!((1u64 << 33) - 1), u64::MAX >> 1, 0, 0];

impl Span {
    fn of(set: &ByteSet) -> Span {
        if set.iter().zip(&GRAPHIC).all(|(s, g)| s & g == *g) {
            Span::Graphic
        } else if has(set, b' ') && set.iter().zip(&GRAPHIC).all(|(s, g)| s & g == 0) {
            Span::Spaces
        } else {
            Span::Bytes
        }
    }
}

use crate::split::{HIGH, ONES};

/// Where a greedy loop's run from `at` ends (both searches): a `.` run
/// over a long rest goes straight to the line's end, any other through
/// [`run_end`].
#[inline(always)]
fn star_run(set: &ByteSet, dot: bool, span: Span, hay: &[u8], at: usize) -> usize {
    let at = if dot && hay.len() - at >= LONG_SPAN {
        line_end(hay, at)
    } else {
        at
    };
    run_end(set, span, hay, at)
}

/// The end of the run of bytes of `set` from `at` (the first byte not in
/// it, or the end of `hay`). With a [`Span`] other than `Bytes`, whole
/// words the span's test passes are skipped first, and the byte it stops
/// at is tested against `set` (a space in `.`, a tab in `\s`).
#[inline(always)]
fn run_end(set: &ByteSet, span: Span, hay: &[u8], mut at: usize) -> usize {
    // The first two bytes one by one: most runs of spaces between words
    // are one byte, and a word test costs more than that.
    for _ in 0..2 {
        match hay.get(at) {
            Some(&b) if has(set, b) => at += 1,
            _ => return at,
        }
    }
    if span != Span::Bytes {
        loop {
            while let Some(c) = hay.get(at..at + 8) {
                let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
                // The high bit of each byte outside the span's bytes,
                // exact for the lowest such byte (borrows and carries only
                // reach the bytes above it).
                let m = if span == Span::Graphic {
                    // Below 0x21, or 0x7F and above.
                    ((w.wrapping_sub(ONES * 0x21) & !w) | w.wrapping_add(ONES) | w) & HIGH
                } else {
                    // Not a space.
                    let x = w ^ (ONES * 0x20);
                    (((x & !HIGH) + !HIGH) | x) & HIGH
                };
                if m != 0 {
                    at += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                at += 8;
            }
            match hay.get(at) {
                Some(&b) if has(set, b) => at += 1,
                _ => return at,
            }
            if hay.len() - at < 8 {
                break;
            }
        }
    }
    while let Some(&b) = hay.get(at) {
        if !has(set, b) {
            break;
        }
        at += 1;
    }
    at
}

/// [`Vm::may_match`] copied out of the VM, so that a run tests a rule's
/// first byte before it reaches the rule's engine and scratch space.
#[derive(Debug, Clone)]
pub(crate) struct FirstByte {
    set: ByteSet,
    empty_ok: bool,
    one_byte: bool,
    /// A match is the leading loop's class up to the end of the text
    /// (`^\s*$$`: the loop's exit can only take the end): the text's last
    /// byte must be in that class too (see [`FirstByte::answer`]).
    whole: bool,
    /// The pattern's leading loop, when it has one (see [`Lead`]).
    lead: Option<Box<Lead>>,
}

/// A pattern that starts with a loop over one class whose exit cannot
/// start with a byte of that class (`^\s+Chassis`, `^\s*Port\s+ID`): a
/// match runs the loop to the end of the line's leading run of those
/// bytes, and the byte after the run must be one the exit starts with
/// (or the run reaches the end of the line and the exit takes the end).
/// Most lines a run tries such a rule on fail right there, after the
/// leading spaces: this test says so without the lazy DFA.
#[derive(Debug, Clone)]
struct Lead {
    run: ByteSet,
    /// The loop takes at least one byte (`\s+`).
    plus: bool,
    next: ByteSet,
    end_ok: bool,
}

impl FirstByte {
    /// `Some(false)`: the pattern cannot match `hay`; `Some(true)`: it
    /// matches (a one-byte pattern whose byte passed: the test is the
    /// whole answer); `None`: the engine decides.
    #[inline(always)]
    pub(crate) fn answer(&self, hay: &[u8]) -> Option<bool> {
        match hay.first() {
            None => (!self.empty_ok).then_some(false),
            Some(&b) if !has(&self.set, b) => Some(false),
            Some(_) if self.one_byte => Some(true),
            Some(_) => {
                let l = self.lead.as_ref()?;
                // `^\s*$$` on an indented line of text: its last byte
                // says no, without the walk over its leading spaces.
                if self.whole && hay.last().is_some_and(|&b| !has(&l.run, b)) {
                    return Some(false);
                }
                l.answer(hay)
            }
        }
    }
}

impl Lead {
    /// `Some(false)` when `hay` cannot match past its leading run.
    /// Out of line: most rules have no leading loop, and the test inlined
    /// in every rule's first-byte test slowed the others.
    #[inline(never)]
    fn answer(&self, hay: &[u8]) -> Option<bool> {
        // Column padding a word at a time when the run takes spaces (deep
        // indents: `iwlist`'s lines start with 20 and more).
        let mut k = 0;
        if has(&self.run, b' ') {
            while let Some(w) = hay.get(k..k + 8) {
                if w != b"        " {
                    break;
                }
                k += 8;
            }
        }
        let k = k + hay[k..]
            .iter()
            .position(|&b| !has(&self.run, b))
            .unwrap_or(hay.len() - k);
        let after = match hay.get(k) {
            Some(&b) => has(&self.next, b),
            None => self.end_ok,
        };
        (!after || (self.plus && k == 0)).then_some(false)
    }
}

/// The search ran out of its step budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverBudget;

/// A compiled backtracking program for one anchored pattern.
#[derive(Debug, Clone)]
pub(crate) struct Vm {
    insts: Vec<Inst>,
    /// Where both searches begin: the program's start past the steps that
    /// always pass at the start of the text (`\A`, `^`, the save of the
    /// match's start, which `slot0` says to make: see [`run_start`]).
    run_start: u32,
    slot0: bool,
    nslots: usize,
    /// The byte sets of every fused run (see [`fuse_class_runs`]).
    seqs: Vec<ByteSet>,
    /// Per `Seq`, its literal bytes as words (see [`SeqWords`]).
    words: Vec<SeqWords>,
    /// Guards of loop exits (see [`Guard`]).
    guards: Vec<Guard>,
    lm: LookMatcher,
    /// Bytes a non-empty match can start with (superset).
    first: ByteSet,
    /// The pattern may match the empty string.
    empty_ok: bool,
    /// ... and not only at the end of the text (no first-byte test then).
    empty_mid: bool,
    /// The pattern is one byte of a class (`^.`, the catch-all rule of
    /// many states): the first-byte test is the whole answer.
    one_byte: bool,
    /// The pattern's leading loop (see [`Lead`]).
    lead: Option<Lead>,
    /// No path of the program ever backtracks (see [`linearize`]): the
    /// search runs [`Vm::search_linear`], without frames or budget.
    linear: bool,
}

/// The byte class of a consuming state whose transitions all lead to one
/// state.
fn class_of(st: &State) -> Option<(ByteSet, u32)> {
    let mut set = [0u64; 4];
    let mut next: Option<u32> = None;
    let mut same = |n: u32| -> bool {
        if next.is_some_and(|x| x != n) {
            return false;
        }
        next = Some(n);
        true
    };
    match st {
        State::ByteRange { trans } => {
            same(trans.next.as_u32());
            add_range(&mut set, trans.start, trans.end);
        }
        State::Sparse(sp) => {
            for t in sp.transitions.iter() {
                if !same(t.next.as_u32()) {
                    return None;
                }
                add_range(&mut set, t.start, t.end);
            }
        }
        State::Dense(d) => {
            for (b, n) in d.transitions.iter().enumerate() {
                // The dead state (0) is "no transition" in a dense state.
                if n.as_u32() != 0 {
                    if !same(n.as_u32()) {
                        return None;
                    }
                    let b = b as u8;
                    add_range(&mut set, b, b);
                }
            }
        }
        _ => return None,
    }
    next.map(|n| (set, n))
}

impl Vm {
    /// Compiles the program of an anchored pattern's NFA.
    pub(crate) fn new(nfa: &NFA) -> Vm {
        let mut insts = Vec::with_capacity(nfa.states().len());
        for st in nfa.states() {
            let i = match st {
                State::ByteRange { .. } | State::Sparse(_) | State::Dense(_) => {
                    match class_of(st) {
                        Some((set, next)) => Inst::Class {
                            set,
                            next,
                            pre: NO_SAVE,
                        },
                        None => match st {
                            State::Sparse(sp) => Inst::Sparse {
                                trans: sp
                                    .transitions
                                    .iter()
                                    .map(|t| (t.start, t.end, t.next.as_u32()))
                                    .collect(),
                            },
                            State::Dense(d) => Inst::Sparse {
                                trans: d
                                    .transitions
                                    .iter()
                                    .enumerate()
                                    .filter(|(_, n)| n.as_u32() != 0)
                                    .map(|(b, n)| (b as u8, b as u8, n.as_u32()))
                                    .collect(),
                            },
                            // A ByteRange always has one next state.
                            _ => Inst::Fail,
                        },
                    }
                }
                State::Look { look, next } => Inst::Look {
                    look: *look,
                    next: next.as_u32(),
                    pre: NO_SAVE,
                },
                State::BinaryUnion { alt1, alt2 } => Inst::Split2 {
                    a: alt1.as_u32(),
                    b: alt2.as_u32(),
                    pre: NO_SAVE,
                },
                State::Union { alternates } => match alternates.len() {
                    0 => Inst::Fail,
                    2 => Inst::Split2 {
                        a: alternates[0].as_u32(),
                        b: alternates[1].as_u32(),
                        pre: NO_SAVE,
                    },
                    _ => Inst::SplitN {
                        alts: alternates.iter().map(|s| s.as_u32()).collect(),
                        pre: NO_SAVE,
                    },
                },
                State::Capture { next, slot, .. } => Inst::Save {
                    slot: slot.as_u32(),
                    next: next.as_u32(),
                },
                State::Fail => Inst::Fail,
                State::Match { .. } => Inst::Match {
                    pre: NO_SAVE,
                    pre2: NO_SAVE,
                    look: None,
                },
            };
            insts.push(i);
        }
        for u in 0..insts.len() {
            if let Inst::Split2 { a, b, .. } = insts[u]
                && let Inst::Class { set, next, .. } = insts[a as usize]
                && next as usize == u
            {
                insts[u] = Inst::Star {
                    set,
                    exit: b,
                    guard: NO_GUARD,
                    dot: is_dot(&set),
                    pre: NO_SAVE,
                    plus: false,
                    span: Span::of(&set),
                };
            } else if let Inst::Split2 { a, b, .. } = insts[u]
                && let Inst::Class { set, next, .. } = insts[b as usize]
                && next as usize == u
            {
                insts[u] = Inst::Lazy {
                    set,
                    exit: a,
                    guard: NO_GUARD,
                    dot: is_dot(&set),
                };
            }
        }
        for u in 0..insts.len() {
            if let Some(rep) = bounded_rep(&insts, u) {
                insts[u] = rep;
            }
        }
        let (seqs, words) = fuse_class_runs(&mut insts);
        let mut guards = Vec::new();
        for u in 0..insts.len() {
            let exit = match &insts[u] {
                Inst::Star { exit, .. } | Inst::Lazy { exit, .. } | Inst::Rep { exit, .. } => *exit,
                _ => continue,
            };
            let Some(mut g) = exit_guard(&insts, &seqs, exit) else {
                continue;
            };
            if let Inst::Star { set, .. } | Inst::Lazy { set, .. } | Inst::Rep { set, .. } =
                &insts[u]
            {
                g.disjoint = set.iter().zip(&g.set).all(|(a, b)| a & b == 0);
            }
            let gi = guards.len() as u32;
            guards.push(g);
            if let Inst::Star { guard, .. } | Inst::Lazy { guard, .. } | Inst::Rep { guard, .. } =
                &mut insts[u]
            {
                *guard = gi;
            }
        }
        let start = nfa.start_anchored().as_u32();
        let (first, empty_ok, empty_mid) = first_bytes(&insts, &seqs, start);
        let one_byte = one_byte(&insts, start);
        let lead = lead(&insts, &guards, start);
        fuse_saves(&mut insts);
        fuse_look_match(&mut insts);
        fuse_plus(&mut insts);
        for u in 0..insts.len() {
            if let Inst::Seq { next, .. } = insts[u]
                && let Some(Inst::Star { .. }) = insts.get(next as usize)
                && let Inst::Seq { star, .. } = &mut insts[u]
            {
                *star = true;
            }
        }
        let linear = linearize(&mut insts, &seqs, &guards, start);
        let (run_start, slot0) = run_start(&insts, start);
        Vm {
            insts,
            run_start,
            slot0,
            nslots: nfa.group_info().slot_len(),
            seqs,
            words,
            guards,
            lm: nfa.look_matcher().clone(),
            first,
            empty_ok,
            empty_mid,
            one_byte,
            lead,
            linear,
        }
    }

    /// Whether the search never backtracks (see [`linearize`]).
    #[cfg(test)]
    pub(crate) fn is_linear(&self) -> bool {
        self.linear
    }

    /// The first-byte test on its own (see [`FirstByte`]); `None` when it
    /// never rules a text out (the pattern may match empty mid-text).
    pub(crate) fn first_byte(&self) -> Option<FirstByte> {
        (!self.empty_mid).then_some(FirstByte {
            set: self.first,
            empty_ok: self.empty_ok,
            one_byte: self.one_byte,
            whole: self
                .lead
                .as_ref()
                .is_some_and(|l| l.end_ok && l.next.iter().all(|&w| w == 0)),
            lead: self.lead.clone().map(Box::new),
        })
    }

    /// Whether the pattern is one byte of a class: [`Vm::may_match`]
    /// answers whether it matches.
    pub(crate) fn is_one_byte(&self) -> bool {
        self.one_byte
    }

    /// Whether a match can start with the text's first byte (false means
    /// the pattern cannot match the text at all).
    #[inline]
    pub(crate) fn may_match(&self, hay: &[u8]) -> bool {
        match hay.first() {
            None => self.empty_ok,
            Some(&b) => self.empty_mid || has(&self.first, b),
        }
    }

    /// Whether a loop's exit may start at `at` (see [`Guard`]).
    #[inline(always)]
    fn passes(&self, guard: u32, hay: &[u8], at: usize) -> bool {
        match self.guards.get(guard as usize) {
            None => true,
            Some(g) => match hay.get(at) {
                Some(&b) => has(&g.set, b),
                None => g.end_ok,
            },
        }
    }

    /// Whether the loop with this guard never passes it inside its run
    /// (see [`Guard::disjoint`]).
    #[inline(always)]
    fn disjoint(&self, guard: u32) -> bool {
        self.guards.get(guard as usize).is_some_and(|g| g.disjoint)
    }

    /// The last position in `lo..=hi` where the exit may start.
    #[inline(always)]
    fn last_passing(&self, guard: u32, hay: &[u8], lo: usize, hi: usize) -> Option<usize> {
        if hi - lo >= LONG_SPAN
            && let Some(g) = self.guards.get(guard as usize)
            && let Some(few) = g.few
        {
            return last_of_few(few, g.end_ok, hay, lo, hi);
        }
        let mut p = hi;
        loop {
            if self.passes(guard, hay, p) {
                return Some(p);
            }
            if p == lo {
                return None;
            }
            p -= 1;
        }
    }

    /// Number of capture slots (two per group, group 0 included).
    pub(crate) fn slot_len(&self) -> usize {
        self.nslots
    }

    /// The step budget for a text of `len` bytes: what the bounded
    /// backtracker may do at most (each state once per position), twice.
    fn budget(&self, len: usize) -> usize {
        self.insts
            .len()
            .saturating_mul(len.saturating_add(1))
            .saturating_mul(2)
            .max(4096)
    }

    /// The anchored leftmost-first match of the pattern at the start of
    /// `hay`: its end, with the groups in `slots` (`NO_POS` for a group
    /// that did not take part).
    pub(crate) fn search(
        &self,
        hay: &[u8],
        slots: &mut Vec<usize>,
        stack: &mut Vec<Frame>,
    ) -> Result<Option<usize>, OverBudget> {
        if self.linear {
            return Ok(self.search_linear(hay, slots));
        }
        let mut budget = self.budget(hay.len());
        slots.clear();
        slots.resize(self.nslots, NO_POS);
        if self.slot0 {
            // Nothing comes before it to backtrack to: no frame.
            slots[0] = 0;
        }
        stack.clear();
        stack.push(Frame::Step {
            pc: self.run_start,
            at: 0,
        });
        // Python's group start or end: saved, with the old value to put
        // back when the search backtracks past it.
        macro_rules! save {
            ($slot:expr, $at:expr) => {{
                let s = $slot as usize;
                if s < slots.len() {
                    stack.push(Frame::Restore {
                        slot: $slot,
                        old: slots[s],
                    });
                    slots[s] = $at;
                }
            }};
        }
        // A greedy loop over one class (`Inst::Star`), run in place: in
        // its own step, and at the end of a `Seq` that leads into it.
        // `break` fails the path; else the path goes on at `pc`.
        macro_rules! star {
            ($at:ident, $pc:ident, $set:expr, $exit:expr, $guard:expr, $dot:expr, $pre:expr, $plus:expr, $span:expr) => {{
                if $plus {
                    match hay.get($at) {
                        Some(&b) if has($set, b) => {}
                        _ => break,
                    }
                    save!($pre, $at);
                    $at += 1;
                } else {
                    save!($pre, $at);
                }
                // The positions the exit may be tried at start here.
                let lo = $at;
                $at = star_run($set, $dot, $span, hay, $at);
                budget = budget.checked_sub($at - lo).ok_or(OverBudget)?;
                if self.disjoint($guard) {
                    if !self.passes($guard, hay, $at) {
                        break;
                    }
                } else {
                    let Some(p) = self.last_passing($guard, hay, lo, $at) else {
                        break;
                    };
                    if p > lo {
                        stack.push(Frame::Star {
                            exit: $exit,
                            guard: $guard,
                            lo,
                            cur: p - 1,
                        });
                    }
                    $at = p;
                }
                $pc = $exit;
            }};
        }
        while let Some(f) = stack.pop() {
            let (mut pc, mut at) = match f {
                Frame::Step { pc, at } => (pc, at),
                Frame::Restore { slot, old } => {
                    slots[slot as usize] = old;
                    continue;
                }
                Frame::Star {
                    exit,
                    guard,
                    lo,
                    cur,
                } => {
                    let Some(p) = self.last_passing(guard, hay, lo, cur) else {
                        continue;
                    };
                    budget = budget.checked_sub(cur - p).ok_or(OverBudget)?;
                    if p > lo {
                        stack.push(Frame::Star {
                            exit,
                            guard,
                            lo,
                            cur: p - 1,
                        });
                    }
                    (exit, p)
                }
                Frame::Lazy { pc, at } => match (&self.insts[pc as usize], hay.get(at)) {
                    (Inst::Lazy { set, .. }, Some(&b)) if has(set, b) => (pc, at + 1),
                    _ => continue,
                },
            };
            loop {
                budget = budget.checked_sub(1).ok_or(OverBudget)?;
                if stack.len() > MAX_FRAMES {
                    return Err(OverBudget);
                }
                match &self.insts[pc as usize] {
                    Inst::Class { set, next, pre } => match hay.get(at) {
                        Some(&b) if has(set, b) => {
                            save!(*pre, at);
                            pc = *next;
                            at += 1;
                        }
                        _ => break,
                    },
                    Inst::Seq {
                        start,
                        len,
                        next,
                        pre,
                        words,
                        star,
                    } => {
                        let sets = &self.seqs[*start as usize..(*start + *len) as usize];
                        let Some(run) = hay.get(at..at + sets.len()) else {
                            break;
                        };
                        if !self.words[*words as usize].matches(&hay[at..], run, sets) {
                            break;
                        }
                        budget = budget.checked_sub(sets.len()).ok_or(OverBudget)?;
                        save!(*pre, at);
                        pc = *next;
                        at += sets.len();
                        if *star
                            && let Inst::Star {
                                set,
                                exit,
                                guard,
                                dot,
                                pre,
                                plus,
                                span,
                            } = &self.insts[pc as usize]
                        {
                            star!(at, pc, set, *exit, *guard, *dot, *pre, *plus, *span);
                        }
                    }
                    Inst::Sparse { trans } => {
                        let Some(&b) = hay.get(at) else { break };
                        match trans.iter().find(|t| t.0 <= b && b <= t.1) {
                            Some(t) => {
                                pc = t.2;
                                at += 1;
                            }
                            None => break,
                        }
                    }
                    Inst::Look { look, next, pre } => {
                        if !self.lm.matches(*look, hay, at) {
                            break;
                        }
                        save!(*pre, at);
                        pc = *next;
                    }
                    Inst::Split2 { a, b, pre } => {
                        save!(*pre, at);
                        stack.push(Frame::Step { pc: *b, at });
                        pc = *a;
                    }
                    Inst::SplitN { alts, pre } => {
                        save!(*pre, at);
                        stack.extend(alts[1..].iter().rev().map(|&p| Frame::Step { pc: p, at }));
                        pc = alts[0];
                    }
                    Inst::Save { slot, next } => {
                        save!(*slot, at);
                        pc = *next;
                    }
                    Inst::Star {
                        set,
                        exit,
                        guard,
                        dot,
                        pre,
                        plus,
                        span,
                    } => star!(at, pc, set, *exit, *guard, *dot, *pre, *plus, *span),
                    Inst::Lazy {
                        set,
                        exit,
                        guard,
                        dot,
                    } => {
                        let lo = at;
                        at = self.lazy_stop(set, *guard, *dot, hay, at);
                        budget = budget.checked_sub(at - lo).ok_or(OverBudget)?;
                        if !self.passes(*guard, hay, at) {
                            break;
                        }
                        // Resuming past a passing byte needs it in the
                        // class: never, when the two are disjoint.
                        if !self.disjoint(*guard) {
                            stack.push(Frame::Lazy { pc, at });
                        }
                        pc = *exit;
                    }
                    Inst::Rep {
                        set,
                        max,
                        exit,
                        guard,
                        pre,
                    } => {
                        save!(*pre, at);
                        let lo = at;
                        at = rep_run(set, *max, hay, at);
                        budget = budget.checked_sub(at - lo).ok_or(OverBudget)?;
                        if self.disjoint(*guard) {
                            if !self.passes(*guard, hay, at) {
                                break;
                            }
                            pc = *exit;
                            continue;
                        }
                        let Some(p) = self.last_passing(*guard, hay, lo, at) else {
                            break;
                        };
                        if p > lo {
                            stack.push(Frame::Star {
                                exit: *exit,
                                guard: *guard,
                                lo,
                                cur: p - 1,
                            });
                        }
                        pc = *exit;
                        at = p;
                    }
                    Inst::Pick2 { set, a, b, pre } => {
                        save!(*pre, at);
                        pc = match hay.get(at) {
                            Some(&x) if has(set, x) => *a,
                            _ => *b,
                        };
                    }
                    Inst::Match { pre, pre2, look } => {
                        if let Some(l) = look
                            && !self.lm.matches(*l, hay, at)
                        {
                            break;
                        }
                        // Nothing backtracks past a match: no frames.
                        for s in [*pre, *pre2] {
                            if let Some(v) = slots.get_mut(s as usize) {
                                *v = at;
                            }
                        }
                        return Ok(Some(at));
                    }
                    Inst::Fail => break,
                }
            }
        }
        Ok(None)
    }

    /// A lazy loop's stop from `at` (both searches): the first position,
    /// over bytes of `set`, where the exit may start (`guard` passes), or
    /// where the run of the class ends.
    #[inline(always)]
    fn lazy_stop(&self, set: &ByteSet, guard: u32, dot: bool, hay: &[u8], mut at: usize) -> usize {
        if dot
            && hay.len() - at >= LONG_SPAN
            && !self.passes(guard, hay, at)
            && let Some(g) = self.guards.get(guard as usize)
            && let Some(few) = g.few
        {
            // Every byte up to the first `\n` is in the class: the first
            // guard byte before it, or the `\n` (or the end) itself.
            at = first_of_few(few, hay, at);
        }
        while !self.passes(guard, hay, at) {
            match hay.get(at) {
                Some(&b) if has(set, b) => at += 1,
                _ => break,
            }
        }
        at
    }

    /// [`Vm::search`] for a program that never backtracks (see
    /// [`linearize`]): the one path that can match is followed step by
    /// step, and the first step that fails ends the search. Every other
    /// path the backtracking search would have tried fails on its first
    /// byte or is never reached, so the match and its groups are the same;
    /// with no frames there is nothing to restore, and each step either
    /// consumes a byte or moves on to one that does: no budget.
    pub(crate) fn search_linear(&self, hay: &[u8], slots: &mut Vec<usize>) -> Option<usize> {
        slots.clear();
        slots.resize(self.nslots, NO_POS);
        if self.slot0 {
            slots[0] = 0;
        }
        let (mut pc, mut at) = (self.run_start, 0usize);
        macro_rules! save {
            ($slot:expr, $at:expr) => {{
                if let Some(s) = slots.get_mut($slot as usize) {
                    *s = $at;
                }
            }};
        }
        // A greedy loop: the longest run, then its exit, at the end of the
        // run (a disjoint guard) or where the guard passes last (an exit
        // that always matches: it is never left again).
        macro_rules! star {
            ($set:expr, $exit:expr, $guard:expr, $dot:expr, $pre:expr, $plus:expr, $span:expr) => {{
                if $plus {
                    match hay.get(at) {
                        Some(&b) if has($set, b) => {}
                        _ => return None,
                    }
                    save!($pre, at);
                    at += 1;
                } else {
                    save!($pre, at);
                }
                let lo = at;
                at = star_run($set, $dot, $span, hay, at);
                if self.disjoint($guard) {
                    if !self.passes($guard, hay, at) {
                        return None;
                    }
                } else {
                    at = self.last_passing($guard, hay, lo, at)?;
                }
                pc = $exit;
            }};
        }
        loop {
            match &self.insts[pc as usize] {
                Inst::Class { set, next, pre } => match hay.get(at) {
                    Some(&b) if has(set, b) => {
                        save!(*pre, at);
                        pc = *next;
                        at += 1;
                    }
                    _ => return None,
                },
                Inst::Seq {
                    start,
                    len,
                    next,
                    pre,
                    words,
                    star,
                } => {
                    let sets = &self.seqs[*start as usize..(*start + *len) as usize];
                    let run = hay.get(at..at + sets.len())?;
                    if !self.words[*words as usize].matches(&hay[at..], run, sets) {
                        return None;
                    }
                    save!(*pre, at);
                    pc = *next;
                    at += sets.len();
                    if *star
                        && let Inst::Star {
                            set,
                            exit,
                            guard,
                            dot,
                            pre,
                            plus,
                            span,
                        } = &self.insts[pc as usize]
                    {
                        star!(set, *exit, *guard, *dot, *pre, *plus, *span);
                    }
                }
                Inst::Sparse { trans } => {
                    let &b = hay.get(at)?;
                    let t = trans.iter().find(|t| t.0 <= b && b <= t.1)?;
                    pc = t.2;
                    at += 1;
                }
                Inst::Look { look, next, pre } => {
                    if !self.lm.matches(*look, hay, at) {
                        return None;
                    }
                    save!(*pre, at);
                    pc = *next;
                }
                Inst::Pick2 { set, a, b, pre } => {
                    save!(*pre, at);
                    pc = match hay.get(at) {
                        Some(&x) if has(set, x) => *a,
                        _ => *b,
                    };
                }
                Inst::Save { slot, next } => {
                    save!(*slot, at);
                    pc = *next;
                }
                Inst::Star {
                    set,
                    exit,
                    guard,
                    dot,
                    pre,
                    plus,
                    span,
                } => star!(set, *exit, *guard, *dot, *pre, *plus, *span),
                Inst::Lazy {
                    set,
                    exit,
                    guard,
                    dot,
                } => {
                    at = self.lazy_stop(set, *guard, *dot, hay, at);
                    if !self.passes(*guard, hay, at) {
                        return None;
                    }
                    pc = *exit;
                }
                Inst::Rep {
                    set,
                    max,
                    exit,
                    guard,
                    pre,
                } => {
                    save!(*pre, at);
                    let lo = at;
                    at = rep_run(set, *max, hay, at);
                    if self.disjoint(*guard) {
                        if !self.passes(*guard, hay, at) {
                            return None;
                        }
                    } else {
                        at = self.last_passing(*guard, hay, lo, at)?;
                    }
                    pc = *exit;
                }
                Inst::Match { pre, pre2, look } => {
                    if let Some(l) = look
                        && !self.lm.matches(*l, hay, at)
                    {
                        return None;
                    }
                    save!(*pre, at);
                    save!(*pre2, at);
                    return Some(at);
                }
                // Not in a linear program (see `linearize`).
                Inst::Split2 { .. } | Inst::SplitN { .. } | Inst::Fail => return None,
            }
        }
    }
}

/// Where the searches of the program from `start` begin, and whether they
/// set the match's start (slot 0) there: past the save of slot 0 and the
/// start-of-text looks every pattern begins with (`\A(?:^...)`), steps
/// that always pass at position 0, where every search starts.
fn run_start(insts: &[Inst], start: u32) -> (u32, bool) {
    let (mut pc, mut slot0) = (start, false);
    for _ in 0..insts.len() {
        match insts.get(pc as usize) {
            Some(&Inst::Save { slot: 0, next }) => {
                slot0 = true;
                pc = next;
            }
            Some(&Inst::Look {
                look: Look::Start,
                next,
                pre,
            }) if pre == NO_SAVE || pre == 0 => {
                slot0 |= pre == 0;
                pc = next;
            }
            _ => break,
        }
    }
    (pc, slot0)
}

/// A counted loop's run from `at` (both searches): up to `max` bytes of
/// `set`.
#[inline(always)]
fn rep_run(set: &ByteSet, max: u32, hay: &[u8], mut at: usize) -> usize {
    let end = hay.len().min(at + max as usize);
    while at < end && has(set, hay[at]) {
        at += 1;
    }
    at
}

/// Whether no path of the program from `start` ever needs to backtrack,
/// and if so, every `Split2` on them made a [`Inst::Pick2`]. That holds
/// when every step the search can reach is one of:
/// - a step with one way on (`Class`, `Seq`, `Sparse`, `Look`, `Save`);
/// - a loop (`Star`, `Rep`, `Lazy`) whose exit cannot start inside its
///   run (a disjoint [`Guard`]: the backtracking search keeps no frame for
///   it either), or whose exit always matches (see [`always_matches`]:
///   the first exit tried is the match);
/// - a `Split2` whose two paths each start by consuming a byte, from
///   disjoint sets (see [`first_consumed`]): at most one of them gets past
///   its first byte, so the byte picks it.
///
/// `(in|out)put`, `(\s+\S+)?,` and `\S+\s+(\S+?)\s+\S+\s+([1-9]\d*).*` are
/// linear; `\S+,` is not (`\S+` takes the `,` and must give it back).
/// Runs after every fusion: it reads the program the search runs.
fn linearize(insts: &mut [Inst], seqs: &[ByteSet], guards: &[Guard], start: u32) -> bool {
    let disjoint = |g: u32| guards.get(g as usize).is_some_and(|g| g.disjoint);
    let mut picks = Vec::new();
    let mut seen = vec![false; insts.len()];
    let mut todo = vec![start];
    while let Some(pc) = todo.pop() {
        let Some(s) = seen.get_mut(pc as usize) else {
            return false;
        };
        if std::mem::replace(s, true) {
            continue;
        }
        match &insts[pc as usize] {
            Inst::Class { next, .. }
            | Inst::Seq { next, .. }
            | Inst::Look { next, .. }
            | Inst::Save { next, .. } => todo.push(*next),
            Inst::Sparse { trans } => todo.extend(trans.iter().map(|t| t.2)),
            Inst::Star { exit, guard, .. }
            | Inst::Rep { exit, guard, .. }
            | Inst::Lazy { exit, guard, .. } => {
                if !disjoint(*guard) && !always_matches(insts, *exit) {
                    return false;
                }
                todo.push(*exit);
            }
            Inst::Split2 { a, b, .. } => {
                let (Some(sa), Some(sb)) = (
                    first_consumed(insts, seqs, *a, 0),
                    first_consumed(insts, seqs, *b, 0),
                ) else {
                    return false;
                };
                if sa.iter().zip(&sb).any(|(x, y)| x & y != 0) {
                    return false;
                }
                picks.push((pc, sa));
                todo.extend([*a, *b]);
            }
            Inst::SplitN { .. } | Inst::Pick2 { .. } => return false,
            Inst::Match { .. } | Inst::Fail => {}
        }
    }
    for (pc, set) in picks {
        if let Inst::Split2 { a, b, pre } = insts[pc as usize] {
            insts[pc as usize] = Inst::Pick2 { set, a, b, pre };
        }
    }
    true
}

/// Whether the path from `pc` matches whatever follows: group saves and
/// loops that may take nothing, then `Match` (`.*` at the end of a
/// pattern).
fn always_matches(insts: &[Inst], mut pc: u32) -> bool {
    for _ in 0..insts.len() {
        match insts.get(pc as usize) {
            Some(Inst::Match { look, .. }) => return look.is_none(),
            Some(Inst::Save { next, .. }) => pc = *next,
            Some(Inst::Star {
                exit, plus: false, ..
            })
            | Some(Inst::Lazy { exit, .. })
            | Some(Inst::Rep { exit, .. }) => pc = *exit,
            _ => return false,
        }
    }
    false
}

/// The bytes the path from `pc` must consume first, past group saves,
/// when it cannot get anywhere without consuming one (`None` when it can:
/// a look, a loop that may take nothing, `Match`).
fn first_consumed(insts: &[Inst], seqs: &[ByteSet], pc: u32, depth: usize) -> Option<ByteSet> {
    if depth > 16 {
        return None;
    }
    match insts.get(pc as usize)? {
        Inst::Save { next, .. } => first_consumed(insts, seqs, *next, depth + 1),
        Inst::Class { set, .. }
        | Inst::Star {
            set, plus: true, ..
        } => Some(*set),
        Inst::Seq { start, .. } => seqs.get(*start as usize).copied(),
        Inst::Sparse { trans } => {
            let mut set = [0u64; 4];
            for &(a, b, _) in trans.iter() {
                add_range(&mut set, a, b);
            }
            Some(set)
        }
        Inst::Split2 { a, b, .. } => {
            let sa = first_consumed(insts, seqs, *a, depth + 1)?;
            let sb = first_consumed(insts, seqs, *b, depth + 1)?;
            Some(std::array::from_fn(|i| sa[i] | sb[i]))
        }
        _ => None,
    }
}

/// `Split2 { a: Class(S) -> Split2 { a: Class(S) -> ... E, b: E }, b: E }`
/// (what `S{0,n}` greedy compiles to) as one `Rep`: the paths and their
/// order are the same, longest first.
fn bounded_rep(insts: &[Inst], u: usize) -> Option<Inst> {
    let Inst::Split2 { a, b: exit, .. } = insts[u] else {
        return None;
    };
    let &Inst::Class { set, next, .. } = insts.get(a as usize)? else {
        return None;
    };
    let mut next = next;
    let mut max = 1u32;
    while next != exit {
        let Inst::Split2 { a, b, .. } = insts.get(next as usize)? else {
            return None;
        };
        match insts.get(*a as usize)? {
            Inst::Class {
                set: s2, next: n2, ..
            } if *b == exit && *s2 == set && max < 64 => {
                max += 1;
                next = *n2;
            }
            _ => return None,
        }
    }
    Some(Inst::Rep {
        set,
        max,
        exit,
        guard: NO_GUARD,
        pre: NO_SAVE,
    })
}

/// Longest run of `Class` steps fused into one `Seq`.
const MAX_SEQ: usize = 32;

/// Turns every `Class` that leads straight into more `Class` steps into a
/// `Seq` of the next steps of its run (up to [`MAX_SEQ`]). The steps inside
/// the run stay reachable as they are (other states may lead into them),
/// so this changes no path, only how many dispatches one path takes. Every
/// run's byte sets are stored once, in the returned table, and each `Seq`
/// is a window on it: memory grows with the number of states, not with
/// states times [`MAX_SEQ`] (a pattern like `a{100000}` is one run of a
/// hundred thousand steps).
///
/// Each `Seq` also gets its [`SeqWords`] (the second table, indexed by the
/// `Seq`'s `words`), a fixed size per `Seq`.
fn fuse_class_runs(insts: &mut [Inst]) -> (Vec<ByteSet>, Vec<SeqWords>) {
    let class = |i: &Inst| match i {
        Inst::Class { set, next, .. } => Some((*set, *next)),
        _ => None,
    };
    // Class states that another Class leads into: not the head of a run.
    let mut inner = vec![false; insts.len()];
    for i in insts.iter() {
        if let Some((_, next)) = class(i)
            && let Some(x) = inner.get_mut(next as usize)
        {
            *x = true;
        }
    }
    let mut seqs: Vec<ByteSet> = Vec::new();
    let mut words: Vec<SeqWords> = Vec::new();
    let mut done = vec![false; insts.len()];
    let mut run: Vec<(u32, ByteSet, u32)> = Vec::new();
    // Heads first, then whatever is left (runs entered only mid-way from a
    // split: cycles through classes alone cannot match, but stay correct).
    let order = (0..insts.len())
        .filter(|&pc| !inner[pc])
        .chain((0..insts.len()).filter(|&pc| inner[pc]));
    for head in order {
        run.clear();
        let mut pc = head;
        while !done[pc]
            && let Some((set, next)) = class(&insts[pc])
        {
            done[pc] = true;
            run.push((pc as u32, set, next));
            pc = next as usize;
            if pc >= insts.len() {
                break;
            }
        }
        if run.len() < 2 {
            continue;
        }
        let base = seqs.len();
        seqs.extend(run.iter().map(|&(_, set, _)| set));
        let lits: Vec<Option<u8>> = run.iter().map(|(_, set, _)| one_of(set)).collect();
        for (i, &(pc, _, _)) in run.iter().enumerate() {
            let len = (run.len() - i).min(MAX_SEQ);
            if len > 1 {
                let start = base + i;
                insts[pc as usize] = Inst::Seq {
                    start: start as u32,
                    len: len as u32,
                    next: run[i + len - 1].2,
                    pre: NO_SAVE,
                    words: words.len() as u32,
                    star: false,
                };
                words.push(SeqWords::of(&lits[i..i + len]));
            }
        }
    }
    (seqs, words)
}

/// The bytes of a `Seq` that are one literal byte each (`netflow-sampler:`
/// in `\s+netflow-sampler:\s+`), compared eight at a time: the run is
/// covered by up to four 8-byte words (the last one overlapping the one
/// before it when the length is not a multiple of eight; one word, its
/// tail masked off, for a run shorter than eight), each compared under a
/// mask of its literal bytes; the other positions (classes such as `\s`)
/// are tested one by one. A word that would reach past the text (a run
/// near the end of a line shorter than eight bytes from its start) sends
/// the whole run to the byte-by-byte test.
#[derive(Debug, Clone)]
struct SeqWords {
    /// Per word: its offset in the run, the expected bytes and the mask
    /// of the literal ones (little-endian, as loaded).
    words: [(usize, u64, u64); MAX_SEQ / 8],
    n: usize,
    /// Bit `i`: position `i` of the run is a class of more than one byte.
    classes: u32,
}

impl SeqWords {
    /// `lits`: per position of the run, its byte when the set holds one
    /// byte only.
    fn of(lits: &[Option<u8>]) -> SeqWords {
        let len = lits.len();
        let mut classes = 0u32;
        for (i, l) in lits.iter().enumerate() {
            if l.is_none() {
                classes |= 1 << i;
            }
        }
        let mut words = [(0, 0, 0); MAX_SEQ / 8];
        let n = len.div_ceil(8);
        for (k, w) in words.iter_mut().enumerate().take(n) {
            let off = if len >= 8 { (8 * k).min(len - 8) } else { 0 };
            let (mut val, mut mask) = (0u64, 0u64);
            for (j, l) in lits[off..].iter().take(8).enumerate() {
                if let Some(b) = l {
                    val |= u64::from(*b) << (8 * j);
                    mask |= 0xff << (8 * j);
                }
            }
            *w = (off, val, mask);
        }
        SeqWords { words, n, classes }
    }

    /// Whether `run` (the first `sets.len()` bytes of `text`) matches
    /// `sets`; byte by byte when `text` is too short for a word.
    #[inline(always)]
    fn matches(&self, text: &[u8], run: &[u8], sets: &[ByteSet]) -> bool {
        for &(off, val, mask) in &self.words[..self.n] {
            let Some(w) = text.get(off..off + 8) else {
                return seq_matches(run, sets);
            };
            let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            if (w ^ val) & mask != 0 {
                return false;
            }
        }
        let mut c = self.classes;
        while c != 0 {
            let i = c.trailing_zeros() as usize;
            match (run.get(i), sets.get(i)) {
                (Some(&b), Some(set)) if has(set, b) => {}
                _ => return false,
            }
            c &= c - 1;
        }
        true
    }
}

/// The [`Guard`] of the path from `exit`: the first bytes it can consume,
/// following every empty-width step; `None` when it can match without
/// consuming (a `Match`) or passes a look other than end of text there.
fn exit_guard(insts: &[Inst], seqs: &[ByteSet], exit: u32) -> Option<Guard> {
    let mut g = Guard {
        set: [0; 4],
        end_ok: false,
        few: None,
        disjoint: false,
    };
    let mut seen = vec![false; insts.len()];
    let mut todo = vec![exit];
    let union = |g: &mut Guard, c: &ByteSet| {
        for (w, cw) in g.set.iter_mut().zip(c) {
            *w |= cw;
        }
    };
    while let Some(pc) = todo.pop() {
        let s = seen.get_mut(pc as usize)?;
        if std::mem::replace(s, true) {
            continue;
        }
        match &insts[pc as usize] {
            Inst::Class { set, .. } => union(&mut g, set),
            Inst::Seq { start, .. } => union(&mut g, &seqs[*start as usize]),
            Inst::Sparse { trans } => {
                for &(a, b, _) in trans.iter() {
                    add_range(&mut g.set, a, b);
                }
            }
            Inst::Star { set, exit, .. }
            | Inst::Lazy { set, exit, .. }
            | Inst::Rep { set, exit, .. } => {
                union(&mut g, set);
                todo.push(*exit);
            }
            // Only the end of the text passes: nothing more to consume.
            Inst::Look {
                look: Look::End, ..
            } => g.end_ok = true,
            Inst::Look { .. } | Inst::Match { .. } => return None,
            Inst::Save { next, .. } => todo.push(*next),
            Inst::Split2 { a, b, .. } | Inst::Pick2 { a, b, .. } => todo.extend([*a, *b]),
            Inst::SplitN { alts, .. } => todo.extend(alts.iter().copied()),
            Inst::Fail => {}
        }
    }
    g.few = Few::of(&g.set);
    Some(g)
}

/// Folds every `Save` into a copy of the step it leads to (that step's
/// `pre` slot): one dispatch instead of two for each group boundary. A
/// `Match` takes two (the last group's end, then the whole match's end:
/// `(.+?)$$` ends `Save, Look, Save, Match`). The step itself stays as it
/// is for the other paths into it. Repeated until nothing changes (a
/// `Save` before a `Save` fuses once the second one has). Runs last: the
/// analyses above read the unfused program.
fn fuse_saves(insts: &mut [Inst]) {
    loop {
        let mut changed = false;
        for u in 0..insts.len() {
            let Inst::Save { slot, next } = insts[u] else {
                continue;
            };
            let Some(mut fused) = insts.get(next as usize).cloned() else {
                continue;
            };
            let free = match &mut fused {
                Inst::Class { pre, .. }
                | Inst::Seq { pre, .. }
                | Inst::Star { pre, .. }
                | Inst::Rep { pre, .. }
                | Inst::Look { pre, .. }
                | Inst::Split2 { pre, .. }
                | Inst::SplitN { pre, .. }
                | Inst::Pick2 { pre, .. } => (*pre == NO_SAVE).then_some(pre),
                Inst::Match { pre, pre2, .. } => {
                    if *pre == NO_SAVE {
                        Some(pre)
                    } else {
                        (*pre2 == NO_SAVE).then_some(pre2)
                    }
                }
                // A lazy loop goes on by running its step again (see
                // `Frame::Lazy`): a save there would move the group.
                Inst::Lazy { .. } | Inst::Sparse { .. } | Inst::Save { .. } | Inst::Fail => None,
            };
            if let Some(p) = free {
                *p = slot;
                insts[u] = fused;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// Folds every look that leads into the match (`$` at the end of a
/// pattern, after [`fuse_saves`]: `Look { pre }` then `Match { pre, pre2 }`)
/// into a copy of that match, when the slots fit in its two: one dispatch
/// instead of two at the end of most rules (`\s*$$`, `(.+?)$$`).
fn fuse_look_match(insts: &mut [Inst]) {
    for u in 0..insts.len() {
        let Inst::Look { look, next, pre } = insts[u] else {
            continue;
        };
        let Some(&Inst::Match {
            pre: p1,
            pre2: p2,
            look: None,
        }) = insts.get(next as usize)
        else {
            continue;
        };
        let slots = match (pre, p1, p2) {
            (NO_SAVE, _, _) => (p1, p2),
            (x, NO_SAVE, p2) => (x, p2),
            (x, p1, NO_SAVE) => (p1, x),
            _ => continue,
        };
        insts[u] = Inst::Match {
            pre: slots.0,
            pre2: slots.1,
            look: Some(look),
        };
    }
}

/// Fuses every `Class` that leads into a `Star` of the same set (what
/// `\s+` compiles to: one byte, then the loop) into a copy of that `Star`
/// taking at least one byte: one dispatch instead of two for each `+`
/// loop. The paths are the same: the one byte, then the longest run
/// first, giving back down to none. Runs after [`fuse_saves`], so a
/// group start fused into the `Class` stays with it.
fn fuse_plus(insts: &mut [Inst]) {
    for u in 0..insts.len() {
        let Inst::Class { set, next, pre } = insts[u] else {
            continue;
        };
        if let Some(Inst::Star {
            set: s2,
            exit,
            guard,
            dot,
            pre: NO_SAVE,
            plus: false,
            span,
        }) = insts.get(next as usize)
            && *s2 == set
        {
            insts[u] = Inst::Star {
                set,
                exit: *exit,
                guard: *guard,
                dot: *dot,
                pre,
                plus: true,
                span: *span,
            };
        }
    }
}

/// The [`Lead`] of the program from `start`: past start-of-text looks and
/// group saves, a `Star` (or a `Class` leading into a `Star` of the same
/// set: `\s+`) whose guard is disjoint from its class and does not, with
/// the class, take every byte (else the test could never say no). Runs
/// before the fusions: it reads the plain steps.
fn lead(insts: &[Inst], guards: &[Guard], start: u32) -> Option<Lead> {
    let of = |set: &ByteSet, guard: u32, plus: bool| -> Option<Lead> {
        let g = guards.get(guard as usize)?;
        let every = set.iter().zip(&g.set).all(|(a, b)| a | b == u64::MAX);
        (g.disjoint && !every).then_some(Lead {
            run: *set,
            plus,
            next: g.set,
            end_ok: g.end_ok,
        })
    };
    let mut pc = start as usize;
    for _ in 0..insts.len() {
        match insts.get(pc)? {
            Inst::Look {
                look: Look::Start,
                next,
                ..
            }
            | Inst::Save { next, .. } => pc = *next as usize,
            Inst::Star { set, guard, .. } => return of(set, *guard, false),
            Inst::Class { set, next, .. } => {
                return match insts.get(*next as usize)? {
                    Inst::Star { set: s2, guard, .. } if s2 == set => of(set, *guard, true),
                    _ => None,
                };
            }
            _ => return None,
        }
    }
    None
}

/// Whether the only path from `start` is: start-of-text looks and group
/// saves, one byte of a class, group saves, `Match`.
fn one_byte(insts: &[Inst], start: u32) -> bool {
    let mut pc = start as usize;
    let mut consumed = false;
    for _ in 0..insts.len() {
        match insts.get(pc) {
            Some(Inst::Look {
                look: Look::Start,
                next,
                ..
            }) if !consumed => pc = *next as usize,
            Some(Inst::Save { next, .. }) => pc = *next as usize,
            Some(Inst::Class { next, .. }) if !consumed => {
                consumed = true;
                pc = *next as usize;
            }
            Some(Inst::Match { .. }) => return consumed,
            _ => return false,
        }
    }
    false
}

/// The bytes a match can start with, following every empty-width step from
/// `start` (look-arounds counted as passing: a superset), whether a match
/// can be empty, and whether it can be empty other than at the end of the
/// text (an empty path to `Match` that passes no end-of-text look: `^\s*$`
/// matches the empty line only, so a non-empty line must start with one
/// of its first bytes).
fn first_bytes(insts: &[Inst], seqs: &[ByteSet], start: u32) -> (ByteSet, bool, bool) {
    let mut set = [0u64; 4];
    let mut empty_ok = false;
    let mut empty_mid = false;
    // Per instruction: seen without / after an end-of-text look.
    let mut seen = vec![[false; 2]; insts.len()];
    let mut todo = vec![(start, false)];
    while let Some((pc, at_end)) = todo.pop() {
        let Some(s) = seen.get_mut(pc as usize) else {
            continue;
        };
        if std::mem::replace(&mut s[usize::from(at_end)], true) {
            continue;
        }
        match &insts[pc as usize] {
            Inst::Class { set: c, .. } => {
                for (w, cw) in set.iter_mut().zip(c) {
                    *w |= cw;
                }
            }
            Inst::Seq { start, .. } => {
                for (w, cw) in set.iter_mut().zip(&seqs[*start as usize]) {
                    *w |= cw;
                }
            }
            Inst::Sparse { trans } => {
                for &(a, b, _) in trans.iter() {
                    add_range(&mut set, a, b);
                }
            }
            Inst::Look {
                look: Look::End,
                next,
                ..
            } => todo.push((*next, true)),
            Inst::Look { next, .. } | Inst::Save { next, .. } => todo.push((*next, at_end)),
            Inst::Split2 { a, b, .. } | Inst::Pick2 { a, b, .. } => {
                todo.extend([(*a, at_end), (*b, at_end)])
            }
            Inst::SplitN { alts, .. } => todo.extend(alts.iter().map(|&a| (a, at_end))),
            Inst::Star { set: c, exit, .. }
            | Inst::Lazy { set: c, exit, .. }
            | Inst::Rep { set: c, exit, .. } => {
                for (w, cw) in set.iter_mut().zip(c) {
                    *w |= cw;
                }
                todo.push((*exit, at_end));
            }
            Inst::Match { .. } => {
                empty_ok = true;
                empty_mid |= !at_end;
            }
            Inst::Fail => {}
        }
    }
    (set, empty_ok, empty_mid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::nfa::thompson::pikevm::PikeVM;
    use regex_automata::util::syntax;
    use regex_automata::{Anchored, Input};

    fn nfa(p: &str) -> NFA {
        NFA::compiler()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(NFA::config().utf8(false))
            .build(&format!(r"\A(?:{p})"))
            .expect("pattern compiles")
    }

    /// A match's end and slots.
    type Found = Option<(usize, Vec<usize>)>;

    /// The match from the VM, and from the PikeVM as the reference.
    fn both(p: &str, hay: &[u8]) -> (Found, Found) {
        let n = nfa(p);
        let vm = Vm::new(&n);
        let (mut slots, mut stack) = (Vec::new(), Vec::new());
        let ours = vm
            .search(hay, &mut slots, &mut stack)
            .expect("within budget")
            .map(|e| (e, slots.clone()));
        if ours.is_some() {
            assert!(
                vm.may_match(hay),
                "first-byte test rejects a match of {p:?}"
            );
        }
        let pike = PikeVM::new_from_nfa(n).expect("pikevm");
        let mut cache = pike.create_cache();
        let mut caps = pike.create_captures();
        pike.search(
            &mut cache,
            &Input::new(hay).anchored(Anchored::Yes),
            &mut caps,
        );
        let theirs = caps.get_match().map(|m| {
            (
                m.end(),
                caps.slots()
                    .iter()
                    .map(|s| s.map_or(NO_POS, |v| v.get()))
                    .collect(),
            )
        });
        (ours, theirs)
    }

    #[test]
    fn same_groups_as_pikevm_on_route_lines() {
        let p = r"(?P<P>\w)(\s|(?P<F>[\*%p]))(?P<T>\w{0,2})\s+(?P<N>\d{1,3}.\d{1,3}.\d{1,3}.\d{1,3})\/(?P<L>\d{1,2})\s\[(?P<D>\d+)/(?P<M>\d+)\]\svia\s(?P<H>\d{1,3}.\d{1,3}.\d{1,3}.\d{1,3})(,\s(?P<U>\d[\w:\.]+))?(,\s(?P<I>[A-Za-z][\w\-\.:/]+))?";
        for line in [
            "O        10.1.16.0/24 [110/5] via 10.2.3.4, 1d02h, GigabitEthernet0/0/1",
            "B        10.1.16.0/24 [20/0] via 10.2.3.4, 1d02h",
            "O E2     10.1.16.0/24 [110/5] via 10.2.3.4",
            "S*       0.0.0.0/0 [1/0] via 10.0.0.1",
            "C        10.1.16.0/24 is directly connected, Vlan100",
            "O        1234.1.16.0/24 [110/5] via 10.2.3.4",
        ] {
            let (ours, theirs) = both(p, line.as_bytes());
            assert_eq!(ours, theirs, "{line}");
        }
    }

    #[test]
    fn group_saves_ride_on_the_steps_after_them() {
        // Group boundaries before alternations, looks, lazy loops and the
        // match, with backtracking through them (the chassis firmware
        // rule of the corpus, and shapes around it).
        let chassis = r"(\w+\s\w+\s\w+|\w+\s\d+?|\w+)\s+(\S+)?\s+?(.+Version\s+|.+U-Boot\s.+|.+?)(\d+\.+.+?|\S+\s+\S+)(Copy\S+$|\s+.+$|$)";
        for (p, lines) in [
            (
                chassis,
                &[
                    "FPC 1                    ROM        Juniper ROM Monitor Version 3.0b1",
                    "Forwarding engine board  ROM        Juniper ROM Monitor Version 4.1b2",
                    "System control board     ROM        Juniper ROM Monitor Version 2.0i126Copyright",
                    "FPC                      O/S        Version 15.1X49-D15 by ssd-builder on 2015",
                    "Part                     Type       Version",
                    "x",
                ][..],
            ),
            (r"((a)|(ab))((c)|(bc))", &["abc", "ac", "abbc", "x"][..]),
            (r"(x*?)(y)(z?)$", &["xxy", "xxyz", "y", "xyzz"][..]),
            (r"(\s*)$", &["", "  ", " a"][..]),
            (r"(a)(?:b|c)(d)?", &["ab", "acd", "ad"][..]),
        ] {
            for line in lines {
                let (ours, theirs) = both(p, line.as_bytes());
                assert_eq!(ours, theirs, "{p} on {line:?}");
            }
        }
        // The fusions happened: no `Save` is left where the search begins
        // or in front of the match, and the start-of-text steps are
        // skipped.
        let vm = Vm::new(&nfa(chassis));
        assert!(vm.slot0);
        assert!(!matches!(
            vm.insts[vm.run_start as usize],
            Inst::Save { .. } | Inst::Look { .. }
        ));
        assert!(vm.insts.iter().any(|i| matches!(
            i,
            Inst::Match { pre, pre2, .. } if *pre != NO_SAVE && *pre2 != NO_SAVE
        )));
        assert!(vm.insts.iter().any(|i| matches!(
            i,
            Inst::SplitN { pre, .. } if *pre != NO_SAVE
        )));
        // `$` before the match is part of it (`Copy\S+$`, `\s+.+$`, `$`).
        assert!(vm.insts.iter().any(|i| matches!(
            i,
            Inst::Match {
                look: Some(Look::End),
                ..
            }
        )));
    }

    #[test]
    fn star_gives_back_bytes_longest_first() {
        // `\d+` must give back digits for the `\d` after it.
        let (ours, theirs) = both(r"(\d+)(\d)x", b"12345x");
        assert_eq!(ours, theirs);
        let (end, slots) = ours.expect("matches");
        assert_eq!(
            (end, &slots[2..4], &slots[4..6]),
            (6, &[0, 4][..], &[4, 5][..])
        );
        // Lazy loops keep NFA order.
        let (ours, theirs) = both(r"(\d+?)(\d*)", b"12345");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn bounded_repeats_are_one_step_with_the_same_groups() {
        let p = r"(\d{1,3}).(\d{0,2})(\d)";
        let vm = Vm::new(&nfa(p));
        assert!(
            vm.insts
                .iter()
                .any(|i| matches!(i, Inst::Rep { max: 2, .. })),
            "the optional digits are a Rep: {:?}",
            vm.insts
        );
        for h in ["1.234", "123.4", "1234.567", "12.3", "1.2", "1.", "a.1"] {
            let (ours, theirs) = both(p, h.as_bytes());
            assert_eq!(ours, theirs, "{h}");
        }
    }

    #[test]
    fn looks_see_the_whole_text() {
        for (p, h) in [
            (r"(a\z|a)", &b"ab"[..]),
            (r"(\w+)\b", b"abc def"),
            (r"(a$|ab)", b"ab"),
            (r"^(x*)$", b""),
        ] {
            let (ours, theirs) = both(p, h);
            assert_eq!(ours, theirs, "{p}");
        }
    }

    #[test]
    fn first_bytes_and_empty_patterns() {
        let vm = Vm::new(&nfa(r"\s+(\d+)"));
        assert!(vm.may_match(b" 1"));
        assert!(!vm.may_match(b"x 1"));
        assert!(!vm.may_match(b""));
        let vm = Vm::new(&nfa(r"(\d*)"));
        assert!(vm.may_match(b"x"));
        assert!(vm.may_match(b""));
        // Empty only at the end of the text: a non-empty line needs a
        // first byte of the pattern.
        let vm = Vm::new(&nfa(r"\s*$"));
        assert!(vm.may_match(b""));
        assert!(vm.may_match(b"  "));
        assert!(!vm.may_match(b"x"));
        let vm = Vm::new(&nfa(r"(?:\s*$|\d*)"));
        assert!(vm.may_match(b"x"), "the second branch is empty anywhere");
        let vm = Vm::new(&nfa(r"(?:$|a)"));
        assert!(!vm.may_match(b"b"));
        assert!(vm.may_match(b"ab"));
        assert!(vm.may_match(b""));
    }

    #[test]
    fn a_leading_loop_is_tested_past_the_leading_run() {
        // Patterns that start with a loop over a class their next step
        // cannot start with get the test; a `no` from it is a line the VM
        // does not match, and it says no to lines that fail right after
        // their leading spaces.
        for (p, lead) in [
            (r"\s+Chassis ID\s+:\s+(\S+)", true),
            (r"\s*Port\s+ID:\s+(\S+)\s*$", true),
            (r"\s*$", true),
            (r"\s+(Up|Down)\s+(.*)", true),
            (r"(\s+)-\s+(\S+)", true),
            (r"\S+\s+is", false),
            (r"\s*\S+", false),
            (r"\s+\s*x", false),
            (r".*age\s+(\S+)", false),
            (r"x\s+y", false),
        ] {
            let vm = Vm::new(&nfa(p));
            let fb = vm.first_byte().expect("a first-byte test");
            assert_eq!(fb.lead.is_some(), lead, "{p}");
            for h in [
                "",
                " ",
                "   ",
                "  Chassis ID : 1",
                "  Chassis",
                "Chassis ID : 1",
                "  Port ID: e1",
                "Port ID: e1",
                "  Up 2",
                "  Down 2",
                "  5 minutes",
                "  - x",
                "-",
                " \t - y",
                "x y",
            ] {
                // Deep indents too (the run is skipped a word of spaces at
                // a time), with a tab inside or after the spaces.
                for indent in [
                    "",
                    "        ",
                    "         ",
                    "                 ",
                    "        \t ",
                    "\t        ",
                ] {
                    let h = format!("{indent}{h}");
                    let (ours, theirs) = both(p, h.as_bytes());
                    assert_eq!(ours, theirs, "{p} on {h:?}");
                    if fb.answer(h.as_bytes()) == Some(false) {
                        assert!(ours.is_none(), "{p} on {h:?}: the test says no to a match");
                    }
                }
            }
        }
        let fb = Vm::new(&nfa(r"\s+(Up|Down)\s+(.*)"))
            .first_byte()
            .expect("test");
        assert_eq!(fb.answer(b"  5 minutes input rate"), Some(false));
        assert_eq!(fb.answer(b"  Up 1"), None);
        assert_eq!(fb.answer(b"Up 1"), Some(false), "no leading space");
        assert_eq!(fb.answer(b"   "), Some(false), "the end is not an exit");
        let deep = |t: &str| format!("{}{t}", " ".repeat(21));
        assert_eq!(fb.answer(deep("5 minutes").as_bytes()), Some(false));
        assert_eq!(fb.answer(deep("Up 1").as_bytes()), None);
        assert_eq!(fb.answer(deep("").as_bytes()), Some(false));
        let fb = Vm::new(&nfa(r"\s*$")).first_byte().expect("test");
        assert_eq!(fb.answer(b"   "), None, "the end is the exit");
        assert_eq!(fb.answer(b"  x"), Some(false));
    }

    #[test]
    fn whole_line_loops_are_answered_by_the_last_byte() {
        // `^\s*$$` and `^\s+$$`: a match is the loop's class to the end, so
        // a line whose last byte is outside it is a no, whatever its start.
        for (p, whole) in [
            (r"\s*$", true),
            (r"\s+$", true),
            (r"(\s*)$", true),
            (r"\s+x", false),
            (r"\s*$x", true),
            (r"\s+(Up|Down)\s+(.*)", false),
            (r"\s*Port\s+ID:\s+(\S+)\s*$", false),
        ] {
            let fb = Vm::new(&nfa(p)).first_byte().expect("a first-byte test");
            assert_eq!(fb.whole, whole, "{p}");
            for h in ["", " ", "   ", " \t ", "  x", "  x ", "x", " x\t", "\t\t"] {
                let (ours, theirs) = both(p, h.as_bytes());
                assert_eq!(ours, theirs, "{p} on {h:?}");
                if fb.answer(h.as_bytes()) == Some(false) {
                    assert!(ours.is_none(), "{p} on {h:?}: the test says no to a match");
                }
            }
        }
        let fb = Vm::new(&nfa(r"\s*$")).first_byte().expect("test");
        assert_eq!(fb.answer(b"  x"), Some(false));
        assert_eq!(fb.answer(b" \t "), None);
        // The last byte alone: a lead that ignored it would scan the
        // leading run and answer the same; one that is wrong about it
        // says no to a match here.
        let mut no_lead = fb.clone();
        no_lead.lead.as_mut().expect("lead").next = [u64::MAX; 4];
        assert_eq!(
            no_lead.answer(b"  x"),
            Some(false),
            "answered by the last byte"
        );
        assert_eq!(no_lead.answer(b"  x "), None, "left to the lead");
    }

    #[test]
    fn one_byte_patterns_are_their_first_byte_test() {
        for (p, one) in [
            (".", true),
            ("^.", true),
            (r"(\d)", true),
            ("[ab]", true),
            ("..", false),
            (".$", false),
            ("a|b", true),
            ("a|bc", false),
            ("a*", false),
            (r"\s*$", false),
        ] {
            let vm = Vm::new(&nfa(p));
            assert_eq!(vm.is_one_byte(), one, "{p}");
            // The test copied out of the VM says what the VM says: a
            // rejection where may_match rejects (or, past a leading loop,
            // where the VM finds no match), the whole answer for a
            // one-byte pattern, nothing more otherwise.
            if let Some(fb) = vm.first_byte() {
                for h in ["", "a", "ab", "1", " x", "\n", "\u{e9}"] {
                    let h = h.as_bytes();
                    match fb.answer(h) {
                        Some(false) => assert!(
                            !vm.may_match(h) || (fb.lead.is_some() && both(p, h).0.is_none()),
                            "{p} on {h:?}"
                        ),
                        Some(true) => {
                            assert!(one, "{p}");
                            assert!(both(p, h).0.is_some(), "{p} on {h:?}");
                        }
                        None => assert!(vm.may_match(h) && (!one || h.is_empty()), "{p} on {h:?}"),
                    }
                }
            }
            if one {
                for h in ["", "a", "ab", "1", " x", "\n"] {
                    let (ours, _) = both(p, h.as_bytes());
                    assert_eq!(vm.may_match(h.as_bytes()), ours.is_some(), "{p} on {h:?}");
                }
            }
        }
    }

    #[test]
    fn exponential_patterns_report_over_budget() {
        let n = nfa(r"(a*)*b");
        let vm = Vm::new(&n);
        let hay = vec![b'a'; 40];
        let (mut slots, mut stack) = (Vec::new(), Vec::new());
        assert_eq!(vm.search(&hay, &mut slots, &mut stack), Err(OverBudget));
    }

    #[test]
    fn a_long_line_stops_at_the_frame_limit_not_the_step_budget() {
        // Every byte of the run pushes a frame (one `Split2` per iteration
        // of a loop over a group), so a 2 MB line needs more frames than
        // the limit allows long before its step budget runs out.
        // (`(?:(a)|b)*c` no longer: its paths start with disjoint bytes, and
        // it runs without frames, see `linearize`.)
        let vm = Vm::new(&nfa(r"(?:(a)|a)*c"));
        assert!(!vm.is_linear());
        let hay = vec![b'a'; 2 << 20];
        let (mut slots, mut stack) = (Vec::new(), Vec::new());
        assert_eq!(vm.search(&hay, &mut slots, &mut stack), Err(OverBudget));
        assert!(stack.len() <= MAX_FRAMES + 8, "{}", stack.len());
    }

    /// Small patterns over a small alphabet: every construct the VM has
    /// (classes, alternation, greedy and lazy loops, counted repeats,
    /// optional groups, anchors, word boundaries).
    fn pattern() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("[ab]".to_owned()),
            Just(r"\d".to_owned()),
            Just(r"\s".to_owned()),
            Just(r"\w".to_owned()),
            Just(".".to_owned()),
            Just(r"\b".to_owned()),
            Just("$".to_owned()),
        ];
        let piece = atom.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|a| format!("({a})")),
                inner.clone().prop_map(|a| format!("(?:{a})*")),
                inner.clone().prop_map(|a| format!("{a}+")),
                inner.clone().prop_map(|a| format!("{a}*?")),
                inner.clone().prop_map(|a| format!("({a})?")),
                inner.clone().prop_map(|a| format!("{a}{{1,3}}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}|{b})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("{a}{b}")),
            ]
        });
        proptest::collection::vec(piece, 1..5).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
        #[test]
        fn vm_agrees_with_pikevm(p in pattern(), hay in "[ab1 .]{0,12}") {
            let n = nfa(&p);
            let vm = Vm::new(&n);
            let (mut slots, mut stack) = (Vec::new(), Vec::new());
            // Over budget is allowed (the caller falls back); a result must
            // be the PikeVM's.
            if vm.search(hay.as_bytes(), &mut slots, &mut stack).is_ok() {
                let (ours, theirs) = both(&p, hay.as_bytes());
                prop_assert_eq!(ours, theirs, "pattern {:?} text {:?}", p, hay);
            }
        }

        /// Template-like patterns (literal words, `\s+`, `(\S+)`, optional
        /// groups) on texts made of the same words and near misses: long
        /// literal runs compared as words, `+` loops fused with their
        /// first byte.
        #[test]
        fn vm_agrees_with_pikevm_on_field_lines(
            p in proptest::collection::vec(prop_oneof![
                Just("name:"), Just(r"\s+"), Just(r"(\S+)"), Just(r"\s"),
                Just("netflow-sampler:"), Just(r"(\d+)"), Just(r"(x:\s+\S+\s+)?"),
                Just(r"\s*"), Just("$"), Just(r"(\w+)"), Just("ab"),
            ], 1..10).prop_map(|v| v.concat()),
            hay in proptest::collection::vec(prop_oneof![
                Just("name:"), Just(" "), Just("   "), Just("\t"), Just("netflow-sampler:"),
                Just("netflow-sampler;"), Just("netflow_sampler:"), Just("12"), Just("x: y "),
                Just("ab"), Just("a"), Just("nam:"),
            ], 0..14).prop_map(|v| v.concat()),
        ) {
            let n = nfa(&p);
            let vm = Vm::new(&n);
            let (mut slots, mut stack) = (Vec::new(), Vec::new());
            if vm.search(hay.as_bytes(), &mut slots, &mut stack).is_ok() {
                let (ours, theirs) = both(&p, hay.as_bytes());
                prop_assert_eq!(ours, theirs, "pattern {:?} text {:?}", p, hay);
            }
        }

        /// Lines past `LONG_SPAN`, where `.` loops jump with `memchr` to
        /// their exit's bytes (`\n` inside stops a `.` run).
        #[test]
        fn vm_agrees_with_pikevm_on_long_lines(
            p in pattern(),
            tail in prop_oneof![Just("a"), Just("b1"), Just(" ab"), Just(".$")],
            hay in "[ab1 .\n]{30,90}",
        ) {
            let p = format!("{p}.*{tail}");
            let n = nfa(&p);
            let vm = Vm::new(&n);
            let (mut slots, mut stack) = (Vec::new(), Vec::new());
            if vm.search(hay.as_bytes(), &mut slots, &mut stack).is_ok() {
                let (ours, theirs) = both(&p, hay.as_bytes());
                prop_assert_eq!(ours, theirs, "pattern {:?} text {:?}", p, hay);
            }
        }
    }

    /// The backtracking search of a program, with its `Pick2` steps put
    /// back as the `Split2` they were.
    fn backtracking(vm: &Vm) -> Vm {
        let mut bt = vm.clone();
        bt.linear = false;
        for i in &mut bt.insts {
            if let Inst::Pick2 { a, b, pre, .. } = *i {
                *i = Inst::Split2 { a, b, pre };
            }
        }
        bt
    }

    /// The word tests of a loop's run against a byte-by-byte walk, for
    /// sets of each span (and the exact edges of their tests: `!`, `~`,
    /// DEL, a tab), on texts of every length up to 40 from every start,
    /// and which classes get which span.
    #[test]
    fn loop_runs_skip_words_as_a_byte_walk_does() {
        fn set_of(f: impl Fn(u8) -> bool) -> ByteSet {
            let mut s = [0u64; 4];
            for b in 0..=255u8 {
                if f(b) {
                    add_range(&mut s, b, b);
                }
            }
            s
        }
        let not_space = set_of(|b| !b" \t\n\x0b\x0c\r".contains(&b));
        let dot = set_of(|b| b != b'\n');
        let graphic = set_of(|b| (0x21..=0x7e).contains(&b));
        let space = set_of(|b| b == b' ');
        let blank = set_of(|b| b" \t".contains(&b));
        let digit = set_of(|b| b.is_ascii_digit());
        let no_comma = set_of(|b| b != b',');
        assert_eq!(Span::of(&not_space), Span::Graphic);
        assert_eq!(Span::of(&dot), Span::Graphic);
        assert_eq!(Span::of(&graphic), Span::Graphic);
        assert_eq!(Span::of(&space), Span::Spaces);
        assert_eq!(Span::of(&blank), Span::Spaces);
        assert_eq!(Span::of(&digit), Span::Bytes);
        assert_eq!(Span::of(&no_comma), Span::Bytes);
        assert_eq!(Span::of(&set_of(|b| b == b'\t')), Span::Bytes);
        let alphabet = [
            b' ', b' ', b' ', b'a', b'!', b'~', 0x7f, 0x20, 0x1f, b'\t', 0x80, 0xa0, 0xff, b'\n',
            b'5',
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..4000 {
            let len = (seed % 41) as usize;
            let mut hay = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Long runs of one byte as often as mixed ones.
                let b = alphabet[(seed % alphabet.len() as u64) as usize];
                let n = if seed & 0x100 != 0 {
                    1
                } else {
                    1 + (seed >> 9) as usize % 12
                };
                hay.extend(std::iter::repeat_n(b, n));
            }
            hay.truncate(len);
            for set in [
                &not_space, &dot, &graphic, &space, &blank, &digit, &no_comma,
            ] {
                for at in 0..=hay.len() {
                    let want = at + hay[at..].iter().take_while(|&&b| has(set, b)).count();
                    assert_eq!(
                        run_end(set, Span::of(set), &hay, at),
                        want,
                        "{hay:?} from {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn programs_that_never_backtrack_run_without_frames() {
        for p in [
            r"\s+\d+\s+\S+\s+(in|out)put\s+rate",
            r"\s+(Sent|Received)\s+\d+\s+broadcasts,",
            r"\S+\s+(\S+?)\s+\S+\s+([1-9]\d*).*",
            r"\s+(\S+)\s+(yes|no)\s+(\S+)\s+(\S+)\s+(\S+)\s*$",
            r"Status:\s+(\S+)\s*$",
            r"\s+Last\s+clearing",
            r"\s*$",
            r"x(\s+\w+)?,",
            r"(\d{1,3})\.(\d+)",
        ] {
            assert!(Vm::new(&nfa(p)).is_linear(), "{p}");
        }
        for p in [
            r"\S+\s+is\s+\S+(\s+\S+)?,",
            r"(\d+)(\d)x",
            r"(a|\w)c",
            r"\s+(Up|Down)\s+(.*)\s+x",
            r"a(\b|c)",
        ] {
            assert!(!Vm::new(&nfa(p)).is_linear(), "{p}");
        }
        // Same matches and groups as the backtracking search and the
        // PikeVM, near misses included.
        let lines: &[&[u8]] = &[
            b"  5 minutes input rate 14.3 kbps (0.0% with framing overhead)",
            b"  5 minutes output rate 6.34 kbps",
            b"  5 minutes outpt rate 6.34 kbps",
            b"     Received 66320 broadcasts, 136323 multicast",
            b"     Sent 805 broadcasts, 1244 multicast",
            b"     Sent 805 broadcast",
            b"Interface Ethernet1 detected 1 LLDP neighbors:",
            b"Interface Ethernet1 detected 0 LLDP neighbors:",
            b"Interface Ethernet1 detected 10 LLDP neighbors:",
            b"  ethernet1/19          yes  Current        Tx_Rx      Selected",
            b"  ethernet1/19          yes  Current        Tx_Rx      Selected  ",
            b"  ethernet1/19          maybe  Current        Tx_Rx      Selected",
            b"Status:           Enabled",
            b"Status:           Enabled  x",
            b"  Last clearing of",
            b"",
            b"   ",
            b"x,",
            b"x a,",
            b"x a b,",
            b"12.345",
            b"1234.5",
        ];
        for p in [
            r"\s+\d+\s+\S+\s+(in|out)put\s+rate",
            r"\s+(Sent|Received)\s+\d+\s+broadcasts,",
            r"\S+\s+(\S+?)\s+\S+\s+([1-9]\d*).*",
            r"\s+(\S+)\s+(yes|no)\s+(\S+)\s+(\S+)\s+(\S+)\s*$",
            r"Status:\s+(\S+)\s*$",
            r"\s+Last\s+clearing",
            r"\s*$",
            r"x(\s+\w+)?,",
            r"(\d{1,3})\.(\d+)",
        ] {
            let vm = Vm::new(&nfa(p));
            let bt = backtracking(&vm);
            for &hay in lines {
                let (mut s1, mut s2, mut stack) = (Vec::new(), Vec::new(), Vec::new());
                let linear = vm.search_linear(hay, &mut s1).map(|e| (e, s1.clone()));
                let backtracked = bt
                    .search(hay, &mut s2, &mut stack)
                    .expect("within budget")
                    .map(|e| (e, s2.clone()));
                assert_eq!(
                    linear,
                    backtracked,
                    "{p} on {:?}",
                    String::from_utf8_lossy(hay)
                );
                let (ours, theirs) = both(p, hay);
                assert_eq!(ours, theirs, "{p} on {:?}", String::from_utf8_lossy(hay));
            }
        }
    }

    #[test]
    fn plus_loops_are_one_step_with_the_same_groups() {
        let p = r"name:\s+(\S+)\s+(mode:\s+(\S+)\s+)?ip:\s*(\d+)";
        let vm = Vm::new(&nfa(p));
        assert!(
            vm.insts
                .iter()
                .any(|i| matches!(i, Inst::Star { plus: true, pre, .. } if *pre != NO_SAVE)),
            "(\\S+) is one step that saves its group start: {:?}",
            vm.insts
        );
        assert!(
            vm.insts
                .iter()
                .any(|i| matches!(i, Inst::Seq { star: true, .. })),
            "`mode:\\s+` is one step: {:?}",
            vm.insts
        );
        for h in [
            "name: wan   mode: static    ip: 10",
            "name: wan   ip: 10",
            "name: wan   mode:  ip: 10",
            "name: wan   mode: x ip:",
            "name:wan ip: 1",
            "name: ",
            "name: a",
            "name: a ",
            "name: a\tip:7",
        ] {
            let (ours, theirs) = both(p, h.as_bytes());
            assert_eq!(ours, theirs, "{h}");
        }
        // A literal run that leads into a `+` loop: the loop still takes
        // a byte.
        for h in ["abx", "abyx", "ab x", "abyyx", "ab"] {
            let (ours, theirs) = both(r"ab(\S+)x", h.as_bytes());
            assert_eq!(ours, theirs, "{h}");
        }
    }

    #[test]
    fn literal_runs_compare_as_words() {
        // Runs of 2 to 32 steps, literal bytes and classes mixed, on texts
        // that differ from them at every position.
        let p = r"(\s+netflow-sampler:\s+)(\S+)(\s+abcdefghijklmnopqrstuvwxyz012345)?(ab\sc)";
        let vm = Vm::new(&nfa(p));
        assert!(
            vm.insts
                .iter()
                .any(|i| matches!(i, Inst::Seq { len: 32, .. })),
            "a run of 32 steps: {:?}",
            vm.insts
        );
        let good = " netflow-sampler:  on abcdefghijklmnopqrstuvwxyz012345ab c";
        assert!(both(p, good.as_bytes()).0.is_some());
        for at in 0..good.len() {
            for b in [b'x', b' ', b'\t', b'a'] {
                let mut h = good.as_bytes().to_vec();
                h[at] = b;
                for cut in [h.len(), h.len() - 1, at + 1, at + 7] {
                    let h = &h[..cut.min(h.len())];
                    let (ours, theirs) = both(p, h);
                    assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(h));
                }
            }
        }
    }

    #[test]
    fn dot_loops_find_their_exit_bytes_on_long_lines() {
        let long = "x".repeat(70);
        let lines = [
            format!("  - System Description: \"{long}\""),
            format!("  - System Description: \"{long}"),
            format!("{long} System Description: \"a\" and System Description: \"b\""),
            format!("{long}\nSystem Description: \"a\""),
            format!("System Description: \"{long}\n\""),
            format!("{long} age 12 seconds {long}"),
            format!("{long} age 12"),
            format!("FPC 1     ROM   Juniper ROM Monitor Version 3.0b1 {long}"),
            long.clone(),
            String::new(),
        ];
        for p in [
            r#".*System Description:\s+"(.+?)("|$)"#,
            r#"(.*?)Description:\s+"(.+?)""#,
            r".*age\s+(.+?)$",
            r"(.+Version\s+|.+U-Boot\s.+|.+?)(\d+\.+.+?|\S+\s+\S+)(Copy\S+$|\s+.+$|$)",
            r"(.*)(x|S)(.*)",
            r"(.*?)(ab|y)",
        ] {
            let vm = Vm::new(&nfa(p));
            assert!(
                vm.insts.iter().any(|i| matches!(
                    i,
                    Inst::Star { dot: true, .. } | Inst::Lazy { dot: true, .. }
                )),
                "{p} has a dot loop"
            );
            for line in &lines {
                let (ours, theirs) = both(p, line.as_bytes());
                assert_eq!(ours, theirs, "{p} on {line:?}");
            }
        }
    }
}
