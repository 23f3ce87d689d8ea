#!/usr/bin/env bash
# The whole test suite: installs what is missing (deploy/install.sh), builds
# everything in Release and runs every test with ctest; then every test
# again (SANITIZE_SCOPE), built in Debug with AddressSanitizer and
# UndefinedBehaviorSanitizer in a build directory of its own; then the parser
# fuzzers. PostgreSQL tests start their own throwaway cluster; under CI=true
# they fail instead of skipping, and warnings are errors (COLLECTIONS_WERROR).
#
# Environment: BUILD_DIR (build), JOBS (nproc), SANITIZE (1; 0 skips the
# sanitizer build), SANITIZE_SCOPE (below), ASAN_BUILD_DIR (build-asan),
# FUZZ_SECONDS (15 per target; 0 skips the fuzzers), FUZZ_BUILD_DIR
# (build-fuzz). Each phase prints its wall time, so a CI log shows where its
# 90 minutes go.
set -euo pipefail

phase_start=$SECONDS
phase_done() {
  echo "test.sh: $1 took $((SECONDS - phase_start)) s" >&2
  phase_start=$SECONDS
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}
WERROR=OFF
if [ "${CI:-}" = true ]; then WERROR=ON; fi

bash "$ROOT/deploy/install.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCOLLECTIONS_WERROR="$WERROR" >/dev/null
cmake --build "$BUILD" -j "$JOBS"
phase_done "Release build"
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" --timeout 600
phase_done "Release tests"

# The sanitizer build: Debug turns on ASan and UBSan (CMakeLists.txt), at -O1
# with line tables only, which keeps both the build and the tests fast enough
# for CI while reports still name file and line. Warnings are not errors
# here: GCC's flow-based warnings differ by optimisation level, and the
# Release build above already holds the code to -Werror. Leak checking is
# on: a leak is a finding like any other (tests/lsan_suppressions.txt lists
# the few in system libraries, each with its reason). Left out here, and only
# here:
#  - the benchmark tools (COLLECTIONS_WITH_BENCH=OFF): they would time
#    instrumented binaries, and the Release run above runs their smoke test;
#  - tests labelled asan_skip (each label in tests/ says why);
#  - the connectors' memory-flatness tests (*MemoryFlat, *MemoryStaysFlat):
#    they assert on this process's RSS while streaming 50 MB, and under ASan
#    RSS holds the sanitizer's quarantine of freed blocks and their shadow,
#    so they would measure ASan, not the parser. The parsers themselves run
#    under ASan in their other tests and in the fuzzers.
#
# SANITIZE_SCOPE: "all" (the default: the whole suite), or the folders of
# tests/ whose tests this job builds and runs, to narrow it while working on
# one part (CONTRIBUTING.md, "Under AddressSanitizer").
SANITIZE_SCOPE=${SANITIZE_SCOPE:-all}
if [ "${SANITIZE:-1}" != 0 ]; then
  ASAN_BUILD=${ASAN_BUILD_DIR:-$ROOT/build-asan}
  if [ "$SANITIZE_SCOPE" = all ]; then
    asan_targets=(all) asan_dirs=("$ASAN_BUILD")
  else
    asan_targets=() asan_dirs=()
    for d in $SANITIZE_SCOPE; do asan_targets+=("$d/all"); asan_dirs+=("$ASAN_BUILD/$d"); done
  fi
  cmake -S "$ROOT" -B "$ASAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCOLLECTIONS_WITH_BENCH=OFF >/dev/null
  cmake --build "$ASAN_BUILD" -j "$JOBS" --target "${asan_targets[@]}"
  phase_done "sanitizer build"
  for d in "${asan_dirs[@]}"; do
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan_suppressions.txt:print_suppressions=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
      ctest --test-dir "$d" --output-on-failure -j "$JOBS" --timeout 900 \
        -LE asan_skip -E 'MemoryFlat|MemoryStaysFlat'
  done
  phase_done "sanitizer tests"
fi

# The parser fuzzers (libFuzzer, clang with ASan/UBSan, own build dir), each
# for a bounded time: FUZZ_SECONDS per target (0 skips them).
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz} FUZZ_JOBS="$JOBS" \
    bash "$ROOT/tests/connectors/fuzz/run_fuzz.sh" "$FUZZ_SECONDS"
  phase_done "fuzzers"
fi
