// Where the native addon is not built, asking for the native session is a clear EngineError naming the fix, never
// a silent fall back to onnxruntime-node (issue 20). Its own file: the addon is loaded once per process, so this
// runs where no other test has loaded it.
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { test } from 'node:test';
import { EngineError } from '../errors.ts';
import { loadNative, NativeSession } from './native-session.ts';

test('no addon built: native-addon-missing, with `npm run build:native` as the fix', () => {
  const before = process.env.ZIMAGE_NATIVE_ADDON;
  process.env.ZIMAGE_NATIVE_ADDON = path.join(os.tmpdir(), 'no-such-dir', 'zimage_ort.node');
  try {
    assert.throws(() => loadNative(), (e: unknown) => e instanceof EngineError && e.code === 'native-addon-missing' && /npm run build:native/.test(e.hint ?? ''));
    // a session asks for the addon after checking its model file; the model is this test file (exists, not ONNX)
    assert.throws(() => NativeSession.create(import.meta.filename, { ep: 'cuda' }), (e: unknown) => e instanceof EngineError && e.code === 'native-addon-missing');
  } finally {
    if (before === undefined) delete process.env.ZIMAGE_NATIVE_ADDON; else process.env.ZIMAGE_NATIVE_ADDON = before;
  }
});
