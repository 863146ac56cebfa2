// A1111-compatible POST /sdapi/v1/txt2img: the request schema (the fields that mean something for Z-Image-Turbo),
// the mapping onto studio parameters, and the { images, parameters, info } response where info is a JSON string
// as A1111 returns it. Deliberately refuses fields it cannot honour (other samplers, batches, hires fix…) instead
// of ignoring them, and uses Turbo's defaults (8 steps, CFG 1), not A1111's (20 steps, CFG 7).
import { z } from 'zod';
import type { ResultRecord } from '../results.ts';
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { generationParamsSchema, randomSeed, type GenerationParams } from '../params.ts';
import { PRECISIONS } from '../../inference/pipeline/types.ts';

export const A1111_DEFAULTS = { steps: 8, cfg_scale: 1, width: 1024, height: 1024 } as const;

export const a1111Txt2ImgSchema = z.strictObject({
  prompt: z.string({ error: 'prompt is required: describe the image.' }),
  negative_prompt: z.string().optional(),
  steps: z.number().optional(),
  /** Classic CFG, 1 = off (Turbo's default). */
  cfg_scale: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  /** -1 (or omitted) picks a random seed, reported back in info. */
  seed: z.number().int('seed must be a whole number (-1 = random).').min(-1, 'seed must be -1 (random) or 0..2^53−1.').optional(),
  sampler_name: z
    .string()
    .regex(/^euler$/i, 'sampler_name: Z-Image-Turbo runs the flow-matching Euler sampler only. Send "Euler" or leave it out.')
    .optional(),
  batch_size: z.literal(1, { error: 'batch_size must be 1: send several requests for more images.' }).optional(),
  n_iter: z.literal(1, { error: 'n_iter must be 1: send several requests for more images.' }).optional(),
  send_images: z.literal(true, { error: 'send_images must be true: the image is the whole answer.' }).optional(),
  /** Accepted for compatibility; every result is kept in the studio history either way. */
  save_images: z.boolean().optional(),
  // Z-Image extras.
  model: z.string().optional(),
  precision: z.enum(PRECISIONS).optional(),
});

export type A1111Txt2ImgRequest = z.output<typeof a1111Txt2ImgSchema>;

export const A1111_HINT =
  'Fields: prompt, negative_prompt, steps, cfg_scale (1 = off), width, height, seed (-1 = random), sampler_name ' +
  '("Euler"), batch_size (1), n_iter (1), send_images, save_images, and Z-Image extras model, precision.';

const STUDIO_TO_A1111: Record<string, string> = { negativePrompt: 'negative_prompt', cfg: 'cfg_scale' };

export function a1111ToParams(body: A1111Txt2ImgRequest): GenerationParams {
  const result = generationParamsSchema.safeParse({
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? '',
    steps: body.steps ?? A1111_DEFAULTS.steps,
    cfg: body.cfg_scale ?? A1111_DEFAULTS.cfg_scale,
    width: body.width ?? A1111_DEFAULTS.width,
    height: body.height ?? A1111_DEFAULTS.height,
    seed: body.seed === undefined || body.seed === -1 ? randomSeed() : body.seed,
    precision: body.precision,
    model: body.model,
  });
  if (!result.success) {
    const renamed = result.error.issues.map((issue) => {
      const field = String(issue.path[0]);
      return { ...issue, path: [STUDIO_TO_A1111[field] ?? field] };
    });
    throw new StudioError('invalid_request', describeIssues(renamed), A1111_HINT);
  }
  return result.data;
}

export interface A1111Response {
  images: string[];
  /** The request as it ran, defaults and the resolved seed filled in. */
  parameters: Record<string, unknown>;
  /** JSON text, as A1111 sends it (clients call json.loads(info)). */
  info: string;
}

export function a1111Response(record: ResultRecord, png: Uint8Array, infotext: string | undefined, shareUrl: string): A1111Response {
  const { request } = record;
  const parameters = {
    prompt: request.prompt,
    negative_prompt: request.negativePrompt ?? '',
    steps: request.steps,
    cfg_scale: request.cfg,
    width: request.width,
    height: request.height,
    seed: request.seed,
    sampler_name: 'Euler',
    batch_size: 1,
    n_iter: 1,
  };
  const info = {
    ...parameters,
    all_prompts: [request.prompt],
    all_negative_prompts: [request.negativePrompt ?? ''],
    all_seeds: [request.seed],
    sd_model_name: record.model.name,
    infotexts: infotext ? [infotext] : [],
    zimage: {
      id: record.id,
      share_url: shareUrl,
      precision: request.precision,
      ep: request.ep,
      components: record.components,
      duration_ms: record.durationMs,
    },
  };
  return { images: [Buffer.from(png).toString('base64')], parameters, info: JSON.stringify(info) };
}
