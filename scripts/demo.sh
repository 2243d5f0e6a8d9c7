#!/usr/bin/env bash
# The main job: builds dbsplit, starts a local PostgreSQL 15 instance in .dbsplit/,
# and runs the split of the sample monolith as far as dbsplit goes today: analysis, plan,
# CI gate, generated APIs, and the ownership and apis stages applied, leaving the six
# service APIs running, with a local NATS JetStream server and one `dbsplit relay` per
# service publishing their outbox events.
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
# Services an earlier run started keep serving the old database: stop them first.
if [ -f "$STATE/plan/plan.json" ] &&
  psql -X -At "$SHOP_URL" -c "SELECT 1 FROM dbsplit.services LIMIT 1" 2>/dev/null | grep -q 1; then
  $DBSPLIT rollback "$STATE/plan/plan.json" --db "$SHOP_URL" --stage apis || true
fi
# The relays of an earlier run read the database about to be dropped: stop them, and start
# the broker afresh with it (outbox ids restart at 1; JetStream would drop them as repeats).
for pidfile in "$STATE"/services/relay-*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q ' relay '; then
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
if [ -e "$STATE/nats/nats.port" ]; then
  $DBSPLIT local nats stop --dir "$STATE/nats" --remove
fi
for pidfile in "$STATE"/services/*.pid; do   # services of a demo run before `apply` existed
  [ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
done
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

# Stages one and two of the split, run by `dbsplit apply` (docs/apply.md): every step
# journaled in the shop's `dbsplit` schema, verified, resumable and reversible. First a dry
# run (nothing changes), then ownership (owners recorded, one role per service), then apis:
# every service's API served from the plan on the still-shared database, connected as its
# own role, each write recording an event in its outbox, its endpoints checked against the
# SQL they replace on live data (docs/serve.md).
$DBSPLIT generate "$PLAN/plan.json" -o "$STATE/generated" > /dev/null
echo "generated OpenAPI, C++ clients and DDL: $STATE/generated/<service>/"
SERVICES=$STATE/services
$DBSPLIT apply "$PLAN/plan.json" --db "$SHOP_URL" --stage ownership --dry-run
$DBSPLIT apply "$PLAN/plan.json" --db "$SHOP_URL" --stage ownership
$DBSPLIT apply "$PLAN/plan.json" --db "$SHOP_URL" --stage apis --state-dir "$SERVICES"
$DBSPLIT status "$PLAN/plan.json" --db "$SHOP_URL"

# Events leave the outboxes (docs/relay.md): a local NATS server with JetStream, and one
# relay per service publishing its outbox, each row marked published once acknowledged.
NATS_URL=$($DBSPLIT local nats start --dir "$STATE/nats")
echo "local NATS with JetStream: $NATS_URL (log $STATE/nats/nats.log)"
SERVICE_NAMES=$(psql -X -At -v ON_ERROR_STOP=1 "$SHOP_URL" \
  -c "SELECT service FROM dbsplit.services ORDER BY service")
for service in $SERVICE_NAMES; do
  setsid "$DBSPLIT" relay "$PLAN/plan.json" --service "$service" --db "$SHOP_URL" \
    --nats "$NATS_URL" --poll-outbox > "$SERVICES/relay-$service.log" 2>&1 < /dev/null &
  echo $! > "$SERVICES/relay-$service.pid"
done
echo "relays started for: $(echo $SERVICE_NAMES)"

# One order created through the orders API: its event reaches the stream DBSPLIT_ORDERS.
ORDERS_API=$(psql -X -At -v ON_ERROR_STOP=1 "$SHOP_URL" \
  -c "SELECT url FROM dbsplit.services WHERE service = 'orders'")
ORDER=$(curl -fsS -X POST "$ORDERS_API/orders" -H 'Content-Type: application/json' \
  -d '{"user_id": 1, "status": "pending", "total_cents": 1234}')
echo "created through $ORDERS_API/orders: $ORDER"
ORDER_ID=$(psql -X -At -v ON_ERROR_STOP=1 -v order="$ORDER" "$SHOP_URL" <<'SQL'
SELECT (:'order')::jsonb ->> 'id'
SQL
)
EVENT_ID=$(psql -X -At -v ON_ERROR_STOP=1 "$SHOP_URL" -c "
  SELECT id FROM dbsplit_outbox.orders
  WHERE event_type = 'orders.orders.inserted' AND aggregate_id = '$ORDER_ID'")
published=""
for _ in $(seq 1 300); do
  published=$(psql -X -At -v ON_ERROR_STOP=1 "$SHOP_URL" \
    -c "SELECT published_at FROM dbsplit_outbox.orders WHERE id = $EVENT_ID")
  [ -n "$published" ] && break
  sleep 0.1
done
if [ -z "$published" ]; then
  echo "the event $EVENT_ID of order $ORDER_ID was not published; relay log:" >&2
  tail -n 20 "$SERVICES/relay-orders.log" >&2
  exit 1
fi
# The relay logs its batch right after the commit that set published_at.
relay_line() {
  awk -v id="$EVENT_ID" '/^published .* \(ids [0-9]+\.\.[0-9]+\)/ {
    split($0, a, "ids "); split(a[2], r, "[.][.]"); sub(/\).*/, "", r[2])
    if (r[1] + 0 <= id && id <= r[2] + 0) print }' "$SERVICES/relay-orders.log"
}
for _ in $(seq 1 50); do [ -n "$(relay_line)" ] && break; sleep 0.1; done
echo "event $EVENT_ID (orders.orders.inserted, order $ORDER_ID) published at $published;"
echo "relay-orders.log: $(relay_line)"

echo "the services, NATS and the relays keep running (logs in $SERVICES and $STATE/nats);"
echo "stop them with:"
echo "  for f in $SERVICES/relay-*.pid; do kill \$(cat \$f); rm \$f; done"
echo "  $DBSPLIT local nats stop --dir $STATE/nats"
echo "  $DBSPLIT rollback $PLAN/plan.json --db '$SHOP_URL' --stage apis"
