// The img2img/inpaint numerics on their own: get_timesteps' first kept index as Python computes it, scale_noise's
// end points, the posterior sample's clamp and scaling, and the inpaint blend as a selection with a binary mask.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blendMasked, img2imgStart, posteriorLatents, scaleNoise } from './img2img.ts';

test('first kept step: int(max(N − min(N·strength, N), 0)), i.e. ⌈N·strength⌉ steps run', () => {
  // values as Python prints them for get_timesteps (num_inference_steps − t_start)
  const cases: [number, number, number][] = [[8, 1, 0], [8, 0.5, 4], [8, 0.3, 5], [8, 0.125, 7], [8, 0.01, 7], [9, 0.6, 3], [4, 0.75, 1], [20, 0.35, 13]];
  for (const [steps, strength, start] of cases) {
    assert.equal(img2imgStart(steps, strength), start, `${steps} steps at ${strength}`);
    assert.equal(steps - start, Math.ceil(Math.fround(steps * strength) - 1e-9), 'the ceiling');
  }
  assert.throws(() => img2imgStart(8, 0), /strength must be in \(0, 1\]/);
  assert.throws(() => img2imgStart(8, 1.2), /strength must be in \(0, 1\]/);
});

test('scale_noise: σ = 1 is the noise, σ = 0 the sample, bit for bit; in between σ·n + (1 − σ)·x', () => {
  const x = Float32Array.from([0.25, -1.5, 3, 0]), n = Float32Array.from([-0.7, 0.1, 2.2, -0]);
  assert.deepEqual(scaleNoise(x, n, 1), Float32Array.from([-0.7, 0.1, 2.2, 0]));
  assert.deepEqual(scaleNoise(x, n, 0), x);
  const mid = scaleNoise(x, n, 0.5);
  assert.equal(mid[0], Math.fround(Math.fround(0.5 * Math.fround(-0.7)) + Math.fround(0.5 * 0.25)));
});

test('posterior sample: mean + exp(0.5·clamp(logvar, −30, 20))·ε, then (z − shift)·scale', () => {
  const mean = Float32Array.from([1, 1, 1]), logvar = Float32Array.from([0, 100, -100]), eps = Float32Array.from([1, 1, 1]);
  const z = posteriorLatents(mean, logvar, eps, 0.1159, 0.3611);
  const scaled = (v: number) => Math.fround(Math.fround(Math.fround(v) - Math.fround(0.1159)) * Math.fround(0.3611));
  assert.equal(z[0], scaled(Math.fround(1 + 1)));
  assert.equal(z[1], scaled(Math.fround(1 + Math.fround(Math.exp(10)))), 'logvar clamped to 20');
  assert.equal(z[2], scaled(Math.fround(1 + Math.fround(Math.exp(-15)))), 'logvar clamped to −30');
});

test('inpaint blend: the model where the mask is 1, the source re-noised to σ_next where 0, the clean source at σ = 0', () => {
  const latents = Float32Array.from([9, 9, 9, 9]), source = Float32Array.from([1, 2, 3, 4]), noise = Float32Array.from([0, 0, 0, 0]);
  const mask = Float32Array.from([1, 0]); // 2 latent pixels × 2 channels
  assert.deepEqual(blendMasked(latents, source, noise, 0.5, mask, 2), Float32Array.from([9, 1, 9, 2]));
  assert.deepEqual(blendMasked(latents, source, Float32Array.from([5, 5, 5, 5]), 0, mask, 2), Float32Array.from([9, 2, 9, 4]));
});
