#!/bin/sh
# Lists the functions longer than a limit (default 150 lines), longest
# first, as "lines path:line name". Function bodies come from Universal
# Ctags (Debian's universal-ctags), which records where each one ends.
# Usage: tools/long_functions.sh [limit] [paths...]   (default: service connectors tests)
set -eu
limit=${1:-150}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- service connectors tests
# googletest's TEST/TEST_F/TEST_P bodies count as functions too.
ctags -R --languages=C++ --kinds-C++=f --fields=+ne --extras=-F -x \
      -D 'TEST(a,b)=void a##_##b()' -D 'TEST_F(a,b)=void a##_##b()' -D 'TEST_P(a,b)=void a##_##b()' \
      --_xformat='%{end} %{line} %{input} %{name}' "$@" 2>/dev/null |
  awk -v limit="$limit" '$1 != "" && $1 - $2 + 1 > limit { printf "%d %s:%d %s\n", $1 - $2 + 1, $3, $2, $4 }' |
  sort -rn
