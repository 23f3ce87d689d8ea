#!/usr/bin/python3
"""Runs every shell example of README.md, docs/*.md and examples/*/README.md
against a live collectionsd, so that a doc change that breaks an example
fails CI.

An example is a fenced block tagged sh, bash, shell or console. Each is run
with `bash -euo pipefail` from the repository root, in document order, one
fresh collectionsd (SQLite, no auth, loopback) per document, with:
  * 127.0.0.1:50051 / localhost:50051 in the text replaced by the live
    server's address and 127.0.0.1:9464 by its HTTP port (--http_listen),
    except in a block that starts its own collectionsd: there 50051 and 9464
    become free ports, so it never meets another server;
  * `build/` in the text replaced by the build folder;
  * `grpcurl` on PATH standing in for grpcurl (Debian 12 lacks it): the
    Python client's reflection-driven collections_sidecar.grpcurl, with a
    deadline that ends following streams (WatchEvents) after a few seconds;
  * COLLECTIONS_TENANT=acme, as README's tour exports it for the blocks
    after it (each block runs in its own shell);
  * `collectionsctl` on PATH pointing at the live server; the built
    binaries' folders next on PATH; PYTHONPATH = the staged Python client
    (what the wheel installs), and `.venv/` in the text replaced by a folder
    whose bin/python is Debian's python3 (the venv the docs have you make).
A block that cannot run here (it needs Kubernetes, systemd, PostgreSQL, root,
or would run the whole suite) carries a marker on the line before its fence:

    <!-- docs-test: skip (needs systemd) -->

Skipped blocks are counted and listed. The last line is
"N passed, N failed, N skipped".

    docs_examples_test.py --repo . --build build --stage build/clients/python/src
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SHELL_TAGS = {"sh", "bash", "shell", "console"}
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<reason>[^)]*)\)\s*-->")
ADDRESS = re.compile(r"\b(?:127\.0\.0\.1|localhost):50051\b")
VENV = re.compile(r"(?<![\w/])\.venv/")
BUILD = re.compile(r"(?<![\w/.])build/")
HTTP_ADDRESS = re.compile(r"\b127\.0\.0\.1:9464\b")
OWN_SERVER = re.compile(r"\bcollectionsd\b[^\n]*--listen=")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(text, target, http_target, venv, build):
    """The script run for one example's text (see the module comment)."""
    if OWN_SERVER.search(text):
        text = ADDRESS.sub("127.0.0.1:%d" % free_port(), text)
        text = HTTP_ADDRESS.sub("127.0.0.1:%d" % free_port(), text)
    else:
        text = HTTP_ADDRESS.sub(http_target, ADDRESS.sub(target, text))
    return BUILD.sub(build + "/", VENV.sub(venv + "/", text))


class Example:
    def __init__(self, path, line, text, skip):
        self.path, self.line, self.text, self.skip = path, line, text, skip

    def where(self):
        return "%s:%d" % (self.path, self.line)


def extract(path, rel):
    """The shell examples of one Markdown file, in order."""
    out = []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(```+)\s*([A-Za-z0-9_-]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, tag, start = m.group(1), m.group(2).lower(), i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        if tag in SHELL_TAGS:
            marker = SKIP.search(lines[start - 1]) if start > 0 else None
            out.append(Example(rel, start + 1, "\n".join(body),
                               marker.group("reason") if marker else None))
    return out


def documents(repo):
    paths = ["README.md"] + sorted(glob.glob("docs/*.md", root_dir=repo)) + \
        sorted(glob.glob("examples/*/README.md", root_dir=repo))
    return [p for p in paths if os.path.exists(os.path.join(repo, p))]


def write_shims(bindir, build, stage):
    grpcurl = os.path.join(bindir, "grpcurl")
    with open(grpcurl, "w") as f:
        f.write('#!/bin/sh\nPYTHONPATH="%s" exec /usr/bin/python3 -m collections_sidecar.grpcurl '
                '-max-time 3 --stream-until-deadline "$@"\n' % stage)
    ctl = os.path.join(bindir, "collectionsctl")
    with open(ctl, "w") as f:
        f.write('#!/bin/sh\nexec "%s" --server="$DOCS_TEST_SERVER" "$@"\n'
                % os.path.join(build, "service", "cli", "collectionsctl"))
    for p in (grpcurl, ctl):
        os.chmod(p, 0o755)


def start_daemon(repo, build, tmp):
    sys.path.insert(0, os.path.join(repo, "tests", "pylib"))
    from live_server import Daemon
    store = os.path.join(tempfile.mkdtemp(dir=tmp), "ledger.db")
    daemon = Daemon(os.path.join(build, "service", "server", "collectionsd"),
                    ["--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0", "--store=sqlite:" + store])
    serving = next(json.loads(l) for l in daemon.log if '"msg":"serving"' in l)
    daemon.http_target = "127.0.0.1:%d" % serving["http_port"]
    return daemon


def run(repo, build, stage):
    tmp = tempfile.mkdtemp(prefix="collections-docs-")
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    write_shims(bindir, build, stage)
    venv = os.path.join(tmp, "venv")
    os.makedirs(os.path.join(venv, "bin"))
    for name in ("python", "python3"):
        os.symlink("/usr/bin/python3", os.path.join(venv, "bin", name))
    tools = [os.path.join(build, d) for d in ("service/server", "connectors")]
    tools += sorted(glob.glob(os.path.join(build, "connectors", "*")))
    passed, failed, skipped = [], [], []
    try:
        for doc in documents(repo):
            examples = extract(os.path.join(repo, doc), doc)
            runnable = [e for e in examples if e.skip is None]
            skipped += [e for e in examples if e.skip is not None]
            if not runnable:
                continue
            daemon = start_daemon(repo, build, tmp)
            try:
                env = dict(os.environ, PATH=os.pathsep.join([bindir] + tools + [os.environ["PATH"]]),
                           PYTHONPATH=stage, HOME=tmp, DOCS_TEST_SERVER=daemon.target,
                           COLLECTIONS_TENANT="acme",
                           COLLECTIONS_TOKEN=os.environ.get("COLLECTIONS_TOKEN", "unused"))
                for e in runnable:
                    script = prepare(e.text, daemon.target, daemon.http_target, venv, build)
                    try:
                        r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=repo,
                                           env=env, capture_output=True, text=True, timeout=60)
                    except subprocess.TimeoutExpired as t:
                        r = subprocess.CompletedProcess(t.cmd, 124, str(t.stdout or ""),
                                                        "timed out after 60 s")
                    if r.returncode == 0:
                        passed.append(e)
                        print("PASS %s" % e.where(), flush=True)
                    else:
                        failed.append(e)
                        print("FAIL %s (exit %d)\n--- script\n%s\n--- stdout\n%s--- stderr\n%s"
                              % (e.where(), r.returncode, script, r.stdout[-4000:],
                                 r.stderr[-4000:]), flush=True)
            finally:
                daemon.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in skipped:
        print("SKIP %s (%s)" % (e.where(), e.skip))
    if not passed:
        print("no example ran: the extractor found nothing")
        failed.append(None)
    print("%d passed, %d failed, %d skipped" % (len(passed), len(failed), len(skipped)))
    return 0 if not failed else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repo", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--stage", required=True)
    a = p.parse_args()
    return run(os.path.abspath(a.repo), os.path.abspath(a.build), os.path.abspath(a.stage))


if __name__ == "__main__":
    sys.exit(main())
