// What A1111's read-only routes answer, built from the studio's own state: checkpoints (/sd-models), settings
// (/options, with sd_model_checkpoint honoured and every other key stored, echoed and reported as ignored),
// samplers, schedulers, upscalers, VAEs, embeddings, scripts, command-line flags, the progress snapshot, and PNG Info
// (the `parameters` text parsed as A1111's parse_generation_parameters does). Deliberately pure: no queue, no disk,
// no HTTP; lib/server/a1111-session.ts holds the state and the routes answer with these shapes.
import { z } from '../zod.ts';
import { StudioError } from '../errors.ts';
import type { ModelInfo } from '../system.ts';
import { A1111_SAMPLERS, A1111_SCHEDULERS } from './a1111-fields.ts';

/** GET /sdapi/v1/sd-models: the model id is the title clients send back (options, override_settings). */
export function sdModels(models: readonly ModelInfo[]) {
  return models.map((model) => ({
    title: model.id,
    model_name: model.id,
    hash: null,
    sha256: null,
    filename: model.id,
    config: null,
    // Z-Image extras.
    name: model.name,
    precisions: model.precisions,
    tiny: model.tiny,
  }));
}

/** Options A1111 clients read; none of them changes a Z-Image result (they are stored and echoed when set). */
export const A1111_OPTION_DEFAULTS: Readonly<Record<string, unknown>> = {
  sd_vae: 'Automatic',
  CLIP_stop_at_last_layers: 1,
  samples_format: 'png',
  eta_noise_seed_delta: 0,
  show_progress_every_n_steps: -1,
  live_previews_enable: false,
  sd_checkpoint_hash: null,
};

/** Keys that mean something here; every other key is stored and echoed only. */
export const HONOURED_OPTIONS = ['sd_model_checkpoint'] as const;

/** Bounds on stored options, so a client cannot grow the settings file without limit. */
export const OPTION_LIMITS = { keys: 500, keyChars: 200 } as const;

export function optionsView(stored: Readonly<Record<string, unknown>>, checkpoint: string | null): Record<string, unknown> {
  return { ...A1111_OPTION_DEFAULTS, ...stored, sd_model_checkpoint: checkpoint };
}

export const optionsUpdateSchema = z
  .record(z.string().max(OPTION_LIMITS.keyChars, `option names are at most ${OPTION_LIMITS.keyChars} characters`), z.unknown())
  .refine((value) => Object.keys(value).length <= OPTION_LIMITS.keys, `at most ${OPTION_LIMITS.keys} options at once`);

/** Splits a POST /sdapi/v1/options body into the checkpoint switch and the keys only stored. */
export function readOptionsUpdate(body: Record<string, unknown>): { checkpoint?: string; stored: Record<string, unknown> } {
  const { sd_model_checkpoint: checkpoint, ...rest } = body;
  if (checkpoint !== undefined && checkpoint !== null && (typeof checkpoint !== 'string' || !checkpoint.trim())) {
    throw new StudioError('invalid_request', 'sd_model_checkpoint: must be a checkpoint title from GET /sdapi/v1/sd-models.');
  }
  return { checkpoint: typeof checkpoint === 'string' ? checkpoint : undefined, stored: rest };
}

export const SD_UPSCALERS = [{ name: 'None', model_name: null, model_path: null, model_url: null, scale: 4 }] as const;

export function samplers() {
  return A1111_SAMPLERS;
}

export function schedulers() {
  return A1111_SCHEDULERS;
}

/** What A1111's progress snapshot says about one request in flight (or none). */
export interface ProgressInput {
  /** Images the request asked for, made so far, and skipped. */
  total: number;
  done: number;
  /** Where the current image's job is: queued (with its place), running (step k of N) or between jobs. */
  job?: { status: 'queued' | 'running' | 'other'; position?: number | null; step?: number; totalSteps?: number; elapsedMs?: number; etaMs?: number };
  startedAt: number;
  interrupted: boolean;
  skipped: boolean;
  /** The current step's live preview (a data: URL), when the queue reports one. */
  preview?: string;
}

const IDLE_STATE = {
  skipped: false,
  interrupted: false,
  stopping_generation: false,
  job: '',
  job_count: 0,
  job_timestamp: '0',
  job_no: 0,
  sampling_step: 0,
  sampling_steps: 0,
};

/** GET /sdapi/v1/progress: progress 0..1 over all images of the request, ETA in seconds, A1111's state dict. */
export function progressView(input: ProgressInput | undefined) {
  if (!input) return { progress: 0, eta_relative: 0, state: IDLE_STATE, current_image: null, textinfo: null };
  const { job, total, done } = input;
  const step = job?.status === 'running' ? (job.step ?? 0) : 0;
  const steps = job?.totalSteps ?? 0;
  const fraction = steps > 0 ? step / steps : 0;
  const progress = Math.min(1, (done + fraction) / Math.max(1, total));
  // The current image's ETA, plus the images after it at the current image's pace.
  let eta = 0;
  if (job?.etaMs !== undefined) {
    const perImage = (job.elapsedMs ?? 0) + job.etaMs;
    eta = (job.etaMs + perImage * Math.max(0, total - done - 1)) / 1000;
  }
  const stamp = new Date(input.startedAt).toISOString().replace(/\D/g, '').slice(0, 14);
  const textinfo =
    job?.status === 'queued'
      ? `Image ${done + 1} of ${total}: waiting in the queue${job.position ? ` (place ${job.position})` : ''}`
      : `Image ${Math.min(total, done + 1)} of ${total}${steps ? `: step ${step} of ${steps}` : ''}`;
  return {
    progress: Number(progress.toFixed(4)),
    eta_relative: Number(eta.toFixed(2)),
    state: {
      skipped: input.skipped,
      interrupted: input.interrupted,
      stopping_generation: false,
      job: `Batch ${done + 1} out of ${total}`,
      job_count: total,
      job_timestamp: stamp,
      job_no: done,
      sampling_step: step,
      sampling_steps: steps,
    },
    // The step's live preview as base64 (A1111 sends PNG, clients open either); null without one, as A1111 does.
    current_image: input.preview?.startsWith('data:') ? input.preview.slice(input.preview.indexOf(',') + 1) : null,
    textinfo,
  };
}

/** A1111's quote(): a value with a comma, colon or line break is written as a JSON string. */
function unquote(value: string): string {
  if (value.startsWith('"') && value.endsWith('"')) {
    try {
      return String(JSON.parse(value));
    } catch {
      return value;
    }
  }
  return value;
}

const PARAM_PATTERN = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

/**
 * Parses A1111's `parameters` text: prompt lines, an optional "Negative prompt:" line, and a last line of
 * "Key: value" pairs (taken as parameters only when it has at least three, as A1111 requires).
 */
export function parseInfotext(text: string): Record<string, string> {
  const lines = text.trim().split('\n');
  let last = lines.pop() ?? '';
  if ([...last.matchAll(PARAM_PATTERN)].length < 3) {
    lines.push(last);
    last = '';
  }
  let prompt = '';
  let negative = '';
  let inNegative = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (line.startsWith('Negative prompt:')) {
      inNegative = true;
      line = line.slice('Negative prompt:'.length).trim();
    }
    if (inNegative) negative += (negative ? '\n' : '') + line;
    else prompt += (prompt ? '\n' : '') + line;
  }
  const result: Record<string, string> = { Prompt: prompt, 'Negative prompt': negative };
  if (last) {
    for (const [, key, value] of last.matchAll(PARAM_PATTERN)) {
      const clean = unquote(value.trim());
      const size = /^(\d+)x(\d+)$/.exec(clean);
      if (size) {
        result[`${key.trim()}-1`] = size[1];
        result[`${key.trim()}-2`] = size[2];
      } else {
        result[key.trim()] = clean;
      }
    }
  }
  return result;
}

/** POST /sdapi/v1/png-info's answer from a PNG's text chunks. */
export function pngInfoView(text: Readonly<Record<string, string>>) {
  const { parameters, ...items } = text;
  return { info: parameters ?? '', items, parameters: parameters ? parseInfotext(parameters) : {} };
}

/** "data:image/png;base64,…" or bare base64 → bytes; a 400 that says what to send otherwise. */
export function decodeBase64Image(field: string, value: string): Uint8Array {
  const payload = value.startsWith('data:') ? value.slice(value.indexOf(',') + 1) : value;
  const clean = payload.replace(/\s+/g, '');
  if (!clean || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) {
    throw new StudioError('invalid_request', `${field}: must be a base64-encoded PNG (optionally as a data: URL).`);
  }
  return new Uint8Array(Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64'));
}
