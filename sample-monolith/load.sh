#!/usr/bin/env bash
# Loads the sample shop into a database: schema.sql (roles, types, tables, view,
# trigger, grants), then generate.sql at the given scale (replacing any data).
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: load.sh URL [--scale S]
  URL        superuser connection URL of an existing database,
             e.g. postgresql://postgres@127.0.0.1:5432/shop
  --scale S  data volume: 1 (default) is ~29k rows, 100 is ~2.9M rows
USAGE
  exit 2
}

[ $# -ge 1 ] || usage
URL=$1
shift
case "$URL" in
  postgres://* | postgresql://*) ;;
  *) echo "load.sh: URL must start with postgresql://" >&2; usage ;;
esac
SCALE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --scale)
      [ $# -ge 2 ] || usage
      SCALE=$2
      shift 2
      ;;
    *) echo "load.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$SCALE" =~ ^[1-9][0-9]*$ ]] || {
  echo "load.sh: --scale wants a positive integer, got '$SCALE'" >&2
  usage
}

HERE=$(cd "$(dirname "$0")" && pwd)
PSQL=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
REDACTED=$(echo "$URL" | sed -E 's#^(postgres(ql)?://[^:/@]*):[^@/]*@#\1:***@#')
# psql exits 2 on a failed connection; keep 2 for usage errors and report 1.
run_psql() {
  "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@" || {
    echo "load.sh: loading the sample into $REDACTED failed (see the psql error above)" >&2
    exit 1
  }
}
run_psql "$URL" -f "$HERE/schema.sql"
run_psql -v scale="$SCALE" "$URL" -f "$HERE/generate.sql"
