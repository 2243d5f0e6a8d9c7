#!/usr/bin/env bash
# Runs every dbsplit benchmark, each beside its baseline in the same run, and prints
# their ratios together at the end. The machine is shared and noisy: quote the medians
# and ratios, never single timings. See docs/benchmarks.md.
#   usage: bench/run.sh [--quick]
#     --quick: smaller inputs (1,000 tables; serve at scale 10 for 5 s) for a fast look.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
case "${1:-}" in
  --quick) QUICK=1 ;;
  "") ;;
  *) echo "bench/run.sh: unknown argument $1 (usage: bench/run.sh [--quick])" >&2; exit 2 ;;
esac
bash scripts/build.sh > /dev/null
cmake --build build --target workload_bench introspect_bench serve_rate_bench > /dev/null
LOG=$(mktemp -d /tmp/dbsplit-bench-XXXXXX)

echo "== workload analysis vs plain libpg_query parse loop (100,000 logged statements)"
build/bench/workload_bench | tee "$LOG/workload.txt"

echo "== dbsplit analyze vs pg_dump --schema-only (synthetic schema)"
if [ $QUICK = 1 ]; then
  bash bench/analyze_vs_pg_dump.sh build 1000 20 | tee "$LOG/analyze.txt"
else
  bash bench/analyze_vs_pg_dump.sh build | tee "$LOG/analyze.txt"
fi

echo "== dbsplit serve vs direct SQL (GET by primary key)"
if [ $QUICK = 1 ]; then
  bash bench/serve_bench.sh --scale 10 --seconds 5 | tee "$LOG/serve.txt"
else
  bash bench/serve_bench.sh --scale 10 | tee "$LOG/serve.txt"
fi

echo "== ratios"
for f in workload analyze serve; do grep '^ratio ' "$LOG/$f.txt" | tail -1; done
rm -rf "$LOG"
