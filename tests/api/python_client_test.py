#!/usr/bin/python3
"""End-to-end test of the Python client (clients/python, staged with its
generated stubs by the python_wheel target) and of examples/python against a
real collectionsd.

Starts collectionsd on 127.0.0.1:0 with a fresh SQLite file, reads the bound
port from its "serving" log line, then: upserts through the helper layer,
decodes a refused call's google.rpc details as any gRPC client would, calls
grpc.health.v1.Health/Check by name through server reflection (the grpcurl
stand-in), runs the example twice on a store the README's steps already used.

    python_client_test.py --collectionsd build/service/server/collectionsd --repo . \
        --stage build/clients/python/src

Exit code 77 (ctest SKIP_RETURN_CODE) when python3-grpcio is missing and CI
is not set; in CI a missing package is a failure.
"""

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def _require_packages():
    try:
        import grpc  # noqa: F401
    except ImportError as e:
        msg = "python3-grpcio missing (%s); run deploy/install.sh" % e
        if os.environ.get("CI"):
            print("FAIL: " + msg)
            sys.exit(1)
        print("SKIP: " + msg)
        sys.exit(77)


def _daemon(args):
    sys.path.insert(0, os.path.join(ARGS.repo, "tests", "pylib"))
    from live_server import Daemon
    return Daemon(ARGS.collectionsd, args)


def _grpcurl(*args, input=None):
    """The grpcurl stand-in of the staged package, as a subprocess."""
    env = dict(os.environ, PYTHONPATH=ARGS.stage)
    return subprocess.run([sys.executable, "-m", "collections_sidecar.grpcurl"] + list(args),
                          capture_output=True, text=True, input=input, env=env, timeout=60)


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="collections-pyclient-")
        sys.path.insert(0, ARGS.stage)
        sys.path.insert(0, os.path.join(ARGS.repo, "examples", "python"))
        import collections_client
        import collections_sidecar
        cls.example = collections_client
        cls.cs = collections_sidecar
        cls.daemon = _daemon([
            "--listen=127.0.0.1:0",
            "--store=sqlite:" + os.path.join(cls.tmp, "ledger.db"),
        ])

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, "collectionsd exited with %s:\n%s" % (code, "".join(cls.daemon.log))

    def setUp(self):
        self.client = self.cs.connect(self.daemon.target, timeout=10)

    def tearDown(self):
        self.client.close()

    def test_stdlib_collections_is_not_shadowed(self):
        import collections
        self.assertTrue(hasattr(collections, "OrderedDict"))
        from collections_sidecar.v1 import ledger_pb2
        self.assertEqual(ledger_pb2.DESCRIPTOR.package, "collections_sidecar.v1")

    def test_upsert_and_account_summary(self):
        import datetime
        from collections_sidecar.v1 import ledger_pb2
        customer = self.example.upsert_customer(self.client, "acme", "C-2001", "Contoso")
        self.assertTrue(customer.name.startswith("tenants/acme/customers/"), customer.name)
        invoice = self.example.upsert_invoice(self.client, customer.name, "INV-2001",
                                              datetime.date(2020, 1, 1), datetime.date(2020, 2, 1),
                                              "EUR", 125000)
        self.assertTrue(invoice.name.startswith(customer.name + "/invoices/"), invoice.name)
        self.assertEqual(invoice.amount_due.minor_units, 125000)
        self.assertEqual(self.cs.to_date(invoice.due_date), datetime.date(2020, 2, 1))

        summary = self.client.ledger.GetAccountSummary(ledger_pb2.GetAccountSummaryRequest(
            customer=customer.name, as_of=self.cs.as_of(datetime.date(2020, 3, 2))))
        self.assertEqual(summary.customer, customer.name)
        self.assertEqual(len(summary.positions), 1)
        pos = summary.positions[0]
        self.assertEqual(pos.currency_code, "EUR")
        self.assertEqual(pos.balance.minor_units, 125000)
        self.assertEqual(pos.overdue.minor_units, 125000)  # due 2020-02-01, 30 days late
        self.assertEqual(summary.oldest_days_past_due, 30)

        # The upsert is idempotent on the external reference.
        again = self.example.upsert_customer(self.client, "acme", "C-2001", "Contoso")
        self.assertEqual(again.name, customer.name)

    def test_refused_call_carries_standard_google_rpc_details(self):
        """The trailer decodes as google.rpc.Status whose details are packed
        under type.googleapis.com/google.rpc.*, as grpcio-status's
        rpc_status.from_call reads them (used too when it is installed)."""
        import grpc
        from collections_sidecar.standard import error_details_pb2
        from collections_sidecar.v1 import ledger_pb2, ledger_pb2_grpc
        stub = ledger_pb2_grpc.LedgerServiceStub(self.client.channel)
        with self.assertRaises(grpc.RpcError) as cm:
            stub.UpsertCustomer(ledger_pb2.UpsertCustomerRequest(
                parent="tenants/acme", customer=ledger_pb2.Customer(display_name="No ref")),
                timeout=10)
        err = cm.exception
        self.assertEqual(err.code(), grpc.StatusCode.INVALID_ARGUMENT)
        statuses = [self.cs.status_from_call(err)]
        try:
            from grpc_status import rpc_status
            statuses.append(rpc_status.from_call(err))
        except ImportError:
            pass  # grpcio-status is not packaged for Debian 12
        for status in statuses:
            self.assertEqual([d.type_url for d in status.details],
                             ["type.googleapis.com/google.rpc.ErrorInfo",
                              "type.googleapis.com/google.rpc.BadRequest"])
            info = error_details_pb2.ErrorInfo()
            self.assertTrue(status.details[0].Unpack(info))
            self.assertEqual(info.domain, "collections-sidecar")
            self.assertEqual(info.metadata["resource"], "tenants/acme")
            self.assertTrue(info.reason)
            bad = error_details_pb2.BadRequest()
            self.assertTrue(status.details[1].Unpack(bad))
            self.assertIn("external_ref", bad.field_violations[0].field)
        # The helper layer raises the same as an exception.
        with self.assertRaises(self.cs.InvalidArgument) as cm:
            self.client.ledger.UpsertCustomer(ledger_pb2.UpsertCustomerRequest(
                parent="tenants/acme", customer=ledger_pb2.Customer(display_name="No ref")))
        self.assertEqual(cm.exception.domain, "collections-sidecar")
        self.assertEqual(cm.exception.metadata["resource"], "tenants/acme")
        self.assertIn("external_ref", cm.exception.field_violations[0][0])

    def test_not_found_names_the_resource(self):
        from collections_sidecar.v1 import ledger_pb2
        with self.assertRaises(self.cs.NotFound) as cm:
            self.client.ledger.GetCustomer(
                ledger_pb2.GetCustomerRequest(name="tenants/acme/customers/nobody"))
        self.assertEqual(cm.exception.reason, "CUSTOMER_NOT_FOUND")
        self.assertEqual(cm.exception.metadata["resource"], "tenants/acme/customers/nobody")

    def test_health_serving(self):
        self.assertEqual(self.client.health(), "SERVING")
        self.assertEqual(self.client.health("collections_sidecar.v1.LedgerService"), "SERVING")

    def test_health_check_by_name_through_reflection(self):
        """grpcurl-style: the types of grpc.health.v1.Health come from
        reflection alone (it answered "Symbol not found" before)."""
        r = _grpcurl("-plaintext", self.daemon.target, "grpc.health.v1.Health/Check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"status": "SERVING"})
        r = _grpcurl("-plaintext", "-d", '{"service":"collections_sidecar.v1.CaseService"}',
                     self.daemon.target, "grpc.health.v1.Health/Check")
        self.assertEqual(json.loads(r.stdout), {"status": "SERVING"}, r.stderr)
        r = _grpcurl("-plaintext", self.daemon.target, "describe", "grpc.health.v1.Health")
        self.assertIn("rpc Check", r.stdout, r.stderr)

    def test_reflection_lists_collections_services(self):
        r = _grpcurl("-plaintext", self.daemon.target, "list")
        services = r.stdout.split()
        self.assertIn("collections_sidecar.v1.LedgerService", services)
        self.assertIn("collections_sidecar.v1.AuditService", services)
        self.assertIn("grpc.health.v1.Health", services)

    def test_example_runs_after_readme_steps_and_again(self):
        """The README's calls upsert erp/C-1 with erp/INV-1001 first; the
        example then runs twice on that used store."""
        r = _grpcurl("-plaintext", "-d", json.dumps({
            "parent": "tenants/acme", "customer": {
                "external_ref": {"source_system": "erp", "id": "C-1"}, "display_name": "Ortiz",
                "kind": "CUSTOMER_KIND_BUSINESS", "time_zone": "Europe/Madrid"}}),
            self.daemon.target, "collections_sidecar.v1.LedgerService/UpsertCustomer")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = _grpcurl("-plaintext", "-d", json.dumps({
            "parent": "tenants/acme/customers/C-1", "invoice": {
                "external_ref": {"source_system": "erp", "id": "INV-1001"}, "number": "INV-1001",
                "issue_date": {"year": 2026, "month": 9, "day": 1},
                "due_date": {"year": 2026, "month": 10, "day": 1}, "currency_code": "EUR",
                "total": {"currency_code": "EUR", "minor_units": "125000"}}}),
            self.daemon.target, "collections_sidecar.v1.LedgerService/UpsertInvoice")
        self.assertEqual(r.returncode, 0, r.stderr)
        env = dict(os.environ, PYTHONPATH=ARGS.stage)
        example = os.path.join(ARGS.repo, "examples", "python", "collections_client.py")
        for attempt in (1, 2):
            r = subprocess.run([sys.executable, example, "--target", self.daemon.target,
                                "--tenant", "acme"], capture_output=True, text=True, env=env,
                               timeout=60)
            self.assertEqual(r.returncode, 0, "run %d: %s" % (attempt, r.stderr))
            self.assertIn("health   SERVING", r.stdout)
            self.assertIn("refused  ", r.stdout)


class ProductionConfigTest(unittest.TestCase):
    """collectionsd started from the annotated example flag file
    (deploy/collectionsd.flags.example) with only addresses and paths
    overridden: bearer tokens from the bootstrap file, request ids, the
    HTTP metrics and probe endpoints, and SIGHUP reload."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="collections-pyprod-")
        sys.path.insert(0, ARGS.stage)
        sys.path.insert(0, os.path.join(ARGS.repo, "examples", "python"))
        import collections_client
        import collections_sidecar
        cls.example = collections_client
        cls.cs = collections_sidecar
        cls.token_file = os.path.join(cls.tmp, "bootstrap.token")
        cls.daemon = _daemon([
            "--flagfile=" + os.path.join(ARGS.repo, "deploy", "collectionsd.flags.example"),
            "--listen=127.0.0.1:0",
            "--store=sqlite:" + os.path.join(cls.tmp, "ledger.db"),
            "--http_listen=127.0.0.1:0",
            "--bootstrap_token_file=" + cls.token_file,
        ])
        cls.serving = next(json.loads(l) for l in cls.daemon.log if '"serving"' in l)

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, "collectionsd exited with %s:\n%s" % (code, "".join(cls.daemon.log))

    def http(self, path):
        import urllib.error
        import urllib.request
        url = "http://127.0.0.1:%d%s" % (self.serving["http_port"], path)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_bootstrap_token_authenticates_and_tenants_are_isolated(self):
        import grpc
        self.assertEqual(self.serving["auth"], "tokens")
        self.assertEqual(os.stat(self.token_file).st_mode & 0o777, 0o600)
        token = open(self.token_file).read().strip()
        self.assertTrue(token.startswith("ctk_"))
        client = self.cs.connect(self.daemon.target, token=token, timeout=10)
        anonymous = self.cs.connect(self.daemon.target, timeout=10)
        try:
            customer = self.example.upsert_customer(client, "acme", "C-9", "Fabrikam")
            self.assertTrue(customer.name.startswith("tenants/acme/customers/"))
            with self.assertRaises(self.cs.Unauthenticated) as cm:
                self.example.upsert_customer(anonymous, "acme", "C-10", "No token")
            self.assertEqual(cm.exception.code, grpc.StatusCode.UNAUTHENTICATED)
            with self.assertRaises(self.cs.PermissionDenied) as cm:
                self.example.upsert_customer(client, "other", "C-11", "Other tenant")
            self.assertEqual(cm.exception.metadata, {"tenant": "other"})
            # Health and reflection need no token (probes, tooling).
            self.assertEqual(anonymous.health(), "SERVING")
            r = _grpcurl("-plaintext", self.daemon.target, "list")
            self.assertIn("collections_sidecar.v1.LedgerService", r.stdout.split(), r.stderr)
        finally:
            client.close()
            anonymous.close()

    def test_request_id_is_echoed_and_logged(self):
        from collections_sidecar.v1 import ledger_pb2
        from collections_sidecar.v1 import ledger_pb2_grpc
        token = open(self.token_file).read().strip()
        client = self.cs.connect(self.daemon.target, token=token)
        stub = ledger_pb2_grpc.LedgerServiceStub(client.channel)
        try:
            _, call = stub.ListCustomers.with_call(
                ledger_pb2.ListCustomersRequest(parent="tenants/acme"), timeout=10,
                metadata=[("authorization", "Bearer " + token), ("x-request-id", "erp-job-42")])
            self.assertIn(("x-request-id", "erp-job-42"), list(call.initial_metadata()))
            _, call = stub.ListCustomers.with_call(
                ledger_pb2.ListCustomersRequest(parent="tenants/acme"), timeout=10,
                metadata=[("authorization", "Bearer " + token)])
            generated = dict(call.initial_metadata()).get("x-request-id", "")
            self.assertRegex(generated, r"^[0-9a-f]{32}$")
        finally:
            client.close()
        # The log line of that call carries the id (the daemon logs it as the
        # call finishes; wait for it on the log queue).
        deadline = 50
        while deadline > 0 and not any('"request_id":"erp-job-42"' in l for l in self.daemon.log):
            try:
                self.daemon.lines.get(timeout=0.2)
            except queue.Empty:
                pass
            deadline -= 1
        line = next(l for l in self.daemon.log if '"request_id":"erp-job-42"' in l)
        rec = json.loads(line)
        self.assertEqual(rec["method"], "LedgerService/ListCustomers")
        self.assertTrue(rec["actor"].startswith("token:"))

    def test_metrics_and_probes(self):
        status, body = self.http("/healthz")
        self.assertEqual(status, 200)
        status, body = self.http("/readyz")
        self.assertEqual((status, body), (200, "ready\n"))
        status, body = self.http("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("# TYPE collections_rpc_requests_total counter", body)
        self.assertIn("# TYPE collections_store_seconds histogram", body)
        self.assertIn("collections_worker_queue_depth 0", body)
        self.assertEqual(self.http("/missing")[0], 404)

    def test_collectionsctl_tokens_create_list_revoke(self):
        """Tokens made by collectionsctl on the store the running daemon uses
        work at once, are listed without their secret, and stop working
        from the call after their revocation."""
        import grpc
        if not ARGS.collectionsctl:
            self.skipTest("no --collectionsctl given")
        store = "--store=sqlite:" + os.path.join(self.tmp, "ledger.db")

        def ctl(*args):
            r = subprocess.run([ARGS.collectionsctl, "--tenant=acme", "--json", "tokens"] + list(args)
                               + [store], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

        created = ctl("create", "--scope=read", "--description=python test")[0]
        self.assertEqual((created["tenant"], created["scope"]), ("acme", "read"))
        client = self.cs.connect(self.daemon.target, token=created["token"], timeout=10)
        try:
            from collections_sidecar.v1 import ledger_pb2
            listing = client.ledger.ListCustomers(  # raises unless the token is accepted
                ledger_pb2.ListCustomersRequest(parent="tenants/acme"))
            self.assertIsNotNone(listing)
            with self.assertRaises(self.cs.PermissionDenied):  # read scope cannot write
                self.example.upsert_customer(client, "acme", "C-12", "Reader")
            listed = {t["id"]: t for t in ctl("list")}
            self.assertIn(created["id"], listed)
            self.assertNotIn("token", listed[created["id"]])
            self.assertFalse(listed[created["id"]]["revoked"])
            r = subprocess.run([ARGS.collectionsctl, "--tenant=acme", "tokens", "revoke", created["id"], store],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            with self.assertRaises(self.cs.Unauthenticated):
                client.ledger.GetAccountSummary(ledger_pb2.GetAccountSummaryRequest(
                    customer="tenants/acme/customers/C-9"))
            self.assertTrue({t["id"]: t for t in ctl("list")}[created["id"]]["revoked"])
        finally:
            client.close()

    def test_sighup_reloads(self):
        import signal
        self.daemon.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if any('"msg":"reload"' in l for l in self.daemon.log):
                break
            try:
                self.daemon.lines.get(timeout=0.2)
            except queue.Empty:
                pass
        line = next(l for l in self.daemon.log if '"msg":"reload"' in l)
        self.assertTrue(json.loads(line)["ok"], line)
        self.assertEqual(self.daemon.proc.poll(), None)  # still running


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--collectionsd", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--collectionsctl", default="")
    p.add_argument("--stage", required=True, help="the staged Python client (python_wheel)")
    ARGS, rest = p.parse_known_args()
    _require_packages()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
