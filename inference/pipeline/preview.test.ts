// Tests the latent → RGB preview projection: the published FLUX factors applied per latent pixel, clamped to RGB8.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLUX_LATENT_RGB_BIAS, FLUX_LATENT_RGB_FACTORS, latentToRgb } from './preview.ts';

test('zero latents give the bias colour; one channel at 1 adds its factor row', () => {
  const h = 2, w = 3, n = h * w;
  const zero = latentToRgb(new Float32Array(16 * n), h, w);
  const expected = FLUX_LATENT_RGB_BIAS.map((b) => Math.round((b + 1) * 127.5));
  assert.deepEqual([...zero.subarray(0, 3)], expected);
  assert.equal(zero.length, n * 3);

  const latents = new Float32Array(16 * n);
  latents[8 * n + 4] = 1; // channel 8, pixel 4
  const rgb = latentToRgb(latents, h, w);
  const row = FLUX_LATENT_RGB_FACTORS[8];
  assert.deepEqual([...rgb.subarray(12, 15)], row.map((f, k) => Math.round((f + FLUX_LATENT_RGB_BIAS[k] + 1) * 127.5)));
  assert.deepEqual([...rgb.subarray(0, 3)], expected, 'other pixels keep the bias colour');
});

test('out-of-range values clamp and NaN becomes black instead of breaking the preview', () => {
  const latents = new Float32Array(16).fill(100);
  latents[0] = Number.NaN;
  const rgb = latentToRgb(latents, 1, 1);
  assert.deepEqual([...rgb], [0, 0, 0], 'NaN in any channel poisons the pixel, shown as black');
  const big = latentToRgb(new Float32Array(16).fill(-100), 1, 1);
  assert.ok([...big].every((v) => v === 0 || v === 255));
});

test('a wrong latent size is refused with the expected shape', () => {
  assert.throws(() => latentToRgb(new Float32Array(10), 2, 2), /needs 16×2×2/);
});
