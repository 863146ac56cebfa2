// A back-of-envelope GPU memory estimate for one generation: weights at the chosen precision plus the peak activation
// of the heaviest phase. Deliberately an estimate shown as one (the runtime's arena, fused kernels and tiling change
// the real figure); the measured peak, when the engine reports it, replaces it on the result card. Z-Image's numbers
// come from inference/models/z-image-constants.ts (plain data, shared with the engine's registry).
import { Z_IMAGE_CONSTANTS, Z_IMAGE_TURBO_SHAPE } from '../inference/models/z-image-constants.ts';
import type { Precision } from '../inference/pipeline/types.ts';

const GiB = 1024 ** 3;

const BYTES_PER_PARAM: Record<Precision, number> = { bf16: 2, fp16: 2, 'fp16-safe': 2, fp32: 4 };

const { vaeFactor: VAE_FACTOR, patch: PATCH } = Z_IMAGE_CONSTANTS;
const { ditBlocks: DIT_BLOCKS, ditParamsPerDim2: DIT_PARAMS_PER_DIM2, headDim: HEAD_DIM } = Z_IMAGE_TURBO_SHAPE;
/** Caption tokens padded to a multiple of 32; a long prompt uses ~256. */
const CAPTION_TOKENS = 256;
/** The FLUX VAE decoder, whose peak is at its full-resolution channels. */
const { vaeDecoderParameters: VAE_REFERENCE_PARAMS, vaeFullResolutionChannels: VAE_FULL_CHANNELS } = Z_IMAGE_TURBO_SHAPE;
/** CUDA context, cuDNN/cuBLAS workspaces and the onnxruntime arena's slack. */
const RUNTIME_OVERHEAD = 0.75 * GiB;

export interface VramEstimate {
  weightsBytes: number;
  activationBytes: number;
  overheadBytes: number;
  totalBytes: number;
}

export interface ModelParameters {
  dit: number;
  te: number;
  vae: number;
}

export function estimateVram(
  parameters: ModelParameters,
  precision: Precision,
  width: number,
  height: number,
  device: 'cpu' | 'cuda' = 'cuda',
): VramEstimate {
  const bytes = BYTES_PER_PARAM[precision];
  // The VAE stays fp32 like the reference; the text encoder and DiT take the chosen precision.
  const weightsBytes = (parameters.dit + parameters.te) * bytes + parameters.vae * 4;

  // DiT: the model width follows from its parameter count; sequence = image patches (2×2 on the 1/8 latent) + caption.
  const dim = Math.sqrt(parameters.dit / (DIT_BLOCKS * DIT_PARAMS_PER_DIM2));
  const heads = Math.max(1, Math.round(dim / HEAD_DIM));
  const tokenSide = VAE_FACTOR * PATCH;
  const tokens = (width / tokenSide) * (height / tokenSide) + CAPTION_TOKENS;
  // Residual + q,k,v,out (5·S·dim) and SwiGLU's two 8/3·dim halves (~5.3·S·dim), plus unfused scores [heads, S, S].
  const ditActivations = (10.3 * tokens * dim + heads * tokens * tokens) * bytes;

  // VAE decoder in fp32: three 128-channel full-resolution maps at the last stage, plus the mid-block attention
  // scores over the 1/8 grid [S_lat, S_lat]. Channel widths scale with √parameters for smaller test VAEs.
  const vaeWidth = Math.min(1, Math.sqrt(parameters.vae / VAE_REFERENCE_PARAMS));
  const latentTokens = (width / VAE_FACTOR) * (height / VAE_FACTOR);
  const vaeActivations = (3 * width * height * VAE_FULL_CHANNELS * vaeWidth + latentTokens * latentTokens) * 4;

  // Phases run one after another, so the peak is the larger of the two, not the sum.
  const activationBytes = Math.max(ditActivations, vaeActivations);
  const overheadBytes = device === 'cuda' ? RUNTIME_OVERHEAD : 0;
  return { weightsBytes, activationBytes, overheadBytes, totalBytes: weightsBytes + activationBytes + overheadBytes };
}

export function formatGiB(bytes: number): string {
  const gib = bytes / GiB;
  return gib >= 10 ? `${gib.toFixed(0)} GiB` : gib >= 0.1 ? `${gib.toFixed(1)} GiB` : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MiB`;
}
