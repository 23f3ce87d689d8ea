#!/usr/bin/env python3
"""The demo's last act: a payment notification changes an account on the dashboard.

Signs in to the dashboard with an API token (as a browser would: a form
post, then the session cookie), reads the account's balance from its page,
POSTs a signed payment notification for one of its invoices (the generic
format of docs/payment-notifications.md, HMAC-SHA256 over
"<timestamp>.<body>"), and reads the page again.

    payment_demo.py --http 127.0.0.1:9464 --tenant demo --token-file T --secret-file S \
        --customer ID --invoice INV-1 --amount-minor 12345 --currency USD --at 2026-11-20T15:00:00Z
"""
import argparse
import hashlib
import hmac
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request
from datetime import datetime


def balance(opener, base, customer, currency):
    page = opener.open("%s/dashboard/accounts/%s" % (base, customer)).read().decode()
    m = re.search(r'id="balance-%s">([^<]*)<' % currency, page)
    payments = len(re.findall(r"<tr><td", page.split('id="payments"', 1)[1].split("</table>", 1)[0])) \
        if 'id="payments"' in page else 0
    return (m.group(1) if m else "?"), payments


def main():
    p = argparse.ArgumentParser()
    for a in ("http", "tenant", "token-file", "secret-file", "customer", "invoice", "currency", "at"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--amount-minor", type=int, required=True)
    args = p.parse_args()
    base = "http://" + args.http
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = open(args.token_file).read().strip()
    opener.open(base + "/dashboard/signin", urllib.parse.urlencode({"token": token}).encode())
    if not any(c.name == "collections_session" for c in jar):
        sys.exit("could not sign in to the dashboard")

    before, paid_before = balance(opener, base, args.customer, args.currency)
    at = datetime.strptime(args.at, "%Y-%m-%dT%H:%M:%SZ")
    ts = str(int((at - datetime(1970, 1, 1)).total_seconds()))
    body = json.dumps({"event_id": "evt_demo_" + args.invoice, "invoice": args.invoice,
                       "amount_minor": args.amount_minor, "currency": args.currency,
                       "paid_at": args.at, "payer": "Demo payer", "method": "card"}).encode()
    secret = open(args.secret_file, "rb").read().strip()
    sig = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request("%s/v1/tenants/%s/paymentNotifications" % (base, args.tenant), body,
                                 {"Content-Type": "application/json", "X-Collections-Timestamp": ts,
                                  "X-Collections-Signature": "v1=" + sig})
    answer = json.loads(urllib.request.urlopen(req).read())
    after, paid_after = balance(opener, base, args.customer, args.currency)
    print("  payment notification for %s: %s %s recorded as %s" % (
        args.invoice, args.currency, "{:,.2f}".format(args.amount_minor / 100), answer["payment"]))
    print("  dashboard, account %s: balance %s -> %s, payments listed %d -> %d" % (
        args.customer, before, after, paid_before, paid_after))
    if before == after or paid_after != paid_before + 1:
        sys.exit("the account did not change on the dashboard")


if __name__ == "__main__":
    main()
