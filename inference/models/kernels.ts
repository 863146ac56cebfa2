// The kernels formulation (issue 20): the shipped DiT graph with native/kernels' fused custom ops (domain
// "zimage": SwiGLU for silu(w1 x)·(w3 x), QkNormRope for the per-head RMSNorm and RoPE of q and k) in bf16, as a
// converter override: convert({ formulation: kernelsFormulation() }). Such a graph runs only in the native session
// (inference/runtime/native-session.ts, with the kernel library registered), never through onnxruntime-node, so it
// is not what `zimage convert` writes by default. fp32 and fp16-guarded plans keep onnxruntime's own ops.
import type { FormulationOverride } from '../convert.ts';
import { SHIPPED_GRAPH } from './blocks.ts';
import { buildDit } from './z-image-dit.ts';

export function kernelsFormulation(): FormulationOverride {
  return {
    graph: { ...SHIPPED_GRAPH },
    build: { dit: (ctx, config) => { ctx.kernels = true; buildDit(ctx, config); } },
  };
}
