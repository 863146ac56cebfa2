// Wires the server side of the studio once per process: environment, engine adapter, history store and job queue,
// and the job runner that joins them (generate → thumbnail → atomic save). Kept on globalThis because Next.js may
// load this module once per route bundle; every route must share one queue and one loaded pipeline.
// Deliberately no HTTP here: routes own requests and responses.
import { ResultsStore } from '../db/results-store.ts';
import { EngineAdapter } from '../engine/index.ts';
import { getEnv, type Env } from '../env.ts';
import { StudioError } from '../errors.ts';
import { errorBody } from '../http.ts';
import type { GenerationParams } from '../params.ts';
import { makeThumbnail } from '../png.ts';
import { MemoryJobQueue } from '../queue/memory-queue.ts';
import type { JobQueue } from '../queue/types.ts';
import { waitForJob } from '../queue/wait.ts';
import type { MemoryUsage, ResultRecord } from '../results.ts';
import type { JobInput } from '../system.ts';
import type { GenerateResult, SystemInfo } from '../../inference/pipeline/types.ts';

if (typeof window !== 'undefined') {
  throw new Error('lib/server is server-only: import it from route handlers or server components.');
}

export interface Studio {
  env: Env;
  engine: EngineAdapter;
  store: ResultsStore;
  queue: JobQueue<JobInput, ResultRecord>;
}

const STUDIO = Symbol.for('zimage-studio.server');

export function getStudio(): Studio {
  const holder = globalThis as typeof globalThis & { [STUDIO]?: Studio };
  holder[STUDIO] ??= createStudio();
  return holder[STUDIO];
}

/** CPU runs have no VRAM to report; GPU runs carry the peak the engine sampled during the run and the card total. */
function memoryUsage(result: GenerateResult, system: SystemInfo): MemoryUsage {
  const dit = result.components.find((component) => component.component === 'dit') ?? result.components[0];
  if (!dit || dit.ep === 'cpu') return { kind: 'cpu' };
  return { kind: 'gpu', peakMiB: result.memory?.peakMiB, totalMiB: result.memory?.totalMiB ?? system.gpu?.memoryTotalMiB };
}

function createStudio(): Studio {
  const env = getEnv();
  const engine = new EngineAdapter(env.WEIGHTS_DIR, env.ZIMAGE_EP);
  const store = ResultsStore.open(env.DATA_DIR);
  const queue = new MemoryJobQueue<JobInput, ResultRecord>({
    maxWaiting: env.ZIMAGE_MAX_WAITING_JOBS,
    describeError: (error) => errorBody(error).body,
    runner: async (input, { queuedMs, signal, onProgress }) => {
      const started = performance.now();
      const { result, model } = await engine.generate(input, { signal, onProgress });
      const durationMs = Math.round(performance.now() - started);
      return store.save({
        png: result.png,
        thumbnail: makeThumbnail(result.pixels, result.width, result.height),
        request: result.request,
        model: { ...result.model, tiny: model.tiny },
        components: result.components,
        timings: result.timings,
        tokens: result.tokens,
        durationMs,
        queuedMs,
        memory: memoryUsage(result, await engine.system()),
      });
    },
  });
  return { env, engine, store, queue };
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
    throw new StudioError(409, 'canceled', 'The job was canceled (from the studio or another client) before it finished. Send the request again.');
  }
  const error = ended.error ?? { code: 'engine_failed', message: 'The engine failed without a message; see the server log.' };
  throw new StudioError(500, error.code, error.message, error.hint);
}
