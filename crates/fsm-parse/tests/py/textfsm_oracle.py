#!/usr/bin/env python3
"""Differential oracle: runs Python textfsm over every template of a
directory and prints one JSON document the Rust differential test compares
against, so that the whole suite costs one Python process.

Usage: textfsm_oracle.py TEMPLATE_DIR RECORDED_TESTS_DIR [MAX_RAW_PER_TEMPLATE]

For every template it reports the template error, or for each input the
rows (`ParseText`) or the error. Inputs are
  * the recorded raw files of the same command family (any platform: a
    template `<platform>_show_version` gets every `tests/*/show_version/*.raw`),
    named by path relative to RECORDED_TESTS_DIR, read as UTF-8 with their
    line ends kept;
  * synthetic documents generated deterministically from the template's own
    rules: for every state and rule, one line built from the rule's parsed
    regex (variant 0: one repetition, first alternative; 1: minimum
    repetitions, second alternative; 2: more repetitions, last alternative),
    sent in full (`text`) so that both engines see the same bytes.
"""

import io
import json
import os
import sys

import textfsm

try:  # Python 3.11+
    import re._parser as sre_parse
    import re._constants as C
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants as C

import re
import time

MAXLINE = 400


def member(items, ch):
    """Whether ch is in a parsed character set (without NEGATE)."""
    for op, av in items:
        if op is C.LITERAL and chr(av) == ch:
            return True
        if op is C.RANGE and av[0] <= ord(ch) <= av[1]:
            return True
        if op is C.CATEGORY:
            pat = {
                C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D",
                C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S",
                C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W",
            }.get(av)
            if pat and re.match(pat, ch):
                return True
    return False


CANDIDATES = "a1 x-.:/Z9_(,"


def gen_in(items, variant):
    negate = bool(items) and items[0][0] is C.NEGATE
    rest = items[1:] if negate else items
    if negate:
        for ch in CANDIDATES:
            if not member(rest, ch):
                return ch
        return "\u00e9"
    inside = [ch for ch in CANDIDATES if member(rest, ch)]
    if inside:
        return inside[variant % len(inside)]
    op, av = rest[0]
    if op is C.LITERAL:
        return chr(av)
    if op is C.RANGE:
        return chr(av[0])
    return "a"


def gen(tree, variant, groups, budget):
    out = []
    for op, av in tree:
        if sum(map(len, out)) > budget:
            break
        if op is C.LITERAL:
            out.append(chr(av))
        elif op is C.NOT_LITERAL:
            out.append("x" if chr(av) != "x" else "y")
        elif op is C.ANY:
            out.append("zq"[variant % 2])
        elif op is C.IN:
            out.append(gen_in(av, variant))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) or op is getattr(C, "POSSESSIVE_REPEAT", None):
            lo, hi, sub = av
            n = {0: max(lo, 1), 1: lo, 2: lo + 2}[variant]
            if hi is not C.MAXREPEAT:
                n = min(n, hi)
            n = min(n, 6)
            for _ in range(n):
                out.append(gen(sub, variant, groups, budget))
        elif op is C.SUBPATTERN:
            group, _add, _del, sub = av
            s = gen(sub, variant, groups, budget)
            if group:
                groups[group] = s
            out.append(s)
        elif op is C.BRANCH:
            _, branches = av
            pick = {0: 0, 1: 1, 2: len(branches) - 1}[variant] % len(branches)
            out.append(gen(branches[pick], variant, groups, budget))
        elif op is C.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is C.GROUPREF_EXISTS:
            group, yes, no = av
            if group in groups:
                out.append(gen(yes, variant, groups, budget))
            elif no is not None:
                out.append(gen(no, variant, groups, budget))
        elif op is getattr(C, "ATOMIC_GROUP", None):
            out.append(gen(av, variant, groups, budget))
        # AT (anchors), ASSERT, ASSERT_NOT: zero width, nothing to emit.
    return "".join(out)


def synthetic_docs(fsm):
    per_variant = []
    for variant in range(3):
        lines = []
        for state in fsm.state_list:
            for rule in fsm.states.get(state, []):
                try:
                    tree = sre_parse.parse(rule.regex)
                    line = gen(tree, variant, {}, MAXLINE)[:MAXLINE]
                except Exception:  # noqa: BLE001 - a generator limit, not a test failure
                    continue
                lines.append(line)
        per_variant.append(lines)
    docs = [("synthetic-states-v0", "\n".join(per_variant[0]) + "\n")]
    # Interleaved variants in state order, CRLF line ends, no final newline.
    mixed = [l for trio in zip(*per_variant) for l in trio]
    docs.append(("synthetic-mixed-crlf", "\r\n".join(mixed)))
    # Walks through the state machine: pick a (non-Error) rule of the
    # current state, emit a line for it, follow its transition.
    import random
    trees = {}
    for w in range(3):
        rng = random.Random("%s/%d" % (fsm.state_list[0] if fsm.state_list else "", w) + str(len(per_variant[0])) + "".join(per_variant[0][:3]))
        state, lines = "Start", []
        for _ in range(40):
            rules = [r for r in fsm.states.get(state, []) if r.line_op != "Error"]
            if not rules:
                break
            rule = rng.choice(rules)
            if id(rule) not in trees:
                try:
                    trees[id(rule)] = sre_parse.parse(rule.regex)
                except Exception:  # noqa: BLE001
                    trees[id(rule)] = None
            if trees[id(rule)] is None:
                continue
            lines.append(gen(trees[id(rule)], rng.randrange(3), {}, MAXLINE)[:MAXLINE])
            if rule.new_state in ("End", "EOF"):
                if rng.random() < 0.7:
                    continue  # keep walking: the engine must ignore the rest
                break
            if rule.new_state and rule.line_op != "Continue":
                state = rule.new_state
        docs.append(("synthetic-walk%d" % w, "\n".join(lines) + ("\n" if w % 2 == 0 else "")))
    return docs


def py_value(v):
    return v  # str, or list of str / None / dict: all JSON-serialisable


def run_one(template_text, text):
    try:
        fsm = textfsm.TextFSM(io.StringIO(template_text))
    except Exception as e:  # noqa: BLE001
        return {"template_error": str(e)}
    try:
        rows = fsm.ParseText(text)
        return {"rows": [[py_value(v) for v in r] for r in rows]}
    except textfsm.TextFSMError as e:
        return {"error": str(e), "kind": "TextFSMError"}
    except Exception as e:  # noqa: BLE001 - e.g. TypeError inside a List option
        return {"error": "%s: %s" % (type(e).__name__, e), "kind": type(e).__name__}


def worker(conn):
    """Runs jobs (template text, [(label, text)]) sent over conn."""
    while True:
        job = conn.recv()
        if job is None:
            return
        ttext, inputs = job
        conn.send([run_one(ttext, text) for _label, text in inputs])


class Pool:
    """One worker process at a time; a job that runs past its deadline (Python
    re's catastrophic backtracking on some templates) gets the worker killed
    and is reported as a timeout."""

    def __init__(self):
        import multiprocessing as mp
        self.mp = mp.get_context("fork")
        self.proc = None
        self.conn = None

    def _spawn(self):
        parent, child = self.mp.Pipe()
        self.proc = self.mp.Process(target=worker, args=(child,), daemon=True)
        self.proc.start()
        self.conn = parent

    def run(self, ttext, inputs, timeout):
        if self.proc is None:
            self._spawn()
        self.conn.send((ttext, inputs))
        if self.conn.poll(timeout):
            return self.conn.recv()
        self.proc.kill()
        self.proc.join()
        self.proc = None
        return None

    def close(self):
        if self.proc is not None:
            self.conn.send(None)
            self.proc.join(5)


def main():
    tdir, rdir = sys.argv[1], sys.argv[2]
    max_raw = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    case_timeout = float(os.environ.get("ORACLE_CASE_TIMEOUT", "5"))
    families = {}
    for platform in sorted(os.listdir(rdir)):
        pdir = os.path.join(rdir, platform)
        if not os.path.isdir(pdir):
            continue
        for cmd in sorted(os.listdir(pdir)):
            cdir = os.path.join(pdir, cmd)
            for f in sorted(os.listdir(cdir)):
                if f.endswith(".raw"):
                    families.setdefault(cmd, []).append(os.path.join(platform, cmd, f))
    out = {"textfsm_version": textfsm.__version__, "templates": []}
    pool = Pool()
    for name in sorted(os.listdir(tdir)):
        if not name.endswith(".textfsm"):
            continue
        t0 = time.time()
        with open(os.path.join(tdir, name), encoding="utf-8") as fh:
            ttext = fh.read()
        entry = {"name": name}
        try:
            fsm = textfsm.TextFSM(io.StringIO(ttext))
        except Exception as e:  # noqa: BLE001
            entry["template_error"] = str(e)
            out["templates"].append(entry)
            continue
        entry["header"] = fsm.header
        stem = name[: -len(".textfsm")]
        raws = []
        for cmd, files in families.items():
            if stem.endswith("_" + cmd):
                raws.extend(files)
        inputs = []  # (label, text, send_text)
        for rel in sorted(raws)[:max_raw]:
            with open(os.path.join(rdir, rel), encoding="utf-8", newline="") as fh:
                inputs.append((rel, fh.read(), False))
        for label, text in synthetic_docs(fsm):
            inputs.append((label, text, True))
        results = pool.run(ttext, [(l, t) for l, t, _ in inputs], case_timeout * 2)
        if results is None:
            # Find the slow case(s): one at a time.
            results = []
            for l, t, _ in inputs:
                r = pool.run(ttext, [(l, t)], case_timeout)
                results.append(r[0] if r is not None else {"timeout": case_timeout})
        cases = []
        for (label, text, send), r in zip(inputs, results):
            r["input"] = label
            if send:
                r["text"] = text
            cases.append(r)
        entry["cases"] = cases
        out["templates"].append(entry)
        if os.environ.get("ORACLE_TRACE"):
            print("%s %.2f" % (name, time.time() - t0), file=sys.stderr)
    pool.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
