#!/usr/bin/python3
"""Runs the command lines of deploy/ as they are written, on this machine.

No container runtime or cluster is available here, so each command is taken
from its manifest and run against a local collectionsd, with every volume it
mounts replaced by a temporary folder; a volume mounted readOnly becomes a
read-only bind mount (as root, in a private mount namespace: writes fail with
"Read-only file system", as on a readOnly Kubernetes volume), or a folder
without write permission when not root.

  * Kubernetes (deploy/k8s/*.yaml): every container of a Deployment or
    CronJob that runs one of our binaries (connectors, collectionsctl), with
    its args, env (secrets become a test token) and mounts (not the courier,
    which delivers to SMTP: tests/courier runs it). A watch-mode
    connector gets --once --settle=0 so that it returns.
  * systemd (deploy/systemd): collections-connector@, -once@ and
    collections-collect, their ExecStart with the specifiers (%i %S %d) and
    the example environment files; ProtectSystem=strict makes the watched
    folder read-only, so it is read-only here too.
  * Docker: collectionsd with the image's flag file (listens beyond loopback
    with TLS, a self-signed certificate made with openssl), and the
    Dockerfile's HEALTHCHECK command against it, which must answer SERVING.

The server's address replaces the one in the manifests, and TLS settings of
clients are dropped (the local server is plaintext on loopback). Each run must
exit 0, the input folder must be unchanged, and the ledger must have the
synced customers.

  manifest_commands_test.py <build dir> <source dir>
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

BUILD, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
BIN = {
    "collectionsd": os.path.join(BUILD, "service/server/collectionsd"),
    "collectionsctl": os.path.join(BUILD, "service/cli/collectionsctl"),
}
CONNECTOR = re.compile(r"collections-([a-z0-9]+)$")
TOKEN = "test-token"
failures = []


def binary(path):
    name = os.path.basename(path)
    if name in BIN:
        return BIN[name]
    m = CONNECTOR.match(name)
    if m:
        return os.path.join(BUILD, "connectors", m.group(1), name)
    return None


def fail(what, msg):
    failures.append("%s: %s" % (what, msg))
    print("FAIL: %s: %s" % (what, msg))


def read_only_run(argv, env, ro_dirs, timeout=120):
    """Runs argv with `ro_dirs` read-only; returns the CompletedProcess."""
    if os.geteuid() == 0:
        script = "".join('mount --bind "%s" "%s" && mount -o remount,bind,ro "%s" && ' % (d, d, d)
                         for d in ro_dirs) + 'exec "$@"'
        cmd = ["unshare", "-m", "sh", "-c", script, "sh"] + argv
    else:
        for d in ro_dirs:
            os.chmod(d, 0o555)
        cmd = argv
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def snapshot(d):
    return sorted((os.path.relpath(os.path.join(r, f), d), os.path.getsize(os.path.join(r, f)))
                  for r, _, fs in os.walk(d) for f in fs)


class Server:
    def __init__(self, work):
        self.log = open(os.path.join(work, "collectionsd.log"), "w+")
        self.proc = subprocess.Popen(
            [BIN["collectionsd"], "--listen=127.0.0.1:0",
             "--store=sqlite:" + os.path.join(work, "ledger.db"), "--log_requests=false"],
            stderr=self.log)
        self.addr = wait_serving(self.proc, self.log)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def wait_serving(proc, log):
    for _ in range(300):
        log.seek(0)
        for line in log:
            if '"msg":"serving"' in line:
                return json.loads(line)["listen"]
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit("collectionsd exited: " + log.read())
        time.sleep(0.1)
    raise SystemExit("collectionsd did not start")


def customers(addr, tenant):
    out = subprocess.run([BIN["collectionsctl"], "--server=" + addr, "--tenant=" + tenant, "--json",
                          "customers", "list"], capture_output=True, text=True, check=True)
    return len(out.stdout.splitlines())


def make_export(folder, names):
    os.makedirs(folder, exist_ok=True)
    gen = tempfile.mkdtemp()
    subprocess.run([sys.executable, os.path.join(ROOT, "deploy/demo/make_demo_exports.py"), gen],
                   check=True, capture_output=True)
    for n in names:
        shutil.copy(os.path.join(gen, "quickbooks-demo.iif"), os.path.join(folder, n))
    shutil.rmtree(gen)


def base_env(addr):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COLLECTIONS_") and k != "NO_COLOR"}
    env["COLLECTIONS_SERVER"] = addr
    return env


def check_result(what, res, input_dirs_before):
    if res.returncode != 0:
        fail(what, "exit %d\nstdout: %s\nstderr: %s" % (res.returncode, res.stdout[-2000:],
                                                         res.stderr[-2000:]))
    for d, before in input_dirs_before.items():
        if snapshot(d) != before:
            fail(what, "the read-only input %s changed" % d)


# ------------------------------------------------------------------ Kubernetes

def k8s_containers():
    for path in sorted(os.listdir(os.path.join(ROOT, "deploy/k8s"))):
        if not path.endswith(".yaml"):
            continue
        for doc in yaml.safe_load_all(open(os.path.join(ROOT, "deploy/k8s", path))):
            if not doc or doc.get("kind") not in ("Deployment", "CronJob"):
                continue
            spec = doc["spec"]
            if doc["kind"] == "CronJob":
                spec = spec["jobTemplate"]["spec"]
            pod = spec["template"]["spec"]
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            for c in pod["containers"]:
                cmd = c.get("command") or []
                # The courier delivers to SMTP and webhooks: its own end-to-end
                # tests run it (tests/courier).
                if cmd and binary(cmd[0]) and not cmd[0].endswith("collections-courier"):
                    yield "%s/%s" % (path, c["name"]), c, volumes


def run_k8s(work, addr):
    ran = 0
    for what, c, volumes in k8s_containers():
        sandbox = tempfile.mkdtemp(dir=work)
        mounts, ro = {}, []
        for m in c.get("volumeMounts", []):
            host = os.path.join(sandbox, m["mountPath"].lstrip("/"))
            os.makedirs(host, exist_ok=True)
            mounts[m["mountPath"]] = host
            vol = volumes[m["name"]]
            if "secret" in vol:
                for item in vol["secret"].get("items", [{"path": "token"}]):
                    with open(os.path.join(host, item["path"]), "w") as f:
                        f.write(TOKEN + "\n")
            if m["mountPath"] == "/exports":
                make_export(host, ["receivables.iif"])
            if m.get("readOnly") or vol.get("persistentVolumeClaim", {}).get("readOnly"):
                ro.append(host)

        def local(text):
            for mount in sorted(mounts, key=len, reverse=True):
                text = re.sub(r"(^|=)" + re.escape(mount) + r"(?=/|$)",
                              lambda mo: mo.group(1) + mounts[mount], text)
            return text

        args = [local(a) for a in c.get("args", [])]
        args = ["--server=" + addr if a.startswith("--server=") else a for a in args]
        if any(a.startswith("--watch=") for a in args):
            args += ["--once", "--settle=0"]
        env = base_env(addr)
        for e in c.get("env", []):
            if e["name"].startswith("COLLECTIONS_TLS_") or e["name"] == "COLLECTIONS_SERVER":
                continue
            env[e["name"]] = local(e["value"]) if "value" in e else TOKEN
        argv = [binary(c["command"][0])] + args
        before = {d: snapshot(d) for d in ro}
        # The sandbox is real: a write to a read-only input fails.
        for d in ro:
            probe = read_only_run(["touch", os.path.join(d, "probe")], env, [d])
            if probe.returncode == 0:
                fail(what, "%s is writable in the sandbox" % d)
        res = read_only_run(argv, env, ro)
        print("k8s %s: %s -> exit %d" % (what, " ".join(shlex.quote(a) for a in argv),
                                         res.returncode))
        check_result(what, res, before)
        ran += 1
    return ran


# --------------------------------------------------------------------- systemd

def unit_exec(path):
    for line in open(path):
        if line.startswith("ExecStart="):
            return line[len("ExecStart="):].strip()
    raise SystemExit("%s has no ExecStart" % path)


def unit_env_file(path):
    for line in open(path):
        if line.startswith("EnvironmentFile="):
            return line.split("=", 1)[1].strip()
    return None


def run_systemd(work, addr):
    systemd = os.path.join(ROOT, "deploy/systemd")
    examples = {"connector": "connector.env.example", "collect": "collect.env.example"}
    ran = 0
    for unit in ("collections-connector@.service", "collections-connector-once@.service",
                 "collections-collect.service"):
        sandbox = tempfile.mkdtemp(dir=work)
        state = os.path.join(sandbox, "var/lib")
        creds = os.path.join(sandbox, "run/credentials")
        os.makedirs(state)
        os.makedirs(creds)
        with open(os.path.join(creds, "token"), "w") as f:
            f.write(TOKEN + "\n")
        env = base_env(addr)
        example = examples["collect" if unit.startswith("collections-collect") else "connector"]
        for line in open(os.path.join(systemd, example)):
            line = line.strip()
            if line and not line.startswith("#"):
                k, v = line.split("=", 1)
                env[k] = v
        env["COLLECTIONS_SERVER"] = addr
        ro = []
        if "WATCH_DIR" in env:
            env["WATCH_DIR"] = os.path.join(sandbox, env["WATCH_DIR"].lstrip("/"))
            make_export(env["WATCH_DIR"], ["export.iif"])
            ro.append(env["WATCH_DIR"])
        line = unit_exec(os.path.join(systemd, unit))
        line = line.replace("%i", "iif").replace("%S", state).replace("%d", creds)
        line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
        argv = shlex.split(line)
        argv[0] = binary(argv[0])
        if unit == "collections-connector@.service":
            argv += ["--once", "--settle=0"]  # the watching service runs until stopped
        before = {d: snapshot(d) for d in ro}
        res = read_only_run(argv, env, ro)
        print("systemd %s: %s -> exit %d" % (unit, " ".join(shlex.quote(a) for a in argv),
                                             res.returncode))
        check_result(unit, res, before)
        if "WATCH_DIR" in env and res.returncode == 0:
            done = os.path.join(state, "collections-connector-iif/work/done")
            if not os.path.exists(os.path.join(done, "export.iif")):
                fail(unit, "export.iif did not reach %s" % done)
            again = read_only_run(argv, env, ro)  # the same file is not taken twice
            if again.returncode != 0 or os.path.exists(os.path.join(done, "export.iif.1")):
                fail(unit, "a second pass took export.iif again: %s" % again.stderr[-500:])
        ran += 1
    return ran


# ---------------------------------------------------------------------- Docker

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthcheck_argv():
    """The exec-form CMD of the Dockerfile's HEALTHCHECK."""
    text = open(os.path.join(ROOT, "deploy/Dockerfile")).read().replace("\\\n", " ")
    m = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*?\])\s*$", text, re.M)
    if not m:
        fail("Dockerfile HEALTHCHECK", "no exec-form HEALTHCHECK CMD")
        return None
    return json.loads(m.group(1))


def run_healthcheck(ports):
    """Runs the HEALTHCHECK inside "the container": the manifest's loopback
    addresses mapped to the ports the local collectionsd bound."""
    argv = healthcheck_argv()
    if argv is None:
        return
    argv = [BIN.get(os.path.basename(argv[0]), argv[0])] + [
        re.sub(r"127\.0\.0\.1:(\d+)", lambda m: "127.0.0.1:%d" % ports.get(m.group(1), 1), a)
        for a in argv[1:]]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if res.returncode != 0 or res.stdout.strip() != "SERVING":
        fail("Dockerfile HEALTHCHECK", "%s exited %d: %s%s"
             % (" ".join(argv), res.returncode, res.stdout, res.stderr[-500:]))
    else:
        print("docker HEALTHCHECK: %s -> SERVING" % " ".join(argv))


def run_docker(work):
    sandbox = tempfile.mkdtemp(dir=work)
    data = os.path.join(sandbox, "var/lib/collections")
    tls = os.path.join(sandbox, "etc/collections/tls")
    os.makedirs(data)
    os.makedirs(tls)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", os.path.join(tls, "tls.key"), "-out", os.path.join(tls, "tls.crt")],
                   check=True, capture_output=True)
    flags = open(os.path.join(ROOT, "deploy/docker/collectionsd.flags")).read()
    flags = flags.replace("/var/lib/collections", data).replace("/etc/collections/tls", tls)
    flags = flags.replace("--listen=0.0.0.0:50051", "--listen=0.0.0.0:0")
    local_port = free_port()
    flags = flags.replace("--local_listen=127.0.0.1:50052", "--local_listen=127.0.0.1:%d" % local_port)
    flags = flags.replace("--http_listen=127.0.0.1:9464", "--http_listen=127.0.0.1:0")
    flagfile = os.path.join(sandbox, "collectionsd.flags")
    with open(flagfile, "w") as f:
        f.write(flags)
    log = open(os.path.join(sandbox, "collectionsd.log"), "w+")
    proc = subprocess.Popen([BIN["collectionsd"], "--flagfile=" + flagfile], stderr=log)
    try:
        addr = wait_serving(proc, log)
        if not addr.startswith("0.0.0.0:"):
            fail("Dockerfile CMD", "serves on %s, not beyond loopback" % addr)
        log.seek(0)
        serving = next(json.loads(l) for l in log if '"msg":"serving"' in l)
        if serving.get("tls") is not True or serving.get("auth") != "tokens":
            fail("Dockerfile CMD", "serving without TLS and tokens: %s" % serving)
        print("docker CMD: collectionsd --flagfile=deploy/docker/collectionsd.flags -> %s" % addr)
        run_healthcheck({"50051": int(addr.rsplit(":", 1)[1]), "50052": local_port})
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    work = tempfile.mkdtemp(prefix="manifest-commands-")
    os.chmod(work, 0o755)
    server = Server(work)
    try:
        k8s = run_k8s(work, server.addr)
        units = run_systemd(work, server.addr)
        if k8s < 3 or units < 3:
            fail("coverage", "ran %d Kubernetes and %d systemd commands" % (k8s, units))
        if customers(server.addr, "acme") == 0:
            fail("ledger", "no customer of acme after the syncs")
    finally:
        server.stop()
    run_docker(work)
    shutil.rmtree(work, ignore_errors=True)
    print("FAIL" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
