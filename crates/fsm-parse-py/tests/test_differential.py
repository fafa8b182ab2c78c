"""fsm_parse against Python textfsm 2.1, in the same interpreter.

* Every template of the ntc-templates sample corpus (one test each): the
  same template error (class and message) or the same header,
  ``value_map`` and ``state_list``; then on every recorded raw input of
  the template's command family (any platform, up to 6) and on synthetic
  documents generated from the template's own rules
  (crates/fsm-parse/tests/py/textfsm_oracle.py): the same rows, or the
  same exception class and message.
* Generated templates (one test per seed): random values with every option
  mix, states, rules with every action and transition, and broken
  variants (which must fail with textfsm's message), run on generated
  input.

Python textfsm runs in a child process with a deadline (a few corpus
templates backtrack catastrophically in Python's ``re``); a case Python
does not finish in time is still run here, to show fsm_parse returns.
"""

import io
import os
import random

import pytest

import fsm_parse
from conftest import corpus_dir, oracle_module, ours, same_result, textfsm_or_skip

CORPUS = corpus_dir()
CASE_TIMEOUT = float(os.environ.get("ORACLE_CASE_TIMEOUT", "5"))
MAX_RAW = 6


def _templates():
    if CORPUS is None:
        return []
    return sorted(n for n in os.listdir(os.path.join(CORPUS, "templates")) if n.endswith(".textfsm"))


def _families():
    fam = {}
    if CORPUS is None:
        return fam
    tests = os.path.join(CORPUS, "tests")
    for platform in sorted(os.listdir(tests)):
        for cmd in sorted(os.listdir(os.path.join(tests, platform))):
            for f in sorted(os.listdir(os.path.join(tests, platform, cmd))):
                if f.endswith(".raw"):
                    fam.setdefault(cmd, []).append(os.path.join(tests, platform, cmd, f))
    return fam


TEMPLATES = _templates()
FAMILIES = _families()


@pytest.fixture(scope="module")
def oracle():
    textfsm_or_skip()
    mod = oracle_module()
    pool = mod.Pool()
    yield mod, pool
    pool.close()


def python_results(pool, ttext, inputs):
    """Python textfsm's result per input ({"timeout": s} when it did not
    finish in time)."""
    results = pool.run(ttext, inputs, CASE_TIMEOUT * 2)
    if results is None:
        results = []
        for label, text in inputs:
            r = pool.run(ttext, [(label, text)], CASE_TIMEOUT)
            results.append(r[0] if r is not None else {"timeout": CASE_TIMEOUT})
    return results


def compare(oracle, ttext, make_inputs):
    """Every difference between textfsm and fsm_parse on this template."""
    import textfsm  # noqa: PLC0415

    mod, pool = oracle
    problems = []
    try:
        py = textfsm.TextFSM(io.StringIO(ttext))
    except textfsm.TextFSMTemplateError as e:
        try:
            fsm_parse.TextFSM(io.StringIO(ttext))
        except fsm_parse.TextFSMTemplateError as mine:
            if str(mine) != str(e):
                problems.append("template error: python %r, fsm_parse %r" % (str(e), str(mine)))
            if not isinstance(mine, fsm_parse.Error):
                problems.append("TextFSMTemplateError is not an fsm_parse.Error")
        else:
            problems.append("python rejects the template (%s), fsm_parse accepts it" % e)
        return problems, 0
    try:
        mine = fsm_parse.TextFSM(io.StringIO(ttext))
    except fsm_parse.TextFSMTemplateError as e:
        return ["python accepts the template, fsm_parse rejects it: %s" % e], 0
    for attr in ("header", "value_map", "state_list"):
        if getattr(py, attr) != getattr(mine, attr):
            problems.append("%s: python %r, fsm_parse %r" % (attr, getattr(py, attr), getattr(mine, attr)))
    inputs = make_inputs(py, mod)
    results = python_results(pool, ttext, inputs)
    for (label, text), pres in zip(inputs, results):
        mres = ours(ttext, text)
        if "timeout" in pres:
            continue
        diff = same_result(pres, mres)
        if diff:
            problems.append("%s: %s" % (label, diff))
    return problems, len(inputs)


def corpus_inputs(name):
    stem = name[: -len(".textfsm")]

    def make(py, mod):
        raws = []
        for cmd, files in FAMILIES.items():
            if stem.endswith("_" + cmd):
                raws.extend(files)
        inputs = []
        for path in sorted(raws)[:MAX_RAW]:
            with open(path, encoding="utf-8", newline="") as fh:
                inputs.append((os.path.relpath(path, CORPUS), fh.read()))
        inputs.extend(mod.synthetic_docs(py))
        return inputs

    return make


@pytest.mark.skipif(CORPUS is None, reason="no ntc-templates sample corpus (../shared/ntc-sample or testdata/ntc)")
@pytest.mark.parametrize("name", TEMPLATES or ["none"])
def test_corpus_template_same_as_textfsm(oracle, name):
    with open(os.path.join(CORPUS, "templates", name), encoding="utf-8") as fh:
        ttext = fh.read()
    problems, _ = compare(oracle, ttext, corpus_inputs(name))
    assert not problems, "\n".join(problems)


def test_corpus_is_whole():
    """The corpus the parametrised test walks is the whole sample (so a
    moved directory cannot turn 980 tests into none)."""
    if CORPUS is None:
        pytest.skip("no ntc-templates sample corpus (../shared/ntc-sample or testdata/ntc)")
    assert len(TEMPLATES) >= 900
    assert sum(len(v) for v in FAMILIES.values()) >= 300


# --- generated templates ------------------------------------------------------

WORDS = ["eth0", "up", "down", "10.0.0.1", "Gi0/1", "vlan", "100", "ok", "x-y", "a b"]
PATTERNS = [r"(\S+)", r"(\d+)", r"(\w+)", r"(up|down)", r"(\S+\s\S+)", r"(\d+\.\d+\.\d+\.\d+)", r"(.*)",
            r"((?P<num>\d+)/(?P<port>\d+))", r"((?:\d+)?)"]
OPTIONS = ["Filldown", "Fillup", "Required", "List", "Key"]
LINE_OPS = ["", "Next", "Continue"]
REC_OPS = ["", "Record", "NoRecord", "Clear", "Clearall"]


def gen_template(rng):
    """A random template; about one in five is broken on purpose."""
    nvals = rng.randint(1, 5)
    names = ["V%d" % i for i in range(nvals)]
    lines = []
    for n in names:
        opts = rng.sample(OPTIONS, rng.randint(0, 2))
        pat = rng.choice(PATTERNS)
        lines.append("Value %s%s %s" % (",".join(opts) + " " if opts else "", n, pat))
    lines.append("")
    states = ["Start"] + ["S%d" % i for i in range(rng.randint(0, 2))]
    for st in states:
        lines.append(st)
        for _ in range(rng.randint(1, 5)):
            used = rng.sample(names, rng.randint(0, min(2, nvals)))
            parts = []
            for u in used:
                parts.append(rng.choice(["", "^", " "]) + "${%s}" % u)
                parts.append(rng.choice([r"\s+", " ", r"\s*:\s*", r".*"]))
            regex = "^" + rng.choice(["", "iface", "ip ", "st", "x"]) + "".join(parts)
            lop, rop = rng.choice(LINE_OPS), rng.choice(REC_OPS)
            action = ".".join(p for p in (lop, rop) if p)
            target = rng.choice([None, None, rng.choice(states), "End", "EOF"])
            if lop == "Continue":
                target = None
            if rng.random() < 0.05:
                action, target = "Error", rng.choice([None, '"bad line"'])
            act = " -> " + " ".join(p for p in (action, target) if p) if (action or target) else ""
            lines.append("  " + regex + (act if act.strip() != "->" else ""))
        lines.append("")
    if rng.random() < 0.2:
        lines.append("EOF")
        lines.append("")
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.2:
        text = break_template(rng, text, names)
    return text


def break_template(rng, text, names):
    """A template error textfsm reports: each kind once in a while."""
    kind = rng.randrange(9)
    if kind == 0:
        return text.replace("Value ", "Value Bogus ", 1)
    if kind == 1:
        return text.replace("Start\n", "Begin\n", 1)
    if kind == 2:
        return "Value %s (\\S+)\n" % names[0] + text
    if kind == 3:
        return text.replace(" -> ", " -> Continue S9 ", 1) if " -> " in text else text + "Start\n"
    if kind == 4:
        return text.replace("(", "(?P<oops", 1)
    if kind == 5:
        return text.replace("\n\n", "\n  ^orphan rule\n\n", 1).replace("Value", "#Value", 1)
    if kind == 6:
        return text.replace("Value ", "Value %s " % ("N" * 60), 1)
    if kind == 7:
        return text + "End\n  ^x\n"
    return text.replace("\nStart\n", "\nStart\n  ^${Missing} -> Record\n", 1)


def gen_input(rng, py, mod):
    docs = mod.synthetic_docs(py) if py is not None else []
    lines = []
    for _ in range(rng.randint(0, 30)):
        head = rng.choice(["iface", "ip ", "st", "x", "", "bad"])
        lines.append(head + " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 3))))
    docs.append(("random-lines", "\n".join(lines) + rng.choice(["\n", "", "\r\n"])))
    return docs


@pytest.mark.parametrize("seed", range(300))
def test_generated_template_same_as_textfsm(oracle, seed):
    rng = random.Random(seed)
    ttext = gen_template(rng)
    problems, _ = compare(oracle, ttext, lambda py, mod: gen_input(rng, py, mod))
    assert not problems, "template:\n%s\n%s" % (ttext, "\n".join(problems))
