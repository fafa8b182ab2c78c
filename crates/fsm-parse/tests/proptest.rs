//! No panics on any input: arbitrary templates, arbitrary patterns,
//! arbitrary and truncated device output, arbitrary index files.

use std::path::Path;

use fsm_parse::{Index, Template, splitlines};
use proptest::prelude::*;

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc")
}

/// A few real templates of different shapes (Filldown/List/Fillup, several
/// states, Error rules, look-around).
fn real_templates() -> &'static [Template] {
    static T: std::sync::OnceLock<Vec<Template>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        [
            "arista_eos_show_interfaces.textfsm",
            "juniper_junos_show_interfaces.textfsm",
            "cisco_asa_dir.textfsm",
            "cisco_ios_show_access-list.textfsm",
            "linux_ip_address_show.textfsm",
        ]
        .iter()
        .map(|n| {
            let text =
                std::fs::read_to_string(corpus().join("templates").join(n)).expect("template");
            Template::parse(&text).expect("corpus template compiles")
        })
        .collect()
    })
}

/// The corpus index (templates cached inside) and its raw files.
fn corpus_index() -> &'static (Index, Vec<std::path::PathBuf>) {
    static I: std::sync::OnceLock<(Index, Vec<std::path::PathBuf>)> = std::sync::OnceLock::new();
    I.get_or_init(|| {
        let root = corpus();
        let idx = Index::load(root.join("templates")).expect("index");
        let mut raws = Vec::new();
        for p in std::fs::read_dir(root.join("tests"))
            .expect("tests")
            .flatten()
        {
            for c in std::fs::read_dir(p.path()).expect("platform").flatten() {
                for f in std::fs::read_dir(c.path()).expect("command").flatten() {
                    if f.path().extension().is_some_and(|e| e == "raw") {
                        raws.push(f.path());
                    }
                }
            }
        }
        raws.sort();
        (idx, raws)
    })
}

/// Text made of template-ish pieces, so that parsing gets deep.
fn template_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Value ".to_owned()),
        Just("Filldown,Required ".to_owned()),
        Just("List ".to_owned()),
        Just("A (\\d+)".to_owned()),
        Just("B ((?P<x>a)|b)".to_owned()),
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("Start\n".to_owned()),
        Just("EOF\n".to_owned()),
        Just("  ^${A} -> Record\n".to_owned()),
        Just("  ^$B -> Continue.Clear\n".to_owned()),
        Just("  ^x -> Error \"m\"\n".to_owned()),
        Just("  ^y -> Next Start\n".to_owned()),
        Just("  ^(?<=q)z{,3}\\Z -> EOF\n".to_owned()),
        Just("# c\n".to_owned()),
        "[ -~]{0,8}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_template_text_never_panics(s in "\\PC{0,200}") {
        let _ = Template::parse(&s);
    }

    #[test]
    fn template_soup_never_panics_and_runs(t in template_soup(), input in "[a-z0-9 \\n\\r]{0,80}") {
        if let Ok(t) = Template::parse(&t)
            && let Ok(rows) = t.run(&input)
        {
            for r in rows {
                prop_assert_eq!(r.values().len(), t.value_names().len());
            }
        }
    }

    #[test]
    fn arbitrary_patterns_never_panic(p in "[\\\\()\\[\\]{}?*+|^$.a-c0-9,:<>=!P#-]{0,24}", text in "[a-c0-9 ,<>(){}-]{0,24}") {
        let t = format!("Value A ({p})\n\nStart\n  ^{p} -> Record\n  ^${{A}}\n");
        if let Ok(t) = Template::parse(&t) {
            let _ = t.run(&text);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        for t in real_templates().iter() {
            let _ = t.run(&text);
        }
    }

    #[test]
    fn arbitrary_index_text_never_panics(s in "[a-z#,\\[\\] \\n.*_]{0,200}") {
        if let Ok(idx) = Index::from_text(Path::new("/nonexistent"), Path::new("/nonexistent/index"), &format!("Template, Platform, Command\n{s}")) {
            let _ = idx.find("p", "show x");
            let _ = idx.parse("p", "show x", "x");
        }
    }

    #[test]
    fn splitlines_never_keeps_a_break(s in "\\PC{0,60}|[a\\r\\n\\x0b\\x0c\\x1c-\\x1f\\u{85}\\u{2028}]{0,30}") {
        const BREAKS: [char; 10] = ['\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\u{85}', '\u{2028}', '\u{2029}'];
        for l in splitlines(&s) {
            let clean = !l.contains(BREAKS);
            prop_assert!(clean, "line {:?} keeps a break", l);
        }
        let n = splitlines(&s).count();
        prop_assert!(n <= s.chars().count());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Recorded outputs cut at an arbitrary byte (as a dropped SSH session
    /// leaves them) still parse or fail cleanly through the index.
    #[test]
    fn truncated_recorded_outputs_never_panic(pick in 0usize..368, cut in 0.0f64..1.0) {
        let root = corpus();
        let (idx, raws) = corpus_index();
        let raw = &raws[pick % raws.len()];
        let bytes = std::fs::read(raw).expect("raw");
        let cut = ((bytes.len() as f64) * cut) as usize;
        let text = String::from_utf8_lossy(&bytes[..cut]);
        let rel = raw.strip_prefix(root.join("tests")).expect("under tests");
        let mut parts = rel.iter().map(|s| s.to_string_lossy().into_owned());
        let platform = parts.next().expect("platform");
        let command = parts.next().expect("command").replace('_', " ");
        let _ = idx.parse(&platform, &command, &text);
    }
}
