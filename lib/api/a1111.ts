// A1111-compatible POST /sdapi/v1/txt2img: the request as A1111 clients send it (the shared request model of
// lib/api/a1111-fields.ts plus txt2img's hires fields), its mapping onto studio parameters (one set per image of
// batch_size × n_iter, seeds counting up from the first as A1111 does), checkpoint titles as GET /sdapi/v1/sd-models
// lists them, and the { images, parameters, info } response where info is a JSON string as A1111 returns it.
// Uses Turbo's defaults (8 steps, CFG 1), not A1111's (20 steps, CFG 7). Deliberately no HTTP and no queue: the
// route and lib/server/a1111-session.ts run the jobs.
import type { ResultRecord } from '../results.ts';
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { generationParamsSchema, randomSeed, SEED_MAX, type GenerationParams } from '../params.ts';
import {
  A1111_HINT,
  a1111CommonShape,
  a1111Txt2ImgShape,
  parseA1111Body,
  readA1111Common,
  type A1111Reading,
} from './a1111-fields.ts';

import { loraTags } from '../loras.ts';

export { A1111_HINT } from './a1111-fields.ts';

export const A1111_DEFAULTS = { steps: 8, cfg_scale: 1, width: 1024, height: 1024 } as const;

/** txt2img's request model: the common fields and the hires fix's. */
export const a1111Txt2ImgShapeAll = { ...a1111CommonShape, ...a1111Txt2ImgShape } as const;

/** A checkpoint as /sdapi/v1/sd-models lists it: the model id is its title and its name. */
export interface A1111Checkpoint {
  id: string;
  name: string;
}

/** The studio model a checkpoint title names: exact id, then case-insensitive, without " [hash]" or a file extension. */
export function findCheckpoint<Model extends A1111Checkpoint>(title: string, models: readonly Model[]): Model | undefined {
  const bare = title.trim().replace(/\s*\[[0-9a-f]{6,64}\]$/i, '').replace(/\.(safetensors|ckpt|onnx)$/i, '');
  const lower = bare.toLowerCase();
  return (
    models.find((model) => model.id === title) ??
    models.find((model) => model.id.toLowerCase() === lower) ??
    models.find((model) => model.name.toLowerCase() === lower)
  );
}

export function unknownCheckpoint(field: string, title: string, models: readonly A1111Checkpoint[]): StudioError {
  return new StudioError(
    'unknown_model',
    `${field}: no checkpoint "${title.slice(0, 100)}". Available: ${models.map((model) => model.id).join(', ') || 'none'} (GET /sdapi/v1/sd-models).`,
    A1111_HINT,
  );
}

export interface A1111Plan {
  /** One entry per image, in order: the same request with seed, seed+1, … */
  images: GenerationParams[];
  reading: A1111Reading;
}

const STUDIO_TO_A1111: Record<string, string> = { negativePrompt: 'negative_prompt', cfg: 'cfg_scale' };

/**
 * The studio parameters of each image: Turbo defaults for what the request leaves out, the seed (-1 = random)
 * counting up per image, on `model` (the resolved checkpoint). Throws a 400 that uses A1111's field names.
 */
export function a1111Plan(reading: A1111Reading, model: string | undefined): A1111Plan {
  const first = reading.seed === undefined || reading.seed === -1 ? randomSeed() : reading.seed;
  const base = {
    prompt: reading.prompt,
    negativePrompt: reading.negativePrompt,
    steps: reading.steps ?? A1111_DEFAULTS.steps,
    cfg: reading.cfg ?? A1111_DEFAULTS.cfg_scale,
    width: reading.width ?? A1111_DEFAULTS.width,
    height: reading.height ?? A1111_DEFAULTS.height,
    precision: reading.precision,
    model,
  };
  const images = Array.from({ length: reading.count }, (_, index) => {
    // A seed near the top wraps to 0 rather than leaving the exact range; a negative one is refused below.
    const seed = first < 0 ? first : (first + index) % (SEED_MAX + 1);
    const result = generationParamsSchema.safeParse({ ...base, seed });
    if (!result.success) {
      const renamed = result.error.issues.map((issue) => {
        const field = String(issue.path[0]);
        return { ...issue, path: [STUDIO_TO_A1111[field] ?? field] };
      });
      throw new StudioError('invalid_request', describeIssues(renamed), A1111_HINT);
    }
    return result.data;
  });
  return { images, reading };
}

/** Parses a txt2img body: A1111's whole request model; the hires fix is refused until it can run. */
export function readTxt2Img(body: unknown): A1111Reading {
  const { data, unknown } = parseA1111Body(a1111Txt2ImgShapeAll, body);
  if (data.enable_hr) {
    throw new StudioError(
      'invalid_request',
      'enable_hr: the hires fix (a second, upscaled pass) is not available here yet, and would change the image. ' +
        'Send enable_hr: false and ask for the final size directly (width and height up to 2048).',
      A1111_HINT,
    );
  }
  return readA1111Common(data, unknown);
}

/** One image's parameters from a txt2img body (batch, checkpoint switch and defaults model not resolved). */
export function a1111ToParams(body: unknown): GenerationParams {
  const reading = readTxt2Img(body);
  return a1111Plan({ ...reading, count: 1 }, reading.checkpoint).images[0];
}

export interface A1111Response {
  images: string[];
  /** The request as it ran, defaults and the resolved first seed filled in. */
  parameters: Record<string, unknown>;
  /** JSON text, as A1111 sends it (clients call json.loads(info)). */
  info: string;
}

export interface A1111Made {
  record: ResultRecord;
  png: Uint8Array;
  /** The PNG's `parameters` text chunk. */
  infotext?: string;
  shareUrl: string;
}

/** A1111's answer for the images made, in order (fewer than asked when the request was interrupted or skipped). */
export function a1111Response(
  made: readonly A1111Made[],
  reading: Pick<A1111Reading, 'batchSize' | 'nIter' | 'sendImages' | 'ignored'>,
  extra: { interrupted?: boolean; skipped?: number } = {},
): A1111Response {
  const first = made[0]?.record.request;
  if (!first) throw new Error('a1111Response needs at least one image');
  // The prompt as A1111 clients wrote it: the LoRA tags the studio took out of it are written back.
  const promptOf = (request: ResultRecord['request']) => [request.prompt, loraTags(request.loras)].filter(Boolean).join(' ');
  const parameters = {
    prompt: promptOf(first),
    negative_prompt: first.negativePrompt ?? '',
    steps: first.steps,
    cfg_scale: first.cfg,
    width: first.width,
    height: first.height,
    seed: first.seed,
    sampler_name: 'Euler',
    scheduler: 'Simple',
    batch_size: reading.batchSize,
    n_iter: reading.nIter,
  };
  const info = {
    ...parameters,
    all_prompts: made.map(({ record }) => promptOf(record.request)),
    all_negative_prompts: made.map(({ record }) => record.request.negativePrompt ?? ''),
    all_seeds: made.map(({ record }) => record.request.seed),
    all_subseeds: made.map(({ record }) => record.request.seed),
    subseed: first.seed,
    subseed_strength: 0,
    sd_model_name: made[0].record.model.name,
    sd_model_hash: null,
    index_of_first_image: 0,
    infotexts: made.map(({ infotext }) => infotext ?? ''),
    job_timestamp: new Date(made[0].record.createdAt).toISOString().replace(/\D/g, '').slice(0, 14),
    ignored: reading.ignored.map(({ field }) => field),
    ignored_reasons: Object.fromEntries(reading.ignored.map(({ field, reason }) => [field, reason])),
    ...(extra.interrupted ? { interrupted: true } : {}),
    ...(extra.skipped ? { skipped: extra.skipped } : {}),
    // The first image's record, as before batches, and every image's id and share link.
    zimage: {
      id: made[0].record.id,
      share_url: made[0].shareUrl,
      precision: first.precision,
      ep: first.ep,
      components: made[0].record.components,
      duration_ms: made[0].record.durationMs,
      results: made.map(({ record, shareUrl }) => ({ id: record.id, seed: record.request.seed, share_url: shareUrl, duration_ms: record.durationMs })),
    },
  };
  const images = reading.sendImages ? made.map(({ png }) => Buffer.from(png).toString('base64')) : [];
  return { images, parameters, info: JSON.stringify(info) };
}
