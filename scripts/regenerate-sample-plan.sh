#!/usr/bin/env bash
# Regenerates plans/sample-monolith/plan.json and plan.md from scratch: starts a local
# PostgreSQL 15 instance, loads the sample shop (scale 1), runs its workload with
# statement logging (--serial: the same call counts on every run), runs `dbsplit plan` on pg_stat_statements + the log, and renders the
# review document. The result must be byte-identical to the committed files (the test
# integration.plan_sample_test checks this); commit it when the change is intended.
#   usage: scripts/regenerate-sample-plan.sh [DBSPLIT_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
DBSPLIT=${1:-${DBSPLIT_BIN:-build/cli/dbsplit}}
[ -x "$DBSPLIT" ] || { echo "regenerate-sample-plan: build dbsplit first (scripts/build.sh)" >&2; exit 1; }
PSQL=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)

DIR=$(mktemp -d /tmp/dbsplit-sample-plan.XXXXXX)
cleanup() { "$DBSPLIT" local stop --dir "$DIR" --remove >/dev/null 2>&1 || rm -rf "$DIR"; }
trap cleanup EXIT

SERVER=$("$DBSPLIT" local start --dir "$DIR")   # postgresql://postgres@127.0.0.1:PORT/postgres
URL=${SERVER%/*}/shop
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$SERVER" -c "CREATE DATABASE shop"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
bash sample-monolith/load.sh "$URL" --scale 1
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$URL" -c "SELECT pg_stat_statements_reset()" >/dev/null
bash sample-monolith/run-workload.sh "$URL" --transactions 2000 --log --serial >/dev/null

"$DBSPLIT" plan --db "$URL" --log "$DIR/server.log" -o plans/sample-monolith/plan.json
"$DBSPLIT" plan show plans/sample-monolith/plan.json --format markdown > plans/sample-monolith/plan.md
echo "regenerate-sample-plan: wrote plans/sample-monolith/plan.json and plan.md"
