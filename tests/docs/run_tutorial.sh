#!/usr/bin/env bash
# Runs every ```sh block of docs/tutorial.md, in order, in one bash session, the way a
# newcomer would type them, so the tutorial never rots. Blocks marked ```sh-skip are
# shown to readers but not run (long-running servers are started by a later block).
# On exit it stops what the tutorial started, also the servers `apply` detached.
# Usage: run_tutorial.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
# Left private (mode 0700) on purpose: as root this covers a state directory the postgres
# user cannot reach, like a clone under /root.
WORK=$(mktemp -d /tmp/dbsplit-tutorial-XXXXXX)
script=$WORK/tutorial.sh
{
  echo 'set -euo pipefail'
  echo "export PATH=\"$BUILD/cli:\$PATH\""
  echo "cd \"$SRC\""
  echo "export STATE=\"$WORK/state\""
  # Ports for the tutorial's servers, away from the documented 8081.. to avoid clashes.
  echo "export PORT_BASE=$((20000 + RANDOM % 20000))"
  echo "trap 'dbsplit local nats stop --dir \"\$STATE/nats\" --remove >/dev/null 2>&1 || true; dbsplit local stop --dir \"\$STATE/monolith\" --remove >/dev/null 2>&1 || true; for d in \"\$STATE\"/targets/*; do dbsplit local stop --dir \"\$d\" --remove >/dev/null 2>&1 || true; done; kill \$(jobs -p) 2>/dev/null || true; pkill -f -- \"\$STATE/plan.json\" 2>/dev/null || true' EXIT"
  awk '/^```sh$/{run=1; n++; print "echo \"--- tutorial block " n "\""; next} /^```/{run=0; next} run' \
    "$SRC/docs/tutorial.md"
} > "$script"
blocks=$(grep -c '^```sh$' "$SRC/docs/tutorial.md")
if bash "$script"; then
  echo "tutorial: $blocks blocks ran"
  echo "1 passed, 0 failed"
  rm -rf "$WORK"
else
  rc=$?
  echo "tutorial: a block failed (exit $rc); script kept in $script"
  echo "0 passed, 1 failed"
  exit 1
fi
