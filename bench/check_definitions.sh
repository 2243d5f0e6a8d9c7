#!/usr/bin/env bash
# Checks that the index, foreign key and constraint definitions `dbsplit analyze` reports
# are exactly the server's own pg_get_indexdef/pg_get_constraintdef text. dbsplit spells
# most of them itself (see core/catalog/introspect_indexes.cpp): this is the guard for
# that shortcut. Databases: bench/definition_shapes.sql (also with a schema excluded), a
# synthetic schema, and the corpus schemas of ../shared/corpus when present.
#
# usage: bench/check_definitions.sh [BUILD_DIR] [TABLES]   (TABLES of the synthetic
#   schema, default 300). Prints one line per database; exits 1 on any difference.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
tables=${2:-300}
dbsplit="$build/cli/dbsplit"
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/psql" ] || bindir=/usr/lib/postgresql/15/bin
corpus="$here/../../shared/corpus"

dir=$(mktemp -d /tmp/dbsplit-defs-XXXXXX)
chmod 755 "$dir"  # the server may run as the postgres user (when run as root)
cleanup() {
  "$dbsplit" local stop --dir "$dir/pg" --remove >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
url=$("$dbsplit" local start --dir "$dir/pg")

load() {  # load NAME FILE: a new database NAME holding FILE
  "$bindir/psql" -X -q -d "$url" -c "CREATE DATABASE $1"
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "${url%/*}/$1" -f "$2" >/dev/null
}

load shapes "$here/definition_shapes.sql"
python3 "$here/synthetic_schema.py" "$tables" 10 >"$dir/synthetic.sql"
load synthetic "$dir/synthetic.sql"
databases=(shapes synthetic)
if [ -d "$corpus" ]; then
  for name in gitlab lago danbooru osm; do
    [ -f "$corpus/$name/structure.sql" ] || continue
    # The corpus README's load notes: no PostGIS or pg_partman here.
    sed -E '/^(CREATE EXTENSION|COMMENT ON EXTENSION).*(postgis|pg_partman)/d' \
      "$corpus/$name/structure.sql" |
      { if [ "$name" = osm ]; then sed -E 's/(public\.)?geometry\([^)]*\)/bytea/g'; else cat; fi; } \
        >"$dir/$name.sql"
    "$bindir/psql" -X -q -d "$url" -c "CREATE DATABASE $name"
    "$bindir/psql" -X -q -d "${url%/*}/$name" -f "$dir/$name.sql" >/dev/null 2>&1
    databases+=("$name")
  done
fi

failed=0
check() {  # check DATABASE [analyze options...]
  local db=$1
  shift
  "$dbsplit" analyze --db "${url%/*}/$db" --no-stats --format json -o "$dir/$db.json" "$@" \
    2>/dev/null
  python3 - "$bindir/psql" "${url%/*}/$db" "$dir/$db.json" "$db $*" <<'EOF' || failed=1
import json, subprocess, sys
psql, db_url, path, label = sys.argv[1:5]

def rows(sql):
    out = subprocess.run([psql, "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-d", db_url,
                          "-c", "SET search_path = pg_catalog", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    records = (r.strip("\n") for r in out.split("\x1e"))  # psql ends each command's output
    return [r.split("\x1f") for r in records if r and r != "SET"]

server = {}
for table, name, definition in rows("""
    SELECT n.nspname || '.' || c.relname, ic.relname, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"""):
    server[("index", table, name)] = definition
for table, name, definition in rows("""
    SELECT n.nspname || '.' || c.relname, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE con.contype IN ('u', 'c', 'x', 'f')"""):
    server[("constraint", table, name)] = definition

schema = json.load(open(path))["schema"]
ours = {}
for t in schema["tables"]:
    table = t["schema"] + "." + t["name"]
    for i in t["indexes"]:
        ours[("index", table, i["name"])] = i["definition"]
    for c in t["constraints"]:
        ours[("constraint", table, c["name"])] = c["definition"]
for fk in schema["foreign_keys"]:
    ours[("constraint", fk["table"], fk["name"])] = fk["definition"]

wrong = [(k, v, server.get(k)) for k, v in sorted(ours.items()) if server.get(k) != v]
for key, mine, theirs in wrong[:20]:
    print(f"  {key}:\n    dbsplit: {mine}\n    server:  {theirs}")
print(f"{label}: {len(ours)} definitions, {len(wrong)} differ from the server's")
sys.exit(1 if wrong else 0)
EOF
}

for db in "${databases[@]}"; do check "$db"; done
check shapes --exclude-schema elsewhere
exit $failed
