#!/usr/bin/env bash
# Builds the connector parser fuzzers (tests/connectors/fuzz) with clang,
# address and undefined-behaviour sanitizers and coverage instrumentation in
# their own build directory, seeds each with the test fixtures, the bad-input
# corpus (tests/connectors/bad_inputs) and the public
# samples, and runs each for a bounded time.
#
#   tests/connectors/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGETs default to "iif xero ubl camt gnucash plaintext mt940 ofx datev cii x12 edifact cash_matching".
# Environment: FUZZ_BUILD_DIR (default <repo>/build-fuzz), SAMPLES_DIR
# (default <repo>/../shared/samples), FUZZ_JOBS (ninja -j, default 2).
# Exit status: 0 when every fuzzer ran its time without finding a crash;
# otherwise the fuzzer's status, with the crashing input left in
# $FUZZ_BUILD_DIR/fuzz-artifacts/<target>/.
set -euo pipefail

# The whole script is one function, parsed before it runs, so that editing
# this file while a long build runs cannot derail it.
main() {

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=(iif xero ubl camt gnucash plaintext mt940 ofx datev cii x12 edifact cash_matching); fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
samples="${SAMPLES_DIR:-$repo/../shared/samples}"
jobs="${FUZZ_JOBS:-2}"

command -v clang++ >/dev/null || { echo "run_fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S "$repo" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
ninja -C "$build" -j "$jobs" $(printf 'fuzz_%s ' "${targets[@]}")

declare -A seeds=(
  [iif]="$repo/tests/connectors/iif/testdata $repo/tests/connectors/bad_inputs/iif $samples/iif"
  [xero]="$repo/tests/connectors/xero/testdata $repo/tests/connectors/bad_inputs/xero $samples/xero"
  [ubl]="$repo/tests/connectors/ubl/testdata $repo/tests/connectors/bad_inputs/ubl $samples/ubl"
  [camt]="$repo/tests/connectors/camt/testdata $repo/tests/connectors/bad_inputs/camt $samples/camt"
  [gnucash]="$repo/tests/connectors/gnucash/testdata $repo/tests/connectors/bad_inputs/gnucash $samples/gnucash"
  [plaintext]="$repo/tests/connectors/plaintext/testdata $repo/tests/connectors/bad_inputs/plaintext $samples/plaintext"
  [mt940]="$repo/tests/connectors/mt940/testdata $repo/tests/connectors/mt940/testdata/bad $samples/mt940"
  [ofx]="$repo/tests/connectors/ofx/testdata $repo/tests/connectors/ofx/testdata/bad $samples/ofx"
  [datev]="$repo/tests/connectors/datev/testdata $repo/tests/connectors/datev/testdata/bad $samples/datev"
  [cii]="$repo/tests/connectors/cii/testdata $repo/tests/connectors/cii/testdata/bad $samples/cii"
  [x12]="$repo/tests/connectors/x12/testdata $repo/tests/connectors/x12/testdata/bad $samples/x12"
  [edifact]="$repo/tests/connectors/edifact/testdata $repo/tests/connectors/edifact/testdata/bad $samples/edifact"
  [cash_matching]="$repo/tests/connectors/fuzz/seeds/cash_matching"
)

status=0
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  for dir in ${seeds[$t]}; do
    if [ -d "$dir" ]; then cp -n "$dir"/* "$corpus"/ 2>/dev/null || true; fi
  done
  echo "== fuzz_$t for ${seconds}s (corpus $(ls "$corpus" | wc -l) files)"
  if ! "$build/tests/connectors/fuzz/fuzz_$t" "$corpus" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1; then
    echo "fuzz_$t FAILED: reproducer in $artifacts" >&2
    status=1
  fi
done
return "$status"
}

main "$@"
exit $?
