#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12's packages, then
# builds the dashboard's browser assets with npm (the chart library, from the
# committed package-lock.json) for CMake to embed into collectionsd.
# Idempotent: a no-op (no apt-get, no npm) when everything is present.
# Used by both README commands, .ci/run and deploy/Dockerfile.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgtest-dev libgmock-dev
  libsqlite3-dev sqlite3
  libxml2-dev zlib1g-dev libqpdf-dev libcairo2-dev liblcms2-dev fonts-dejavu-core
  libkainjow-mustache-dev
  libpq-dev postgresql
  python3 python3-grpcio python3-grpc-tools python3-yaml
  golang-github-gogo-googleapis-dev
  python3-protobuf python3-build python3-venv python3-setuptools python3-wheel jq
  libssl-dev openssl systemd
  libcpp-httplib-dev libcurl4-openssl-dev python3-aiosmtpd
  golang-github-gogo-googleapis-dev
  hledger ledger beancount
  clang libclang-rt-14-dev clang-format clang-tidy
  nodejs chromium chromium-driver python3-selenium python3-pil
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Debian's nodejs comes without npm (its own package); some nodejs builds
# bring npm along.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The dashboard's assets: npm ci from the lock file, then the build step
# (service/dashboard/web/build.mjs), again only when the lock file changed.
# Skipped where the sources are not there yet (deploy/Dockerfile's first step).
WEB="$(cd "$(dirname "$0")/.." && pwd)/service/dashboard/web"
if [ -f "$WEB/package-lock.json" ] && { [ ! -f "$WEB/dist/chart.umd.js" ] ||
     [ "$WEB/package-lock.json" -nt "$WEB/dist/chart.umd.js" ]; }; then
  echo "install.sh: building the dashboard's assets (npm ci, npm run build)" >&2
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run --silent build >&2)
fi
