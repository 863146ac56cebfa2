// Helpers every route handler uses: read a JSON body through its zod schema, and turn any thrown error into the
// `{ error: { code, message, hint? } }` JSON with the right status. Deliberately server-only and route-agnostic:
// schemas live with their API (lib/api/*), status mapping of engine errors in lib/engine/errors.ts.
import { z } from 'zod';
import { describeEngineError } from './engine/errors.ts';
import { isStudioError, StudioError, type ApiErrorBody } from './errors.ts';
import { describeIssues } from './issues.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };

export function json(data: unknown, init: ResponseInit = {}): Response {
  return Response.json(data, { ...init, headers: { ...NO_STORE, ...init.headers } });
}

/** Parses the body as JSON and validates it; throws a 400 StudioError that says what to change. */
export async function readJson<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  hint?: string,
): Promise<z.output<Schema>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new StudioError(
      400,
      'invalid_json',
      'The body is not valid JSON. Send a JSON object with the header Content-Type: application/json.',
      hint,
    );
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
    throw new StudioError(400, 'invalid_request', describeIssues(result.error.issues, allowed), hint);
  }
  return result.data;
}

export function errorBody(error: unknown): { status: number; body: ApiErrorBody } {
  if (isStudioError(error)) {
    const body: ApiErrorBody = { code: error.code, message: error.message };
    if (error.hint) body.hint = error.hint;
    return { status: error.status, body };
  }
  const engine = describeEngineError(error);
  if (engine) return engine;
  if (error instanceof Error && error.name === 'AbortError') {
    return { status: 499, body: { code: 'canceled', message: 'The job was canceled before it finished.' } };
  }
  console.error('[studio] unexpected error:', error);
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 500,
    body: {
      code: 'internal',
      message: `The server failed unexpectedly: ${message}. Retry; if it persists, the server log has the stack trace.`,
    },
  };
}

export function errorResponse(error: unknown): Response {
  const { status, body } = errorBody(error);
  return json({ error: body }, { status });
}

/** Wraps a handler so every failure becomes the API's error JSON. */
export function handle<Args extends unknown[]>(
  handler: (...args: Args) => Promise<Response>,
): (...args: Args) => Promise<Response> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      return errorResponse(error);
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
