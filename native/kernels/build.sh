#!/usr/bin/env bash
# Builds native/kernels/build/libzimage_kernels.so, the fused bf16 custom-op library (zimage_kernels.cu), with
# nvcc for sm_80 and sm_90 (SASS for both, PTX for sm_90 so newer GPUs JIT it), against onnxruntime 1.29's C API
# headers from the npm package com.github.asus4.onnxruntime@0.4.9, on the shared CUDA runtime (the one onnxruntime's
# CUDA provider loads). Called by `npm run setup:gpu`; needs nvcc (CUDA ≥ 12), no GPU.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
[ -x "$NVCC" ] || { echo "kernels: nvcc not found (set NVCC or install the CUDA toolkit)" >&2; exit 1; }
hdr=$(cd "$root" && node -p "require('path').dirname(require.resolve('com.github.asus4.onnxruntime/package.json'))")/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers
[ -f "$hdr/onnxruntime_c_api.h" ] || { echo "kernels: onnxruntime headers not found in $hdr (npm install)" >&2; exit 1; }
mkdir -p "$here/build"
"$NVCC" -O3 -std=c++17 -shared -Xcompiler -fPIC -Xcompiler -fvisibility=hidden -cudart shared \
  -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_90,code=compute_90 \
  -I"$hdr" -Xptxas -v "$here/zimage_kernels.cu" -o "$here/build/libzimage_kernels.so.tmp" 2> "$here/build/ptxas.log" \
  || { cat "$here/build/ptxas.log" >&2; exit 1; }
mv "$here/build/libzimage_kernels.so.tmp" "$here/build/libzimage_kernels.so"
echo "kernels: built $here/build/libzimage_kernels.so ($("$NVCC" --version | grep -o 'release [0-9.]*'); sm_80, sm_90)"
