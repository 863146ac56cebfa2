#!/usr/bin/env bash
# Issue 6, session 4: the batched adaLN modulation (--graph mod-batch) checked and measured, in two host commands
# (each under the 10-minute limit; run B right after A, while the host still holds A's files):
#   PART=A: 2 main DiT layers at full width: parity of the default DiT (mod-batch on) and of mod-batch=0 against
#           diffusers bf16 and fp32, and their differential wall time; then the full-shape weights staged.
#   PART=B: bench/run.sh on the full-shape weights (ours with the session's defaults against diffusers, isolated
#           DiT and VAE), the 30-layer DiT with mod-batch=0 against the default (converted into /dev/shm: the
#           host's disk has no room for a second 12 GB DiT beside A's files), and our benchmark again.
# Needs what bench/run.sh needs. Results in $OUT.
set -euo pipefail
log() { echo "[$(date +%T)] $*"; }
if [ "${PART:-A}" = A ]; then
  log "A1. parity and time of mod-batch on 2 layers"
  WORK=/tmp/check ALT=mod-batch=0 QUICK=1 bash scripts/gpu/perf-check.sh 2>&1 | grep -E "^\[|dit|te " || true
  log "A2. stage the full-shape weights"
  WORK=/tmp/bench STAGE_ONLY=1 bash bench/run.sh 2>&1 | grep -E "made|converted|staged"
  log done
  exit 0
fi
export WORK=/tmp/bench
source scripts/gpu/common.sh
log "B1. benchmark"
bash bench/run.sh 2>&1 | grep -v "it/s\]" | tail -16
cp "$W/ours.json" "$W/torch.json" "$W/env.json" "$OUT/"
log "B2. the 30-layer DiT with mod-batch=0 against the default"
SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
rm -rf /tmp/check/alt
node dist/bench-convert.mjs "$SRC/full/diffusers" --out "$SRC/nobatch" --precision bf16 --components dit --graph mod-batch=0 > /dev/null
node dist/ablate.mjs --dit "$W/weights/full/bf16,$SRC/nobatch/bf16" --reps 10 | tee "$OUT/modbatch-ablate.jsonl"
log "B3. our benchmark again"
node dist/bench.mjs --weights "$W/weights" --model full --runs 3 --out "$OUT/ours-again.json" > /dev/null
log done
