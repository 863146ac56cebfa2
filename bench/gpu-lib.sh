# Sourced by the GPU-host scripts: output and work folders, the staged runtime, the diffusers source on PYTHONPATH
# (the host has torch and transformers but not diffusers), and $Z, the bundled CLI.
set -euo pipefail
OUT=${OUT:-/tmp/out}; W=${WORK:-/tmp/parity}; mkdir -p "$OUT" "$W"
source /opt/gpu-runtime/env.sh
[ -d "$W/diffusers-src" ] || { mkdir -p "$W/diffusers-src" && tar xJf .ref/diffusers-src.tar.xz -C "$W/diffusers-src"; }
export PYTHONPATH="$W/diffusers-src/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
Z="node dist/zimage.mjs"
