// OpenAI's error shape, {error: {message, type, param, code}}, for every answer under /v1/ (the routes' own errors
// and the proxy's refusals alike), so the official SDKs raise their typed errors with the studio's message.
// Deliberately plain (no zod, no Node imports): the proxy bundle (lib/server/guard.ts) loads it as is.
import type { ApiErrorBody } from '../errors.ts';

/** OpenAI's error `type` for a status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The studio's error body in OpenAI's shape; `param` is the field a "field: message" error names. */
export function toOpenAiError(status: number, body: ApiErrorBody): OpenAiErrorBody {
  const param = /^([A-Za-z_][\w.]*): /.exec(body.message)?.[1] ?? null;
  const { code, message, ...extra } = body;
  // The hint and a full queue's position and etaMs ride along; OpenAI's SDKs ignore fields they do not know.
  return { error: { message, type: openAiErrorType(status), param, code, ...extra } };
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string } & Omit<ApiErrorBody, 'code' | 'message'>;
}

/** Paths whose answers use OpenAI's error shape. */
export function isOpenAiPath(pathname: string): boolean {
  return pathname === '/v1' || pathname.startsWith('/v1/');
}
