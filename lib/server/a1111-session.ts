// The state A1111's API keeps between requests, for this server process: the settings (/sdapi/v1/options, in
// DATA_DIR/a1111-options.json so a checkpoint switch survives a restart), and the A1111 requests in flight, whose
// images it runs one job at a time through the studio's queue so /progress, /interrupt and /skip can act on them.
// A1111 clients expect one global state (one loaded model, one running request), so interrupt and skip act on the
// requests of this surface only, never on jobs the studio page or other APIs queued. Deliberately per process:
// with the Redis queue each studio server answers for the requests it took.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from '../../inference/pipeline/types.ts';
import { findCheckpoint, unknownCheckpoint, type A1111Made, type A1111Plan } from '../api/a1111.ts';
import { OPTION_LIMITS, progressView, type ProgressInput } from '../api/a1111-surface.ts';
import { StudioError, type ApiErrorCode } from '../errors.ts';
import { readPngText } from '../engine/index.ts';
import { shareUrl } from '../results.ts';
import { waitForJob } from '../queue/wait.ts';
import type { JobInput } from '../system.ts';
import { getStudio, type Studio } from './studio.ts';

const OPTIONS_FILE = 'a1111-options.json';

interface StoredOptions {
  /** A model id, once a client switched the checkpoint; else the studio's default model. */
  checkpoint?: string;
  values: Record<string, unknown>;
}

interface Task {
  total: number;
  done: number;
  startedAt: number;
  jobId?: string;
  interrupted: boolean;
  /** Set by /skip: the current image's job is canceled and the request goes on with the next one. */
  skipping: boolean;
  skipped: number;
}

interface SessionState {
  options?: StoredOptions;
  tasks: Task[];
}

const STATE = Symbol.for('zimage-studio.a1111-session');

/** Shared across route bundles, like the studio itself (lib/server/studio.ts). */
function state(): SessionState {
  const holder = globalThis as typeof globalThis & { [STATE]?: SessionState };
  holder[STATE] ??= { tasks: [] };
  return holder[STATE];
}

function optionsPath(studio: Studio): string {
  return path.join(studio.env.DATA_DIR, OPTIONS_FILE);
}

function loadOptions(studio: Studio): StoredOptions {
  const session = state();
  if (session.options) return session.options;
  let stored: StoredOptions = { values: {} };
  try {
    const parsed = JSON.parse(fs.readFileSync(optionsPath(studio), 'utf8')) as Partial<StoredOptions>;
    stored = { checkpoint: typeof parsed.checkpoint === 'string' ? parsed.checkpoint : undefined, values: parsed.values ?? {} };
  } catch {
    // No file yet (or a damaged one): A1111's defaults.
  }
  session.options = stored;
  return stored;
}

function saveOptions(studio: Studio, options: StoredOptions): void {
  state().options = options;
  const file = optionsPath(studio);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(options));
  fs.renameSync(temporary, file);
}

/** The models A1111 clients may pick, and the one their requests run on when they name none. */
export async function checkpoints(): Promise<{ models: ModelEntry[]; current: ModelEntry | undefined }> {
  const studio = getStudio();
  const models = await studio.engine.models();
  const chosen = loadOptions(studio).checkpoint;
  const current = (chosen ? models.find((model) => model.id === chosen) : undefined) ?? studio.engine.defaultModel(models);
  return { models, current };
}

/** The stored settings (the checkpoint as a model id). */
export async function readOptions(): Promise<{ values: Record<string, unknown>; checkpoint: string | null }> {
  const { current } = await checkpoints();
  return { values: loadOptions(getStudio()).values, checkpoint: current?.id ?? null };
}

/** Switches the checkpoint (a 400 listing the titles when unknown) and stores every other key as sent. */
export async function updateOptions(update: { checkpoint?: string; stored: Record<string, unknown> }): Promise<{ checkpoint: string | null }> {
  const studio = getStudio();
  const { models, current } = await checkpoints();
  let checkpoint = loadOptions(studio).checkpoint;
  if (update.checkpoint !== undefined) {
    const model = findCheckpoint(update.checkpoint, models);
    if (!model) throw unknownCheckpoint('sd_model_checkpoint', update.checkpoint, models);
    checkpoint = model.id;
  }
  const values = { ...loadOptions(studio).values, ...update.stored };
  if (Object.keys(values).length > OPTION_LIMITS.keys) {
    throw new StudioError('invalid_request', `At most ${OPTION_LIMITS.keys} options are kept; this update would make ${Object.keys(values).length}. Send the settings your client reads only.`);
  }
  saveOptions(studio, { checkpoint, values });
  return { checkpoint: checkpoint ?? current?.id ?? null };
}

/** The model id a request runs on: its own checkpoint (override_settings, `model`), else the switched default. */
export async function resolveCheckpoint(requested: string | undefined, field: string): Promise<string | undefined> {
  const { models, current } = await checkpoints();
  if (requested === undefined) return current?.id;
  const model = findCheckpoint(requested, models);
  if (!model) throw unknownCheckpoint(field, requested, models);
  return model.id;
}

export interface A1111Run {
  made: A1111Made[];
  interrupted: boolean;
  skipped: number;
}

/**
 * Runs the plan's images one job at a time (a later `count` field of the studio's batches can replace the loop with
 * one submission). All images are resolved before the first job is queued, so a bad model or precision fails at once.
 */
export async function runA1111(plan: A1111Plan, signal: AbortSignal, origin: string): Promise<A1111Run> {
  const { engine, queue, store } = getStudio();
  const inputs: JobInput[] = [];
  for (const params of plan.images) inputs.push(await engine.resolve(params));
  const task: Task = { total: inputs.length, done: 0, startedAt: Date.now(), interrupted: false, skipping: false, skipped: 0 };
  const tasks = state().tasks;
  tasks.push(task);
  const made: A1111Made[] = [];
  try {
    for (const input of inputs) {
      if (task.interrupted) break;
      const job = await queue.submit(input);
      task.jobId = job.id;
      if (task.interrupted) await queue.cancel(job.id);
      const ended = await waitForJob(queue, job.id, signal);
      task.jobId = undefined;
      if (ended.status === 'succeeded' && ended.output) {
        const record = ended.output;
        const png = await store.readImage(record.id);
        const infotext = (await readPngText(png)).parameters;
        made.push({ record, png, infotext, shareUrl: `${origin}${shareUrl(record.id)}` });
        task.done++;
      } else if (ended.status === 'canceled') {
        if (task.interrupted) break;
        if (task.skipping) {
          task.skipping = false;
          task.skipped++;
          task.done++;
          continue;
        }
        throw new StudioError('canceled', 'The job was canceled (from the studio or another client) before it finished. Send the request again.');
      } else {
        const error = ended.error ?? { code: 'engine_failed', message: 'The engine failed without a message; see the server log.' };
        // the job's stored error, as errorBody wrote it
        throw new StudioError(500, error.code as ApiErrorCode, error.message, error.hint);
      }
    }
  } finally {
    tasks.splice(tasks.indexOf(task), 1);
  }
  if (made.length === 0) {
    const why = task.interrupted ? 'interrupted (POST /sdapi/v1/interrupt)' : 'skipped (POST /sdapi/v1/skip)';
    throw new StudioError(task.interrupted ? 'request_interrupted' : 'request_skipped', `The request was ${why} before any image was finished. Send it again.`);
  }
  return { made, interrupted: task.interrupted, skipped: task.skipped };
}

/** POST /sdapi/v1/interrupt: every A1111 request in flight stops; images already made are still returned. */
export async function interruptAll(): Promise<number> {
  const { queue } = getStudio();
  const tasks = [...state().tasks];
  for (const task of tasks) {
    task.interrupted = true;
    if (task.jobId) await queue.cancel(task.jobId);
  }
  return tasks.length;
}

/** POST /sdapi/v1/skip: the oldest request's current image is dropped and its next image starts. */
export async function skipCurrent(): Promise<boolean> {
  const task = state().tasks[0];
  if (!task?.jobId) return false;
  task.skipping = true;
  await getStudio().queue.cancel(task.jobId);
  return true;
}

/** GET /sdapi/v1/progress for the oldest A1111 request in flight (A1111 runs one at a time). */
export async function progress(): Promise<ReturnType<typeof progressView>> {
  const task = state().tasks[0];
  if (!task) return progressView(undefined);
  const input: ProgressInput = {
    total: task.total,
    done: task.done,
    startedAt: task.startedAt,
    interrupted: task.interrupted,
    skipped: task.skipping,
  };
  if (task.jobId) {
    const job = await getStudio().queue.get(task.jobId);
    if (job) {
      const p = job.progress;
      input.job = {
        status: job.status === 'queued' ? 'queued' : job.status === 'running' ? 'running' : 'other',
        position: job.position,
        step: p?.phase === 'denoise' ? p.step : p && ['decode', 'png'].includes(p.phase) ? p.totalSteps ?? job.input.request.steps : 0,
        totalSteps: p?.totalSteps ?? job.input.request.steps,
        elapsedMs: p?.elapsedMs,
        etaMs: p?.etaMs,
      };
      // Live previews ride on progress events where the queue makes them (the studio's batches); absent otherwise.
      const preview = (p as { preview?: unknown } | undefined)?.preview;
      if (typeof preview === 'string') input.preview = preview;
    }
  }
  return progressView(input);
}
