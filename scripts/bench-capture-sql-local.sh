#!/usr/bin/env bash
# capture-sql on one machine against tls-audit on the same file, and the
# alternative a user has today (tshark fields -> CSV -> DuckDB), on the same
# question. Numbers go to docs/BENCHMARKS.md ("capture-sql (local)").
#
#   scripts/bench-capture-sql-local.sh [MIB] [TLS_PERCENT]
#
# Needs: hyperfine, tshark, python3 with duckdb (pip install duckdb).
# Builds both tools with one profile (release settings, more codegen units
# so DataFusion builds in reasonable time on a small machine), writes a
# generated capture to /tmp and deletes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-512}
SHARE=${2:-5}
CAP=/tmp/capture-sql-bench.pcap
CSV=/tmp/capture-sql-bench.csv
PROFILE=(--profile sqlbench)
cargo build -q "${PROFILE[@]}" -p tls-audit -p capture-sql-cli
cargo run -q "${PROFILE[@]}" -p tls-handshake --features audit --example gen_bench_capture -- "$CAP" "$MIB" "$SHARE" 1
BIN=target/sqlbench
trap 'rm -f "$CAP" "$CSV"' EXIT
uptime
cat "$CAP" > /dev/null  # page cache warm, as for the other tools' numbers
COUNT="SELECT count(*) FROM tls"
GROUP="SELECT version, count(*) AS n FROM tls GROUP BY version ORDER BY n DESC"
hyperfine -N -w 2 -r 10 --export-markdown /tmp/capture-sql-bench-1core.md --export-json /tmp/capture-sql-bench-1core.json \
  "taskset -c 0 $BIN/tls-audit --threads 1 --quiet --format jsonl $CAP" \
  "taskset -c 0 $BIN/capture-sql --partitions 1 --format csv \"$COUNT\" $CAP" \
  "taskset -c 0 $BIN/capture-sql --partitions 1 --format csv \"$GROUP\" $CAP"
hyperfine -N -w 1 -r 5 --export-markdown /tmp/capture-sql-bench-2core.md \
  "$BIN/tls-audit --quiet --format jsonl $CAP" \
  "$BIN/capture-sql --format csv \"$GROUP\" $CAP"
# The alternative: tshark extracts the ServerHello versions to CSV, DuckDB
# groups them (TLS 1.3 is in supported_versions, the legacy field says 1.2).
/usr/bin/time -f "tshark: %e s, %M KiB" tshark -r "$CAP" -Y 'tls.handshake.type == 2' -T fields \
  -E header=y -E separator=, -E quote=d -e tls.handshake.version \
  -e tls.handshake.extensions.supported_version > "$CSV"
/usr/bin/time -f "duckdb: %e s, %M KiB" python3 -c "
import duckdb
print(duckdb.sql(\"\"\"SELECT coalesce(nullif(\"tls.handshake.extensions.supported_version\", ''),
  \"tls.handshake.version\") AS version, count(*) AS n FROM read_csv_auto('$CSV', all_varchar=true)
  GROUP BY 1 ORDER BY n DESC\"\"\"))"
$BIN/capture-sql "$GROUP" "$CAP"
