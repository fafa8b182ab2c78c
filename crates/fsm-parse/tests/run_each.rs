//! `Template::run_each` against `Template::run`: the same rows, in the same
//! order, with the same values, and the same errors, on every recorded case
//! of the corpus, on the long generated inputs of `large_input.rs`, and on
//! random templates mixing `Filldown`, `Fillup`, `List`, `Required` and
//! `Key` (`run` itself is compared with Python textfsm elsewhere:
//! `differential.rs`, `large_input.rs`, `ntc_corpus.rs`).

mod common;

use common::{SWING_TEMPLATE, corpus, raw_files, route_template, route_text, swing_text};
use fsm_parse::{Index, Record, RowRef, RunError, Template, ValueRef};
use proptest::prelude::*;

/// What `run_each` handed out: owned copies of the rows, and the result.
fn each(t: &Template, input: &str) -> (Vec<Record>, Result<(), RunError>) {
    let mut rows = Vec::new();
    let res = t.run_each(input, |row: RowRef<'_>| {
        // The borrowed view and its owned copy agree value by value.
        let rec = row.to_record();
        assert_eq!(row, rec);
        assert_eq!(row.len(), rec.values().len());
        for (i, v) in rec.values().iter().enumerate() {
            assert_eq!(row.value(i), Some(ValueRef::from(v)));
            assert_eq!(row.get(&rec.header()[i]).map(|x| x == *v), Some(true));
        }
        rows.push(rec);
    });
    (rows, res)
}

/// `run_each` gives exactly what `run` gives, or the same error. Returns
/// the number of rows.
fn same(t: &Template, input: &str, what: &str) -> usize {
    let want = t.run(input);
    let (got, res) = each(t, input);
    match want {
        Ok(want) => {
            assert_eq!(res, Ok(()), "{what}: run succeeded, run_each failed");
            assert_eq!(got.len(), want.len(), "{what}: row count");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{what}: row {i}");
            }
            want.len()
        }
        Err(e) => {
            // The rows handed out before the failing line are checked in
            // `fillup_rows_are_held_until_final` and `rows_go_out_as_recorded`.
            assert_eq!(res, Err(e), "{what}: the error");
            0
        }
    }
}

fn has_fillup(t: &Template) -> bool {
    !t.values_with_option("Fillup").is_empty()
}

#[test]
fn every_recorded_case_gives_the_rows_of_run() {
    let root = corpus();
    let idx = Index::load(root.join("templates")).expect("index loads");
    let mut raws = Vec::new();
    raw_files(&root.join("tests"), &mut raws);
    assert_eq!(raws.len(), 368, "the sample holds 368 cases");
    let (mut rows, mut runs, mut with_fillup, mut with_list) = (0, 0, 0, 0);
    for raw in &raws {
        let rel = raw.strip_prefix(root.join("tests")).expect("under tests");
        let mut parts = rel.iter().map(|s| s.to_string_lossy().into_owned());
        let platform = parts.next().expect("platform dir");
        let command = parts.next().expect("command dir").replace('_', " ");
        let input = String::from_utf8_lossy(&std::fs::read(raw).expect("raw")).into_owned();
        let row = idx
            .find(&platform, &command)
            .unwrap_or_else(|| panic!("{}: no template in the index", rel.display()));
        for name in row.templates.split(':') {
            let t = idx.template(name).expect("template compiles");
            let n = same(&t, &input, &format!("{} with {name}", rel.display()));
            rows += n;
            runs += 1;
            if has_fillup(&t) {
                with_fillup += n;
            }
            if !t.values_with_option("List").is_empty() {
                with_list += n;
            }
        }
    }
    assert!(runs >= 368, "{runs} template runs");
    assert!(rows > 1000, "thousands of rows compared, got {rows}");
    // The corpus exercises the held (Fillup) path and List values too.
    assert!(with_fillup > 0, "no Fillup template in the corpus runs");
    assert!(with_list > 100, "List rows: {with_list}");
}

#[test]
fn long_generated_inputs_give_the_rows_of_run() {
    let t = Template::parse(&route_template()).expect("compiles");
    let text = route_text(120);
    assert!(text.lines().count() > 1000, "long enough to adapt");
    assert!(same(&t, &text, "route_text(120)") > 900);
    let t = Template::parse(SWING_TEMPLATE).expect("compiles");
    assert!(same(&t, &swing_text(), "swing_text") > 400);
}

/// Fillup rows wait until nothing can change them; other rows go out at
/// once. Seen through an `Error` that stops the run: rows already handed
/// out are all the callback ever gets.
#[test]
fn fillup_rows_are_held_until_final() {
    // B is Fillup: "b x" fills B into every earlier row still without B.
    let t = Template::parse(
        "Value A (\\d+)\nValue Fillup B (\\w+)\n\nStart\n  ^a ${A} -> Record\n  ^b ${B} -> Record\n  ^fill ${B}\n  ^stop -> Error\n",
    )
    .expect("compiles");
    // Rows: [1,""], [2,""], then "b x" records ["",x] after filling x
    // into rows 1 and 2; [3,""] waits for a later B.
    let (got, res) = each(&t, "a 1\na 2\nb x\na 3\nstop\n");
    assert!(matches!(res, Err(RunError::Action { input_line: 5, .. })));
    let got: Vec<Vec<String>> = got
        .iter()
        .map(|r| r.values().iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(
        got,
        [["1", "x"], ["2", "x"], ["", "x"]].map(|r| r.map(String::from).to_vec())
    );
    // A Fillup assignment without a Record also makes rows final: here
    // "fill y" fills rows 1 and 2, which go out before the error.
    let (got, res) = each(&t, "a 1\na 2\nfill y\nstop\n");
    assert!(matches!(res, Err(RunError::Action { input_line: 4, .. })));
    let got: Vec<String> = got.iter().map(|r| format!("{:?}", r.values())).collect();
    assert_eq!(got, [r#"[Str("1"), Str("y")]"#, r#"[Str("2"), Str("y")]"#]);
    // Without the error, the held row comes out at the end, as run has it.
    let (got, res) = each(&t, "a 1\na 2\nb x\na 3\n");
    assert_eq!(res, Ok(()));
    assert_eq!(got, t.run("a 1\na 2\nb x\na 3\n").expect("runs"));
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].get("B").and_then(|v| v.as_str()), Some(""));
}

/// Without Fillup every row goes out the moment it is recorded.
#[test]
fn rows_go_out_as_recorded() {
    let t = Template::parse(
        "Value Filldown IF (\\S+)\nValue Required IP (\\S+)\n\nStart\n  ^interface ${IF}\n  ^ ip ${IP} -> Record\n  ^stop -> Error \"stopped\"\n",
    )
    .expect("compiles");
    let (got, res) = each(
        &t,
        "interface e0\n ip 1\n ip 2\ninterface e1\n ip 3\nstop\n ip 4\n",
    );
    let e = res.expect_err("the Error rule fires");
    assert_eq!(e.input_line(), 6);
    let got: Vec<(String, String)> = got
        .iter()
        .map(|r| (r.values()[0].to_string(), r.values()[1].to_string()))
        .collect();
    assert_eq!(
        got,
        [("e0", "1"), ("e0", "2"), ("e1", "3")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

/// List values come out as the items `run` collects, named groups included,
/// and rows serialise exactly as records do.
#[test]
fn list_values_and_serialisation_match_records() {
    let t = Template::parse(
        "Value Key NAME (\\S+)\nValue List MEMBERS ((?P<port>\\S+)\\((?P<state>\\w)\\))\nValue List,Required VLANS (\\d+)\n\nStart\n  ^group ${NAME} -> Continue\n  ^.*\\s${MEMBERS} -> Continue\n  ^vlan ${VLANS}\n  ^end -> Record\n",
    )
    .expect("compiles");
    let input = "group g1 Gi0/1(P)\nvlan 10\nvlan 20\nend\ngroup g2 Gi0/2(D)\nend\ngroup g3 x Gi0/3(P)\nvlan 30\nend\n";
    let want = t.run(input).expect("runs");
    assert_eq!(want.len(), 2, "g2 has no VLANS (Required)");
    let mut json = Vec::new();
    let mut text = Vec::new();
    t.run_each(input, |row| {
        json.push(serde_json::to_string(&row).expect("serialises"));
        text.push(row.values().map(|v| v.to_string()).collect::<Vec<_>>());
    })
    .expect("runs");
    let want_json: Vec<String> = want
        .iter()
        .map(|r| serde_json::to_string(r).expect("serialises"))
        .collect();
    assert_eq!(json, want_json);
    assert_eq!(
        json[0],
        r#"{"NAME":"g1","MEMBERS":[{"port":"Gi0/1","state":"P"}],"VLANS":["10","20"]}"#
    );
    let want_text: Vec<Vec<String>> = want
        .iter()
        .map(|r| r.values().iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(text, want_text);
    assert_eq!(text[1][2], "['30']");
}

/// Value options for the random templates (single and combined, in both
/// orders where the order matters to Python).
const OPTIONS: &[&str] = &[
    "",
    "",
    "Filldown ",
    "Fillup ",
    "Required ",
    "List ",
    "Key ",
    "Filldown,Required ",
    "Required,List ",
    "List,Required ",
    "List,Filldown ",
    "Fillup,Required ",
    "Fillup,Key ",
    "Filldown,Fillup ",
];

/// Value patterns: one can match empty, one has named groups (a List value
/// of it can fail the way Python raises TypeError).
const PATTERNS: &[&str] = &["(\\d+)", "(\\w+)", "([a-c]*)", "((?P<l>[a-c])(?P<d>\\d)?)"];

/// Rules over values A-D (index into `RULES`), with every record action.
const RULES: &[&str] = &[
    "  ^${A}\\s+${B} -> Record",
    "  ^${A} -> Continue",
    "  ^x\\s*${C} -> Continue.Record",
    "  ^${D}$$ -> Clear",
    "  ^q -> Clearall",
    "  ^e9 -> Error \"nine\"",
    "  ^n -> Next.Record",
    "  ^$$ -> Record",
    "  ^${B}\\s+${C}\\s+${D}",
    "  ^s -> Other",
    "  ^f\\s+${C} -> Record Other",
    "  ^z -> End",
];

/// A random template: four values with random options and patterns, a
/// Start state and an `Other` state made of random rules, maybe an `EOF`
/// state.
fn template() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((0..OPTIONS.len(), 0..PATTERNS.len()), 4),
        proptest::collection::vec(0..RULES.len(), 1..7),
        proptest::collection::vec(0..RULES.len(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(vals, start, other, eof)| {
            let mut t = String::new();
            for (name, (o, p)) in ["A", "B", "C", "D"].iter().zip(vals) {
                t.push_str(&format!("Value {}{name} {}\n", OPTIONS[o], PATTERNS[p]));
            }
            t.push_str("\nStart\n");
            for r in start {
                t.push_str(RULES[r]);
                t.push('\n');
            }
            t.push_str("  ^back -> Start\n\nOther\n");
            for r in other {
                // `-> Other` inside Other is fine; `-> Start` returns.
                t.push_str(&RULES[r].replace("Other", "Start"));
                t.push('\n');
            }
            t.push_str("  ^.* -> Start\n");
            if eof {
                t.push_str("\nEOF\n");
            }
            t
        })
}

/// Input lines built from tokens the rules look for.
fn input() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("12"),
        Just("7"),
        Just("ab"),
        Just("b3"),
        Just("c"),
        Just("x"),
        Just("q"),
        Just("n"),
        Just("s"),
        Just("f"),
        Just("e9"),
        Just("z"),
        Just("back"),
        Just(""),
    ];
    let line = proptest::collection::vec(token, 0..5).prop_map(|v| v.join(" "));
    proptest::collection::vec(line, 0..30).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_templates_give_the_rows_of_run(t in template(), input in input()) {
        let tpl = Template::parse(&t);
        prop_assume!(tpl.is_ok(), "template rejected: {:?}", tpl.err());
        let tpl = tpl.expect("checked");
        same(&tpl, &input, &format!("template:\n{t}\ninput:\n{input}"));
    }

    /// Arbitrary and truncated bytes on corpus templates with Fillup, List
    /// and Filldown values: no panic, and still the rows of `run`.
    #[test]
    fn arbitrary_input_gives_the_rows_of_run(bytes in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
        let text = String::from_utf8_lossy(&bytes[..cut.min(bytes.len())]).into_owned();
        for t in held_templates() {
            same(t, &text, "arbitrary bytes");
        }
    }
}

/// Corpus templates with a Fillup, a List with named groups, Filldown.
fn held_templates() -> &'static [Template] {
    static T: std::sync::OnceLock<Vec<Template>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let dir = corpus().join("templates");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("templates").flatten() {
            let p = entry.path();
            if p.extension().is_none_or(|e| e != "textfsm") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("template");
            if text.contains("Fillup") && out.len() < 3 {
                out.push(Template::parse(&text).expect("compiles"));
            }
        }
        out.push(
            Template::parse(
                &std::fs::read_to_string(dir.join("juniper_junos_show_interfaces.textfsm"))
                    .expect("template"),
            )
            .expect("compiles"),
        );
        out
    })
}

/// List items are reused from row to row: a Filldown List keeps its items
/// across Record, Clearall empties it, and a shorter list after a longer
/// one shows only its own items (Python: `_value` is `[]` after Clearall,
/// Filldown does not touch it on Clear).
#[test]
fn list_items_reused_across_rows_show_only_their_own() {
    let t = Template::parse(
        "Value Filldown,List L (\\w+)\nValue A (\\d+)\n\nStart\n  ^l ${L}\n  ^a ${A} -> Record\n  ^reset -> Clearall\n",
    )
    .expect("compiles");
    let input = "l x\nl y\nl z\na 1\nreset\nl w\na 2\nl v\n";
    let want = [
        ("['x', 'y', 'z']", "1"),
        ("['w']", "2"),
        // The implicit EOF record: the Filldown list plus the new item.
        ("['w', 'v']", ""),
    ]
    .map(|(l, a)| (l.to_owned(), a.to_owned()));
    let run: Vec<(String, String)> = t
        .run(input)
        .expect("runs")
        .iter()
        .map(|r| (r.values()[0].to_string(), r.values()[1].to_string()))
        .collect();
    assert_eq!(run, want);
    let mut each = Vec::new();
    t.run_each(input, |r| {
        let v: Vec<String> = r.values().map(|v| v.to_string()).collect();
        each.push((v[0].clone(), v[1].clone()));
    })
    .expect("runs");
    assert_eq!(each, want);
}
