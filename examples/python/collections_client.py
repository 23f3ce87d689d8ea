#!/usr/bin/python3
"""A small Python client of the collections sidecar (collections_sidecar.v1 over gRPC).

Uses only Debian 12 packages: python3-grpcio for the runtime and protoc with
its gRPC Python plugin (protobuf-compiler, protobuf-compiler-grpc; else
python3-grpc-tools) to generate the stubs from the repository's proto/ folder
(and from examples/python/protos/ for the standard health and reflection
services, which Debian does not package; google/api/ for the HTTP annotations
from golang-github-gogo-googleapis-dev). Nothing is generated ahead of time:
generate_stubs() runs protoc into a directory of your choice.

    /usr/bin/python3 collections_client.py --target 127.0.0.1:50051 \
        --tenant acme [--token "$COLLECTIONS_TOKEN"] [--ca ca.pem]

upserts a customer and an invoice, prints the customer's account summary, the
health status and the services listed by reflection. Import it to reuse
CollectionsClient in your own integration.
"""

import argparse
import glob
import importlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
EXTRA_PROTO_DIR = os.path.join(HERE, "protos")
GOOGLEAPIS_PROTO_DIR = "/usr/share/gocode/src/github.com/gogo/googleapis"


def generate_stubs(out_dir, proto_dir=REPO_PROTO_DIR, extra_dir=EXTRA_PROTO_DIR,
                   googleapis_dir=GOOGLEAPIS_PROTO_DIR):
    """Generates *_pb2.py and *_pb2_grpc.py into out_dir and makes them importable.

    Raises RuntimeError when protoc fails (its message names the file)."""
    os.makedirs(out_dir, exist_ok=True)
    files = sorted(glob.glob(os.path.join(proto_dir, "collections_sidecar", "v1", "*.proto")))
    if not files:
        raise RuntimeError("no .proto files under %s" % proto_dir)
    files += sorted(glob.glob(os.path.join(extra_dir, "grpc", "**", "*.proto"), recursive=True))
    files += [os.path.join(googleapis_dir, "google", "api", f)
              for f in ("annotations.proto", "http.proto")]
    # Debian 12's protoc (protobuf-compiler) with its gRPC Python plugin
    # (protobuf-compiler-grpc) first: the protoc bundled in python3-grpc-tools
    # 1.14 predates proto3 `optional`, which collections_sidecar.v1 uses for fields
    # whose default comes from the server (CollectionPolicy).
    system_protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if system_protoc and plugin:
        args = [system_protoc, "-I" + proto_dir, "-I" + extra_dir, "-I" + googleapis_dir,
                "--plugin=protoc-gen-grpc_python=" + plugin,
                "--python_out=" + out_dir, "--grpc_python_out=" + out_dir] + files
        result = subprocess.run(args, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError("protoc failed for %s: %s" % (" ".join(files), result.stderr))
    else:
        from grpc_tools import protoc  # python3-grpc-tools
        include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        args = ["protoc", "-I" + proto_dir, "-I" + extra_dir, "-I" + googleapis_dir,
                "-I" + include,
                "--python_out=" + out_dir, "--grpc_python_out=" + out_dir] + files
        if protoc.main(args) != 0:
            raise RuntimeError("protoc failed for %s" % " ".join(files))
    # The generated modules live in the packages their .proto files name:
    # collections_sidecar.v1 (found through sys.path), grpc.health.v1,
    # grpc.reflection.v1alpha and google.api. "grpc" and "google" are already
    # imported (python3-grpcio's grpc, python3-protobuf's google.protobuf), so
    # extend those packages' search paths with the generated folders instead
    # of shadowing them.
    for root, _, _ in os.walk(out_dir):
        depth = os.path.relpath(root, out_dir).count(os.sep)
        init = os.path.join(root, "__init__.py")
        if root != out_dir and depth >= 1 and not os.path.exists(init):
            open(init, "w").close()
    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    import google.protobuf
    import grpc
    for pkg in (google, grpc):
        extra = os.path.join(out_dir, pkg.__name__)
        if extra not in pkg.__path__:
            pkg.__path__.append(extra)
    importlib.invalidate_caches()


class CollectionsClient:
    """Typed calls to one sidecar. Call generate_stubs() first.

    token: a bearer token (collectionsctl tokens create), sent as
        `authorization: Bearer <token>` on every call.
    root_ca / client_cert / client_key: PEM bytes for TLS and mutual TLS;
        without root_ca the channel is plaintext (loopback deployments only).
    """

    def __init__(self, target, token=None, root_ca=None, client_cert=None,
                 client_key=None, server_name=None, timeout=10.0):
        import grpc
        from collections_sidecar.v1 import ledger_pb2_grpc, audit_pb2_grpc
        from grpc.health.v1 import health_pb2_grpc
        from grpc.reflection.v1alpha import reflection_pb2_grpc

        options = []
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        if root_ca is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=root_ca,
                                                  private_key=client_key,
                                                  certificate_chain=client_cert)
            self._channel = grpc.secure_channel(target, creds, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._metadata = [("authorization", "Bearer " + token)] if token else []
        self._timeout = timeout
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(self._channel)
        self.audit = audit_pb2_grpc.AuditServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._reflection = reflection_pb2_grpc.ServerReflectionStub(self._channel)

    def close(self):
        self._channel.close()

    def _call(self, method, request):
        return method(request, timeout=self._timeout, metadata=self._metadata)

    def upsert_customer(self, tenant, source_system, external_id, display_name,
                        kind="CUSTOMER_KIND_BUSINESS", time_zone="UTC"):
        from collections_sidecar.v1 import ledger_pb2, types_pb2
        c = ledger_pb2.Customer(display_name=display_name,
                                kind=types_pb2.CustomerKind.Value(kind),
                                time_zone=time_zone)
        c.external_ref.source_system = source_system
        c.external_ref.id = external_id
        req = ledger_pb2.UpsertCustomerRequest(parent="tenants/" + tenant, customer=c)
        return self._call(self.ledger.UpsertCustomer, req)

    def upsert_invoice(self, customer_name, source_system, number, issue, due,
                       currency, total_minor):
        """issue/due are (year, month, day); total_minor is in minor units."""
        from collections_sidecar.v1 import ledger_pb2, types_pb2
        inv = ledger_pb2.Invoice(number=number, currency_code=currency)
        inv.external_ref.source_system = source_system
        inv.external_ref.id = number
        inv.issue_date.CopyFrom(types_pb2.Date(year=issue[0], month=issue[1], day=issue[2]))
        inv.due_date.CopyFrom(types_pb2.Date(year=due[0], month=due[1], day=due[2]))
        inv.total.CopyFrom(types_pb2.Money(currency_code=currency, minor_units=total_minor))
        req = ledger_pb2.UpsertInvoiceRequest(parent=customer_name, invoice=inv)
        return self._call(self.ledger.UpsertInvoice, req)

    def account_summary(self, customer_name, as_of=None):
        from collections_sidecar.v1 import ledger_pb2, types_pb2
        req = ledger_pb2.GetAccountSummaryRequest(customer=customer_name)
        if as_of:
            req.as_of.CopyFrom(types_pb2.Date(year=as_of[0], month=as_of[1], day=as_of[2]))
        return self._call(self.ledger.GetAccountSummary, req)

    def health(self, service=""):
        """The serving status name, e.g. "SERVING"."""
        from grpc.health.v1 import health_pb2
        resp = self._health.Check(health_pb2.HealthCheckRequest(service=service),
                                  timeout=self._timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)

    def list_services(self):
        """Service names the server reports through reflection."""
        from grpc.reflection.v1alpha import reflection_pb2
        reqs = iter([reflection_pb2.ServerReflectionRequest(list_services="*")])
        names = []
        for resp in self._reflection.ServerReflectionInfo(reqs, timeout=self._timeout,
                                                          metadata=self._metadata):
            if resp.HasField("error_response"):
                raise RuntimeError(resp.error_response.error_message)
            names += [s.name for s in resp.list_services_response.service]
        return names


def money_text(m):
    """Money as decimal text without floating point (2-digit exponent assumed
    for display only; amounts stay integers)."""
    sign = "-" if m.minor_units < 0 else ""
    units, cents = divmod(abs(m.minor_units), 100)
    return "%s%s%d.%02d" % (m.currency_code, " " + sign, units, cents)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", default="127.0.0.1:50051")
    p.add_argument("--tenant", default="acme")
    p.add_argument("--token", default=os.environ.get("COLLECTIONS_TOKEN"))
    p.add_argument("--ca", help="PEM file of the CA that signed the server certificate")
    p.add_argument("--cert", help="client certificate (PEM) for mutual TLS")
    p.add_argument("--key", help="client key (PEM) for mutual TLS")
    p.add_argument("--stubs", default=os.path.join(HERE, "_generated"),
                   help="where to generate the stubs")
    a = p.parse_args(argv)
    generate_stubs(a.stubs)

    def read(path):
        return open(path, "rb").read() if path else None

    client = CollectionsClient(a.target, token=a.token, root_ca=read(a.ca),
                               client_cert=read(a.cert), client_key=read(a.key))
    customer = client.upsert_customer(a.tenant, "erp", "C-1001", "Northwind Traders")
    invoice = client.upsert_invoice(customer.name, "erp", "INV-1001", (2026, 9, 1),
                                    (2026, 10, 1), "EUR", 125000)
    summary = client.account_summary(customer.name)
    print("customer", customer.name)
    print("invoice ", invoice.name, "due", money_text(invoice.amount_due))
    for pos in summary.positions:
        print("position", pos.currency_code, "balance", money_text(pos.balance),
              "overdue", money_text(pos.overdue))
    print("health  ", client.health())
    print("services", ", ".join(client.list_services()))
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
