#!/bin/sh
# Checks deploy/systemd/collectionsd.service with systemd-analyze:
#   * `verify` must pass with no output at all (an unknown or misspelt
#     directive is only a warning there, so any output fails the test);
#   * `security --offline` must rate the sandbox at exposure 2.0 or better.
# ExecStart points at the freshly built collectionsd, since verify checks
# that the program exists.
#
#   systemd_verify_test.sh <unit file> <collectionsd binary>
# Exit 77 (ctest skip) when systemd-analyze is missing outside CI.
set -eu
unit="$1"
binary="$2"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then echo "FAIL: systemd-analyze missing (apt-get install systemd)"; exit 1; fi
  echo "SKIP: systemd-analyze missing; apt-get install systemd to run this check"
  exit 77
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/collectionsd|$binary|" "$unit" > "$dir/collectionsd.service"
out="$(systemd-analyze verify "$dir/collectionsd.service" 2>&1)" || {
  echo "FAIL: systemd-analyze verify:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "FAIL: systemd-analyze verify warns:"; echo "$out"; exit 1; fi
systemd-analyze security --offline=true --threshold=20 "$dir/collectionsd.service" > "$dir/security.txt" 2>&1 || {
  echo "FAIL: exposure above 2.0:"; tail -3 "$dir/security.txt"; exit 1; }
tail -1 "$dir/security.txt"
echo "PASS"
