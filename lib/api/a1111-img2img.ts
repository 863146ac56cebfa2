// A1111-compatible POST /sdapi/v1/img2img: the request schema (init_images and mask as base64, optionally data
// URLs; denoising_strength, mask_blur, inpainting_fill, inpaint_full_res(+_padding), inpainting_mask_invert,
// resize_mode), its mapping onto studio parameters once the images are stored as uploads, and the same
// { images, parameters, info } response as txt2img. Kept apart from a1111.ts to be merged on its own.
// Deliberately refuses what it cannot honour: inpainting_fill other than 1 ("original", what diffusers'
// ZImageInpaintPipeline does), resize_mode 3 (latent upscale), batches, other samplers.
import { z } from '../zod.ts';
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { generationParamsSchema, randomSeed, type GenerationParams } from '../params.ts';
import { PRECISIONS } from '../../inference/pipeline/types.ts';
import { A1111_DEFAULTS } from './a1111.ts';

export const A1111_IMG2IMG_DEFAULTS = { denoising_strength: 0.75, mask_blur: 4, inpaint_full_res_padding: 32 } as const;

const base64Image = z.string().min(1, 'an image must be base64 (optionally a data: URL), not empty.');

export const a1111Img2ImgSchema = z.strictObject({
  init_images: z.array(base64Image, { error: 'init_images must be a list with one base64 image.' }).length(1, 'init_images must hold exactly one image (batches are not supported).'),
  mask: base64Image.nullish(),
  prompt: z.string({ error: 'prompt is required: describe the image.' }),
  negative_prompt: z.string().optional(),
  denoising_strength: z.number().optional(),
  mask_blur: z.number().int('mask_blur must be whole pixels.').min(0).max(64).optional(),
  /** A1111 also sends mask_blur_x/y; accepted when equal to mask_blur. */
  mask_blur_x: z.number().optional(),
  mask_blur_y: z.number().optional(),
  inpainting_fill: z.number().int().optional(),
  inpaint_full_res: z.union([z.boolean(), z.literal(0), z.literal(1)]).optional(),
  inpaint_full_res_padding: z.number().int().min(0).max(1024).optional(),
  inpainting_mask_invert: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
  resize_mode: z.number().int().optional(),
  steps: z.number().optional(),
  cfg_scale: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  seed: z.number().int('seed must be a whole number (-1 = random).').min(-1).optional(),
  sampler_name: z.string().regex(/^euler$/i, 'sampler_name: Z-Image-Turbo runs the flow-matching Euler sampler only. Send "Euler" or leave it out.').optional(),
  batch_size: z.literal(1, { error: 'batch_size must be 1.' }).optional(),
  n_iter: z.literal(1, { error: 'n_iter must be 1.' }).optional(),
  send_images: z.literal(true).optional(),
  save_images: z.boolean().optional(),
  include_init_images: z.boolean().optional(),
  model: z.string().optional(),
  precision: z.enum(PRECISIONS).optional(),
});

export type A1111Img2ImgRequest = z.output<typeof a1111Img2ImgSchema>;

export const A1111_IMG2IMG_HINT =
  'Fields: init_images [base64], mask (base64, white = repaint), prompt, negative_prompt, denoising_strength (0–1], ' +
  'mask_blur, inpainting_fill (1 = original), inpaint_full_res, inpaint_full_res_padding, inpainting_mask_invert, ' +
  'resize_mode (0 just resize, 1 crop and resize, 2 resize and fill), steps, cfg_scale, width, height, seed.';

/** The bytes of a base64 image field (A1111 clients send bare base64 or a data: URL). */
export function decodeBase64Image(field: string, value: string): Uint8Array {
  const body = value.startsWith('data:') ? value.slice(value.indexOf(',') + 1) : value;
  if (!/^[A-Za-z0-9+/=\s_-]+$/.test(body)) throw new StudioError('invalid_request', `${field} is not base64 (or a data: URL).`, A1111_IMG2IMG_HINT);
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** Checks the fields that have no studio counterpart; returns the resize mode. */
export function a1111Img2ImgChecks(body: A1111Img2ImgRequest): 0 | 1 | 2 {
  const bad = (msg: string) => { throw new StudioError('invalid_request', msg, A1111_IMG2IMG_HINT); };
  if (body.inpainting_fill !== undefined && body.inpainting_fill !== 1) {
    bad(`inpainting_fill ${body.inpainting_fill} is not supported: only 1 ("original", the masked area starts from the source, as diffusers' ZImageInpaintPipeline) is implemented.`);
  }
  const blur = body.mask_blur ?? A1111_IMG2IMG_DEFAULTS.mask_blur;
  for (const k of ['mask_blur_x', 'mask_blur_y'] as const) if (body[k] !== undefined && body[k] !== blur) bad(`${k} must equal mask_blur (one blur radius).`);
  const mode = body.resize_mode ?? 0;
  if (mode !== 0 && mode !== 1 && mode !== 2) bad(`resize_mode ${mode} is not supported: use 0 (just resize), 1 (crop and resize) or 2 (resize and fill).`);
  return mode as 0 | 1 | 2;
}

/** Studio parameters for the stored source (and mask) uploads; width/height default to the source's model size. */
export function a1111Img2ImgToParams(body: A1111Img2ImgRequest, uploads: { source: string; mask?: string; size: { width: number; height: number } }, resizeMode: 0 | 1 | 2): GenerationParams {
  const masked = Boolean(uploads.mask);
  const result = generationParamsSchema.safeParse({
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? '',
    steps: body.steps ?? A1111_DEFAULTS.steps,
    cfg: body.cfg_scale ?? A1111_DEFAULTS.cfg_scale,
    width: body.width ?? uploads.size.width,
    height: body.height ?? uploads.size.height,
    seed: body.seed === undefined || body.seed === -1 ? randomSeed() : body.seed,
    precision: body.precision,
    model: body.model,
    image: {
      source: { upload: uploads.source },
      strength: body.denoising_strength ?? A1111_IMG2IMG_DEFAULTS.denoising_strength,
      resizeMode,
      ...(masked ? {
        mask: uploads.mask,
        maskBlur: body.mask_blur ?? A1111_IMG2IMG_DEFAULTS.mask_blur,
        invertMask: Boolean(body.inpainting_mask_invert),
        ...(body.inpaint_full_res ? { onlyMasked: { padding: body.inpaint_full_res_padding ?? A1111_IMG2IMG_DEFAULTS.inpaint_full_res_padding } } : {}),
      } : {}),
    },
  });
  if (!result.success) {
    const NAMES: Record<string, string> = { negativePrompt: 'negative_prompt', cfg: 'cfg_scale', strength: 'denoising_strength', maskBlur: 'mask_blur', padding: 'inpaint_full_res_padding' };
    const renamed = result.error.issues.map((issue) => {
      const field = String(issue.path.at(-1));
      return { ...issue, path: [NAMES[field] ?? field] };
    });
    throw new StudioError('invalid_request', describeIssues(renamed), A1111_IMG2IMG_HINT);
  }
  return result.data;
}
