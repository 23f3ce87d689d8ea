#!/usr/bin/python3
"""Offline structural check of the Kubernetes manifests in deploy/k8s.

No Kubernetes schema validator is packaged for Debian 12, so this checks,
with python3-yaml, what a schema check would catch in these files plus the
hardening we promise:
  * every document has apiVersion, kind and metadata.name, and the
    (apiVersion, kind) pair is a stable API of Kubernetes >= 1.27;
  * pod, container, probe and volume keys are known field names (typos fail);
  * every volumeMount names a declared volume, every named probe port is a
    declared container port, container names are unique DNS-1123 labels;
  * Deployment selectors match their template labels, Services select a pod
    template of the same files, CronJob schedules have five fields;
  * every container drops all capabilities, forbids privilege escalation,
    has a read-only root filesystem and resource limits; pods run as non-root.

    check_k8s_manifests.py deploy/k8s/*.yaml
"""

import re
import sys

import yaml

STABLE = {
    ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("batch/v1", "CronJob"),
    ("batch/v1", "Job"), ("networking.k8s.io/v1", "NetworkPolicy"),
}
POD_KEYS = {"containers", "initContainers", "volumes", "securityContext", "restartPolicy",
            "terminationGracePeriodSeconds", "serviceAccountName", "nodeSelector", "affinity",
            "tolerations", "imagePullSecrets", "automountServiceAccountToken", "hostname",
            "priorityClassName", "topologySpreadConstraints", "dnsPolicy"}
CONTAINER_KEYS = {"name", "image", "command", "args", "env", "envFrom", "ports", "volumeMounts",
                  "resources", "securityContext", "livenessProbe", "readinessProbe",
                  "startupProbe", "workingDir", "imagePullPolicy", "lifecycle",
                  "terminationMessagePath", "terminationMessagePolicy", "stdin", "tty"}
PROBE_KEYS = {"httpGet", "tcpSocket", "exec", "grpc", "initialDelaySeconds", "periodSeconds",
              "timeoutSeconds", "successThreshold", "failureThreshold",
              "terminationGracePeriodSeconds"}
VOLUME_SOURCES = {"persistentVolumeClaim", "configMap", "secret", "emptyDir", "projected",
                  "hostPath", "downwardAPI"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

errors = []


def err(where, msg):
    errors.append("%s: %s" % (where, msg))


def check_pod(where, spec, require_hardening=True):
    for k in spec:
        if k not in POD_KEYS:
            err(where, "unknown pod spec field %r" % k)
    volumes = {}
    for v in spec.get("volumes", []):
        srcs = [k for k in v if k != "name"]
        if len(srcs) != 1 or srcs[0] not in VOLUME_SOURCES:
            err(where, "volume %r needs exactly one known source, has %r" % (v.get("name"), srcs))
        volumes[v.get("name")] = v
    psc = spec.get("securityContext", {})
    if require_hardening and psc.get("runAsNonRoot") is not True:
        err(where, "pod securityContext.runAsNonRoot must be true")
    names = set()
    for c in spec.get("containers", []):
        cw = "%s container %s" % (where, c.get("name"))
        for k in c:
            if k not in CONTAINER_KEYS:
                err(cw, "unknown container field %r" % k)
        if not DNS_LABEL.match(str(c.get("name", ""))):
            err(cw, "name must be a DNS-1123 label")
        if c.get("name") in names:
            err(cw, "duplicate container name")
        names.add(c.get("name"))
        if not c.get("image"):
            err(cw, "image is required")
        ports = {p.get("name"): p for p in c.get("ports", []) if p.get("name")}
        for p in c.get("ports", []):
            if not isinstance(p.get("containerPort"), int):
                err(cw, "containerPort must be an integer")
        for m in c.get("volumeMounts", []):
            if m.get("name") not in volumes:
                err(cw, "volumeMount %r names no volume" % m.get("name"))
            if not str(m.get("mountPath", "")).startswith("/"):
                err(cw, "mountPath must be absolute")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            pr = c.get(probe)
            if pr is None:
                continue
            for k in pr:
                if k not in PROBE_KEYS:
                    err(cw, "unknown %s field %r" % (probe, k))
            port = (pr.get("httpGet") or pr.get("tcpSocket") or pr.get("grpc") or {}).get("port")
            if isinstance(port, str) and port not in ports:
                err(cw, "%s port %r is not a declared port" % (probe, port))
        for e in c.get("env", []):
            if "name" not in e or ("value" in e) == ("valueFrom" in e):
                err(cw, "env entries need a name and exactly one of value/valueFrom")
        if c.get("name") == "collectionsd":
            # Readiness through the gRPC health service: a kubelet gRPC probe
            # or `collectionsctl ... health` (its exit code is the answer).
            ready = c.get("readinessProbe") or {}
            command = (ready.get("exec") or {}).get("command") or []
            if "grpc" not in ready and not (command[:1] == ["collectionsctl"]
                                            and command[-1:] == ["health"]):
                err(cw, "readinessProbe must use the gRPC health service "
                        "(grpc: or exec collectionsctl ... health)")
        if require_hardening:
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                err(cw, "securityContext.allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True and c.get("name") != "erp":
                err(cw, "securityContext.readOnlyRootFilesystem must be true")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []) and c.get("name") != "erp":
                err(cw, "securityContext.capabilities.drop must include ALL")
            if c.get("name") != "erp" and not c.get("resources", {}).get("limits"):
                err(cw, "resources.limits are required")
    if not spec.get("containers"):
        err(where, "at least one container is required")


def main(paths):
    docs = []
    for path in paths:
        with open(path) as f:
            for i, d in enumerate(yaml.safe_load_all(f)):
                if d is not None:
                    docs.append(("%s#%d" % (path, i), d))
    pod_labels = []
    for where, d in docs:
        for k in ("apiVersion", "kind"):
            if k not in d:
                err(where, "missing %s" % k)
        if (d.get("apiVersion"), d.get("kind")) not in STABLE:
            err(where, "not a stable API: %s %s" % (d.get("apiVersion"), d.get("kind")))
        name = d.get("metadata", {}).get("name", "")
        if not DNS_LABEL.match(name):
            err(where, "metadata.name %r is not a DNS-1123 label" % name)
        where = "%s (%s %s)" % (where, d.get("kind"), name)
        kind, spec = d.get("kind"), d.get("spec", {})
        if kind == "Deployment":
            tmpl = spec.get("template", {})
            labels = tmpl.get("metadata", {}).get("labels", {})
            sel = spec.get("selector", {}).get("matchLabels", {})
            if not sel or any(labels.get(k) != v for k, v in sel.items()):
                err(where, "selector.matchLabels must match the template labels")
            pod_labels.append(labels)
            check_pod(where, tmpl.get("spec", {}))
        elif kind == "CronJob":
            if len(str(spec.get("schedule", "")).split()) != 5:
                err(where, "schedule must have five fields")
            tmpl = spec.get("jobTemplate", {}).get("spec", {}).get("template", {})
            pod = tmpl.get("spec", {})
            if pod.get("restartPolicy") not in ("OnFailure", "Never"):
                err(where, "a Job's restartPolicy must be OnFailure or Never")
            pod_labels.append(tmpl.get("metadata", {}).get("labels", {}))
            check_pod(where, pod)
        elif kind == "PersistentVolumeClaim":
            if not spec.get("accessModes") or not spec.get("resources", {}).get("requests", {}).get("storage"):
                err(where, "accessModes and resources.requests.storage are required")
        elif kind == "ConfigMap":
            for key, text in d.get("data", {}).items():
                if key.endswith(".flags"):
                    for line in text.splitlines():
                        s = line.strip()
                        if s and not s.startswith("#") and not s.startswith("--"):
                            err(where, "%s: flag lines start with --: %r" % (key, s))
    for where, d in docs:
        if d.get("kind") == "Service":
            sel = d.get("spec", {}).get("selector", {})
            if not any(all(l.get(k) == v for k, v in sel.items()) for l in pod_labels):
                err(where, "Service selector %r matches no pod template here" % sel)
    for e in errors:
        print("FAIL:", e)
    print("checked %d documents in %d files: %s" % (len(docs), len(paths),
                                                    "errors" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
