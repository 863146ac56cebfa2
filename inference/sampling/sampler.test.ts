// The Euler sampler with closed-form models: a constant velocity moves the latents by exactly σ_0 − σ_n, the model
// sees each σ and step once, onStep can stop the loop, and an aborted signal stops it before the next step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleEuler } from './sampler.ts';
import { eulerStep, sigmas } from './scheduler.ts';

test('a constant velocity v = −1 moves every latent by σ_0 − σ_n = 1, step by step as eulerStep does', async () => {
  const sig = sigmas(4);
  const x0 = Float32Array.of(0.5, -2, 3);
  const seen: [number, number][] = [];
  const { latents, steps } = await sampleEuler(x0, sig, async (x, sigma, step) => {
    seen.push([sigma, step]);
    return new Float32Array(x.length).fill(-1);
  });
  assert.equal(steps, 4);
  assert.deepEqual(seen, [0, 1, 2, 3].map((i) => [sig[i], i]));
  let want: Float32Array = x0;
  for (let i = 0; i < 4; i++) want = eulerStep(want, new Float32Array(3).fill(-1), sig[i], sig[i + 1]);
  assert.deepEqual(latents, want);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(latents[i] - (x0[i] - 1)) < 1e-6, `latent ${i}: ${latents[i]}`);
});

test('onStep sees each step\'s latents and can stop the loop early', async () => {
  const steps: number[] = [];
  const r = await sampleEuler(Float32Array.of(1), sigmas(8), async (x) => x, { onStep: (step) => { steps.push(step); return step === 3; } });
  assert.equal(r.steps, 3);
  assert.deepEqual(steps, [1, 2, 3]);
});

test('an aborted signal stops before the next model call, with an AbortError', async () => {
  const controller = new AbortController();
  let calls = 0;
  await assert.rejects(sampleEuler(Float32Array.of(1), sigmas(8), async (x) => { calls++; return x; }, {
    signal: controller.signal, onStep: (step) => { if (step === 2) controller.abort(); },
  }), { name: 'AbortError' });
  assert.equal(calls, 2);
});
