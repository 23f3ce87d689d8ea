#!/usr/bin/env bash
# The benchmark (BENCHMARKS.md) in one command: builds Release, generates the
# ledger from a seed, starts collectionsd and the no-op gRPC server on
# 127.0.0.1, runs every scenario with warm-up and repetitions next to its
# floor measured in the same run, and writes bench-report.md and
# bench-report.json (medians, min-max spreads, ratios, targets).
#
#   tests/bench/run_bench.sh                 # full run (100k customers, 1M invoices, >=500 MB files)
#   tests/bench/run_bench.sh --smoke         # tiny sizes, seconds (what ctest bench_smoke runs)
#   tests/bench/run_bench.sh --scaling [10000,100000,1000000]
#       # per ledger size (invoices; a tenth as many customers) and
#       # per backend (--backends sqlite,postgresql), ingest next to its raw
#       # SQLite floor, then every call with its server CPU per call, both
#       # lists walked and paged at random, RunCollections (dry, first live,
#       # same-day re-run, next day) with its reply size, the aging floor,
#       # GetAccountSummary against the no-op floor, memory after every call
#       # and over 1,000 repeated recovery calls; the report fits each call's
#       # growth exponent over the sizes (log-log least squares).
#
# Options: --out DIR (default ./bench-out), --build-dir DIR (default
# build-bench), --no-build (use the binaries already in --build-dir),
# --backends LIST (scaling: sqlite,postgresql by default; PostgreSQL is a
# throwaway cluster from tests/store/pg_harness, started by bench_tool).
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
SCALING=""
BACKENDS=sqlite,postgresql
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --scaling)
      SCALING=10000,100000,1000000
      if [[ $# -gt 1 && $2 != --* ]]; then SCALING=$2; shift; fi ;;
    --backends) BACKENDS=$2; shift ;;
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
if [[ -n $SCALING && $SMOKE == 0 ]]; then
  # Each size runs its own short load of GetAccountSummary against the floor.
  DURATION=${BENCH_DURATION:-5}; WARMUP=${BENCH_WARMUP:-1}
fi
# Sequential calls per method in the `calls` phase (at least CALLS calls and
# CALLS_MIN_S seconds, at most CALLS_MAX_S), and the repeated recovery calls
# of the memory check (measured after RSS_WARMUP of them: a fresh server's
# caches and allocator arenas fill over the first few thousand calls).
if [[ $SMOKE == 1 ]]; then
  CALLS=${BENCH_CALLS:-5}; CALLS_MIN_S=${BENCH_CALLS_MIN_S:-0}; CALLS_MAX_S=${BENCH_CALLS_MAX_S:-10}
  RSS_CALLS=${BENCH_RSS_CALLS:-100}; RSS_WARMUP=${BENCH_RSS_WARMUP:-100}
else
  CALLS=${BENCH_CALLS:-200}; CALLS_MIN_S=${BENCH_CALLS_MIN_S:-2}; CALLS_MAX_S=${BENCH_CALLS_MAX_S:-60}
  RSS_CALLS=${BENCH_RSS_CALLS:-1000}; RSS_WARMUP=${BENCH_RSS_WARMUP:-10000}
fi
WALK_MAX_S=${BENCH_WALK_MAX_S:-120}
CHANNELS=${BENCH_CHANNELS:-2}; INFLIGHT=${BENCH_INFLIGHT:-8}; SEED=${BENCH_SEED:-42}
LOG_REQUESTS=${BENCH_LOG_REQUESTS:-true}
INGEST_REPS=${BENCH_INGEST_REPS:-$REPS}; SLOW_REPS=${BENCH_SLOW_REPS:-$REPS}
SLOW_TIMEOUT=${BENCH_SLOW_TIMEOUT:-900}
AS_OF=2026-06-30
# collectionsd runs on a fixed clock: RUN_DAY (the day after as_of) for the
# ingest, the reads and the first daily RunCollections, then NEXT_RUN_DAY
# for the next day's run, when only the cases whose step falls due that day
# are due (the reads are as of AS_OF).
RUN_DAY=2026-07-01
NEXT_RUN_DAY=2026-07-02
CLOCK_DAY=$RUN_DAY

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
start_collectionsd() {  # $1 = database file or store URI, $2 = log file
  local store=$1
  [[ $store == *:* ]] || store="sqlite:$store"
  "$COLLECTIONSD" --listen=127.0.0.1:0 --store="$store" --log_requests="$LOG_REQUESTS" \
    --clock="fixed:$CLOCK_DAY" 2> "$2" &
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
# After a call outlived its bound: the abandoned work must not load later
# measurements.
restart_collectionsd() {  # uses STORE
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  start_collectionsd "$STORE" "$WORK/collectionsd-restart-$RANDOM.log"
  TARGET=127.0.0.1:$SERVER_PORT
}
rss_line() {  # $1 = pid, $2 = label
  local hwm rss
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$1/status")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status")
  echo "{\"kind\":\"rss\",\"label\":\"$2\",\"vmhwm_kb\":$hwm,\"vmrss_kb\":$rss}" >> "$RESULTS"
}
start_noop() {  # $@ = response files for bench_noop_server; sets NOOP_PID, NOOP_PORT
  "$NOOP" --listen=127.0.0.1:0 "$@" > "$WORK/noop.log" 2>&1 &
  NOOP_PID=$!
  PIDS+=("$NOOP_PID")
  NOOP_PORT=""
  for _ in $(seq 1 100); do
    NOOP_PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$WORK/noop.log" | head -1)
    [[ -n "$NOOP_PORT" ]] && break
    sleep 0.1
  done
  [[ -n "$NOOP_PORT" ]] || { echo "run_bench.sh: no-op server did not start" >&2; exit 1; }
}
# Every call one at a time with the server's CPU per call; RunCollections
# on RUN_DAY (a dry run, the first live run, the same day again); memory
# after all of them and over repeated recovery calls; then collectionsd is
# restarted on NEXT_RUN_DAY for the next day's run.
calls_phase() {  # $1 = label prefix; uses SERVER_PID, TARGET, COMMON, STORE
  tool calls "${COMMON[@]}" --target="$TARGET" --server_pid="$SERVER_PID" --calls="$CALLS" \
    --min_s="$CALLS_MIN_S" --max_s="$CALLS_MAX_S" --walk_max_s="$WALK_MAX_S" --label="$1"
  run_collections "$1" dry --as_of="$RUN_DAY" --dry_run
  run_collections "$1" first --as_of="$RUN_DAY"
  run_collections "$1" rerun --as_of="$RUN_DAY"
  rss_line "$SERVER_PID" "$1.after_every_call"
  tool rss-repeat "${COMMON[@]}" --target="$TARGET" --server_pid="$SERVER_PID" \
    --calls="$RSS_CALLS" --rss_warmup_calls="$RSS_WARMUP" --label="$1"
  CLOCK_DAY=$NEXT_RUN_DAY
  stop_pid "$SERVER_PID"
  start_collectionsd "$STORE" "$WORK/collectionsd-next-day-$RANDOM.log"
  TARGET=127.0.0.1:$SERVER_PORT
  CLOCK_DAY=$RUN_DAY
  run_collections "$1" next_day --as_of="$NEXT_RUN_DAY"
}
run_collections() {  # $1 = label prefix, $2 = phase, then bench_tool flags
  local label=$1 phase=$2
  shift 2
  if ! timeout "$SLOW_TIMEOUT" "$TOOL" run-collections --target="$TARGET" \
         --server_pid="$SERVER_PID" --label="$label" --phase="$phase" "$@" |
         tee -a "$RESULTS" >&2; then
    echo "{\"kind\":\"run_collections\",\"phase\":\"$phase\",\"available\":true,\"timed_out\":true,\"s\":$SLOW_TIMEOUT,\"label\":\"$label\"}" >> "$RESULTS"
    restart_collectionsd
  fi
}
tool() { "$TOOL" "$@" | tee -a "$RESULTS" >&2; }

echo "{\"kind\":\"machine\",\"nproc\":$(nproc),\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\",\"mem_kb\":$(awk '/MemTotal/ {print $2}' /proc/meminfo),\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"started\":\"$(date -u +%FT%TZ)\",\"git\":\"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\"}" >> "$RESULTS"
echo "{\"kind\":\"params\",\"smoke\":$SMOKE,\"customers\":$CUSTOMERS,\"invoices\":$INVOICES,\"reps\":$REPS,\"duration_s\":$DURATION,\"warmup_s\":$WARMUP,\"channels\":$CHANNELS,\"inflight\":$INFLIGHT,\"connector_mb\":$CONNECTOR_MB,\"seed\":$SEED,\"ingest_reps\":$INGEST_REPS,\"slow_reps\":$SLOW_REPS,\"log_requests\":$LOG_REQUESTS,\"as_of\":\"$AS_OF\",\"command\":\"tests/bench/run_bench.sh ${ARGS[*]:-}\"}" >> "$RESULTS"

# ------------------------------------------------------------ scaling mode
# One point: a fresh ledger of $2 invoices ($2/10 customers) in backend $1.
scaling_point() {
  local backend=$1 invoices=$2 label="s.$1.$2"
  COMMON=(--customers=$(($2 / 10)) --invoices="$2" --seed="$SEED" --as_of="$AS_OF")
  log "$label: raw SQLite insert floor"
  tool raw-insert "${COMMON[@]}" --db="$WORK/floor.db" --label="$label.floor"
  rm -f "$WORK"/floor.db*
  log "$label: raw SQLite insert of the service's write set"
  tool raw-insert "${COMMON[@]}" --db="$WORK/floor.db" --write_set=service \
    --label="$label.floor_write_set"
  rm -f "$WORK"/floor.db*
  local pg_pid=""
  if [[ $backend == postgresql ]]; then
    rm -f "$WORK/pg.uri"
    "$TOOL" pg-server --out="$WORK/pg.uri" 2> "$WORK/pg-$invoices.log" &
    pg_pid=$!
    PIDS+=("$pg_pid")
    for _ in $(seq 1 600); do [[ -s "$WORK/pg.uri" ]] && break; sleep 0.1; done
    [[ -s "$WORK/pg.uri" ]] || { cat "$WORK/pg-$invoices.log" >&2; exit 1; }
    STORE=$(cat "$WORK/pg.uri")
  else
    rm -f "$WORK"/ledger.db*
    STORE=$WORK/ledger.db
  fi
  start_collectionsd "$STORE" "$WORK/collectionsd-$label.log"
  TARGET=127.0.0.1:$SERVER_PORT
  log "$label: SyncLedger ingest"
  tool ingest "${COMMON[@]}" --target="$TARGET" --server_pid="$SERVER_PID" --label="$label"
  rss_line "$SERVER_PID" "$label.after_ingest"
  log "$label: every call"
  calls_phase "$label"
  if [[ $backend == sqlite ]]; then
    log "$label: plain SQL aging floor"
    tool sql-aging "${COMMON[@]}" --db="$STORE" --reps="$REPS" --label="$label.floor"
    tool sql-summary "${COMMON[@]}" --db="$STORE" --calls=3000 --label="$label.floor"
    echo "{\"kind\":\"db_size\",\"label\":\"$label\",\"bytes\":$(cat "$STORE" "$STORE-wal" 2>/dev/null | wc -c)}" >> "$RESULTS"
  fi
  log "$label: GetAccountSummary closed loop against the no-op floor"
  "$TOOL" dump "${COMMON[@]}" --target="$TARGET" --method=summary --out="$WORK/summary.bin" >> "$RESULTS"
  start_noop --summary_response="$WORK/summary.bin"
  local load=(load "${COMMON[@]}" --method=summary --channels="$CHANNELS" --inflight="$INFLIGHT"
              --duration_s="$DURATION" --warmup_s="$WARMUP")
  tool "${load[@]}" --target="127.0.0.1:$NOOP_PORT" --server_pid="$NOOP_PID" --label="$label.floor.summary"
  tool "${load[@]}" --target="$TARGET" --server_pid="$SERVER_PID" --label="$label.summary"
  # The same closed loop on GetCase (one keyed row read): the least any call
  # that reads the store costs through this server.
  tool "${load[@]/--method=summary/--method=case}" --target="$TARGET" --server_pid="$SERVER_PID" --label="$label.case"
  stop_pid "$NOOP_PID"
  stop_pid "$SERVER_PID"
  [[ -n $pg_pid ]] && stop_pid "$pg_pid"
  return 0
}

if [[ -n $SCALING ]]; then
  echo "{\"kind\":\"scaling\",\"sizes\":[$SCALING],\"backends\":\"$BACKENDS\",\"calls\":$CALLS,\"rss_calls\":$RSS_CALLS}" >> "$RESULTS"
  for backend in ${BACKENDS//,/ }; do
    for invoices in ${SCALING//,/ }; do scaling_point "$backend" "$invoices"; done
  done
  echo "{\"kind\":\"end\",\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"finished\":\"$(date -u +%FT%TZ)\"}" >> "$RESULTS"
  python3 "$ROOT/tests/bench/report.py" --scaling "$RESULTS" "$OUT/scaling-report.md" \
    "$OUT/scaling-report.json"
  log "wrote $OUT/scaling-report.md and $OUT/scaling-report.json"
  exit 0
fi

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
  tool ingest "${COMMON[@]}" --target="127.0.0.1:$SERVER_PORT" --server_pid="$SERVER_PID" \
    --label="b.service"
  rss_line "$SERVER_PID" e.after_ingest
  if [[ $rep -lt $INGEST_REPS ]]; then stop_pid "$SERVER_PID"; fi
done
DB=${BENCH_REUSE_DB:-$WORK/ledger.db}
STORE=$DB
TARGET=127.0.0.1:$SERVER_PORT

# ------------------------------------------------ (c) aging, RunCollections
log "c: GetAgingReport, every call, RunCollections"
tool aging-rpc "${COMMON[@]}" --target="$TARGET" --reps="$REPS" --label=c.service
calls_phase c.service
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
start_noop "${NOOP_ARGS[@]}"
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
# exist in this build. Each file is parsed with --dry_run (parse only, no
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
    tool exec --label="d.$fmt.parse" -- "$exe" --file="$WORK/big.$fmt" --dry_run || true
  done
  tool exec --label="d.$fmt.parse_small" -- "$exe" --file="$WORK/small.$fmt" --dry_run || true
  rm -f "$WORK/big.$fmt" "$WORK/small.$fmt"
done

echo "{\"kind\":\"end\",\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"finished\":\"$(date -u +%FT%TZ)\"}" >> "$RESULTS"
python3 "$ROOT/tests/bench/report.py" "$RESULTS" "$OUT/bench-report.md" "$OUT/bench-report.json"
log "wrote $OUT/bench-report.md and $OUT/bench-report.json"
