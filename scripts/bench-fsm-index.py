#!/usr/bin/env python3
"""fsm-parse through the index against Python textfsm 2.1 (clitable), on
20 MB inputs made of one recorded ntc-templates case repeated.

  scripts/bench-fsm-index.py CORPUS FSM_PARSE [RUNS] [CASE...]

CORPUS is an ntc-templates checkout (templates/index, tests/<platform>/
<command>/*.raw), FSM_PARSE the release binary. The cases are the 10
templates whose largest recorded case is the biggest (one case per
template), unless CASE names (template file names) are given. A template
is skipped (and listed as such) when its case repeated is not a 20 MB
parse: Python raises an Error action on the second copy, or the template
stops at `End` within the first copy (the rows do not grow with the
input).

For each case:
  - writes /tmp/fsm-bench/<template>.txt: the case repeated to >= 20 MB;
  - Python: clitable.CliTable(index).ParseCmd(text, {Command, Platform})
    RUNS times in this process (template compiled by the first call, as in
    a long-running netmiko/ntc-templates program: the first run is a
    warm-up and not counted); time.process_time() per run (user+sys CPU of
    this process) and wall time;
  - fsm-parse: `FSM_PARSE --index DIR --platform P --command C FILE
    --format json` RUNS times as a child process pinned to the core this
    script runs on (the affinity is inherited: no `taskset` process of
    its own, whose start-up, ~0.7 ms of CPU, getrusage would count as
    fsm-parse's), whole command
    (start-up, reading the file, JSON written to a file); user+sys CPU from
    getrusage(RUSAGE_CHILDREN) and wall time;
  - checks the rows: fsm-parse's JSON objects against clitable's rows,
    value by value in header order (lists compared as lists).

Prints a Markdown table: medians of CPU and wall per side, and the CPU
ratio (the machine is shared: CPU time is disturbed less by the load
than wall time). The script pins itself to one core (the lowest it may
run on; choose it with `taskset -c N`), so that Python and fsm-parse
both get that one core. Deletes the inputs when done.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time

from textfsm import clitable

TARGET = 20_000_000
TMP = "/tmp/fsm-bench"


def cases(corpus):
    """(template, platform, command, raw path) of the largest case per
    template, largest first."""
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
                cmd = c.replace("_", " ")
                row = ct.index.GetRowMatch({"Command": cmd, "Platform": p})
                if row is None or row < 0:
                    continue
                tpl = ct.index.index[row]["Template"]
                size = os.path.getsize(path)
                if tpl not in best or best[tpl][0] < size:
                    best[tpl] = (size, p, cmd, path)
    out = sorted(best.items(), key=lambda kv: -kv[1][0])
    return [(t, p, c, path) for t, (_, p, c, path) in out]


def make_input(tpl, raw):
    with open(raw, encoding="utf-8") as fh:
        text = fh.read()
    if not text.endswith("\n"):
        text += "\n"
    n = -(-TARGET // len(text.encode()))
    os.makedirs(TMP, exist_ok=True)
    path = os.path.join(TMP, tpl.replace(":", "+") + ".txt")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text * n)
    return path


def py_rows_of(tdir, platform, command, text):
    ct = clitable.CliTable("index", tdir)
    ct.ParseCmd(text, {"Command": command, "Platform": platform})
    return sum(1 for _ in ct)


def py_side(tdir, platform, command, text, runs):
    ct = clitable.CliTable("index", tdir)
    attrs = {"Command": command, "Platform": platform}
    ct.ParseCmd(text, attrs)  # warm-up: reads and compiles the template
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        ct.ParseCmd(text, attrs)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    header = list(ct.header)
    rows = [list(r) for r in ct]
    return cpu, wall, header, rows


def rs_side(exe, tdir, platform, command, path, runs):
    out = path + ".json"
    cmd = [exe, "--index", tdir, "--platform", platform,
           "--command", command, path, "--format", "json"]
    cpu, wall = [], []
    for _ in range(runs + 1):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        with open(out, "wb") as fh:
            subprocess.run(cmd, stdout=fh, check=True)
        w = time.perf_counter() - w0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        wall.append(w)
    with open(out, encoding="utf-8") as fh:
        rows = json.load(fh)
    os.remove(out)
    # The first run fills the page cache: not counted.
    return cpu[1:], wall[1:], rows


def same_rows(header, py_rows, rs_rows):
    if len(py_rows) != len(rs_rows):
        return "row count %d vs %d" % (len(py_rows), len(rs_rows))
    for i, (p, r) in enumerate(zip(py_rows, rs_rows)):
        got = [r.get(h) for h in header]
        if got != p:
            return "row %d differs: %r vs %r" % (i, p, got)
    return None


def main():
    # One core for both sides: this process, and fsm-parse through the
    # inherited affinity.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    corpus, exe = sys.argv[1], os.path.abspath(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    want = sys.argv[4:]
    tdir = os.path.join(corpus, "templates")
    todo = cases(corpus)
    todo = [c for c in todo if c[0] in want] if want else todo
    print("| template (case size) | rows | MB | fsm-parse CPU / wall | Python CPU / wall | CPU ratio | wall ratio | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    failed = False
    done = 0
    skipped = []
    for tpl, platform, command, raw in todo:
        if done == 10:
            break
        with open(raw, encoding="utf-8") as fh:
            one = fh.read()
        try:
            n1 = py_rows_of(tdir, platform, command, one)
            n2 = py_rows_of(tdir, platform, command, one + "\n" + one)
        except Exception as e:  # textfsm's Error action
            skipped.append("%s: %s" % (tpl, str(e).splitlines()[0][:80]))
            continue
        if n2 <= n1:
            skipped.append("%s: rows do not grow with the input (%d, %d)" % (tpl, n1, n2))
            continue
        done += 1
        path = make_input(tpl, raw)
        size = os.path.getsize(path)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        pc, pw, header, py_rows = py_side(tdir, platform, command, text, runs)
        rc, rw, rs_rows = rs_side(exe, tdir, platform, command, path, runs)
        diff = same_rows(header, py_rows, rs_rows)
        os.remove(path)
        med = statistics.median
        load = os.getloadavg()[0]
        print("| %s (%d B) | %d | %.1f | %.3f / %.3f s | %.2f / %.2f s | **%.1fx** | %.1fx | %.1f |%s" % (
            tpl, os.path.getsize(raw), len(py_rows), size / 1e6,
            med(rc), med(rw), med(pc), med(pw), med(pc) / med(rc),
            med(pw) / med(rw), load,
            "" if diff is None else " ROWS DIFFER: " + diff), flush=True)
        failed |= diff is not None
    for s in skipped:
        print("skipped: " + s)
    try:
        os.rmdir(TMP)
    except OSError:
        pass
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
