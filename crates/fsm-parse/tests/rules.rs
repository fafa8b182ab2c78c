//! One test per rule of the TextFSM language, with the cases engines get
//! wrong (see `shared/notes/textfsm.md`). Every expectation follows from
//! the semantics of Python TextFSM 2.1's `ParseText`, spelled out in the
//! comment of each test.

use fsm_parse::{ListItem, RunError, Template, Value};

/// Rows as strings (List values shown as Python prints them).
fn rows(template: &str, input: &str) -> Vec<Vec<String>> {
    let t = Template::parse(template).unwrap_or_else(|e| panic!("template: {e}"));
    t.run(input)
        .unwrap_or_else(|e| panic!("run: {e}"))
        .iter()
        .map(|r| r.values().iter().map(ToString::to_string).collect())
        .collect()
}

fn s(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect()
}

#[test]
fn implicit_eof_record() {
    // No Record action at all: the EOF state records the current row.
    let t = "Value A (\\d+)\n\nStart\n  ^a ${A}\n";
    assert_eq!(rows(t, "a 1\na 2\n"), s(&[&["2"]]));
}

#[test]
fn explicit_empty_eof_state_suppresses_the_implicit_record() {
    let t = "Value A (\\d+)\n\nStart\n  ^a ${A}\n\nEOF\n";
    assert!(rows(t, "a 1\na 2\n").is_empty());
    // But an explicit Record still records.
    let t = "Value A (\\d+)\n\nStart\n  ^a ${A} -> Record\n\nEOF\n";
    assert_eq!(rows(t, "a 1\na 2\n"), s(&[&["1"], &["2"]]));
}

#[test]
fn end_state_stops_without_the_eof_record() {
    let t = "Value A (\\d+)\n\nStart\n  ^a ${A}\n  ^stop -> End\n";
    // The pending row holding A=1 is dropped; lines after End are ignored.
    assert!(rows(t, "a 1\nstop\na 2\n").is_empty());
}

#[test]
fn new_state_eof_ends_input_then_records() {
    // "-> EOF" behaves like End for the rest of the input, then the implicit
    // EOF record applies (no EOF state is declared).
    let t = "Value A (\\d+)\n\nStart\n  ^a ${A}\n  ^stop -> EOF\n";
    assert_eq!(rows(t, "a 1\nstop\na 2\n"), s(&[&["1"]]));
}

#[test]
fn clear_keeps_filldown_clearall_does_not() {
    let t = "Value Filldown F (\\S+)\nValue V (\\S+)\n\nStart\n  ^f ${F}\n  ^v ${V}\n  ^clear -> Clear\n  ^all -> Clearall\n  ^rec -> Record\n";
    // After Clear, F survives and V is gone; after Clearall both are gone,
    // and an all-empty row is not recorded.
    assert_eq!(
        rows(t, "f x\nv 1\nclear\nrec\nv 2\nall\nrec\n"),
        s(&[&["x", ""]])
    );
}

#[test]
fn all_empty_rows_are_not_recorded_but_empty_strings_are() {
    let t = "Value A (\\S*)\nValue List L (\\S+)\n\nStart\n  ^rec -> Record\n  ^a:${A} -> Record\n";
    // "rec" with nothing set: every value None or [] -> skipped.
    // "a:" sets A to "" (a match of an empty group is not None): recorded.
    assert_eq!(rows(t, "rec\na:\n"), s(&[&["", "[]"]]));
}

#[test]
fn trailing_carriage_return_never_reaches_the_regex() {
    let t = "Value A (.+)\n\nStart\n  ^a ${A}$$ -> Record\n";
    assert_eq!(
        rows(t, "a 1\r\na 2\ra 3\x0ba 4\n"),
        s(&[&["1"], &["2"], &["3"], &["4"]])
    );
}

#[test]
fn a_group_that_did_not_take_part_resets_the_value() {
    let t = "Value A (\\d+)\nValue B (\\w+)\n\nStart\n  ^x ${A}( ${B})?\n  ^rec -> Record\n";
    // Second line matches without B: B becomes unset, not "keep".
    assert_eq!(rows(t, "x 1 foo\nx 2\nrec\n"), s(&[&["2", ""]]));
}

#[test]
fn fillup_writes_back_into_earlier_rows_while_empty() {
    let t = "Value A (\\d+)\nValue Fillup B (\\w+)\n\nStart\n  ^a ${A} -> Record\n  ^b ${B} -> Record\n";
    // Rows 1 and 2 have no B; "b z" fills them upward until a non-empty B.
    let got = rows(t, "a 1\nb y\na 2\na 3\nb z\n");
    assert_eq!(
        got,
        s(&[
            &["1", "y"],
            &["", "y"],
            &["2", "z"],
            &["3", "z"],
            &["", "z"]
        ])
    );
}

#[test]
fn filldown_only_row_is_recorded_at_eof() {
    let t = "Value Filldown F (\\S+)\nValue V (\\S+)\n\nStart\n  ^f ${F}\n  ^v ${V} -> Record\n";
    assert_eq!(rows(t, "f a\nv 1\nf b\n"), s(&[&["a", "1"], &["b", ""]]));
}

#[test]
fn required_drops_the_row_and_clears_it() {
    let t = "Value Required R (\\S+)\nValue Filldown F (\\S+)\nValue V (\\S+)\n\nStart\n  ^r ${R}\n  ^f ${F}\n  ^v ${V}\n  ^rec -> Record\n";
    // First "rec": R missing -> dropped, and cleared (V gone, F kept).
    // Second "rec": R set, V was cleared by the dropped record.
    assert_eq!(rows(t, "f x\nv 1\nrec\nr y\nrec\n"), s(&[&["y", "x", ""]]));
}

#[test]
fn required_list_depends_on_option_order() {
    // "List,Required": List's save hook runs first and turns the value into
    // the (empty) list, so Required sees [] and drops the row.
    let t1 =
        "Value List,Required L (\\d+)\nValue A (\\w+)\n\nStart\n  ^l ${L}\n  ^a ${A} -> Record\n";
    assert!(rows(t1, "a x\n").is_empty());
    // With an item it records.
    assert_eq!(rows(t1, "l 1\na x\n"), s(&[&["['1']", "x"]]));
}

#[test]
fn key_only_matters_to_joins() {
    let t =
        Template::parse("Value Key K (\\S+)\nValue V (\\S+)\n\nStart\n  ^${K} ${V} -> Record\n")
            .unwrap();
    assert_eq!(t.values_with_option("Key"), ["K"]);
    assert_eq!(
        t.run("a 1\na 1\n").unwrap().len(),
        2,
        "no deduplication by Key"
    );
}

#[test]
fn continue_tries_the_next_rules_on_the_same_line() {
    let t =
        "Value A (\\S+)\nValue B (\\S+)\n\nStart\n  ^${A} -> Continue\n  ^\\S+ ${B} -> Record\n";
    assert_eq!(rows(t, "x y\n"), s(&[&["x", "y"]]));
    // Continue.Record records, then the next rule still sees the line.
    let t = "Value A (\\S+)\n\nStart\n  ^${A} -> Continue.Record\n  ^${A}\n";
    assert_eq!(rows(t, "p\nq\n"), s(&[&["p"], &["q"], &["q"]]));
}

#[test]
fn continue_with_a_state_change_is_a_template_error() {
    let e = Template::parse("Value A (x)\n\nStart\n  ^x -> Continue Next2\n\nNext2\n").unwrap_err();
    assert_eq!(e.line, 4);
}

#[test]
fn state_transitions_and_next_default() {
    let t = "Value Filldown S (\\S+)\nValue I (\\S+)\n\nStart\n  ^section ${S} -> Body\n\nBody\n  ^  item ${I} -> Record\n  ^end -> Start\n";
    let got = rows(
        t,
        "section a\n  item 1\n  item 2\nend\n  item 3\nsection b\n  item 4\n",
    );
    // "  item 3" arrives in Start, which has no rule for it: ignored.
    assert_eq!(got, s(&[&["a", "1"], &["a", "2"], &["b", "4"], &["b", ""]]));
}

#[test]
fn list_values_collect_and_clear() {
    let t = "Value Name (\\S+)\nValue List M (\\S+)\n\nStart\n  ^name ${Name}\n  ^m ${M}\n  ^end -> Record\n";
    let tt = Template::parse(t).unwrap();
    let r = tt.run("name a\nm 1\nm 2\nend\nname b\nend\n").unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0].get("M").unwrap(),
        &Value::List(vec![ListItem::Str("1".into()), ListItem::Str("2".into())])
    );
    assert_eq!(r[1].get("M").unwrap(), &Value::List(vec![]));
}

#[test]
fn list_filldown_keeps_growing_across_records() {
    let t =
        "Value List,Filldown M (\\S+)\nValue A (\\S+)\n\nStart\n  ^m ${M}\n  ^a ${A} -> Record\n";
    // Clear does not empty a List that is also Filldown; Clearall would.
    assert_eq!(
        rows(t, "m 1\na x\nm 2\na y\n"),
        s(&[&["['1']", "x"], &["['1', '2']", "y"], &["['1', '2']", ""]])
    );
}

#[test]
fn list_of_named_groups_gives_maps() {
    let t = "Value List P ((?P<name>\\w+)\\s+(?P<age>\\d+)?)\n\nStart\n  ^p ${P}\n";
    let tt = Template::parse(t).unwrap();
    let r = tt.run("p bob 32\np amy \n").unwrap();
    assert_eq!(
        r[0].get("P").unwrap(),
        &Value::List(vec![
            ListItem::Map(vec![
                ("name".into(), Some("bob".into())),
                ("age".into(), Some("32".into()))
            ]),
            ListItem::Map(vec![
                ("name".into(), Some("amy".into())),
                ("age".into(), None)
            ]),
        ])
    );
    let json = serde_json::to_string(&r[0]).unwrap();
    assert_eq!(
        json,
        r#"{"P":[{"name":"bob","age":"32"},{"name":"amy","age":null}]}"#
    );
}

#[test]
fn list_item_none_when_the_group_did_not_take_part() {
    let t = "Value List L (\\d+)\n\nStart\n  ^x( ${L})?\n";
    let tt = Template::parse(t).unwrap();
    let r = tt.run("x 1\nx\n").unwrap();
    assert_eq!(
        r[0].get("L").unwrap(),
        &Value::List(vec![ListItem::Str("1".into()), ListItem::None])
    );
}

#[test]
fn error_action_discards_output_and_names_the_line() {
    let t = Template::parse(
        "Value A (\\d+)\n\nStart\n  ^a ${A} -> Record\n  ^bad -> Error \"no good\"\n",
    )
    .unwrap();
    let e = t.run("a 1\na 2\nbad\n").unwrap_err();
    assert_eq!(e.input_line(), 3);
    assert_eq!(
        e.python_message().unwrap(),
        "Error: \"no good\". Rule Line: 5. Input Line: bad."
    );
    assert!(e.to_string().starts_with("input line 3: "));
    let t = Template::parse("Value A (\\d+)\n\nStart\n  ^bad -> Error\n").unwrap();
    let e = t.run("ok\nbad\n").unwrap_err();
    assert!(matches!(
        e,
        RunError::Action {
            message: None,
            input_line: 2,
            ..
        }
    ));
    assert_eq!(
        e.python_message().unwrap(),
        "State Error raised. Rule Line: 4. Input Line: bad"
    );
}

#[test]
fn dollar_dollar_is_a_literal_dollar_and_both_substitution_forms_work() {
    let t = "Value A (\\d+)\nValue B (\\w+)\n\nStart\n  ^$A-${B}x$$ -> Record\n";
    assert_eq!(rows(t, "1-zx\n1-zxy\n"), s(&[&["1", "z"]]));
}

#[test]
fn comments_are_ignored_everywhere() {
    let t = "# header\nValue A (\\d+)\n# between values\n\n# before state\nStart\n  # in rules\n  ^${A} -> Record\n";
    assert_eq!(rows(t, "7\n"), s(&[&["7"]]));
}

#[test]
fn record_then_new_state_and_noop_actions() {
    let t = "Value A (\\d+)\n\nStart\n  ^${A} -> Record Two\n\nTwo\n  ^${A} -> NoRecord\n  ^back -> Next.Clearall Start\n";
    // 1 recorded on the way to Two; 2 set in Two then Clearall drops it; 3 recorded.
    assert_eq!(rows(t, "1\n2\nback\n3\n"), s(&[&["1"], &["3"]]));
}

#[test]
fn python_regex_dialect() {
    // Braces Python reads as literals, \< \> literal, \Z end of text.
    let t = "Value A (\\d{1-2})\nValue B (\\S+)\n\nStart\n  ^{x:${B}} ${A}\\Z -> Record\n  ^\\<${B}\\> -> Record\n";
    assert_eq!(
        rows(t, "{x:q} 5{1-2}\n<w>\n"),
        s(&[&["5{1-2}", "q"], &["", "w"]])
    );
}

#[test]
fn lookaround_patterns_run_on_the_fallback_engine() {
    let t = "Value A (\\S+(?<!,))\n\nStart\n  ^x ${A}(?=,| |$$) -> Record\n";
    assert_eq!(rows(t, "x abc,\nx de\n"), s(&[&["abc"], &["de"]]));
}

#[test]
fn many_threads_share_one_template() {
    let t = std::sync::Arc::new(
        Template::parse("Value A (\\d+)\n\nStart\n  ^n ${A} -> Record\n").unwrap(),
    );
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let t = std::sync::Arc::clone(&t);
            std::thread::spawn(move || {
                let input: String = (0..100).map(|n| format!("n {}\n", n * 4 + i)).collect();
                t.run(&input).unwrap().len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 100);
    }
}

#[test]
fn long_lines_without_their_fold_still_reject_by_the_literal() {
    // Long lines (past 128 bytes) whose byte fold rejects no rule get no
    // fold after a while (the rules' literals are searched at once): a
    // line without the literal must still fail the rule, and one with it
    // still match, before and after that switch, and on short lines.
    let t = "Value A (\\d+)\nValue B (\\d+)\n\nStart\n  ^.*alpha:\\s+${A} -> Record\n  ^.*beta:\\s+${B} -> Record\n";
    let pad = "x".repeat(150);
    let mut input = String::new();
    let mut want: Vec<Vec<String>> = Vec::new();
    for i in 0..200 {
        let (line, row) = match i % 5 {
            0 | 1 => (
                format!("{pad} alpha: {i}"),
                vec![i.to_string(), String::new()],
            ),
            2 => (
                format!("{pad} beta: {i}"),
                vec![String::new(), i.to_string()],
            ),
            3 => (format!("{pad} gamma: {i}"), vec![]),
            _ => (
                format!("alph beta: {i}"),
                vec![String::new(), i.to_string()],
            ),
        };
        input.push_str(&line);
        input.push('\n');
        if !row.is_empty() {
            want.push(row);
        }
    }
    assert_eq!(rows(t, &input), want);
}
