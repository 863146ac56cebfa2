// The runtime module's session options: config entries (ZIMAGE_ORT_CONFIG's text, parsed by the caller and passed as
// SessionOptions.ort) reach onnxruntime (a bad key is rejected by onnxruntime itself, so a real CPU session proves
// the entries are passed), and bad specs fail clearly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ElemType, Graph } from '../onnx/graph.ts';
import { memPattern, ortConfigEntries, Session } from './onnx-runtime.ts';

test('ortConfigEntries: key=value pairs, dotted keys, unset → undefined, malformed → a hint', () => {
  assert.equal(ortConfigEntries(undefined), undefined);
  assert.equal(ortConfigEntries('  '), undefined);
  assert.deepEqual(ortConfigEntries('session.use_device_allocator_for_initializers=1, session.intra_op.allow_spinning=0'),
    { 'session.use_device_allocator_for_initializers': '1', 'session.intra_op.allow_spinning': '0' });
  assert.throws(() => ortConfigEntries('use_device_allocator'), /not key=value.*|ZIMAGE_ORT_CONFIG/);
  assert.throws(() => ortConfigEntries('nodots=1'), (e: Error & { hint?: string }) => /session\.use_device/.test(e.hint ?? ''));
});

test('memory pattern: off on CUDA, onnxruntime\'s default on the CPU, ZIMAGE_ORT_MEM_PATTERN=0/1 forces it', () => {
  assert.equal(memPattern('cuda', undefined), false);
  assert.equal(memPattern('cpu', undefined), true);
  assert.equal(memPattern('cuda', '1'), true);
  assert.equal(memPattern('cpu', '0'), false);
  assert.equal(memPattern('cuda', 'yes'), false, 'anything else keeps the default');
});

test('ZIMAGE_ORT_CONFIG entries reach onnxruntime: a valid one runs, one that changes loading makes onnxruntime fail', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ortcfg-'));
  const file = path.join(dir, 'add.onnx');
  const g = new Graph('add');
  const x = g.input('x', ElemType.FLOAT, [2]);
  g.output(g.op('Add', [x, x]), 'y', ElemType.FLOAT, [2]);
  g.write(file);
  try {
    const s = await Session.create(file, { ep: 'cpu', ort: { config: ortConfigEntries('session.intra_op.allow_spinning=0') } });
    const out = await s.run({ x: { type: 'float32', dims: [2], data: Float32Array.from([1, 2]) } });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [2, 4]);
    await s.release();
    // told to read the ONNX file as an ORT-format model, onnxruntime fails to load it: the entry got there
    await assert.rejects(Session.create(file, { ep: 'cpu', ort: { config: ortConfigEntries('session.load_model_format=ORT') } }), /ORT model verification failed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
