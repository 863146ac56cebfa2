// The one "queue is full" answer both back ends give: HTTP 429 with where the refused job would have stood, how long
// it would have waited, and a Retry-After for when a place is expected to free up. Deliberately an estimate from
// recent job durations (none yet → no ETA), never a promise.
import { StudioError } from '../errors.ts';

export interface QueueLoad {
  /** Jobs waiting now (the refused job would come after them). */
  waiting: number;
  /** Jobs that can run at once: 1 in-process, the live workers of that queue with Redis. */
  slots: number;
  /** Mean run time of recent jobs, ms; undefined before the first job ended. */
  averageMs?: number;
}

/** When nothing is known yet, clients are asked to come back after this long. */
const DEFAULT_RETRY_AFTER_S = 5;

export function queueFullError(load: QueueLoad): StudioError {
  const slots = Math.max(1, load.slots);
  const position = load.waiting + 1;
  // Everything ahead (the waiting jobs and the running ones) shares the slots.
  const etaMs = load.averageMs === undefined ? undefined : Math.round(((load.waiting + slots) / slots) * load.averageMs);
  const retryAfterS = load.averageMs === undefined ? DEFAULT_RETRY_AFTER_S : Math.max(1, Math.ceil(load.averageMs / slots / 1000));
  const eta = etaMs === undefined ? '' : ` A job sent now would start in about ${formatDuration(etaMs)}.`;
  return new StudioError(
    'queue_full',
    `The queue is full: ${load.waiting === 1 ? '1 job is' : `${load.waiting} jobs are`} waiting.${eta} ` +
      `Retry after ${retryAfterS} s, or cancel a job of yours first.`,
    'The limit is ZIMAGE_MAX_WAITING_JOBS on the server; more workers (README, "Scaling out") shorten the line.',
    { details: { position, ...(etaMs === undefined ? {} : { etaMs }) }, retryAfterS },
  );
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/** A running mean that follows recent jobs (a new GPU, a bigger size) without forgetting at once. */
export function updateAverage(previous: number | undefined, sample: number, weight = 0.2): number {
  return previous === undefined ? sample : previous + weight * (sample - previous);
}
