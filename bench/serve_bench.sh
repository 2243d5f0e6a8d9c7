#!/usr/bin/env bash
# Benchmark: GET by primary key through `dbsplit serve` beside the same point lookup
# straight in SQL (pgbench), same table, same concurrency, in one run. Two sections:
#   saturation  wrk (closed loop, as fast as it goes) vs pgbench: throughput, p50/p99;
#   fixed rate  bench/serve_rate_bench.cpp at each of --rates req/s (1,000 and 10,000) vs
#               pgbench -R at the same rate: p50/p90/p99/p99.9/max, each latency counted
#               from the request's scheduled time (both use a Poisson schedule), so
#               queueing behind a stall is counted.
# The baseline pgbench prepares its statement once per connection (-M prepared), as serve
# does; the saturation section also runs the reference mode (-M simple by default: what
# `pgbench -S` does) beside it. --pgbench-mode and --reference-mode pick others.
# serve's memory is printed too: resident size in the middle of the saturation run and
# its peak (VmHWM) at the end.
# Prints `ratio serve/direct_sql: X.XX` (saturation throughput, serve / baseline) last.
#
# usage: bench/serve_bench.sh [--scale S] [--connections C] [--seconds T] [--rates "R..."]
#                             [--pgbench-mode extended|prepared|simple]
#                             [--reference-mode extended|prepared|simple|none] [--db URL]
#   needs a built tree (scripts/build.sh) and the load generator
#   (cmake --build build --target serve_rate_bench); serves the committed sample plan
#   (plans/sample-monolith/plan.json). Scale 100 (400,000 orders) loads in a few
#   minutes on a shared 2-core machine; --scale 10 is the quick setting. --db URL uses a
#   database where sample-monolith/load.sh already ran instead of loading one.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=100
CONNECTIONS=8
SECONDS_PER_RUN=15
RATES="1000 10000"
PGBENCH_MODE=prepared
REFERENCE_MODE=simple
DB=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --rate | --rates) RATES=$2; shift 2 ;;
    --pgbench-mode) PGBENCH_MODE=$2; shift 2 ;;
    --reference-mode) REFERENCE_MODE=$2; shift 2 ;;
    --db) DB=$2; shift 2 ;;
    *) echo "serve_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$PGBENCH_MODE" in
  extended | prepared | simple) ;;
  *) echo "serve_bench: --pgbench-mode is extended, prepared or simple" >&2; exit 2 ;;
esac
BIN=${DBSPLIT_BIN:-$PWD/build/cli/dbsplit}
RATE_BENCH=${RATE_BENCH:-$PWD/build/bench/serve_rate_bench}
PLAN=$PWD/plans/sample-monolith/plan.json
PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$PGBIN/pgbench" ] || PGBIN=/usr/lib/postgresql/15/bin
command -v wrk >/dev/null || { echo "serve_bench: wrk is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "serve_bench: build first (scripts/build.sh)" >&2; exit 1; }
[ -x "$RATE_BENCH" ] || {
  echo "serve_bench: build the load generator first (cmake --build build --target serve_rate_bench)" >&2
  exit 1
}

WORK=$(mktemp -d /tmp/dbsplit-serve-bench-XXXXXX)
chmod 755 "$WORK"
SERVE_PID=""
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  [ -d "$WORK/pg" ] && "$BIN" local stop --dir "$WORK/pg" --remove >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "$DB" ]; then
  SHOP=$DB
  SCALE="(given database)"
else
  URL=$("$BIN" local start --dir "$WORK/pg")
  psql -X -q "$URL" -c "CREATE DATABASE shop"
  SHOP=${URL%/*}/shop
  echo "serve_bench: loading the sample at scale $SCALE ..."
  start=$(date +%s)
  bash sample-monolith/load.sh "$SHOP" --scale "$SCALE" >/dev/null
  echo "serve_bench: loaded in $(($(date +%s) - start))s"
fi
psql -X -q "$SHOP" -c "VACUUM ANALYZE orders"
ROWS=$(psql -X -At "$SHOP" -c "SELECT max(id) FROM orders")

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve "$PLAN" --service orders --db "$SHOP" --listen "127.0.0.1:$PORT" \
  --pool "$CONNECTIONS" --create-outbox 2>/dev/null &
SERVE_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

cat > "$WORK/get.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", "/orders/" .. math.random(1, $ROWS))
end
LUA
cat > "$WORK/get.sql" <<SQL
\set id random(1, $ROWS)
SELECT * FROM orders WHERE id = :id;
SQL
pgbench() { # MODE ARGS...
  local mode=$1
  shift
  (cd "$WORK" && "$PGBIN/pgbench" -n -M "$mode" -c "$CONNECTIONS" -j 2 -f get.sql "$@" "$SHOP" 2>&1)
}
# p50 p90 p99 p99.9 max (ms, nearest rank) of pgbench's per-transaction logs $WORK/$1.*;
# the third field is the latency in µs, under -R counted from the scheduled start.
pgbench_percentiles() {
  cat "$WORK/$1".* | awk '{ print $3 }' | sort -n | awk '
    function at(p) { r = int(p * NR); if (r < p * NR) r++; if (r < 1) r = 1; return v[r] / 1000 }
    { v[NR] = $1 }
    END { printf "%.3f %.3f %.3f %.3f %.3f\n", at(0.50), at(0.90), at(0.99), at(0.999), v[NR] / 1000 }'
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

# Saturation: warm both paths, then measure each for the same time.
wrk -t2 -c"$CONNECTIONS" -d2s -s "$WORK/get.lua" "http://127.0.0.1:$PORT" >/dev/null
( sleep $((SECONDS_PER_RUN / 2)); rss_kib "$SERVE_PID" VmRSS > "$WORK/rss_mid" ) &
SAMPLER=$!
WRK_OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/get.lua" "http://127.0.0.1:$PORT")
wait "$SAMPLER"
pgbench "$PGBENCH_MODE" -T 2 >/dev/null
PGB_OUT=$(pgbench "$PGBENCH_MODE" -T "$SECONDS_PER_RUN" -l --log-prefix=sat)
REF_OUT=""
if [ "$REFERENCE_MODE" != none ] && [ "$REFERENCE_MODE" != "$PGBENCH_MODE" ]; then
  REF_OUT=$(pgbench "$REFERENCE_MODE" -T "$SECONDS_PER_RUN" -l --log-prefix=ref)
fi

# Fixed rates: the same lookups, due on a Poisson schedule at each rate.
declare -A RATE_OUT PGR_OUT
for RATE in $RATES; do
  RATE_OUT[$RATE]=$("$RATE_BENCH" --url "http://127.0.0.1:$PORT" --path '/orders/{id}' \
    --max-id "$ROWS" --rate "$RATE" --seconds "$SECONDS_PER_RUN" --connections "$CONNECTIONS" \
    --arrivals poisson)
  PGR_OUT[$RATE]=$(pgbench "$PGBENCH_MODE" -R "$RATE" -T "$SECONDS_PER_RUN" -l --log-prefix="rate$RATE")
done
rss_peak=$(rss_kib "$SERVE_PID" VmHWM)
rss_mid=$(cat "$WORK/rss_mid" 2>/dev/null || echo 0)

to_ms() { # wrk prints 512.00us, 1.20ms or 1.01s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
serve_rps=$(echo "$WRK_OUT" | awk '/Requests\/sec/ { print $2 }')
serve_p50=$(to_ms "$(echo "$WRK_OUT" | awk '$1 == "50%" { print $2 }')")
serve_p99=$(to_ms "$(echo "$WRK_OUT" | awk '$1 == "99%" { print $2 }')")
serve_errors=$(echo "$WRK_OUT" | awk '/Non-2xx/ { print $5 }')
sql_tps=$(echo "$PGB_OUT" | awk '/^tps/ { print $3 }')
read -r sql_p50 _ sql_p99 _ _ < <(pgbench_percentiles sat)

echo "table: orders, $ROWS rows (sample scale $SCALE); $CONNECTIONS connections, ${SECONDS_PER_RUN}s each," \
  "$(nproc) cores, load average before $LOAD_BEFORE"
echo "saturation (closed loop, as fast as each goes):"
printf "  serve (wrk, GET /orders/{id}):      %10.0f req/s  p50 %7s ms  p99 %8s ms  non-2xx %s\n" \
  "$serve_rps" "$serve_p50" "$serve_p99" "${serve_errors:-0}"
printf "  direct_sql (pgbench -M %-8s):   %10.0f tx/s   p50 %7s ms  p99 %8s ms\n" \
  "$PGBENCH_MODE" "$sql_tps" "$sql_p50" "$sql_p99"
if [ -n "$REF_OUT" ]; then
  ref_tps=$(echo "$REF_OUT" | awk '/^tps/ { print $3 }')
  read -r ref_p50 _ ref_p99 _ _ < <(pgbench_percentiles ref)
  printf "  reference (pgbench -M %-8s):    %10.0f tx/s   p50 %7s ms  p99 %8s ms  (serve/%s %.2f)\n" \
    "$REFERENCE_MODE" "$ref_tps" "$ref_p50" "$ref_p99" "$REFERENCE_MODE" \
    "$(awk -v a="$serve_rps" -v b="$ref_tps" 'BEGIN { print a / b }')"
fi
for RATE in $RATES; do
  read -r rate_serve_achieved rate_serve_errors < <(echo "${RATE_OUT[$RATE]}" | awk '/^achieved/ { print $2, $5 }')
  read -r rs_p50 rs_p90 rs_p99 rs_p999 rs_max < <(echo "${RATE_OUT[$RATE]}" | awk '/^latency_ms/ { print $3, $5, $7, $9, $11 }')
  rate_sql_achieved=$(echo "${PGR_OUT[$RATE]}" | awk '/^tps/ { print $3 }')
  read -r rq_p50 rq_p90 rq_p99 rq_p999 rq_max < <(pgbench_percentiles "rate$RATE")
  echo "fixed rate $RATE/s (open loop, latency from the scheduled time):"
  printf "  serve (serve_rate_bench):   %7.0f req/s  p50 %7s  p90 %7s  p99 %7s  p99.9 %8s  max %8s ms  errors %s\n" \
    "$rate_serve_achieved" "$rs_p50" "$rs_p90" "$rs_p99" "$rs_p999" "$rs_max" "$rate_serve_errors"
  printf "  direct_sql (pgbench -R):    %7.0f tx/s   p50 %7s  p90 %7s  p99 %7s  p99.9 %8s  max %8s ms\n" \
    "$rate_sql_achieved" "$rq_p50" "$rq_p90" "$rq_p99" "$rq_p999" "$rq_max"
done
printf "serve memory: %.1f MiB resident under saturation, peak %.1f MiB\n" \
  "$(awk -v k="$rss_mid" 'BEGIN { print k / 1024 }')" "$(awk -v k="$rss_peak" 'BEGIN { print k / 1024 }')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$serve_rps" -v b="$sql_tps" 'BEGIN { printf "ratio serve/direct_sql: %.2f\n", a / b }'
