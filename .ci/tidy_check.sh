#!/usr/bin/env bash
# Runs clang-tidy (Debian 12's clang-tidy 14, the checks of .clang-tidy, every
# finding an error) over the C++ sources of the tree that a build's
# compile_commands.json compiles.
#
#   .ci/tidy_check.sh [BUILD_DIR [PATH_REGEX]]
#
# BUILD_DIR defaults to build. PATH_REGEX (extended regex on the source's
# path in the repository) chooses the files; CI passes none, which means
# TIDY_SCOPE below: the folders the tree is known to pass. Widen it one
# folder at a time, fixing or deliberately narrowing what the new folder
# reports (see CONTRIBUTING.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
TIDY_SCOPE='^service/domain/'
SCOPE=${2:-$TIDY_SCOPE}
JOBS=${JOBS:-$(nproc)}
command -v clang-tidy >/dev/null || { echo "tidy_check: clang-tidy not found (deploy/install.sh)" >&2; exit 2; }
[ -f "$BUILD/compile_commands.json" ] || { echo "tidy_check: no $BUILD/compile_commands.json (configure a build first)" >&2; exit 2; }

# The sources compile_commands.json knows, as paths relative to the root.
mapfile -t files < <(python3 - "$BUILD/compile_commands.json" "$ROOT" "$SCOPE" <<'PY'
import json, os, re, sys
db, root, scope = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
seen = set()
for entry in json.load(open(db)):
    path = os.path.relpath(os.path.join(entry["directory"], entry["file"]), root)
    if path.startswith("..") or path in seen or not scope.search(path):
        continue
    seen.add(path)
    print(path)
PY
)
if [ ${#files[@]} -eq 0 ]; then echo "tidy_check: no files match $SCOPE" >&2; exit 2; fi
cd "$ROOT"
status=0
out=$(printf '%s\n' "${files[@]}" | xargs -P "$JOBS" -n 4 clang-tidy -p "$BUILD" --quiet 2>&1) ||
  status=$?
if [ "$status" -ne 0 ] || grep -qE '(warning|error): ' <<<"$out"; then
  grep -E '(warning|error): ' <<<"$out" || printf '%s\n' "$out" | tail -20
  echo "tidy_check: findings above (${#files[@]} files in $SCOPE)" >&2
  exit 1
fi
echo "tidy_check: ${#files[@]} files in $SCOPE clean"
