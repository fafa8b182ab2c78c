"""fsm_parse.clitable.CliTable and fsm_parse.parse_output, compared with
textfsm.clitable where Python textfsm is installed; the whole recorded
corpus through its index (one test per case)."""

import os

import pytest

import fsm_parse
from fsm_parse import clitable
from conftest import corpus_dir, textfsm_or_skip

IFACE = """\
Value Key IF (\\S+)
Value MTU (\\d+)
Value List VLAN (\\d+)

Start
  ^interface ${IF}
  ^ mtu ${MTU}
  ^ vlan ${VLAN}
  ^! -> Record
"""

STATUS = """\
Value Key IF (\\S+)
Value STATE (up|down)

Start
  ^${IF} is ${STATE} -> Record
"""

TEXT = """\
interface eth0
 mtu 1500
 vlan 10
!
interface eth1
 vlan 20
 vlan 30
!
eth1 is down
eth0 is up
"""

INDEX = """\
# comment
Template, Hostname, Platform, Command

iface.textfsm:status.textfsm, .*, acme, sh[[ow]] int[[erfaces]]
status.textfsm, .*, acme, sh[[ow]] st[[atus]]
"""


@pytest.fixture
def tdir(tmp_path):
    (tmp_path / "iface.textfsm").write_text(IFACE)
    (tmp_path / "status.textfsm").write_text(STATUS)
    (tmp_path / "index").write_text(INDEX)
    return str(tmp_path)


def rows(table):
    return [list(r) for r in table]


def test_parse_cmd_joins_templates_on_key(tdir):
    t = clitable.CliTable("index", tdir)
    t.ParseCmd(TEXT, {"Command": "sh int", "Platform": "acme"})
    assert t.header == ["IF", "MTU", "VLAN", "STATE"]
    assert rows(t) == [["eth0", "1500", ["10"], "up"], ["eth1", "", ["20", "30"], "down"]]
    assert t.size == 2
    assert t.superkey == ["IF"]
    assert t.raw == TEXT
    assert "STATE" in t


def test_rows_by_name_and_position(tdir):
    t = clitable.CliTable("index", tdir)
    t.ParseCmd(TEXT, {"Command": "show interfaces", "Platform": "acme"})
    r = next(iter(t))
    assert r["IF"] == r[0] == "eth0"
    assert r[("IF", "STATE")] == ["eth0", "up"]
    assert r.get("NOPE", "dflt") == "dflt"
    assert r.header == t.header
    assert r.row == 1
    assert t[2]["IF"] == "eth1"
    assert list(t[0]) == t.header
    with pytest.raises(IndexError, match='No such column "NOPE" in row.'):
        r["NOPE"]


def test_no_template_raises_cli_table_error_with_textfsm_message(tdir):
    t = clitable.CliTable("index", tdir)
    attrs = {"Command": "show version", "Platform": "acme"}
    with pytest.raises(clitable.CliTableError) as e:
        t.ParseCmd(TEXT, attrs)
    assert str(e.value) == 'No template found for attributes: "%s"' % attrs


def test_explicit_templates_skip_the_index(tdir):
    t = clitable.CliTable("index", tdir)
    t.ParseCmd(TEXT, templates="status.textfsm")
    assert t.header == ["IF", "STATE"]
    assert rows(t) == [["eth1", "down"], ["eth0", "up"]]


def test_index_without_template_column(tmp_path):
    (tmp_path / "index").write_text("Platform, Command\nacme, show x\n")
    with pytest.raises(clitable.CliTableError) as e:
        clitable.CliTable("index", str(tmp_path))
    assert str(e.value) == "Index file does not have 'Template' column."


def test_missing_index_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        clitable.CliTable("index", str(tmp_path))


def test_template_edited_on_disk_is_compiled_again(tdir):
    t = clitable.CliTable("index", tdir)
    t.ParseCmd(TEXT, {"Command": "show status", "Platform": "acme"})
    assert t.header == ["IF", "STATE"]
    p = os.path.join(tdir, "status.textfsm")
    with open(p, "w") as fh:
        fh.write(STATUS.replace("STATE", "OPER"))
    st = os.stat(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    t.ParseCmd(TEXT, {"Command": "show status", "Platform": "acme"})
    assert t.header == ["IF", "OPER"]


def test_same_as_textfsm_clitable(tdir):
    textfsm = textfsm_or_skip()
    from textfsm import clitable as ref  # noqa: PLC0415

    for attrs in ({"Command": "sh int", "Platform": "acme"}, {"Command": "show st", "Platform": "acme"}):
        a, b = ref.CliTable("index", tdir), clitable.CliTable("index", tdir)
        a.ParseCmd(TEXT, attrs)
        b.ParseCmd(TEXT, attrs)
        assert b.header == list(a.header)
        assert rows(b) == [list(r) for r in a]
        assert b.superkey == a.superkey
        assert b.table == a.table
    attrs = {"Command": "nothing", "Platform": "acme"}
    with pytest.raises(ref.CliTableError) as pe:
        ref.CliTable("index", tdir).ParseCmd(TEXT, attrs)
    with pytest.raises(clitable.CliTableError) as me:
        clitable.CliTable("index", tdir).ParseCmd(TEXT, attrs)
    assert str(me.value) == str(pe.value)
    assert textfsm.__version__.startswith("2.")


def test_parse_output_with_template_dir(tdir):
    out = fsm_parse.parse_output(platform="acme", command="sh int", data=TEXT, template_dir=tdir)
    assert out == [
        {"if": "eth0", "mtu": "1500", "vlan": ["10"], "state": "up"},
        {"if": "eth1", "mtu": "", "vlan": ["20", "30"], "state": "down"},
    ]


def test_parse_output_reads_ntc_templates_dir(tdir, monkeypatch):
    monkeypatch.setenv("NTC_TEMPLATES_DIR", tdir)
    out = fsm_parse.parse_output(platform="acme", command="show status", data=TEXT)
    assert out == [{"if": "eth1", "state": "down"}, {"if": "eth0", "state": "up"}]
    with pytest.raises(fsm_parse.ParsingException) as e:
        fsm_parse.parse_output(platform="acme", command="show clock", data=TEXT)
    assert str(e.value).startswith('Unable to parse command "show clock" on platform acme - No template found')
    assert isinstance(e.value.__cause__, clitable.CliTableError)


# --- the recorded corpus through its index ------------------------------------

CORPUS = corpus_dir()


def _cases():
    if CORPUS is None:
        return []
    tests = os.path.join(CORPUS, "tests")
    out = []
    for p in sorted(os.listdir(tests)):
        for c in sorted(os.listdir(os.path.join(tests, p))):
            for f in sorted(os.listdir(os.path.join(tests, p, c))):
                if f.endswith(".raw"):
                    out.append(os.path.join(p, c, f))
    return out


CASES = _cases()


@pytest.mark.skipif(CORPUS is None, reason="no ntc-templates sample corpus (../shared/ntc-sample or testdata/ntc)")
@pytest.mark.parametrize("case", CASES or ["none"])
def test_corpus_case_through_index_same_as_textfsm(case):
    textfsm_or_skip()
    from textfsm import clitable as ref  # noqa: PLC0415

    platform, cmd, _ = case.split(os.sep)
    with open(os.path.join(CORPUS, "tests", case), encoding="utf-8", newline="") as fh:
        text = fh.read()
    attrs = {"Command": cmd.replace("_", " "), "Platform": platform}
    tdir = os.path.join(CORPUS, "templates")
    a, b = ref.CliTable("index", tdir), clitable.CliTable("index", tdir)
    try:
        a.ParseCmd(text, attrs)
    except Exception as pe:  # noqa: BLE001 - the same failure is expected
        with pytest.raises(type(pe)) as me:
            b.ParseCmd(text, attrs)
        assert str(me.value) == str(pe)
        return
    b.ParseCmd(text, attrs)
    assert b.header == list(a.header)
    assert rows(b) == [list(r) for r in a]
    # What ntc-templates' parse_output returns, from both.
    assert fsm_parse.parse_output(platform=platform, command=attrs["Command"], data=text,
                                  template_dir=tdir) == [
        {h.lower(): v for h, v in zip(a.header, r)} for r in a]
