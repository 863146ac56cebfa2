// OpenAI-compatible POST /v1/images/generations and GET /v1/models: the request schema (every field the official
// SDK sends, plus documented Z-Image extras), its mapping onto studio parameters (n images with seeds counting up,
// quality → a steps preset, size incl. "auto"), and the response shape. Fields OpenAI's own newer models ignore (style,
// moderation, user…) are ignored here too and reported in the response's `zimage.ignored`; fields that would change
// the image and cannot be honoured (a transparent background, GIF/SVG, streaming) are refused. Unknown fields are
// refused, as OpenAI's API does. Deliberately no HTTP and no encoding: the route runs jobs and converts formats;
// the error shape lives in lib/api/openai-errors.ts, which the proxy bundle loads too.
import { z } from '../zod.ts';
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { generationParamsSchema, parseSize, randomSeed, SEED_MAX, type GenerationParams } from '../params.ts';
import { PRECISIONS } from '../../inference/pipeline/types.ts';

export const OPENAI_DEFAULTS = { size: '1024x1024', steps: 8, cfg: 1, responseFormat: 'b64_json' } as const;
export const OPENAI_MAX_IMAGES = 8;

/** quality → steps: Turbo is distilled for 8; fewer is a draft, more adds detail up to ~16. */
export const QUALITY_STEPS = { low: 4, medium: 8, auto: 8, standard: 8, high: 12, hd: 12, xhigh: 16, max: 16 } as const;
/** The quality a response reports (OpenAI answers low, medium, high, xhigh or max). */
const QUALITY_REPORTED = { low: 'low', medium: 'medium', auto: 'medium', standard: 'medium', high: 'high', hd: 'high', xhigh: 'xhigh', max: 'max' } as const;
export type OpenAiQuality = keyof typeof QUALITY_STEPS;

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

export const openAiImageRequestSchema = z.strictObject({
  prompt: z.string({ error: 'prompt is required: describe the image.' }),
  /** A model id from GET /v1/models; omitted (or an OpenAI model name such as "gpt-image-1") means the default. */
  model: nullable(z.string()),
  n: nullable(
    z
      .number({ error: `must be a whole number from 1 to ${OPENAI_MAX_IMAGES}.` })
      .int(`must be a whole number from 1 to ${OPENAI_MAX_IMAGES}.`)
      .min(1, `must be a whole number from 1 to ${OPENAI_MAX_IMAGES}.`)
      .max(OPENAI_MAX_IMAGES, `must be at most ${OPENAI_MAX_IMAGES}: one request makes up to ${OPENAI_MAX_IMAGES} images. Send several requests for more.`),
  ),
  /** "WIDTHxHEIGHT", multiples of 16 from 256 to 2048, or "auto" (1024x1024). */
  size: nullable(z.string().max(32, 'size must be "WIDTHxHEIGHT", e.g. "1024x1024".')),
  quality: nullable(z.enum(Object.keys(QUALITY_STEPS) as [OpenAiQuality, ...OpenAiQuality[]], { error: `quality must be one of ${Object.keys(QUALITY_STEPS).join(', ')}.` })),
  style: nullable(z.enum(['vivid', 'natural'], { error: 'style must be "vivid" or "natural".' })),
  background: nullable(z.enum(['auto', 'opaque', 'transparent'], { error: 'background must be "auto", "opaque" or "transparent".' })),
  output_format: nullable(z.enum(['png', 'jpeg', 'webp', 'gif', 'svg'], { error: 'output_format must be "png", "jpeg" or "webp".' })),
  output_compression: nullable(z.number().int('output_compression must be a whole number from 0 to 100.').min(0).max(100, 'output_compression must be from 0 to 100.')),
  moderation: nullable(z.enum(['low', 'auto'], { error: 'moderation must be "low" or "auto".' })),
  /** Default b64_json (works without a reachable server URL); url points at /api/results/<id>/image.png. */
  response_format: nullable(z.enum(['b64_json', 'url'], { error: 'response_format must be "b64_json" or "url".' })),
  stream: nullable(z.boolean()),
  partial_images: nullable(z.number().int().min(0).max(3)),
  complexity: nullable(z.enum(['low', 'medium', 'high'])),
  frame_count: nullable(z.number()),
  frame_duration_ms: nullable(z.number()),
  svg: nullable(z.unknown()),
  /** OpenAI's end-user tags; accepted for client compatibility and not stored. */
  user: nullable(z.string().max(256, 'user must be at most 256 characters.')),
  safety_identifier: nullable(z.string().max(256, 'safety_identifier must be at most 256 characters.')),
  // Z-Image extras, named like the A1111/diffusers world knows them.
  negative_prompt: nullable(z.string()),
  /** Overrides the quality preset. */
  steps: nullable(z.number()),
  /** Classic CFG, 1 = off. */
  cfg: nullable(z.number()),
  /** 0..2^53−1; omitted means random (returned in zimage.results). Image i gets seed + i. */
  seed: nullable(z.number()),
  precision: nullable(z.enum(PRECISIONS)),
});

export type OpenAiImageRequest = z.output<typeof openAiImageRequestSchema>;

export const OPENAI_HINT =
  'Fields: prompt, model (GET /v1/models), n (1–8), size "WxH" or "auto", quality (low|medium|high|auto…: the steps ' +
  'preset), output_format (png|jpeg|webp), output_compression, background (auto|opaque), response_format ' +
  '(b64_json|url), style, moderation, user, and Z-Image extras negative_prompt, steps, cfg (1 = off), seed, precision.';

/** Why each accepted field leaves the image unchanged; reported in zimage.ignored when sent. */
const OPENAI_IGNORED: Partial<Record<keyof OpenAiImageRequest, string>> = {
  style: 'OpenAI\'s GPT image models ignore style too: describe the style in the prompt',
  moderation: 'no moderation model runs here',
  user: 'not stored',
  safety_identifier: 'not stored',
  complexity: 'no planning model runs here',
  partial_images: 'partial images exist only for streaming, which is not available',
};

/** Model names OpenAI clients send by default; they mean "the studio's default model". */
const OPENAI_MODEL_NAMES = /^(dall-e-[23]|gpt-image-[\w.-]+|chatgpt-image-[\w.-]+)$/;

export interface OpenAiPlan {
  images: GenerationParams[];
  format: OutputFormat;
  /** 0–100, for jpeg and webp. */
  compression: number;
  responseFormat: 'b64_json' | 'url';
  quality: (typeof QUALITY_REPORTED)[OpenAiQuality];
  size: string;
  ignored: { field: string; reason: string }[];
}

function refuse(param: string, message: string): never {
  throw new StudioError('invalid_request', `${param}: ${message}`, OPENAI_HINT);
}

/** Maps the OpenAI body onto studio parameters (one set per image) and validates them with the studio's own rules. */
export function openAiPlan(body: OpenAiImageRequest): OpenAiPlan {
  if (body.stream) refuse('stream', 'streaming is not available here; send stream: false (or leave it out) to get the finished images.');
  if (body.background === 'transparent') refuse('background', 'Z-Image renders opaque images only; send "opaque" or "auto".');
  if (body.output_format === 'gif' || body.output_format === 'svg') refuse('output_format', `${body.output_format} is not available; send "png", "jpeg" or "webp".`);
  if (body.frame_count != null || body.frame_duration_ms != null) refuse('frame_count', 'GIF output is not available; leave frame_count and frame_duration_ms out.');
  if (body.svg != null) refuse('svg', 'SVG output is not available; leave svg out.');
  const format: OutputFormat = body.output_format ?? 'png';
  const responseFormat = body.response_format ?? OPENAI_DEFAULTS.responseFormat;
  if (responseFormat === 'url' && format !== 'png') {
    refuse('response_format', `url links to the stored PNG, so output_format "${format}" needs response_format "b64_json".`);
  }

  const sizeText = !body.size || body.size === 'auto' ? OPENAI_DEFAULTS.size : body.size;
  const size = parseSize(sizeText);
  if (!size) refuse('size', `"${body.size}" is not "WIDTHxHEIGHT", e.g. "1024x1024" or "832x1216", or "auto".`);
  const quality: OpenAiQuality = body.quality ?? 'auto';
  const model = body.model && !OPENAI_MODEL_NAMES.test(body.model) ? body.model : undefined;
  const first = body.seed ?? randomSeed();
  const base = {
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? '',
    steps: body.steps ?? QUALITY_STEPS[quality],
    cfg: body.cfg ?? OPENAI_DEFAULTS.cfg,
    width: size.width,
    height: size.height,
    precision: body.precision ?? undefined,
    model,
  };
  const images = Array.from({ length: body.n ?? 1 }, (_, index) => {
    const seed = Number.isSafeInteger(first) && first >= 0 ? (first + index) % (SEED_MAX + 1) : first;
    const result = generationParamsSchema.safeParse({ ...base, seed });
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
  });
  const ignored = Object.entries(OPENAI_IGNORED)
    .filter(([field]) => body[field as keyof OpenAiImageRequest] != null)
    .map(([field, reason]) => ({ field, reason: reason! }));
  if (body.model && !model) ignored.push({ field: 'model', reason: `"${body.model}" is OpenAI's; the studio's default model ran (GET /v1/models lists this studio's)` });
  if (body.output_compression != null && format === 'png') ignored.push({ field: 'output_compression', reason: 'PNG is lossless' });
  return {
    images,
    format,
    compression: body.output_compression ?? 100,
    responseFormat,
    quality: QUALITY_REPORTED[quality],
    size: `${size.width}x${size.height}`,
    ignored,
  };
}

/** Kept for the first version's callers: one image's parameters. */
export function openAiToParams(body: OpenAiImageRequest): GenerationParams {
  return openAiPlan({ ...body, n: 1 }).images[0];
}

export interface OpenAiImageResponse {
  created: number;
  data: ({ b64_json: string } | { url: string })[];
  background: 'opaque';
  output_format: OutputFormat;
  quality: OpenAiPlan['quality'];
  size: string;
  /** Studio extras: each image's result id, seed and share-free image URL, and the fields that changed nothing. */
  zimage: { results: { id: string; seed: number; url: string }[]; ignored: OpenAiPlan['ignored'] };
}

export interface OpenAiMade {
  id: string;
  seed: number;
  /** The encoded image (output_format), for b64_json. */
  bytes: Uint8Array;
  /** The stored PNG's absolute URL. */
  url: string;
}

export function openAiResponse(plan: Pick<OpenAiPlan, 'format' | 'responseFormat' | 'quality' | 'size' | 'ignored'>, made: readonly OpenAiMade[], created = new Date()): OpenAiImageResponse {
  return {
    created: Math.floor(created.getTime() / 1000),
    data: made.map((image) => (plan.responseFormat === 'url' ? { url: image.url } : { b64_json: Buffer.from(image.bytes).toString('base64') })),
    background: 'opaque',
    output_format: plan.format,
    quality: plan.quality,
    size: plan.size,
    zimage: { results: made.map(({ id, seed, url }) => ({ id, seed, url })), ignored: plan.ignored },
  };
}

/** GET /v1/models: OpenAI's list shape. `created` is unknown for a converted folder, so 0. */
export function openAiModels(models: readonly { id: string }[]) {
  return { object: 'list', data: models.map((model) => openAiModel(model)) };
}

export function openAiModel(model: { id: string }) {
  return { id: model.id, object: 'model', created: 0, owned_by: 'zimage-studio' };
}
