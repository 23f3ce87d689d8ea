#!/usr/bin/env bash
# The main job end to end, on the embedded default store:
#   1. installs what is missing (deploy/install.sh) and builds (Release);
#   2. starts collectionsd on a temporary SQLite store (127.0.0.1, a free port);
#   3. generates the demo company's QuickBooks Desktop export and syncs it
#      through the IIF connector;
#   4. prints the aged-receivables report and an account summary, and checks
#      that the report reconciles with the exported data;
#   5. follows one case day by day;
#   6. runs the day's collections, lets collections-courier deliver the
#      e-mails to a local SMTP sink (aiosmtpd), prints the dashboard's URL and
#      a sign-in token, and shows a signed payment notification changing the
#      account on the dashboard. Run by a person (a terminal, CI unset), it
#      then keeps collectionsd up for the browser until Enter is pressed.
# Everything runs "as of" the demo date, so the output is reproducible.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
AS_OF=${AS_OF:-2026-11-20}
TENANT=demo

bash "$ROOT/deploy/install.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target collectionsd collectionsctl collections-iif collections-courier

WORK=$(mktemp -d /tmp/collections-demo-XXXXXX)
SERVER_PID=""
SINK_PID=""
SERVER_FLAGS=()
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$SINK_PID" ]; then kill -TERM "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

section() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"; }

# (Re)starts collectionsd on the demo store; $1 is an optional --clock value.
start_server() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; fi
  : >"$WORK/collectionsd.log"
  "$BUILD/service/server/collectionsd" --listen=127.0.0.1:0 --store="sqlite:$WORK/ledger.db" \
    --log_requests=false ${1:+--clock="$1"} "${SERVER_FLAGS[@]}" 2>"$WORK/collectionsd.log" &
  SERVER_PID=$!
  ADDR=""
  for _ in $(seq 1 100); do
    ADDR=$(sed -n 's/.*"msg":"serving","listen":"\([^"]*\)".*/\1/p' "$WORK/collectionsd.log" | head -1)
    [ -n "$ADDR" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/collectionsd.log"; exit 1; }
    sleep 0.1
  done
  [ -n "$ADDR" ] || { echo "collectionsd did not start"; cat "$WORK/collectionsd.log"; exit 1; }
  HTTP_PORT=$(sed -n 's/.*"msg":"serving".*"http_port":\([0-9]*\).*/\1/p' "$WORK/collectionsd.log" | head -1)
}

section "Starting collectionsd on a temporary SQLite store"
# At 10:00 in New York on the demo day, with its HTTP port (the dashboard,
# payment notifications) and a dashboard sign-in token for tenant demo.
mkdir -p "$WORK/secrets" "$WORK/mail" "$WORK/courier"
head -c 32 /dev/urandom | base64 >"$WORK/secrets/demo"
DEMO_CLOCK="fixed:${AS_OF}T15:00:00Z"
SERVER_FLAGS=(--http_listen=127.0.0.1:0 --bootstrap_token_file="$WORK/token" --bootstrap_tenant=demo
              --payment_notification_secrets="$WORK/secrets")
start_server "$DEMO_CLOCK"
echo "collectionsd serving on $ADDR (store $WORK/ledger.db)"
CTL=("$BUILD/service/cli/collectionsctl" --server="$ADDR" --tenant="$TENANT")

section "Generating the demo company's QuickBooks export"
python3 "$ROOT/deploy/demo/make_demo_exports.py" "$WORK" --as-of="$AS_OF"

section "Syncing it through the QuickBooks IIF connector"
mkdir -p "$WORK/state"
"$BUILD/connectors/iif/collections-iif" --server="$ADDR" --tenant="$TENANT" \
  --file="$WORK/quickbooks-demo.iif" --state_dir="$WORK/state"

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

# ---------------------------------------------------------------- a case, day by day
# collectionsd is restarted on the same store with --clock=fixed:DAY for each
# simulated day, so the whole service (promises, plans, the daily run) lives
# that day.
start_at() {
  start_server "fixed:$1"
  # A tenant of its own, so the story stands apart from the demo company.
  CTL=("$BUILD/service/cli/collectionsctl" --server="$ADDR" --tenant=story)
  DAY=$1
}
# The morning run of $DAY; every action is delivered (completed as SENT) at noon.
morning() {
  "${CTL[@]}" collect >/dev/null
  "${CTL[@]}" --json actions --pending_only | python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    r = a.get("recommendation", {})
    why = [x["code"] for x in r.get("reasons", [])][-2:]
    print(a["name"], r.get("action", ""), r.get("stage", "-"), ",".join(why))' |
  while read -r name action stage why; do
    "${CTL[@]}" complete "$name" SENT --at="${DAY}T12:00:00Z" >/dev/null
    printf '  %s  %-18s %-28s %s\n' "$DAY" "$action" "$stage" "$why"
  done
}
case_line() {
  "${CTL[@]}" --json cases get "$STORY" | python3 -c '
import json, sys
c = json.load(sys.stdin)
pauses = ",".join(p["kind"] for p in c.get("pauses", [])) or "-"
nxt = c.get("next_step", {}).get("date")
nxt = "%04d-%02d-%02d" % (nxt["year"], nxt["month"], nxt["day"]) if nxt else "-"
print("  case: %-9s stage %-30s pauses %-10s next step %s" % (c["state"], c.get("stage", "-"), pauses, nxt))'
}
pay() {  # pay <id> <minor units> <invoice number>
  printf '{"customer_ref":"%s","payment":{"external_ref":{"source_system":"demo","id":"%s"},"amount":{"currency_code":"USD","minor_units":"%s"},"received_date":{"year":%d,"month":%d,"day":%d},"allocations":[{"invoice_number":"%s","amount":{"currency_code":"USD","minor_units":"%s"}}]}}\n' \
    "$STORY_REF" "$1" "$2" "${DAY:0:4}" "$((10#${DAY:5:2}))" "$((10#${DAY:8:2}))" "$3" "$2" >"$WORK/pay-$1.jsonl"
  "${CTL[@]}" sync "$WORK/pay-$1.jsonl" >/dev/null
}

section "A case moving day by day: a reminder, a promise broken, a plan kept to the end"
STORY_REF=harbor-cafe
start_at 2026-11-20
cat >"$WORK/story.jsonl" <<JSON
{"customer":{"external_ref":{"source_system":"demo","id":"$STORY_REF"},"display_name":"Harbor Cafe","kind":"CUSTOMER_KIND_BUSINESS","contacts":[{"name":"Lena Voss","primary":true,"channels":[{"type":"EMAIL","address":"lena@harbor-cafe.example"}]}]}}
{"customer_ref":"$STORY_REF","invoice":{"external_ref":{"source_system":"demo","id":"HC-1"},"number":"HC-1","issue_date":{"year":2026,"month":10,"day":1},"due_date":{"year":2026,"month":10,"day":31},"currency_code":"USD","total":{"currency_code":"USD","minor_units":"180000"}}}
JSON
"${CTL[@]}" sync "$WORK/story.jsonl" >/dev/null
STORY=$("${CTL[@]}" --json cases list --limit=0 | python3 -c '
import json, sys
for l in sys.stdin:
    c = json.loads(l)
    if c.get("display_name") == "Harbor Cafe": print(c["customer"].rsplit("/", 1)[1])')
echo "Harbor Cafe owes USD 1,800.00 (HC-1, due 2026-10-31). Each line: day, action taken, stage, last reasons."
morning; case_line
start_at 2026-11-24
"${CTL[@]}" promise record "$STORY" 1800.00 2026-12-01 --currency=USD --by="Lena Voss" >/dev/null
echo "  $DAY  promise: USD 1,800.00 by 2026-12-01"; case_line
for d in 2026-12-01 2026-12-05; do start_at $d; morning; done
"${CTL[@]}" --json promise list "$STORY" | python3 -c '
import json, sys
for p in json.load(sys.stdin).get("promises", []):
    print("  promise of %s by %s: %s (decided by the daily run)" % (
        p["promised_by"], "%04d-%02d-%02d" % tuple(p["promised_date"][k] for k in ("year", "month", "day")),
        p["status"]))'
case_line
start_at 2026-12-07
PLAN=$("${CTL[@]}" --json plan propose "$STORY" --currency=USD --installments=3 --first_due=2026-12-15 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
"${CTL[@]}" plan accept "$PLAN" >/dev/null
echo "  $DAY  payment plan accepted: 3 monthly installments from 2026-12-15"; case_line
for d in 2026-12-15 2027-01-15 2027-02-15; do
  start_at $d
  pay "hc-$d" 60000 HC-1
  morning
  echo "  $DAY  installment of USD 600.00 paid"
done
start_at 2027-02-16; morning; case_line
"${CTL[@]}" --json plan get "$PLAN" | python3 -c '
import json, sys
p = json.load(sys.stdin)
print("  payment plan: %s" % p["state"])'
"${CTL[@]}" cases get "$STORY" | sed -n '/^history:/,$p'

# ------------------------------------------------- delivery and the dashboard
section "The morning of $AS_OF: the courier delivers the day's e-mails to a local SMTP sink"
start_server "$DEMO_CLOCK"
CTL=("$BUILD/service/cli/collectionsctl" --server="$ADDR" --tenant="$TENANT")
"${CTL[@]}" collect
# Debian's python3 has python3-aiosmtpd; the sink stores each message as a file.
/usr/bin/python3 "$ROOT/tests/courier/sinks.py" smtp --out "$WORK/mail" >"$WORK/sink.out" &
SINK_PID=$!
SMTP_PORT=""
for _ in $(seq 1 100); do
  SMTP_PORT=$(sed -n 's/^READY \([0-9]*\)/\1/p' "$WORK/sink.out")
  [ -n "$SMTP_PORT" ] && break
  sleep 0.1
done
[ -n "$SMTP_PORT" ] || { echo "the SMTP sink did not start"; exit 1; }
"$BUILD/connectors/courier/collections-courier" --server="$ADDR" --tenant="$TENANT" \
  --state-dir="$WORK/courier" --email=smtp --smtp-url="smtp://127.0.0.1:$SMTP_PORT" \
  --smtp-starttls=off --mail-from=collections@demo.example --sms=skip --tasks=skip \
  --letter=folder --letters-dir="$WORK/courier/letters" --once
MAILS=$(find "$WORK/mail" -name '*.eml' | wc -l)
echo "The SMTP sink on 127.0.0.1:$SMTP_PORT received $MAILS e-mails, for example:"
first=$(find "$WORK/mail" -name '*.eml' | sort | head -1)
[ -n "$first" ] && grep -m3 -E '^(To|Subject|Message-ID):' "$first" | sed 's/^/  /'
[ "$MAILS" -gt 0 ] || { echo "no e-mail was delivered"; exit 1; }

section "The dashboard"
echo "  URL:   http://127.0.0.1:$HTTP_PORT/dashboard/"
echo "  token: $(cat "$WORK/token")  (paste it into the sign-in form)"

section "A payment notification from the payment provider, seen on the dashboard"
CUSTOMER_ID=${CUSTOMER##*/}
INVOICE=$("${CTL[@]}" --json invoices list --customer="$CUSTOMER_ID" --overdue_as_of="$AS_OF" |
  python3 -c '
import json, sys
inv = json.loads(sys.stdin.read().splitlines()[0])  # one invoice a line; the first overdue
print(inv["number"], inv["amount_due"]["minor_units"], inv["amount_due"]["currency_code"])')
read -r INV_NUMBER INV_DUE INV_CCY <<<"$INVOICE"
python3 "$ROOT/deploy/demo/payment_demo.py" --http="127.0.0.1:$HTTP_PORT" --tenant="$TENANT" \
  --token-file="$WORK/token" --secret-file="$WORK/secrets/demo" --customer="$CUSTOMER_ID" \
  --invoice="$INV_NUMBER" --amount-minor="$INV_DUE" --currency="$INV_CCY" --at="${AS_OF}T15:00:00Z"

if [ -z "${CI:-}" ] && [ -t 0 ]; then
  section "The dashboard stays up"
  echo "Open http://127.0.0.1:$HTTP_PORT/dashboard/ and sign in with the token above."
  read -r -p "Press Enter to stop collectionsd and remove the demo's files. " _
fi

section "Done"
echo "The sidecar was started, fed through a connector, and queried; it stops now."
