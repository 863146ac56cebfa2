// The browser's typed calls to the studio API, and the SSE subscription to one job. Deliberately thin: no caching
// and no state (the zustand slices own that); every non-2xx answer becomes an ApiError with the server's message.
import type { ModelAuditView } from '../audit.ts';
import type { ComparisonView } from '../comparison.ts';
import type { ApiErrorBody } from '../errors.ts';
import { isApiErrorResponse } from '../errors.ts';
import type { GenerationParamsInput } from '../params.ts';
import type { LoraView } from '../loras.ts';
import type { ResultRecord } from '../results.ts';
import type { StudioJob, SystemResponse } from '../system.ts';
import type { Precision } from '../../inference/pipeline/types.ts';

export class ApiError extends Error {
  readonly body: ApiErrorBody;
  readonly status: number;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { 'Content-Type': 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError(0, {
      code: 'network',
      message: 'The studio server did not answer. Check that `npm start` is still running, then retry.',
    });
  }
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(
      response.status,
      isApiErrorResponse(data) ? data.error : { code: `http_${response.status}`, message: `The server answered ${response.status} ${response.statusText}.` },
    );
  }
  return data as T;
}

export const api = {
  system: () => call<SystemResponse>('/api/system'),
  generate: (params: GenerationParamsInput) =>
    call<{ id: string; position: number | null; job: StudioJob }>('/api/generate', { method: 'POST', body: JSON.stringify(params) }),
  cancel: (jobId: string) => call<{ job: StudioJob }>(`/api/jobs/${jobId}/cancel`, { method: 'POST' }),
  results: (cursor?: string | null, filter: { q?: string; favourites?: boolean } = {}, limit = 24) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    if (filter.q) query.set('q', filter.q);
    if (filter.favourites) query.set('favourites', '1');
    return call<{ items: ResultRecord[]; nextCursor: string | null; total: number }>(`/api/results?${query}`);
  },
  result: (id: string) => call<{ result: ResultRecord }>(`/api/results/${id}`),
  deleteResult: (id: string, options: { keepalive?: boolean } = {}) =>
    call<{ deleted: string }>(`/api/results/${id}`, { method: 'DELETE', keepalive: options.keepalive }),
  setFavourite: (id: string, favourite: boolean) =>
    call<{ id: string; favourite: boolean }>(`/api/results/${id}/favourite`, { method: 'POST', body: JSON.stringify({ favourite }) }),
  tokens: (text: string) =>
    call<{ count: number; limit: number; truncated: boolean; dropped: number }>('/api/tokens', { method: 'POST', body: JSON.stringify({ text }) }),
  audit: (model: string, precision: Precision) =>
    call<{ audit: ModelAuditView }>(`/api/models/${encodeURIComponent(model)}/audit?precision=${encodeURIComponent(precision)}`),
  compare: (resultId: string, precisions: Precision[]) =>
    call<{ comparison: ComparisonView; url: string }>('/api/comparisons', { method: 'POST', body: JSON.stringify({ resultId, precisions }) }),
  comparison: (id: string) => call<{ comparison: ComparisonView }>(`/api/comparisons/${id}`),
  /** An image file (or the mask editor's PNG) as the raw body; the server decodes and stores it. */
  upload: (file: Blob, kind: 'image' | 'mask' = 'image') =>
    call<UploadAnswer>(`/api/uploads?kind=${kind}`, { method: 'POST', body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } }),
  loras: () => call<{ loras: LoraView[] }>('/api/loras'),
};

/** What POST /api/uploads answers. */
export interface UploadAnswer {
  id: string;
  width: number;
  height: number;
  format: string;
  sha256: string;
  hasAlpha: boolean;
  url: string;
  modelSize: { width: number; height: number; note: string };
}

export interface JobStreamHandlers {
  /** `fresh`: the server's state as of now (a stream's first snapshot, or a poll after the connection came back). */
  onJob: (job: StudioJob, fresh: boolean) => void;
  /** The server does not know the job (restarted without its record, or it ended over a week ago). */
  onLost: (error: ApiErrorBody) => void;
  /** 'lost' as soon as the live connection breaks (the server stopped, the network went); 'live' once it is back. */
  onConnection: (state: 'live' | 'lost') => void;
}

const JOB_EVENTS = ['snapshot', 'queued', 'position', 'started', 'progress', 'succeeded', 'failed', 'canceled'] as const;
/** Waits between tries while the server is away: quick at first (a restart takes seconds), then every 5 s. */
const RETRY_MS = [500, 1000, 2000, 3000, 5000];

function isEnded(job: StudioJob): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled';
}

/**
 * Follows one job over SSE until it ends; returns a function that stops following. When the stream breaks, the
 * page hears of it at once ('lost'), and this retries on its own schedule: GET /api/jobs/:id until the server
 * answers, then the stream again. EventSource's built-in retry is not relied on: it gives up for good on the first
 * non-200 answer (a server still starting), and it says nothing while it retries.
 */
export function followJob(jobId: string, handlers: JobStreamHandlers): () => void {
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let attempt = 0;
  const stop = () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
  };

  const open = () => {
    const events = new EventSource(`/api/jobs/${jobId}/events`);
    source = events;
    for (const type of JOB_EVENTS) {
      events.addEventListener(type, (event) => {
        attempt = 0;
        handlers.onConnection('live');
        const job = JSON.parse((event as MessageEvent<string>).data) as StudioJob;
        handlers.onJob(job, type === 'snapshot');
        // The server closes the stream after the end; closing here stops EventSource from reconnecting.
        if (isEnded(job)) stop();
      });
    }
    events.addEventListener('gone', (event) => {
      stop();
      handlers.onLost(JSON.parse((event as MessageEvent<string>).data) as ApiErrorBody);
    });
    events.onerror = () => {
      if (stopped) return;
      events.close();
      handlers.onConnection('lost');
      retry();
    };
  };

  const retry = () => {
    const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)];
    timer = setTimeout(() => void poll(), wait);
  };

  const poll = async () => {
    if (stopped) return;
    try {
      const { job } = await call<{ job: StudioJob }>(`/api/jobs/${jobId}`);
      if (stopped) return;
      handlers.onConnection('live');
      handlers.onJob(job, true);
      if (isEnded(job)) stop();
      else open();
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && error.status === 404) {
        stop();
        handlers.onConnection('live');
        handlers.onLost(error.body);
      } else retry();
    }
  };

  open();
  return stop;
}
