#!/usr/bin/env bash
# Issue 20, GPU host: the native session's checks and timings on the weights that bench/native-torch.sh makes
# in /dev/shm/native (remade with the same seeds if the host was recycled). Stages (STAGES, default all of them):
#   convert  our bf16 conversions of the 2- and 30-layer DiT, shipped graph and with the kernels (node only)
#   kernels  fused kernels vs the unfused graphs (bench/native.ts kernels)
#   parity   2-layer DiT against diffusers' bf16 output: onnxruntime-node, native, native + CUDA graph, + kernels;
#            a census of one profiled native step with the kernels
#   dit      30-layer DiT at 1024²: per-step time and device-memory peak of each mode, the 8-step loop on device
#   torch    PyTorch eager and torch.compile on the same weights (bench/torch_dit.py), within what is left of
#            DEADLINE_S seconds since the script started (default 540)
# Needs the staged runtime (the CUDA provider too, for all but convert) and, in $XFER: zimage.mjs, bench-convert.mjs
# and native.mjs (npm run build:cli), zimage_ort.node (npm run build:native), libzimage_kernels.so (native/kernels/build.sh),
# native-torch.sh, torch_dit.py, diffusers-src.tar.xz. Results in $OUT: kernels.jsonl, parity.jsonl, dit.jsonl.
set -uo pipefail
OUT=${OUT:-/tmp/out}; XFER=${XFER:-.xfer-native}; W=${W:-/dev/shm/native}; L=${LAYERS:-30}; D=${ONNX_DIR:-/tmp/native-onnx}
STAGES=${STAGES:-convert kernels parity dit torch}; T0=$(date +%s)
mkdir -p "$OUT" "$W" "$D"
log() { echo "[$(date +%T)] $*"; }
has() { [[ " $STAGES " == *" $1 "* ]]; }
source /opt/gpu-runtime/env.sh
export ZIMAGE_NATIVE_ADDON=$PWD/$XFER/zimage_ort.node ZIMAGE_KERNELS=$PWD/$XFER/libzimage_kernels.so
Z="node $XFER/zimage.mjs"; N="node $XFER/native.mjs"
SKIP_TORCH=1 LAYERS=$L bash "$XFER/native-torch.sh" > /dev/null || exit 1
conv() { # SRC OUT [--kernels]: the shipped graph (zimage convert), or with the fused kernels (bench/convert.ts)
  local cli="$Z convert"; [ -n "${3:-}" ] && cli="node $XFER/bench-convert.mjs"
  [ -f "$2/bf16/manifest.json" ] || $cli "$1" --out "$2" --precision bf16 --components dit ${3:-} > "$2.log" 2>&1 || { log "convert $2 failed"; tail -5 "$2.log"; }
}
if has convert; then
  log "convert"
  conv "$W/d2/diffusers" "$D/o2" & conv "$W/d2/diffusers" "$D/o2k" --kernels &
  [ "$L" = 2 ] || { conv "$W/d$L/diffusers" "$D/o$L" & conv "$W/d$L/diffusers" "$D/o${L}k" --kernels & }
  wait
  log "converted: $(ls "$D")"
fi
if has kernels || has parity || has dit; then
  [ -f /opt/gpu-runtime/ready-cuda ] || { echo "no CUDA provider staged (bash .gpu/cuda/install.sh)"; exit 1; }
fi
if has kernels; then
  log "kernels"
  $N kernels | tee "$OUT/kernels.jsonl" || log "kernels failed"
fi
if has parity; then
  log "2-layer parity"
  io="--in $W/d2/io/dit_in.safetensors --ref $W/d2/io/dit_ref_bf16.safetensors"
  : > "$OUT/parity.jsonl"
  $N dit --dir "$D/o2/bf16" --mode ort $io --out "$W/v2-ort.safetensors" | tee -a "$OUT/parity.jsonl" || log "ort failed"
  for m in native graph; do $N dit --dir "$D/o2/bf16" --mode $m $io --against "$W/v2-ort.safetensors" | tee -a "$OUT/parity.jsonl" || log "$m failed"; done
  $N dit --dir "$D/o2k/bf16" --mode graph $io --against "$W/v2-ort.safetensors" | tee -a "$OUT/parity.jsonl" || log "kernels graph failed"
  $N dit --dir "$D/o2k/bf16" --mode native --profile $io | tee -a "$OUT/parity.jsonl" || log "census failed"
fi
if has dit; then
  log "$L-layer DiT timing"
  : > "$OUT/dit.jsonl"
  for m in ${MODES:-ort native graph}; do $N dit --dir "$D/o$L/bf16" --mode $m --reps ${REPS:-10} | tee -a "$OUT/dit.jsonl" || log "$m failed"; done
  $N dit --dir "$D/o${L}k/bf16" --mode graph --reps ${REPS:-10} | tee -a "$OUT/dit.jsonl" || log "kernels graph failed"
fi
if has torch; then
  left=$(( ${DEADLINE_S:-540} - ($(date +%s) - T0) ))
  log "torch baselines ($left s left)"
  [ "$left" -gt 60 ] && BUDGET_S=$(( left * 60 / 100 )) TORCH_TIMEOUT=$(( left - 10 )) LAYERS=$L bash "$XFER/native-torch.sh" | tail -4
fi
log done
