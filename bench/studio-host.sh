#!/usr/bin/env bash
# The studio's own production server on the GPU host, driven through its HTTP API only (issues 5 and 7), then the
# Redis back end with 1 and 2 bundled workers sharing the GPU (README, "Scaling out"). Runs the bundle of
# `npm run pack:host` (.host/studio.tar.xz, carried) with the staged runtime (node 22.12 + onnxruntime-node with the
# CUDA provider, /opt/gpu-runtime); converted models come from WEIGHTS_DIR (<model>/<precision>/manifest.json).
#   A. server, in-process queue: one $PRECISION job (sessions load), $SERIES more in a row with the memory after
#      each (nvidia-smi and the records' own fields), the first job's request in $PRECISION2, POST /api/comparisons
#   B. redis-server, server with REDIS_URL, worker a: warm-up job, then scripts/throughput.mjs --jobs $TP_JOBS;
#      worker b joins (a stays loaded): warm-up, the same again
# Like the other GPU scripts: results in $OUT, work under /tmp. Every wait has a timeout, and the whole run a
# budget ($BUDGET s): what is left when it runs out is skipped and said so. $OUT gets at most 8 files, written as
# soon as each phase has them: summary.txt, result-<precision>.json (one per precision), compare.json,
# memory-series.csv, memory-series.json, throughput.json, extras.tar.gz (PNGs, system info, raw outputs, logs).
#
#   WEIGHTS_DIR=/tmp/w bash bench/studio-host.sh                     # GPU host, after source /opt/gpu-runtime/env.sh
#   EP=cpu NODE=~/.cache/gpu-runtime-pack/node-22.12.0/bin/node bash bench/studio-host.sh   # the dry run here
#
# EP=cpu is the dry run: the tiny model made by the server, fp32, 256², 4 steps, a shorter series; every setting
# below can still be set. Settings (environment): MODEL (first model in WEIGHTS_DIR with a $PRECISION conversion),
# PRECISION (bf16), PRECISION2 (fp16; empty for none), COMPARE (the precisions of the comparison), SIZE (1024),
# STEPS (8), SEED (42), SERIES (20), TP_JOBS (16), PORT (3210), REDIS_PORT (6390), LOAD_TIMEOUT (300 s for a job or
# worker that loads sessions), BUDGET (480 s), MIN_B (120: the Redis phase needs that much budget left, else it is
# skipped), NODE (node), ORT_MODULES (the folder holding onnxruntime-node: ./node_modules, where env.sh links it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s)
EP=${EP:-cuda}
if [ "$EP" = cuda ]; then
  [ -f /opt/gpu-runtime/ready-cuda ] || { echo "studio-host: /opt/gpu-runtime/ready-cuda missing: stage the runtime and the CUDA provider first (../shared/docs/gpu-host.md)" >&2; exit 3; }
  source /opt/gpu-runtime/env.sh
  PRECISION=${PRECISION:-bf16}; PRECISION2=${PRECISION2-fp16}; SIZE=${SIZE:-1024}; STEPS=${STEPS:-8}; SERIES=${SERIES:-20}; TP_JOBS=${TP_JOBS:-16}
else
  PRECISION=${PRECISION:-fp32}; PRECISION2=${PRECISION2-}; SIZE=${SIZE:-256}; STEPS=${STEPS:-4}; SERIES=${SERIES:-5}; TP_JOBS=${TP_JOBS:-6}
  COMPARE=${COMPARE:-$PRECISION,bf16,fp16}
fi
COMPARE=${COMPARE:-$PRECISION${PRECISION2:+,$PRECISION2}}
SEED=${SEED:-42}; PORT=${PORT:-3210}; REDIS_PORT=${REDIS_PORT:-6390}; LOAD_TIMEOUT=${LOAD_TIMEOUT:-300}; BUDGET=${BUDGET:-480}
NODE=${NODE:-node}; ORT_MODULES=${ORT_MODULES:-$ROOT/node_modules}
OUT=${OUT:-/tmp/out}; W=${WORK:-/tmp/studio-host}
URL=http://127.0.0.1:$PORT
APP=$W/app; EV=$W/evidence; LOGS=$W/logs
# Settings of the caller's shell must not leak into the servers (a token, another Redis, a public URL).
unset REDIS_URL ZIMAGE_API_TOKEN ZIMAGE_ALLOW_OPEN PUBLIC_URL ZIMAGE_WORKER_MODEL ZIMAGE_WORKER_PRECISION ZIMAGE_WORKER_NAME

PIDS=(); FAILED=(); PHASE=setup; SUMMARY=$OUT/summary.txt
say() { echo "$(date +%T) [+$(( $(date +%s) - T0 ))s] $*" | tee -a "$SUMMARY"; }
left() { echo $(( T0 + BUDGET - $(date +%s) )); }
# min(wanted, what is left of the budget), at least 1
within() { local l; l=$(left); [ "$l" -lt "$1" ] && echo $(( l > 1 ? l : 1 )) || echo "$1"; }
stop() { # PID...: TERM, then KILL after 15 s; only processes this script started
  local pid i
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
forget() { # PID...: stopped, so never signalled again (the number may be reused)
  local pid keep=() p
  for p in "${PIDS[@]}"; do for pid in "$@"; do [ "$p" = "$pid" ] && continue 2; done; keep+=("$p"); done
  PIDS=("${keep[@]}")
}
watchlist() { local IFS=,; echo "${WORKER_PIDS[*]},$SERVER_PID_B"; }
collect() { # extras.tar.gz: PNGs, system info, raw outputs, logs (logs last, so a size cut keeps the rest)
  local files=()
  [ -d "$EV" ] && files+=(evidence)
  [ -d "$LOGS" ] && files+=(logs)
  [ ${#files[@]} -gt 0 ] && tar czf "$OUT/extras.tar.gz" -C "$W" "${files[@]}" 2>/dev/null || true
  if [ -f "$OUT/extras.tar.gz" ] && [ "$(stat -c %s "$OUT/extras.tar.gz")" -gt $((15 * 1024 * 1024)) ]; then
    tar czf "$OUT/extras.tar.gz" -C "$W" --exclude='*.png' "${files[@]}"   # over the 16 MiB a file may have: drop the PNGs
  fi
}
finish() {
  local rc=$?
  trap - EXIT INT TERM
  [ ${#PIDS[@]} -gt 0 ] && stop "${PIDS[@]}"
  if [ "$rc" -ne 0 ]; then
    [ "$PHASE" = done ] || say "FAILED in phase $PHASE (exit $rc); the logs are in extras.tar.gz"
    echo "--- the ends of the logs:" >&2
    for f in "$LOGS"/*.log; do [ -f "$f" ] && { echo "=== $f"; tail -n 25 "$f"; } >&2; done
  fi
  collect
  say "done (exit $rc) in $(( $(date +%s) - T0 )) s; \$OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
  exit "$rc"
}
trap finish EXIT
trap 'exit 143' INT TERM

rm -rf "$W"; mkdir -p "$OUT" "$EV" "$LOGS" "$W/weights" "$W/redis"
rm -f "$SUMMARY"

# --- setup: the bundle, onnxruntime-node beside it, the models ---
[ -f .host/studio.tar.xz ] || { echo "studio-host: .host/studio.tar.xz missing: run npm run pack:host here and carry .host" >&2; exit 3; }
mkdir -p "$APP" && xz -dc .host/studio.tar.xz | tar xf - -C "$APP"
for p in onnxruntime-node onnxruntime-common; do
  [ -e "$ORT_MODULES/$p" ] || { echo "studio-host: $ORT_MODULES/$p missing (source /opt/gpu-runtime/env.sh links it; or set ORT_MODULES)" >&2; exit 3; }
  ln -sfn "$(readlink -f "$ORT_MODULES/$p")" "$APP/node_modules/$p"
done
# The run's own weights folder: links to the given models, so the tiny demo the server makes lands under /tmp.
if [ -n "${WEIGHTS_DIR:-}" ]; then
  for d in "$WEIGHTS_DIR"/*/; do [ -d "$d" ] && ln -sfn "$(readlink -f "$d")" "$W/weights/$(basename "$d")"; done
fi
if [ -z "${MODEL:-}" ]; then
  for d in "$W"/weights/*/; do
    [ -f "$d$PRECISION/manifest.json" ] && [ "$(basename "$d")" != tiny ] && { MODEL=$(basename "$d"); break; }
  done
  [ -n "${MODEL:-}" ] || { [ "$EP" = cpu ] && MODEL=tiny; } || { echo "studio-host: no <model>/$PRECISION/manifest.json in WEIGHTS_DIR=${WEIGHTS_DIR:-unset}" >&2; exit 3; }
fi
say "studio-host: EP=$EP model=$MODEL precisions=$PRECISION${PRECISION2:+,$PRECISION2} compare=$COMPARE ${SIZE}² $STEPS steps, series $SERIES, throughput $TP_JOBS jobs; node $("$NODE" --version); bundle $(sed -n 's/.*"commit": "\(.*\)".*/\1/p' "$APP/BUILD.json" | cut -c1-12)"
[ "$EP" = cuda ] && say "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"

start_server() { # NAME [VAR=VALUE...]: the standalone server on $PORT; sets SERVER_PID
  local name=$1; shift
  env "$@" HOSTNAME=127.0.0.1 HOST=127.0.0.1 PORT="$PORT" DATA_DIR="$W/data-$name" WEIGHTS_DIR="$W/weights" ZIMAGE_EP="$EP" \
    ZIMAGE_RATE_LIMIT=100000 ZIMAGE_GENERATE_RATE_LIMIT=100000 ZIMAGE_MAX_WAITING_JOBS=1000 \
    "$NODE" "$APP/server.js" > "$LOGS/server-$name.log" 2>&1 &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  timeout "$(within 120)" "$NODE" "$APP/evidence.mjs" wait --url "$URL" --watch "$SERVER_PID" --timeout "$(within 90)" | tee -a "$LOGS/evidence.log"
}
start_worker() { # NAME: a bundled worker on device 0 serving $MODEL in $PRECISION
  env REDIS_URL="$REDIS_URL" WEIGHTS_DIR="$W/weights" ZIMAGE_EP="$EP" ZIMAGE_DEVICE=0 CUDA_DEVICE_ORDER=PCI_BUS_ID \
    ZIMAGE_WORKER_NAME="$1" ZIMAGE_WORKER_MODEL="$MODEL" ZIMAGE_WORKER_PRECISION="$PRECISION" \
    "$NODE" "$APP/worker.mjs" > "$LOGS/worker-$1.log" 2>&1 &
  PIDS+=($!); WORKER_PIDS+=($!)
}
throughput() { # LABEL JOBS: scripts/throughput.mjs through the server; its JSON in $EV/throughput-LABEL.json
  timeout "$(within $(( 60 + $2 * 30 )))" "$NODE" scripts/throughput.mjs --url "$URL" --jobs "$2" --size "$SIZE" --steps "$STEPS" \
    --precision "$PRECISION" --model "$MODEL" > "$EV/throughput-$1.json" 2>> "$LOGS/throughput.log"
  say "throughput $1: $("$NODE" -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${r.succeeded}/${r.jobs} in ${r.seconds} s = ${r.imagesPerMinute} images/min, by worker ${JSON.stringify(r.byWorker)}${r.failed.length ? `, FAILED: ${r.failed.join("; ")}` : ""}`)' "$EV/throughput-$1.json")"
}
write_throughput() { # throughput.json in $OUT from what has run so far, and the images/minute line
  "$NODE" -e '
    const fs = require("fs"); const dir = process.argv[1]; const read = (n) => fs.existsSync(`${dir}/throughput-${n}.json`) ? JSON.parse(fs.readFileSync(`${dir}/throughput-${n}.json`, "utf8")) : null;
    const one = read("1-worker"), two = read("2-workers");
    const out = { oneWorker: one, twoWorkers: two, ratio: one && two ? Math.round((two.imagesPerMinute / one.imagesPerMinute) * 100) / 100 : null, warmups: [read("warmup-1"), read("warmup-2")] };
    fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + "\n");
    console.log(`images/minute: 1 worker ${one?.imagesPerMinute ?? "—"}, 2 workers ${two?.imagesPerMinute ?? "—"}${out.ratio ? ` (×${out.ratio})` : ""}`);
  ' "$EV" "$OUT/throughput.json"
}

# --- A. in-process queue: records, memory series, comparison ---
PHASE=A-server
start_server a
PHASE=A-jobs
LOADS=$([ -n "$PRECISION2" ] && echo 2 || echo 1)
# A failure here is reported and the Redis phase still runs (it needs nothing from this one); the exit code says it.
if ! timeout "$(within $(( LOAD_TIMEOUT * LOADS + SERIES * 60 + 120 )))" "$NODE" "$APP/evidence.mjs" jobs --url "$URL" --out "$EV" \
  --publish "$OUT" --model "$MODEL" --precisions "$PRECISION${PRECISION2:+,$PRECISION2}" --compare "$COMPARE" --series "$SERIES" \
  --size "$SIZE" --steps "$STEPS" --seed "$SEED" --pid "$SERVER_PID" --timeout "$(within 100000)" --job-timeout "$LOAD_TIMEOUT" 2>&1 | tee -a "$LOGS/evidence.log"; then
  FAILED+=("A-jobs"); say "FAILED: phase A (the API evidence) did not finish; see evidence.log and server-a.log in extras.tar.gz"
fi
{ grep -E 'FLAT|GROWING|SETTLED|VARIES|comparison|FAILED|^.{8} job' "$LOGS/evidence.log" || true; } | sed 's/^/  /' >> "$SUMMARY"
PHASE=A-stop
stop "$SERVER_PID"; forget "$SERVER_PID"

# --- B. Redis back end: 1 worker, then 2 on the same GPU ---
if [ "$(left)" -lt "${MIN_B:-120}" ]; then
  say "SKIPPED the Redis phase: $(left) s of the budget left (BUDGET=$BUDGET, MIN_B=${MIN_B:-120})"
  PHASE=done; [ ${#FAILED[@]} -eq 0 ] || exit 1; exit 0
fi
PHASE=B-redis
"$APP/redis/run" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$W/redis" > "$LOGS/redis.log" 2>&1 &
REDIS_PID=$!; PIDS+=("$REDIS_PID")
for i in $(seq 40); do "$APP/redis/run" redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.25; done
"$APP/redis/run" redis-cli -p "$REDIS_PORT" ping | grep -q PONG || { echo "studio-host: redis-server did not answer" >&2; exit 4; }
say "redis: $("$APP/redis/run" redis-server --version | cut -d' ' -f1-3) on port $REDIS_PORT"
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
WORKER_PIDS=()
PHASE=B-server
start_server b REDIS_URL="$REDIS_URL"
SERVER_PID_B=$SERVER_PID
PHASE=B-worker-a
start_worker a
timeout "$(within $(( LOAD_TIMEOUT + 30 )))" "$NODE" "$APP/evidence.mjs" wait --url "$URL" --workers 1 --watch "$(watchlist)" \
  --timeout "$(within "$LOAD_TIMEOUT")" | tee -a "$LOGS/evidence.log"
say "worker a: $(grep -o 'loaded in [0-9]* ms' "$LOGS/worker-a.log" || echo 'load time not logged')"
PHASE=B-throughput-1
throughput warmup-1 1
throughput 1-worker "$TP_JOBS"
write_throughput > /dev/null
if [ "$(left)" -lt $(( 60 + TP_JOBS * 3 )) ]; then
  say "SKIPPED 2 workers: $(left) s of the budget left (BUDGET=$BUDGET)"
else
  PHASE=B-worker-b
  start_worker b
  timeout "$(within $(( LOAD_TIMEOUT + 30 )))" "$NODE" "$APP/evidence.mjs" wait --url "$URL" --workers 2 --watch "$(watchlist)" \
    --timeout "$(within "$LOAD_TIMEOUT")" | tee -a "$LOGS/evidence.log"
  say "worker b: $(grep -o 'loaded in [0-9]* ms' "$LOGS/worker-b.log" || echo 'load time not logged')"
  [ "$EP" = cuda ] && say "GPU memory with 2 workers loaded: $(nvidia-smi --query-gpu=memory.used,memory.total --format=csv,noheader)"
  PHASE=B-throughput-2
  throughput warmup-2 2
  throughput 2-workers "$TP_JOBS"
fi
say "$(write_throughput)"
PHASE=B-stop
stop "${WORKER_PIDS[@]}" "$SERVER_PID_B"; forget "${WORKER_PIDS[@]}" "$SERVER_PID_B"
"$APP/redis/run" redis-cli -p "$REDIS_PORT" shutdown nosave > /dev/null 2>&1 || true
PHASE=done
[ ${#FAILED[@]} -eq 0 ] || { say "FAILED phases: ${FAILED[*]}"; exit 1; }
