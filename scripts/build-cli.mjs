// Bundles the zimage CLI into dist/zimage.mjs so that a machine with only node + onnxruntime-node can run it (the
// GPU host has no npm). onnxruntime-node stays external: it is a native addon installed beside the bundle.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['onnxruntime-node'],
  // CommonJS dependencies (protobufjs) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: ['inference/cli/zimage.ts'], outfile: 'dist/zimage.mjs' });
// the benchmark of bench/run.sh, bundled the same way
await build({ ...common, entryPoints: ['bench/ours.ts'], outfile: 'dist/bench.mjs' });
// the differential timing of graph formulations (bench/formulations.sh)
await build({ ...common, entryPoints: ['bench/ablate.ts'], outfile: 'dist/ablate.mjs' });
// conversions in a reference graph formulation (--graph), what bench/ measures the shipped one against
await build({ ...common, entryPoints: ['bench/convert.ts'], outfile: 'dist/bench-convert.mjs' });
// setup:gpu for a host with node + onnxruntime-node only (onnx-proto bundled in)
// per-op costs of alternative formulations (bench/ops.ts)
await build({ ...common, entryPoints: ['bench/ops.ts'], outfile: 'dist/ops.mjs' });
await build({ ...common, entryPoints: ['scripts/setup-gpu.mjs'], outfile: 'dist/setup-gpu.mjs' });
console.log('built dist/zimage.mjs, dist/bench.mjs, dist/ablate.mjs and dist/setup-gpu.mjs');
