// The pipeline's plain-data contract: what a caller (CLI, studio adapter, queue worker) passes in and gets back.
// Deliberately holds no onnxruntime types: sessions and tensors never leave inference/. The evidence types it names
// (health, audit, census) are defined beside the code that computes them and imported here as types only.
import type { ModelAudit } from '../audit.ts';
import type { Census, Verdict } from '../runtime/census.ts';
import type { Health } from './health.ts';
import type { FamilyId } from '../models/registry.ts';

/** Precisions a converted model can be built in (see precisionPlan in inference/models/blocks.ts for what each one means). */
export const PRECISIONS = ['bf16', 'fp16', 'fp16-safe', 'fp32'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Execution providers the runtime knows. bf16 graphs run only on 'cuda'. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export type ComponentName = 'te' | 'dit' | 'vae';

export interface GenerateRequest {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  /** Classic CFG (ComfyUI/A1111): 1 = off. The reference's w is cfg − 1. */
  cfg: number;
  width: number;
  height: number;
  /** Seed of torch.manual_seed; the initial noise is torch.randn(1,16,h/8,w/8) on the CPU generator. */
  seed: number;
  precision: Precision;
  ep: ExecutionProvider;
  /** Optional initial latents [1,16,h/8,w/8] (overrides the seed's noise). */
  latents?: Float32Array;
  /** Force tiled VAE decoding. */
  tiledVae?: boolean;
  /** CFG truncation (reference convention): guidance is off at steps where t = 1 − σ exceeds it. Default 1. */
  cfgTruncation?: number;
  /** CFG normalization k > 0: the guided output's norm is capped at k·‖pos‖. Off when absent or 0. */
  cfgNormalization?: number;
  /** LoRAs merged into the DiT for this request, in order (at most 8; weight 0 = not applied). */
  loras?: LoraRequest[];
  /** Image to image / inpainting (pipeline/image-to-image.ts): the source pixels, the strength, an optional mask. */
  image?: ImageInput;
  /** Hires fix: the result upscaled in pixels (Lanczos-3) by `scale`, then image-to-image at `strength`. */
  hires?: HiresOptions;
}

/** At most this many LoRAs stack in one request; weights go from −LORA_WEIGHT_LIMIT to LORA_WEIGHT_LIMIT. */
export const MAX_LORAS = 8;
export const LORA_WEIGHT_LIMIT = 10;

/** One LoRA of a request's stack. */
export interface LoraRequest {
  /** Path under WEIGHTS_DIR/loras without .safetensors (e.g. "style/film-grain"). */
  name: string;
  weight: number;
  /** sha256 of the file, filled in when the stack is resolved (a file changed since then is refused). */
  sha256?: string;
  /** An explicit file (the CLI's --lora FILE); requests from the studio name files under the LoRA folder only. */
  file?: string;
}

/** A source image for image-to-image, as diffusers' ZImageImg2ImgPipeline / ZImageInpaintPipeline take it. */
export interface ImageInput {
  /** RGB8 [height, width, 3], row-major: the request's width×height (any size with onlyMasked). */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** In (0, 1]: the last ⌈steps·strength⌉ steps run, from the encoded image noised to that step's σ. */
  strength: number;
  /** gray8 [height, width], 255 = repaint (inpainting); absent: image-to-image of the whole image. */
  mask?: Uint8Array;
  /** Gaussian blur of the mask in pixels (A1111 mask_blur, default 4); the paste-back uses the blurred mask. */
  maskBlur?: number;
  /** A1111 inpaint_full_res: work on the box around the mask (+ padding) at the request size, paste it back. */
  onlyMasked?: { padding: number };
  /**
   * The VAE posterior: 'mode' (its mean, the default; then strength 1 is the text-to-image result of the seed) or
   * 'sample' (diffusers' retrieve_latents default: mean + std·ε, ε drawn from the seed's generator before the noise,
   * so the noise is the generator's second draw).
   */
  posterior?: 'mode' | 'sample';
  /** Where the source came from (recorded; the share page shows it): a stored upload or result. */
  sourceRef?: { kind: 'upload' | 'result'; id: string };
  /** sha256 of the uploaded source file and mask, recorded with the result. */
  sourceHash?: string;
  maskHash?: string;
}

/** What a result records of its image input (no pixels). */
export type ImageSettings = Omit<ImageInput, 'rgb' | 'mask'> & { masked: boolean; posterior: 'mode' | 'sample' };

export interface HiresOptions {
  /** Upscale factor, 1.25 to 2 (the size is rounded to the multiple of 16). */
  scale: number;
  /** Denoising strength of the second pass, (0, 1] (A1111's default 0.7; lower keeps more of the first pass). */
  strength: number;
  /** Steps of the second pass's schedule (default: the request's steps). */
  steps?: number;
}

/** The request as a result records it: no latents, the image input as its settings and hashes. */
export type RecordedRequest = Omit<GenerateRequest, 'latents' | 'image'> & { image?: ImageSettings };

export interface ProgressEvent {
  phase: 'validate' | 'tokenize' | 'encode' | 'noise' | 'image' | 'denoise' | 'decode' | 'png' | 'hires';
  /** 1-based step during 'denoise'. */
  step?: number;
  totalSteps?: number;
  elapsedMs: number;
  /** Estimated time to the end of the generation, when known; it includes the decode once one was measured. */
  etaMs?: number;
  /** true: etaMs leaves out the decode (none measured yet in this pipeline), so the real end is later. */
  etaWithoutDecode?: boolean;
  /** true: the phase has just begun (only the decode says so: it is long, 2–3 s at 1024² on the CPU). */
  started?: boolean;
}

export interface ComponentRunInfo {
  component: ComponentName;
  precision: Precision;
  ep: ExecutionProvider;
  /** Why this precision (e.g. "requested", "VAE kept fp32 like the reference"). */
  reason: string;
  /**
   * What the converted weights were stored as in the source file (e.g. "FP8 (F8_E4M3)", "GGUF Q4_K + Q6_K"), and for
   * 8-bit or smaller sources the note that converting up restored nothing. Absent for models converted before.
   */
  source?: { label: string; quantised: boolean; note?: string };
}

export interface GenerateResult {
  /** RGB, 8 bits per channel, row-major, width*height*3 bytes. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** PNG file bytes, with the A1111 `parameters` chunk and our JSON chunk. */
  png: Uint8Array;
  request: RecordedRequest;
  model: { id: string; name: string };
  components: ComponentRunInfo[];
  /** Milliseconds per phase. */
  timings: Record<string, number>;
  /** Prompt tokens used and whether the prompt was cut at the 512-token limit. */
  tokens: { count: number; truncated: boolean };
  /** Whether the VAE decoded in tiles (forced, or because the whole decode would not fit). */
  vae: { tiled: boolean };
  /** 'sequential': components were loaded one at a time (low memory), same precision. */
  residency: 'resident' | 'sequential';
  /** NaN/Inf per step, early stop, black/flat image check, and a one-line summary when something went wrong. */
  health: Health;
  /** The load-time audit of the model that ran (weights dtype, compute dtype, fp32 parts per component). */
  audit: ModelAudit;
  /** The dtype census from onnxruntime's profile of these sessions (see RunCensus.scope). */
  census?: RunCensus;
  /** The LoRA stack that ran: each file's hash and what it changed (absent without LoRAs). */
  loras?: LoraEvidence[];
  /** GPU memory sampled during the run (absent on the CPU). */
  memory?: { peakMiB: number; afterMiB: number; totalMiB: number; scope: 'process' | 'device'; samples: number };
}

/** One LoRA of the stack that ran (the evidence panel's line): its file's hash and the layers it changed. */
export interface LoraEvidence {
  name: string;
  weight: number;
  sha256: string;
  formats: string[];
  modules: number;
  /** Layers changed, block numbers as `*`: e.g. { "layers.*.attention.to_q": 30 }. */
  layers: Record<string, number>;
}

/** The dtype census of a generation, and whether it was measured on that generation or on the sessions' first. */
export interface RunCensus {
  scope: 'this generation' | 'first generation of these sessions';
  generation: number;
  /** Set when the text features were cached: the text encoder's part comes from that earlier generation. */
  textEncoderFrom?: number;
  merged: Census;
  verdict: Verdict;
}

/**
 * A converted model on disk: `weights/<model>/<precision>/manifest.json` plus the ONNX files beside it.
 * One model folder may hold several precisions (one `zimage convert` run each).
 */
export interface ModelEntry {
  /** Folder name under weights/, e.g. "tiny" or "z-image-turbo". */
  id: string;
  /** Human name from the manifest (e.g. "Z-Image-Turbo", "tiny random-weights demo"). */
  name: string;
  /** The model family and variant from the manifest (inference/models/registry.ts), e.g. "z-image" / "turbo". */
  family: FamilyId;
  variant: string;
  /** Absolute path of the model folder. */
  dir: string;
  /** Precisions converted and present on disk. */
  precisions: Precision[];
  /** True for the embedded tiny random-weights demo model. */
  tiny: boolean;
  /** Set for the embedded trained demo model (inference/demo-model.ts): its native size and what it is. */
  demo?: { nativeSize: number; about: string };
  /** DiT parameter count, for VRAM estimates. */
  parameters: { dit: number; te: number; vae: number };
}

export interface SystemInfo {
  node: string;
  onnxruntime: string;
  /** EPs that onnxruntime-node can load on this machine (cpu always). */
  eps: ExecutionProvider[];
  /** Precisions this machine can run, and for the others why not. */
  precisions: { precision: Precision; available: boolean; reason?: string }[];
  gpu?: { name: string; memoryTotalMiB: number; driver: string; cuda: string; computeCapability: string };
}

export interface GenerateOptions {
  onProgress?: (event: ProgressEvent) => void;
  /**
   * After each denoising step (before its progress event): the model's estimate of the clean latents,
   * x0 = z + σ·v, [1,16,h,w] in the DiT's latent space; for live previews. Not called when absent.
   */
  onDenoised?: (x0: Float32Array, h: number, w: number, step: number) => void;
  signal?: AbortSignal;
}
