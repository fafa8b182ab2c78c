#!/usr/bin/env bash
# Issue 13: the capture tools against ripgrep on a 1 GiB classic pcap with
# random payloads (and its pcapng copy), one core (taskset -c 0), page cache
# warm and, when permitted, after dropping the caches; plus the same file
# read as a stream (`TOOL - < FILE`: read(2) into one reused 1 MiB buffer,
# no mmap) to compare the two input strategies. Prints hyperfine medians,
# user+sys, the ratio to ripgrep in the same run, and the load average.
#
# Usage: scripts/bench-input.sh [RUNS]     (needs hyperfine, rg)
# Captures go to $BENCH_DIR (default /tmp/netops-bench-input, ~3 GiB) and
# are deleted at the end unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
dir=${BENCH_DIR:-/tmp/netops-bench-input}
mkdir -p "$dir"
cargo build --release -q -p tls-audit -p xff-scan-bin
cargo build --release -q -p tls-handshake --features audit --example gen_bench_capture
cargo build --release -q -p xff-scan --example gen_xff_bench
bin=${CARGO_TARGET_DIR:-target}/release
tlsf=$dir/tls-1g.pcap
xfff=$dir/xff-1g.pcap
[ -s "$tlsf" ] || "$bin/examples/gen_bench_capture" "$tlsf" 1024 5 1 >/dev/null
[ -s "$xfff" ] || "$bin/examples/gen_xff_bench" "$xfff" 1024 100 42 >/dev/null
if command -v editcap >/dev/null; then
    [ -s "$dir/tls-1g.pcapng" ] || editcap -F pcapng "$tlsf" "$dir/tls-1g.pcapng"
fi

table() {
    python3 - "$1" <<'PY'
import json, statistics, sys
rows = json.load(open(sys.argv[1]))["results"]
ref = statistics.median(rows[-1]["times"])
for r in rows:
    m = statistics.median(r["times"])
    print(f"| `{r['command']}` | {m*1e3:.0f} ms | {r['user']*1e3:.0f} ms | {r['system']*1e3:.0f} ms | {ref/m:.2f}x |")
PY
}

run() { # label prepare-cmd commands... (the last one is ripgrep)
    local label=$1 prep=$2
    shift 2
    echo
    echo "$label, load $(cut -d' ' -f1-3 /proc/loadavg):"
    echo "| command | median | user | sys | vs rg |"
    echo "|---|---:|---:|---:|---:|"
    local p=()
    [ -n "$prep" ] && p=(--prepare "$prep")
    hyperfine -N -i -w 1 -r "$runs" "${p[@]}" --export-json "$dir/hf.json" "$@" >/dev/null 2>&1
    table "$dir/hf.json"
}

one=(taskset -c 0)
drop=""
if [ -w /proc/sys/vm/drop_caches ] && (sync; echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null; then
    drop="sh -c 'sync; echo 1 > /proc/sys/vm/drop_caches'"
fi
for f in "$tlsf" "$dir/tls-1g.pcapng"; do
    [ -s "$f" ] || continue
    cat "$f" >/dev/null
    run "tls-audit, $(basename "$f"), warm" "" \
        "${one[*]} $bin/tls-audit --threads 1 --format jsonl $f" \
        "${one[*]} sh -c '$bin/tls-audit --threads 1 --format jsonl - < $f'" \
        "${one[*]} rg -a -c -F NOT_PRESENT_LITERAL_42 $f"
done
cat "$xfff" >/dev/null
run "xff-scan, $(basename "$xfff"), warm" "" \
    "${one[*]} $bin/xff-scan --ip 203.0.113.77 --threads 1 --format jsonl $xfff" \
    "${one[*]} sh -c '$bin/xff-scan --ip 203.0.113.77 --threads 1 --format jsonl - < $xfff'" \
    "${one[*]} rg -a -c -F X-Forwarded-For:\ 203.0.113.77 $xfff"
if [ -n "$drop" ]; then
    run "tls-audit, $(basename "$tlsf"), cold (caches dropped before each run)" "$drop" \
        "${one[*]} $bin/tls-audit --threads 1 --format jsonl $tlsf" \
        "${one[*]} cat $tlsf" \
        "${one[*]} rg -a -c -F NOT_PRESENT_LITERAL_42 $tlsf"
else
    echo; echo "cold: not measured (cannot write /proc/sys/vm/drop_caches here)"
fi
[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
