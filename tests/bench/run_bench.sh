#!/usr/bin/env bash
# The benchmark of issue 9 in one command: builds Release, generates the
# ledger from a seed, starts collectionsd and the no-op gRPC server on
# 127.0.0.1, runs every scenario with warm-up and repetitions next to its
# floor measured in the same run, and writes bench-report.md and
# bench-report.json (medians, min-max spreads, ratios, targets).
#
#   tests/bench/run_bench.sh                 # full run (100k customers, 1M invoices, >=500 MB files)
#   tests/bench/run_bench.sh --smoke         # tiny sizes, seconds (what ctest bench_smoke runs)
#
# Options: --out DIR (default ./bench-out), --build-dir DIR (default
# build-bench), --no-build (use the binaries already in --build-dir).
# Sizes can be overridden with BENCH_CUSTOMERS, BENCH_INVOICES, BENCH_REPS,
# BENCH_DURATION, BENCH_WARMUP, BENCH_CHANNELS, BENCH_INFLIGHT,
# BENCH_CONNECTOR_MB, BENCH_SEED, BENCH_LOG_REQUESTS (true|false), and the
# repetitions of the long scenarios: BENCH_INGEST_REPS (ingest and its floor)
# and BENCH_SLOW_REPS (RunCollections, calls that take seconds each).
# BENCH_SLOW_TIMEOUT (seconds, default 900) bounds RunCollections and the
# first GetRecommendation: past it the figure is reported as "more than" and
# collectionsd is restarted so the abandoned work does not load later runs.
# BENCH_REUSE_DB=<ledger.db> skips (b) and measures the other scenarios on a
# database an earlier run ingested (same seed and sizes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$PWD/bench-out
BUILD=$ROOT/build-bench
BUILD_FIRST=1
SMOKE=0
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift ;;
    --no-build) BUILD_FIRST=0 ;;
    *) echo "run_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $SMOKE == 1 ]]; then
  CUSTOMERS=${BENCH_CUSTOMERS:-100}; INVOICES=${BENCH_INVOICES:-1000}
  REPS=${BENCH_REPS:-1}; DURATION=${BENCH_DURATION:-1}; WARMUP=${BENCH_WARMUP:-0.3}
  CONNECTOR_MB=${BENCH_CONNECTOR_MB:-1}
else
  CUSTOMERS=${BENCH_CUSTOMERS:-100000}; INVOICES=${BENCH_INVOICES:-1000000}
  REPS=${BENCH_REPS:-3}; DURATION=${BENCH_DURATION:-10}; WARMUP=${BENCH_WARMUP:-2}
  CONNECTOR_MB=${BENCH_CONNECTOR_MB:-500}
fi
CHANNELS=${BENCH_CHANNELS:-2}; INFLIGHT=${BENCH_INFLIGHT:-8}; SEED=${BENCH_SEED:-42}
LOG_REQUESTS=${BENCH_LOG_REQUESTS:-true}
INGEST_REPS=${BENCH_INGEST_REPS:-$REPS}; SLOW_REPS=${BENCH_SLOW_REPS:-$REPS}
SLOW_TIMEOUT=${BENCH_SLOW_TIMEOUT:-900}
AS_OF=2026-06-30

mkdir -p "$OUT"
WORK=$OUT/work
rm -rf "$WORK"
mkdir -p "$WORK"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }

# ------------------------------------------------------------------ build
if [[ $BUILD_FIRST == 1 ]]; then
  log "building Release in $BUILD"
  export CCACHE_BASEDIR=$ROOT
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release > "$WORK/cmake.log"
  targets=(collectionsd bench_tool bench_noop_server)
  # Connector executables and file generators, when this checkout has them.
  while read -r t; do targets+=("$t"); done < <(
    ninja -C "$BUILD" -t targets all 2>/dev/null |
      sed -n 's/^\(collections-[a-z0-9-]*\): phony$/\1/p' | sort -u)
  ninja -C "$BUILD" "${targets[@]}" > "$WORK/ninja.log" || { tail -30 "$WORK/ninja.log" >&2; exit 1; }
fi
find_bin() { find "$BUILD" -type f -perm -u+x -name "$1" -not -path '*/CMakeFiles/*' | head -1; }
COLLECTIONSD=$(find_bin collectionsd)
TOOL=$(find_bin bench_tool)
NOOP=$(find_bin bench_noop_server)
for b in "$COLLECTIONSD" "$TOOL" "$NOOP"; do
  [[ -n "$b" ]] || { echo "run_bench.sh: missing binaries in $BUILD (build first)" >&2; exit 1; }
done
COMMON=(--customers="$CUSTOMERS" --invoices="$INVOICES" --seed="$SEED" --as_of="$AS_OF")

# --------------------------------------------------------------- processes
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

SERVER_PID=""; SERVER_PORT=""
start_collectionsd() {  # $1 = database file, $2 = log file
  "$COLLECTIONSD" --listen=127.0.0.1:0 --store="sqlite:$1" --log_requests="$LOG_REQUESTS" \
    2> "$2" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 300); do
    SERVER_PORT=$(sed -n 's/.*"msg":"serving","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$2" | head -1)
    [[ -n "$SERVER_PORT" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "run_bench.sh: collectionsd did not start:" >&2; cat "$2" >&2; exit 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
rss_line() {  # $1 = pid, $2 = label
  local hwm rss
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$1/status")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status")
  echo "{\"kind\":\"rss\",\"label\":\"$2\",\"vmhwm_kb\":$hwm,\"vmrss_kb\":$rss}" >> "$RESULTS"
}
tool() { "$TOOL" "$@" | tee -a "$RESULTS" >&2; }

echo "{\"kind\":\"machine\",\"nproc\":$(nproc),\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\",\"mem_kb\":$(awk '/MemTotal/ {print $2}' /proc/meminfo),\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"started\":\"$(date -u +%FT%TZ)\",\"git\":\"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\"}" >> "$RESULTS"
echo "{\"kind\":\"params\",\"smoke\":$SMOKE,\"customers\":$CUSTOMERS,\"invoices\":$INVOICES,\"reps\":$REPS,\"duration_s\":$DURATION,\"warmup_s\":$WARMUP,\"channels\":$CHANNELS,\"inflight\":$INFLIGHT,\"connector_mb\":$CONNECTOR_MB,\"seed\":$SEED,\"ingest_reps\":$INGEST_REPS,\"slow_reps\":$SLOW_REPS,\"log_requests\":$LOG_REQUESTS,\"as_of\":\"$AS_OF\",\"command\":\"tests/bench/run_bench.sh ${ARGS[*]:-}\"}" >> "$RESULTS"

# ---------------------------------------- (b) ingest, and (e) memory after it
if [[ -n "${BENCH_REUSE_DB:-}" ]]; then
  log "b: skipped, reusing $BENCH_REUSE_DB"
  echo "{\"kind\":\"note\",\"text\":\"(b) not run: database reused from an earlier run\"}" >> "$RESULTS"
  INGEST_REPS=0
  start_collectionsd "$BENCH_REUSE_DB" "$WORK/collectionsd-reuse.log"
fi
for rep in $(seq 1 "$INGEST_REPS"); do
  log "b: raw SQLite insert floor, rep $rep"
  tool raw-insert "${COMMON[@]}" --db="$WORK/floor.db" --label=b.floor
  rm -f "$WORK"/floor.db*
  log "b: SyncLedger ingest of $INVOICES invoices, rep $rep"
  rm -f "$WORK"/ledger.db*
  start_collectionsd "$WORK/ledger.db" "$WORK/collectionsd-$rep.log"
  tool ingest "${COMMON[@]}" --target="127.0.0.1:$SERVER_PORT" --label="b.service"
  rss_line "$SERVER_PID" e.after_ingest
  if [[ $rep -lt $INGEST_REPS ]]; then stop_pid "$SERVER_PID"; fi
done
DB=${BENCH_REUSE_DB:-$WORK/ledger.db}
TARGET=127.0.0.1:$SERVER_PORT

# ------------------------------------------------ (c) aging, RunCollections
log "c: GetAgingReport and RunCollections"
tool aging-rpc "${COMMON[@]}" --target="$TARGET" --reps="$REPS" --label=c.service
restart_collectionsd() {
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  start_collectionsd "$DB" "$WORK/collectionsd-restart-$RANDOM.log"
  TARGET=127.0.0.1:$SERVER_PORT
}
if ! timeout "$SLOW_TIMEOUT" "$TOOL" run-collections "${COMMON[@]}" --target="$TARGET" \
       --reps="$SLOW_REPS" --label=c.service | tee -a "$RESULTS" >&2; then
  echo "{\"kind\":\"run_collections\",\"available\":true,\"timed_out\":true,\"s\":$SLOW_TIMEOUT,\"label\":\"c.service\"}" >> "$RESULTS"
  restart_collectionsd
fi
log "c: plain SQL aging floor"
tool sql-aging "${COMMON[@]}" --db="$DB" --reps="$REPS" --label=c.floor

# ------------------------------------------- (a) unary reads vs the no-op floor
"$TOOL" dump "${COMMON[@]}" --target="$TARGET" --method=summary --out="$WORK/summary.bin" >> "$RESULTS"
METHODS=(summary)
NOOP_ARGS=(--summary_response="$WORK/summary.bin")
timeout "$SLOW_TIMEOUT" "$TOOL" dump "${COMMON[@]}" --target="$TARGET" --method=recommendation \
  --out="$WORK/recommendation.bin" >> "$RESULTS" && rc=0 || rc=$?
if [[ $rc == 0 ]]; then
  METHODS+=(recommendation)
  NOOP_ARGS+=(--recommendation_response="$WORK/recommendation.bin")
elif [[ $rc == 124 ]]; then
  echo "{\"kind\":\"single_call\",\"label\":\"a.service.recommendation.single\",\"timed_out\":true,\"s\":$SLOW_TIMEOUT}" >> "$RESULTS"
  restart_collectionsd
fi
"$NOOP" --listen=127.0.0.1:0 "${NOOP_ARGS[@]}" > "$WORK/noop.log" 2>&1 &
NOOP_PID=$!
PIDS+=("$NOOP_PID")
for _ in $(seq 1 100); do
  NOOP_PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$WORK/noop.log" | head -1)
  [[ -n "$NOOP_PORT" ]] && break
  sleep 0.1
done
[[ -n "${NOOP_PORT:-}" ]] || { echo "run_bench.sh: no-op server did not start" >&2; exit 1; }
LOAD=(load "${COMMON[@]}" --channels="$CHANNELS" --inflight="$INFLIGHT"
      --duration_s="$DURATION" --warmup_s="$WARMUP")
for m in "${METHODS[@]}"; do
  # A method whose single call takes seconds cannot be load-tested in a
  # bounded run: time a few sequential calls instead and say so.
  single=$(grep "\"kind\":\"dump\",\"method\":\"$m\"" "$RESULTS" | sed -n 's/.*"s":\([0-9.]*\).*/\1/p' | tail -1)
  if awk -v s="${single:-0}" 'BEGIN {exit !(s > 0.5)}'; then
    log "a: $m takes ${single}s per call; sequential calls only"
    grep "\"kind\":\"dump\",\"method\":\"$m\"" "$RESULTS" | tail -1 |
      sed 's/"kind":"dump"/"kind":"single_call","label":"a.service.'"$m"'.single"/' >> "$RESULTS"
    for rep in $(seq 2 "$SLOW_REPS"); do
      "$TOOL" dump "${COMMON[@]}" --target="$TARGET" --method="$m" --out="$WORK/$m.bin" |
        sed 's/"kind":"dump"/"kind":"single_call","label":"a.service.'"$m"'.single"/' | tee -a "$RESULTS" >&2
    done
    continue
  fi
  # Peak: closed loop, floor and service alternating so drift hits both.
  for rep in $(seq 1 "$REPS"); do
    log "a: $m closed loop ${CHANNELS}x${INFLIGHT}, rep $rep"
    tool "${LOAD[@]}" --method="$m" --target="127.0.0.1:$NOOP_PORT" --seed=$((SEED + rep)) \
      --label="a.floor.$m.peak"
    tool "${LOAD[@]}" --method="$m" --target="$TARGET" --seed=$((SEED + rep)) \
      --label="a.service.$m.peak"
  done
  # Half of the service's median peak, paced; the floor at the same rate.
  half=$(grep "\"a.service.$m.peak\"" "$RESULTS" | sed -n 's/.*"qps":\([0-9.]*\).*/\1/p' |
         sort -n | awk '{v[NR]=$1} END {m=v[int((NR+1)/2)]; printf "%.1f", (m > 2 ? m : 2) / 2}')
  for rep in $(seq 1 "$REPS"); do
    log "a: $m paced at $half/s (half the service peak), rep $rep"
    tool "${LOAD[@]}" --method="$m" --target="$TARGET" --rate="$half" --inflight=256 \
      --seed=$((SEED + rep)) --label="a.service.$m.half"
    tool "${LOAD[@]}" --method="$m" --target="127.0.0.1:$NOOP_PORT" --rate="$half" \
      --inflight=256 --seed=$((SEED + rep)) --label="a.floor.$m.half"
  done
done
stop_pid "$NOOP_PID"

# ------------------------------------------------ (e) memory holding the ledger
rss_line "$SERVER_PID" e.end
stop_pid "$SERVER_PID"
echo "{\"kind\":\"db_size\",\"bytes\":$(cat "$DB" "$DB-wal" 2>/dev/null | wc -c)}" >> "$RESULTS"

# --------------------------------------------------------- (d) connectors
# A format is benchmarked when its executable and a generator of large files
# exist in this build. Each file is parsed with --dry-run (parse only, no
# server), next to the I/O floor of reading the same file, and once more at
# a quarter of the size to show whether peak RSS depends on the file size.
gen_file() {  # $1 = format, $2 = bytes, $3 = path; returns 1 when no generator
  case "$1" in
    iif)
      local g; g=$(find_bin collections-gen-export)
      [[ -n "$g" ]] || return 1
      "$g" --bytes="$2" --customers=$((CUSTOMERS < 10000 ? CUSTOMERS : 10000)) --seed="$SEED" > "$3" ;;
    *) return 1 ;;
  esac
}
for exe in $(find "$BUILD/connectors" -type f -perm -u+x -name 'collections-*' -not -name 'collections-gen-*' 2>/dev/null | sort); do
  fmt=${exe##*/collections-}
  big=$((CONNECTOR_MB * 1000000))
  if ! gen_file "$fmt" "$big" "$WORK/big.$fmt"; then
    echo "{\"kind\":\"connector\",\"format\":\"$fmt\",\"available\":false,\"reason\":\"no large-file generator for this format\"}" >> "$RESULTS"
    continue
  fi
  gen_file "$fmt" $((big / 4)) "$WORK/small.$fmt"
  echo "{\"kind\":\"connector\",\"format\":\"$fmt\",\"available\":true,\"bytes\":$(stat -c %s "$WORK/big.$fmt"),\"small_bytes\":$(stat -c %s "$WORK/small.$fmt")}" >> "$RESULTS"
  for rep in $(seq 1 "$REPS"); do
    log "d: $fmt parse of $(stat -c %s "$WORK/big.$fmt") bytes, rep $rep"
    tool read-file --file="$WORK/big.$fmt" --label="d.$fmt.floor"
    tool exec --label="d.$fmt.parse" -- "$exe" --file="$WORK/big.$fmt" --dry-run || true
  done
  tool exec --label="d.$fmt.parse_small" -- "$exe" --file="$WORK/small.$fmt" --dry-run || true
  rm -f "$WORK/big.$fmt" "$WORK/small.$fmt"
done

echo "{\"kind\":\"end\",\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"finished\":\"$(date -u +%FT%TZ)\"}" >> "$RESULTS"
python3 "$ROOT/tests/bench/report.py" "$RESULTS" "$OUT/bench-report.md" "$OUT/bench-report.json"
log "wrote $OUT/bench-report.md and $OUT/bench-report.json"
