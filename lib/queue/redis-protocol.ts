// What web servers and workers agree on in Redis, beside BullMQ's own keys: key names, the pub/sub channel, how a
// worker's output and failures travel, and how a worker announces itself. Deliberately data only (no connection),
// so both sides and the tests read the same contract from one file.
//
//   <prefix>:<queue>:*              BullMQ's keys; one queue per (model, precision), named by queueNameFor()
//   <prefix>:studio:job:<id>        hash: queue, store, createdAt, input; once ended status, finishedAt, output|error
//   <prefix>:studio:out:<id>        hash: a worker's output (json, meta, file:<name> bytes) until a server stored it
//   <prefix>:studio:unsettled:<s>   set: job ids whose output waits for store <s>
//   <prefix>:studio:settling:<id>   the claim of the server storing that output (expires)
//   <prefix>:studio:cancel:<id>     set when a job is canceled; workers check it between steps
//   <prefix>:studio:workers         hash: worker name → WorkerAdvert JSON, refreshed every few seconds
//   <prefix>:studio:queues          set: queue names that have had jobs or workers (servers follow their events)
//   <prefix>:studio:events          pub/sub channel of StudioMessage JSON
import type { ApiErrorBody } from '../errors.ts';

export function studioKeys(prefix: string) {
  const base = `${prefix}:studio`;
  return {
    job: (id: string) => `${base}:job:${id}`,
    out: (id: string) => `${base}:out:${id}`,
    unsettled: (store: string) => `${base}:unsettled:${store}`,
    settling: (id: string) => `${base}:settling:${id}`,
    cancel: (id: string) => `${base}:cancel:${id}`,
    workers: `${base}:workers`,
    queues: `${base}:queues`,
    channel: `${base}:events`,
  };
}

export type StudioKeys = ReturnType<typeof studioKeys>;

/** How long job records, outputs and cancel marks live in Redis: long enough for any server to come back. */
export const RECORD_TTL_S = 7 * 24 * 3600;

/** A worker that has not refreshed its advert for this long is gone (crashed, killed or cut off). */
export const WORKER_STALE_MS = 15_000;
export const WORKER_HEARTBEAT_MS = 5_000;

/** BullMQ queue names may not contain ':' (its key separator); model ids are folder names, so escape it. */
export function queueNameFor(route: string): string {
  return `gen.${route.replace(/[%:]/g, (char) => `%${char.charCodeAt(0).toString(16)}`)}`;
}

export type StudioMessage =
  | { type: 'cancel'; id: string }
  /** A job reached an end (stored, failed, canceled) in the studio's record. */
  | { type: 'ended'; id: string }
  /** A worker wrote an output for a store to settle. */
  | { type: 'output'; id: string; store: string };

/** What a worker produces for one job: JSON for the record, named files (the PNGs) as bytes. */
export interface Produced {
  json: unknown;
  files: Record<string, Uint8Array>;
}

/** Who ran the job and when, kept with the output so the ended job still says so. */
export interface ProducedMeta {
  worker: string;
  startedAt: number;
  finishedAt: number;
}

/**
 * A failure as it travels through BullMQ's failedReason (a string): the API error body as JSON, so every server shows
 * the worker's code, message and hint. Failures BullMQ writes itself (a stalled worker) are plain text.
 */
export function encodeFailure(body: ApiErrorBody): string {
  return JSON.stringify(body);
}

export function decodeFailure(reason: string | undefined): ApiErrorBody | undefined {
  if (!reason?.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(reason) as ApiErrorBody;
    return typeof body.code === 'string' && typeof body.message === 'string' ? body : undefined;
  } catch {
    return undefined;
  }
}

export const CANCELED: ApiErrorBody = { code: 'canceled', message: 'The job was canceled before it finished.' };

/** What a worker tells the servers about itself; `info` is the application's (model, precision, device, machine). */
export interface WorkerAdvert<TInfo = unknown> {
  name: string;
  queue: string;
  host: string;
  pid: number;
  startedAt: number;
  /** Refreshed every WORKER_HEARTBEAT_MS. */
  seenAt: number;
  /** The job it runs now. */
  running: string | null;
  done: number;
  /** Mean run time of its recent jobs, ms. */
  averageMs?: number;
  info: TInfo;
}

/** Hides the password of a Redis URL in messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured REDIS_URL';
  }
}
