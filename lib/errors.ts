// The error shape every API returns, `{ error: { code, message, hint? } }`, the closed list of codes the studio's
// own server answers with, each with its HTTP status (a new code without one fails to type-check), the API's one
// casing for codes (snake_case; apiErrorCode maps the engine's kebab-case ones), and the typed error that produces
// them. Shared by server and browser; deliberately knows nothing about HTTP status mapping of engine errors
// (lib/engine/errors.ts does that) so the browser bundle stays free of server code.
import type { EngineErrorCode } from '../inference/errors.ts';

/** Every code the studio's own code raises, and the HTTP status it answers with. */
export const STUDIO_ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_id: 400,
  invalid_cursor: 400,
  invalid_encoding: 400,
  unknown_model: 400,
  unknown_lora: 400,
  precision_unavailable: 400,
  unauthorized: 401,
  precision_not_converted: 404,
  job_not_found: 404,
  result_not_found: 404,
  comparison_not_found: 404,
  canceled: 409,
  no_token_configured: 409,
  // an A1111 request stopped by POST /sdapi/v1/interrupt or /skip before any of its images was finished
  request_interrupted: 409,
  request_skipped: 409,
  model_gone: 410,
  image_missing: 410,
  body_too_large: 413,
  unsupported_media_type: 415,
  queue_full: 429,
  too_many_streams: 429,
  engine_failed: 500,
  engine_thread_lost: 500,
  internal: 500,
  // a job's stored end, not an answer of its own: carried in job snapshots and comparison columns
  job_lost: 500,
  worker_lost: 500,
  interrupted: 500,
  result_deleted: 410,
  audit_unavailable: 501,
  engine_not_built: 503,
  ep_unavailable: 503,
  no_worker: 503,
  queue_closed: 503,
  queue_unavailable: 503,
} as const satisfies Record<string, number>;

export type StudioErrorCode = keyof typeof STUDIO_ERROR_STATUS;

/** A kebab-case code in the API's one casing: 'invalid-request' → 'invalid_request'. */
export type SnakeCase<Code extends string> = Code extends `${infer Head}-${infer Tail}`
  ? `${Head}_${SnakeCase<Tail>}`
  : Code;

/**
 * Every code an API error body can carry, all snake_case: the studio's own, and the engine's (kebab-case in the
 * engine, mapped by apiErrorCode when lib/http.ts writes the body).
 */
export type ApiErrorCode = StudioErrorCode | SnakeCase<EngineErrorCode>;

/**
 * Every code a StudioError can carry: an API code, or an engine code as the engine raised it (an error rebuilt from
 * the engine thread's report keeps the engine's own code; the body it answers with has the API's).
 */
export type ErrorCode = ApiErrorCode | EngineErrorCode;

/** The code as an API body carries it: the engine's kebab-case codes in the studio's snake_case, others unchanged. */
export function apiErrorCode<Code extends ErrorCode>(code: Code): SnakeCase<Code> {
  return code.replaceAll('-', '_') as SnakeCase<Code>;
}

export interface ApiErrorBody {
  /**
   * Stable machine-readable code, snake_case: an ApiErrorCode from this server (e.g. "invalid_request", "queue_full",
   * the engine's "dit_bad_size"), or a code the browser client adds for what never reached the server ("network").
   * Typed as text because it is read off the wire.
   */
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

/**
 * An error raised by the studio (not the engine) with the HTTP status it should answer with: `new StudioError(code,
 * message, hint?, extra?)` answers with the code's status from STUDIO_ERROR_STATUS. The form with an explicit status
 * first is for errors rebuilt from a body that crossed a thread or process (the status travelled with it), and for
 * the few answers whose status differs from the code's usual one (an unknown model on a 404 route).
 */
export class StudioError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint?: string;
  readonly details?: StudioErrorExtra['details'];
  readonly retryAfterS?: number;

  constructor(code: StudioErrorCode, message: string, hint?: string, extra?: StudioErrorExtra);
  constructor(status: number, code: ErrorCode, message: string, hint?: string, extra?: StudioErrorExtra);
  constructor(...args: [StudioErrorCode, string, string?, StudioErrorExtra?] | [number, ErrorCode, string, string?, StudioErrorExtra?]) {
    const [status, code, message, hint, extra = {}] = typeof args[0] === 'number'
      ? (args as [number, ErrorCode, string, string?, StudioErrorExtra?])
      : [STUDIO_ERROR_STATUS[args[0]], ...(args as [StudioErrorCode, string, string?, StudioErrorExtra?])] as const;
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
