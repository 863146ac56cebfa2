// The job queue contract the routes depend on: submit, cancel, get, position and an event stream per job.
// Deliberately back-end neutral: everything is async and JSON-serialisable, so the in-process queue
// (lib/queue/memory-queue.ts, the default) and the BullMQ/Redis one (lib/queue/bull-queue.ts, many workers) are
// interchangeable without touching a route or the browser.
import type { ProgressEvent } from '../../inference/pipeline/types.ts';
import type { ApiErrorBody } from '../errors.ts';

/**
 * The engine's progress as a job reports it: the pipeline's event, plus where a batch is (image k of n, with the
 * ETA of the whole batch) and the step's live preview (a small JPEG data: URL, lib/jpeg.ts; absent when the job
 * asked for none).
 */
export interface JobProgress extends ProgressEvent {
  /** 1-based image of a batch, and how many it has; absent for a single image. */
  image?: number;
  images?: number;
  preview?: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'canceled']);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export interface JobSnapshot<TInput, TOutput> {
  id: string;
  status: JobStatus;
  /** Grows by one on every change, so a listener can drop events older than the snapshot it already has. */
  version: number;
  input: TInput;
  /** ms since epoch. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** 1 = runs next; null unless the job is waiting. */
  position: number | null;
  /** Latest engine progress while running (and the last one after). */
  progress?: JobProgress;
  output?: TOutput;
  error?: ApiErrorBody;
  /** The worker that runs (or ran) the job, with the Redis back end; absent in-process. */
  worker?: string;
}

/** Every event carries the job's full snapshot after the change, so a listener can simply replace its copy. */
export interface JobEvent<TInput, TOutput> {
  type: 'queued' | 'position' | 'started' | 'progress' | 'succeeded' | 'failed' | 'canceled';
  job: JobSnapshot<TInput, TOutput>;
}

export type JobListener<TInput, TOutput> = (event: JobEvent<TInput, TOutput>) => void;

/** Whether the queue can take jobs now; with Redis, whether Redis answers (and since when it does not). */
export interface QueueHealth {
  backend: 'memory' | 'redis';
  ok: boolean;
  /** What is wrong and what happens meanwhile, when not ok. */
  message?: string;
}

export interface JobQueue<TInput, TOutput> {
  /**
   * Queues the input; rejects with a 429 StudioError ("queue_full", body with position and etaMs, Retry-After) when
   * too many jobs wait, and with a 503 ("queue_unavailable") when the back end cannot be reached.
   */
  submit(input: TInput): Promise<JobSnapshot<TInput, TOutput>>;
  /** Waiting jobs end at once; a running job is aborted and ends when the engine stops. Ended jobs are unchanged. */
  cancel(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined>;
  get(id: string): Promise<JobSnapshot<TInput, TOutput> | undefined>;
  /** 1-based place among waiting jobs; null when running, ended or unknown. */
  position(id: string): Promise<number | null>;
  /** Live events, all jobs or one; returns the unsubscribe function. Listeners must not throw. */
  subscribe(listener: JobListener<TInput, TOutput>, filter?: { jobId?: string }): () => void;
  health(): Promise<QueueHealth>;
  /** Stops background work and connections (tests, graceful shutdown); jobs already queued in Redis stay there. */
  close(): Promise<void>;
}

/** What the queue runs for each job: the engine call plus whatever saving the caller needs. */
export type JobRunner<TInput, TOutput> = (
  input: TInput,
  context: { jobId: string; queuedMs: number; signal: AbortSignal; onProgress: (progress: JobProgress) => void },
) => Promise<TOutput>;
