// The error shape every API returns, `{ error: { code, message, hint? } }`, and the typed error the studio's own
// server code throws to produce it. Shared by server and browser; deliberately knows nothing about HTTP status
// mapping of engine errors (lib/http.ts does that) so the browser bundle stays free of server code.

export interface ApiErrorBody {
  /** Stable machine-readable code, e.g. "invalid_request", "queue_full", "not_found". */
  code: string;
  /** What failed and how to fix it, written for the person who sees it. */
  message: string;
  hint?: string;
  /** queue_full only: the place the refused job would have taken in the line (1 = next to run). */
  position?: number;
  /** queue_full only: estimated wait before that place would have started, from recent job durations. */
  etaMs?: number;
}

/** Extra fields of an error body (see ApiErrorBody) and the Retry-After a client should honour. */
export interface StudioErrorExtra {
  details?: Pick<ApiErrorBody, 'position' | 'etaMs'>;
  /** Seconds; sent as the Retry-After header. */
  retryAfterS?: number;
}

export interface ApiErrorResponse {
  error: ApiErrorBody;
}

/** An error raised by the studio (not the engine) with the HTTP status it should answer with. */
export class StudioError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint?: string;
  readonly details?: StudioErrorExtra['details'];
  readonly retryAfterS?: number;

  constructor(status: number, code: string, message: string, hint?: string, extra: StudioErrorExtra = {}) {
    super(message);
    this.name = 'StudioError';
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.details = extra.details;
    this.retryAfterS = extra.retryAfterS;
  }
}

/**
 * True for a StudioError from any bundle. Next.js may load this module once per route bundle, so `instanceof`
 * fails for an error thrown by a module instance another bundle created; the name and fields do not.
 */
export function isStudioError(error: unknown): error is StudioError {
  return (
    error instanceof Error &&
    error.name === 'StudioError' &&
    typeof (error as StudioError).status === 'number' &&
    typeof (error as StudioError).code === 'string'
  );
}

export function isApiErrorResponse(value: unknown): value is ApiErrorResponse {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as ApiErrorBody).message === 'string';
}
