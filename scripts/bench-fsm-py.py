#!/usr/bin/env python3
"""The Python module fsm_parse against Python textfsm 2.1 in the same
interpreter: ``TextFSM(template).ParseText(text)`` on 20 MB inputs made of
one recorded ntc-templates case repeated.

  scripts/bench-fsm-py.py CORPUS [RUNS] [TEMPLATE...]

CORPUS is an ntc-templates checkout (templates/index, tests/<platform>/
<command>/*.raw; ../shared/ntc-sample or testdata/ntc). Needs textfsm 2.1.0
and fsm_parse installed in this interpreter (scripts/test-all.sh does both
in target/pyenv: run it with target/pyenv/bin/python). The cases are the
10 templates whose largest recorded case is the biggest (one case per
template, the template the index picks for its platform and command),
unless TEMPLATE names are given.

For each case: the case repeated to >= 20 MB (in memory); each module's
TextFSM built once from the template file, then RUNS times ``Reset()`` +
``ParseText(text)`` (textfsm first, then fsm_parse), CPU time
(time.process_time, this process) and wall time per run; the rows of both
compared (the same list of lists); fsm_parse's engine alone (rows counted,
no Python objects). Prints a Markdown table of the medians and the
CPU-time ratio. Run the whole script under ``taskset -c 0`` so
both get the same one core.
"""

import gc
import io
import os
import statistics
import sys
import time

import textfsm
from textfsm import clitable

import fsm_parse

TARGET = 20_000_000


def cases(corpus):
    """(template, raw path) of the largest case per template, largest first."""
    tests = os.path.join(corpus, "tests")
    ct = clitable.CliTable("index", os.path.join(corpus, "templates"))
    best = {}
    for p in sorted(os.listdir(tests)):
        for c in sorted(os.listdir(os.path.join(tests, p))):
            d = os.path.join(tests, p, c)
            for f in sorted(os.listdir(d)):
                if not f.endswith(".raw"):
                    continue
                path = os.path.join(d, f)
                row = ct.index.GetRowMatch({"Command": c.replace("_", " "), "Platform": p})
                if not row:
                    continue
                tpl = ct.index.index[row]["Template"]
                size = os.path.getsize(path)
                if tpl not in best or best[tpl][0] < size:
                    best[tpl] = (size, path)
    out = sorted(best.items(), key=lambda kv: -kv[1][0])
    return [(t, path) for t, (_, path) in out]


def timed_engine(fsm, text, runs):
    """fsm_parse's engine alone on the same input: the rows counted, no
    Python objects made (the rest of ParseText is building the lists)."""
    cpu = []
    for _ in range(runs):
        c0 = time.process_time()
        fsm._native.count_rows(text)
        cpu.append(time.process_time() - c0)
    return statistics.median(cpu)


def timed(fsm, text, runs):
    cpu, wall, rows = [], [], None
    for _ in range(runs):
        # The previous run's rows are freed here, not inside the timed
        # call (rebinding `rows` after the call used to free them there:
        # for chassis firmware's 241,380 rows ~190 ms of textfsm's time
        # and ~11 ms of fsm_parse's; not ParseText's work).
        rows = None
        fsm.Reset()
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        rows = fsm.ParseText(text)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), rows


def main():
    corpus = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    chosen = sys.argv[3:]
    todo = cases(corpus)
    if chosen:
        todo = [c for c in todo if c[0] in chosen]
    else:
        todo = todo[:10]
    print("textfsm %s, fsm_parse from %s, Python %s, %d runs each, load: %s" % (
        textfsm.__version__, os.path.dirname(fsm_parse.__file__),
        sys.version.split()[0], runs, os.getloadavg()))
    print()
    print("| template | input | rows | textfsm CPU (wall) | fsm_parse CPU (wall) | CPU ratio | engine alone (CPU) |")
    print("|---|---|---|---|---|---|---|")
    ratios = []
    for tpl, raw in todo:
        with open(raw, encoding="utf-8") as fh:
            one = fh.read()
        if not one.endswith("\n"):
            one += "\n"
        text = one * -(-TARGET // len(one.encode()))
        path = os.path.join(corpus, "templates", tpl.split(":")[0])
        with open(path, encoding="utf-8") as fh:
            py = textfsm.TextFSM(fh)
        with open(path, encoding="utf-8") as fh:
            rs = fsm_parse.TextFSM(fh)
        try:
            pc, pw, prows = timed(py, text, runs)
        except textfsm.TextFSMError as pe:
            # The repeated case runs into an Error rule: both must say so.
            try:
                rs.Reset()
                rs.ParseText(text)
                same = "**fsm_parse gives rows**"
            except fsm_parse.TextFSMError as me:
                same = "same message" if str(me) == str(pe) else "**message differs**"
            print("| %s | %.1f MB | TextFSMError in both (%s) | - | - | - | - |" % (
                tpl.split(":")[0], len(text.encode()) / 1e6, same))
            continue
        rc, rw, rrows = timed(rs, text, runs)
        ec = timed_engine(rs, text, runs)
        same = "" if prows == rrows else " **ROWS DIFFER**"
        ratio = pc / rc if rc else float("inf")
        ratios.append(ratio)
        print("| %s | %.1f MB | %d%s | %.2f s (%.2f s) | %.3f s (%.3f s) | **%.1fx** | %.3f s (%.0fx) |" % (
            tpl.split(":")[0], len(text.encode()) / 1e6, len(rrows), same, pc, pw, rc, rw, ratio,
            ec, pc / ec if ec else float("inf")))
        sys.stdout.flush()
        del prows, rrows, text
    if ratios:
        print()
        print("lowest ratio %.1fx, median %.1fx; load after: %s" % (
            min(ratios), statistics.median(ratios), os.getloadavg()))


if __name__ == "__main__":
    main()
