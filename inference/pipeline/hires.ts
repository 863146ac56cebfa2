// The hires fix's arithmetic (A1111's enable_hr / hr_scale / denoising_strength): the second pass's size, the
// first pass's size times the scale rounded to the model's multiple, and the checks on its options. The upscale
// itself is in pixels (Lanczos-3, image-ops.ts), not in latent space; the second pass is image-to-image.
// It deliberately runs nothing: pipeline.ts runs the two passes.
import { EngineError } from '../errors.ts';
import type { GenerateRequest } from './types.ts';

export const HIRES_SCALE = { min: 1.25, max: 2 } as const;

interface Limits { multiple: number; maxSide: number; maxSteps: number }

/** The upscaled size: each side × scale, rounded to the nearest multiple; refused past the largest side. */
export function hiresSize(width: number, height: number, scale: number, limits: Limits): { width: number; height: number } {
  const side = (v: number) => Math.round((v * scale) / limits.multiple) * limits.multiple;
  const out = { width: side(width), height: side(height) };
  if (out.width > limits.maxSide || out.height > limits.maxSide) {
    const most = Math.floor((limits.maxSide / Math.max(width, height)) * 100) / 100;
    throw new EngineError('invalid-request', `hires: ${width}×${height} × ${scale} is ${out.width}×${out.height}, over the ${limits.maxSide}-pixel limit`, {
      hint: most >= HIRES_SCALE.min ? `use a scale of at most ${most}` : 'start from a smaller first pass',
    });
  }
  return out;
}

export function validateHires(req: GenerateRequest, limits: Limits): void {
  const hr = req.hires;
  if (!hr) return;
  const bad = (msg: string, hint?: string) => { throw new EngineError('invalid-request', `hires.${msg}`, { hint }); };
  if (req.image) bad('scale: the hires fix is for text-to-image', 'for image input, upscale the source and use image-to-image');
  if (!(hr.scale >= HIRES_SCALE.min && hr.scale <= HIRES_SCALE.max)) bad(`scale must be from ${HIRES_SCALE.min} to ${HIRES_SCALE.max} (got ${hr.scale})`);
  if (!(hr.strength > 0 && hr.strength <= 1)) bad(`strength must be in (0, 1] (got ${hr.strength})`, 'a low strength (0.3–0.5) keeps the first pass and adds detail');
  if (hr.steps !== undefined && !(Number.isInteger(hr.steps) && hr.steps >= 1 && hr.steps <= limits.maxSteps)) bad(`steps must be a whole number from 1 to ${limits.maxSteps} (got ${hr.steps})`);
  hiresSize(req.width, req.height, hr.scale, limits);
}
