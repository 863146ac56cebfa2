// `npm run worker`: a GPU worker for the Redis queue. It binds to one device (ZIMAGE_DEVICE), loads one model in one
// precision at start and keeps the sessions loaded, then takes that route's jobs one at a time until stopped.
// Results go back through Redis to the web server that took the job, which stores them. Deliberately stateless: any
// number of workers on any machines may join or leave; the first SIGTERM/SIGINT finishes the running job, a second
// one leaves at once (BullMQ gives the job to another worker).
import os from 'node:os';
import { EngineAdapter } from '../engine/index.ts';
import { getEnv, ortOptions } from '../env.ts';
import { errorBody } from '../http.ts';
import { PRECISION_LABELS } from '../precision.ts';
import { resolveModelPrecision } from '../resolve.ts';
import { QueueWorker } from '../queue/bull-worker.ts';
import { redactUrl } from '../queue/redis-protocol.ts';
import { generateJob, jobRoute, toProduced } from '../server/generation.ts';
import type { StudioWorkerInfo } from '../server/worker-catalogue.ts';
import { toModelInfo, type JobInput } from '../system.ts';

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

function fail(message: string): never {
  console.error(`[worker] ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const env = getEnv();
  if (!env.REDIS_URL) {
    fail('REDIS_URL is not set. Workers take jobs from Redis: e.g. REDIS_URL=redis://127.0.0.1:6379 npm run worker (README, "Scaling out").');
  }
  const device = env.ZIMAGE_DEVICE;
  const name = env.ZIMAGE_WORKER_NAME ?? `${os.hostname()}/gpu${device}/${process.pid}`;
  // The engine straight from its sources (this process runs under tsx): no dist/ build, nothing shared to rewrite.
  const engine = new EngineAdapter(env.WEIGHTS_DIR, env.ZIMAGE_EP, { deviceId: device, ort: ortOptions(env), engine: () => import('../engine/entry.ts') });

  // Two workers starting at once on an empty WEIGHTS_DIR may both make the tiny model; the loser finds it made.
  await engine.ready().catch(() => engine.ready());
  const [models, system, ep] = await Promise.all([engine.models(), engine.system(), engine.ep()]);
  let resolved;
  try {
    resolved = resolveModelPrecision(models, system.precisions, { model: env.ZIMAGE_WORKER_MODEL, precision: env.ZIMAGE_WORKER_PRECISION }, {
      unknownModel: () => ({ message: `ZIMAGE_WORKER_MODEL=${env.ZIMAGE_WORKER_MODEL} is not in ${env.WEIGHTS_DIR}. Available: ${models.map((entry) => entry.id).join(', ') || 'none'}.` }),
      noPrecision: (entry, wanted, chosen, available) => `${entry.name} cannot run in ${wanted ? PRECISION_LABELS[wanted] : 'any precision'} here: ` +
        `${chosen?.reason ?? 'nothing is converted'} Pick ZIMAGE_WORKER_PRECISION from: ${available.join(', ') || 'none'}.`,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const { model, precision } = resolved;

  const started = performance.now();
  await engine.load(model.id, precision, ep);
  log(`[worker] ${name}: ${model.name} in ${PRECISION_LABELS[precision]} on ${ep === 'cuda' ? `CUDA device ${device}` : 'the CPU'}, loaded in ${Math.round(performance.now() - started)} ms`);

  const info: StudioWorkerInfo = { model: toModelInfo(model), precision, ep, device, system };
  const worker = await QueueWorker.start<JobInput, StudioWorkerInfo>({
    url: env.REDIS_URL,
    prefix: env.ZIMAGE_QUEUE_PREFIX,
    route: jobRoute(model.id, precision),
    name,
    info,
    attempts: env.ZIMAGE_JOB_ATTEMPTS,
    lockMs: env.ZIMAGE_JOB_LOCK_MS,
    describeError: errorBody,
    log,
    // The server resolved the job for this route; the provider is this worker's own, and the record says so.
    run: async (input, context) => toProduced(await generateJob(engine, { ...input, request: { ...input.request, ep } }, context)),
  });
  log(`[worker] ${name}: taking jobs from ${worker.queue} at ${redactUrl(env.REDIS_URL)}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log(`[worker] ${name}: ${signal} again, leaving now; the running job goes to another worker.`);
      process.exit(130);
    }
    stopping = true;
    log(`[worker] ${name}: ${signal}, finishing the running job, then leaving (${signal} again to leave now).`);
    void worker
      .close()
      .then(() => engine.release())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => fail(`could not start: ${(error as Error).message}`));
