"""The README's Python example runs as written (from the repository root),
and a textfsm script in the style of netmiko/ntc-templates runs unchanged
with ``import fsm_parse as textfsm`` (the README's drop-in promise)."""

import os
import re
import subprocess
import sys
import textwrap

from conftest import REPO

SCRIPT = textwrap.dedent('''
    import os
    import fsm_parse as textfsm
    from fsm_parse import clitable

    TEMPLATES = "testdata/ntc/templates"

    def clitable_to_dict(cli_table):
        objs = []
        for row in cli_table:
            temp_dict = {}
            for index, element in enumerate(row):
                temp_dict[cli_table.header[index].lower()] = element
            objs.append(temp_dict)
        return objs

    raw = open("testdata/ntc/tests/arista_eos/show_clock/arista_eos_show_clock.raw").read()
    cli_table = clitable.CliTable("index", TEMPLATES)
    try:
        cli_table.ParseCmd(raw, {"Command": "show clock", "Platform": "arista_eos"})
    except clitable.CliTableError as err:
        raise SystemExit(str(err))
    via_index = clitable_to_dict(cli_table)

    with open(os.path.join(TEMPLATES, "arista_eos_show_clock.textfsm")) as template:
        re_table = textfsm.TextFSM(template)
    header = re_table.header
    result = re_table.ParseText(raw)
    direct = [dict(zip([h.lower() for h in header], row)) for row in result]
    assert via_index == direct, (via_index, direct)
    try:
        textfsm.TextFSM(open(os.path.join(TEMPLATES, "index")))
    except textfsm.TextFSMTemplateError:
        pass
    print(len(result), sorted(direct[0]))
''')


def run(code):
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)


def test_readme_python_example_runs():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README has a Python example"
    code = blocks[0] + "\nassert rows and table.size == len(rows)\n"
    r = run(code)
    assert r.returncode == 0, r.stderr


def test_textfsm_style_script_runs_unchanged():
    r = run(SCRIPT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("1 ['day', 'dayweek', 'month', 'time', 'timezone', 'year']")
