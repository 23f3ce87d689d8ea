#!/usr/bin/python3
"""The Python client wheel, installed as a user would: a venv (with Debian's
python3-grpcio and python3-protobuf through --system-site-packages), `pip
install` of the built wheel from a folder (no index), then a program that
knows nothing but the installed package drives a live collectionsd.

    python_wheel_test.py --collectionsd build/service/server/collectionsd \
        --wheel build/clients/python/dist/collections_sidecar-0.1.0-py3-none-any.whl --repo .
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None


class WheelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(ARGS.repo, "tests", "pylib"))
        from live_server import Daemon
        cls.tmp = tempfile.mkdtemp(prefix="collections-wheel-")
        cls.venv = os.path.join(cls.tmp, "venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", cls.venv],
                       check=True, timeout=120)
        cls.python = os.path.join(cls.venv, "bin", "python3")
        r = subprocess.run([cls.python, "-m", "pip", "install", "--no-index", "--quiet",
                            ARGS.wheel], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        cls.daemon = Daemon(ARGS.collectionsd, [
            "--listen=127.0.0.1:0", "--store=sqlite:" + os.path.join(cls.tmp, "ledger.db")])

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, "collectionsd exited with %s" % code

    def test_program_against_the_installed_wheel(self):
        program = os.path.join(self.tmp, "program.py")  # away from the repository
        shutil.copy(os.path.join(ARGS.repo, "tests", "clients", "wheel_program.py"), program)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        r = subprocess.run([self.python, program, self.daemon.target], capture_output=True,
                           text=True, cwd=self.tmp, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertTrue(out["module"].startswith(self.venv), out["module"])
        self.assertEqual(out["customers"], ["Wheel customer %d" % i for i in range(5)])
        self.assertEqual(out["aging_pages"], 3)  # 5 rows, 2 per page
        self.assertEqual(sorted(out["aging_rows"]),
                         [["Wheel customer %d" % i, 1000 * (i + 1)] for i in range(5)])
        self.assertEqual(out["aging_as_of"], "2026-03-03")
        refused = out["refused"]
        self.assertIsNotNone(refused)
        self.assertEqual(refused["type_urls"], ["type.googleapis.com/google.rpc.ErrorInfo",
                                                "type.googleapis.com/google.rpc.BadRequest"])
        self.assertEqual(refused["domain"], "collections-sidecar")
        self.assertEqual(refused["metadata"], {"resource": "tenants/acme"})
        self.assertEqual(len(refused["field_violations"]), 1)
        self.assertIn("external_ref", refused["field_violations"][0][0])
        self.assertEqual(out["health"], "SERVING")
        # README's way without the helper layer: a plain stub, cs.status_from_call, Unpack.
        self.assertEqual(len(out["plain_bad_request"]), 1, out["plain_bad_request"])
        self.assertEqual(out["plain_bad_request"][0][0], "customer.external_ref.source_system")

    def test_grpcurl_stand_in_is_a_module_of_the_wheel(self):
        r = subprocess.run([self.python, "-m", "collections_sidecar.grpcurl", "-plaintext",
                            self.daemon.target, "grpc.health.v1.Health/Check"],
                           capture_output=True, text=True, cwd=self.tmp, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"status": "SERVING"})


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--collectionsd", required=True)
    p.add_argument("--wheel", required=True)
    p.add_argument("--repo", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
