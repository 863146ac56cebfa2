// A1111's hires fix on POST /sdapi/v1/txt2img (enable_hr with hr_scale, denoising_strength, hr_second_pass_steps,
// hr_upscaler) mapped onto the studio's `hires` parameters: the first pass upscaled in pixels (Lanczos) by hr_scale,
// then image to image at denoising_strength. Options it cannot honour (a latent or other upscaler, hr_resize_x/y,
// a second-pass checkpoint, sampler, prompt or CFG of its own) are refused rather than ignored. Kept apart from
// a1111.ts (the txt2img surface, lib/api/a1111-fields.ts its request model) to merge on its own.
import { StudioError } from '../errors.ts';
import { A1111_HINT } from './a1111-fields.ts';

export const A1111_HIRES_DEFAULTS = { hr_scale: 2, denoising_strength: 0.7 } as const;

/** The fields the hires fix honours (not listed in info.ignored when enable_hr is on). */
export const A1111_HIRES_HONOURED = ['enable_hr', 'hr_scale', 'hr_upscaler', 'hr_second_pass_steps', 'denoising_strength'] as const;

interface HiresFields {
  enable_hr?: boolean | null;
  hr_scale?: number | null;
  denoising_strength?: number | null;
  hr_second_pass_steps?: number | null;
  hr_upscaler?: string | null;
  hr_resize_x?: number | null;
  hr_resize_y?: number | null;
  hr_checkpoint_name?: string | null;
  hr_sampler_name?: string | null;
  hr_prompt?: string | null;
  hr_negative_prompt?: string | null;
  hr_cfg?: number | null;
}

/** Refuses the hires options that would not be honoured (each with what to send instead). */
export function checkHiresFields(body: HiresFields): void {
  const refuse = (field: string, message: string): never => { throw new StudioError('invalid_request', `${field}: ${message}`, A1111_HINT); };
  const upscaler = body.hr_upscaler?.trim();
  if (upscaler && !/^(lanczos|none)$/i.test(upscaler)) refuse('hr_upscaler', `"${upscaler.slice(0, 40)}" is not available: the upscale is in pixels with Lanczos. Send "Lanczos" or leave it out.`);
  if (body.hr_resize_x || body.hr_resize_y) refuse('hr_resize_x', 'the target size is hr_scale × width and height; send hr_scale (1.25–2) and leave hr_resize_x/y at 0.');
  if (body.hr_checkpoint_name && body.hr_checkpoint_name !== 'Use same checkpoint') refuse('hr_checkpoint_name', 'the second pass runs on the same model. Leave it out.');
  if (body.hr_sampler_name && !/^(euler|use same sampler)$/i.test(body.hr_sampler_name)) refuse('hr_sampler_name', 'the second pass runs Euler like the first. Leave it out.');
  if (body.hr_prompt || body.hr_negative_prompt) refuse(body.hr_prompt ? 'hr_prompt' : 'hr_negative_prompt', 'the second pass uses the request\'s prompts. Leave it out.');
  if (body.hr_cfg !== undefined && body.hr_cfg !== null) refuse('hr_cfg', 'the second pass uses cfg_scale. Leave it out.');
}

/** The studio's `hires` parameter from A1111's fields (validated with the studio's own rules afterwards). */
export function a1111Hires(body: HiresFields): { hires?: { scale: number; strength: number; steps?: number } } {
  if (!body.enable_hr) return {};
  return {
    hires: {
      scale: body.hr_scale ?? A1111_HIRES_DEFAULTS.hr_scale,
      strength: body.denoising_strength ?? A1111_HIRES_DEFAULTS.denoising_strength,
      ...(body.hr_second_pass_steps ? { steps: body.hr_second_pass_steps } : {}),
    },
  };
}
