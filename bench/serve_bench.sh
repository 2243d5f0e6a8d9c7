#!/usr/bin/env bash
# Benchmark: GET by primary key through `dbsplit serve` (measured with wrk) beside the
# same point lookup straight in SQL (pgbench, extended protocol), same table, same
# concurrency, in one run. Prints throughput and p50/p99 of both, then
# `ratio serve/direct_sql: X.XX` (throughput ratio) last.
#
# usage: bench/serve_bench.sh [--scale S] [--connections C] [--seconds T]
#   needs a built tree (scripts/build.sh); serves the committed sample plan
#   (plans/sample-monolith/plan.json). Scale 100 (~2.9M rows) takes over 10 minutes to
#   load on a shared 2-core machine; --scale 10 is the documented quick setting.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=100
CONNECTIONS=8
SECONDS_PER_RUN=15
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    *) echo "serve_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
BIN=${DBSPLIT_BIN:-$PWD/build/cli/dbsplit}
PLAN=$PWD/plans/sample-monolith/plan.json
PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$PGBIN/pgbench" ] || PGBIN=/usr/lib/postgresql/15/bin
command -v wrk >/dev/null || { echo "serve_bench: wrk is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "serve_bench: build first (scripts/build.sh)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/dbsplit-serve-bench-XXXXXX)
chmod 755 "$WORK"
SERVE_PID=""
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  "$BIN" local stop --dir "$WORK/pg" --remove >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

URL=$("$BIN" local start --dir "$WORK/pg")
psql -X -q "$URL" -c "CREATE DATABASE shop"
SHOP=${URL%/*}/shop
echo "serve_bench: loading the sample at scale $SCALE ..."
start=$(date +%s)
bash sample-monolith/load.sh "$SHOP" --scale "$SCALE" >/dev/null
echo "serve_bench: loaded in $(( $(date +%s) - start ))s"
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

# Warm both paths, then measure.
wrk -t2 -c"$CONNECTIONS" -d2s -s "$WORK/get.lua" "http://127.0.0.1:$PORT" >/dev/null
WRK_OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/get.lua" "http://127.0.0.1:$PORT")
(cd "$WORK" && "$PGBIN/pgbench" -n -M extended -c "$CONNECTIONS" -j 2 -T 2 -f get.sql "$SHOP" >/dev/null 2>&1)
PGB_OUT=$(cd "$WORK" && "$PGBIN/pgbench" -n -M extended -c "$CONNECTIONS" -j 2 -T "$SECONDS_PER_RUN" \
  -f get.sql -l --log-prefix=pgb "$SHOP" 2>&1)

to_ms() {  # wrk prints 512.00us, 1.20ms or 1.01s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
serve_rps=$(echo "$WRK_OUT" | awk '/Requests\/sec/ { print $2 }')
serve_p50=$(to_ms "$(echo "$WRK_OUT" | awk '$1 == "50%" { print $2 }')")
serve_p99=$(to_ms "$(echo "$WRK_OUT" | awk '$1 == "99%" { print $2 }')")
serve_errors=$(echo "$WRK_OUT" | awk '/Non-2xx/ { print $5 }')
sql_tps=$(echo "$PGB_OUT" | awk '/^tps/ { print $3 }')
read -r sql_p50 sql_p99 < <(cat "$WORK"/pgb.* | awk '{ print $3 }' | sort -n |
  awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int(NR * 0.50)] / 1000, v[int(NR * 0.99)] / 1000 }')

echo "table: orders, $ROWS rows (sample scale $SCALE); $CONNECTIONS connections, ${SECONDS_PER_RUN}s each, $(nproc) cores"
printf "serve (wrk, GET /orders/{id}):        %10.0f req/s  p50 %7s ms  p99 %7s ms  non-2xx %s\n" \
  "$serve_rps" "$serve_p50" "$serve_p99" "${serve_errors:-0}"
printf "direct_sql (pgbench, same lookup):    %10.0f tx/s   p50 %7s ms  p99 %7s ms\n" \
  "$sql_tps" "$sql_p50" "$sql_p99"
awk -v a="$serve_rps" -v b="$sql_tps" 'BEGIN { printf "ratio serve/direct_sql: %.2f\n", a / b }'
