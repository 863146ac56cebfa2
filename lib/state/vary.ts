// The requests behind "Vary" and "Upscale" on a result card: image to image of the stored result with its own
// prompt, model and precision. Vary: strength 0.35 (subtle) or 0.7 (strong) with a new seed. Upscale: the result's
// pixels enlarged ×1.5 (Lanczos, rounded to multiples of 16, at most 2048) and refined at strength 0.35 with its own
// seed — the hires fix applied afterwards. Deliberately pure: the store sends them.
import { SIZE_LIMITS, type GenerationParamsInput } from '../params.ts';
import type { ResultRecord } from '../results.ts';

export const VARY_STRENGTH = { subtle: 0.35, strong: 0.7 } as const;
export const UPSCALE = { scale: 1.5, strength: 0.35 } as const;

function base(record: ResultRecord): GenerationParamsInput {
  const r = record.request;
  return { prompt: r.prompt, negativePrompt: r.negativePrompt ?? '', steps: r.steps, cfg: r.cfg, width: r.width, height: r.height, seed: r.seed, precision: r.precision, model: record.model.id };
}

/** The result's actual pixel size (a hires or "only masked" result differs from its request's size). */
function imageSize(record: ResultRecord) {
  return record.size ?? { width: record.request.width, height: record.request.height };
}

export function varyParams(record: ResultRecord, how: 'subtle' | 'strong', seed: number): GenerationParamsInput {
  const size = scaledSize(imageSize(record), 1);
  return { ...base(record), ...size, seed, image: { source: { result: record.id }, strength: VARY_STRENGTH[how] } };
}

export function upscaleParams(record: ResultRecord): GenerationParamsInput {
  const size = scaledSize(imageSize(record), UPSCALE.scale);
  return { ...base(record), ...size, image: { source: { result: record.id }, strength: UPSCALE.strength } };
}

/** Each side × scale, to the nearest multiple of 16, scaled down to fit 2048 when needed. */
export function scaledSize(size: { width: number; height: number }, scale: number): { width: number; height: number } {
  const { min, max, multiple } = SIZE_LIMITS;
  const s = Math.min(scale, max / Math.max(size.width, size.height));
  const side = (v: number) => Math.min(max, Math.max(min, Math.round((v * s) / multiple) * multiple));
  return { width: side(size.width), height: side(size.height) };
}
