//! Reading input from a reader line by line (`Template::run_each_read`,
//! `Index::parse_each_read`) gives exactly the rows of the whole-text runs,
//! whatever the read sizes; lines past the cap and patterns past the memory
//! budget are refused with errors naming the line.

use std::io::Read;

use fsm_parse::{Index, ReadError, Record, Template};
use proptest::prelude::*;

/// A reader handing out at most `step` bytes per read (cycling through
/// sizes), so that line breaks (`\r\n`, U+2028) straddle reads.
struct Trickle<'a> {
    data: &'a [u8],
    steps: &'a [usize],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let step = self.steps[self.n % self.steps.len()].max(1);
        self.n += 1;
        let k = step.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

const LINES: &str = "Value L (.*)\n\nStart\n  ^${L} -> Record\n";

fn rows_read(t: &Template, data: &[u8], steps: &[usize]) -> Result<Vec<Record>, ReadError> {
    let mut out = Vec::new();
    t.run_each_read(
        Trickle { data, steps, n: 0 },
        fsm_parse::DEFAULT_MAX_LINE,
        |r| out.push(r.to_record()),
    )?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
    #[test]
    fn read_lines_equal_splitlines(
        s in r"([a-z0-9 ]{0,20}|[\r\n\x0b\x0c\x1c-\x1f]|\r\n|\x{85}|\x{2028}|é){0,16}",
        steps in proptest::collection::vec(1usize..5, 1..4),
    ) {
        let t = Template::parse(LINES).expect("compiles");
        let whole = t.run(&s).expect("runs");
        let read = rows_read(&t, s.as_bytes(), &steps).expect("reads");
        prop_assert_eq!(read, whole);
    }

    #[test]
    fn invalid_utf8_reads_like_a_lossy_decode(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(0xC2u8), Just(0x85u8), Just(0xFFu8), 97u8..100], 0..40),
        steps in proptest::collection::vec(1usize..5, 1..4),
    ) {
        let t = Template::parse(LINES).expect("compiles");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let whole = t.run(&text).expect("runs");
        let mut got = Vec::new();
        let seen = t
            .run_each_read(Trickle { data: &bytes, steps: &steps, n: 0 }, 1 << 20, |r| got.push(r.to_record()))
            .expect("reads");
        prop_assert_eq!(got, whole);
        prop_assert_eq!(seen.invalid_utf8_at, std::str::from_utf8(&bytes).err().map(|e| e.valid_up_to() as u64));
    }
}

#[test]
fn a_line_past_the_cap_stops_without_an_eof_record() {
    // Filldown would make an EOF record: none after a read failure.
    let t = Template::parse("Value Filldown A (\\S+)\n\nStart\n  ^a ${A} -> Record\n").unwrap();
    let mut data = b"a 1\na 2\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 5000));
    let mut rows = 0;
    let e = t
        .run_each_read(&data[..], 1000, |_| rows += 1)
        .expect_err("line 3 is too long");
    assert!(
        matches!(
            e,
            ReadError::LineTooLong {
                line: 3,
                limit: 1000
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("input line 3"), "{e}");
    assert_eq!(rows, 2, "the rows before, and no EOF record");
}

#[test]
fn the_index_streams_one_template_and_joins_several() {
    let d = tempfile::tempdir().unwrap();
    let w = |n: &str, s: &str| std::fs::write(d.path().join(n), s).unwrap();
    w(
        "index",
        "Template, Platform, Command\na.t, p, one\na.t:b.t, p, two\n",
    );
    w(
        "a.t",
        "Value Key IF (\\S+)\nValue List OPT (x)\n\nStart\n  ^if ${IF}( ${OPT})? -> Record\n",
    );
    w(
        "b.t",
        "Value Key IF (\\S+)\nValue MTU (\\d+)\n\nStart\n  ^mtu ${IF} ${MTU} -> Record\n",
    );
    let idx = Index::load(d.path()).unwrap();
    let input = "if e1 x\nif e2\nmtu e2 9000\n";
    for (cmd, templates) in [("one", "a.t"), ("two", "a.t:b.t")] {
        let want = idx.parse("p", cmd, input).unwrap();
        let mut got = Vec::new();
        idx.parse_each_with(templates, input, |r| got.push(r.to_record()))
            .unwrap();
        assert_eq!(got, want, "{cmd}");
        let mut got = Vec::new();
        let seen = idx
            .parse_each_read(templates, input.as_bytes(), 1 << 20, 1 << 20, |r| {
                got.push(r.to_record())
            })
            .unwrap();
        assert_eq!(got, want, "{cmd}");
        assert_eq!(seen.lines, 3);
    }
    // The optional group that did not match is clitable's "None".
    let mut got = Vec::new();
    idx.parse_each_with("a.t", input, |r| got.push(r.to_record()))
        .unwrap();
    assert_eq!(
        got[1].get("OPT").unwrap().as_list().unwrap()[0].py_str(),
        "None"
    );
    // A joined row reads the input whole, up to the cap.
    let e = idx
        .parse_each_read("a.t:b.t", input.as_bytes(), 1 << 20, 10, |_| {})
        .unwrap_err();
    assert!(matches!(e, ReadError::InputTooLarge { limit: 10 }), "{e}");
}

#[test]
fn patterns_past_the_memory_budget_are_refused_with_their_line() {
    for (tpl, line) in [
        (
            "Value A ((?:a{1000}){2000})\n\nStart\n  ^${A} -> Record\n",
            1,
        ),
        ("Value A (a{1000000})\n\nStart\n  ^${A} -> Record\n", 1),
        ("Value A (a)\n\nStart\n  ^x{1000000}${A} -> Record\n", 4),
        ("Value List A (a{1000000})\n\nStart\n  ^${A} -> Record\n", 1),
        // A fancy (look-around) pattern too.
        (
            "Value A (a)\n\nStart\n  ^(?<=x)?b{1000000}${A} -> Record\n",
            4,
        ),
    ] {
        let e = Template::parse(tpl).expect_err(tpl);
        assert_eq!(e.line, line, "{tpl}: {e}");
        assert!(e.message.contains("pattern too big"), "{tpl}: {e}");
    }
    // Large counts under the budget still work.
    let t = Template::parse("Value A (a{10000})\n\nStart\n  ^${A} -> Record\n").unwrap();
    assert_eq!(t.run(&"a".repeat(10_000)).unwrap().len(), 1);
}
