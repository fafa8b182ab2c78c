#!/usr/bin/env bash
# capture-sql on a Ballista cluster on this machine: one executor against
# two (two clusters up at once), same 1 GiB generated capture, same queries.
# Each executor runs one task at a time (--concurrency 1) and is pinned to
# a core of its own (taskset), so "two executors" is "twice the workers";
# the client and the scheduler are not pinned.
#
# Prints, per query, the median wall time of RUNS client runs on each
# cluster (after one warm-up run each; the two clusters alternate), the
# speed-up, then each executor's peak resident memory (VmHWM) over all its
# queries. The single runs go to stderr.
#
# Usage: scripts/bench-capture-sql-cluster.sh [RUNS] [MIB]
# SPLIT_MIB=N sets the client's region size (default: capture-sql's).
# TABLE=http queries the `http` table of a generated proxy capture
# (gen_xff_bench: one request per 100 frames) instead of `tls`.
# PROFILE=debug uses the debug build (quick check of the script); the
# default is the sqlbench profile (release settings, see Cargo.toml), the
# same build scripts/bench-capture-sql-local.sh measures.
# The capture goes to $BENCH_DIR (default /tmp/capture-sql-bench) and is
# deleted at the end unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
mib=${2:-1024}
dir=${BENCH_DIR:-/tmp/capture-sql-bench}
mkdir -p "$dir"

profile=${PROFILE:-sqlbench}
flag=(--profile "$profile")
[ "$profile" = debug ] && flag=()
cargo build "${flag[@]}" -q -p capture-sql-cli
cargo build "${flag[@]}" -q -p tls-handshake --features audit --example gen_bench_capture
cargo build "${flag[@]}" -q -p xff-scan --example gen_xff_bench
table=${TABLE:-tls}
bin=${CARGO_TARGET_DIR:-target}/$profile
sql=$bin/capture-sql
# SPLIT_MIB=N passes --split-mib N (region size) to the client.
split=()
[ -n "${SPLIT_MIB:-}" ] && split=(--split-mib "$SPLIT_MIB")
cap=$dir/bench-$table-${mib}m.pcap
if [ ! -s "$cap" ]; then
    case $table in
        tls) "$bin/examples/gen_bench_capture" "$cap" "$mib" 5 1 ;;
        http) "$bin/examples/gen_xff_bench" "$cap" "$mib" 100 42 2>/dev/null ;;
        *) echo "TABLE must be tls or http" >&2; exit 3 ;;
    esac
fi

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$dir"; fi
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Two clusters up at the same time: A with one executor (core 0), B with
# two (cores 0 and 1). Queries alternate between them, so drift in the
# machine's speed (this VM's is large and lasts minutes) falls on both
# alike; the idle cluster only sends heartbeats.
start_scheduler() { # name
    local p
    p=$(port)
    "$sql" scheduler --bind 127.0.0.1:"$p" >"$dir/scheduler-$1.out" 2>"$dir/scheduler-$1.log" &
    pids+=($!)
    sport=$p
}

# Sets $started to the executor's pid. Not run as `$(...)`: a subshell
# would keep the pid out of `pids`, and the executor would outlive the
# script (an earlier version leaked them: a leaked executor that stops
# later deletes the shuffle files of the next run's executor in the same
# work directory, which capture-sql now refuses).
start_executor() { # scheduler-port core name
    taskset -c "$2" "$sql" executor --scheduler 127.0.0.1:"$1" --bind 127.0.0.1:0 \
        --concurrency 1 --work-dir "$dir/work-$3" >"$dir/executor-$3.out" 2>"$dir/executor-$3.log" &
    started=$!
    pids+=("$started")
}

wait_ready() { # scheduler-port executors
    for _ in $(seq 1 300); do
        if curl -s "http://127.0.0.1:$1/readyz" 2>/dev/null | grep -q "ready: $2 executors"; then
            return 0
        fi
        sleep 0.1
    done
    echo "executors did not register" >&2
    exit 1
}

# Each query runs with capture-sql's plan (a GROUP BY of few groups, like
# TLS versions, has its final aggregate in one task; of many, like hosts,
# in hash partitions); a GROUP BY also with the other choice forced (a
# `--set` entry is "--set KEY=VALUE|SQL").
partitioned="datafusion.optimizer.repartition_aggregations=true"
single="datafusion.optimizer.repartition_aggregations=false"
case $table in
    tls) queries=(
        "SELECT count(*) FROM tls"
        "SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC"
        "--set $partitioned|SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC"
    ) ;;
    http) queries=(
        "SELECT count(*) FROM http"
        "SELECT http_host, count(*) AS n FROM http GROUP BY http_host ORDER BY n DESC"
        "--set $single|SELECT http_host, count(*) AS n FROM http GROUP BY http_host ORDER BY n DESC"
    ) ;;
esac

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }

start_scheduler one
port_one=$sport
start_executor "$port_one" 0 one
e_one=$started
start_scheduler two
port_two=$sport
start_executor "$port_two" 0 two-0
e_two0=$started
start_executor "$port_two" 1 two-1
e_two1=$started
wait_ready "$port_one" 1
wait_ready "$port_two" 2

once() { # port query -> seconds
    local t0 t1 q=$2 set=()
    if [[ $q == --set\ * ]]; then
        set=(--set "${q%%|*}")
        set[1]=${set[1]#--set }
        q=${q#*|}
    fi
    t0=$(date +%s.%N)
    "$sql" --format csv "${split[@]}" "${set[@]}" --cluster "df://127.0.0.1:$1" "$q" "$cap" >/dev/null
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1-$t0:.4f}')"
}

echo "capture: $cap ($(stat -c %s "$cap") bytes), runs $runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| query | one executor (median) | two executors (median) | speed-up of the medians | median of the per-round speed-ups |"
echo "|---|---:|---:|---:|---:|"
for q in "${queries[@]}"; do
    once "$port_one" "$q" >/dev/null # warm-up: page cache, connections
    once "$port_two" "$q" >/dev/null
    ones=(); twos=(); ratios=()
    for r in $(seq 1 "$runs"); do
        # alternate which cluster goes first
        if [ $((r % 2)) = 1 ]; then
            a=$(once "$port_one" "$q"); b=$(once "$port_two" "$q")
        else
            b=$(once "$port_two" "$q"); a=$(once "$port_one" "$q")
        fi
        ones+=("$a"); twos+=("$b"); ratios+=("$(python3 -c "print($a/$b)")")
    done
    ma=$(median "${ones[@]}"); mb=$(median "${twos[@]}")
    echo "| \`${q/|/ }\` | $ma s | $mb s | $(python3 -c "print(f'{$ma/$mb:.2f}x')") | $(median "${ratios[@]}")x |"
    echo "  one: ${ones[*]}" >&2
    echo "  two: ${twos[*]}" >&2
done
echo
for p in "$e_one" "$e_two0" "$e_two1"; do
    echo "executor pid $p: peak RSS $(grep VmHWM /proc/"$p"/status | awk '{print $2, $3}')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
