#!/usr/bin/env bash
# Native RMCP+ (ipmi-sel --kind ipmi) against the peers, two measurements
# recorded in docs/BENCHMARKS.md:
#   1. one OpenIPMI ipmi_sim BMC with 200 SEL entries and 5 SDRs (lanplus,
#      cipher suite 3, the only RMCP+ suite ipmi_sim has): hyperfine of
#      `ipmi-sel fetch --kind ipmi` vs `ipmitool -I lanplus sel elist`, one
#      process per run, both reading SDR names and every entry;
#   2. 1,000 simulated RMCP+ BMCs (bmc-sim --lan, its own process, suite 17
#      by default) polled once by `ipmi-sel watch --once` at concurrency 100:
#      wall time and peak RSS from /usr/bin/time -v.
# Prints the load (uptime) first.
#
# Usage: [PROFILE=debug] scripts/bench-ipmi-lan.sh [RUNS]
#        (needs hyperfine, ipmi_sim, ipmitool; PROFILE defaults to release)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
for tool in hyperfine ipmi_sim ipmitool /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt install hyperfine openipmi ipmitool time)" >&2; exit 2; }
done
profile=${PROFILE:-release}
if [ -n "${SKIP_BUILD:-}" ]; then
    :
elif [ "$profile" = debug ]; then
    cargo build -q -p ipmi-sel-bin -p bmc-sim
else
    cargo build --profile "$profile" -q -p ipmi-sel-bin -p bmc-sim
fi
bin=${CARGO_TARGET_DIR:-target}/$profile
work=$(mktemp -d /tmp/bench-ipmi-lan.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
uptime

# --- 1. ipmi_sim, 200 entries -------------------------------------------
port=$((20000 + RANDOM % 20000))
export BENCH_PW=bench-Pa55
cat > "$work/lan.conf" <<CONF
name "bench"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
user 2 true "admin" "$BENCH_PW" admin 10 none md2 md5 straight
CONF
{
    echo "mc_setbmc 0x20"
    echo "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02"
    echo "sel_enable 0x20 1000 0x0a"
    # the compact SDRs of bmc_sim::lan::fixture_sdrs()
    echo "main_sdr_add 0x20 0x00 0x00 0x51 0x02 0x28 0x20 0x00 0x51 0x07 0x01 0x00 0x00 0x05 0x6f 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0xcd 0x43 0x68 0x61 0x73 0x73 0x69 0x73 0x20 0x49 0x6e 0x74 0x72 0x75"
    echo "main_sdr_add 0x20 0x00 0x00 0x51 0x02 0x27 0x20 0x00 0x02 0x07 0x01 0x00 0x00 0x14 0x6f 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0xcc 0x50 0x6f 0x77 0x65 0x72 0x20 0x42 0x75 0x74 0x74 0x6f 0x6e"
    echo "main_sdr_add 0x20 0x00 0x00 0x51 0x02 0x23 0x20 0x00 0x31 0x07 0x01 0x00 0x00 0x01 0x01 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0xc8 0x43 0x50 0x55 0x20 0x54 0x65 0x6d 0x70"
    echo "main_sdr_add 0x20 0x00 0x00 0x51 0x02 0x26 0x33 0x00 0x08 0x07 0x01 0x00 0x00 0x0c 0x6f 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0xcb 0x44 0x49 0x4d 0x4d 0x20 0x53 0x74 0x61 0x74 0x75 0x73"
    echo "main_sdr_add 0x20 0x00 0x00 0x51 0x02 0x22 0x33 0x00 0x00 0x07 0x01 0x00 0x00 0x13 0x6f 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0xc7 0x50 0x43 0x49 0x20 0x42 0x75 0x73"
    for i in $(seq 0 199); do
        case $((i % 5)) in
            0) echo "sel_add 0x20 0x02 0 0 0 0 0x20 0 4 0x05 0x51 0x6f 0xf0 0xff 0xff" ;;
            1) echo "sel_add 0x20 0x02 0 0 0 0 0x20 0 4 0x14 0x02 0x6f 0x00 0xff 0xff" ;;
            2) echo "sel_add 0x20 0x02 0 0 0 0 0x20 0 4 0x01 0x31 0x01 0x57 0x55 0x50" ;;
            3) echo "sel_add 0x20 0x02 0 0 0 0 0x33 0 4 0x0c 0x08 0x6f 0xa0 0x00 0x03" ;;
            *) echo "sel_add 0x20 0x02 0 0 0 0 0x33 0 4 0x13 0x00 0x6f 0xa5 0x80 0x12" ;;
        esac
    done
    echo "mc_enable 0x20"
} > "$work/cmds.emu"
ipmi_sim -c "$work/lan.conf" -f "$work/cmds.emu" -n -p -s "$work/state" </dev/null >/dev/null 2>&1 &
pids+=($!)
export IPMI_PASSWORD=$BENCH_PW
ipmitool=(ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$port" -U admin -E)
for _ in $(seq 60); do "${ipmitool[@]}" sel info >/dev/null 2>&1 && break; sleep 0.5; done
n=$("$bin/ipmi-sel" fetch --kind ipmi --url "ipmi://127.0.0.1:$port" --cipher-suite 3 --user admin --password-env BENCH_PW --format jsonl | wc -l)
m=$("${ipmitool[@]}" sel elist | wc -l)
echo "entries: ipmi-sel $n, ipmitool $m"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/hf.json" \
    -n "ipmi-sel fetch --kind ipmi" "$bin/ipmi-sel fetch --kind ipmi --url ipmi://127.0.0.1:$port --cipher-suite 3 --user admin --password-env BENCH_PW --format jsonl" \
    -n "ipmitool -I lanplus sel elist" "ipmitool -I lanplus -C 3 -H 127.0.0.1 -p $port -U admin -E sel elist"
if command -v python3 >/dev/null; then
    python3 - "$work/hf.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
m = [x["median"] * 1000 for x in r]
print("medians: " + ", ".join(f"{x['command']}: {v:.1f} ms" for x, v in zip(r, m)) + f"; ratio {m[1] / m[0]:.2f}x")
PY
fi

# --- 2. 1,000 simulated RMCP+ BMCs at concurrency 100 -------------------
export BMC_SIM_PASSWORD=$BENCH_PW
"$bin/bmc-sim" --lan --count 1000 --listen 127.0.0.1:0 --write-inventory "$work/lan.toml" > "$work/sim.out" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/sim.out" ] && break; sleep 0.1; done
cat "$work/sim.out"
rm -rf "$work/ipmi-sel-state"
for round in "first (no state)" "second (state kept)"; do
    /usr/bin/time -v "$bin/ipmi-sel" watch --inventory "$work/lan.toml" --once \
        > "$work/alerts.out" 2> "$work/time.out" || true
    echo "$round poll: $(grep -c CRITICAL "$work/alerts.out") alerts; $(grep 'polled' "$work/time.out")"
    grep -E "Elapsed \(wall|Maximum resident" "$work/time.out"
done
