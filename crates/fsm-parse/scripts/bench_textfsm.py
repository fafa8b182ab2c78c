#!/usr/bin/env python3
"""Times Python textfsm on the same inputs as the fsm-parse criterion benches.

  bench_textfsm.py corpus CORPUS_DIR [RUNS]
      every tests/<platform>/<command>/*.raw through templates/index:
      index_cold  = CliTable.ParseCmd per case (what ntc-templates does;
                    clitable re-reads and compiles each template per call),
      parse_only  = TextFSM objects built once, Reset() + ParseText per case.
  bench_textfsm.py file TEMPLATE INPUT [RUNS]
      one template over one (large) input: ParseText, template compiled once.
  bench_textfsm.py index TEMPLATE_DIR PLATFORM COMMAND INPUT [RUNS]
      CliTable.ParseCmd on one input.

Prints the median wall time of RUNS runs (default 5) and MB/s.
"""

import io
import os
import statistics
import sys
import time

import textfsm
from textfsm import clitable


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def report(name, size, med, times):
    print("%-28s median %8.3f s  %7.2f MB/s  (runs: %s)" % (
        name, med, size / med / 1e6, ", ".join("%.3f" % t for t in times)))


def corpus(root, runs):
    tdir = os.path.join(root, "templates")
    tests = os.path.join(root, "tests")
    cases = []
    for p in sorted(os.listdir(tests)):
        for c in sorted(os.listdir(os.path.join(tests, p))):
            for f in sorted(os.listdir(os.path.join(tests, p, c))):
                if f.endswith(".raw"):
                    with open(os.path.join(tests, p, c, f), encoding="utf-8") as fh:
                        cases.append((p, c.replace("_", " "), fh.read()))
    size = sum(len(t.encode()) for _, _, t in cases)
    print("corpus: %d cases, %d bytes" % (len(cases), size))

    def cold():
        clitable.CliTable.INDEX = {}
        ct = clitable.CliTable("index", tdir)
        for p, c, t in cases:
            ct.ParseCmd(t, {"Command": c, "Platform": p})

    med, times = timed(cold, runs)
    report("index_cold_368_cases", size, med, times)

    ct = clitable.CliTable("index", tdir)
    fsms = []
    for p, c, t in cases:
        row = ct.index.GetRowMatch({"Command": c, "Platform": p})
        names = ct.index.index[row]["Template"].split(":")
        objs = []
        for n in names:
            with open(os.path.join(tdir, n)) as fh:
                objs.append(textfsm.TextFSM(fh))
        fsms.append((objs, t))

    def parse_only():
        for objs, t in fsms:
            for o in objs:
                o.Reset()
                o.ParseText(t)

    med, times = timed(parse_only, runs)
    report("parse_only_368_cases", size, med, times)


def one_file(template, path, runs):
    with open(template) as fh:
        fsm = textfsm.TextFSM(fh)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    size = len(text.encode())

    def run():
        fsm.Reset()
        return len(fsm.ParseText(text))

    print("rows: %d" % run())
    med, times = timed(run, runs)
    report("template_run", size, med, times)


def index_file(tdir, platform, command, path, runs):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    size = len(text.encode())
    ct = clitable.CliTable("index", tdir)

    def run():
        ct.ParseCmd(text, {"Command": command, "Platform": platform})
        return ct.size

    print("rows: %d" % run())
    med, times = timed(run, runs)
    report("index_parse", size, med, times)


def main():
    a = sys.argv[1:]
    if a and a[0] == "corpus":
        corpus(a[1], int(a[2]) if len(a) > 2 else 5)
    elif a and a[0] == "file":
        one_file(a[1], a[2], int(a[3]) if len(a) > 3 else 5)
    elif a and a[0] == "index":
        index_file(a[1], a[2], a[3], a[4], int(a[5]) if len(a) > 5 else 5)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
