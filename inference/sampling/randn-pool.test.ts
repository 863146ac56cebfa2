// randnAsync runs the Box-Muller blocks on worker threads from normal-kernels.ts's source text: it must give
// randn's bits exactly (randn itself is checked against torch in rng.test.ts), and really use the workers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NORMAL_PATHS, randn } from './rng.ts';
import { randnAsync, randnPoolBlocks } from './randn-pool.ts';

const same = (a: Float32Array, b: Float32Array) => {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`value ${i} differs: ${a[i]} vs ${b[i]}`);
};

test('randnAsync = randn bit for bit on worker threads: a 1024² latent, a tail redraw, every path, big seeds', async () => {
  const before = randnPoolBlocks();
  same(await randnAsync(42, [1, 16, 128, 128]), randn(42, [1, 16, 128, 128]));
  same(await randnAsync(7, [65537]), randn(7, [65537])); // numel % 16 != 0: the last 16 are redrawn
  for (const path of NORMAL_PATHS) same(await randnAsync(3, [1, 16, 64, 80], { path }), randn(3, [1, 16, 64, 80], { path }));
  same(await randnAsync(2n ** 63n + 5n, [1, 16, 72, 64]), randn(2n ** 63n + 5n, [1, 16, 72, 64]));
  assert.ok(randnPoolBlocks() > before, 'the blocks were transformed off the calling thread');
});

test('randnAsync: small shapes stay on the calling thread; bad input throws like randn', async () => {
  same(await randnAsync(1, [1, 16, 4, 4]), randn(1, [1, 16, 4, 4]));
  same(await randnAsync(1, [5]), randn(5 - 4, [5]));
  assert.throws(() => randnAsync(-1, [1, 16, 128, 128]), /out of range|non-negative/);
  assert.throws(() => randnAsync(1, [1, 16, 128, 128], { path: 'avx512' as never }), /Unknown noise path/);
});
