"""A client written only against the installed collections-sidecar wheel (no
repository path, no generated files of its own). Run by python_wheel_test.py
with the venv's interpreter:

    wheel_program.py TARGET

Seeds five customers with an overdue invoice each, lists the customers,
pages through the aging report two rows at a time, and unpacks the
BadRequest of a refused call, through the helper layer and through a plain
generated stub as README.md shows (cs.status_from_call standing in for
grpcio-status, which Debian 12 lacks). Prints one JSON object with what it saw.
"""

import datetime
import json
import sys

import grpc
from google.rpc import error_details_pb2

import collections_sidecar as cs
from collections_sidecar.v1 import ledger_pb2, ledger_pb2_grpc, types_pb2


def bad_request_of_a_plain_call(target):
    """The field violations of a refused call made with the generated stub
    alone, unpacked from the google.rpc.Status."""
    with grpc.insecure_channel(target) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        try:
            stub.UpsertCustomer(ledger_pb2.UpsertCustomerRequest(parent="tenants/acme"),
                                timeout=10)
            return None
        except grpc.RpcError as e:
            status = cs.status_from_call(e)
    violations = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations += [[v.field, v.description] for v in bad.field_violations]
    return violations


def main(target):
    out = {"module": cs.__file__}
    with cs.connect(target, timeout=10) as client:
        for i in range(5):
            c = ledger_pb2.Customer(display_name="Wheel customer %d" % i,
                                    kind=types_pb2.CUSTOMER_KIND_BUSINESS, time_zone="UTC")
            c.external_ref.source_system = "wheel"
            c.external_ref.id = "W-%d" % i
            customer = client.ledger.UpsertCustomer(
                ledger_pb2.UpsertCustomerRequest(parent="tenants/acme", customer=c))
            inv = ledger_pb2.Invoice(number="W-INV-%d" % i, currency_code="EUR",
                                     issue_date=cs.as_of(datetime.date(2026, 1, 1)),
                                     due_date=cs.as_of(datetime.date(2026, 2, 1)),
                                     total=types_pb2.Money(currency_code="EUR",
                                                           minor_units=1000 * (i + 1)))
            inv.external_ref.source_system = "wheel"
            inv.external_ref.id = inv.number
            client.ledger.UpsertInvoice(ledger_pb2.UpsertInvoiceRequest(parent=customer.name,
                                                                        invoice=inv),
                                        request_id=cs.new_request_id())
        out["customers"] = sorted(c.display_name for c in client.paginate(
            client.ledger.ListCustomers, ledger_pb2.ListCustomersRequest(parent="tenants/acme"),
            "customers", page_size=2))
        report = ledger_pb2.GetAgingReportRequest(parent="tenants/acme",
                                                  as_of=cs.as_of(datetime.date(2026, 3, 3)))
        pages = list(client.pages(client.ledger.GetAgingReport, report, page_size=2))
        out["aging_pages"] = len(pages)
        out["aging_rows"] = [(r.display_name, r.overdue.minor_units)
                             for p in pages for r in p.rows]
        out["aging_as_of"] = str(cs.to_date(pages[0].as_of))
        try:
            client.ledger.UpsertCustomer(ledger_pb2.UpsertCustomerRequest(
                parent="tenants/acme", customer=ledger_pb2.Customer(display_name="No ref")))
            out["refused"] = None
        except cs.InvalidArgument as e:
            out["refused"] = {"reason": e.reason, "domain": e.domain, "metadata": e.metadata,
                              "field_violations": e.field_violations,
                              "type_urls": [d.type_url for d in e.status.details]}
        out["health"] = client.health()
    out["plain_bad_request"] = bad_request_of_a_plain_call(target)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
