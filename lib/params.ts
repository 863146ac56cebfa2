// Generation parameters as the studio accepts them: limits, presets and the zod schema shared by the browser form
// (inline errors before any request is sent) and the server routes (the same rules, enforced). Deliberately knows
// nothing about models on disk or the machine: whether a precision is available is decided in lib/precision.ts.
import { z } from './zod.ts';
import { LIMITS } from '../inference/pipeline/rules.ts';
import { PRECISIONS } from '../inference/pipeline/types.ts';
import { hiresParamsSchema, imageParamsSchema } from './images/params.ts';
import { variantSpec, Z_IMAGE_VARIANTS } from '../inference/models/variants.ts';
import { loraStackSchema } from './loras.ts';

// Derived from the engine's one table (inference/pipeline/rules.ts), with the studio's own entries.
export const SIZE_LIMITS = { min: LIMITS.studio.minSide, max: LIMITS.maxSide, multiple: LIMITS.multiple } as const;
export const STEP_LIMITS = { min: LIMITS.minSteps, max: LIMITS.maxSteps } as const;
export const CFG_LIMITS = { min: LIMITS.minCfg, max: LIMITS.maxCfg } as const;
/** JSON numbers are exact up to 2^53 − 1, so seeds stay exact through every API and the database. */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;
/** Images per request (one queue entry, one cancel); seeds run seed, seed+1, … unless each is drawn at random. */
export const COUNT_LIMITS = { min: 1, max: 8 } as const;
/** The text encoder reads at most 512 tokens; this cap only stops absurd payloads, the engine reports truncation. */
export const PROMPT_MAX_CHARS = LIMITS.studio.maxPromptChars;

export interface ResolutionPreset {
  id: string;
  label: string;
  width: number;
  height: number;
  /** Width:height, shown beside non-square presets. */
  aspect: string;
  note: string;
}

export const RESOLUTION_PRESETS: readonly ResolutionPreset[] = [
  { id: '768x768', label: '768²', width: 768, height: 768, aspect: '1:1', note: 'Square, fastest' },
  { id: '1024x1024', label: '1024²', width: 1024, height: 1024, aspect: '1:1', note: 'Square, the Turbo default' },
  { id: '1280x1280', label: '1280²', width: 1280, height: 1280, aspect: '1:1', note: 'Square, large' },
  { id: '832x1216', label: '832 × 1216', width: 832, height: 1216, aspect: '2:3', note: 'Portrait 2:3' },
  { id: '896x1152', label: '896 × 1152', width: 896, height: 1152, aspect: '7:9', note: 'Portrait 7:9' },
];

export interface ParamPreset {
  id: string;
  label: string;
  steps: number;
  cfg: number;
  description: string;
}

/** Turbo's presets (the default variant's); presetsFor gives each variant's. */
export const PARAM_PRESETS: readonly ParamPreset[] = Z_IMAGE_VARIANTS.turbo.presets;

/** The presets of a model variant ("turbo", "base"); unknown variants get Turbo's. */
export function presetsFor(variant: string | undefined): readonly ParamPreset[] {
  return variantSpec(variant).presets;
}

/** Says what is wrong with one image side and which valid values are nearest, or null when it is valid. */
export function sizeProblem(label: 'Width' | 'Height', value: number): string | null {
  const { min, max, multiple } = SIZE_LIMITS;
  if (!Number.isFinite(value)) return `${label} must be a number of pixels from ${min} to ${max}.`;
  if (value < min || value > max) {
    return `${label} ${value} is outside ${min}–${max}. Use a multiple of ${multiple} from ${min} to ${max}.`;
  }
  if (value % multiple !== 0) {
    const lower = Math.max(min, Math.floor(value / multiple) * multiple);
    const upper = Math.min(max, Math.ceil(value / multiple) * multiple);
    return `${label} ${value} is not a multiple of ${multiple}: the latent grid is 1/16 of the image. Use ${lower} or ${upper}.`;
  }
  return null;
}

function dimension(label: 'Width' | 'Height') {
  return z
    .number({ error: `${label} must be a number of pixels from ${SIZE_LIMITS.min} to ${SIZE_LIMITS.max}.` })
    .superRefine((value, ctx) => {
      const problem = sizeProblem(label, value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** Control characters other than tab and newlines, and UTF-16 halves without their pair: never typed text. */
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text that goes into the encoder and the PNG's text chunks, where a NUL would end the chunk early. */
function promptText(label: string) {
  return z
    .string({ error: `${label} must be a string.` })
    .refine((text) => !UNPRINTABLE.test(text), {
      message: `${label} contains a control character or a broken UTF-16 pair; remove it (tabs and line breaks are fine).`,
    });
}

/** Says what is wrong with a seed, or null when it is valid: too large before "not whole", since past 2^53 no number is. */
export function seedProblem(value: number): string | null {
  if (!Number.isFinite(value)) return 'Seed must be a whole number.';
  if (value > SEED_MAX) return `Seed ${value} is too large: the most is ${SEED_MAX} (2^53 − 1), which stays exact in JSON.`;
  if (value < 0) return 'Seed must be 0 or more; press the dice for a random one.';
  if (!Number.isInteger(value)) return 'Seed must be a whole number.';
  return null;
}

/** Model ids are folder names under weights/, matched exactly against GET /api/system; never used as a path. */
const MODEL_ID = /^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]{1,128}$/;

export const generationParamsSchema = z.strictObject({
  prompt: promptText('prompt')
    .trim()
    .min(1, 'Write a prompt: it cannot be empty.')
    .max(PROMPT_MAX_CHARS, `The prompt is over ${PROMPT_MAX_CHARS} characters; the encoder reads only 512 tokens anyway.`),
  negativePrompt: promptText('negativePrompt')
    .max(PROMPT_MAX_CHARS, `The negative prompt is over ${PROMPT_MAX_CHARS} characters; shorten it.`)
    .default(''),
  steps: z
    .number({ error: 'Steps must be a whole number.' })
    .int('Steps must be a whole number.')
    .min(STEP_LIMITS.min, `Steps must be at least ${STEP_LIMITS.min}; Turbo is made for 8.`)
    .max(STEP_LIMITS.max, `Steps above ${STEP_LIMITS.max} are refused: Turbo gains nothing after ~16. Use 8–12.`),
  cfg: z
    .number({ error: 'CFG must be a number (1 = off).' })
    .min(CFG_LIMITS.min, 'CFG is classic here: 1 means off. Use 1 (Turbo default) or 1.5–3.')
    .max(CFG_LIMITS.max, `CFG above ${CFG_LIMITS.max} only burns the image. Use 1–3 for Turbo.`),
  width: dimension('Width'),
  height: dimension('Height'),
  // One message per seed, the size checked first: zod's int() refuses any number past 2^53 as "not an integer",
  // which is wrong advice for a seed that is whole but too large.
  seed: z.number({ error: 'Seed must be a whole number.' }).superRefine((value, ctx) => {
    const problem = seedProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** Images in this one job: seeds seed … seed+count−1 (or random each); one queue entry, one cancel. */
  count: z
    .number({ error: `count must be a whole number of images from ${COUNT_LIMITS.min} to ${COUNT_LIMITS.max}.` })
    .int(`count must be a whole number of images from ${COUNT_LIMITS.min} to ${COUNT_LIMITS.max}.`)
    .min(COUNT_LIMITS.min, `count must be at least ${COUNT_LIMITS.min} image.`)
    .max(COUNT_LIMITS.max, `count is at most ${COUNT_LIMITS.max} images per job; queue another job for more.`)
    .default(1),
  /** true: every image of the batch gets its own random seed (the first keeps `seed`); false: seed, seed+1, … */
  randomSeeds: z.boolean({ error: 'randomSeeds must be true or false.' }).default(false),
  /** false: no live preview images on the job's events (API clients that only want the result); on by default. */
  preview: z.boolean({ error: 'preview must be true or false.' }).default(true),
  /** Omitted: the best precision the model and machine allow (see lib/precision.ts). */
  precision: z.enum(PRECISIONS, { error: `precision must be one of ${PRECISIONS.join(', ')}.` }).optional(),
  /** LoRAs merged into the DiT, in order (prompt tags <lora:NAME:WEIGHT> join them on the server: lib/loras.ts). */
  loras: loraStackSchema.optional(),
  /** Omitted: the first real model, else the trained demo, else the tiny one. */
  model: z
    .string({ error: 'model must be a model id from GET /api/system.' })
    .regex(MODEL_ID, 'model must be a model id from GET /api/system (a folder name under weights/, not a path).')
    .optional(),
  /** Image to image / inpainting from a stored upload or result (lib/images/params.ts). */
  image: imageParamsSchema.optional(),
  /** Hires fix on text to image. */
  hires: hiresParamsSchema.optional(),
});

export type GenerationParams = z.output<typeof generationParamsSchema>;
export type GenerationParamsInput = z.input<typeof generationParamsSchema>;
export type ParamField = keyof GenerationParamsInput;

/** First message per field, for inline errors beside each control. */
export function paramFieldErrors(input: unknown): Partial<Record<ParamField, string>> {
  const result = generationParamsSchema.safeParse(input);
  if (result.success) return {};
  const errors: Partial<Record<ParamField, string>> = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0] as ParamField | undefined;
    if (field && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}

/** A uniform seed in 0..2^53−1 from the platform CSPRNG (browser and Node both have globalThis.crypto). */
export function randomSeed(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high & 0x1fffff) * 2 ** 32 + low;
}

/** Parses "1024x1024" (also "1024×1024"); null when it is not two whole numbers. */
export function parseSize(size: string): { width: number; height: number } | null {
  const match = /^\s*(\d{1,5})\s*[x×]\s*(\d{1,5})\s*$/i.exec(size);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}
