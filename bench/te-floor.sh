#!/usr/bin/env bash
# The text encoder's bf16 floor (issue 2) on the weights bench/run.sh made: 40 seeded token ids, our bf16 features
# (zimage eval te), then scripts/reference/te_floor.py: transformers' own bf16 variants against each other, fp32
# and ours, as JSON lines in $OUT/te-floor.jsonl. Run after bench/run.sh, with the same WORK.
export WORK=${WORK:-/tmp/bench}
source bench/gpu-lib.sh
SRC=$([ -d /dev/shm/bench/full ] && echo /dev/shm/bench || echo "$W")
python3 - "$W/te_in.safetensors" <<'PY'
import sys, torch
from safetensors.torch import save_file
g = torch.Generator().manual_seed(10)
save_file({"input_ids": torch.randint(0, 151936, (40,), generator=g)}, sys.argv[1])
PY
$Z eval te --model "$W/weights/full/bf16" --in "$W/te_in.safetensors" --out "$W/ours_te.safetensors" --ep cuda > /dev/null
python3 scripts/reference/te_floor.py --te "$SRC/full/diffusers/text_encoder" --ids "$W/te_in.safetensors" --ours "$W/ours_te.safetensors" | tee "$OUT/te-floor.jsonl"
