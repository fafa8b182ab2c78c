#!/usr/bin/env python3
"""Alternating runs for noisy machines: usage `alternate-runs.py ROUNDS CMD...`.
One warm-up run each, then ROUNDS rounds that run every command once (order
rotated each round); prints per command the median wall time and the median
user+sys CPU of the child, with ratios to the first command (>1: faster),
and the minimum CPU (noise on a shared machine only adds time, so the
minimum of a deterministic job is the steadiest figure)."""
import resource, statistics, subprocess, sys, time
rounds = int(sys.argv[1]); cmds = sys.argv[2:]
wall = {c: [] for c in cmds}; cpu = {c: [] for c in cmds}
for c in cmds:  # warm-up
    subprocess.run(c, shell=True, stdout=subprocess.DEVNULL)
for r in range(rounds):
    order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
    for c in order:
        u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, check=True)
        t1 = time.perf_counter()
        u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall[c].append(t1 - t0)
        cpu[c].append((u1.ru_utime - u0.ru_utime) + (u1.ru_stime - u0.ru_stime))
base = cmds[0]
bw, bc = statistics.median(wall[base]), statistics.median(cpu[base])
for c in cmds:
    w, u = statistics.median(wall[c]), statistics.median(cpu[c])
    m = min(cpu[c])
    print(f"{w*1000:8.1f} ms wall ({bw/w:5.2f}x)  {u*1000:8.1f} ms cpu ({bc/u:5.2f}x)"
          f"  min {m*1000:7.1f} ms cpu ({min(cpu[base])/m:5.2f}x)  {c}")
