// Maps engine failures to what the API answers: the EngineError's own code, message and hint, with an HTTP status.
// Deliberately the only place the studio looks at EngineError; everything else sees ApiErrorBody.
import type { EngineError } from '../../inference/errors.ts';
import type { ApiErrorBody } from '../errors.ts';

/** Engine codes caused by the request (400) or by a missing GPU runtime (503); every other code is a 500. */
const STATUS_BY_CODE: Record<string, number> = {
  'invalid-request': 400,
  'bf16-needs-cuda': 400,
  'te-empty': 400,
  'dit-bad-size': 400,
  'dit-bad-caption': 400,
  'model-precision-missing': 400,
  'model-not-converted': 400,
  // LoRA files the request named: missing, for another model, of the wrong shapes, or not applicable
  'lora-missing': 400,
  'lora-bad-name': 400,
  'lora-wrong-model': 400,
  'lora-shape-mismatch': 400,
  'lora-unsupported': 400,
  'lora-not-lora': 400,
  'lora-incomplete': 400,
  'lora-bad-file': 400,
  'lora-changed': 409,
  'cuda-provider-missing': 503,
  'cuda-session-failed': 503,
};

/** By name and fields, not instanceof: the engine module may be a different instance in each Next.js bundle. */
function isEngineError(error: unknown): error is EngineError {
  return error instanceof Error && error.name === 'EngineError' && typeof (error as EngineError).code === 'string';
}

export function describeEngineError(error: unknown): { status: number; body: ApiErrorBody } | null {
  if (!isEngineError(error)) return null;
  const body: ApiErrorBody = { code: error.code, message: error.message };
  if (error.hint) body.hint = error.hint;
  return { status: STATUS_BY_CODE[error.code] ?? 500, body };
}
