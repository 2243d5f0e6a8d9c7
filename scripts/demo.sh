#!/usr/bin/env bash
# The main job: builds dbsplit, starts a local PostgreSQL 15 instance in .dbsplit/,
# and runs the split of the sample monolith as far as dbsplit goes today.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
DBSPLIT=build/cli/dbsplit
STATE=.dbsplit
mkdir -p "$STATE"
MONOLITH_URL=$($DBSPLIT local start --dir "$STATE/monolith")
echo "monolith instance: $MONOLITH_URL"

# The sample monolith: a fresh `shop` database at scale 1, then its workload with every
# statement logged (role, application, vxid) for the analysis to read.
SHOP_URL=${MONOLITH_URL%/*}/shop
MONOLITH_LOG=$STATE/monolith/server.log
psql -X -q -v ON_ERROR_STOP=1 "$MONOLITH_URL" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS shop WITH (FORCE)" -c "CREATE DATABASE shop"
psql -X -q -v ON_ERROR_STOP=1 "$SHOP_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
bash sample-monolith/load.sh "$SHOP_URL" --scale 1
echo "sample monolith loaded: $SHOP_URL"
bash sample-monolith/run-workload.sh "$SHOP_URL" --transactions 2000 --log
echo "statement log: $MONOLITH_LOG"
echo "per-module statements in pg_stat_statements (database shop):"
psql -X -v ON_ERROR_STOP=1 "$SHOP_URL" -c "
  SELECT r.rolname AS module, count(*) AS statements, sum(s.calls) AS calls
  FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
  WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND r.rolname IN ('accounts', 'catalog', 'inventory', 'orders', 'billing', 'shipping',
                      'reporting')
  GROUP BY r.rolname ORDER BY r.rolname"

# Analysis: a service for every table and what stands in the way of the split
# (docs/analyze.md), as text here and as JSON, markdown and an SVG picture in .dbsplit/.
ANALYSIS=$STATE/analysis
mkdir -p "$ANALYSIS"
$DBSPLIT analyze --db "$SHOP_URL" --log "$MONOLITH_LOG"
for format in json markdown dot; do
  $DBSPLIT analyze --db "$SHOP_URL" --log "$MONOLITH_LOG" --format "$format" \
    -o "$ANALYSIS/analysis.${format/markdown/md}"
done
dot -Tsvg "$ANALYSIS/analysis.dot" -o "$ANALYSIS/analysis.svg"
echo "analysis: $ANALYSIS/analysis.json, analysis.md, analysis.svg"

# The plan: reviewable, deterministic (docs/plan.md), and the CI gate on it.
PLAN=$STATE/plan
mkdir -p "$PLAN"
$DBSPLIT plan --from-analysis "$ANALYSIS/analysis.json" -o "$PLAN/plan.json"
$DBSPLIT plan show "$PLAN/plan.json" --format markdown > "$PLAN/plan.md"
echo "plan: $PLAN/plan.json (review document: $PLAN/plan.md)"
$DBSPLIT plan check "$PLAN/plan.json" --db "$SHOP_URL" --log "$MONOLITH_LOG"

# Stage two of the split: every service's API, served from the plan on the still-shared
# database, each write recording an event in the service's outbox (docs/serve.md).
$DBSPLIT generate "$PLAN/plan.json" -o "$STATE/generated" > /dev/null
echo "generated OpenAPI, C++ clients and DDL: $STATE/generated/<service>/"
SERVICES=$STATE/services
mkdir -p "$SERVICES"
for pidfile in "$SERVICES"/*.pid; do   # services of an earlier demo run
  [ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
done
port=8080
SERVICE_URLS=()
for service in accounts billing catalog inventory orders shipping; do
  port=$((port + 1))
  nohup $DBSPLIT serve "$PLAN/plan.json" --service "$service" --db "$SHOP_URL" \
    --listen "127.0.0.1:$port" --create-outbox > "$SERVICES/$service.log" 2>&1 &
  echo $! > "$SERVICES/$service.pid"
  SERVICE_URLS+=(--service-url "$service=http://127.0.0.1:$port")
done
for url in "${SERVICE_URLS[@]}"; do
  [ "$url" = --service-url ] && continue
  for i in $(seq 1 100); do
    curl -fs "${url#*=}/ready" > /dev/null && break
    sleep 0.1
  done
done
$DBSPLIT verify contracts "$PLAN/plan.json" --db "$SHOP_URL" "${SERVICE_URLS[@]}"
echo "services running (logs and pids in $SERVICES):"
printf '  %s\n' "${SERVICE_URLS[@]}" | grep -v -- --service-url
echo "stop them with: kill \$(cat $SERVICES/*.pid)"
