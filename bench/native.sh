#!/usr/bin/env bash
# Issue 20, GPU host, part 2: the native session's checks and timings, after scripts/gpu/native-torch.sh made the
# weights in /dev/shm/native (remade here with the same seeds if the host was recycled). Needs the staged runtime with
# the CUDA provider (/opt/gpu-runtime/ready-cuda) and, in $XFER: zimage.mjs and native.mjs (npm run build:cli),
# zimage_ort.node (npm run build:native), libzimage_kernels.so (native/kernels/build.sh), native-torch.sh,
# torch_dit.py, diffusers-src.tar.xz.
#   1. fused kernels vs the unfused graphs (bench/native.ts kernels)
#   2. 2-layer DiT parity against diffusers' bf16 output: onnxruntime-node, native, native + CUDA graph, + kernels
#   3. 30-layer DiT at 1024²: per-step time and device-memory peak of each, the 8-step loop on device, a census
# Results in $OUT: kernels.jsonl, parity.jsonl, dit.jsonl, log.
set -euo pipefail
OUT=${OUT:-/tmp/out}; XFER=${XFER:-.xfer-native}; W=${W:-/dev/shm/native}; L=${LAYERS:-30}
mkdir -p "$OUT" "$W"
log() { echo "[$(date +%T)] $*"; }
source /opt/gpu-runtime/env.sh
[ -f /opt/gpu-runtime/ready-cuda ] || { echo "no CUDA provider staged (bash .gpu/cuda/install.sh)"; exit 1; }
export ZIMAGE_NATIVE_ADDON=$PWD/$XFER/zimage_ort.node ZIMAGE_KERNELS=$PWD/$XFER/libzimage_kernels.so
Z="node $XFER/zimage.mjs"; N="node $XFER/native.mjs"
SKIP_TORCH=1 LAYERS=$L bash "$XFER/native-torch.sh"
if [ "${PART:-all}" != dit ]; then
  log "1. kernels"
  $N kernels | tee "$OUT/kernels.jsonl"
  log "2. 2-layer parity"
  [ -f "$W/o2/bf16/manifest.json" ] || $Z convert "$W/d2/diffusers" --out "$W/o2" --precision bf16 --components dit > /dev/null
  [ -f "$W/o2k/bf16/manifest.json" ] || $Z convert "$W/d2/diffusers" --out "$W/o2k" --precision bf16 --components dit --graph kernels=1 > /dev/null
  io="--in $W/d2/io/dit_in.safetensors --ref $W/d2/io/dit_ref_bf16.safetensors"
  : > "$OUT/parity.jsonl"
  $N dit --dir "$W/o2/bf16" --mode ort $io --out "$W/v2-ort.safetensors" | tee -a "$OUT/parity.jsonl"
  for m in native graph; do $N dit --dir "$W/o2/bf16" --mode $m $io --against "$W/v2-ort.safetensors" | tee -a "$OUT/parity.jsonl"; done
  $N dit --dir "$W/o2k/bf16" --mode graph $io --against "$W/v2-ort.safetensors" | tee -a "$OUT/parity.jsonl"
  $N dit --dir "$W/o2k/bf16" --mode native --profile $io | tee -a "$OUT/parity.jsonl"
fi
[ "${PART:-all}" = parity ] && { log done; exit 0; }
log "3. $L-layer DiT timing (converting)"
D=${ONNX_DIR:-/tmp/native-onnx}; mkdir -p "$D"
[ -f "$D/o$L/bf16/manifest.json" ] || $Z convert "$W/d$L/diffusers" --out "$D/o$L" --precision bf16 --components dit > "$D/c1.log" 2>&1 &
[ -f "$D/o${L}k/bf16/manifest.json" ] || $Z convert "$W/d$L/diffusers" --out "$D/o${L}k" --precision bf16 --components dit --graph kernels=1 > "$D/c2.log" 2>&1 &
wait
log "converted"
: > "$OUT/dit.jsonl"
for m in ort native graph; do $N dit --dir "$D/o$L/bf16" --mode $m --reps ${REPS:-10} | tee -a "$OUT/dit.jsonl"; done
$N dit --dir "$D/o${L}k/bf16" --mode graph --reps ${REPS:-10} | tee -a "$OUT/dit.jsonl"
log done
