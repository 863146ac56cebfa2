#!/usr/bin/env bash
# Issue 20, GPU host, part 1 (python only, no staged runtime needed): the random full-width DiT weights (30 layers,
# bf16, deterministic seeds: the same values on every host) and the 2-layer parity set with diffusers' outputs, made
# by scripts/reference/components.py into /dev/shm/native, then the PyTorch baselines of the DiT step on them
# (bench/torch_dit.py: eager, reduce-overhead, max-autotune-no-cudagraphs). Needs the diffusers source tarball at
# $XFER/diffusers-src.tar.xz. Results: $OUT/torch-dit.jsonl, $OUT/gpu.txt.
set -euo pipefail
OUT=${OUT:-/tmp/out}; XFER=${XFER:-.xfer-native}; W=${W:-/dev/shm/native}; L=${LAYERS:-30}
mkdir -p "$OUT" "$W"
log() { echo "[$(date +%T)] $*"; }
[ -d "$W/diffusers-src/src" ] || { mkdir -p "$W/diffusers-src" && tar xJf "$XFER/diffusers-src.tar.xz" -C "$W/diffusers-src"; }
export PYTHONPATH="$W/diffusers-src/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT/gpu.txt"
log "weights: $L-layer DiT"
[ "$L" = 2 ] || [ -f "$W/d$L/diffusers/model_index.json" ] || python3 scripts/reference/components.py full --out "$W/d$L" --layers "$L" --only dit --no-io --save-dtype bf16
log "2-layer parity set"
[ -f "$W/d2/io/dit_ref_bf16.safetensors" ] || python3 scripts/reference/components.py full --out "$W/d2" --layers 2 --only dit > "$W/d2.log" 2>&1
[ "${SKIP_TORCH:-0}" = 1 ] && { log "weights made"; exit 0; }
log "torch DiT step"
timeout "${TORCH_TIMEOUT:-480}" python3 "$XFER/torch_dit.py" --model "$W/d$L/diffusers" --modes "${TORCH_MODES:-eager,reduce-overhead,max-autotune-no-cudagraphs}" --budget-s "${BUDGET_S:-300}" | tee "$OUT/torch-dit.jsonl" || log "torch_dit.py stopped (rc $?)"
log done
