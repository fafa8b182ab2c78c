#!/usr/bin/env python3
"""Turns the rows `scripts/bench-grid.sh` prints into the two tables of
docs/BENCHMARKS.md (issue 13):

  scripts/bench-grid.sh 5 > grid.txt; scripts/grid-table.py [--ms] < grid.txt

1. The tools against ripgrep: one row per capture (size, frames, payload,
   format), one column per page-cache state; each cell "tls-audit /
   xff-scan" as ripgrep's median over the tool's (>1: faster), with
   ripgrep's median; `cold` also gives `cat` that way; the last column
   is two threads over one (`read` state, when the grid ran with TWO=1).
2. The floors against ripgrep, same layout: `walk_ratio sum` (every byte
   read once) / `walk_ratio chain` (each record's length read in order,
   nothing else) / `walk_ratio lanes` (every record header walked in the
   scanners' lanes, nothing done per packet).

With --ms, one row per cell instead (capture and state): every command's
median in ms with its ripgrep ratio, two threads over one in brackets.
"""
import re
import sys

STATES = ["w8k", "w1m", "read", "cold"]
NAMES = {"w8k": "written, 8 KiB writes", "w1m": "written, 1 MiB writes",
         "read": "dropped, read back", "cold": "cold (dropped each run)"}
ROW = re.compile(r"^\| (.+?), (\w+) \| `(.+?)` \| ([\d.]+) ms \| ([\d.]+) ms \| ([\d.]*)x? \|$")


def kind(cmd):
    threads = "2" if "--threads 2" in cmd else "1"
    for name in ("tls-audit", "xff-scan"):
        if cmd.startswith(name):
            return name + threads
    for name in ("rg", "cat"):
        if cmd.startswith(name + " "):
            return name
    m = re.match(r"walk_ratio (\w+)", cmd)
    return "floor-" + m.group(1) if m else None


def main():
    cells = {}
    order = []
    for line in sys.stdin:
        m = ROW.match(line.strip())
        if not m:
            continue
        cap, state, cmd, median, _cpu, _ratio = m.groups()
        k = kind(cmd)
        if k is None:
            continue
        if cap not in order:
            order.append(cap)
        cells.setdefault((cap, state), {})[k] = float(median)
    states = [s for s in STATES if any((c, s) in cells for c in order)]
    if "--ms" in sys.argv[1:]:
        by_cell(cells, order, states)
        return

    two = any("tls-audit2" in v for v in cells.values())
    rows = []
    for cap in order:
        row = [cap]
        for s in states:
            c = cells.get((cap, s), {})
            if "rg" not in c:
                row.append("")
                continue
            cell = f"{ratio(c, 'tls-audit1', 'rg')} / {ratio(c, 'xff-scan1', 'rg')} (rg {c['rg']:.0f} ms)"
            if "cat" in c:
                cell += f", cat {ratio(c, 'cat', 'rg')}"
            row.append(cell)
        if two:
            c = cells.get((cap, "read"), {})
            row.append(f"{ratio(c, 'tls-audit2', 'tls-audit1')} / {ratio(c, 'xff-scan2', 'xff-scan1')}")
        rows.append(row)
    table(["capture"] + [NAMES[s] for s in states] + (["two / one thread (read back)"] if two else []), rows)
    print()
    if not any("floor-sum" in v for v in cells.values()):
        return
    floors = ("floor-sum", "floor-chain", "floor-lanes")
    rows = [[cap] + [" / ".join(ratio(cells.get((cap, s), {}), f, "rg") for f in floors) for s in states]
            for cap in order]
    table(["capture: floors vs rg (sum / chain / lanes)"] + [NAMES[s] for s in states], rows)


def ratio(c, a, b):
    """c[b] / c[a] as "1.23x" ("?" when either is missing)."""
    return f"{c[b] / c[a]:.2f}x" if a in c and b in c and c[a] else "?"


def table(head, rows):
    """A Markdown table: text in the first column, numbers right-aligned."""
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def by_cell(cells, order, states):
    cols = [("rg", "rg"), ("tls-audit1", "tls-audit"), ("xff-scan1", "xff-scan"),
            ("floor-sum", "sum"), ("floor-chain", "chain"), ("floor-lanes", "lanes"),
            ("tls-audit2", "tls-audit, 2 threads"), ("xff-scan2", "xff-scan, 2 threads")]
    cols = [c for c in cols if any(c[0] in v for v in cells.values())]
    rows = []
    for cap in order:
        for s in states:
            c = cells.get((cap, s))
            if not c or "rg" not in c:
                continue
            row = [f"{cap}, {s}"]
            for k, _ in cols:
                if k not in c:
                    row.append("")
                elif k == "rg":
                    row.append(f"{c[k]:.1f} ms")
                elif k.endswith("2"):
                    one = k[:-1] + "1"
                    row.append(f"{c[k]:.1f} ms ({c[one] / c[k]:.2f}x)" if one in c else f"{c[k]:.1f} ms")
                else:
                    row.append(f"{c[k]:.1f} ms ({c['rg'] / c[k]:.2f}x)")
            rows.append(row)
    table(["capture, state"] + [n for _, n in cols], rows)


if __name__ == "__main__":
    main()
