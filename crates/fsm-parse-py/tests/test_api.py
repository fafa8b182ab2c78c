"""The textfsm API of fsm_parse.TextFSM, one behaviour per test; where
Python textfsm is installed the same call is made on it and compared."""

import io
import os
import threading

import pytest

import fsm_parse
from fsm_parse import _native
from conftest import textfsm_or_skip

TEMPLATE = """\
Value Filldown,Required IF (\\S+)
Value IP (\\S+)
Value List VLANS (\\d+)
Value Key MTU (\\d+)

Start
  ^interface ${IF}
  ^ mtu ${MTU}
  ^ vlan ${VLANS}
  ^ ip ${IP} -> Record
  ^bad -> Error "bad line"
  ^worse -> Error
"""

TEXT = """\
interface eth0
 mtu 1500
 vlan 10
 vlan 20
 ip 10.0.0.1
 ip 10.0.0.2
interface eth1
 ip 10.0.1.1
"""

ROWS = [
    ["eth0", "10.0.0.1", ["10", "20"], "1500"],
    ["eth0", "10.0.0.2", [], ""],
    ["eth1", "10.0.1.1", [], ""],
    ["eth1", "", [], ""],
]


def fsm(text=TEMPLATE, module=fsm_parse):
    return module.TextFSM(io.StringIO(text))


def test_import_as_textfsm_gives_textfsm_names():
    import fsm_parse as textfsm  # noqa: PLC0415 - the point of the test

    for name in ("TextFSM", "Error", "TextFSMError", "TextFSMTemplateError", "UsageError",
                 "FSMAction", "SkipRecord", "SkipValue", "clitable"):
        assert hasattr(textfsm, name), name
    assert textfsm.__version__ == "2.1.0"
    assert hasattr(textfsm.clitable, "CliTable")
    assert hasattr(textfsm.clitable, "CliTableError")


def test_parse_text_rows():
    assert fsm().ParseText(TEXT) == ROWS


def test_rows_are_separate_lists():
    # A row is built as a copy of the row above with the values that
    # differ set again: changing one row (or one of its List values) must
    # leave every other row as it was, as with textfsm's own lists.
    want = ROWS[:3] * 3 + [ROWS[3]]
    rows = fsm().ParseText(TEXT * 3)
    assert rows == want
    assert len({id(r) for r in rows}) == len(rows)
    assert len({id(r[2]) for r in rows}) == len(rows)
    rows[1][0] = "changed"
    rows[1][2].append("99")
    rows[0].append("extra")
    assert rows[2:] == want[2:]
    assert rows[0][:4] == want[0]


def test_repeated_and_changing_values_in_long_runs():
    # Values equal to the one above them (Filldown, repeated text, empty)
    # and values that change, over many rows: the same rows as textfsm.
    text = "".join(
        "interface eth%d\n mtu %d\n ip 10.0.%d.%d\n ip 10.0.%d.%d\n"
        % (i // 3, 1500 + i % 2, i % 5, i % 7, i % 5, (i + 1) % 7)
        for i in range(300)
    )
    rows = fsm().ParseText(text)
    tf = textfsm_or_skip()
    assert rows == fsm(module=tf).ParseText(text)


def test_values_that_differ_in_one_byte_stay_apart():
    # Short values are shared through a cache keyed by their bytes: values
    # of every length up to past the cache's limit, each differing from
    # the others in one byte at every offset, and each seen twice, must
    # come back as exactly what the input holds.
    values = []
    for n in range(1, 41):
        for at in range(n):
            for ch in "xy":
                v = list("a" * n)
                v[at] = ch
                values.append("".join(v))
    text = "".join("interface eth0\n ip %s\n" % v for v in values * 2)
    rows = fsm().ParseText(text)
    # The last row: the Filldown value alone, recorded at the end.
    assert [r[1] for r in rows] == values * 2 + [""]
    assert [r[0] for r in rows] == ["eth0"] * (len(values) * 2 + 1)


def test_parse_text_to_dicts():
    dicts = fsm().ParseTextToDicts(TEXT)
    assert dicts == [dict(zip(["IF", "IP", "VLANS", "MTU"], r)) for r in ROWS]
    assert list(dicts[0]) == ["IF", "IP", "VLANS", "MTU"]


def test_header_and_value_map_and_states():
    f = fsm()
    assert f.header == ["IF", "IP", "VLANS", "MTU"]
    assert f.value_map == {
        "IF": "(?P<IF>\\S+)",
        "IP": "(?P<IP>\\S+)",
        "VLANS": "(?P<VLANS>\\d+)",
        "MTU": "(?P<MTU>\\d+)",
    }
    assert f.state_list == ["Start"]
    assert [v.name for v in f.values] == f.header
    assert f.values[0].OptionNames() == ["Filldown", "Required"]
    assert f.GetValuesByAttrib("Key") == ["MTU"]
    assert f.GetValuesByAttrib("List") == ["VLANS"]
    with pytest.raises(ValueError, match="'Bogus': Not a valid attribute."):
        f.GetValuesByAttrib("Bogus")


def test_header_is_a_copy():
    f = fsm()
    f.header.append("X")
    assert f.header == ["IF", "IP", "VLANS", "MTU"]


def test_reset_allows_parsing_again():
    f = fsm()
    assert f.ParseText(TEXT) == ROWS
    f.Reset()
    assert f.ParseText("interface eth9\n ip 1.1.1.1\n") == [["eth9", "1.1.1.1", [], ""], ["eth9", "", [], ""]]


def test_second_parse_without_reset_is_refused_not_wrong():
    f = fsm()
    f.ParseText(TEXT)
    with pytest.raises(NotImplementedError, match="call Reset"):
        f.ParseText(TEXT)
    with pytest.raises(NotImplementedError, match="eof=False"):
        fsm().ParseText(TEXT, eof=False)


def test_empty_and_none_text():
    assert fsm().ParseText("") == []
    assert fsm().ParseText(None) == []


def test_error_action_raises_textfsm_error_with_textfsm_message():
    with pytest.raises(fsm_parse.TextFSMError) as e:
        fsm().ParseText(TEXT + "bad\n")
    assert str(e.value) == 'Error: "bad line". Rule Line: 11. Input Line: bad.'
    with pytest.raises(fsm_parse.TextFSMError) as e:
        fsm().ParseText("worse things\n")
    assert str(e.value) == "State Error raised. Rule Line: 12. Input Line: worse things"


def test_template_errors_raise_textfsm_template_error():
    with pytest.raises(fsm_parse.TextFSMTemplateError) as e:
        fsm("Value A (x)\n\nBegin\n  ^x\n")
    assert str(e.value) == "Missing state 'Start'."
    with pytest.raises(fsm_parse.TextFSMTemplateError) as e:
        fsm("Value A (x\n\nStart\n")
    assert str(e.value) == "Value '(x' must be contained within a '()' pair. Line 1."
    with pytest.raises(fsm_parse.TextFSMTemplateError) as e:
        fsm("Value A x\n\nStart\n")
    assert str(e.value) == 'Unknown option "A" Line 1.'
    with pytest.raises(fsm_parse.TextFSMTemplateError) as e:
        fsm("Value A (x)\n\nStart\n  ^(\n")
    assert str(e.value) == "Invalid regular expression: '^('. Line: 4."


def test_exception_classes_relate_like_textfsm():
    assert issubclass(fsm_parse.TextFSMError, fsm_parse.Error)
    assert issubclass(fsm_parse.TextFSMTemplateError, fsm_parse.Error)
    assert issubclass(fsm_parse.Error, Exception)
    assert not issubclass(fsm_parse.UsageError, fsm_parse.Error)
    assert issubclass(fsm_parse.SkipRecord, fsm_parse.FSMAction)
    assert issubclass(fsm_parse.clitable.CliTableError, fsm_parse.clitable.Error)
    assert not issubclass(fsm_parse.clitable.Error, fsm_parse.Error)


def test_same_as_textfsm_on_this_template():
    textfsm = textfsm_or_skip()
    py, mine = fsm(module=textfsm), fsm()
    assert mine.header == py.header
    assert mine.value_map == py.value_map
    assert mine.ParseText(TEXT) == py.ParseText(TEXT)
    py.Reset()
    mine.Reset()
    assert mine.ParseTextToDicts(TEXT) == py.ParseTextToDicts(TEXT)
    assert [str(v) for v in mine.values] == [str(v) for v in py.values]
    for bad in ("bad\n", "worse\n"):
        with pytest.raises(textfsm.TextFSMError) as pe:
            fsm(module=textfsm).ParseText(bad)
        with pytest.raises(fsm_parse.TextFSMError) as me:
            fsm().ParseText(bad)
        assert str(me.value) == str(pe.value)


def test_template_file_is_rewound_like_textfsm(tmp_path):
    p = tmp_path / "t.textfsm"
    p.write_text(TEMPLATE)
    with open(p) as fh:
        a = fsm_parse.TextFSM(fh)
        assert fh.tell() == 0
        b = fsm_parse.TextFSM(fh)
    assert a.ParseText(TEXT) == b.ParseText(TEXT) == ROWS


def test_named_group_list_values_are_dicts_and_none():
    t = "Value List P ((?P<a>\\d+)-(?P<b>\\d+)?)\n\nStart\n  ^p ${P}\n"
    rows = fsm(t).ParseText("p 1-2\np 3-\n")
    assert rows == [[[{"a": "1", "b": "2"}, {"a": "3", "b": None}]]]


def test_crlf_and_unicode_lines():
    t = "Value A (\\S+)\n\nStart\n  ^a ${A} -> Record\n"
    assert fsm(t).ParseText("a x\r\na \u00e9t\u00e9\r\n") == [["x"], ["\u00e9t\u00e9"]]


def test_templates_are_compiled_once_per_text():
    _native.clear_caches()
    before = _native.cache_sizes()[0]
    for _ in range(5):
        fsm()
    assert _native.cache_sizes()[0] == before + 1
    fsm(TEMPLATE + "\n")
    assert _native.cache_sizes()[0] == before + 2


def test_template_file_cache_follows_mtime(tmp_path):
    p = tmp_path / "t.textfsm"
    p.write_text("Value A (\\d+)\n\nStart\n  ^${A} -> Record\n")
    t1 = _native.Template.from_file(str(p))
    assert t1.header() == ["A"]
    assert _native.Template.from_file(str(p)).header() == ["A"]
    p.write_text("Value B (\\d+)\nValue C (\\d+)\n\nStart\n  ^${B} -> Record\n")
    st = os.stat(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert _native.Template.from_file(str(p)).header() == ["B", "C"]


def test_threads_parse_at_once_with_the_same_rows():
    """The GIL is released while parsing: threads sharing one template
    each get the full, right result."""
    big = TEXT * 2000
    want = fsm().ParseText(big)
    out = [None] * 4

    def work(i):
        out[i] = fsm().ParseText(big)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o == want for o in out)
    assert len(want) == 3 * 2000 + 1


def test_options_class_is_refused():
    with pytest.raises(NotImplementedError):
        fsm_parse.TextFSM(io.StringIO(TEMPLATE), options_class=object)
