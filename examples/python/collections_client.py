#!/usr/bin/python3
"""A small Python client of the collections sidecar, on the collections_sidecar
package (clients/python; see README.md beside this file for the wheel).

    python3 collections_client.py --target 127.0.0.1:50051 --tenant acme \
        [--token "$COLLECTIONS_TOKEN"] [--ca ca.pem [--cert client.pem --key client.key]]

upserts a customer and an invoice of its own (source system "py-example", so
it never collides with the README's erp/C-1 and erp/INV-1001 and can run again
on the same store), prints the customer's account summary, the first page of
the aging report, the health status and what a refused call's details say.
Import it to reuse the functions in your own integration.
"""

import argparse
import datetime
import os
import sys

import collections_sidecar as cs
from collections_sidecar.v1 import ledger_pb2, types_pb2

SOURCE = "py-example"


def upsert_customer(client, tenant, external_id, display_name, time_zone="UTC"):
    c = ledger_pb2.Customer(display_name=display_name, kind=types_pb2.CUSTOMER_KIND_BUSINESS,
                            time_zone=time_zone)
    c.external_ref.source_system = SOURCE
    c.external_ref.id = external_id
    return client.ledger.UpsertCustomer(
        ledger_pb2.UpsertCustomerRequest(parent="tenants/" + tenant, customer=c))


def upsert_invoice(client, customer_name, number, issue, due, currency, total_minor):
    """issue/due are datetime.date; total_minor is in minor units (never a float)."""
    inv = ledger_pb2.Invoice(number=number, currency_code=currency, issue_date=cs.as_of(issue),
                             due_date=cs.as_of(due),
                             total=types_pb2.Money(currency_code=currency, minor_units=total_minor))
    inv.external_ref.source_system = SOURCE
    inv.external_ref.id = number
    return client.ledger.UpsertInvoice(
        ledger_pb2.UpsertInvoiceRequest(parent=customer_name, invoice=inv))


def money_text(m):
    """Money as decimal text without floating point (2-digit exponent assumed
    for display only; amounts stay integers)."""
    sign = "-" if m.minor_units < 0 else ""
    units, cents = divmod(abs(m.minor_units), 100)
    return "%s %s%d.%02d" % (m.currency_code, sign, units, cents)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", default="127.0.0.1:50051")
    p.add_argument("--tenant", default="acme")
    p.add_argument("--token", default=os.environ.get("COLLECTIONS_TOKEN"))
    p.add_argument("--ca", help="PEM file of the CA that signed the server certificate")
    p.add_argument("--cert", help="client certificate (PEM) for mutual TLS")
    p.add_argument("--key", help="client key (PEM) for mutual TLS")
    a = p.parse_args(argv)

    def read(path):
        return open(path, "rb").read() if path else None

    with cs.connect(a.target, token=a.token, root_ca=read(a.ca), client_cert=read(a.cert),
                    client_key=read(a.key)) as client:
        customer = upsert_customer(client, a.tenant, "C-1001", "Northwind Traders")
        invoice = upsert_invoice(client, customer.name, "PY-INV-1001", datetime.date(2026, 9, 1),
                                 datetime.date(2026, 10, 1), "EUR", 125000)
        summary = client.ledger.GetAccountSummary(
            ledger_pb2.GetAccountSummaryRequest(customer=customer.name))
        print("customer", customer.name)
        print("invoice ", invoice.name, "due", money_text(invoice.amount_due))
        for pos in summary.positions:
            print("position", pos.currency_code, "balance", money_text(pos.balance),
                  "overdue", money_text(pos.overdue))
        report = client.ledger.GetAgingReport(
            ledger_pb2.GetAgingReportRequest(parent="tenants/" + a.tenant, page_size=10))
        for row in report.rows:
            print("aging   ", row.customer, row.currency_code)
        print("health  ", client.health())
        try:
            upsert_customer(client, a.tenant, "", "No external id")
        except cs.InvalidArgument as e:
            print("refused ", e.reason, [f for f, _ in e.field_violations])
    return 0


if __name__ == "__main__":
    sys.exit(main())
