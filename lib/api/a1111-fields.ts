// A1111's request model for image generation (StableDiffusionProcessing and the API's own extras), shared by
// /sdapi/v1/txt2img and /sdapi/v1/img2img: every field A1111's API accepts, typed loosely as its pydantic model is
// (any field may be null), and sorted into what this studio honours, what it accepts and reports as ignored because
// it does not change a Z-Image result, and what it refuses because it would change the image and cannot be honoured
// (other samplers, scripts, styles, refiners). Also the sampler and scheduler names that map onto what runs.
// Deliberately no HTTP and no model lookup: the route resolves checkpoints (lib/api/a1111.ts) and runs jobs.
import { z } from '../zod.ts';
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { PRECISIONS } from '../../inference/pipeline/types.ts';

const num = () => z.number().nullish();
const int = () => z.number().int().nullish();
const bool = () => z.boolean().nullish();
const str = () => z.string().nullish();

/** The fields of A1111's StableDiffusionProcessing that its API exposes, plus the API extras and common forks'. */
export const a1111CommonShape = {
  prompt: str(),
  negative_prompt: str(),
  styles: z.array(z.string()).nullish(),
  seed: int(),
  subseed: int(),
  subseed_strength: num(),
  seed_resize_from_h: int(),
  seed_resize_from_w: int(),
  sampler_name: str(),
  /** Deprecated in A1111 in favour of sampler_name (a name there too); used only when sampler_name is absent. */
  sampler_index: z.union([z.string(), z.number()]).nullish(),
  scheduler: str(),
  batch_size: int(),
  n_iter: int(),
  steps: num(),
  cfg_scale: num(),
  width: num(),
  height: num(),
  restore_faces: bool(),
  tiling: bool(),
  do_not_save_samples: bool(),
  do_not_save_grid: bool(),
  eta: num(),
  denoising_strength: num(),
  s_min_uncond: num(),
  s_churn: num(),
  s_tmax: num(),
  s_tmin: num(),
  s_noise: num(),
  override_settings: z.record(z.string(), z.unknown()).nullish(),
  override_settings_restore_afterwards: bool(),
  refiner_checkpoint: str(),
  refiner_switch_at: num(),
  disable_extra_networks: bool(),
  firstpass_image: str(),
  comments: z.record(z.string(), z.unknown()).nullish(),
  script_name: str(),
  script_args: z.array(z.unknown()).nullish(),
  send_images: bool(),
  save_images: bool(),
  alwayson_scripts: z.record(z.string(), z.unknown()).nullish(),
  force_task_id: str(),
  infotext: str(),
  // Forks: Forge's distilled CFG and module lists, SD.Next's clip_skip.
  distilled_cfg_scale: num(),
  forge_additional_modules: z.array(z.string()).nullish(),
  clip_skip: num(),
  // Z-Image extras.
  model: str(),
  precision: z.enum(PRECISIONS, { error: `precision must be one of ${PRECISIONS.join(', ')}.` }).nullish(),
} as const;

/** txt2img's own fields: the hires fix (a second pass) and its first-pass size. */
export const a1111Txt2ImgShape = {
  enable_hr: bool(),
  firstphase_width: num(),
  firstphase_height: num(),
  hr_scale: num(),
  hr_upscaler: str(),
  hr_second_pass_steps: num(),
  hr_resize_x: num(),
  hr_resize_y: num(),
  hr_checkpoint_name: str(),
  hr_sampler_name: str(),
  hr_scheduler: str(),
  hr_prompt: str(),
  hr_negative_prompt: str(),
  hr_cfg: num(),
  hr_distilled_cfg: num(),
  hr_additional_modules: z.array(z.string()).nullish(),
} as const;

/** Why each accepted field leaves a Z-Image result unchanged; listed in `info.ignored` when a request sends it. */
export const A1111_IGNORED: Record<string, string> = {
  subseed: 'variation seeds are not implemented; the seed alone decides the noise',
  subseed_strength: 'variation seeds are not implemented; the seed alone decides the noise',
  seed_resize_from_h: 'variation seeds are not implemented',
  seed_resize_from_w: 'variation seeds are not implemented',
  restore_faces: 'no face restoration runs after Z-Image',
  tiling: 'Z-Image has no tiling mode',
  do_not_save_samples: 'every result is kept in the studio history',
  do_not_save_grid: 'no grids are made',
  save_images: 'every result is kept in the studio history',
  eta: 'the flow-matching Euler sampler adds no noise, so eta has no effect',
  s_min_uncond: 'a k-diffusion sampler option; the Euler sampler here has none',
  s_churn: 'a k-diffusion sampler option; the Euler sampler here has none',
  s_tmax: 'a k-diffusion sampler option; the Euler sampler here has none',
  s_tmin: 'a k-diffusion sampler option; the Euler sampler here has none',
  s_noise: 'a k-diffusion sampler option; the Euler sampler here has none',
  override_settings_restore_afterwards: 'override_settings apply to this request only',
  refiner_switch_at: 'no refiner runs (refiner_checkpoint is refused when set)',
  disable_extra_networks: 'extra networks are not applied here',
  comments: 'A1111 UI comments',
  script_args: 'no A1111 script runs (script_name is refused when set)',
  force_task_id: 'progress is reported through GET /sdapi/v1/progress',
  infotext: 'fields are read from the request body, not from an infotext',
  distilled_cfg_scale: 'a Forge option for Flux; Z-Image-Turbo has no distilled guidance input',
  forge_additional_modules: 'Z-Image runs its own text encoder and VAE',
  clip_skip: 'Z-Image encodes with Qwen3, not CLIP',
  denoising_strength: 'text-to-image starts from pure noise (img2img and the hires fix use it)',
  firstpass_image: 'used by the hires fix only',
  firstphase_width: 'used by the hires fix only',
  firstphase_height: 'used by the hires fix only',
  hr_scale: 'enable_hr is off',
  hr_upscaler: 'enable_hr is off',
  hr_second_pass_steps: 'enable_hr is off',
  hr_resize_x: 'enable_hr is off',
  hr_resize_y: 'enable_hr is off',
  hr_checkpoint_name: 'enable_hr is off',
  hr_sampler_name: 'enable_hr is off',
  hr_scheduler: 'enable_hr is off',
  hr_prompt: 'enable_hr is off',
  hr_negative_prompt: 'enable_hr is off',
  hr_cfg: 'enable_hr is off',
  hr_distilled_cfg: 'enable_hr is off',
  hr_additional_modules: 'enable_hr is off',
};

/** override_settings keys that change nothing here; any other key is ignored too, with a generic reason. */
const OVERRIDE_IGNORED: Record<string, string> = {
  CLIP_stop_at_last_layers: 'Z-Image encodes with Qwen3, not CLIP',
  sd_vae: 'Z-Image decodes with its own VAE',
  samples_format: 'the API answers with PNG',
  eta_noise_seed_delta: 'the flow-matching Euler sampler adds no noise',
};

/** The one sampler that runs and the names A1111 clients use for it. */
export const A1111_SAMPLERS = [{ name: 'Euler', aliases: ['k_euler', 'euler'], options: {} }] as const;
/** The one schedule that runs (Z-Image's shifted flow-matching sigmas), and A1111's "let the sampler pick". */
export const A1111_SCHEDULERS = [
  { name: 'simple', label: 'Simple', aliases: ['automatic', 'Automatic'], default_rho: -1, need_inner_model: false },
] as const;

const SAMPLER_NAMES = new Set(A1111_SAMPLERS.flatMap((sampler) => [sampler.name, ...sampler.aliases].map((name) => name.toLowerCase())));
const SCHEDULER_NAMES = new Set(
  A1111_SCHEDULERS.flatMap((scheduler) => [scheduler.name, scheduler.label, ...scheduler.aliases].map((name) => name.toLowerCase())),
);

/** Most images one A1111 request makes (batch_size × n_iter), as the studio's own batches allow. */
export const A1111_MAX_IMAGES = 8;

export const A1111_HINT =
  'GET /sdapi/v1/samplers and /sdapi/v1/schedulers list what runs (Euler, Simple); GET /sdapi/v1/sd-models lists ' +
  'the checkpoints. Fields that do not change a Z-Image result are accepted and listed in info.ignored.';

export interface IgnoredField {
  field: string;
  reason: string;
}

/** What a request asks for once A1111's names are read: the studio's fields still unvalidated, plus the report. */
export interface A1111Reading {
  prompt: string;
  negativePrompt: string;
  steps?: number;
  cfg?: number;
  width?: number;
  height?: number;
  /** -1 or absent: random. */
  seed?: number;
  /** batch_size × n_iter. */
  count: number;
  batchSize: number;
  nIter: number;
  /** override_settings.sd_model_checkpoint, else the Z-Image extra `model`; resolved against sd-models later. */
  checkpoint?: string;
  precision?: (typeof PRECISIONS)[number];
  sendImages: boolean;
  ignored: IgnoredField[];
}

function refuse(field: string, message: string): never {
  throw new StudioError('invalid_request', `${field}: ${message}`, A1111_HINT);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * An alwayson script entry that is switched off: no args, a first arg of false (A1111's "enabled" checkbox), or
 * only units whose `enabled` is false (ControlNet's shape). Clients send these for every extension they know.
 */
function scriptIsOff(entry: unknown): boolean {
  if (entry === null || typeof entry !== 'object') return entry === null;
  const args = (entry as { args?: unknown }).args;
  if (args === undefined || args === null) return true;
  if (!Array.isArray(args)) return false;
  if (args.length === 0 || args[0] === false) return true;
  return args.every((arg) => typeof arg === 'object' && arg !== null && (arg as { enabled?: unknown }).enabled === false);
}

/** Sampler and scheduler as A1111 names them: what runs, or a 400 with the list. */
export function checkSampler(field: string, name: string | number | null | undefined): void {
  if (!present(name) || name === '') return;
  if (typeof name === 'number' || !SAMPLER_NAMES.has(String(name).trim().toLowerCase())) {
    refuse(
      field,
      `Z-Image-Turbo runs the flow-matching Euler sampler only, not "${String(name).slice(0, 60)}". ` +
        `Send "Euler" (the list: GET /sdapi/v1/samplers), or leave it out.`,
    );
  }
}

export function checkScheduler(field: string, name: string | null | undefined): void {
  if (!present(name) || name === '') return;
  if (!SCHEDULER_NAMES.has(String(name).trim().toLowerCase())) {
    refuse(
      field,
      `Z-Image runs its own shifted flow-matching schedule ("Simple"), not "${String(name).slice(0, 60)}". ` +
        'Send "simple" or "automatic" (the list: GET /sdapi/v1/schedulers), or leave it out.',
    );
  }
}

/** Parses a body with the given A1111 shape: unknown fields are kept (A1111 ignores them too) and reported. */
export function parseA1111Body<Shape extends z.ZodRawShape>(shape: Shape, body: unknown): { data: z.output<z.ZodObject<Shape>>; unknown: string[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new StudioError('invalid_request', 'The body must be a JSON object with at least "prompt".', A1111_HINT);
  }
  const result = z.object(shape).safeParse(body);
  if (!result.success) throw new StudioError('invalid_request', describeIssues(result.error.issues), A1111_HINT);
  const unknown = Object.keys(body).filter((key) => !(key in shape));
  return { data: result.data, unknown };
}

/**
 * Reads the common A1111 fields: refuses what cannot be honoured, lists what is ignored (all of A1111_IGNORED the
 * body sends, less `options.honoured`: img2img honours denoising_strength) and returns the studio's values for the
 * route to validate and run.
 */
export function readA1111Common(
  body: z.output<z.ZodObject<typeof a1111CommonShape>>,
  unknown: readonly string[],
  options: { honoured?: readonly string[] } = {},
): A1111Reading {
  const ignored: IgnoredField[] = [];
  const ignore = (field: string, reason: string) => ignored.push({ field, reason });

  checkSampler(body.sampler_name ? 'sampler_name' : 'sampler_index', body.sampler_name || body.sampler_index);
  checkScheduler('scheduler', body.scheduler);
  if (body.styles?.length) {
    refuse('styles', `this studio has no saved prompt styles, so ${JSON.stringify(body.styles.slice(0, 3))} cannot be applied. Put the style's words in the prompt and send styles: [].`);
  }
  if (body.refiner_checkpoint && body.refiner_checkpoint.toLowerCase() !== 'none') {
    refuse('refiner_checkpoint', 'no refiner runs after Z-Image-Turbo. Leave it out (or null).');
  }
  const script = body.script_name?.trim();
  if (script && script.toLowerCase() !== 'none') {
    refuse('script_name', `"${script.slice(0, 60)}" is not available: no A1111 scripts run here (GET /sdapi/v1/scripts lists none). Leave script_name out.`);
  }
  for (const [name, entry] of Object.entries(body.alwayson_scripts ?? {})) {
    if (!scriptIsOff(entry)) {
      refuse(
        `alwayson_scripts.${name.slice(0, 60)}`,
        'no A1111 extension runs here, so this script would not change the image as asked. Remove it, or send it switched off ({"args": [false]}).',
      );
    }
    ignore(`alwayson_scripts.${name.slice(0, 60)}`, 'switched off');
  }

  const batchSize = body.batch_size ?? 1;
  const nIter = body.n_iter ?? 1;
  if (batchSize < 1) refuse('batch_size', `must be 1 or more (got ${batchSize}).`);
  if (nIter < 1) refuse('n_iter', `must be 1 or more (got ${nIter}).`);
  if (batchSize * nIter > A1111_MAX_IMAGES) {
    refuse('batch_size', `batch_size × n_iter is ${batchSize * nIter}; one request makes at most ${A1111_MAX_IMAGES} images. Send several requests for more.`);
  }

  let checkpoint = body.model ?? undefined;
  for (const [key, value] of Object.entries(body.override_settings ?? {})) {
    if (key === 'sd_model_checkpoint') {
      if (typeof value !== 'string' || !value) refuse('override_settings.sd_model_checkpoint', 'must be a checkpoint title from GET /sdapi/v1/sd-models.');
      checkpoint = value;
    } else if (value !== undefined && value !== null) {
      ignore(`override_settings.${key.slice(0, 60)}`, OVERRIDE_IGNORED[key] ?? 'this setting does not change a Z-Image result');
    }
  }

  // The body carries the route's own fields too (txt2img's hr_*), so the table is read against all of it.
  for (const [field, reason] of Object.entries(A1111_IGNORED)) {
    const value = (body as Record<string, unknown>)[field];
    if (present(value) && !options.honoured?.includes(field) && !(field === 'save_images' && value === false)) ignore(field, reason);
  }
  for (const field of unknown) ignore(field.slice(0, 60), 'not a field of A1111\'s API');

  return {
    prompt: body.prompt ?? '',
    negativePrompt: body.negative_prompt ?? '',
    steps: body.steps ?? undefined,
    cfg: body.cfg_scale ?? undefined,
    width: body.width ?? undefined,
    height: body.height ?? undefined,
    seed: body.seed ?? undefined,
    count: batchSize * nIter,
    batchSize,
    nIter,
    checkpoint,
    precision: body.precision ?? undefined,
    sendImages: body.send_images ?? true,
    ignored,
  };
}
