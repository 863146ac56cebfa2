// The worker side of the Redis back end: takes jobs of one route (model, precision) from BullMQ, one at a time, runs
// them through the caller's `run`, and hands the output to the servers (lib/queue/bull-queue.ts) through Redis.
// It forwards progress (job.updateProgress → QueueEvents), stops a job when any server cancels it (pub/sub, plus a
// poll of the cancel mark between steps), and announces itself (model, device, mean run time) every few seconds.
// BullMQ does the rest: the lock that marks a job as taken, and giving the job of a silent (killed) worker to another.
// Deliberately engine-free and stateless towards the servers: the studio's worker command (lib/worker/main.ts)
// supplies `run`; the output lives in Redis until a server has stored it.
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { isAbort } from '../../inference/errors.ts';
import type { JobProgress as ProgressEvent } from './types.ts';
import type { ApiErrorBody } from '../errors.ts';
import { updateAverage } from './queue-full.ts';
import {
  CANCELED,
  encodeFailure,
  queueNameFor,
  RECORD_TTL_S,
  redactUrl,
  studioKeys,
  WORKER_HEARTBEAT_MS,
  type Produced,
  type ProducedMeta,
  type StudioKeys,
  type StudioMessage,
  type WorkerAdvert,
} from './redis-protocol.ts';

export interface RunContext {
  jobId: string;
  queuedMs: number;
  signal: AbortSignal;
  onProgress: (progress: ProgressEvent) => void;
}

export interface QueueWorkerOptions<TInput, TInfo> {
  url: string;
  prefix?: string;
  /** The (model, precision) this worker serves; the servers route jobs with the same string. */
  route: string;
  /** Unique among workers: shown in job snapshots and /api/system. */
  name: string;
  run: (input: TInput, context: RunContext) => Promise<Produced>;
  /** The HTTP status and body of a failure; 4xx failures are not retried (every worker would fail them alike). */
  describeError: (error: unknown) => { status: number; body: ApiErrorBody };
  /** Announced to the servers with the advert (model, precision, device, machine). */
  info: TInfo;
  /** Tries per job; a worker dying mid-job counts as one. Match the servers' ZIMAGE_JOB_ATTEMPTS. */
  attempts?: number;
  /** How long a job stays taken without a sign of life from its worker before another worker takes it. */
  lockMs?: number;
  log?: (line: string) => void;
}

const CANCEL_POLL_MS = 1000;

export class QueueWorker<TInput, TInfo> {
  private readonly options: QueueWorkerOptions<TInput, TInfo>;
  private readonly keys: StudioKeys;
  private readonly queueName: string;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly worker: Worker;
  private readonly startedAt = Date.now();
  private readonly heartbeat: NodeJS.Timeout;
  private running: string | null = null;
  private done = 0;
  private averageMs?: number;

  private constructor(options: QueueWorkerOptions<TInput, TInfo>) {
    this.options = options;
    const prefix = options.prefix ?? 'zimage';
    this.keys = studioKeys(prefix);
    this.queueName = queueNameFor(options.route);
    const retryStrategy = (times: number) => Math.min(250 * times, 2000);
    this.redis = new Redis(options.url, { retryStrategy, maxRetriesPerRequest: 2, connectionName: `zimage-worker:${options.name}` });
    this.redis.on('error', () => {}); // BullMQ's worker reports the outage below
    this.subscriber = new Redis(options.url, { retryStrategy, maxRetriesPerRequest: null, connectionName: `zimage-worker-events:${options.name}` });
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (_channel: string, text: string) => {
      let message: StudioMessage;
      try {
        message = JSON.parse(text) as StudioMessage;
      } catch {
        return; // not ours: the channel is only written by studio servers and workers
      }
      if (message.type === 'cancel' && message.id === this.running) this.worker.cancelJob(message.id, 'canceled');
    });
    const attempts = options.attempts ?? 3;
    const lockMs = options.lockMs ?? 30_000;
    // Three parameters: BullMQ passes the abort signal only to processors that declare it.
    const processor = (job: Job, _token: string | undefined, signal: AbortSignal | undefined) => this.process(job, signal);
    this.worker = new Worker(this.queueName, processor, {
      connection: { url: options.url },
      prefix,
      name: options.name,
      concurrency: 1, // one GPU, one job
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A job whose worker keeps dying is given up after `attempts` starts, like one that keeps failing.
      maxStalledCount: Math.max(0, attempts - 1),
      maxStartedAttempts: attempts,
      autorun: false,
    });
    let down = false;
    this.worker.on('error', (error: Error) => {
      if (this.redis.status === 'ready') return options.log?.(`[worker] ${error.message}`);
      if (!down) options.log?.(`[worker] Redis at ${redactUrl(options.url)} is unreachable (${error.message}); reconnecting.`);
      down = true;
    });
    this.redis.on('ready', () => {
      if (down) options.log?.(`[worker] Redis at ${redactUrl(options.url)} is back.`);
      down = false;
      void this.advertise();
    });
    // Unreferenced timers: the connections keep a worker alive, and a closed one must not be kept by its timers.
    this.heartbeat = setInterval(() => void this.advertise(), WORKER_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Connects, announces the worker and starts taking jobs. */
  static async start<TInput, TInfo>(options: QueueWorkerOptions<TInput, TInfo>): Promise<QueueWorker<TInput, TInfo>> {
    const worker = new QueueWorker(options);
    await worker.subscriber.subscribe(worker.keys.channel);
    await worker.worker.waitUntilReady();
    await worker.advertise();
    void worker.worker.run().catch((error: unknown) => options.log?.(`[worker] stopped: ${(error as Error).message}`));
    return worker;
  }

  get queue(): string {
    return this.queueName;
  }

  /** Finishes the running job (unless `force`), then leaves: the advert is removed and connections closed. */
  async close(force = false): Promise<void> {
    clearInterval(this.heartbeat);
    // With no job running there is nothing to wait for, and a graceful close would wait for an absent Redis.
    await this.worker.close(force || this.running === null);
    if (this.redis.status === 'ready') await this.redis.hdel(this.keys.workers, this.options.name).catch(() => {});
    this.redis.disconnect();
    this.subscriber.disconnect();
  }

  private async process(job: Job, signal: AbortSignal | undefined): Promise<{ worker: string }> {
    const id = job.id!;
    const { input, store } = job.data as { input: TInput; store: string };
    const startedAt = Date.now();
    this.running = id;
    void this.advertise();
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    // Pub/sub messages sent while this worker was reconnecting are lost; the mark in Redis is not.
    const poll = setInterval(() => {
      void this.redis.exists(this.keys.cancel(id)).then((marked) => marked && controller.abort(), () => {});
    }, CANCEL_POLL_MS);
    poll.unref();
    try {
      if (await this.redis.exists(this.keys.cancel(id))) throw new UnrecoverableError(encodeFailure(CANCELED));
      let produced: Produced;
      try {
        produced = await this.options.run(input, {
          jobId: id,
          queuedMs: startedAt - job.timestamp,
          signal: controller.signal,
          // Not awaited: the engine's step loop must not wait on Redis. Commands on one connection stay in order.
          onProgress: (progress) => void job.updateProgress(progress as unknown as object).catch(() => {}),
        });
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) throw new UnrecoverableError(encodeFailure(CANCELED));
        const { status, body } = this.options.describeError(error);
        if (status >= 400 && status < 500) throw new UnrecoverableError(encodeFailure(body));
        throw new Error(encodeFailure(body));
      }
      const meta: ProducedMeta = { worker: this.options.name, startedAt, finishedAt: Date.now() };
      await this.writeOutput(id, store, produced, meta);
      this.done++;
      this.averageMs = updateAverage(this.averageMs, meta.finishedAt - startedAt);
      return { worker: this.options.name };
    } finally {
      clearInterval(poll);
      this.running = null;
      void this.advertise();
    }
  }

  /** The output waits in Redis for a server of `store`; written before BullMQ marks the job completed. */
  private async writeOutput(id: string, store: string, produced: Produced, meta: ProducedMeta): Promise<void> {
    const fields: (string | Buffer)[] = ['json', JSON.stringify(produced.json), 'meta', JSON.stringify(meta)];
    for (const [name, bytes] of Object.entries(produced.files)) {
      fields.push(`file:${name}`, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    const message: StudioMessage = { type: 'output', id, store };
    await this.redis
      .multi()
      .hset(this.keys.out(id), ...fields)
      .expire(this.keys.out(id), RECORD_TTL_S)
      .sadd(this.keys.unsettled(store), id)
      .publish(this.keys.channel, JSON.stringify(message))
      .exec();
  }

  private async advertise(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const advert: WorkerAdvert<TInfo> = {
      name: this.options.name,
      queue: this.queueName,
      host: os.hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      seenAt: Date.now(),
      running: this.running,
      done: this.done,
      ...(this.averageMs === undefined ? {} : { averageMs: Math.round(this.averageMs) }),
      info: this.options.info,
    };
    await this.redis
      .multi()
      .hset(this.keys.workers, this.options.name, JSON.stringify(advert))
      .sadd(this.keys.queues, this.queueName)
      .exec()
      .catch(() => {});
  }
}
