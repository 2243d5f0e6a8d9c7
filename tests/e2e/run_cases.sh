#!/usr/bin/env bash
# Runs every tests/e2e/*.test case against the real dbsplit binary.
# A case file:
#   # comment lines
#   args: --version            (the command line after `dbsplit`, shell words)
#   exit: 0                    (expected exit code)
#   --- stdout                 (expected stdout, exactly; omit the section to ignore it)
#   ...
#   --- stderr                 (expected stderr, exactly; omit to ignore)
#   ...
# Prints one line per case and "N passed, N failed" last.
set -uo pipefail
BIN=$1
DIR=$2
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for case_file in "$DIR"/*.test; do
  name=$(basename "$case_file" .test)
  args=$(sed -n 's/^args: //p' "$case_file" | head -1)
  want_exit=$(sed -n 's/^exit: //p' "$case_file" | head -1)
  has_stdout=0; has_stderr=0
  grep -q '^--- stdout$' "$case_file" && has_stdout=1
  grep -q '^--- stderr$' "$case_file" && has_stderr=1
  awk '/^--- stdout$/{s=1;next} /^--- /{s=0} s' "$case_file" > "$tmp/want_stdout"
  awk '/^--- stderr$/{s=1;next} /^--- /{s=0} s' "$case_file" > "$tmp/want_stderr"
  eval "set -- $args"
  "$BIN" "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  got_exit=$?
  ok=1
  if [ "$got_exit" != "$want_exit" ]; then
    echo "FAIL $name: exit $got_exit, want $want_exit"; ok=0
  fi
  if [ $has_stdout = 1 ] && ! diff -u "$tmp/want_stdout" "$tmp/stdout" > "$tmp/diff"; then
    echo "FAIL $name: stdout differs"; cat "$tmp/diff"; ok=0
  fi
  if [ $has_stderr = 1 ] && ! diff -u "$tmp/want_stderr" "$tmp/stderr" > "$tmp/diff"; then
    echo "FAIL $name: stderr differs"; cat "$tmp/diff"; ok=0
  fi
  if [ $ok = 1 ]; then echo "ok   $name"; passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
