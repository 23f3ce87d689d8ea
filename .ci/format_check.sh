#!/usr/bin/env bash
# Checks that every C++ and proto file of the tree is laid out as .clang-format
# says (Debian 12's clang-format 14). Prints the files that differ and exits 1;
# `clang-format -i FILE` fixes one.
#
# .ci/run calls it when FORMAT_CHECK=on, which is its default from the commit
# that reformatted the whole tree (see CONTRIBUTING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format_check: clang-format not found (deploy/install.sh)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.proto')
bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'format_check: not formatted: %s\n' "${bad[@]}" >&2
  echo "format_check: ${#bad[@]} of ${#files[@]} files differ from .clang-format (clang-format -i FILE)" >&2
  exit 1
fi
echo "format_check: ${#files[@]} files formatted"
