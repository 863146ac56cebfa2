// The reference formulations of the FLUX VAE decoder graph, for tests and benchmarks only: the decoder as it was
// before one formulation shipped, with GraphOptions.vaeNorm — `folded` (what inference/models/flux-vae.ts builds,
// checked node for node by reference.test.ts) or `spelled`, the first GroupNorm form bench/ measured it against.
// It deliberately is not imported by the product path: convert() takes it as an override.
import { ElemType } from '../../onnx/graph.ts';
import { BuildContext, f32Input, int64Input, silu, type GraphOptions } from '../blocks.ts';
import { attention, conv, resnet, type VaeConfig } from '../flux-vae.ts';

export function buildVaeDecoderReference(ctx: BuildContext, cfg: VaeConfig, forms: GraphOptions): void {
  const g = ctx.g;
  const z = f32Input(g, 'latents', [1, cfg.latentChannels, 'h', 'w']);
  const upShapes = cfg.upChannels.slice(0, -1).map((_, i) => int64Input(g, `up_shape_${i}`, 4));
  const midShape = int64Input(g, 'mid_shape', 4);
  // 1/(H·W) per resolution level: the folded GroupNorm's variance is a sum of squares times 1/N (N = (C/G)·H·W).
  const invHw = forms.vaeNorm === 'folded' ? cfg.upChannels.map((_, i) => f32Input(g, `inv_hw_${i}`, [1])) : [];
  const norm = (h: string, prefix: string, c: number, level: number) => groupNorm(ctx, cfg, h, prefix, c, invHw[level]);
  // un-scale in fp32: z / scaling + shift
  let x = g.op('Add', [g.op('Div', [z, g.scalar(cfg.scalingFactor, ElemType.FLOAT)]), g.scalar(cfg.shiftFactor, ElemType.FLOAT)]);
  if (ctx.compute !== 'F32') x = ctx.cast(x, ctx.compute);
  const c0 = cfg.upChannels[0];
  x = conv(ctx, x, 'decoder.conv_in', cfg.latentChannels, c0, 3);
  x = resnet(ctx, x, 'decoder.mid_block.resnets.0', c0, c0, (h, p, c) => norm(h, p, c, 0));
  x = attention(ctx, x, 'decoder.mid_block.attentions.0', c0, midShape, norm(x, 'decoder.mid_block.attentions.0.group_norm', c0, 0));
  x = resnet(ctx, x, 'decoder.mid_block.resnets.1', c0, c0, (h, p, c) => norm(h, p, c, 0));
  let prev = c0;
  cfg.upChannels.forEach((c, i) => {
    for (let j = 0; j < cfg.resnetsPerBlock; j++) x = resnet(ctx, x, `decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : c, c, (h, p, ch) => norm(h, p, ch, i));
    if (i < cfg.upChannels.length - 1) {
      // nearest ×2 without Resize (no bf16 kernel): [1,C,H,W] → [1,C,H,1,W,1] → duplicate both → [1,C,2H,2W]
      const u = g.op('Unsqueeze', [x, g.int64([3, 5])]);
      const w2 = g.op('Concat', [u, u], { axis: 5 });
      x = g.op('Reshape', [g.op('Concat', [w2, w2], { axis: 3 }), upShapes[i]]);
      x = conv(ctx, x, `decoder.up_blocks.${i}.upsamplers.0.conv`, c, c, 3);
    }
    prev = c;
  });
  x = silu(ctx, norm(x, 'decoder.conv_norm_out', prev, cfg.upChannels.length - 1));
  x = conv(ctx, x, 'decoder.conv_out', prev, 3, 3);
  if (ctx.compute !== 'F32') x = ctx.cast(x, 'F32');
  g.output(x, 'image', ElemType.FLOAT, [1, 3, 'H', 'W']);
}

/**
 * GroupNorm(G) of x [1,C,H,W], statistics in fp32. Measured on the H200 (CUDA EP, onnxruntime 1.29): the
 * GroupNormalization op's function expansion puts shape arithmetic on the CPU (60 CPU nodes); LayerNormalization
 * with a broadcast [1] scale is right on the CPU EP but wrong on CUDA (13 dB); InstanceNormalization has no CUDA
 * kernel at opset 22 and runs on the CPU (5 s per 1024² decode); ReduceMean has no bf16 kernel, hence the fp32 island.
 * `folded` (default): mean, then the centred sum of squares times the host's 1/N, then the centred values cast to
 * the compute dtype and one per-channel scale (weight·rstd) and shift — 7 passes, ~36 bytes per element in bf16.
 * `spelled`: the first form (centred variance by ReduceMean, normalise in fp32, cast, weight, bias) — 9 passes, ~52.
 * Reshape's 0 copies a dimension from the input, so no shape arithmetic is needed.
 */
function groupNorm(ctx: BuildContext, cfg: VaeConfig, x: string, prefix: string, c: number, invHw?: string): string {
  const g = ctx.g;
  const G = cfg.groups;
  const xf = ctx.compute === 'F32' ? x : ctx.cast(x, 'F32');
  if (!invHw) {
    const w = ctx.weight(`${prefix}.weight`, [c], { reshape: [c, 1, 1] });
    const b = ctx.weight(`${prefix}.bias`, [c], { reshape: [c, 1, 1] });
    const grouped = g.op('Reshape', [xf, g.int64([0, G, -1, 0])]); // [1,G,(C/G)·H,W]
    const axes = g.int64([2, 3]);
    const centred = g.op('Sub', [grouped, g.op('ReduceMean', [grouped, axes], { keepdims: 1 })]);
    const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred]), axes], { keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar(cfg.eps, ElemType.FLOAT)])])]);
    let normed = g.op('Reshape', [g.op('Mul', [centred, inv], {}, prefix), g.int64([0, c, -1, 0])]); // [1,C,H,W]
    if (ctx.compute !== 'F32') normed = ctx.cast(normed, ctx.compute);
    return g.op('Add', [g.op('Mul', [normed, w]), b]);
  }
  const w = ctx.weight(`${prefix}.weight`, [c], { reshape: [G, c / G], dtype: 'F32' });
  const b = ctx.weight(`${prefix}.bias`, [c], { reshape: [c, 1, 1] });
  const grouped = g.op('Reshape', [xf, g.int64([0, G, -1, 0])]); // [1,G,(C/G)·H,W]
  const axes = g.int64([2, 3]);
  const centred = g.op('Sub', [grouped, g.op('ReduceMean', [grouped, axes], { keepdims: 1 })]); // fp32
  const invN = g.op('Mul', [invHw, g.scalar(G / c, ElemType.FLOAT)]);
  const variance = g.op('Mul', [g.op('ReduceSumSquare', [centred, axes], { keepdims: 1 }), invN]); // [1,G,1,1]
  const rstd = g.op('Reshape', [g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar(cfg.eps, ElemType.FLOAT)])])]), g.int64([G, 1])]);
  let scale = g.op('Reshape', [g.op('Mul', [w, rstd]), g.int64([c, 1, 1])]); // weight·rstd per channel
  let cc = g.op('Reshape', [centred, g.int64([0, c, -1, 0])], {}, prefix); // [1,C,H,W]
  if (ctx.compute !== 'F32') { cc = ctx.cast(cc, ctx.compute); scale = ctx.cast(scale, ctx.compute); }
  return g.op('Add', [g.op('Mul', [cc, scale]), b]);
}
