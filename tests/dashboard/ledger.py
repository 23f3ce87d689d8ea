"""A small deterministic ledger for the dashboard: SyncLedger JSONL records.

Twelve customers (a few consumers, the rest businesses, all in New York's
time zone) with invoices issued from June to November 2026 and payments for
part of them, so that the overview has every aging bucket and a DSO trend,
and the work queue has accounts at several stages. Used by the browser test
(dashboard_browser_test.py) and by deploy/demo.sh.

    python3 ledger.py out.jsonl
"""

import json
import sys
from datetime import date, timedelta

NAMES = [
    ("harbor-cafe", "Harbor Cafe", "BUSINESS"),
    ("duarte-dental", "Duarte Dental Office", "BUSINESS"),
    ("maple-print", "Maple Print & Copy", "BUSINESS"),
    ("nora-quinn", "Nora Quinn", "CONSUMER"),
    ("river-bikes", "River Bikes", "BUSINESS"),
    ("oak-legal", "Oak Street Legal", "BUSINESS"),
    ("sam-ortiz", "Sam Ortiz", "CONSUMER"),
    ("blue-fern", "Blue Fern Florist", "BUSINESS"),
    ("summit-gym", "Summit Gym", "BUSINESS"),
    ("lena-park", "Lena Park", "CONSUMER"),
    ("north-bakery", "North Bakery", "BUSINESS"),
    ("ivy-books", "Ivy Books", "BUSINESS"),
]


def _date(d):
    return {"year": d.year, "month": d.month, "day": d.day}


def _money(minor):
    return {"currency_code": "USD", "minor_units": str(minor)}


def records():
    out = []
    for i, (ref, name, kind) in enumerate(NAMES):
        out.append({"customer": {
            "external_ref": {"source_system": "demo", "id": ref},
            "display_name": name,
            "kind": "CUSTOMER_KIND_" + kind,
            "time_zone": "America/New_York",
            "contacts": [{"name": name.split()[0], "primary": True, "channels": [
                {"type": "EMAIL", "address": "%s@example.com" % ref}]}],
        }})
    start = date(2026, 6, 3)
    n = 0
    for week in range(0, 24):
        for j in range(2):
            ref = NAMES[(week * 5 + j * 7) % len(NAMES)][0]
            issue = start + timedelta(days=week * 7 + j * 3)
            n += 1
            number = "INV-%04d" % (1000 + n)
            total = 25000 + ((n * 7919) % 140) * 1000
            out.append({"customer_ref": ref, "invoice": {
                "external_ref": {"source_system": "demo", "id": number}, "number": number,
                "issue_date": _date(issue), "due_date": _date(issue + timedelta(days=30)),
                "currency_code": "USD", "total": _money(total)}})
            # Most older invoices were paid some days after their due date.
            if n % 3 != 0 and issue < date(2026, 10, 1):
                paid = issue + timedelta(days=30 + (n * 13) % 40)
                if paid <= date(2026, 11, 19):
                    out.append({"customer_ref": ref, "payment": {
                        "external_ref": {"source_system": "demo", "id": "PAY-" + number},
                        "amount": _money(total), "received_date": _date(paid),
                        "allocations": [{"invoice_number": number, "amount": _money(total)}]}})
    return out


if __name__ == "__main__":
    with open(sys.argv[1], "w") as f:
        for r in records():
            f.write(json.dumps(r) + "\n")
