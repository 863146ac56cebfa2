// The FLUX.1 16-channel VAE decoder (diffusers AutoencoderKL, no post_quant_conv): pipeline latents [1,16,h,w]
// fp32 → image [1,3,8h,8w] fp32 in about [−1,1], including the un-scaling z/0.3611 + 0.1159. Accepts the diffusers
// and the BFL `ae.safetensors` key layouts. Spec: shared/docs/zimage-spec.md §4, §6.5.
// It deliberately builds no encoder (text-to-image only) and does not clamp or quantize the output.
import fs from 'node:fs';
import { EngineError } from '../errors.ts';
import { ElemType } from '../onnx/graph.ts';
import type { Checkpoint } from '../safetensors.ts';
import { BuildContext, f32Input, int64Input, mha, silu, type KeyTable } from './blocks.ts';
import { int64Tensor, type HostTensor } from '../tensor.ts';

export interface VaeConfig {
  latentChannels: number;
  /** Decoder widths per up block, in decoder order (e.g. [512,512,256,128]). */
  upChannels: number[];
  /** Resnets per up block (layers_per_block + 1). */
  resnetsPerBlock: number;
  groups: number;
  eps: number;
  scalingFactor: number;
  shiftFactor: number;
}

const PREFIXES = ['first_stage_model.', 'vae.'];
/** The VAE needs opset 22 (bf16 Conv) and uses no opset-23 op. */
export const VAE_OPSET = 22;

/** diffusers names for the decoder; BFL names (`decoder.up.3.block.0`, `mid.attn_1.q`) are renamed here. */
export function vaeKeyTable(ckpt: Checkpoint): KeyTable {
  const sources = new Map<string, { key: string }>();
  const ignored: string[] = [];
  const stripped = (k: string) => PREFIXES.reduce((s, p) => (s.startsWith(p) ? s.slice(p.length) : s), k);
  const upCount = new Set(ckpt.keys().map((k) => stripped(k).match(/^decoder\.up\.(\d+)\./)?.[1]).filter(Boolean)).size;
  for (const key of ckpt.keys()) {
    let k = stripped(key);
    if (!k.startsWith('decoder.')) { ignored.push(key); continue; }
    k = k
      .replace(/^decoder\.mid\.block_(\d)\./, (_, n) => `decoder.mid_block.resnets.${Number(n) - 1}.`)
      .replace(/^decoder\.mid\.attn_1\.norm\./, 'decoder.mid_block.attentions.0.group_norm.')
      .replace(/^decoder\.mid\.attn_1\.(q|k|v)\./, 'decoder.mid_block.attentions.0.to_$1.')
      .replace(/^decoder\.mid\.attn_1\.proj_out\./, 'decoder.mid_block.attentions.0.to_out.0.')
      .replace(/^decoder\.up\.(\d+)\.block\.(\d+)\./, (_, i, j) => `decoder.up_blocks.${upCount - 1 - Number(i)}.resnets.${j}.`)
      .replace(/^decoder\.up\.(\d+)\.upsample\.conv\./, (_, i) => `decoder.up_blocks.${upCount - 1 - Number(i)}.upsamplers.0.conv.`)
      .replace(/^decoder\.norm_out\./, 'decoder.conv_norm_out.')
      .replace(/\.nin_shortcut\./, '.conv_shortcut.');
    sources.set(k, { key });
  }
  return { sources, ignored };
}

export function detectVaeConfig(ckpt: Checkpoint, table: KeyTable, configJson?: string): VaeConfig {
  const shape = (key: string) => {
    const s = table.sources.get(key);
    if (!s) {
      throw new EngineError('convert-not-vae', `no ${key} in the checkpoint: this is not a FLUX VAE`, {
        hint: 'pass the FLUX.1 VAE (diffusers vae/ folder or ae.safetensors)',
      });
    }
    return ckpt.get(s.key).shape;
  };
  const latentChannels = shape('decoder.conv_in.weight')[1];
  const upChannels: number[] = [];
  let resnetsPerBlock = 0;
  for (let i = 0; table.sources.has(`decoder.up_blocks.${i}.resnets.0.conv1.weight`); i++) {
    upChannels.push(shape(`decoder.up_blocks.${i}.resnets.0.conv1.weight`)[0]);
    let j = 0;
    while (table.sources.has(`decoder.up_blocks.${i}.resnets.${j}.conv1.weight`)) j++;
    resnetsPerBlock = j;
  }
  if (!upChannels.length) throw new EngineError('convert-not-vae', 'the VAE has no decoder up blocks');
  let scalingFactor = 0.3611, shiftFactor = 0.1159;
  if (configJson && fs.existsSync(configJson)) {
    const c = JSON.parse(fs.readFileSync(configJson, 'utf8'));
    if (typeof c.scaling_factor === 'number') scalingFactor = c.scaling_factor;
    if (typeof c.shift_factor === 'number') shiftFactor = c.shift_factor;
  }
  return { latentChannels, upChannels, resnetsPerBlock, groups: 32, eps: 1e-6, scalingFactor, shiftFactor };
}

export function vaeDecoderParameterCount(cfg: VaeConfig): number {
  const conv = (i: number, o: number, k: number) => i * o * k * k + o;
  const norm = (c: number) => 2 * c;
  const res = (i: number, o: number) => norm(i) + conv(i, o, 3) + norm(o) + conv(o, o, 3) + (i === o ? 0 : conv(i, o, 1));
  const c0 = cfg.upChannels[0];
  let n = conv(cfg.latentChannels, c0, 3) + 2 * res(c0, c0) + norm(c0) + 4 * (c0 * c0 + c0);
  let prev = c0;
  cfg.upChannels.forEach((c, i) => {
    for (let j = 0; j < cfg.resnetsPerBlock; j++) n += res(j === 0 ? prev : c, c);
    if (i < cfg.upChannels.length - 1) n += conv(c, c, 3);
    prev = c;
  });
  return n + norm(prev) + conv(prev, 3, 3);
}

export function buildVaeDecoder(ctx: BuildContext, cfg: VaeConfig): void {
  const g = ctx.g;
  const z = f32Input(g, 'latents', [1, cfg.latentChannels, 'h', 'w']);
  const upShapes = cfg.upChannels.slice(0, -1).map((_, i) => int64Input(g, `up_shape_${i}`, 4));
  const midShape = int64Input(g, 'mid_shape', 4);
  // 1/(H·W) per resolution level: the folded GroupNorm's variance is a sum of squares times 1/N (N = (C/G)·H·W).
  const invHw = cfg.upChannels.map((_, i) => f32Input(g, `inv_hw_${i}`, [1]));
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

export function conv(ctx: BuildContext, x: string, prefix: string, cin: number, cout: number, k: number): string {
  const w = ctx.weight(`${prefix}.weight`, [cout, cin, k, k]);
  const b = ctx.weight(`${prefix}.bias`, [cout]);
  const pad = (k - 1) / 2;
  return ctx.g.op('Conv', [x, w, b], { kernel_shape: [k, k], pads: [pad, pad, pad, pad] }, prefix);
}

/**
 * GroupNorm(G) of x [1,C,H,W], statistics in fp32. Measured on the H200 (CUDA EP, onnxruntime 1.29): the
 * GroupNormalization op's function expansion puts shape arithmetic on the CPU (60 CPU nodes); LayerNormalization
 * with a broadcast [1] scale is right on the CPU EP but wrong on CUDA (13 dB); InstanceNormalization has no CUDA
 * kernel at opset 22 and runs on the CPU (5 s per 1024² decode); ReduceMean has no bf16 kernel, hence the fp32 island.
 * The form that ships: mean, then the centred sum of squares times the host's 1/N (`invHw`), then the centred values
 * cast to the compute dtype and one per-channel scale (weight·rstd) and shift — 7 passes, ~36 bytes per element in
 * bf16 (the spelled-out first form, 9 passes and ~52 bytes, is kept in reference/flux-vae.ts).
 * Reshape's 0 copies a dimension from the input, so no shape arithmetic is needed.
 */
function groupNorm(ctx: BuildContext, cfg: VaeConfig, x: string, prefix: string, c: number, invHw: string): string {
  const g = ctx.g;
  const G = cfg.groups;
  const xf = ctx.compute === 'F32' ? x : ctx.cast(x, 'F32');
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

export type Norm = (x: string, prefix: string, c: number) => string;

export function resnet(ctx: BuildContext, x: string, prefix: string, cin: number, cout: number, norm: Norm): string {
  let h = conv(ctx, silu(ctx, norm(x, `${prefix}.norm1`, cin)), `${prefix}.conv1`, cin, cout, 3);
  h = conv(ctx, silu(ctx, norm(h, `${prefix}.norm2`, cout)), `${prefix}.conv2`, cout, cout, 3);
  const shortcut = cin === cout ? x : conv(ctx, x, `${prefix}.conv_shortcut`, cin, cout, 1);
  return ctx.g.op('Add', [shortcut, h], {}, `${prefix}.out`);
}

/** Single-head self-attention over the H·W positions, with GroupNorm pre-norm and a residual. */
export function attention(ctx: BuildContext, x: string, prefix: string, c: number, shape: string, n: string): string {
  const g = ctx.g;
  const seq = g.op('Transpose', [g.op('Reshape', [n, g.int64([1, c, -1])])], { perm: [0, 2, 1] }); // [1,HW,C]
  // q/k/v/out are Linear [C,C] (diffusers) or 1×1 convs [C,C,1,1] (BFL): same bytes, stored transposed.
  const lin = (name: string) => {
    const key = `${prefix}.${name}`;
    const w = ctx.weight(`${key}.weight`, ctx.shapeOf(`${key}.weight`).length === 4 ? [c, c, 1, 1] : [c, c], { transpose: true });
    return (input: string) => g.op('Add', [g.op('MatMul', [input, w]), ctx.weight(`${key}.bias`, [c])]);
  };
  const att = mha(ctx, lin('to_q')(seq), lin('to_k')(seq), lin('to_v')(seq), 1);
  const out = g.op('Transpose', [lin('to_out.0')(att)], { perm: [0, 2, 1] }); // [1,C,HW]
  return g.op('Add', [x, g.op('Reshape', [out, shape])], {}, `${prefix}.out`);
}

/** Reshape targets of the upsamplers for a latent of h×w. */
export function vaeAuxInputs(cfg: VaeConfig, h: number, w: number): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = { mid_shape: int64Tensor([1, cfg.upChannels[0], h, w]) };
  cfg.upChannels.forEach((_, i) => {
    out[`inv_hw_${i}`] = { type: 'float32', dims: [1], data: Float32Array.of(1 / (h * w * 4 ** i)) };
  });
  cfg.upChannels.slice(0, -1).forEach((c, i) => {
    out[`up_shape_${i}`] = int64Tensor([1, c, h * 2 ** (i + 1), w * 2 ** (i + 1)]);
  });
  return out;
}
