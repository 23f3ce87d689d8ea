#!/usr/bin/env python3
"""Receivers for the courier's tests, on 127.0.0.1 with a free port.

  sinks.py smtp    --out DIR [--delay S] [--user U --password P]
  sinks.py webhook --out DIR --secret-file F [--fail-first N]

Each prints "READY <port>" on stdout once it listens, then writes every
delivery it receives to DIR as its own file (NNNN.eml or NNNN.json, written
to a temporary name and renamed, so a reader never sees half a file):

smtp     aiosmtpd (Debian's python3-aiosmtpd). A recipient whose local part
         starts with "bounce" is refused with 550 at RCPT. With --delay the
         message is stored first and the 250 answer comes S seconds later,
         so a courier killed meanwhile has delivered without knowing it.
         With --user the server demands AUTH (PLAIN or LOGIN, no TLS).
webhook  http.server. Checks the X-Collections-Signature (HMAC-SHA256 of
         "<timestamp>.<body>") and stores {"key", "signature_ok", "body"};
         answers 401 to a bad signature and 503 to the first N requests of
         each Idempotency-Key (to exercise the courier's backoff).
"""
import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def store(out, suffix, data, counter=itertools.count(1), lock=threading.Lock()):
    with lock:
        n = next(counter)
    tmp = os.path.join(out, f".{n:04d}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(out, f"{n:04d}.{suffix}"))


def run_smtp(args):
    from aiosmtpd.smtp import SMTP, AuthResult

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.split("@")[0].startswith("bounce"):
                return "550 5.1.1 <%s>: mailbox unavailable" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            store(args.out, "eml", envelope.original_content or envelope.content)
            if args.delay:
                await asyncio.sleep(args.delay)
            return "250 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == args.user and auth_data.password.decode() == args.password)
        return AuthResult(success=ok)

    kwargs = {}
    if args.user:
        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Handler(), **kwargs), "127.0.0.1", 0)
        print("READY", server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


def run_webhook(args):
    secret = open(args.secret_file, "rb").read().strip()
    failures = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ts = self.headers.get("X-Collections-Timestamp", "")
            sig = self.headers.get("X-Collections-Signature", "")
            want = "v1=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            key = self.headers.get("Idempotency-Key", "")
            ok = hmac.compare_digest(want, sig)
            if not ok:
                self.send_response(401)
                self.end_headers()
                return
            with lock:
                seen = failures.get(key, 0)
                failures[key] = seen + 1
            if seen < args.fail_first:
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"try later")
                return
            store(args.out, "json", json.dumps(
                {"key": key, "signature_ok": ok, "body": json.loads(body)}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"received":true}')

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("READY", server.server_address[1], flush=True)
    server.serve_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["smtp", "webhook"])
    p.add_argument("--out", required=True)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--secret-file", default="")
    p.add_argument("--fail-first", type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    run_smtp(args) if args.mode == "smtp" else run_webhook(args)


if __name__ == "__main__":
    sys.exit(main())
