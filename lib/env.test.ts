// The engine's onnxruntime settings reach it from lib/env.ts as options: ZIMAGE_ORT_CONFIG parsed into config
// entries, ZIMAGE_ORT_MEM_PATTERN into a boolean, a bad value stops start-up naming the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getEnv as parse, ortOptions } from './env.ts';

const getEnv = (vars: Record<string, string>) => parse(vars as NodeJS.ProcessEnv);

test('ZIMAGE_ORT_* become the engine\'s OrtOptions; unset means onnxruntime\'s defaults', () => {
  assert.deepEqual(ortOptions(getEnv({})), {});
  const env = getEnv({ ZIMAGE_ORT_CONFIG: 'session.intra_op.allow_spinning=0', ZIMAGE_ORT_MEM_PATTERN: '0' });
  assert.deepEqual(ortOptions(env), { config: { 'session.intra_op.allow_spinning': '0' }, memPattern: false });
  assert.deepEqual(ortOptions(getEnv({ ZIMAGE_ORT_MEM_PATTERN: '1' })), { memPattern: true });
});

test('a malformed ZIMAGE_ORT_CONFIG or ZIMAGE_ORT_MEM_PATTERN stops start-up naming it', () => {
  assert.throws(() => getEnv({ ZIMAGE_ORT_CONFIG: 'nodots=1' }), /ZIMAGE_ORT_CONFIG="nodots=1": .*not key=value/);
  assert.throws(() => getEnv({ ZIMAGE_ORT_MEM_PATTERN: 'yes' }), /ZIMAGE_ORT_MEM_PATTERN="yes": must be 1 or 0/);
});
