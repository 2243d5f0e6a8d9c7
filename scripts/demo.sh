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
