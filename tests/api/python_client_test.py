#!/usr/bin/python3
"""End-to-end test of examples/python against a real collectionsd.

Starts collectionsd on 127.0.0.1:0 with a fresh SQLite file, reads the bound
port from its "serving" log line, generates the Python stubs from proto/ with
python3-grpc-tools, then drives the example client: upsert a customer and an
invoice, read the account summary, check the health service and reflection.

    python_client_test.py --collectionsd build/service/server/collectionsd --repo .

Exit code 77 (ctest SKIP_RETURN_CODE) when python3-grpcio or grpc-tools is
missing and CI is not set; in CI a missing package is a failure.
"""

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

ARGS = None


def _require_packages():
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError as e:
        msg = "python3-grpcio / python3-grpc-tools missing (%s); run deploy/install.sh" % e
        if os.environ.get("CI"):
            print("FAIL: " + msg)
            sys.exit(1)
        print("SKIP: " + msg)
        sys.exit(77)


class Daemon:
    """collectionsd as a child process; stderr lines are collected by a thread."""

    def __init__(self, binary, args, timeout=30.0):
        self.lines = queue.Queue()
        self.log = []
        self.proc = subprocess.Popen([binary] + args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        threading.Thread(target=self._drain, daemon=True).start()
        self.target = None
        while self.target is None:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.stop()
                raise RuntimeError("collectionsd did not log 'serving':\n" + "".join(self.log))
            if line is None:
                raise RuntimeError("collectionsd exited early (code %s):\n%s"
                                   % (self.proc.wait(), "".join(self.log)))
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("msg") == "serving":
                self.target = rec["listen"]

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="collections-pyclient-")
        sys.path.insert(0, os.path.join(ARGS.repo, "examples", "python"))
        import collections_client
        cls.cc = collections_client
        collections_client.generate_stubs(os.path.join(cls.tmp, "stubs"),
                                          proto_dir=os.path.join(ARGS.repo, "proto"))
        cls.daemon = Daemon(ARGS.collectionsd, [
            "--listen=127.0.0.1:0",
            "--store=sqlite:" + os.path.join(cls.tmp, "ledger.db"),
        ])

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, "collectionsd exited with %s:\n%s" % (code, "".join(cls.daemon.log))

    def setUp(self):
        self.client = self.cc.CollectionsClient(self.daemon.target)

    def tearDown(self):
        self.client.close()

    def test_upsert_and_account_summary(self):
        customer = self.client.upsert_customer("acme", "erp", "C-1001", "Northwind Traders")
        self.assertTrue(customer.name.startswith("tenants/acme/customers/"), customer.name)
        invoice = self.client.upsert_invoice(customer.name, "erp", "INV-1001", (2020, 1, 1),
                                             (2020, 2, 1), "EUR", 125000)
        self.assertTrue(invoice.name.startswith(customer.name + "/invoices/"), invoice.name)
        self.assertEqual(invoice.amount_due.minor_units, 125000)
        self.assertEqual(invoice.amount_due.currency_code, "EUR")

        summary = self.client.account_summary(customer.name, as_of=(2020, 3, 2))
        self.assertEqual(summary.customer, customer.name)
        self.assertEqual(len(summary.positions), 1)
        pos = summary.positions[0]
        self.assertEqual(pos.currency_code, "EUR")
        self.assertEqual(pos.balance.minor_units, 125000)
        self.assertEqual(pos.overdue.minor_units, 125000)  # due 2020-02-01, 30 days late
        self.assertEqual(pos.open_invoice_count, 1)
        self.assertEqual(summary.oldest_days_past_due, 30)

        # The upsert is idempotent on the external reference.
        again = self.client.upsert_customer("acme", "erp", "C-1001", "Northwind Traders")
        self.assertEqual(again.name, customer.name)

    def test_bad_request_is_invalid_argument(self):
        import grpc
        with self.assertRaises(grpc.RpcError) as cm:
            self.client.upsert_customer("acme", "erp", "", "No external id")
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_health_serving(self):
        self.assertEqual(self.client.health(), "SERVING")
        self.assertEqual(self.client.health("collections.v1.LedgerService"), "SERVING")

    def test_reflection_lists_collections_services(self):
        services = self.client.list_services()
        self.assertIn("collections.v1.LedgerService", services)
        self.assertIn("collections.v1.AuditService", services)
        self.assertIn("grpc.health.v1.Health", services)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--collectionsd", required=True)
    p.add_argument("--repo", required=True)
    ARGS, rest = p.parse_known_args()
    _require_packages()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
