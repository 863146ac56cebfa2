// The Euler sampler of flow matching: from σ_0 (pure noise) down the schedule to σ_n = 0, x ← x + (σ_next − σ)·(−v),
// with the model as a callback (the pipeline's DiT, with or without guidance; a closed form in the tests). Progress
// and early stop through onStep, cancellation through an AbortSignal checked before each step.
// It deliberately knows no model, session or census: stable-diffusion.cpp's sample_euler, in TypeScript.
import { AbortError } from '../errors.ts';
import { eulerStep } from './scheduler.ts';

/** The model: its velocity v for latents x at noise level σ (the caller maps σ to its own model time). */
export type VelocityModel = (x: Float32Array, sigma: number, step: number) => Promise<Float32Array>;

export interface SamplerOptions {
  signal?: AbortSignal;
  /** After each step (1-based) with the new latents; returning true stops the loop (e.g. every value NaN). */
  onStep?: (step: number, x: Float32Array) => boolean | void;
}

/** Runs the steps of `sigmas` (n + 1 levels, n steps); returns the latents and the number of steps taken. */
export async function sampleEuler(x: Float32Array, sigmas: ArrayLike<number>, model: VelocityModel, options: SamplerOptions = {}): Promise<{ latents: Float32Array; steps: number }> {
  const n = sigmas.length - 1;
  for (let i = 0; i < n; i++) {
    if (options.signal?.aborted) throw new AbortError();
    x = eulerStep(x, await model(x, sigmas[i], i), sigmas[i], sigmas[i + 1]);
    if (options.onStep?.(i + 1, x)) return { latents: x, steps: i + 1 };
  }
  return { latents: x, steps: n };
}
