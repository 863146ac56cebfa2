// NaN/Inf counting, the black/flat image check, and the one-line summary the result card shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countNonFinite, imageHealth, summarize } from './health.ts';

test('counts NaN and ±Inf separately', () => {
  assert.deepEqual(countNonFinite(Float32Array.of(1, NaN, Infinity, -Infinity, 0, NaN)), { nan: 2, inf: 2 });
});

test('black, flat and healthy images', () => {
  const black = new Uint8Array(300).fill(0);
  assert.equal(imageHealth(black).black, true);
  const grey = new Uint8Array(300).fill(128);
  assert.deepEqual([imageHealth(grey).black, imageHealth(grey).flat], [false, true]);
  const noise = Uint8Array.from({ length: 3000 }, (_, i) => (i * 97) % 256);
  assert.deepEqual([imageHealth(noise).black, imageHealth(noise).flat], [false, false]);
});

test('summary names the first bad step and the likely cause', () => {
  const steps = [{ step: 1, nan: 0, inf: 0 }, { step: 2, nan: 0, inf: 3 }, { step: 3, nan: 4096, inf: 0 }];
  const img = imageHealth(new Uint8Array(300));
  assert.deepEqual(summarize(steps, img, 'fp16'), { firstBadStep: 2, summary: 'Inf from step 2 in the DiT (fp16 overflow): black image' });
  assert.deepEqual(summarize([{ step: 1, nan: 0, inf: 0 }], imageHealth(Uint8Array.from({ length: 3000 }, (_, i) => i % 256)), 'bf16'), {});
});
