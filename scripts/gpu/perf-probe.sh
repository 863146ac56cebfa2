#!/usr/bin/env bash
# Session-3 probes on the GPU host (issue 6, and issue 2's text-encoder bar), after the full benchmark of
# bench/run.sh on the same weights:
#   1. bench/run.sh (full-shape weights, ours vs diffusers; per-run phase timings in ours.json);
#   2. our benchmark again with initializers outside the arena (ZIMAGE_ORT_CONFIG), for the VRAM peak;
#   3. dist/ops.mjs: per-op costs of alternative norm/RoPE/GroupNorm formulations at Z-Image shapes;
#   4. the text encoder's bf16 floor: transformers' own bf16 variants against each other, and ours.
# Needs what bench/run.sh needs. Results in $OUT.
set -euo pipefail
export WORK=${WORK:-/tmp/bench}
log() { echo "[$(date +%T)] $*"; }
log "1. benchmark"
bash bench/run.sh
source scripts/gpu/common.sh
cp "$W/ours.json" "$OUT/ours.json"; cp "$W/torch.json" "$OUT/torch.json"
log "2. initializers outside the arena"
ZIMAGE_ORT_CONFIG=session.use_device_allocator_for_initializers=1 node dist/bench.mjs --weights "$W/weights" --model full --runs 3 | tee "$OUT/ours-devalloc.json"
log "3. per-op costs"
node dist/ops.mjs | tee "$OUT/ops.jsonl"
log "4. text-encoder floor"
SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
python3 - "$W/te_in.safetensors" <<'PY'
import sys, torch
from safetensors.torch import save_file
g = torch.Generator().manual_seed(10)
save_file({"input_ids": torch.randint(0, 151936, (40,), generator=g)}, sys.argv[1])
PY
$Z eval te --model "$W/weights/full/bf16" --in "$W/te_in.safetensors" --out "$W/ours_te.safetensors" --ep cuda > /dev/null
python3 scripts/reference/te_floor.py --te "$SRC/full/diffusers/text_encoder" --ids "$W/te_in.safetensors" --ours "$W/ours_te.safetensors" | tee "$OUT/te-floor.jsonl"
log done
