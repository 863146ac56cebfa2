// The manifest of a converted model (`weights/<model>/<precision>/manifest.json`): which family and variant it is,
// the precision, and per component its ONNX file, config, fp32 islands, parameter count and source provenance.
// The config is typed by family and component (a tagged union on `family`), so no use site casts it.
// It deliberately holds no conversion logic (inference/convert.ts writes it) and no graph code.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.ts';
import type { GraphOptions } from './models/blocks.ts';
import type { VaeEncoderManifest } from './convert-vae-encoder.ts';
import { DEFAULT_FAMILY, FAMILIES, type FamilyConfigs, type FamilyId } from './models/registry.ts';
import type { ComponentName, Precision } from './pipeline/types.ts';

export const MANIFEST_FORMAT = 'zimage-onnx/1';

export interface ComponentManifest<Config = FamilyConfigs[FamilyId][ComponentName]> {
  file: string;
  precision: Precision;
  /** ONNX dtype of the weights of the heavy work (bf16, fp16, fp32). */
  weightDtype: string;
  /** Why this precision was built. */
  reason: string;
  /** Parts deliberately kept in fp32, by name. */
  fp32Islands: string[];
  config: Config;
  parameters: number;
  source: {
    layout: string;
    files: { path: string; bytes: number; sha256: string }[];
    /**
     * What the source weights were stored as (absent in manifests written before it existed: float sources).
     * `quantised` with `note` when they were 8-bit or less: converting up restores nothing the file rounded away.
     */
    precision?: { label: string; quantised: boolean; dtypes: Record<string, number>; schemes: string[]; note?: string };
  };
  tensors: { initializers: number; sourceTensors: number; unused: string[]; ignored: number };
  opTypes: string[];
  weightBytes: number;
  /** The graph formulations built (absent in manifests written before they existed: the spelled-out forms). */
  graph?: GraphOptions;
  /** VAE only: the encoder graph (image input), from the same source files; absent for decoder-only VAE files. */
  encoder?: VaeEncoderManifest;
}

/** The components of one family's model, each config typed by its component. */
export type ComponentManifests<F extends FamilyId = FamilyId> = { [C in ComponentName]?: ComponentManifest<FamilyConfigs[F][C]> };

interface FamilyManifest<F extends FamilyId> {
  format: typeof MANIFEST_FORMAT;
  /** The model family (inference/models/registry.ts): which builders, constants and pipeline apply. */
  family: F;
  /** The family's variant (e.g. Z-Image "turbo"): the sampling defaults. Not detectable from weights: set at conversion. */
  variant: string;
  /**
   * The checkpoint's own scheduler settings, when its folder had a scheduler_config.json (its shift then wins over
   * the variant's); `variantFrom` says how the variant was chosen.
   */
  scheduler?: { shift: number; source: string };
  variantFrom?: 'requested' | 'scheduler config' | 'default';
  name: string;
  precision: Precision;
  tiny: boolean;
  /** Present on the embedded trained demo model (inference/demo-model.ts): its native size and what it is. */
  demo?: { nativeSize: number; about: string };
  createdAt: string;
  tokenizer?: string;
  components: ComponentManifests<F>;
}

/** A manifest of any family; narrow on `family` to get that family's configs. */
export type Manifest = { [F in FamilyId]: FamilyManifest<F> }[FamilyId];

/** Reads `<dir>/manifest.json`; manifests written before families existed are Z-Image's default variant. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) {
    throw new EngineError('model-not-converted', `${dir} has no manifest.json`, { hint: 'point --model at a converted folder (e.g. weights/tiny/fp32), made by `zimage convert`' });
  }
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Manifest>;
  if (m.format !== MANIFEST_FORMAT) throw new EngineError('model-bad-manifest', `${file} has format ${m.format}, expected ${MANIFEST_FORMAT}`, { hint: 'convert the model again with this version' });
  const family = m.family ?? DEFAULT_FAMILY;
  if (!(family in FAMILIES)) {
    throw new EngineError('model-bad-manifest', `${file} is of model family ${JSON.stringify(family)}, which this version does not know`, {
      hint: `known families: ${Object.keys(FAMILIES).join(', ')}; convert the model again with this version`,
    });
  }
  return { ...m, family, variant: m.variant ?? FAMILIES[family].defaultVariant } as Manifest;
}
