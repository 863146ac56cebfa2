#!/usr/bin/env bash
# Issue 6, session 4's closing measurement: bench/run.sh with the new defaults (memory pattern off on CUDA, the DiT
# census from the first step, the empty negative prompt encoded in the profiled generation, RoPE tables per caption
# bucket), then our benchmark again on the same weights (run-to-run spread). Needs what bench/run.sh needs.
set -euo pipefail
export WORK=${WORK:-/tmp/bench}
log() { echo "[$(date +%T)] $*"; }
log "1. benchmark"
bash bench/run.sh
source scripts/gpu/common.sh
cp "$W/ours.json" "$W/torch.json" "$W/env.json" "$OUT/"
log "2. our benchmark again"
node dist/bench.mjs --weights "$W/weights" --model full --runs 3 --out "$OUT/ours-again.json" > /dev/null
log done
