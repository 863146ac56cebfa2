# node-gyp build of the zimage_ort addon (native/addon.cc). Headers: onnxruntime 1.29's C API from the npm package
# com.github.asus4.onnxruntime@0.4.9 (an optional dependency; the same headers sit in each of its platform folders).
# No library is linked: the addon dlopens onnxruntime-node's own libonnxruntime.so.1 (and CUDA's) at run time.
{
  "targets": [{
    "target_name": "zimage_ort",
    "sources": ["addon.cc"],
    "include_dirs": ["<!(node -p \"require('path').dirname(require.resolve('com.github.asus4.onnxruntime/package.json'))\")/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"],
    "cflags_cc": ["-std=c++17", "-O2", "-fexceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"],
    "defines": ["NAPI_VERSION=8"],
    "libraries": ["-ldl"]
  }]
}
