// The native session's CPU path (issue 20): our addon over onnxruntime-node's own libonnxruntime.so.1, with the
// CPU EP, runs real graphs through bound buffers and agrees with onnxruntime-node; buffers keep their address when
// rebound alike, copy and axpy between sessions work, and bad use fails with a message. Skips (saying why) where
// the addon is not built (no compiler at install); the CUDA path is tested on the GPU host (bench/native.sh).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ElemType, Graph } from '../onnx/graph.ts';
import { Session } from './onnx-runtime.ts';
import { nativeAddonPath, NativeSession } from './native-session.ts';

const built = fs.existsSync(nativeAddonPath());
const skip = built ? false : `native addon not built (${nativeAddonPath()}): npm run build:native needs a C++ compiler`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'native-'));
const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 0.9);

/** y = RMSNorm(x·W)·g + x·W, with W and g as initializers: MatMul, a norm and an add, fp32. */
function model(): string {
  const file = path.join(dir, 'mm.onnx');
  const g = new Graph('mm');
  const x = g.input('x', ElemType.FLOAT, [4, 8]);
  const w = g.constant(ElemType.FLOAT, [8, 8], rand(64, 1), 'w');
  const gamma = g.constant(ElemType.FLOAT, [8], rand(8, 2), 'gamma');
  const h = g.op('MatMul', [x, w]);
  const n = g.op('RMSNormalization', [h, gamma], { axis: -1, epsilon: { float: 1e-6 }, stash_type: 1 });
  g.output(g.op('Add', [n, h]), 'y', ElemType.FLOAT, [4, 8]);
  g.write(file);
  return file;
}

test('native session (CPU EP): bound buffers in, bound buffers out, same numbers as onnxruntime-node', { skip }, async () => {
  const file = model();
  const s = NativeSession.create(file, { ep: 'cpu' });
  assert.deepEqual(s.describe(), { inputs: [{ name: 'x', type: 'float32', dims: [4, 8] }], outputs: [{ name: 'y', type: 'float32', dims: [4, 8] }] });
  s.bind('x', 'input', 'float32', [4, 8]);
  s.bind('y', 'output', 'float32', [4, 8]);
  const ref = await Session.create(file, { ep: 'cpu' });
  for (const seed of [3, 4]) { // twice through the same buffers: a second write replaces the first
    const x = rand(32, seed);
    s.write('x', x);
    s.write('y', new Float32Array(32).fill(Number.NaN)); // poison: every output element must be written
    await s.run();
    const got = s.read('y') as Float32Array;
    const want = (await ref.run({ x: { type: 'float32', dims: [4, 8], data: x } })).y.data;
    assert.equal(got.length, 32);
    for (let i = 0; i < 32; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `y[${i}] ${got[i]} vs ${want[i]}`);
  }
  await ref.release();
  s.release();
  assert.throws(() => s.read('y'), /released/);
});

test('native session: copyFrom and axpy between sessions on the device, clear errors on misuse', { skip }, async () => {
  const file = model();
  const a = NativeSession.create(file, { ep: 'cpu', intraThreads: 1 });
  const b = NativeSession.create(file, { ep: 'cpu', intraThreads: 1 });
  for (const s of [a, b]) {
    s.bind('x', 'input', 'float32', [4, 8]);
    s.bind('y', 'output', 'float32', [4, 8]);
  }
  const x = rand(32, 5);
  a.write('x', x);
  await a.run();
  b.copyFrom('x', a, 'y'); // a's output feeds b's input without a host round trip in the engine
  await b.run();
  const ay = a.read('y') as Float32Array;
  a.axpy('x', -0.5, a, 'y'); // x ← x − 0.5·y, as the sampler's Euler step does with the velocity
  const ax = a.read('x') as Float32Array;
  for (let i = 0; i < 32; i++) assert.ok(Math.abs(ax[i] - (x[i] - 0.5 * ay[i])) < 1e-6);
  assert.deepEqual(Array.from(b.read('x') as Float32Array), Array.from(ay));
  assert.throws(() => a.write('x', new Float32Array(31)), /124 bytes given, the buffer holds 128/);
  assert.throws(() => a.read('nope'), /no buffer|has no buffer/);
  assert.throws(() => a.bind('x', 'input', 'complex64' as never, [1]), /unsupported element type/);
  const running = a.run();
  assert.throws(() => a.write('x', x), /in flight/);
  await running;
  a.release();
  b.release();
});

test('native session: a missing custom-op library or model is an EngineError with a fix', { skip }, () => {
  const file = model();
  assert.throws(() => NativeSession.create(file, { ep: 'cpu', customOps: [path.join(dir, 'nope.so')] }), /setup:gpu/);
  assert.throws(() => NativeSession.create(path.join(dir, 'missing.onnx'), { ep: 'cpu' }), /convert the model first/);
  const notLib = path.join(dir, 'not-a-lib.so');
  fs.writeFileSync(notLib, 'x');
  assert.throws(() => NativeSession.create(file, { ep: 'cpu', customOps: [notLib] }), /could not load mm\.onnx/);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
