#!/usr/bin/env python3
"""The layering of the tree, checked over the #include lines.

Each folder of service/ and connectors/ may include only the folders and the
libraries listed for it in RULES: base sees Abseil and the standard library,
the domain base too, the application layer never sees gRPC, connectors never
see the server's API, app, store or auth code, and so on (docs/style.md
explains the layers). Tests may include anything and are not checked.

An include the script cannot classify is an error too: a new library gets a
category in EXTERNAL before any folder may use it.

    .ci/check_deps.py            # exit 0 when clean, 1 with one line per breach
    .ci/check_deps.py --list     # also print every folder's observed dependencies
    .ci/check_deps.py --links build   # the connectors' link lines in a Ninja build

Includes are not the whole story: a CMake DEPS line can pull a library in
that no include names. --links reads the link command of every connector
executable from a configured Ninja build (no compiling needed) and fails when
it names a library outside CONNECTOR_LINK; ctest runs it
(connector_link_layering_test).

Run by deploy/test.sh under CI; needs only python3 and git.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The C and C++ standard libraries (C headers in both spellings) and POSIX.
STD_HEADERS = set("""
algorithm any array atomic bit bitset cassert cctype cerrno cfloat charconv chrono cinttypes
climits clocale cmath compare concepts condition_variable csignal cstddef cstdint cstdio cstdlib
cstring ctime cwchar cwctype deque exception filesystem fstream functional future
initializer_list iomanip ios iosfwd iostream istream iterator limits list locale map memory
mutex new numeric optional ostream queue random ratio regex set shared_mutex source_location
span sstream stack stdexcept streambuf string string_view system_error thread tuple
type_traits typeinfo unordered_map unordered_set utility variant vector
assert.h ctype.h errno.h limits.h math.h signal.h stddef.h stdint.h stdio.h stdlib.h string.h
time.h wchar.h
""".split())
POSIX_HEADERS = {"unistd.h", "fcntl.h", "poll.h", "iconv.h", "dirent.h", "pwd.h", "grp.h",
                 "netdb.h", "spawn.h", "termios.h"}
POSIX_PREFIXES = ("sys/", "netinet/", "arpa/")

# External libraries by include prefix (angle brackets or quotes).
EXTERNAL = [
    ("absl/", "absl"),
    ("grpcpp/", "grpc"),
    ("grpc/", "grpc"),  # <grpc/...> is gRPC core; "grpc/health/..." is generated, see below
    ("google/protobuf/", "protobuf"),
    ("openssl/", "openssl"),
    ("libxml/", "libxml2"),
    ("qpdf/", "qpdf"),
    ("kainjow/", "mustache"),
    ("curl/", "curl"),
    ("sqlite3.h", "sqlite"),
    ("libpq-fe.h", "libpq"),
    ("zlib.h", "zlib"),
    ("cairo", "cairo"),  # cairo.h, cairo-pdf.h
    ("lcms2.h", "lcms2"),
    ("httplib.h", "httplib"),
    ("gtest/", "gtest"),
    ("gmock/", "gtest"),
]

# Generated code: our API's messages, their gRPC stubs, and the standard
# messages compiled into collections_proto (proto/CMakeLists.txt).
def classify_generated(path):
    if path.endswith(".grpc.pb.h"):
        return "grpc_stubs"
    if path.endswith(".pb.h") and path.startswith(
            ("collections_sidecar/", "google/rpc/", "google/api/", "grpc/health/")):
        return "proto"
    return None


# The connector runtime: the files of connectors/common that speak gRPC
# (the connectors_runtime library of connectors/common/CMakeLists.txt). The
# rest of connectors/common is the parsers' toolkit and must stay free of it.
# Read from that library's SRCS, so that a file added to the runtime is
# checked by the runtime's rule (a hand-kept list had missed run_report.cc,
# which was then checked as part of the toolkit it does not belong to).
def connector_runtime_stems():
    with open(os.path.join(ROOT, "connectors/common/CMakeLists.txt"), encoding="utf-8") as fh:
        m = re.search(r"collections_cc_library\(connectors_runtime\s+SRCS\s+(.*?)\s+DEPS\b",
                      fh.read(), re.S)
    if not m:
        sys.exit("check_deps: no connectors_runtime SRCS in connectors/common/CMakeLists.txt")
    return {os.path.splitext(src)[0] for src in m.group(1).split()}


CONNECTOR_RUNTIME = connector_runtime_stems()

STD = {"std", "posix"}
BASE = {"service/base"}  # money, dates, errors, status macros, names, log lines: Abseil only
PARSER_LIBS = {"libxml2", "zlib", "sqlite", "qpdf", "cairo", "lcms2"}
CONNECTOR_FORMATS = {"connectors/common", "connectors/einvoice"}

# component -> what it may include (besides itself).
RULES = {
    "service/base": STD | {"absl"},
    "service/domain": STD | {"absl", "mustache"} | BASE,  # mustache: header-only text templates
    "service/cmdline": STD | {"absl"},
    "service/pdf": STD | {"absl", "cairo"},
    # Conversions between the generated messages and base's values.
    "service/messages": STD | {"absl", "protobuf", "proto"} | BASE,
    "service/store": STD | {"absl", "sqlite", "libpq"} | BASE | {"service/domain"},
    "service/app": STD | {"absl", "protobuf", "proto", "openssl"} | BASE
                   | {"service/domain", "service/store", "service/messages"},
    "service/auth": STD | {"absl", "protobuf", "proto", "openssl"} | BASE
                    | {"service/domain", "service/store", "service/messages"},
    "service/http": STD | {"absl", "protobuf", "proto"} | BASE
                    | {"service/domain", "service/messages"},  # messages: proto JSON
    # absl::Status <-> grpc::Status, shared by the API edge and every client.
    "service/grpc_status": STD | {"absl", "protobuf", "proto", "grpc"} | BASE,
    "service/api": STD | {"absl", "protobuf", "proto", "grpc", "grpc_stubs"} | BASE
                   | {"service/domain", "service/store", "service/app", "service/auth",
                      "service/grpc_status"},
    "service/dashboard": STD | {"absl", "protobuf", "proto", "openssl"} | BASE
                         | {"service/domain", "service/app", "service/auth", "service/http",
                            "service/pdf"},
    # Signed HTTP payloads (HMAC-SHA256): the courier signs, the server checks.
    "service/signing": STD | {"absl", "openssl"} | BASE,
    # The programs on top: they wire everything together.
    "service/server": None,
    "service/cli": None,
    # Parsers and writers: bytes in, records out; no gRPC, nothing of the server.
    "connectors/common": STD | {"absl", "protobuf", "proto", "libxml2"} | BASE
                         | {"service/domain"},
    "connectors/common:runtime": STD | {"absl", "protobuf", "proto", "grpc", "grpc_stubs",
                                        "openssl"} | BASE
                                | {"service/domain", "service/cmdline", "service/grpc_status",
                                   "service/messages", "connectors/common"},
    "connectors/<format>": STD | {"absl", "protobuf", "proto"} | PARSER_LIBS | BASE
                           | {"service/domain"} | CONNECTOR_FORMATS,
    # The courier is a gRPC client (it follows StreamActions) that renders
    # letters with service/pdf and sends over libcurl.
    "connectors/courier": STD | {"absl", "protobuf", "proto", "grpc", "grpc_stubs", "curl",
                                 "openssl"} | BASE
                          | {"service/domain", "service/pdf", "service/signing",
                             "service/messages", "connectors/common"},
}

# Known breaches, each to be removed by the change that fixes it. Entries are
# (including file, included file). Keep this set exact: an entry that no
# longer matches anything is reported, so a fix cannot leave it behind. It is
# empty: a new breach is fixed (move the helper down), not listed here.
ALLOWED_LEAKS = set()

# What a connector executable may link: its own libraries (connector_*), the
# runtime and the parsers' toolkit, the generated messages and the libraries
# below the server. Never the server's API, app, store or auth libraries.
CONNECTOR_LINK = {"connectors_runtime", "connectors_common", "connectors_gen_export",
                  "collections_proto", "collections_base", "collections_domain",
                  "collections_grpc_status", "collections_messages", "collections_cmdline",
                  "collections_signing", "collections_pdf"}
LIBRARY = re.compile(r"(?:^|/)lib([A-Za-z0-9_]+)\.a$")


def check_links(build_dir):
    """Errors for connector executables that link a library outside CONNECTOR_LINK."""
    def ninja(*args):
        return subprocess.run(["ninja", "-C", build_dir, "-t", *args], check=True,
                              capture_output=True, text=True).stdout
    executables = sorted({line.split(":")[0] for line in ninja("targets", "all").splitlines()
                          if re.match(r"connectors/[^/]+/collections-[a-z0-9-]+:", line)})
    if not executables:
        return [f"{build_dir}: no connector executables found (is it a configured Ninja build?)"]
    errors = []
    for exe in executables:
        link = ninja("commands", exe).strip().splitlines()[-1]
        libs = {m.group(1) for m in map(LIBRARY.search, link.split()) if m}
        for lib in sorted(libs - CONNECTOR_LINK):
            if not lib.startswith("connector_"):
                errors.append(f"{exe} links {lib}, which a connector may not link")
    print(f"check_deps: {len(executables)} connector executables, link lines checked")
    return errors


INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def component_of(path):
    parts = path.split("/")
    if parts[0] == "service" and len(parts) > 2:
        return "service/" + parts[1]
    if parts[0] == "connectors" and len(parts) > 2:
        if parts[1] == "common":
            stem = os.path.splitext(parts[-1])[0]
            return "connectors/common:runtime" if stem in CONNECTOR_RUNTIME else "connectors/common"
        if parts[1] == "courier":
            return "connectors/courier"
        return "connectors/" + parts[1]
    return None


def classify(path):
    """What an included path is: a project folder, generated code or a library."""
    parts = path.split("/")
    if parts[0] in ("service", "connectors") and len(parts) > 2:
        return parts[0] + "/" + parts[1]
    generated = classify_generated(path)
    if generated:
        return generated
    if path in STD_HEADERS:
        return "std"
    if path in POSIX_HEADERS or path.startswith(POSIX_PREFIXES):
        return "posix"
    for prefix, category in EXTERNAL:
        if path.startswith(prefix):
            return category
    return None


def allowed_for(component):
    if component.startswith("connectors/") and component not in RULES:
        return RULES["connectors/<format>"] | {component}
    rule = RULES.get(component, "unknown")
    if rule == "unknown":
        return "unknown"
    if rule is None:
        return None
    own = {component.split(":")[0]}
    return rule | own


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true",
                        help="print every folder's observed dependencies")
    parser.add_argument("--links", metavar="BUILD_DIR",
                        help="check only the connectors' link lines in a Ninja build")
    args = parser.parse_args()

    if args.links:
        errors = check_links(args.links)
        for e in errors:
            print(e, file=sys.stderr)
        return 1 if errors else 0

    files = subprocess.run(["git", "ls-files", "service", "connectors"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    files = [f for f in files if f.endswith((".h", ".cc"))]

    errors = []
    used_leaks = set()
    observed = {}
    for f in files:
        component = component_of(f)
        if component is None:
            continue
        allowed = allowed_for(component)
        if allowed == "unknown":
            errors.append(f"{f}: folder {component} has no rule in .ci/check_deps.py")
            continue
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                included = m.group(2)
                category = classify(included)
                if category is None:
                    errors.append(f"{f}:{lineno}: unclassified include <{included}>: give its "
                                  "library a category in .ci/check_deps.py")
                    continue
                observed.setdefault(component, set()).add(category)
                if allowed is None or category in allowed:
                    continue
                if (f, included) in ALLOWED_LEAKS:
                    used_leaks.add((f, included))
                    continue
                errors.append(f"{f}:{lineno}: {component} may not include {included} "
                              f"({category})")

    for leak in sorted(ALLOWED_LEAKS - used_leaks):
        errors.append(f"ALLOWED_LEAKS entry {leak} matches nothing any more: remove it")

    if args.list:
        for component in sorted(observed):
            print(f"{component}: {' '.join(sorted(observed[component]))}")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"check_deps: {len(errors)} layering error(s)", file=sys.stderr)
        return 1
    print(f"check_deps: {len(files)} files, layering as in docs/style.md "
          f"({len(used_leaks)} known leaks allowed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
