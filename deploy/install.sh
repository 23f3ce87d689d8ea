#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12's packages.
# Idempotent: a no-op (no apt-get at all) when everything is present.
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
  libssl-dev openssl systemd
  libcpp-httplib-dev libcurl4-openssl-dev python3-aiosmtpd
  golang-github-gogo-googleapis-dev
  hledger ledger beancount
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install.sh: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
