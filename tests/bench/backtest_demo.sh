#!/usr/bin/env bash
# The policy backtest's compare mode on the demo ledger (deploy/demo.sh's
# QuickBooks export), for BENCHMARKS.md: starts collectionsd on a temporary
# SQLite store with its clock fixed at the demo day, syncs the export, and
# compares a candidate policy (first reminder at 7 days past due, agency at
# 60 days) with the shipped default. Prints the report; writes the plot to
# $OUT/backtest-compare.svg.
#   tests/bench/backtest_demo.sh [--build-dir build] [--out DIR]   (IIF=path: another collections-iif)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
OUT=$ROOT/tests/bench/results
AS_OF=2026-11-20
IIF=${IIF:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--out DIR]"; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/backtest-demo-XXXXXX)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"
"$BUILD/service/server/collectionsd" --listen=127.0.0.1:0 --store="sqlite:$WORK/ledger.db" \
  --log_requests=false --clock="fixed:$AS_OF" 2>"$WORK/collectionsd.log" &
PID=$!
ADDR=""
for _ in $(seq 1 100); do
  ADDR=$(sed -n 's/.*"msg":"serving","listen":"\([^"]*\)".*/\1/p' "$WORK/collectionsd.log" | head -1)
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "$ADDR" ] || { cat "$WORK/collectionsd.log"; exit 1; }
python3 "$ROOT/deploy/demo/make_demo_exports.py" "$WORK" --as-of="$AS_OF" >/dev/null
mkdir -p "$WORK/state"
"${IIF:-$BUILD/connectors/iif/collections-iif}" --server="$ADDR" --tenant=demo \
  --file="$WORK/quickbooks-demo.iif" --state-dir="$WORK/state" >/dev/null
CTL=("$BUILD/service/cli/collectionsctl" --server="$ADDR" --tenant=demo)
# The export carries no late-fee clause; give every invoice contract interest
# of 8 % a year (a partial update of its terms) so that the fees are replayed.
"${CTL[@]}" --json invoices list > "$WORK/invoices.json"
python3 - "$WORK/invoices.json" "$WORK/terms.jsonl" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec, pos, invoices = json.JSONDecoder(), 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    obj, pos = dec.raw_decode(text, pos)
    invoices += obj.get("invoices", [obj]) if isinstance(obj, dict) else obj
with open(sys.argv[2], "w") as out:
    for inv in invoices:
        out.write(json.dumps({"customer_ref": inv["name"].split("/invoices/")[0],
                              "invoice": {"name": inv["name"],
                                          "external_ref": inv["external_ref"],
                                          "terms": {"late_fee": {"kind": "DAILY_INTEREST",
                                                                 "annual_rate_bp": 800}}},
                              "update_mask": "terms.lateFee"}) + "\n")
PY
"${CTL[@]}" sync "$WORK/terms.jsonl" >/dev/null
"${CTL[@]}" --json policy get > "$WORK/current.json"
python3 - "$WORK/current.json" "$WORK/candidate.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for stage in p["default_rules"]["stages"]:
    if stage["stage"] == "STAGE_FRIENDLY_REMINDER":
        stage["min_days_past_due"] = 7
    if stage["stage"] == "STAGE_AGENCY_REFERRAL":
        stage["min_days_past_due"] = 60
for key in ("name", "version", "update_time", "updated_by"):
    p.pop(key, None)
json.dump(p, open(sys.argv[2], "w"))
PY
"${CTL[@]}" backtest "$WORK/candidate.json" --compare_current --svg="$OUT/backtest-compare.svg"
