// The in-process JobQueue: one job runs at a time (one engine, one GPU), the rest wait in submission order.
// Deliberately not durable: waiting jobs are lost on restart (results already saved are not); the Redis-backed queue
// (lib/queue/bull-queue.ts, same interface) is the answer when that matters.
import { randomBytes } from 'node:crypto';
import type { JobProgress as ProgressEvent } from './types.ts';
import type { ApiErrorBody } from '../errors.ts';
import { queueFullError, updateAverage } from './queue-full.ts';
import { isTerminal, type JobEvent, type JobListener, type JobQueue, type JobRunner, type JobSnapshot, type QueueHealth } from './types.ts';
import { isAbort } from '../../inference/errors.ts';

export interface MemoryQueueOptions<TInput, TOutput> {
  runner: JobRunner<TInput, TOutput>;
  /** Turns a runner failure into the body the API shows (engine errors carry code, message and hint). */
  describeError: (error: unknown) => ApiErrorBody;
  /** Jobs allowed to wait behind the running one. */
  maxWaiting?: number;
  /** Ended jobs kept for GET /api/jobs/:id before the oldest are forgotten. */
  retainEnded?: number;
  now?: () => number;
}

export class MemoryJobQueue<TInput, TOutput> implements JobQueue<TInput, TOutput> {
  private readonly jobs = new Map<string, JobSnapshot<TInput, TOutput>>();
  private readonly waiting: string[] = [];
  private readonly ended: string[] = [];
  private readonly listeners = new Set<{ listener: JobListener<TInput, TOutput>; jobId?: string }>();
  private running: { id: string; controller: AbortController } | null = null;
  /** Mean run time of recent jobs, for the ETA of a refused job. */
  private averageMs?: number;
  private readonly options: Required<MemoryQueueOptions<TInput, TOutput>>;

  constructor(options: MemoryQueueOptions<TInput, TOutput>) {
    this.options = { maxWaiting: 32, retainEnded: 500, now: Date.now, ...options };
  }

  async submit(input: TInput): Promise<JobSnapshot<TInput, TOutput>> {
    if (this.waiting.length >= this.options.maxWaiting) {
      throw queueFullError({ waiting: this.waiting.length, slots: 1, averageMs: this.averageMs });
    }
    const job: JobSnapshot<TInput, TOutput> = {
      id: randomBytes(16).toString('base64url'),
      status: 'queued',
      version: 0,
      input,
      createdAt: this.options.now(),
      position: this.waiting.length + 1,
    };
    this.jobs.set(job.id, job);
    this.waiting.push(job.id);
    this.emit('queued', job);
    queueMicrotask(() => this.pump());
    return { ...job };
  }

  async cancel(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined> {
    const job = this.jobs.get(id);
    if (!job || isTerminal(job.status)) return job && { ...job };
    if (job.status === 'queued') {
      this.waiting.splice(this.waiting.indexOf(id), 1);
      this.finish(job, { status: 'canceled' });
      this.announcePositions();
    } else if (this.running?.id === id) {
      // The engine rejects with AbortError at its next check; the job ends as 'canceled' then.
      this.running.controller.abort();
    }
    return { ...job };
  }

  async get(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined> {
    const job = this.jobs.get(id);
    return job && { ...job };
  }

  async position(id: string): Promise<number | null> {
    return this.jobs.get(id)?.position ?? null;
  }

  subscribe(listener: JobListener<TInput, TOutput>, filter: { jobId?: string } = {}): () => void {
    const entry = { listener, jobId: filter.jobId };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  async health(): Promise<QueueHealth> {
    return { backend: 'memory', ok: true };
  }

  /** Nothing to release: the running job ends on its own and waiting jobs go with the process. */
  async close(): Promise<void> {}

  /** Every change goes through here: bump the version, then tell the listeners. */
  private emit(type: JobEvent<TInput, TOutput>['type'], job: JobSnapshot<TInput, TOutput>): void {
    job.version++;
    const event: JobEvent<TInput, TOutput> = { type, job: { ...job } };
    for (const { listener, jobId } of this.listeners) {
      if (jobId && jobId !== job.id) continue;
      try {
        listener(event);
      } catch (error) {
        // A broken subscriber (a closed SSE stream) must never stall the queue.
        console.error('[queue] listener failed:', error);
      }
    }
  }

  private announcePositions(): void {
    this.waiting.forEach((id, index) => {
      const job = this.jobs.get(id)!;
      if (job.position !== index + 1) {
        job.position = index + 1;
        this.emit('position', job);
      }
    });
  }

  private finish(
    job: JobSnapshot<TInput, TOutput>,
    outcome: { status: 'succeeded'; output: TOutput } | { status: 'failed'; error: ApiErrorBody } | { status: 'canceled' },
  ): void {
    Object.assign(job, outcome, { position: null, finishedAt: this.options.now() });
    this.emit(outcome.status, job);
    this.ended.push(job.id);
    while (this.ended.length > this.options.retainEnded) this.jobs.delete(this.ended.shift()!);
  }

  private pump(): void {
    if (this.running || this.waiting.length === 0) return;
    const job = this.jobs.get(this.waiting.shift()!)!;
    const controller = new AbortController();
    this.running = { id: job.id, controller };
    job.status = 'running';
    job.position = null;
    job.startedAt = this.options.now();
    this.emit('started', job);
    this.announcePositions();

    const onProgress = (progress: ProgressEvent) => {
      if (job.status !== 'running') return;
      job.progress = progress;
      this.emit('progress', job);
    };
    const context = { jobId: job.id, queuedMs: job.startedAt - job.createdAt, signal: controller.signal, onProgress };
    // Promise.resolve().then: a runner that throws synchronously still ends the job instead of the process.
    Promise.resolve()
      .then(() => this.options.runner(job.input, context))
      .then(
        (output) => {
          this.averageMs = updateAverage(this.averageMs, this.options.now() - job.startedAt!);
          this.finish(job, { status: 'succeeded', output });
        },
        (error: unknown) => {
          if (controller.signal.aborted || isAbort(error)) this.finish(job, { status: 'canceled' });
          else this.finish(job, { status: 'failed', error: this.options.describeError(error) });
        },
      )
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }
}
