#!/usr/bin/env bash
# Runs the sample shop's workload: every module's pgbench scripts (workload/MODULE_*.sql)
# as the module's own role with application_name = module, all modules at once, in
# fixed proportions that add up to N transactions (each module runs at least one);
# with --serial one module after another, in the order of PLAN below.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: run-workload.sh URL [--transactions N] [--log] [--serial]
  URL               superuser connection URL of the loaded shop database,
                    e.g. postgresql://postgres@127.0.0.1:5432/shop
  --transactions N  total pgbench transactions over all modules (default 2000)
  --log             first make the server log every statement with role, application
                    name and virtual xid (ALTER SYSTEM + pg_reload_conf())
  --serial          run the modules one after another instead of all at once, so
                    every statement's call count is the same on every run (several
                    scripts branch on what the others wrote); the committed sample
                    plan is made this way
EOF
  exit 2
}

[ $# -ge 1 ] || usage
URL=$1
shift
case "$URL" in
  postgres://* | postgresql://*) ;;
  *) echo "run-workload.sh: URL must start with postgresql://, got '${URL%%://*}...'" >&2; usage ;;
esac
TRANSACTIONS=2000
LOG=no
SERIAL=no
while [ $# -gt 0 ]; do
  case "$1" in
    --transactions)
      [ $# -ge 2 ] || usage
      TRANSACTIONS=$2
      shift 2
      ;;
    --log)
      LOG=yes
      shift
      ;;
    --serial)
      SERIAL=yes
      shift
      ;;
    *) echo "run-workload.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$TRANSACTIONS" =~ ^[1-9][0-9]*$ ]] || {
  echo "run-workload.sh: --transactions wants a positive integer, got '$TRANSACTIONS'" >&2
  usage
}

HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=/usr/lib/postgresql/15/bin
PGBENCH=$PGBIN/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench)
PSQL=$(command -v psql || echo "$PGBIN/psql")

# Connects as another role: a user=... query parameter overrides the URL's user.
url_as() {
  case "$URL" in
    *\?*) echo "$URL&user=$1" ;;
    *) echo "$URL?user=$1" ;;
  esac
}
# The URL without a password, for messages.
REDACTED=$(echo "$URL" | sed -E 's#^(postgres(ql)?://[^:/@]*):[^@/]*@#\1:***@#')

if [ "$LOG" = yes ]; then
  if ! "$PSQL" -X -q -v ON_ERROR_STOP=1 "$URL" <<'EOF'
ALTER SYSTEM SET log_statement = 'all';
ALTER SYSTEM SET log_line_prefix = '%m [%p] user=%u db=%d app=%a vxid=%v xid=%x: ';
SELECT pg_reload_conf() \gset
EOF
  then
    echo "run-workload.sh: cannot turn on statement logging in $REDACTED (see the psql error above; --log needs a superuser URL of an existing database)" >&2
    exit 1
  fi
fi

# Scale of the loaded data: products = 500 x scale (no workload adds products).
PRODUCTS=$("$PSQL" -X -A -t -v ON_ERROR_STOP=1 "$URL" -c "SELECT count(*) FROM products") || {
  echo "run-workload.sh: cannot count products in $REDACTED; load the sample first (load.sh)" >&2
  exit 1
}
SCALE=$((PRODUCTS / 500))
if [ "$SCALE" -lt 1 ]; then
  echo "run-workload.sh: $REDACTED holds $PRODUCTS products, fewer than scale 1; load the sample first (load.sh)" >&2
  exit 1
fi

# module  share of all transactions (percent)  script@weight ...
PLAN="accounts 20 login@18 update_profile@16 register@5 close_account@1
catalog 20 browse@10 view_product@7 change_price@3 manage@1
inventory 18 check_availability@4 restock@9 stocktake@7
orders 15 place_order@5 view_order@5 list_user_orders@3 confirm_payment@3 cancel_order@1
billing 12 pay_invoice@7 send_reminder@5 view_invoice@3
shipping 12 create_shipment@4 ship_next@4 deliver@3 track@4 update_rates@1
reporting 3 revenue_by_category@1 stock_value@1 top_customers@1 deliveries@1"

# Transactions per module; accounts, listed first, takes the rounding remainder.
declare -A COUNTS PIDS
others=0
while read -r module share _; do
  count=$((TRANSACTIONS * share / 100))
  [ "$count" -ge 1 ] || count=1
  COUNTS[$module]=$count
  [ "$module" = accounts ] || others=$((others + count))
done <<<"$PLAN"
COUNTS[accounts]=$((TRANSACTIONS - others))
[ "${COUNTS[accounts]}" -ge 1 ] || COUNTS[accounts]=1

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
while read -r module _ scripts; do
  args=()
  for s in $scripts; do
    args+=(-f "$HERE/workload/${module}_${s%@*}.sql@${s#*@}")
  done
  PGAPPNAME=$module "$PGBENCH" -n --random-seed=1 -c 1 -t "${COUNTS[$module]}" -D sf="$SCALE" \
    "${args[@]}" "$(url_as "$module")" >"$OUT/$module.log" 2>&1 &
  PIDS[$module]=$!
  if [ "$SERIAL" = yes ]; then wait "${PIDS[$module]}" || true; fi
done <<<"$PLAN"

failed=0
for module in accounts catalog inventory orders billing shipping reporting; do
  if wait "${PIDS[$module]}"; then
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/$module.log" | head -n 1)
    printf '%-10s %6d transactions  %s tps\n' "$module" "${COUNTS[$module]}" "${tps:-?}"
  else
    failed=1
    echo "run-workload.sh: pgbench of module $module failed on $REDACTED:" >&2
    tail -n 20 "$OUT/$module.log" >&2
  fi
done
[ "$failed" = 0 ] || exit 1
total=0
for module in "${!COUNTS[@]}"; do total=$((total + COUNTS[$module])); done
echo "total      $total transactions (scale $SCALE)"
