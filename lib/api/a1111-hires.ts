// A1111's hires-fix fields on POST /sdapi/v1/txt2img (enable_hr, hr_scale, denoising_strength,
// hr_second_pass_steps, hr_upscaler) and their mapping onto the studio's `hires` parameters. The upscale is in
// pixels (Lanczos), so hr_upscaler accepts "Lanczos" (or nothing); latent upscalers and hr_resize_x/y are refused
// rather than ignored. Kept apart from a1111.ts (the txt2img surface) to be merged on its own.
import { z } from 'zod';

export const A1111_HIRES_DEFAULTS = { hr_scale: 2, denoising_strength: 0.7 } as const;

export const A1111_HIRES_FIELDS = {
  enable_hr: z.boolean().optional(),
  hr_scale: z.number().optional(),
  /** A1111 reads it for the second pass when enable_hr is on. */
  denoising_strength: z.number().optional(),
  hr_second_pass_steps: z.number().int().min(0).optional(),
  hr_upscaler: z.string().regex(/^(lanczos|none)$/i, 'hr_upscaler: the upscale is in pixels with Lanczos; send "Lanczos" or leave it out (latent upscalers are not implemented).').optional(),
};

/** The studio's `hires` parameter from A1111's fields (validated with the studio's own rules afterwards). */
export function a1111Hires(body: { enable_hr?: boolean; hr_scale?: number; denoising_strength?: number; hr_second_pass_steps?: number }): { hires?: { scale: number; strength: number; steps?: number } } {
  if (!body.enable_hr) return {};
  return {
    hires: {
      scale: body.hr_scale ?? A1111_HIRES_DEFAULTS.hr_scale,
      strength: body.denoising_strength ?? A1111_HIRES_DEFAULTS.denoising_strength,
      ...(body.hr_second_pass_steps ? { steps: body.hr_second_pass_steps } : {}),
    },
  };
}
