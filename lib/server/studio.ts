// Wires the server side of the studio once per process: environment, engine (or the workers' catalogue), history
// store and job queue, and how a job's result reaches the store. The queue is chosen by REDIS_URL: unset, the
// in-process queue runs jobs on this process's engine thread (generate → thumbnail on the thread, atomic save here,
// so HTTP answers never wait for the engine's CPU work); set, BullMQ on Redis
// carries them to GPU workers (`npm run worker`) and this server stores what they send back, once per job.
// Kept on globalThis because Next.js may load this module once per route bundle; every route must share one queue
// and one loaded pipeline. Deliberately no HTTP here: routes own requests and responses.
import { createHash } from 'node:crypto';
import os from 'node:os';
import { ResultsStore } from '../db/results-store.ts';
import { resolveJobImage, UploadStore } from '../images/uploads.ts';
import { EngineAdapter, type Catalogue } from '../engine/index.ts';
import { EngineThread } from '../engine/thread.ts';
import { getEnv, ortOptions, type Env } from '../env.ts';
import { StudioError, type ApiErrorCode } from '../errors.ts';
import { errorBody } from '../http.ts';
import type { GenerationParams } from '../params.ts';
import { BullJobQueue } from '../queue/bull-queue.ts';
import { MemoryJobQueue } from '../queue/memory-queue.ts';
import { redactUrl } from '../queue/redis-protocol.ts';
import type { JobQueue } from '../queue/types.ts';
import { waitForJob } from '../queue/wait.ts';
import type { ResultRecord } from '../results.ts';
import type { JobInput } from '../system.ts';
import { fromProduced, jobRoute, resultIdForJob } from './generation.ts';
import { journalJobs } from './job-journal.ts';
import { saveJob } from './save-job.ts';
import { WorkerCatalogue, type StudioWorker } from './worker-catalogue.ts';

if (typeof window !== 'undefined') {
  throw new Error('lib/server is server-only: import it from route handlers or server components.');
}

export interface Studio {
  env: Env;
  /** Models, precisions and providers jobs can use: this process's engine, or the live workers with Redis. */
  engine: Catalogue;
  store: ResultsStore;
  queue: JobQueue<JobInput, ResultRecord>;
  /** Live workers (Redis back end); empty in-process. */
  workers: () => Promise<StudioWorker[]>;
  /** Uploaded source images and masks (DATA_DIR/uploads). */
  uploads: UploadStore;
  /** Gets the studio ready to serve (the default model in-process, Redis with workers) and says how it runs. */
  prepare: () => Promise<string>;
}

const STUDIO = Symbol.for('zimage-studio.server');

export function getStudio(): Studio {
  const holder = globalThis as typeof globalThis & { [STUDIO]?: Studio };
  holder[STUDIO] ??= journalJobs(createStudio());
  return holder[STUDIO];
}

function createStudio(): Studio {
  const env = getEnv();
  const store = ResultsStore.open(env.DATA_DIR);
  return env.REDIS_URL ? redisStudio(env, env.REDIS_URL, store) : inProcessStudio(env, store);
}

/**
 * The default: one process, one job at a time, no Redis. Jobs run on the engine thread (lib/engine/thread.ts), which
 * keeps the sessions loaded between jobs, so the server answers while a job computes; this thread's engine only
 * describes what can run (system info, models, audits).
 */
function inProcessStudio(env: Env, store: ResultsStore): Studio {
  const uploads = new UploadStore(env.DATA_DIR);
  const engine = new EngineAdapter(env.WEIGHTS_DIR, env.ZIMAGE_EP);
  const thread = new EngineThread({ weightsDir: env.WEIGHTS_DIR, epSetting: env.ZIMAGE_EP, ort: ortOptions(env) });
  const queue = new MemoryJobQueue<JobInput, ResultRecord>({
    maxWaiting: env.ZIMAGE_MAX_WAITING_JOBS,
    describeError: (error) => errorBody(error).body,
    // The job's output is its first image; a batch's records name every id of the batch (record.batch.ids).
    runner: async (input, context) => (await saveJob(store, await thread.generate(context.jobId, await withImage(input, uploads, store), context)))[0],
  });
  const prepare = async () => {
    const model = await engine.ready();
    return `default model ready: ${model.name} (${model.dir}); jobs run in this process; history in ${env.DATA_DIR}`;
  };
  return { env, engine, store, queue, workers: async () => [], prepare, uploads };
}

/** A job's image input read from DATA_DIR (uploads, stored results) and resized, just before the engine runs. */
async function withImage(input: JobInput, uploads: UploadStore, store: ResultsStore): Promise<JobInput> {
  if (!input.image) return input;
  const resultPng = async (id: string) => (store.get(id) ? store.readImage(id).catch(() => undefined) : undefined);
  return { ...input, resolvedImage: await resolveJobImage(input.image, input.request, { uploads, resultPng }, input.image.resizeMode ?? 0) };
}

/**
 * Scaled out: BullMQ on Redis, GPU workers elsewhere. This server stores the results of the jobs it took, under an
 * id derived from the job id, so a retry after a crash finds the stored result instead of adding a second one.
 */
function redisStudio(env: Env, url: string, store: ResultsStore): Studio {
  const queue = createRedisQueue(env, url, store);
  const workers = () => queue.workers() as Promise<StudioWorker[]>;
  const engine = new WorkerCatalogue(workers, redactUrl(url));
  const prepare = async () => {
    const health = await queue.health();
    const live = await workers();
    const serving = live.map((worker) => `${worker.name} (${worker.info.model.id} ${worker.info.precision} on ${worker.info.ep})`);
    return (
      `jobs go to the Redis queue at ${redactUrl(url)} (${health.ok ? 'connected' : 'not reachable yet'}); ` +
      `${live.length ? `workers: ${serving.join(', ')}` : 'no worker yet: start one with `npm run worker`'}; history in ${env.DATA_DIR}`
    );
  };
  return { env, engine, store, queue, workers, prepare, uploads: new UploadStore(env.DATA_DIR) };
}

/** The Redis queue as the studio wires it to its store (exported for lib/worker/worker.test.ts). */
export function createRedisQueue(
  env: Pick<Env, 'DATA_DIR' | 'ZIMAGE_QUEUE_PREFIX' | 'ZIMAGE_MAX_WAITING_JOBS' | 'ZIMAGE_JOB_ATTEMPTS'>,
  url: string,
  store: ResultsStore,
): BullJobQueue<JobInput, ResultRecord> {
  // One results store = one DATA_DIR on one machine (the store is single-writer); the servers using it store its jobs.
  const storeId = createHash('sha256').update(`${os.hostname()}:${env.DATA_DIR}`).digest('base64url').slice(0, 16);
  return new BullJobQueue<JobInput, ResultRecord>({
    url,
    prefix: env.ZIMAGE_QUEUE_PREFIX,
    route: (input) => jobRoute(input.modelId, input.request.precision),
    store: storeId,
    maxWaiting: env.ZIMAGE_MAX_WAITING_JOBS,
    attempts: env.ZIMAGE_JOB_ATTEMPTS,
        settle: async (jobId, produced, meta) => {
      const results = fromProduced(produced);
      const ids = results.map((_, index) => resultIdForJob(jobId, index));
      return (await saveJob(store, results, { now: new Date(meta.finishedAt), ids }))[0];
    },
    log: (line) => console.log(line),
  });
}

/**
 * For the synchronous APIs: queue the job, wait for it, and hand back the saved result. A job that fails answers
 * with the engine's error; one canceled from the studio answers 409.
 */
export async function generateAndWait(params: GenerationParams, signal: AbortSignal): Promise<ResultRecord> {
  const { engine, queue } = getStudio();
  const job = await queue.submit(await engine.resolve(params));
  const ended = await waitForJob(queue, job.id, signal);
  if (ended.status === 'succeeded' && ended.output) return ended.output;
  if (ended.status === 'canceled') {
    throw new StudioError('canceled', 'The job was canceled (from the studio or another client) before it finished. Send the request again.');
  }
  const error = ended.error ?? { code: 'engine_failed', message: 'The engine failed without a message; see the server log.' };
  // the job's stored error, as errorBody wrote it on the worker
  throw new StudioError(500, error.code as ApiErrorCode, error.message, error.hint);
}

/**
 * generateAndWait for a batch (`count` > 1, what A1111's batch_size × n_iter and OpenAI's n map onto): every image of
 * the one job, in seed order. The job's output is its first image; the others are read back by the ids it lists.
 */
export async function generateAndWaitAll(params: GenerationParams, signal: AbortSignal): Promise<ResultRecord[]> {
  const first = await generateAndWait(params, signal);
  const { store } = getStudio();
  const ids = first.batch?.ids ?? [first.id];
  return ids.map((id) => (id === first.id ? first : store.get(id))).filter((record): record is ResultRecord => record !== undefined);
}
