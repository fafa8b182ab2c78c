#!/usr/bin/env bash
# Side by side, one process per run: tls-audit and xff-scan against ripgrep
# on the same 256 MiB benchmark captures, in the two page-cache states a
# capture is found in (see docs/BENCHMARKS.md):
#   written   - the file as a writer with 8 KiB writes (tcpdump's stdio
#               buffer) leaves it in the page cache: small folios, so
#               mapping it costs a page fault per 64 KiB;
#   read-back - the file dropped from the cache and read back (what a
#               capture on disk looks like once read): large folios.
# Prints hyperfine medians and the ratio to ripgrep of the same run.
#
# Usage: scripts/bench-vs-ripgrep.sh [RUNS]      (needs hyperfine, rg)
# Captures go to $BENCH_DIR (default target/bench-captures), ~1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
dir=${BENCH_DIR:-target/bench-captures}
mkdir -p "$dir"
for tool in hyperfine rg; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt install $tool)" >&2; exit 2; }
done

cargo build --release -q -p tls-audit -p xff-scan-bin
cargo build --release -q -p tls-handshake --features audit --example gen_bench_capture
cargo build --release -q -p xff-scan --example gen_xff_bench
bin=${CARGO_TARGET_DIR:-target}/release
tls=$dir/tls-bench.pcap
xff=$dir/xff-bench-256m.pcap
[ -s "$tls" ] || "$bin/examples/gen_bench_capture" "$tls" 256 5 1
[ -s "$xff" ] || "$bin/examples/gen_xff_bench" "$xff" 256 100 42

median() {
    python3 - "$@" <<'PY'
import json, statistics, sys
rows = json.load(open(sys.argv[1]))["results"]
ref = statistics.median(rows[-1]["times"])
for r in rows:
    m = statistics.median(r["times"])
    print(f"| `{r['command']}` | {m*1e3:.1f} ms | {r['user']*1e3:.1f} ms | {r['system']*1e3:.1f} ms | {ref/m:.2f}x |")
PY
}

run() { # state file tool-commands... (the last one is ripgrep)
    local state=$1 file=$2
    shift 2
    echo
    echo "$state, $(basename "$file"), load $(cut -d' ' -f1-3 /proc/loadavg):"
    echo "| command | median | user | sys | vs ripgrep |"
    echo "|---|---:|---:|---:|---:|"
    hyperfine -N -i -w 3 -r "$runs" --export-json "$dir/hf.json" "$@" >/dev/null 2>&1
    median "$dir/hf.json"
}

for name in tls xff; do
    src=$tls
    [ $name = xff ] && src=$xff
    written=$dir/$name-written.pcap
    for state in written read-back; do
        if [ $state = written ]; then
            rm -f "$written"
            dd if="$src" of="$written" bs=8k status=none
            f=$written
        else
            dd if="$src" iflag=nocache count=0 status=none # drop it from the cache
            cat "$src" >/dev/null
            f=$src
        fi
        if [ $name = tls ]; then
            run $state "$f" \
                "$bin/tls-audit --threads 1 --format csv $f" \
                "$bin/tls-audit --threads 2 --format csv $f" \
                "rg -a -c -F NOT_PRESENT_LITERAL_42 $f"
        else
            run $state "$f" \
                "$bin/xff-scan --ip 203.0.113.77 --threads 1 --format csv $f" \
                "$bin/xff-scan --ip 203.0.113.77 --threads 2 --format csv $f" \
                "rg -a -c 'X-Forwarded-For: 203.0.113.77' $f"
        fi
    done
    rm -f "$written"
done
