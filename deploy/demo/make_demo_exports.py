#!/usr/bin/env python3
"""Writes the demo ledger as a QuickBooks Desktop IIF export, deterministically.

The demo company sells maintenance services to 36 customers (businesses and
households) in USD. The export holds customers, terms, invoices over the past
eight months, payments (without invoice links, as QuickBooks exports them) and
a credit memo. Payment behaviour differs per customer: prompt payers, slow
payers, partial payers and customers who stopped paying.

Also writes expected.json: the aged receivables as of the demo date computed
here independently (oldest-due-first allocation, the sidecar's documented
default), so the demo can check that the sidecar reconciles with its input.

usage: make_demo_exports.py OUT_DIR [--as-of=2026-11-20] [--seed=7]
"""
import datetime as dt
import json
import random
import sys

AS_OF = dt.date(2026, 11, 20)
SEED = 7

FIRST = ["Ortiz", "Nakamura", "Okafor", "Lindqvist", "Moreau", "Kowalski", "Haddad", "Brennan",
         "Castillo", "Duarte", "Fischer", "Gupta"]
BUSINESS = ["Bakery", "Dental Office", "Print Shop", "Logistics", "Veterinary Clinic", "Cafe",
            "Hardware", "Architects"]
TERMS = [("Net 15", 15), ("Net 30", 30), ("Net 45", 45)]


def money(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole = f"{cents // 100:,}"
    return f'{sign}{whole}.{cents % 100:02d}'


def iif_amount(cents):
    text = money(cents)
    return f'"{text}"' if "," in text else text


def mdy(d):
    return f"{d.month}/{d.day}/{d.year % 100:02d}"


def main():
    out_dir = sys.argv[1]
    as_of, seed = AS_OF, SEED
    for arg in sys.argv[2:]:
        if arg.startswith("--as-of="):
            as_of = dt.date.fromisoformat(arg.split("=", 1)[1])
        elif arg.startswith("--seed="):
            seed = int(arg.split("=", 1)[1])
    rnd = random.Random(seed)

    customers = []
    for i in range(36):
        if i % 3 == 2:
            name = f"{FIRST[i % len(FIRST)]} Household {i}"
            ctype = "Residential"
        else:
            name = f"{FIRST[i % len(FIRST)]} {BUSINESS[i % len(BUSINESS)]} {i}"
            ctype = "Commercial"
        behaviour = ["prompt", "prompt", "slow", "partial", "stopped", "prompt"][i % 6]
        terms = TERMS[i % len(TERMS)]
        customers.append(dict(name=name, ctype=ctype, behaviour=behaviour, terms=terms,
                              email=f"ap{i}@example.com", phone=f"555-01{i:02d}"))

    lines = []
    lines.append("!HDR\tPROD\tVER\tREL\tIIFVER\tDATE\tTIME\tACCNTNT\tACCNTNTSPLITTIME")
    lines.append(f"HDR\tQuickBooks Pro\tVersion 28.0D\tRelease R5P\t1\t{as_of.isoformat()}\t0\tN\t0")
    lines.append("!TERMS\tNAME\tREFNUM\tTIMESTAMP\tDISCPER\tSTDDUEDAYS\tSTDDISCDAYS\tDAYOFMONTHDUE\t"
                 "DISCDAYOFMONTH\tDATEMINDAYS\tTERMSTYPE\tHIDDEN")
    for n, (tname, days) in enumerate(TERMS, 1):
        lines.append(f"TERMS\t{tname}\t{n}\t0\t0.0%\t{days}\t0\t0\t0\t0\t0\tN")
    lines.append("!CUST\tNAME\tREFNUM\tBADDR1\tBADDR2\tPHONE1\tEMAIL\tCONT1\tCTYPE\tTERMS\tLIMIT")
    for n, c in enumerate(customers, 1):
        lines.append(f"CUST\t{c['name']}\t{n}\t{c['name']}\t{n} Harbor Road\t{c['phone']}\t"
                     f"{c['email']}\tAccounts Payable\t{c['ctype']}\t{c['terms'][0]}\t5000.00")
    lines.append("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tDUEDATE\tTERMS\tPAYMETH")
    lines.append("!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tQNTY\tPRICE\tINVITEM")
    lines.append("!ENDTRNS")

    invoices = []  # dicts: customer, number, issue, due, total, paid
    payments = []  # (customer, date, cents, ref)
    number = 5000
    start = as_of - dt.timedelta(days=240)
    for c in customers:
        day = start + dt.timedelta(days=rnd.randrange(0, 30))
        while day <= as_of - dt.timedelta(days=3):
            number += 1
            total = rnd.choice([18000, 24500, 39900, 65000, 120000, 250000, 480000])
            due = day + dt.timedelta(days=c["terms"][1])
            inv = dict(customer=c["name"], number=str(number), issue=day, due=due, total=total)
            invoices.append(inv)
            # Payment behaviour decides if and when it was paid.
            b = c["behaviour"]
            pay_day = None
            amount = total
            if b == "prompt":
                pay_day = due - dt.timedelta(days=rnd.randrange(0, 10))
            elif b == "slow":
                pay_day = due + dt.timedelta(days=rnd.randrange(20, 75))
            elif b == "partial":
                pay_day = due + dt.timedelta(days=rnd.randrange(0, 30))
                amount = total // 2
            elif b == "stopped":
                pay_day = due + dt.timedelta(days=5) if day < as_of - dt.timedelta(days=150) else None
            if pay_day is not None and pay_day <= as_of:
                payments.append((c["name"], pay_day, amount, f"CHK{len(payments) + 1001}"))
            day += dt.timedelta(days=rnd.randrange(25, 45))

    for inv in invoices:
        lines.append(f"TRNS\t\tINVOICE\t{mdy(inv['issue'])}\tAccounts Receivable\t{inv['customer']}\t"
                     f"{iif_amount(inv['total'])}\t{inv['number']}\tMaintenance services\t"
                     f"{mdy(inv['due'])}\t\t")
        lines.append(f"SPL\t\tINVOICE\t{mdy(inv['issue'])}\tServices\t\t{iif_amount(-inv['total'])}\t\t"
                     f"Maintenance services\t-1\t{money(inv['total'])}\tMaintenance")
        lines.append("ENDTRNS")
    # One credit memo against an invoice of a customer who disputed quality.
    cm_customer = customers[3]["name"]
    cm_inv = next(i for i in invoices if i["customer"] == cm_customer)
    cm = dict(customer=cm_customer, date=cm_inv["issue"] + dt.timedelta(days=10), cents=5000)
    lines.append(f"TRNS\t\tCREDIT MEMO\t{mdy(cm['date'])}\tAccounts Receivable\t{cm_customer}\t"
                 f"{iif_amount(-cm['cents'])}\tCM-{cm_inv['number']}\tCredit for invoice #{cm_inv['number']}"
                 f"\t\t\t")
    lines.append(f"SPL\t\tCREDIT MEMO\t{mdy(cm['date'])}\tServices\t\t{iif_amount(cm['cents'])}\t\t\t\t\t")
    lines.append("ENDTRNS")
    for cust, day, cents, ref in payments:
        lines.append(f"TRNS\t\tPAYMENT\t{mdy(day)}\tUndeposited Funds\t{cust}\t{iif_amount(cents)}\t{ref}\t"
                     f"Payment received\t\t\tCheck")
        lines.append(f"SPL\t\tPAYMENT\t{mdy(day)}\tAccounts Receivable\t{cust}\t{iif_amount(-cents)}\t{ref}\t\t\t\t")
        lines.append("ENDTRNS")

    with open(f"{out_dir}/quickbooks-demo.iif", "w", newline="\r\n") as f:
        f.write("\n".join(lines) + "\n")

    # Expected aging: the credit memo and payments allocated oldest due first.
    due = {(i["customer"], i["number"]): i["total"] for i in invoices}
    due[(cm_customer, cm_inv["number"])] -= cm["cents"]  # the credit memo names its invoice
    for cust, day, cents, ref in sorted(payments, key=lambda p: (p[1], p[3])):
        for inv in sorted((i for i in invoices if i["customer"] == cust),
                          key=lambda i: (i["due"], i["issue"], i["number"])):
            k = (cust, inv["number"])
            take = min(due[k], cents)
            due[k] -= take
            cents -= take
            if cents == 0:
                break
    bounds = [0, 30, 60, 90, 120]
    buckets = [0] * 6
    for inv in invoices:
        amount = due[(inv["customer"], inv["number"])]
        if amount <= 0:
            continue
        dpd = (as_of - inv["due"]).days
        idx = next((n for n, b in enumerate(bounds) if dpd <= b), 5)
        buckets[idx] += amount
    expected = {"as_of": as_of.isoformat(), "currency": "USD", "total_minor": sum(buckets),
                "buckets_minor": buckets, "invoices": len(invoices), "payments": len(payments),
                "customers": len(customers)}
    with open(f"{out_dir}/expected.json", "w") as f:
        json.dump(expected, f, indent=2)
    print(f"wrote {len(customers)} customers, {len(invoices)} invoices, {len(payments)} payments, "
          f"1 credit memo to {out_dir}/quickbooks-demo.iif")


if __name__ == "__main__":
    main()
