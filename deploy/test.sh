#!/usr/bin/env bash
# The whole test suite: installs what is missing (deploy/install.sh), builds
# everything in Release, and runs every test with ctest. PostgreSQL tests start
# their own throwaway cluster; under CI=true they fail instead of skipping.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}

bash "$ROOT/deploy/install.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$JOBS"
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" --timeout 600

# The parser fuzzers (libFuzzer, clang with ASan/UBSan, own build dir), each
# for a bounded time: FUZZ_SECONDS per target (0 skips them).
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz} FUZZ_JOBS="$JOBS" \
    bash "$ROOT/tests/connectors/fuzz/run_fuzz.sh" "$FUZZ_SECONDS"
fi
