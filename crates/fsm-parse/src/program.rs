//! A compiled template as the engine runs it: the values with their
//! options, the states with their rules. Built by
//! [`Template::parse`](crate::Template::parse), read by the engine
//! ([`crate::engine`]) and the borrowed rows ([`crate::row`]); it imports
//! neither.

use std::sync::{Arc, OnceLock};

use crate::sig::Sig;

use crate::pyre::PyRegex;

/// Everything a run reads from a template.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub(crate) values: Vec<ValueDef>,
    pub(crate) header: Arc<[String]>,
    pub(crate) states: Vec<State>,
    pub(crate) start: usize,
    /// An `EOF` state is declared: no implicit record at end of input.
    pub(crate) has_eof_state: bool,
}

/// The options of a `Value`, in the order they were declared (the order
/// matters: Python runs each option's hooks in declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opt {
    Required,
    Filldown,
    Fillup,
    Key,
    List,
}

impl Opt {
    pub(crate) fn parse(name: &str) -> Option<Opt> {
        Some(match name {
            "Required" => Opt::Required,
            "Filldown" => Opt::Filldown,
            "Fillup" => Opt::Fillup,
            "Key" => Opt::Key,
            "List" => Opt::List,
            _ => return None,
        })
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Opt::Required => "Required",
            Opt::Filldown => "Filldown",
            Opt::Fillup => "Fillup",
            Opt::Key => "Key",
            Opt::List => "List",
        }
    }
}

/// One `Value` declaration.
#[derive(Debug, Clone)]
pub(crate) struct ValueDef {
    pub(crate) name: String,
    pub(crate) regex: String,
    pub(crate) options: Vec<Opt>,
    /// For `List` values: the value's own regex, to split named groups.
    pub(crate) list_regex: Option<PyRegex>,
}

impl ValueDef {
    pub(crate) fn has(&self, o: Opt) -> bool {
        self.options.contains(&o)
    }

    /// A `List` value (only those compile their own regex).
    #[inline]
    pub(crate) fn is_list(&self) -> bool {
        self.list_regex.is_some()
    }
}

/// The line operator of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineOp {
    Next,
    Continue,
    Error,
}

/// The record operator of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordOp {
    NoRecord,
    Record,
    Clear,
    Clearall,
}

/// Where a rule goes after a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewState {
    Stay,
    State(usize),
    End,
    Eof,
}

/// One rule of a state.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) regex: PyRegex,
    /// (group index, value index) for every named group that is a Value, in
    /// group order (Python's `groupdict()` order).
    pub(crate) assigns: Vec<(usize, usize)>,
    pub(crate) line_op: LineOp,
    pub(crate) record_op: RecordOp,
    pub(crate) new_state: NewState,
    /// The `Error` message (the new-state word, quotes included), if any.
    pub(crate) error_msg: Option<String>,
    /// 1-based template line.
    pub(crate) line_num: usize,
}

/// A named state and its rules.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) name: String,
    pub(crate) rules: Vec<Rule>,
    /// All the rules' ASCII forms in one `RegexSet`, built the first time a
    /// run spends enough lines in this state (`None` inside: it could not
    /// be built, every rule runs on its own).
    pub(crate) set: OnceLock<Option<RuleSet>>,
    /// How a line's fold bits are found for these rules' literal tests.
    pub(crate) sig: Sig,
}

/// One scan of an ASCII line says which rules of a state can match it.
#[derive(Debug, Clone)]
pub(crate) struct RuleSet {
    pub(crate) set: regex::bytes::RegexSet,
    /// Per rule: its pattern index in `set` (`None`: no ASCII form, always
    /// tried), and whether a set hit is exact (`false` for the prefilter of
    /// a fancy pattern).
    pub(crate) members: Vec<Option<(usize, bool)>>,
}

impl State {
    /// The state's [`RuleSet`], built on first call.
    pub(crate) fn rule_set(&self) -> Option<&RuleSet> {
        self.set
            .get_or_init(|| {
                let mut pats = Vec::new();
                let members = self
                    .rules
                    .iter()
                    .map(|r| {
                        r.regex.set_source().map(|(src, exact)| {
                            pats.push(src);
                            (pats.len() - 1, exact)
                        })
                    })
                    .collect();
                if pats.len() < 2 {
                    return None;
                }
                let set = regex::bytes::RegexSetBuilder::new(pats)
                    .unicode(false)
                    .size_limit(64 << 20)
                    .dfa_size_limit(16 << 20)
                    .build()
                    .ok()?;
                Some(RuleSet { set, members })
            })
            .as_ref()
    }
}
