// The FLUX.1 16-channel VAE encoder (diffusers AutoencoderKL.encode, no quant_conv), from the same checkpoint files
// as the decoder (diffusers `vae/` and BFL/ComfyUI `ae.safetensors`, whose `encoder.*` keys the decoder skips):
// image [1,3,H,W] fp32 in [−1,1] → the posterior's mean and log-variance [1,16,H/8,W/8] fp32, plus the pipeline
// latents `(mean − shift)·scale` computed in fp32 inside the graph (the inverse of the decoder's un-scaling).
// The blocks (conv, GroupNorm, resnet, mid-block attention) are the decoder's, from flux-vae.ts.
// It deliberately draws no posterior sample (the host does, from the torch-compatible generator: see
// pipeline/image-latents.ts) and does not tile (pipeline/tiled-encode.ts cuts the image).
import { EngineError } from '../errors.ts';
import { ElemType } from '../onnx/graph.ts';
import type { Checkpoint } from '../safetensors.ts';
import { int64Tensor, type HostTensor } from '../tensor.ts';
import { BuildContext, f32Input, int64Input, silu, type KeyTable } from './blocks.ts';
import { attention, conv, groupNorm, resnet, type VaeConfig } from './flux-vae.ts';

export interface VaeEncoderConfig {
  /** Image channels in (3). */
  inChannels: number;
  latentChannels: number;
  /** Encoder widths per down block, in encoder order (e.g. [128,256,512,512]). */
  downChannels: number[];
  /** Resnets per down block (layers_per_block). */
  resnetsPerBlock: number;
  groups: number;
  eps: number;
  scalingFactor: number;
  shiftFactor: number;
}

const PREFIXES = ['first_stage_model.', 'vae.'];

/**
 * Whether a VAE checkpoint carries an encoder: its first and last convs and a mid block (decoder-only VAE files
 * have none; a stray key or two is not an encoder). A file that passes this and still lacks a tensor fails the
 * conversion with that tensor's name.
 */
export function hasVaeEncoder(ckpt: Checkpoint): boolean {
  const keys = ckpt.keys();
  return [/(^|\.)encoder\.conv_in\.weight$/, /(^|\.)encoder\.conv_out\.weight$/, /(^|\.)encoder\.mid(_block)?\./].every((re) => keys.some((k) => re.test(k)));
}

/** diffusers names for the encoder; BFL names (`encoder.down.1.block.0`, `encoder.mid.attn_1.q`) are renamed here. */
export function vaeEncoderKeyTable(ckpt: Checkpoint): KeyTable {
  const sources = new Map<string, { key: string }>();
  const ignored: string[] = [];
  const stripped = (k: string) => PREFIXES.reduce((s, p) => (s.startsWith(p) ? s.slice(p.length) : s), k);
  for (const key of ckpt.keys()) {
    let k = stripped(key);
    if (!k.startsWith('encoder.')) { ignored.push(key); continue; }
    // BFL's encoder counts down blocks in the same order as diffusers (down.0 is the full-resolution block).
    k = k
      .replace(/^encoder\.mid\.block_(\d)\./, (_, n) => `encoder.mid_block.resnets.${Number(n) - 1}.`)
      .replace(/^encoder\.mid\.attn_1\.norm\./, 'encoder.mid_block.attentions.0.group_norm.')
      .replace(/^encoder\.mid\.attn_1\.(q|k|v)\./, 'encoder.mid_block.attentions.0.to_$1.')
      .replace(/^encoder\.mid\.attn_1\.proj_out\./, 'encoder.mid_block.attentions.0.to_out.0.')
      .replace(/^encoder\.down\.(\d+)\.block\.(\d+)\./, 'encoder.down_blocks.$1.resnets.$2.')
      .replace(/^encoder\.down\.(\d+)\.downsample\.conv\./, 'encoder.down_blocks.$1.downsamplers.0.conv.')
      .replace(/^encoder\.norm_out\./, 'encoder.conv_norm_out.')
      .replace(/\.nin_shortcut\./, '.conv_shortcut.');
    sources.set(k, { key });
  }
  return { sources, ignored };
}

/** Encoder shapes from the header; scaling and shift are the decoder's (same config.json, same defaults). */
export function detectVaeEncoderConfig(ckpt: Checkpoint, table: KeyTable, decoder: Pick<VaeConfig, 'scalingFactor' | 'shiftFactor'>): VaeEncoderConfig {
  const shape = (key: string) => {
    const s = table.sources.get(key);
    if (!s) {
      throw new EngineError('convert-not-vae', `no ${key} in the checkpoint: this VAE file has no (complete) encoder`, {
        hint: 'pass the full FLUX.1 VAE (diffusers vae/ folder or ae.safetensors); decoder-only files cannot take images in',
      });
    }
    return ckpt.get(s.key).shape;
  };
  const [c0, inChannels] = shape('encoder.conv_in.weight');
  const downChannels: number[] = [];
  let resnetsPerBlock = 0;
  for (let i = 0; table.sources.has(`encoder.down_blocks.${i}.resnets.0.conv1.weight`); i++) {
    downChannels.push(shape(`encoder.down_blocks.${i}.resnets.0.conv1.weight`)[0]);
    let j = 0;
    while (table.sources.has(`encoder.down_blocks.${i}.resnets.${j}.conv1.weight`)) j++;
    resnetsPerBlock = j;
  }
  if (!downChannels.length) throw new EngineError('convert-not-vae', 'the VAE encoder has no down blocks');
  if (downChannels[0] !== c0) throw new EngineError('convert-shape-mismatch', `encoder.conv_in gives ${c0} channels but down block 0 reads ${downChannels[0]}`);
  const out = shape('encoder.conv_out.weight')[0];
  if (out % 2) throw new EngineError('convert-shape-mismatch', `encoder.conv_out has ${out} channels; a KL VAE has 2 × latent channels (mean, log-variance)`);
  return { inChannels, latentChannels: out / 2, downChannels, resnetsPerBlock, groups: 32, eps: 1e-6, scalingFactor: decoder.scalingFactor, shiftFactor: decoder.shiftFactor };
}

export function vaeEncoderParameterCount(cfg: VaeEncoderConfig): number {
  const conv = (i: number, o: number, k: number) => i * o * k * k + o;
  const norm = (c: number) => 2 * c;
  const res = (i: number, o: number) => norm(i) + conv(i, o, 3) + norm(o) + conv(o, o, 3) + (i === o ? 0 : conv(i, o, 1));
  let n = conv(cfg.inChannels, cfg.downChannels[0], 3);
  let prev = cfg.downChannels[0];
  cfg.downChannels.forEach((c, i) => {
    for (let j = 0; j < cfg.resnetsPerBlock; j++) n += res(j === 0 ? prev : c, c);
    if (i < cfg.downChannels.length - 1) n += conv(c, c, 3);
    prev = c;
  });
  return n + 2 * res(prev, prev) + norm(prev) + 4 * (prev * prev + prev) + norm(prev) + conv(prev, 2 * cfg.latentChannels, 3);
}

/** Pixels per latent pixel: the encoder halves the size in every down block but the last. */
export function vaeEncoderFactor(cfg: VaeEncoderConfig): number {
  return 2 ** (cfg.downChannels.length - 1);
}

export function buildVaeEncoder(ctx: BuildContext, cfg: VaeEncoderConfig): void {
  const g = ctx.g;
  const image = f32Input(g, 'image', [1, cfg.inChannels, 'H', 'W']);
  const midShape = int64Input(g, 'mid_shape', 4);
  const levels = cfg.downChannels.length;
  // 1/(H·W) per resolution level (level i is H/2^i × W/2^i), for the folded GroupNorm as in the decoder.
  const invHw = cfg.downChannels.map((_, i) => f32Input(g, `inv_hw_${i}`, [1]));
  const norm = (h: string, prefix: string, c: number, level: number) => groupNorm(ctx, cfg, h, prefix, c, invHw[level]);
  let x = ctx.compute === 'F32' ? image : ctx.cast(image, ctx.compute);
  x = conv(ctx, x, 'encoder.conv_in', cfg.inChannels, cfg.downChannels[0], 3);
  let prev = cfg.downChannels[0];
  cfg.downChannels.forEach((c, i) => {
    for (let j = 0; j < cfg.resnetsPerBlock; j++) x = resnet(ctx, x, `encoder.down_blocks.${i}.resnets.${j}`, j === 0 ? prev : c, c, (h, p, ch) => norm(h, p, ch, i));
    if (i < levels - 1) x = downsample(ctx, x, `encoder.down_blocks.${i}.downsamplers.0.conv`, c);
    prev = c;
  });
  const last = levels - 1;
  x = resnet(ctx, x, 'encoder.mid_block.resnets.0', prev, prev, (h, p, c) => norm(h, p, c, last));
  x = attention(ctx, x, 'encoder.mid_block.attentions.0', prev, midShape, norm(x, 'encoder.mid_block.attentions.0.group_norm', prev, last));
  x = resnet(ctx, x, 'encoder.mid_block.resnets.1', prev, prev, (h, p, c) => norm(h, p, c, last));
  x = silu(ctx, norm(x, 'encoder.conv_norm_out', prev, last));
  x = conv(ctx, x, 'encoder.conv_out', prev, 2 * cfg.latentChannels, 3); // [1, 2·16, h, w]: mean ‖ log-variance
  if (ctx.compute !== 'F32') x = ctx.cast(x, 'F32');
  const C = cfg.latentChannels;
  const mean = g.op('Slice', [x, g.int64([0]), g.int64([C]), g.int64([1])]);
  const logvar = g.op('Slice', [x, g.int64([C]), g.int64([2 * C]), g.int64([1])]);
  // the pipeline's scaling, fp32 as diffusers' (image_latents − shift_factor) · scaling_factor
  const latents = g.op('Mul', [g.op('Sub', [mean, g.scalar(cfg.shiftFactor, ElemType.FLOAT)]), g.scalar(cfg.scalingFactor, ElemType.FLOAT)]);
  g.output(latents, 'latents', ElemType.FLOAT, [1, C, 'h', 'w']);
  g.output(mean, 'mean', ElemType.FLOAT, [1, C, 'h', 'w']);
  g.output(logvar, 'logvar', ElemType.FLOAT, [1, C, 'h', 'w']);
}

/** diffusers Downsample2D(padding=0) / BFL Downsample: pad right and bottom by one zero, 3×3 conv with stride 2. */
function downsample(ctx: BuildContext, x: string, prefix: string, c: number): string {
  const w = ctx.weight(`${prefix}.weight`, [c, c, 3, 3]);
  const b = ctx.weight(`${prefix}.bias`, [c]);
  return ctx.g.op('Conv', [x, w, b], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] }, prefix);
}

/** The encoder's host inputs for an image of H×W pixels (both multiples of the encoder factor). */
export function vaeEncoderAuxInputs(cfg: VaeEncoderConfig, H: number, W: number): Record<string, HostTensor> {
  const f = vaeEncoderFactor(cfg);
  const out: Record<string, HostTensor> = { mid_shape: int64Tensor([1, cfg.downChannels.at(-1)!, H / f, W / f]) };
  cfg.downChannels.forEach((_, i) => {
    out[`inv_hw_${i}`] = { type: 'float32', dims: [1], data: Float32Array.of(1 / ((H / 2 ** i) * (W / 2 ** i))) };
  });
  return out;
}
