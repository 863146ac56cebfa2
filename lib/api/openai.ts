// OpenAI-compatible POST /v1/images/generations: the request schema (OpenAI's fields plus documented Z-Image
// extras), its mapping onto studio parameters, and the response shape. Deliberately strict: fields we would have to
// ignore silently (quality, style, background…) are refused, so a client never believes they took effect.
import { z } from 'zod';
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { generationParamsSchema, parseSize, randomSeed, type GenerationParams } from '../params.ts';
import { PRECISIONS } from '../../inference/pipeline/types.ts';

export const OPENAI_DEFAULTS = { size: '1024x1024', steps: 8, cfg: 1, responseFormat: 'b64_json' } as const;

export const openAiImageRequestSchema = z.strictObject({
  prompt: z.string({ error: 'prompt is required: describe the image.' }),
  /** A model id from GET /api/system; omitted means the studio's default model. */
  model: z.string().optional(),
  n: z.literal(1, { error: 'n must be 1: the studio makes one image per request. Send several requests for more.' }).optional(),
  /** "WIDTHxHEIGHT", multiples of 16 from 256 to 2048, or "auto" (1024x1024). */
  size: z.string().max(32, 'size must be "WIDTHxHEIGHT", e.g. "1024x1024".').optional(),
  /** Default b64_json (works without a reachable server URL); url points at /api/results/<id>/image.png. */
  response_format: z.enum(['b64_json', 'url'], { error: 'response_format must be "b64_json" or "url".' }).optional(),
  /** OpenAI's end-user tag; accepted for client compatibility and not stored. */
  user: z.string().max(256, 'user must be at most 256 characters.').optional(),
  // Z-Image extras, named like the A1111/diffusers world knows them.
  negative_prompt: z.string().optional(),
  steps: z.number().optional(),
  /** Classic CFG, 1 = off. */
  cfg: z.number().optional(),
  /** 0..2^53−1; omitted means random (returned in the result). */
  seed: z.number().optional(),
  precision: z.enum(PRECISIONS).optional(),
});

export type OpenAiImageRequest = z.output<typeof openAiImageRequestSchema>;

export const OPENAI_HINT =
  'Fields: prompt, model, n (1), size "WxH", response_format (b64_json|url), user, and Z-Image extras ' +
  'negative_prompt, steps, cfg (1 = off), seed, precision.';

/** Maps the OpenAI body onto studio parameters and validates them with the studio's own rules. */
export function openAiToParams(body: OpenAiImageRequest): GenerationParams {
  const sizeText = !body.size || body.size === 'auto' ? OPENAI_DEFAULTS.size : body.size;
  const size = parseSize(sizeText);
  if (!size) {
    throw new StudioError('invalid_request', `size: "${body.size}" is not "WIDTHxHEIGHT", e.g. "1024x1024" or "832x1216".`, OPENAI_HINT);
  }
  const result = generationParamsSchema.safeParse({
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? '',
    steps: body.steps ?? OPENAI_DEFAULTS.steps,
    cfg: body.cfg ?? OPENAI_DEFAULTS.cfg,
    width: size.width,
    height: size.height,
    seed: body.seed ?? randomSeed(),
    precision: body.precision,
    model: body.model,
  });
  if (!result.success) {
    // Report studio field names as the OpenAI client sent them.
    const renamed = result.error.issues.map((issue) => {
      const field = String(issue.path[0]);
      const name = field === 'width' || field === 'height' ? 'size' : field === 'negativePrompt' ? 'negative_prompt' : field;
      return { ...issue, path: [name] };
    });
    throw new StudioError('invalid_request', describeIssues(renamed), OPENAI_HINT);
  }
  return result.data;
}

export interface OpenAiImageResponse {
  created: number;
  data: ({ b64_json: string } | { url: string })[];
  output_format: 'png';
}

export function openAiResponse(
  format: 'b64_json' | 'url',
  image: { png: Uint8Array; url: string },
  created = new Date(),
): OpenAiImageResponse {
  const item = format === 'url' ? { url: image.url } : { b64_json: Buffer.from(image.png).toString('base64') };
  return { created: Math.floor(created.getTime() / 1000), data: [item], output_format: 'png' };
}
