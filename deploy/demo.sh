#!/usr/bin/env bash
# The main job end to end, on the embedded default store:
#   1. installs what is missing (deploy/install.sh) and builds (Release);
#   2. starts collectionsd on a temporary SQLite store (127.0.0.1, a free port);
#   3. generates the demo company's QuickBooks Desktop export and syncs it
#      through the IIF connector;
#   4. prints the aged-receivables report and an account summary, and checks
#      that the report reconciles with the exported data.
# Everything runs "as of" the demo date, so the output is reproducible.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
AS_OF=${AS_OF:-2026-11-20}
TENANT=demo

bash "$ROOT/deploy/install.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target collectionsd collectionsctl collections-iif

WORK=$(mktemp -d /tmp/collections-demo-XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

section() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"; }

section "Starting collectionsd on a temporary SQLite store"
"$BUILD/service/server/collectionsd" --listen=127.0.0.1:0 --store="sqlite:$WORK/ledger.db" \
  --log_requests=false 2>"$WORK/collectionsd.log" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 1 100); do
  ADDR=$(sed -n 's/.*"msg":"serving","listen":"\([^"]*\)".*/\1/p' "$WORK/collectionsd.log" | head -1)
  [ -n "$ADDR" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/collectionsd.log"; exit 1; }
  sleep 0.1
done
[ -n "$ADDR" ] || { echo "collectionsd did not start"; cat "$WORK/collectionsd.log"; exit 1; }
echo "collectionsd serving on $ADDR (store $WORK/ledger.db)"
CTL=("$BUILD/service/cli/collectionsctl" --server="$ADDR" --tenant="$TENANT")

section "Generating the demo company's QuickBooks export"
python3 "$ROOT/deploy/demo/make_demo_exports.py" "$WORK" --as-of="$AS_OF"

section "Syncing it through the QuickBooks IIF connector"
mkdir -p "$WORK/state"
"$BUILD/connectors/iif/collections-iif" --server="$ADDR" --tenant="$TENANT" \
  --file="$WORK/quickbooks-demo.iif" --state-dir="$WORK/state"

section "Aged receivables as of $AS_OF"
"${CTL[@]}" aging --as_of="$AS_OF"

section "Reconciling the report with the export"
"${CTL[@]}" --json aging --as_of="$AS_OF" > "$WORK/aging.json"
python3 - "$WORK/aging.json" "$WORK/expected.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
expected = json.load(open(sys.argv[2]))
totals = {t["currency_code"]: t for t in report.get("currency_totals", [])}
usd = totals["USD"]
got = int(usd["total"].get("minor_units", 0))
buckets = [int(b["amount"].get("minor_units", 0)) for b in usd["buckets"]]
rows = sum(int(r["total"].get("minor_units", 0)) for r in report["rows"] if r["currency_code"] == "USD")
ok = got == expected["total_minor"] and buckets == expected["buckets_minor"] and rows == got
print(f"export: {expected['invoices']} invoices, {expected['payments']} payments; "
      f"open USD {expected['total_minor'] / 100:,.2f} expected, {got / 100:,.2f} reported, "
      f"customer rows sum to {rows / 100:,.2f}: {'reconciled' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY

CUSTOMER=$("${CTL[@]}" --json aging --as_of="$AS_OF" --overdue_only |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; r.sort(key=lambda x: -int(x["overdue"].get("minor_units",0))); print(r[0]["customer"])')
section "Account summary of the most overdue customer"
"${CTL[@]}" summary "$CUSTOMER" --as_of="$AS_OF"

section "Work queue: who needs action today, most urgent first"
"${CTL[@]}" queue --as_of="$AS_OF" --limit=8

section "The next best action for that customer, with its reasons"
"${CTL[@]}" recommend "$CUSTOMER" --as_of="$AS_OF"

section "A payment plan proposal for that customer (3 installments)"
"${CTL[@]}" plan propose "$CUSTOMER" --currency=USD --installments=3 --request_id=demo-plan-1

section "A settlement proposal for that customer: what a lump sum now is worth"
"${CTL[@]}" settle propose "$CUSTOMER" --currency=USD --request_id=demo-settlement-1

section "Done"
echo "The sidecar was started, fed through a connector, and queried; it stops now."
