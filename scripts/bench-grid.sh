#!/usr/bin/env bash
# Issue 13: tls-audit and xff-scan against ripgrep over the grid of capture
# kinds and page-cache states, one core (taskset -c 0), same file, same run.
#
#   scripts/bench-grid.sh [RUNS]
#
# Axes (each a space-separated list in the environment; defaults below):
#   SIZES     capture size in MiB                      (256)
#   FRAMES    mixed (mean ~580 B) | small (64-200 B) | large (1514 B)
#   PAYLOADS  random | zero (mostly-zero payloads)
#   FORMATS   pcap | pcapng | erf   (converted with editcap / to_erf)
#   STATES    w8k   copied with 8 KiB writes (tcpdump's stdio buffer),
#                   measured as the writer leaves it in the page cache
#             w1m   copied with 1 MiB writes
#             read  dropped from the page cache and read back (cat)
#             cold  dropped before every run (needs root: drop_caches);
#                   `cat FILE` is measured too (the disk's speed)
#   TWO=1     also tls-audit/xff-scan on two cores in the `read` state
#   BASE=DIR  also DIR/tls-audit and DIR/xff-scan (an earlier build), one
#             core, in every cell: before/after in the same run
#   CORE=N    the core the one-core runs are pinned to (0)
#   FLOORS=0  leave out the three floors measured in every cell by
#             default (crates/pcap-core/examples/walk_ratio.rs):
#             `walk_ratio sum FILE 1` (every byte of the file read once,
#             the memory traffic of ripgrep's search), `walk_ratio chain
#             FILE 1` (each record's length read in order, nothing else:
#             the least a tool that numbers frames and finds a corrupt
#             record must do) and `walk_ratio lanes FILE 1` (every record
#             header walked in the scanners' lanes, nothing done per
#             packet: where the scanners start)
#
# Prints one markdown row per cell: medians (hyperfine -N), CPU (user+sys
# means) and the ripgrep ratio (rg median / tool median; >1: faster). The
# ripgrep command is `rg -a -c -F NOT_PRESENT_LITERAL_42 FILE` (a literal
# that never matches: a full search, as for a rare address).
# Captures go to $BENCH_DIR (default /tmp/netops-bench-grid) and are deleted
# as soon as their cells are measured.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
dir=${BENCH_DIR:-/tmp/netops-bench-grid}
sizes=${SIZES:-256}
frames=${FRAMES:-mixed small large}
payloads=${PAYLOADS:-random zero}
formats=${FORMATS:-pcap pcapng erf}
states=${STATES:-w8k w1m read cold}
mkdir -p "$dir"
cargo build --release -q -p tls-audit -p xff-scan-bin
cargo build --release -q -p tls-handshake --features audit --example gen_bench_capture
cargo build --release -q -p pcap-core --example to_erf --example walk_ratio
bin=${CARGO_TARGET_DIR:-target}/release
one="taskset -c ${CORE:-0}"
can_drop=0
if [ -w /proc/sys/vm/drop_caches ] && (sync; echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null; then
    can_drop=1
fi
drop() { sync; echo 1 > /proc/sys/vm/drop_caches; }

summary() { # json label -> rows "| label | command | median | cpu | vs rg |"
    python3 - "$1" "$2" <<'PY'
import json, os, re, statistics, sys
base_dir = os.environ.get("BASE", "")
rows = json.load(open(sys.argv[1]))["results"]
rg = [r for r in rows if " rg " in f" {r['command']} "]
ref = statistics.median(rg[0]["times"]) if rg else None
for r in rows:
    m = statistics.median(r["times"])
    cmd = re.sub(r"taskset -c \d+ ", "", r["command"])
    base = " (BASE)" if base_dir and base_dir + "/" in cmd else ""
    cmd = re.sub(r"\S*/", "", cmd) + base
    ratio = f"{ref / m:.2f}x" if ref else ""
    print(f"| {sys.argv[2]} | `{cmd}` | {m*1e3:.1f} ms | {(r['user']+r['system'])*1e3:.1f} ms | {ratio} |")
PY
}

echo "| capture, state | command | median | CPU | vs rg |"
echo "|---|---|---:|---:|---:|"
for size in $sizes; do
for fr in $frames; do
for pl in $payloads; do
    base=$dir/gen.pcap
    "$bin/examples/gen_bench_capture" "$base" "$size" 5 7 "$fr" "$pl" 2>/dev/null
    mv "$base" "$dir/src.pcap"
    for fmt in $formats; do
        src=$dir/src.$fmt
        case $fmt in
            pcap) ;;
            pcapng) editcap -F pcapng "$dir/src.pcap" "$src" ;;
            erf) "$bin/examples/to_erf" "$dir/src.pcap" "$src" ;;
        esac
        f=$dir/cap.$fmt
        cmds=(
            "$one $bin/tls-audit --threads 1 --format jsonl $f"
            "$one $bin/xff-scan --ip 203.0.113.77 --threads 1 --format jsonl $f"
            "$one rg -a -c -F NOT_PRESENT_LITERAL_42 $f"
        )
        if [ "${FLOORS:-1}" = 1 ]; then
            cmds+=(
                "$one $bin/examples/walk_ratio sum $f 1"
                "$one $bin/examples/walk_ratio chain $f 1"
                "$one $bin/examples/walk_ratio lanes $f 1"
            )
        fi
        if [ -n "${BASE:-}" ]; then
            cmds+=(
                "$one $BASE/tls-audit --threads 1 --format jsonl $f"
                "$one $BASE/xff-scan --ip 203.0.113.77 --threads 1 --format jsonl $f"
            )
        fi
        for st in $states; do
            label="$size MiB $fr $pl $fmt, $st"
            prep=()
            case $st in
                w8k) rm -f "$f"; dd if="$src" of="$f" bs=8k status=none ;;
                w1m) rm -f "$f"; dd if="$src" of="$f" bs=1M status=none ;;
                read)
                    [ -f "$f" ] || cp "$src" "$f"
                    if [ $can_drop = 1 ]; then drop; fi
                    cat "$f" > /dev/null ;;
                cold)
                    if [ $can_drop = 0 ]; then
                        echo "| $label | not measured: cannot drop the page cache here | | | |"
                        continue
                    fi
                    [ -f "$f" ] || cp "$src" "$f"
                    prep=(--prepare "sh -c 'sync; echo 1 > /proc/sys/vm/drop_caches'") ;;
            esac
            extra=()
            [ "$st" = cold ] && extra=("$one cat $f")
            [ "$st" = read ] && [ "${TWO:-0}" = 1 ] && extra=(
                "$bin/tls-audit --threads 2 --format jsonl $f"
                "$bin/xff-scan --ip 203.0.113.77 --threads 2 --format jsonl $f")
            warm=(-w 1)
            [ "$st" = cold ] && warm=()
            hyperfine -N -i "${warm[@]}" -r "$runs" "${prep[@]}" --export-json "$dir/hf.json" \
                "${cmds[@]}" "${extra[@]}" > /dev/null 2>&1
            summary "$dir/hf.json" "$label"
        done
        rm -f "$f"
        [ "$fmt" = pcap ] || rm -f "$src"
    done
    rm -f "$dir/src.pcap"
done
done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$dir"
