#!/usr/bin/env bash
# The session's closing measurements on the GPU host (issue 6, issue 2's text-encoder floor), one command:
#   1. bench/run.sh: full-shape weights, ours vs diffusers (per-run phases in ours.json);
#   2. our benchmark a second time on the same weights (run-to-run spread);
#   3. the 30-layer DiT with skip-norm=0 against the default, by differential wall time (dist/ablate.mjs);
#   4. the text encoder's bf16 floor (te_floor.py), our output now from bucketed ids;
#   BENCH_ONLY=1 stops after 2 (session 4's `defaults` results, then run as scripts/gpu/perf-s4.sh);
#   PROBES=1 adds: our benchmark with initializers outside the arena (ZIMAGE_ORT_CONFIG), for the VRAM peak, and
#   dist/ops.mjs, per-op costs of alternative formulations at Z-Image shapes.
# Needs what bench/run.sh needs. Results in $OUT.
set -euo pipefail
export WORK=${WORK:-/tmp/bench}
log() { echo "[$(date +%T)] $*"; }
log "1. benchmark"
bash bench/run.sh
source scripts/gpu/common.sh
cp "$W/ours.json" "$W/torch.json" "$W/env.json" "$OUT/"
log "2. our benchmark again"
node dist/bench.mjs --weights "$W/weights" --model full --runs 3 --out "$OUT/ours-again.json" > /dev/null
[ "${BENCH_ONLY:-0}" = 1 ] && { log done; exit 0; }
log "3. skip-norm at full size"
SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
node dist/bench-convert.mjs "$SRC/full/diffusers" --out "$W/noskip" --precision bf16 --components dit --graph skip-norm=0 > /dev/null 2>&1
node dist/ablate.mjs --dit "$W/weights/full/bf16,$W/noskip/bf16" --reps 10 | tee "$OUT/skipnorm-ablate.jsonl"
log "4. text-encoder floor"
bash scripts/gpu/te-floor.sh
if [ "${PROBES:-0}" = 1 ]; then
  log "5. initializers outside the arena"
  ZIMAGE_ORT_CONFIG=session.use_device_allocator_for_initializers=1 node dist/bench.mjs --weights "$W/weights" --model full --runs 3 --out "$OUT/ours-devalloc.json" > /dev/null
  log "6. per-op costs"
  node dist/ops.mjs | tee "$OUT/ops.jsonl"
fi
log done
