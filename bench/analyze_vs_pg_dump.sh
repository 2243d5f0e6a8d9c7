#!/usr/bin/env bash
# Times dbsplit's catalog introspection against pg_dump --schema-only on a synthetic
# schema (10,000 tables in 20 schemas by default) in a throwaway local instance.
# Runs each 5 times, alternating, and prints the medians and their ratio.
#
# usage: bench/analyze_vs_pg_dump.sh [BUILD_DIR] [TABLES] [SCHEMAS]
#   BUILD_DIR defaults to ./build. Uses `dbsplit analyze` when the build has it,
#   else bench/introspect_bench (introspect + fingerprint; built here with
#   cmake --build BUILD --target introspect_bench).
#   DBSPLIT_BENCH_DB=URL: time on that database, which already holds the schema,
#   instead of loading a new one (loading 10,000 tables takes minutes); for comparing
#   two builds on one database, one run after the other.
# The load average is printed before and after: the machine may be shared.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
tables=${2:-10000}
schemas=${3:-20}
runs=5
dbsplit="$build/cli/dbsplit"
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pg_dump" ] || bindir=/usr/lib/postgresql/15/bin

dir=$(mktemp -d /tmp/dbsplit-bench-XXXXXX)
chmod 755 "$dir"  # the server may run as the postgres user (when run as root)
if [ -n "${DBSPLIT_BENCH_DB:-}" ]; then
  trap 'rm -rf "$dir"' EXIT
  db_url=$DBSPLIT_BENCH_DB
else
  cleanup() {
    "$dbsplit" local stop --dir "$dir/pg" --remove >/dev/null 2>&1 || true
    rm -rf "$dir"
  }
  trap cleanup EXIT

  url=$("$dbsplit" local start --dir "$dir/pg")
  # pg_dump locks every table in one transaction: 10,000 tables need more lock slots.
  "$bindir/psql" -X -q -d "$url" -c "ALTER SYSTEM SET max_locks_per_transaction = 512"
  "$dbsplit" local stop --dir "$dir/pg" >/dev/null
  url=$("$dbsplit" local start --dir "$dir/pg")
  db_url="${url%/*}/bench"
  "$bindir/psql" -X -q -d "$url" -c "CREATE DATABASE bench"
  # dbsplit analyze reads the workload from pg_stat_statements (the instance preloads it).
  "$bindir/psql" -X -q -d "$db_url" -c "CREATE EXTENSION pg_stat_statements"
  echo "loading $tables tables in $schemas schemas ..." >&2
  load_start=$(date +%s.%N)
  python3 "$here/synthetic_schema.py" "$tables" "$schemas" |
    "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db_url" >/dev/null
  "$bindir/psql" -X -q -d "$db_url" -c "VACUUM ANALYZE"
  echo "loaded in $(echo "$(date +%s.%N) - $load_start" | bc) s" >&2
fi

if "$dbsplit" analyze --help >/dev/null 2>&1; then
  ours=("$dbsplit" analyze --db "$db_url" --format json -o /dev/null)
  label=analyze
else
  cmake --build "$build" --target introspect_bench >/dev/null
  ours=("$build/bench/introspect_bench" --db "$db_url")
  label=introspect_bench
fi
theirs=("$bindir/pg_dump" --schema-only -f /dev/null -d "$db_url")

seconds() {  # runs the command, prints its wall time in seconds; a failure ends the bench
  local start end
  start=$(date +%s.%N)
  if ! "$@" >/dev/null 2>"$dir/stderr"; then
    echo "benchmark command failed: $*" >&2
    cat "$dir/stderr" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }

echo "before: $(uptime)" >&2
ours_times=()
theirs_times=()
for i in $(seq 1 $runs); do
  ours_times+=("$(seconds "${ours[@]}")") || exit 1
  theirs_times+=("$(seconds "${theirs[@]}")") || exit 1
  echo "run $i: $label ${ours_times[-1]} s, pg_dump ${theirs_times[-1]} s" >&2
done
echo "after: $(uptime)" >&2
ours_median=$(printf '%s\n' "${ours_times[@]}" | median)
theirs_median=$(printf '%s\n' "${theirs_times[@]}" | median)
"${ours[@]}" 2>&1 >/dev/null | tail -1 >&2 || true
echo "median $label: $ours_median s"
echo "median pg_dump --schema-only: $theirs_median s"
printf 'ratio analyze/pg_dump_schema_only: %.2f\n' "$(echo "$ours_median / $theirs_median" | bc -l)"
