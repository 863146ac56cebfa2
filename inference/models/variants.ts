// The variants of the Z-Image family: weights of one architecture made for different sampling, each with the
// defaults its reference pipeline uses, the presets the studio offers and the bands its advice is given in.
//   turbo  Z-Image-Turbo, distilled: 8 steps, CFG off (one DiT pass per step), shift 3 (its scheduler_config.json).
//   base   Z-Image, the non-distilled release (2026-01): 28–50 steps, guidance 3–5 in the reference's convention
//          (pred = pos + w·(pos − neg), i.e. classic CFG 1 + w), the negative prompt matters, shift 6 (its
//          scheduler_config.json), CFG normalisation (cap ‖pred‖ at k·‖pos‖) recommended for realism.
// Pure data, no imports with side effects: the browser reads it too (presets and hints follow the loaded variant).
// It deliberately holds no graph or file knowledge (models/registry.ts).

/** A studio preset: steps and classic CFG with a one-line why. */
export interface VariantPreset {
  id: string;
  label: string;
  steps: number;
  cfg: number;
  description: string;
}

export interface VariantSpec {
  label: string;
  /** Defaults the variant was made for. `cfg` is classic (1 = off; the reference's w is cfg − 1). */
  steps: number;
  cfg: number;
  /** Steps the variant is made for, [from, to]: advice outside it says so. */
  stepRange: [number, number];
  /** Classic CFG range the variant is made for. */
  cfgRange: [number, number];
  /** The flow-match shift of its scheduler_config.json (used when a converted model records none). */
  shift: number;
  /** CFG normalisation k by default (0 = off): the guided output's norm is capped at k·‖pos‖. */
  cfgNormalization: number;
  /** Whether the negative prompt takes part by default (CFG on). */
  negativePrompt: boolean;
  presets: VariantPreset[];
}

export const Z_IMAGE_VARIANTS = {
  turbo: {
    label: 'Turbo (distilled: 8 steps, CFG off)',
    steps: 8,
    cfg: 1,
    stepRange: [8, 12],
    cfgRange: [1, 3],
    shift: 3,
    cfgNormalization: 0,
    negativePrompt: false,
    presets: [
      { id: 'turbo-default', label: 'Z-Image-Turbo default', steps: 8, cfg: 1, description: '8 steps, CFG off: what the model was distilled for.' },
      { id: 'realistic-portrait', label: 'Realistic portrait', steps: 12, cfg: 2, description: '12 steps, CFG 2: finer skin and hair, follows the negative prompt; about 3× the time.' },
    ],
  },
  base: {
    label: 'Base (not distilled: 28–50 steps, CFG on)',
    steps: 50,
    cfg: 5,
    stepRange: [28, 50],
    cfgRange: [4, 6],
    shift: 6,
    cfgNormalization: 1,
    negativePrompt: true,
    presets: [
      { id: 'base-default', label: 'Z-Image default', steps: 50, cfg: 5, description: '50 steps, CFG 5 (the reference\'s guidance 4), negative prompt on: the reference settings.' },
      { id: 'base-fast', label: 'Z-Image faster', steps: 28, cfg: 5, description: '28 steps, CFG 5: the low end of the recommended 28–50, about half the time.' },
    ],
  },
} satisfies Record<string, VariantSpec>;

export type ZImageVariant = keyof typeof Z_IMAGE_VARIANTS;

/** The spec of a variant id, the default (turbo) for an unknown one (models converted before variants existed). */
export function variantSpec(id: string | undefined): VariantSpec {
  return (Z_IMAGE_VARIANTS as Record<string, VariantSpec>)[id ?? 'turbo'] ?? Z_IMAGE_VARIANTS.turbo;
}

/**
 * Which variant a diffusers scheduler_config.json belongs to, by its shift (Turbo ships 3.0, Z-Image 6.0), or
 * undefined when the shift matches none.
 */
export function variantForShift(shift: number): ZImageVariant | undefined {
  return (Object.keys(Z_IMAGE_VARIANTS) as ZImageVariant[]).find((v) => Z_IMAGE_VARIANTS[v].shift === shift);
}
