// The VAE encoder's part of a conversion: `vae-encoder.onnx` built from the same VAE source as the decoder, in the
// same precision, recorded under the VAE's manifest entry (`components.vae.encoder`) so the manifest keeps three
// components (the VAE is one model, as diffusers' AutoencoderKL) and the audit and census read both of its graphs.
// It deliberately converts nothing when the VAE file has no encoder (decoder-only files): such a model generates
// from text but refuses image input with a message saying to convert the full VAE.
import path from 'node:path';
import { Graph } from './onnx/graph.ts';
import { BuildContext, precisionPlan } from './models/blocks.ts';
import type { VaeConfig } from './models/flux-vae.ts';
import { buildVaeEncoder, detectVaeEncoderConfig, hasVaeEncoder, vaeEncoderKeyTable, vaeEncoderParameterCount, type VaeEncoderConfig } from './models/flux-vae-encoder.ts';
import { VAE_OPSET } from './models/flux-vae.ts';
import type { Checkpoint } from './safetensors.ts';
import type { Precision } from './pipeline/types.ts';

export const VAE_ENCODER_FILE = 'vae-encoder.onnx';

/** What the manifest records of the encoder graph (the decoder's entry holds the source files and their hashes). */
export interface VaeEncoderManifest {
  file: string;
  config: VaeEncoderConfig;
  parameters: number;
  fp32Islands: string[];
  tensors: { initializers: number; unused: string[] };
  opTypes: string[];
  weightBytes: number;
}

export const VAE_ENCODER_ISLANDS = ['image in', 'GroupNorm statistics', 'posterior mean and log-variance out', 'latent scaling ((z − shift)·scale)'];

/** Builds and writes the encoder into `dir` (the conversion's temporary folder); undefined when the file has none. */
export function convertVaeEncoder(ckpt: Checkpoint, decoder: VaeConfig, precision: Precision, dir: string,
  log: (line: string) => void): VaeEncoderManifest | undefined {
  if (!hasVaeEncoder(ckpt)) {
    log(`[vae] no (complete) encoder in the VAE file: image input (img2img, inpainting) will be unavailable for this model`);
    return undefined;
  }
  const table = vaeEncoderKeyTable(ckpt);
  const g = new Graph('zimage-vae-encoder', VAE_OPSET);
  const ctx = new BuildContext(g, ckpt, table, precisionPlan(precision));
  const config = detectVaeEncoderConfig(ckpt, table, decoder);
  buildVaeEncoder(ctx, config);
  log(`[vae] encoder: ${ctx.used.size} tensors → ${VAE_ENCODER_FILE} (${precision})`);
  const { bytes } = g.write(path.join(dir, VAE_ENCODER_FILE));
  const unused = ctx.unused();
  if (unused.length) log(`[vae] encoder: unused tensors (${unused.length}): ${unused.slice(0, 5).join(', ')}`);
  return {
    file: VAE_ENCODER_FILE, config, parameters: vaeEncoderParameterCount(config),
    fp32Islands: precision === 'fp32' ? [] : VAE_ENCODER_ISLANDS,
    tensors: { initializers: g.weights.length, unused }, opTypes: [...g.opTypes].sort(), weightBytes: bytes,
  };
}
