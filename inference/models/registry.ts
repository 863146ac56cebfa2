// The registry of model families: per family, in one entry, how each component's file is recognised, its key table,
// config detection, graph builder, fp32 islands and parameter count, the family's sampling constants (latent
// channels and VAE factor from z-image-constants.ts, which the browser shares; schedule shift, model time),
// its variants, and which pipeline runs it. The converter, the pipeline and the studio look families up here instead
// of branching on them.
// It deliberately holds no graph code of its own: the builders live in one file per model (z-image-dit.ts, …).
import type { Checkpoint } from '../safetensors.ts';
import type { ComponentName } from '../pipeline/types.ts';
import { modelTime } from '../sampling/scheduler.ts';
import type { BuildContext, KeyTable } from './blocks.ts';
import { buildVaeDecoder, detectVaeConfig, VAE_OPSET, vaeDecoderParameterCount, vaeKeyTable, type VaeConfig } from './flux-vae.ts';
import { buildQwen3, detectQwen3Config, qwen3KeyTable, qwen3ParameterCount, type Qwen3Config } from './qwen3-encoder.ts';
import { buildDit, detectDitConfig, ditKeyTable, ditParameterCount, type DitConfig } from './z-image-dit.ts';
import { Z_IMAGE_VARIANTS, type VariantSpec } from './variants.ts';
import { Z_IMAGE_CONSTANTS } from './z-image-constants.ts';

/** Per family, the config type of each component: what the manifest's `config` holds (inference/manifest.ts). */
export interface FamilyConfigs {
  'z-image': { te: Qwen3Config; dit: DitConfig; vae: VaeConfig };
}

export type FamilyId = keyof FamilyConfigs;

/** One component of a family: everything the converter needs to turn a checkpoint into its ONNX graph. */
export interface ComponentSpec<Config> {
  /** What it is, for messages ("Z-Image DiT"). */
  label: string;
  /** Its folder in a diffusers model folder. */
  diffusersFolder: string;
  /** Whether a single file with these tensor keys is this component (shapes are checked later, by the key table). */
  claims(keys: readonly string[]): boolean;
  /** The source layout, for the manifest ("single-file (ComfyUI)"). */
  layout(keys: readonly string[]): string;
  keyTable(ckpt: Checkpoint): KeyTable;
  detectConfig(ckpt: Checkpoint, table: KeyTable, configJson?: string): Config;
  build(ctx: BuildContext, config: Config): void;
  parameters(config: Config): number;
  /** The parts built in fp32 in every other precision, by name. */
  islands: string[];
  /** ONNX opset of its graph (default: the graph writer's). */
  opset?: number;
}

/** A variant of a family: weights of the same architecture made for other sampling settings (models/variants.ts). */
export type { VariantSpec };

export interface FamilySpec<F extends FamilyId> {
  id: F;
  label: string;
  components: { [C in ComponentName]: ComponentSpec<FamilyConfigs[F][C]> };
  /** Latent channels the DiT and the VAE exchange. */
  latentChannels: number;
  /** Image pixels per latent pixel, per side. */
  vaeFactor: number;
  /** The flow-match schedule's shift of the default variant (a variant's own, or its checkpoint's, comes first). */
  shift: number;
  /** The time the denoiser receives for noise level σ. */
  modelTime(sigma: number): number;
  variants: Record<string, VariantSpec>;
  defaultVariant: string;
  /** Which pipeline runs it (inference/pipeline/index.ts maps the name to the class). */
  pipeline: 'z-image';
}

const Z_IMAGE: FamilySpec<'z-image'> = {
  id: 'z-image',
  label: 'Z-Image',
  components: {
    dit: {
      label: 'Z-Image DiT',
      diffusersFolder: 'transformer',
      claims: (keys) => keys.some((k) => /(^|\.)(all_)?x_embedder(\.2-1)?\.weight$/.test(k)) && keys.some((k) => /cap_embedder/.test(k)),
      layout: (keys) => (keys.some((k) => k.endsWith('attention.qkv.weight')) ? 'single-file (ComfyUI)' : 'single-file'),
      keyTable: ditKeyTable,
      detectConfig: detectDitConfig,
      build: buildDit,
      parameters: ditParameterCount,
      islands: ['timestep sinusoid (t_embedder input)', 'RoPE tables (computed in fp32)', 'RMSNorm statistics (stash_type 1)', 'latents in and velocity out'],
    },
    te: {
      label: 'Qwen3 text encoder',
      diffusersFolder: 'text_encoder',
      claims: (keys) => keys.some((k) => /(^|\.)embed_tokens\.weight$/.test(k)),
      layout: () => 'single-file',
      keyTable: qwen3KeyTable,
      detectConfig: detectQwen3Config,
      build: buildQwen3,
      parameters: (config) => qwen3ParameterCount(config),
      islands: ['RoPE tables and rotation', 'RMSNorm statistics (stash_type 1)', 'features out'],
    },
    vae: {
      label: 'FLUX VAE',
      diffusersFolder: 'vae',
      claims: (keys) => keys.some((k) => /(^|\.)decoder\.conv_in\.weight$/.test(k)),
      layout: () => 'single-file',
      keyTable: vaeKeyTable,
      detectConfig: detectVaeConfig,
      build: buildVaeDecoder,
      parameters: vaeDecoderParameterCount,
      islands: ['latent un-scaling (z/scale + shift)', 'GroupNorm statistics (stash_type 1)', 'image out'],
      opset: VAE_OPSET,
    },
  },
  latentChannels: Z_IMAGE_CONSTANTS.latentChannels,
  vaeFactor: Z_IMAGE_CONSTANTS.vaeFactor,
  shift: 3,
  modelTime,
  variants: Z_IMAGE_VARIANTS,
  defaultVariant: 'turbo',
  pipeline: 'z-image',
};

export const FAMILIES: { [F in FamilyId]: FamilySpec<F> } = { 'z-image': Z_IMAGE };

/** The family of manifests and models that name none (converted before families existed). */
export const DEFAULT_FAMILY: FamilyId = 'z-image';

export function familySpec<F extends FamilyId>(id: F): FamilySpec<F> {
  return FAMILIES[id];
}
