"""Shared helpers of the fsm_parse tests (pytest).

Python textfsm 2.1 is the oracle of the differential tests: when it is not
installed they skip with a message, or fail when NETOPS_REQUIRE_PEERS=1
(scripts/test-all.sh sets it and installs textfsm==2.1.0).
"""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
REQUIRE_PEERS = os.environ.get("NETOPS_REQUIRE_PEERS") == "1"


def textfsm_or_skip():
    """Python textfsm 2.x, or skip (fail under NETOPS_REQUIRE_PEERS=1)."""
    try:
        import textfsm  # noqa: PLC0415
    except ImportError:
        textfsm = None
    if textfsm is None or not textfsm.__version__.startswith("2."):
        msg = "Python textfsm 2.x not installed (pip install textfsm==2.1.0)"
        if REQUIRE_PEERS:
            pytest.fail(msg + ", and NETOPS_REQUIRE_PEERS=1")
        pytest.skip(msg)
    return textfsm


def corpus_dir():
    """The ntc-templates sample corpus: $NTC_SAMPLE_DIR, else
    ../shared/ntc-sample beside the clone (CI has it), else the repository's
    own copy in testdata/ntc; None when none is there."""
    for d in (
        os.environ.get("NTC_SAMPLE_DIR"),
        os.path.join(REPO, "..", "shared", "ntc-sample"),
        os.path.join(REPO, "testdata", "ntc"),
    ):
        if d and os.path.isfile(os.path.join(d, "templates", "index")):
            return os.path.normpath(d)
    return None


def oracle_module():
    """crates/fsm-parse/tests/py/textfsm_oracle.py: its input generator
    (synthetic documents from a template's own rules) and its worker pool
    (runs Python textfsm in a child process with a deadline)."""
    path = os.path.join(REPO, "crates", "fsm-parse", "tests", "py", "textfsm_oracle.py")
    spec = importlib.util.spec_from_file_location("textfsm_oracle", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["textfsm_oracle"] = mod
    spec.loader.exec_module(mod)
    return mod


def ours(template_text, text):
    """fsm_parse on one input, shaped like textfsm_oracle.run_one's result."""
    import io  # noqa: PLC0415

    import fsm_parse  # noqa: PLC0415

    try:
        fsm = fsm_parse.TextFSM(io.StringIO(template_text))
    except fsm_parse.TextFSMTemplateError as e:
        return {"template_error": str(e)}
    try:
        return {"rows": fsm.ParseText(text)}
    except fsm_parse.TextFSMError as e:
        return {"error": str(e), "kind": "TextFSMError"}
    except Exception as e:  # noqa: BLE001 - e.g. TypeError from a List value
        return {"error": "%s: %s" % (type(e).__name__, e), "kind": type(e).__name__}


def same_result(python, mine):
    """None when fsm_parse's result is Python's; else what differs. Errors
    other than TextFSMError/TextFSMTemplateError (Python's TypeError inside
    a List option) must be the same kind, not the same words."""
    if "template_error" in python or "template_error" in mine:
        if python.get("template_error") != mine.get("template_error"):
            return "template error: python %r, fsm_parse %r" % (
                python.get("template_error"), mine.get("template_error"))
        return None
    if "rows" in python:
        if mine.get("rows") != python["rows"]:
            if "rows" not in mine:
                return "python gives %d rows, fsm_parse fails: %s" % (len(python["rows"]), mine)
            first = next((i for i, (a, b) in enumerate(zip(python["rows"], mine["rows"])) if a != b), None)
            return "%d rows vs python %d; first difference at row %s: python %r, fsm_parse %r" % (
                len(mine["rows"]), len(python["rows"]), first,
                python["rows"][first] if first is not None else None,
                mine["rows"][first] if first is not None else None)
        return None
    if mine.get("kind") != python.get("kind"):
        return "python fails with %s (%s), fsm_parse gives %s" % (
            python.get("kind"), python.get("error"), mine)
    if python.get("kind") == "TextFSMError" and mine.get("error") != python.get("error"):
        return "error message: python %r, fsm_parse %r" % (python.get("error"), mine.get("error"))
    return None
