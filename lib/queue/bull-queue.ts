// The JobQueue on BullMQ and Redis, for many web servers in front of many GPU workers (lib/queue/bull-worker.ts).
// One BullMQ queue per route (model, precision), so a worker only takes jobs it can serve. BullMQ owns the line,
// locks, retries and stalled-worker recovery; this file adds what the studio needs on top: a job record that
// outlives BullMQ's (input, end, stored result), positions, snapshots with versions, cancel, and storing each
// output exactly once: any server of the submitting store claims it, stores it under an id derived from the job id
// (an idempotent insert), then marks the job succeeded.
// Snapshots are re-read from Redis on every BullMQ event and on a timer, never patched from event payloads, so a
// missed event (a restart, Redis away) costs latency, not correctness. Versions count changes this process saw.
// Deliberately no engine and no HTTP: the studio passes `route` and `settle`; workers are separate processes.
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { StudioError, type ApiErrorBody } from '../errors.ts';
import { queueFullError } from './queue-full.ts';
import {
  CANCELED,
  decodeFailure,
  queueNameFor,
  RECORD_TTL_S,
  redactUrl,
  studioKeys,
  WORKER_STALE_MS,
  type Produced,
  type ProducedMeta,
  type StudioKeys,
  type StudioMessage,
  type WorkerAdvert,
} from './redis-protocol.ts';
import { isTerminal, type JobEvent, type JobListener, type JobQueue, type JobSnapshot, type JobStatus, type QueueHealth } from './types.ts';

export interface BullQueueOptions<TInput, TOutput> {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Key prefix, so several studios can share one Redis. Default "zimage". */
  prefix?: string;
  /** The (model, precision) a job needs, e.g. "z-image-turbo.bf16"; workers serve one route each. */
  route: (input: TInput) => string;
  /** Names the results store this server writes to; jobs are stored by servers of the store that took them. */
  store: string;
  /** Stores a worker's output; called again for the same job after a crash, so it must be idempotent by job id. */
  settle: (jobId: string, produced: Produced, meta: ProducedMeta) => Promise<TOutput>;
  /** Jobs allowed to wait per route. */
  maxWaiting?: number;
  /** Tries per job (a worker crash counts as one) before it fails for good. */
  attempts?: number;
  /** Period of the background pass: store waiting outputs, re-read followed jobs, find new queues. */
  sweepMs?: number;
  /** An API call that Redis does not answer within this long fails with 503 queue_unavailable. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

interface Entry<TInput, TOutput> {
  id: string;
  snapshot?: JobSnapshot<TInput, TOutput>;
  queue?: string;
  /** Subscribers of this job alone. */
  listeners: number;
  /** Reads are serialised per job so snapshots only move forward; at most one more waits behind the running one. */
  chain: Promise<unknown>;
  pending?: Promise<JobSnapshot<TInput, TOutput> | undefined>;
}

interface Followed {
  queue: Queue;
  events: QueueEvents;
}

/** What a job's record in Redis says, with the BullMQ queue it lives in. */
interface Loaded<TInput, TOutput> {
  queue: string;
  snapshot: Omit<JobSnapshot<TInput, TOutput>, 'version'>;
}

/** BullMQ events after which the positions of the other jobs of that queue may have changed. */
const LINE_MOVES = new Set(['waiting', 'active', 'removed', 'completed', 'failed', 'stalled', 'delayed']);
const SETTLE_CLAIM_MS = 60_000;
const MAX_ENTRIES = 2000;
/** A record whose BullMQ job is not visible yet is "being submitted" for this long, then lost. */
const SUBMIT_GRACE_MS = 15_000;

/** Writes the end of a job unless one is recorded already (ARGV[1] = ttl, then field/value pairs). */
const RECORD_END = `
if ARGV[2] == '0' and redis.call('HEXISTS', KEYS[1], 'status') == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

export class BullJobQueue<TInput, TOutput> implements JobQueue<TInput, TOutput> {
  private readonly options: Required<Omit<BullQueueOptions<TInput, TOutput>, 'log'>> & Pick<BullQueueOptions<TInput, TOutput>, 'log'>;
  private readonly keys: StudioKeys;
  /** Commands; fails fast while Redis is away instead of queueing requests for later. */
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly followed = new Map<string, Followed>();
  private readonly entries = new Map<string, Entry<TInput, TOutput>>();
  private readonly listeners = new Set<{ listener: JobListener<TInput, TOutput>; jobId?: string }>();
  private globalListeners = 0;
  private readonly settling = new Set<string>();
  private readonly serverId = randomUUID();
  private readonly timer: NodeJS.Timeout;
  private down: { since: number; reason: string } | null = null;
  private workersCache?: { at: number; list: Promise<WorkerAdvert[]> };
  private closed = false;

  constructor(options: BullQueueOptions<TInput, TOutput>) {
    this.options = { prefix: 'zimage', maxWaiting: 32, attempts: 3, sweepMs: 2000, timeoutMs: 5000, ...options };
    this.keys = studioKeys(this.options.prefix);
    const retryStrategy = (times: number) => Math.min(250 * times, 2000);
    this.redis = new Redis(this.options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, connectionName: 'zimage-server' });
    this.redis.defineCommand('recordEnd', { numberOfKeys: 1, lua: RECORD_END });
    this.redis.on('ready', () => this.markUp());
    this.redis.on('error', (error: Error) => this.markDown(error.message));
    this.redis.on('close', () => this.markDown('the connection closed'));
    // The subscriber keeps its offline queue: ioredis re-subscribes by itself after a reconnect.
    this.subscriber = new Redis(this.options.url, { retryStrategy, maxRetriesPerRequest: null, connectionName: 'zimage-server-events' });
    this.subscriber.on('error', () => {}); // reported through this.redis
    this.subscriber.on('message', (_channel: string, text: string) => this.onMessage(text));
    void this.subscriber.subscribe(this.keys.channel).catch(() => {});
    this.timer = setInterval(() => void this.sweep(), this.options.sweepMs);
    this.timer.unref();
    void this.whenUp(this.options.timeoutMs).then((up) => {
      if (up) void this.sweep();
    });
  }

  async submit(input: TInput): Promise<JobSnapshot<TInput, TOutput>> {
    await this.ensureUp();
    const name = queueNameFor(this.options.route(input));
    const { queue } = this.follow(name);
    return this.deadline(async () => {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
      const waiting = Object.values(counts).reduce((sum, count) => sum + count, 0);
      if (waiting >= this.options.maxWaiting) {
        const serving = (await this.workers()).filter((worker) => worker.queue === name);
        const averages = serving.flatMap((worker) => (worker.averageMs === undefined ? [] : [worker.averageMs]));
        const averageMs = averages.length ? averages.reduce((sum, value) => sum + value, 0) / averages.length : undefined;
        throw queueFullError({ waiting, slots: serving.length, averageMs });
      }
      const id = randomBytes(16).toString('base64url');
      const record = { queue: name, store: this.options.store, createdAt: String(Date.now()), input: JSON.stringify(input) };
      await this.redis.multi().hset(this.keys.job(id), record).expire(this.keys.job(id), RECORD_TTL_S).sadd(this.keys.queues, name).exec();
      try {
        await queue.add('generate', { input, store: this.options.store }, {
          jobId: id,
          attempts: this.options.attempts,
          // The studio's record (this.keys.job) outlives these; BullMQ's copies are for inspection only.
          removeOnComplete: { age: 3600, count: 1000 },
          removeOnFail: { age: 24 * 3600, count: 1000 },
        });
      } catch (error) {
        await this.redis.del(this.keys.job(id)).catch(() => {});
        throw error;
      }
      const job = await this.refresh(id);
      if (!job) throw new Error(`job ${id} vanished right after it was queued`);
      return { ...job };
    });
  }

  async cancel(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined> {
    await this.ensureUp();
    return this.deadline(async () => {
      const current = await this.refresh(id);
      if (!current || isTerminal(current.status)) return current && { ...current };
      // The mark first: a worker that takes the job in the meantime sees it before its first step.
      const message: StudioMessage = { type: 'cancel', id };
      await this.redis.multi().set(this.keys.cancel(id), '1', 'EX', RECORD_TTL_S).publish(this.keys.channel, JSON.stringify(message)).exec();
      if (current.status === 'queued') {
        const job = await this.follow(this.entry(id).queue!).queue.getJob(id);
        let removed = !job;
        try {
          await job?.remove();
          removed = true;
        } catch {
          // Locked: a worker started it a moment ago; it stops at its first step and the job ends as canceled.
        }
        if (removed) await this.recordEnd(id, { status: 'canceled', finishedAt: Date.now() });
      }
      const after = await this.refresh(id);
      return after && { ...after };
    });
  }

  async get(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined> {
    await this.ensureUp();
    const job = await this.deadline(() => this.refresh(id));
    return job && { ...job };
  }

  async position(id: string): Promise<number | null> {
    return (await this.get(id))?.position ?? null;
  }

  subscribe(listener: JobListener<TInput, TOutput>, filter: { jobId?: string } = {}): () => void {
    const item = { listener, jobId: filter.jobId };
    this.listeners.add(item);
    if (filter.jobId) {
      this.entry(filter.jobId).listeners++;
      void this.refresh(filter.jobId).catch(() => {});
    } else {
      this.globalListeners++;
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.listeners.delete(item);
      if (filter.jobId) {
        const entry = this.entries.get(filter.jobId);
        if (entry) entry.listeners--;
      } else {
        this.globalListeners--;
      }
    };
  }

  async health(): Promise<QueueHealth> {
    // Right after start the first connection may still be on its way; give it the same moment ensureUp does.
    if (this.redis.status !== 'ready' && !this.down) await this.whenUp(this.options.timeoutMs);
    if (this.redis.status === 'ready') return { backend: 'redis', ok: true };
    return { backend: 'redis', ok: false, message: this.unavailable().message };
  }

  /** Live workers (advert refreshed within WORKER_STALE_MS), cached for a second. */
  workers(): Promise<WorkerAdvert[]> {
    const now = Date.now();
    if (this.workersCache && now - this.workersCache.at < 1000) return this.workersCache.list;
    const list = (async () => {
      if (this.redis.status !== 'ready') return [];
      const adverts = Object.values(await this.redis.hgetall(this.keys.workers)).map((text) => JSON.parse(text) as WorkerAdvert);
      const gone = adverts.filter((advert) => now - advert.seenAt > 3600_000).map((advert) => advert.name);
      if (gone.length) await this.redis.hdel(this.keys.workers, ...gone);
      return adverts.filter((advert) => now - advert.seenAt <= WORKER_STALE_MS).sort((a, b) => a.name.localeCompare(b.name));
    })().catch(() => []);
    this.workersCache = { at: now, list };
    return list;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.followed.values()].flatMap(({ queue, events }) => [queue.close(), events.close()]));
    this.redis.disconnect();
    this.subscriber.disconnect();
  }

  // --- Redis health -------------------------------------------------------------------------------------------

  private markUp(): void {
    if (this.down) this.options.log?.(`[queue] Redis at ${redactUrl(this.options.url)} is back; catching up on jobs.`);
    this.down = null;
    void this.sweep();
  }

  private markDown(reason: string): void {
    if (this.closed) return;
    if (!this.down) {
      this.options.log?.(
        `[queue] Redis at ${redactUrl(this.options.url)} is unreachable (${reason}); queued jobs wait in Redis, reconnecting.`,
      );
      this.down = { since: Date.now(), reason };
    } else if (reason !== 'the connection closed') {
      this.down.reason = reason;
    }
  }

  private unavailable(): StudioError {
    const since = this.down ? ` since ${new Date(this.down.since).toISOString()}` : '';
    const reason = this.down ? ` (${this.down.reason})` : '';
    return new StudioError(
      'queue_unavailable',
      `The job queue (Redis at ${redactUrl(this.options.url)}) is unreachable${since}${reason}. Jobs already queued are ` +
        'kept and resume when it is back; this server reconnects by itself. Retry in a few seconds.',
      'Check that redis-server runs and that REDIS_URL points at it.',
      { retryAfterS: 5 },
    );
  }

  private whenUp(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(up);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  /** At start-up the first connection gets a moment; afterwards a lost Redis fails the call at once. */
  private async ensureUp(): Promise<void> {
    if (this.closed) throw new StudioError('queue_closed', 'The server is shutting down. Retry on another server or in a moment.');
    if (this.redis.status === 'ready') return;
    if (!this.down && (await this.whenUp(this.options.timeoutMs))) return;
    throw this.unavailable();
  }

  private async deadline<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.unavailable()), this.options.timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (error) {
      // A command refused because the connection dropped mid-call is the same outage, said the same way.
      if (this.redis.status !== 'ready' && !(error instanceof StudioError)) throw this.unavailable();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  // --- following queues and jobs ------------------------------------------------------------------------------

  private follow(name: string): Followed {
    let followed = this.followed.get(name);
    if (followed) return followed;
    // BullMQ's own connections queue commands while they reconnect; this.redis gates the API calls, and `deadline`
    // bounds them, so a request never waits for Redis longer than timeoutMs.
    const queue = new Queue(name, { connection: { url: this.options.url }, prefix: this.options.prefix });
    const events = new QueueEvents(name, { connection: { url: this.options.url }, prefix: this.options.prefix });
    // Outages are reported once, through this.redis; BullMQ reconnects by itself.
    queue.on('error', () => {});
    events.on('error', () => {});
    for (const type of ['added', 'waiting', 'active', 'progress', 'completed', 'failed', 'removed', 'stalled', 'delayed'] as const) {
      events.on(type, (args: { jobId: string }) => this.onQueueEvent(name, type, args.jobId));
    }
    followed = { queue, events };
    this.followed.set(name, followed);
    return followed;
  }

  private entry(id: string): Entry<TInput, TOutput> {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { id, listeners: 0, chain: Promise.resolve() };
      this.entries.set(id, entry);
      this.evict();
    }
    return entry;
  }

  /** Forgets the oldest jobs nobody follows; the record stays in Redis and is read again on demand. */
  private evict(): void {
    if (this.entries.size <= MAX_ENTRIES) return;
    for (const entry of this.entries.values()) {
      if (this.entries.size <= MAX_ENTRIES * 0.9) break;
      if (entry.listeners === 0 && !entry.pending) this.entries.delete(entry.id);
    }
  }

  private watched(entry: Entry<TInput, TOutput>): boolean {
    return entry.listeners > 0 || this.globalListeners > 0;
  }

  private onQueueEvent(queue: string, type: string, jobId: string): void {
    const entry = this.entries.get(jobId);
    if (entry ? this.watched(entry) : this.globalListeners > 0) void this.refresh(jobId).catch(() => {});
    if (LINE_MOVES.has(type)) {
      for (const other of this.entries.values()) {
        if (other.id !== jobId && other.queue === queue && other.snapshot?.status === 'queued' && this.watched(other)) {
          void this.refresh(other.id).catch(() => {});
        }
      }
    }
    if (type === 'completed') void this.settle(jobId);
  }

  private onMessage(text: string): void {
    let message: StudioMessage;
    try {
      message = JSON.parse(text) as StudioMessage;
    } catch {
      return;
    }
    if (message.type === 'output' && message.store === this.options.store) void this.settle(message.id);
    const entry = this.entries.get(message.id);
    if (entry && this.watched(entry)) void this.refresh(message.id).catch(() => {});
  }

  /** Re-reads a job and tells listeners when it changed. */
  private refresh(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined> {
    const entry = this.entry(id);
    if (entry.pending) return entry.pending;
    const pending = entry.chain.then(async () => {
      entry.pending = undefined;
      return this.reload(entry);
    });
    entry.pending = pending;
    entry.chain = pending.catch(() => {});
    return pending;
  }

  private async reload(entry: Entry<TInput, TOutput>): Promise<JobSnapshot<TInput, TOutput> | undefined> {
    if (entry.snapshot && isTerminal(entry.snapshot.status)) return entry.snapshot;
    const loaded = await this.load(entry.id);
    if (!loaded) return entry.snapshot;
    entry.queue = loaded.queue;
    const previous = entry.snapshot;
    const type = changeType(previous, loaded.snapshot);
    if (!type) return previous;
    // A counter in the job's record: versions then grow across servers and restarts, as a journal of jobs expects.
    const counted = await this.redis.hincrby(this.keys.job(entry.id), 'version', 1);
    entry.snapshot = { ...loaded.snapshot, version: Math.max(counted, (previous?.version ?? 0) + 1) };
    this.emit({ type, job: { ...entry.snapshot } });
    return entry.snapshot;
  }

  private emit(event: JobEvent<TInput, TOutput>): void {
    for (const { listener, jobId } of this.listeners) {
      if (jobId && jobId !== event.job.id) continue;
      try {
        listener(event);
      } catch (error) {
        console.error('[queue] listener failed:', error);
      }
    }
  }

  /** The job as Redis says now: the studio's record when it has ended, else BullMQ's state. */
  private async load(id: string): Promise<Loaded<TInput, TOutput> | undefined> {
    const record = await this.redis.hgetall(this.keys.job(id));
    if (!record.queue) return undefined;
    const base = {
      id,
      input: JSON.parse(record.input) as TInput,
      createdAt: Number(record.createdAt),
      position: null,
    };
    const loaded = (snapshot: Omit<JobSnapshot<TInput, TOutput>, 'version'>): Loaded<TInput, TOutput> => ({ queue: record.queue, snapshot });
    if (record.status && isTerminal(record.status as JobStatus)) {
      return loaded({
        ...base,
        status: record.status as JobStatus,
        finishedAt: Number(record.finishedAt),
        ...(record.startedAt ? { startedAt: Number(record.startedAt) } : {}),
        ...(record.worker ? { worker: record.worker } : {}),
        ...(record.output ? { output: JSON.parse(record.output) as TOutput } : {}),
        ...(record.error ? { error: JSON.parse(record.error) as ApiErrorBody } : {}),
      });
    }
    const { queue } = this.follow(record.queue);
    // State first, then the job's fields: the fields are then at least as new as the state (an active job has its
    // worker and start time), never older.
    const state = await queue.getJobState(id);
    const job = (await queue.getJob(id)) as Job<{ input: TInput }> | undefined;
    const progress = job?.progress && typeof job.progress === 'object' ? { progress: job.progress as unknown as JobSnapshot<TInput, TOutput>['progress'] } : {};
    const running = () => loaded({ ...base, status: 'running', startedAt: job?.processedOn, worker: job?.processedBy, ...progress });
    switch (job ? state : 'unknown') {
      case 'waiting':
      case 'prioritized':
        return loaded({ ...base, status: 'queued', position: await this.positionIn(queue, id) });
      case 'delayed':
        // Waiting for a retry: it rejoins the line at the back.
        return loaded({ ...base, status: 'queued', position: (await queue.getWaitingCount()) + 1 });
      case 'active':
        return running();
      case 'completed':
        // Done on the worker; running until a server of its store has stored the result.
        return running();
      case 'failed': {
        const reason = decodeFailure(job!.failedReason);
        const canceled = reason?.code === CANCELED.code || (await this.redis.exists(this.keys.cancel(id))) === 1;
        const end = canceled
          ? ({ status: 'canceled' } as const)
          : ({ status: 'failed', error: describeFailure(job!, reason) } as const);
        await this.recordEnd(id, { ...end, finishedAt: job!.finishedOn ?? Date.now(), startedAt: job!.processedOn, worker: job!.processedBy });
        return this.load(id);
      }
      default: {
        // No BullMQ job: just being submitted, removed after it finished (its output waits to be stored), or lost.
        if ((await this.redis.exists(this.keys.out(id))) === 1) return running();
        if ((await this.redis.exists(this.keys.cancel(id))) === 1) {
          await this.recordEnd(id, { status: 'canceled', finishedAt: Date.now() });
          return this.load(id);
        }
        if (Date.now() - base.createdAt < SUBMIT_GRACE_MS) return loaded({ ...base, status: 'queued' });
        const lost: ApiErrorBody = {
          code: 'job_lost',
          message: 'The job disappeared from the Redis queue (Redis restarted without persistence, or its keys were removed). Submit it again.',
          hint: 'Run Redis with appendonly yes so queued jobs survive a restart (README, "Scaling out").',
        };
        await this.recordEnd(id, { status: 'failed', error: lost, finishedAt: Date.now() });
        return this.load(id);
      }
    }
  }

  /** 1 = next: BullMQ pushes new jobs on the left of its wait list and workers take them from the right. */
  private async positionIn(queue: Queue, id: string): Promise<number | null> {
    const wait = queue.toKey('wait');
    const replies = await this.redis.multi().lpos(wait, id).llen(wait).exec();
    const index = replies?.[0]?.[1] as number | null;
    const length = replies?.[1]?.[1] as number;
    return index === null || index === undefined ? null : length - index;
  }

  private async recordEnd(
    id: string,
    end: { status: JobStatus; finishedAt: number; startedAt?: number; worker?: string; error?: ApiErrorBody; output?: TOutput },
    overwrite = false,
  ): Promise<void> {
    const fields: string[] = ['status', end.status, 'finishedAt', String(end.finishedAt)];
    if (end.startedAt) fields.push('startedAt', String(end.startedAt));
    if (end.worker) fields.push('worker', end.worker);
    if (end.error) fields.push('error', JSON.stringify(end.error));
    if (end.output !== undefined) fields.push('output', JSON.stringify(end.output));
    const redis = this.redis as Redis & { recordEnd(key: string, ...args: string[]): Promise<number> };
    const written = await redis.recordEnd(this.keys.job(id), String(RECORD_TTL_S), overwrite ? '1' : '0', ...fields);
    if (written) await this.redis.publish(this.keys.channel, JSON.stringify({ type: 'ended', id } satisfies StudioMessage));
  }

  // --- storing outputs ----------------------------------------------------------------------------------------

  /** Stores a worker's output if this server's store took the job; safe to call any number of times, anywhere. */
  private async settle(id: string): Promise<void> {
    if (this.settling.has(id) || this.closed) return;
    this.settling.add(id);
    try {
      const record = await this.redis.hgetall(this.keys.job(id));
      if (record.store !== this.options.store && record.queue) return;
      if (record.status === 'succeeded' || !(await this.redis.exists(this.keys.out(id)))) {
        // Stored already (a second output comes from a worker that lost its lock but finished anyway): drop it.
        await this.redis.multi().del(this.keys.out(id)).srem(this.keys.unsettled(this.options.store), id).exec();
        return;
      }
      const claimed = await this.redis.set(this.keys.settling(id), this.serverId, 'PX', SETTLE_CLAIM_MS, 'NX');
      if (!claimed) return; // another server of this store is on it
      try {
        const out = await this.redis.hgetallBuffer(this.keys.out(id));
        if (!out.json) return;
        const files: Record<string, Uint8Array> = {};
        for (const [field, bytes] of Object.entries(out)) {
          if (field.startsWith('file:')) files[field.slice(5)] = new Uint8Array(bytes);
        }
        const meta = JSON.parse(out.meta.toString('utf8')) as ProducedMeta;
        const output = await this.options.settle(id, { json: JSON.parse(out.json.toString('utf8')), files }, meta);
        // Overwrites a cancel that raced the last step: the image exists and is in the history.
        await this.recordEnd(id, { status: 'succeeded', output, finishedAt: meta.finishedAt, startedAt: meta.startedAt, worker: meta.worker }, true);
        await this.redis.multi().del(this.keys.out(id)).srem(this.keys.unsettled(this.options.store), id).exec();
      } finally {
        await this.redis.del(this.keys.settling(id)).catch(() => {});
      }
    } catch (error) {
      // Left in the unsettled set: the next sweep tries again (and the store's insert is idempotent).
      if (this.redis.status === 'ready') this.options.log?.(`[queue] storing the result of job ${id} failed, retrying: ${(error as Error).message}`);
    } finally {
      this.settling.delete(id);
    }
    const entry = this.entries.get(id);
    if (entry && this.watched(entry)) void this.refresh(id).catch(() => {});
  }

  private sweeping = false;

  /** The background pass: catches up on anything events did not bring (a restart, an outage, a lost message). */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.closed || this.redis.status !== 'ready') return;
    this.sweeping = true;
    try {
      for (const name of await this.redis.smembers(this.keys.queues)) this.follow(name);
      for (const id of await this.redis.smembers(this.keys.unsettled(this.options.store))) await this.settle(id);
      for (const entry of this.entries.values()) {
        if (this.watched(entry) && !(entry.snapshot && isTerminal(entry.snapshot.status))) void this.refresh(entry.id).catch(() => {});
      }
    } catch {
      // Redis went away mid-pass; markDown reported it and the next pass starts over.
    } finally {
      this.sweeping = false;
    }
  }
}

function changeType<TInput, TOutput>(
  previous: JobSnapshot<TInput, TOutput> | undefined,
  next: Omit<JobSnapshot<TInput, TOutput>, 'version'>,
): JobEvent<TInput, TOutput>['type'] | null {
  const arrival = next.status === 'queued' ? 'queued' : next.status === 'running' ? 'started' : next.status;
  if (!previous || previous.status !== next.status) return arrival;
  if (next.status === 'queued') return previous.position !== next.position ? 'position' : null;
  if (next.status === 'running') {
    // Another worker took it over (its first one stopped): a new start, not progress.
    const takenOver = (previous.worker && previous.worker !== next.worker) || (previous.startedAt && previous.startedAt !== next.startedAt);
    if (takenOver) return 'started';
    if (previous.worker !== next.worker) return 'progress';
    return JSON.stringify(previous.progress) !== JSON.stringify(next.progress) ? 'progress' : null;
  }
  return null;
}

/** The error a failed job shows: the worker's own, or for a worker that kept dying, what happened and what to check. */
function describeFailure(job: Job, reason: ApiErrorBody | undefined): ApiErrorBody {
  const tries = Math.max(job.attemptsStarted ?? 0, job.attemptsMade ?? 0, 1);
  if (!reason) {
    const stops = job.stalledCounter > 0 ? job.stalledCounter : tries;
    return {
      code: 'worker_lost',
      message:
        `The job was given up after its worker stopped ${stops} times before finishing it (crashed, killed, or cut ` +
        `off from Redis). BullMQ: "${job.failedReason}".`,
      hint: 'The worker logs say why; an out-of-memory kill is the usual cause: try a smaller size or fewer steps.',
    };
  }
  return tries > 1 ? { ...reason, message: `${reason.message} (failed ${tries} times; the job was given up)` } : reason;
}
