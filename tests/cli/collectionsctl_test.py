#!/usr/bin/python3
"""collectionsctl as an operator uses it, against a real
collectionsd on 127.0.0.1 with a fixed clock:

  * help and --help exit 0, usage errors exit 2, kebab spellings are aliases;
  * no hidden default tenant; COLLECTIONS_SERVER and COLLECTIONS_TENANT work;
  * lists page through everything, or say "showing N of M" under --limit;
  * table columns line up by display width with accented and CJK names;
  * colour only on a terminal, and never with NO_COLOR;
  * `contact` without --at records the server's time, not 1970;
  * --tls_ca / --tls_server_name reach a TLS server; --token_file is read;
  * `health` answers without tenant or token, in plaintext on loopback and
    with TLS, and through --local_listen beside a TLS port (the Docker
    HEALTHCHECK).

  collectionsctl_test.py <collectionsctl> <collectionsd>
"""

import json
import os
import pty
import subprocess
import sys
import tempfile
import time
import unicodedata
import unittest

CTL, SERVER = sys.argv[1], sys.argv[2]
CLOCK = "fixed:2026-11-20T12:00:00Z"


def start_server(work, *extra):
    log = open(os.path.join(work, "server-%d.log" % len(os.listdir(work))), "w+")
    proc = subprocess.Popen([SERVER, "--listen=127.0.0.1:0", "--clock=" + CLOCK,
                             "--log_requests=false",
                             "--store=sqlite:" + os.path.join(work, "l%d.db" % time.monotonic_ns())]
                            + list(extra), stderr=log)
    for _ in range(300):
        log.seek(0)
        for line in log:
            if '"msg":"serving"' in line:
                return proc, json.loads(line)["listen"]
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(log.read())
        time.sleep(0.05)
    raise RuntimeError("collectionsd did not start")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(work):
    """A certificate for localhost and its key, made with openssl."""
    key, cert = os.path.join(work, "tls.key"), os.path.join(work, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return key, cert


def width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c)
               else 1 for c in text)


class CollectionsctlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp()
        cls.proc, cls.addr = start_server(cls.work)
        records = os.path.join(cls.work, "customers.jsonl")
        names = ["Größe Müller GmbH", "株式会社サンプル", "Ana Ortiz"]
        with open(records, "w") as f:
            for i in range(1200):
                name = names[i] if i < len(names) else "Customer %04d" % i
                f.write(json.dumps({"customer": {
                    "external_ref": {"source_system": "erp", "id": "C-%04d" % i},
                    "display_name": name, "kind": "CUSTOMER_KIND_BUSINESS"}}) + "\n")
        res = cls.ctl("--tenant=acme", "sync", records)
        assert res.returncode == 0, res.stderr

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()

    @classmethod
    def ctl(cls, *args, env=None, server=True):
        e = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTIONS_")}
        e.pop("NO_COLOR", None)
        e.update(env or {})
        argv = [CTL] + (["--server=" + cls.addr] if server else []) + list(args)
        return subprocess.run(argv, env=e, capture_output=True, text=True, timeout=60)

    def test_help_exits_zero_and_usage_errors_exit_two(self):
        for args in (["--help"], ["help"], ["help", "customers"], ["-h"]):
            res = self.ctl(*args)
            self.assertEqual(res.returncode, 0, args)
            self.assertIn("collectionsctl", res.stdout)
        self.assertIn("--tls_ca=", self.ctl("--help").stdout)
        for args in (["--no_such_flag", "customers"], ["frobnicate"], [],
                     ["--timeout_seconds=soon", "customers"], ["help", "frobnicate"]):
            self.assertEqual(self.ctl("--tenant=acme", *args).returncode, 2, args)

    def test_no_default_tenant_and_environment(self):
        res = self.ctl("customers", "list")
        self.assertEqual(res.returncode, 2)
        self.assertIn("COLLECTIONS_TENANT", res.stderr)
        res = self.ctl("--json", "customers", "list", server=False,
                       env={"COLLECTIONS_TENANT": "acme", "COLLECTIONS_SERVER": self.addr})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(len(res.stdout.splitlines()), 1200)

    def test_kebab_spelling_is_an_alias(self):
        a = self.ctl("--tenant=acme", "aging", "--as_of=2026-11-20")
        b = self.ctl("--tenant=acme", "aging", "--as-of=2026-11-20")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)

    def test_lists_page_through_everything_or_say_so(self):
        res = self.ctl("--tenant=acme", "customers", "list")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(len(res.stdout.splitlines()), 1200 + 2)  # header and rule
        self.assertEqual(res.stderr, "")
        res = self.ctl("--tenant=acme", "--limit=10", "--json", "customers", "list")
        self.assertEqual(len(res.stdout.splitlines()), 10)
        self.assertIn("showing 10 of 1200 customers", res.stderr)

    def test_columns_align_by_display_width(self):
        res = self.ctl("--tenant=acme", "--limit=3", "customers", "list")
        lines = res.stdout.splitlines()
        starts = set()
        for line in [lines[0]] + lines[2:5]:
            name_and_rest = line.split("  ", 1)[1].lstrip()
            head = line[:len(line) - len(name_and_rest)]
            kind_at = name_and_rest.index("BUSINESS" if line is not lines[0] else "KIND")
            starts.add(width(head) + width(name_and_rest[:kind_at]))
        self.assertEqual(len(starts), 1, "\n".join(lines))

    def test_colour_only_on_a_terminal_without_no_color(self):
        self.assertNotIn("\033[", self.ctl("--tenant=acme", "--limit=1", "customers").stdout)

        def on_tty(env):
            master, slave = pty.openpty()
            e = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
            e.update(env)
            p = subprocess.Popen([CTL, "--server=" + self.addr, "--tenant=acme", "--limit=1",
                                  "customers"], stdout=slave, stderr=subprocess.DEVNULL, env=e)
            os.close(slave)
            out = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            p.wait()
            os.close(master)
            return out.decode()

        self.assertIn("\033[1m", on_tty({}))
        self.assertNotIn("\033[", on_tty({"NO_COLOR": "1"}))

    def test_contact_without_at_records_the_server_time(self):
        res = self.ctl("--tenant=acme", "--json", "contact", "C-0002", "PHONE", "INBOUND",
                       "SPOKE", "--summary=called back")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(json.loads(res.stdout.splitlines()[-1])["time"], "2026-11-20T12:00:00Z")
        res = self.ctl("--tenant=acme", "contact", "C-0002", "PHONE", "INBOUND", "SPOKE",
                       "--at=1970-01-01T00:00:00Z")
        self.assertEqual(res.returncode, 4)
        self.assertIn("TIME_BEFORE_CUSTOMER", res.stderr)

    def test_complete_without_at_is_now_and_the_next_reminder_waits(self):
        # `complete <action> SENT` recorded 1970, so the queue saw
        # 20,789 days without contact and recommended a second send that day.
        records = os.path.join(self.work, "outbox.jsonl")
        with open(records, "w") as f:
            f.write(json.dumps({"customer": {
                "external_ref": {"source_system": "erp", "id": "C-1"}, "display_name": "Ortiz",
                "kind": "CUSTOMER_KIND_BUSINESS", "time_zone": "UTC",
                "contacts": [{"name": "Ana", "channels": [
                    {"type": "EMAIL", "address": "ana@example.com"}]}]}}) + "\n")
            f.write(json.dumps({"customer_ref": "C-1", "invoice": {
                "external_ref": {"source_system": "erp", "id": "INV-1"}, "number": "INV-1",
                "issue_date": {"year": 2026, "month": 9, "day": 1},
                "due_date": {"year": 2026, "month": 11, "day": 5}, "currency_code": "EUR",
                "total": {"currency_code": "EUR", "minor_units": "125000"}}}) + "\n")
        tenant = "--tenant=outbox"
        self.assertEqual(self.ctl(tenant, "sync", records).returncode, 0)
        self.assertEqual(self.ctl(tenant, "collect").returncode, 0)
        action = json.loads(self.ctl(tenant, "--json", "actions").stdout.splitlines()[0])
        self.assertEqual(action["recommendation"]["action"], "EMAIL")
        res = self.ctl(tenant, "complete", action["name"], "SENT", "--at=1970-01-01T00:00:00Z")
        self.assertEqual(res.returncode, 4)
        self.assertIn("TIME_BEFORE_CUSTOMER", res.stderr)
        res = self.ctl(tenant, "--json", "complete", action["name"], "SENT")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(json.loads(res.stdout.splitlines()[-1])["complete_time"],
                         "2026-11-20T12:00:00Z")
        rec = json.loads(self.ctl(tenant, "--json", "recommend", "C-1").stdout.splitlines()[-1])
        self.assertEqual(rec["action"], "NO_ACTION", rec)
        self.assertEqual(self.ctl(tenant, "collect").stdout.count("0 action(s) written"), 1)

    def test_health_in_plaintext_needs_no_tenant_or_token(self):
        res = self.ctl("health")
        self.assertEqual((res.returncode, res.stdout), (0, "SERVING\n"), res.stderr)
        res = self.ctl("health", "collections_sidecar.v1.LedgerService")
        self.assertEqual((res.returncode, res.stdout), (0, "SERVING\n"), res.stderr)
        res = self.ctl("health", "no.such.Service")
        self.assertEqual(res.returncode, 3, res.stderr)
        res = self.ctl("health", server=False, env={"COLLECTIONS_SERVER": "127.0.0.1:1"})
        self.assertEqual(res.returncode, 6, res.stderr)

    def test_health_with_tls_and_through_local_listen(self):
        work = tempfile.mkdtemp()
        key, cert = self_signed(work)
        local = "127.0.0.1:%d" % free_port()
        proc, addr = start_server(work, "--tls_cert=" + cert, "--tls_key=" + key,
                                  "--auth=tokens", "--local_listen=" + local)
        try:
            base = [CTL, "--timeout_seconds=5"]
            run = lambda *a, **kw: subprocess.run(base + list(a), capture_output=True, text=True,
                                                  **kw)
            tls = run("--server=" + addr, "--tls_ca=" + cert, "--tls_server_name=localhost",
                      "health")
            self.assertEqual((tls.returncode, tls.stdout), (0, "SERVING\n"), tls.stderr)
            env = dict(os.environ, COLLECTIONS_TLS_CA=cert, COLLECTIONS_TLS_SERVER_NAME="localhost")
            self.assertEqual(run("--server=" + addr, "health", env=env).returncode, 0)
            # The TLS port refuses plaintext: the Docker HEALTHCHECK asks --local_listen.
            self.assertEqual(run("--server=" + addr, "health").returncode, 6)
            local_health = run("--server=" + local, "health")
            self.assertEqual((local_health.returncode, local_health.stdout), (0, "SERVING\n"),
                             local_health.stderr)
            # The plaintext port is no way around the tokens.
            denied = run("--server=" + local, "--tenant=acme", "customers")
            self.assertEqual(denied.returncode, 7, denied.stderr)
        finally:
            proc.terminate()
            proc.wait()
        refused = subprocess.run([SERVER, "--local_listen=0.0.0.0:%d" % free_port(),
                                  "--store=sqlite::memory:"], capture_output=True, text=True,
                                 timeout=30)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("loopback", refused.stderr)

    def test_a_table_row_is_one_line(self):
        records = os.path.join(self.work, "multiline.jsonl")
        with open(records, "w") as f:
            f.write(json.dumps({"customer": {
                "external_ref": {"source_system": "erp", "id": "ML-1"},
                "display_name": "Harbor Cafe\n10 Harbor Road", "kind": "CUSTOMER_KIND_BUSINESS"}})
                    + "\n")
        res = self.ctl("--tenant=lines", "sync", records)
        self.assertEqual(res.returncode, 0, res.stderr)
        res = self.ctl("--tenant=lines", "customers", "get", "ML-1")
        self.assertEqual(res.returncode, 0, res.stderr)
        res = self.ctl("--tenant=lines", "customers")
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = [l for l in res.stdout.splitlines() if "Harbor" in l]
        self.assertEqual(len(rows), 1, res.stdout[-2000:])
        self.assertIn("Harbor Cafe, 10 Harbor Road", rows[0])
        self.assertLessEqual(width(rows[0].rstrip()), width(res.stdout.splitlines()[1]))

    def test_tls_and_token_file(self):
        work = tempfile.mkdtemp()
        key, cert = self_signed(work)
        proc, addr = start_server(work, "--tls_cert=" + cert, "--tls_key=" + key)
        try:
            base = [CTL, "--server=" + addr, "--tenant=acme", "--timeout_seconds=5"]
            ok = subprocess.run(base + ["--tls_ca=" + cert, "--tls_server_name=localhost",
                                        "customers"], capture_output=True, text=True)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            plain = subprocess.run(base + ["customers"], capture_output=True, text=True)
            self.assertEqual(plain.returncode, 6, plain.stderr)
            missing = subprocess.run(base + ["--token_file=" + os.path.join(work, "none"),
                                             "customers"], capture_output=True, text=True)
            self.assertEqual(missing.returncode, 2)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
