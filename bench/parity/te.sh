#!/usr/bin/env bash
# Text-encoder-only parity and census on the GPU host (a quick re-check after a text-encoder graph change).
WORK=${WORK:-/tmp/techeck}
source bench/gpu-lib.sh
python3 scripts/reference/components.py full --out "$W/full" --only te --te-layers ${TE_LAYERS:-4}
$Z convert "$W/full/diffusers" --out "$W/m" --precision bf16 --components te > /dev/null
$Z eval te --model "$W/m/bf16" --in "$W/full/io/te_in.safetensors" --out "$W/ours_te_bf16.safetensors" --ep cuda --profile "$W/prof"
for t in bf16 fp32; do python3 scripts/reference/compare.py "$W/ours_te_bf16.safetensors" "$W/full/io/te_ref_$t.safetensors" features; done
python3 scripts/reference/compare.py "$W/full/io/te_ref_bf16.safetensors" "$W/full/io/te_ref_fp32.safetensors" features
