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
  results: (cursor?: string | null, limit = 24) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return call<{ items: ResultRecord[]; nextCursor: string | null; total: number }>(`/api/results?${query}`);
  },
  deleteResult: (id: string) => call<{ deleted: string }>(`/api/results/${id}`, { method: 'DELETE' }),
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
  onJob: (job: StudioJob) => void;
  /** The server no longer knows the job (restart) or the stream broke for good. */
  onLost: (error: ApiErrorBody) => void;
}

const JOB_EVENTS = ['snapshot', 'queued', 'position', 'started', 'progress', 'succeeded', 'failed', 'canceled'] as const;

/** Follows one job over SSE until it ends; returns a function that stops following. */
export function followJob(jobId: string, handlers: JobStreamHandlers): () => void {
  const source = new EventSource(`/api/jobs/${jobId}/events`);
  let ended = false;
  const stop = () => {
    ended = true;
    source.close();
  };
  for (const type of JOB_EVENTS) {
    source.addEventListener(type, (event) => {
      const job = JSON.parse((event as MessageEvent<string>).data) as StudioJob;
      handlers.onJob(job);
      // The server closes the stream after the end; closing here stops EventSource from reconnecting.
      if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled') stop();
    });
  }
  source.addEventListener('gone', (event) => {
    stop();
    handlers.onLost(JSON.parse((event as MessageEvent<string>).data) as ApiErrorBody);
  });
  // EventSource retries on its own; only a closed source (retries given up) is reported.
  source.onerror = () => {
    if (!ended && source.readyState === EventSource.CLOSED) {
      handlers.onLost({ code: 'stream_closed', message: 'Lost the live connection to the server. Reload the page to see the job\'s outcome in the history.' });
    }
  };
  return stop;
}
