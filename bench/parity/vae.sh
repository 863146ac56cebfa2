#!/usr/bin/env bash
# VAE-only parity and census on the GPU host (a quick re-check after a VAE graph change). Same needs as
# bench/parity/engine.sh; results in $OUT.
WORK=${WORK:-/tmp/vaecheck}
source bench/gpu-lib.sh
python3 scripts/reference/components.py full --out "$W/full" --only vae
for p in bf16 fp32; do $Z convert "$W/full/diffusers" --out "$W/m" --precision $p --components vae > /dev/null; done
for p in bf16 fp32; do
  $Z eval vae --model "$W/m/$p" --in "$W/full/io/vae_in.safetensors" --out "$W/ours_vae_$p.safetensors" --ep cuda --profile "$W/prof"
  python3 scripts/reference/compare.py "$W/ours_vae_$p.safetensors" "$W/full/io/vae_ref_$p.safetensors" image --image
done
tar cf "$OUT/vae-census.tar" -C "$W/prof" .
