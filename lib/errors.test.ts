// One error vocabulary: a studio error's status comes from its code's entry, every engine code has a status, every
// code a body carries is snake_case (the engine's kebab-case codes mapped at the boundary), an unexpected error
// reaches the client as a generic message with an id (the detail goes to the log), a cancellation is recognised by
// name, and the one model/precision resolution refuses with the codes the API documents.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError, EngineError, ENGINE_ERROR_CODES, isAbort } from '../inference/errors.ts';
import type { ModelEntry } from '../inference/pipeline/types.ts';
import { ENGINE_ERROR_STATUS } from './engine/errors.ts';
import { apiErrorCode, StudioError, STUDIO_ERROR_STATUS, type ApiErrorCode } from './errors.ts';
import { errorBody, raisedErrorBody } from './http.ts';
import { defaultModel, resolveModelPrecision } from './resolve.ts';

test('a studio error answers with its code\'s status; the explicit form keeps the one given', () => {
  assert.equal(new StudioError('queue_full', 'full').status, 429);
  assert.equal(new StudioError('unknown_model', 'no').status, STUDIO_ERROR_STATUS.unknown_model);
  const explicit = new StudioError(404, 'unknown_model', 'not here', 'GET /api/system');
  assert.deepEqual([explicit.status, explicit.code, explicit.hint], [404, 'unknown_model', 'GET /api/system']);
  assert.deepEqual(errorBody(new StudioError('invalid_json', 'bad')), { status: 400, body: { code: 'invalid_json', message: 'bad' } });
});

test('every engine code has an HTTP status, and an engine error answers with it', () => {
  assert.deepEqual(Object.keys(ENGINE_ERROR_STATUS).sort(), [...ENGINE_ERROR_CODES].sort());
  assert.equal(errorBody(new EngineError('dit-bad-size', 'odd', { hint: 'multiples of 16' })).status, 400);
  assert.equal(errorBody(new EngineError('cuda-provider-missing', 'no provider')).status, 503);
});

test('one casing at the API: every code a body carries is snake_case, the engine\'s mapped from its kebab-case', () => {
  const snake = /^[a-z0-9]+(_[a-z0-9]+)*$/;
  for (const code of Object.keys(STUDIO_ERROR_STATUS)) assert.match(code, snake);
  for (const code of ENGINE_ERROR_CODES) assert.match(apiErrorCode(code), snake);
  // each engine code has an API code of its own: no two become the same one
  assert.equal(new Set(ENGINE_ERROR_CODES.map(apiErrorCode)).size, ENGINE_ERROR_CODES.length);
  assert.deepEqual(errorBody(new EngineError('dit-bad-size', 'odd', { hint: 'multiples of 16' })), {
    status: 400, body: { code: 'dit_bad_size', message: 'odd', hint: 'multiples of 16' },
  });
  // an error rebuilt from the engine thread's report keeps the engine's code; its body has the API's
  const rebuilt = new StudioError(503, 'cuda-session-failed', 'CUDA out of memory');
  assert.equal(rebuilt.code, 'cuda-session-failed');
  assert.deepEqual(errorBody(rebuilt), { status: 503, body: { code: 'cuda_session_failed', message: 'CUDA out of memory' } });
  // what the engine thread sends keeps the code as raised, so its caller sees the engine's own
  assert.equal(raisedErrorBody(new EngineError('invalid-request', 'width: bad')).body.code, 'invalid-request');
  assert.equal(raisedErrorBody(new EngineError('invalid-request', 'width: bad')).status, 400);
  // @ts-expect-error: an API code is never kebab-case
  const kebab: ApiErrorCode = 'dit-bad-size';
  assert.ok(kebab);
});

test('an unexpected error sends a generic message with an id; the detail goes to the log only', () => {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => { logged.push(args); };
  try {
    const { status, body } = errorBody(new Error('ENOENT: /home/secret/weights/x.onnx'));
    assert.equal(status, 500);
    assert.equal(body.code, 'internal');
    assert.doesNotMatch(body.message, /secret|ENOENT/);
    const id = body.message.match(/error ([0-9a-f]{8})/)?.[1];
    assert.ok(id, body.message);
    assert.match(String(logged[0]?.[0]), new RegExp(id!));
    assert.match(String((logged[0]?.[1] as Error).message), /ENOENT/);
  } finally {
    console.error = original;
  }
});

test('isAbort: our AbortError, a DOMException-style abort and a rebuilt one; not other errors', () => {
  assert.ok(isAbort(new AbortError()));
  assert.ok(isAbort(Object.assign(new Error('gone'), { name: 'AbortError' })));
  assert.ok(!isAbort(new Error('AbortError')));
  assert.ok(!isAbort('AbortError'));
  assert.equal(errorBody(new AbortError()).body.code, 'canceled');
});

const model = (id: string, precisions: ModelEntry['precisions'], tiny = false): ModelEntry => ({
  id, name: id, family: 'z-image', variant: 'turbo', dir: `/w/${id}`, precisions, tiny, parameters: { dit: 1, te: 1, vae: 1 },
});
const cpu = [{ precision: 'bf16', available: false, reason: 'bf16 runs on the GPU only.' }, { precision: 'fp16', available: false },
  { precision: 'fp16-safe', available: false }, { precision: 'fp32', available: true }] as const;
const texts = {
  unknownModel: (requested: string | undefined) => ({ message: `no ${requested}` }),
  noPrecision: (_: ModelEntry, wanted: string | undefined, __: unknown, available: string[]) => `not ${wanted}; pick ${available.join(',')}`,
};

test('one resolution: the named or default model, the named or default precision, refusals with their codes', () => {
  const models = [model('tiny', ['fp32'], true), model('real', ['bf16', 'fp32'])];
  assert.equal(defaultModel(models)?.id, 'real');
  assert.deepEqual(resolveModelPrecision(models, [...cpu], {}, texts), { model: models[1], precision: 'fp32' });
  assert.throws(() => resolveModelPrecision(models, [...cpu], { model: 'nope' }, texts), { code: 'unknown_model', status: 400, message: 'no nope' });
  assert.throws(() => resolveModelPrecision(models, [...cpu], { model: 'real', precision: 'bf16' }, texts), { code: 'precision_unavailable', status: 400, message: 'not bf16; pick fp32' });
});
