// Helpers every route handler uses: read a JSON body (size-capped, UTF-8, through its zod schema), check a query
// string and a path id, and turn any thrown error into the `{ error: { code, message, hint? } }` JSON with the right
// status (or OpenAI's `{ error: { message, type, param, code } }` on the /v1 routes), its code in the API's one
// casing (snake_case: the engine's kebab-case codes are mapped here). Deliberately server-only and route-agnostic:
// schemas live with their API (lib/api/*), status mapping of engine errors in lib/engine/errors.ts, and access checks
// before any route runs in lib/server/guard.ts.
import { z } from 'zod';
import { MAX_BODY_BYTES } from './api/routes.ts';
import { isAbort } from '../inference/errors.ts';
import { describeEngineError } from './engine/errors.ts';
import { apiErrorCode, isStudioError, StudioError, type ApiErrorBody, type ErrorCode } from './errors.ts';
import { describeIssues } from './issues.ts';
import { isResultId } from './results.ts';
import { toOpenAiError } from './api/openai-errors.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };

export function json(data: unknown, init: ResponseInit = {}): Response {
  return Response.json(data, { ...init, headers: { ...NO_STORE, ...init.headers } });
}

/** The whole body, refused with `tooLarge()` past `limit` bytes as it streams in (a false Content-Length changes nothing). */
export async function readCappedBody(request: Request, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The body as text, refused past `limit` bytes while it streams in (a missing or false Content-Length changes
 * nothing) and refused when it is not UTF-8.
 */
export async function readBodyText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const bytes = await readCappedBody(request, limit, () =>
    new StudioError('body_too_large', `The body is over ${limit} bytes, the limit for every request. Shorten the prompts.`));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new StudioError('invalid_encoding', 'The body is not valid UTF-8. Send JSON encoded as UTF-8.');
  }
}

/** Media type without parameters, lower-cased: "application/json; charset=utf-8" → "application/json". */
export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Parses the body as JSON and validates it; throws a 4xx StudioError that says what to change. JSON must be declared
 * as such: a browser can send text/plain to another site without asking, application/json it cannot.
 */
export async function readJson<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  hint?: string,
  limit = MAX_BODY_BYTES,
): Promise<z.output<Schema>> {
  const type = mediaType(request);
  const charset = /charset=([^;]+)/i.exec(request.headers.get('content-type') ?? '')?.[1]?.trim().replace(/"/g, '').toLowerCase();
  if (type !== 'application/json' || (charset && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new StudioError(
      'unsupported_media_type',
      `The body must be JSON with the header Content-Type: application/json (got ${JSON.stringify((request.headers.get('content-type') ?? 'none').slice(0, 100))}).`,
      hint,
    );
  }
  const text = await readBodyText(request, limit);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new StudioError(
      'invalid_json',
      'The body is not valid JSON. Send a JSON object with the header Content-Type: application/json.',
      hint,
    );
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
    throw new StudioError('invalid_request', describeIssues(result.error.issues, allowed), hint);
  }
  return result.data;
}

/** Validates a query string strictly (unknown parameters are refused); a parameter given twice is refused too. */
export function readQuery<Schema extends z.ZodObject>(request: Request, schema: Schema): z.output<Schema> {
  const params = new URL(request.url).searchParams;
  const values: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in values) throw new StudioError('invalid_request', `Query parameter "${key.slice(0, 50)}" is given twice; give it once.`);
    values[key] = value;
  }
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new StudioError('invalid_request', describeIssues(result.error.issues, Object.keys(schema.shape)));
  }
  return result.data;
}

/** Job ids are opaque to the routes, but always short and URL-safe; anything else is refused before any lookup. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks a path id before it reaches the queue, the database or the disk. */
export function pathId(kind: 'result' | 'job', id: string): string {
  const valid = kind === 'result' ? isResultId(id) : JOB_ID_PATTERN.test(id);
  if (!valid) {
    throw new StudioError(
      'invalid_id',
      kind === 'result'
        ? 'That is not a result id: result ids are 22 characters of A–Z, a–z, 0–9, "_" and "-". Check the link.'
        : 'That is not a job id: job ids are up to 64 characters of A–Z, a–z, 0–9, "_" and "-", as POST /api/generate returned.',
    );
  }
  return id;
}

/**
 * The status and body of an error with its code as raised (an engine code still kebab-case): what the engine thread
 * reports, so the error its caller rebuilds carries the engine's own code. What a client receives is errorBody's.
 */
export function raisedErrorBody(error: unknown): { status: number; body: ApiErrorBody & { code: ErrorCode } } {
  if (isStudioError(error)) {
    const body: ApiErrorBody & { code: ErrorCode } = { code: error.code, message: error.message };
    if (error.hint) body.hint = error.hint;
    Object.assign(body, error.details);
    return { status: error.status, body };
  }
  const engine = describeEngineError(error);
  if (engine) return engine;
  if (isAbort(error)) {
    return { status: 499, body: { code: 'canceled', message: 'The job was canceled before it finished.' } };
  }
  // Unexpected: the detail (message, stack, paths) goes to the log only; the client gets an id to quote.
  const id = crypto.randomUUID().slice(0, 8);
  console.error(`[studio] unexpected error ${id}:`, error);
  return {
    status: 500,
    body: {
      code: 'internal',
      message: `The server failed unexpectedly (error ${id}). Retry; if it persists, the server log has the details under that id.`,
    },
  };
}

/** The status and body the API answers with: raisedErrorBody's, the code in the API's snake_case. */
export function errorBody(error: unknown): { status: number; body: ApiErrorBody } {
  const { status, body } = raisedErrorBody(error);
  return { status, body: { ...body, code: apiErrorCode(body.code) } };
}

export function errorResponse(error: unknown, shape: 'studio' | 'openai' = 'studio'): Response {
  const { status, body } = errorBody(error);
  // A full queue (429) says when to come back; HTTP clients such as openai's honour Retry-After.
  const retryAfterS = isStudioError(error) ? error.retryAfterS : undefined;
  const headers: Record<string, string> = retryAfterS ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterS))) } : {};
  return json(shape === 'openai' ? toOpenAiError(status, body) : { error: body }, { status, headers });
}

/** Wraps a handler so every failure becomes the API's error JSON (OpenAI's shape for the /v1 routes). */
export function handle<Args extends unknown[]>(
  handler: (...args: Args) => Promise<Response>,
  shape: 'studio' | 'openai' = 'studio',
): (...args: Args) => Promise<Response> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      return errorResponse(error, shape);
    }
  };
}

/** The origin for absolute URLs (share links, og:image): PUBLIC_URL when set, else the request's own host. */
export function publicOrigin(headers: Headers, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const host = headers.get('x-forwarded-host') ?? headers.get('host') ?? 'localhost';
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim() ?? 'http';
  return `${proto}://${host}`;
}
