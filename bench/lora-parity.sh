#!/usr/bin/env bash
# LoRA parity on the GPU host (issue 22's evidence for issue 16; NOT RUN YET): the full-width random DiT of
# components.py, two LoRAs written by lora_parity.py (ai-toolkit rank 16 on every main-layer Linear incl. adaLN,
# kohya rank 8 on attention), the reference through diffusers' load_lora_weights path (weights 0.8 and 0.5) and a
# hand merge, against `zimage eval dit --lora …` on the CUDA EP (bf16 merged in memory). Also the cost of the stack
# switch at full width on the GPU (merge, layout, session creation from memory). Results go to $OUT.
source "$(dirname "$0")/common.sh"
[ -f "$W/full/io/dit_in.safetensors" ] || python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers ${TE_LAYERS:-4}
[ -f "$W/m/bf16/dit.onnx" ] || $Z convert "$W/full/diffusers" --out "$W/m" --precision bf16 --components dit
python3 scripts/reference/lora_parity.py --dit "$W/full/diffusers/transformer" --io "$W/full/io" --out "$W/lora"
$Z eval dit --model "$W/m/bf16" --in "$W/full/io/dit_in.safetensors" --out "$W/ours_dit_lora_bf16.safetensors" --ep cuda \
  --lora "$W/lora/a.safetensors:0.8" --lora "$W/lora/b.safetensors:0.5" | tee "$OUT/eval-lora.txt"
$Z eval dit --model "$W/m/bf16" --in "$W/full/io/dit_in.safetensors" --out "$W/ours_dit_bf16.safetensors" --ep cuda
{
  for t in bf16 fp32; do python3 scripts/reference/compare.py "$W/ours_dit_lora_bf16.safetensors" "$W/lora/dit_lora_ref_$t.safetensors" v; done
  python3 scripts/reference/compare.py "$W/ours_dit_lora_bf16.safetensors" "$W/lora/dit_lora_merged_ref_bf16.safetensors" v
  python3 scripts/reference/compare.py "$W/lora/dit_lora_ref_bf16.safetensors" "$W/lora/dit_lora_ref_fp32.safetensors" v
  echo "the LoRA must move the output (ours with vs without):"
  python3 scripts/reference/compare.py "$W/ours_dit_lora_bf16.safetensors" "$W/ours_dit_bf16.safetensors" v
} | tee "$OUT/lora-compare.txt"
