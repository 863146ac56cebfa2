#!/usr/bin/env bash
# Engine parity on the GPU host (issue 2): random full-width weights from the PyTorch reference classes, converted
# by our CLI to bf16, run by `zimage eval` on the CUDA EP with profiling, compared with the reference outputs; plus
# the tiny golden fixtures for CI. Needs: the staged runtime (/opt/gpu-runtime), dist/zimage.mjs, and
# .ref/diffusers-src.tar.xz (the diffusers source; the host has torch and transformers but not diffusers).
# Results go to $OUT (log, compare lines, census, fixtures tarball).
source bench/gpu-lib.sh
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"

# 1. tiny golden fixtures (fp32, CPU reference)
$Z tiny --out "$W/tiny-src"
python3 scripts/reference/components.py tiny --ckpt "$W/tiny-src" --out "$W/fixtures"
tar cf "$OUT/fixtures.tar" -C "$W/fixtures" .

# 2. full-width random weights + reference outputs (bf16 and fp32 on CUDA)
[ -f "$W/full/io/vae_ref_bf16.safetensors" ] || python3 scripts/reference/components.py full --out "$W/full" --layers ${DIT_LAYERS:-2} --te-layers ${TE_LAYERS:-4}
ls -la "$W/full/diffusers/"* "$W/full"

# 3. convert (diffusers folder, and the DiT again from the single-file ComfyUI layout)
time $Z convert "$W/full/diffusers" --out "$W/m" --precision bf16
time $Z convert "$W/full/dit_single_file.safetensors" --out "$W/m-sf" --precision bf16 --components dit
time $Z convert "$W/full/diffusers" --out "$W/m" --precision fp32 --components vae

# 4. eval on CUDA with profiling, then compare
for c in dit te vae; do
  $Z eval $c --model "$W/m/bf16" --in "$W/full/io/${c}_in.safetensors" --out "$W/ours_${c}_bf16.safetensors" --ep cuda --profile "$W/prof"
done
$Z eval dit --model "$W/m-sf/bf16" --in "$W/full/io/dit_in.safetensors" --out "$W/ours_dit_sf_bf16.safetensors" --ep cuda
$Z eval vae --model "$W/m/fp32" --in "$W/full/io/vae_in.safetensors" --out "$W/ours_vae_fp32.safetensors" --ep cuda
{
  for t in bf16 fp32; do
    python3 scripts/reference/compare.py "$W/ours_dit_bf16.safetensors" "$W/full/io/dit_ref_$t.safetensors" v
    python3 scripts/reference/compare.py "$W/ours_te_bf16.safetensors" "$W/full/io/te_ref_$t.safetensors" features
    python3 scripts/reference/compare.py "$W/ours_vae_bf16.safetensors" "$W/full/io/vae_ref_$t.safetensors" image --image
  done
  python3 scripts/reference/compare.py "$W/full/io/dit_ref_bf16.safetensors" "$W/full/io/dit_ref_fp32.safetensors" v
  python3 scripts/reference/compare.py "$W/full/io/te_ref_bf16.safetensors" "$W/full/io/te_ref_fp32.safetensors" features
  python3 scripts/reference/compare.py "$W/full/io/vae_ref_bf16.safetensors" "$W/full/io/vae_ref_fp32.safetensors" image --image
  python3 scripts/reference/compare.py "$W/ours_vae_fp32.safetensors" "$W/full/io/vae_ref_fp32.safetensors" image --image
  python3 scripts/reference/compare.py "$W/ours_dit_sf_bf16.safetensors" "$W/ours_dit_bf16.safetensors" v
} | tee "$OUT/compare.jsonl"
tar cf "$OUT/census.tar" -C "$W/prof" .
