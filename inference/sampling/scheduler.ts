// The Z-Image-Turbo flow-matching schedule and its Euler step, as pure float32 functions that reproduce the
// diffusers reference bit for bit (pipelines/z_image/pipeline_z_image.py + FlowMatchEulerDiscreteScheduler with
// shift 3, no dynamic shifting; spec §5):
//   s      = torch.linspace(1.0, 1/N, N)                    float32, on the CPU (get_default_z_image_sigmas)
//   σ      = shift·s / (1 + (shift − 1)·s)                   numpy float32, one rounding per operation; then σ_N = 0
//   t      = σ·1000 (scheduler timestep), t_model = (1000 − t) / 1000                     float32, fed to the DiT
//   z_next = z + (σ_{i+1} − σ_i)·(−v)                        float32 (the pipeline negates the model output)
//   CFG    = pos + w·(pos − neg), off when w = 0 or t_model > truncation, optional norm cap k·‖pos‖.
// torch.linspace itself depends on how torch was compiled: its CPU kernel computes start + step·i (first half)
// and end − step·(N−1−i) (second half), and GCC fuses those into FMAs in the AVX2/AVX-512 kernels of the x86-64
// Linux wheels ('fma', the default; equal to torch 2.13 AVX2 for N = 1…299). Without FMA ('nofma': equal to
// torch with ATEN_CPU_CAPABILITY=default) the σ table differs by one or two ulps for 263 of those N: not for 8
// or 9 steps, but for 13, 15, 17, 19, 20, …, 50.
// Deliberately holds no state (no step counter): the caller indexes the sigma table. No stochastic sampling,
// no other samplers, no dynamic shifting (its mu is ignored by the reference config).

import { SamplingError } from './errors.ts';
import { f, fma32, mulAdd32 } from './float32.ts';

export type LinspaceKernel = 'fma' | 'nofma';

export interface SigmaOptions {
  /** How torch.linspace rounds (see the file header). Default 'fma': x86-64 Linux PyTorch. */
  linspace?: LinspaceKernel;
}

/**
 * σ_0 … σ_N for N steps: length N + 1, σ_0 = 1, σ_N = 0, float32.
 * @param shift the scheduler's static shift (3.0 for Turbo).
 */
export function sigmas(steps: number, shift = 3.0, options: SigmaOptions = {}): Float32Array {
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new SamplingError('invalid-steps', `steps must be an integer ≥ 1, got ${steps}.`,
      'Z-Image-Turbo is distilled for 8 steps; use 8 unless you are experimenting.');
  }
  if (!Number.isFinite(shift) || shift <= 0) {
    throw new SamplingError('invalid-argument', `shift must be a positive number, got ${shift}.`,
      'Z-Image-Turbo uses shift 3.0 (its scheduler_config.json).');
  }
  const linspace = options.linspace ?? 'fma';
  if (linspace !== 'fma' && linspace !== 'nofma') {
    throw new SamplingError('invalid-argument', `Unknown linspace kernel ${JSON.stringify(linspace)}.`,
      "Use 'fma' (x86-64 Linux PyTorch) or 'nofma'.");
  }
  const s = torchLinspace(1, f(1 / steps), steps, linspace === 'fma');
  const out = new Float32Array(steps + 1); // the last entry stays 0
  const a = f(shift);
  const b = f(shift - 1);
  for (let i = 0; i < steps; i++) out[i] = f(f(a * s[i]!) / f(1 + f(b * s[i]!)));
  return out;
}

/** torch.linspace(start, end, n) in float32 on the CPU (aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp). */
function torchLinspace(start: number, end: number, n: number, fused: boolean): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = f(f(end - start) / (n - 1));
  const mulAdd = fused ? fma32 : mulAdd32;
  const halfway = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < halfway ? mulAdd(step, i, start) : mulAdd(-step, n - 1 - i, end);
  return out;
}

/**
 * The time the DiT receives for noise level σ: the pipeline's `(1000 − t) / 1000` with t = σ·1000, all float32.
 * Mathematically 1 − σ (0 = pure noise); in float32 it can differ from fround(1 − σ) in the last bit.
 */
export function modelTime(sigma: number): number {
  const timestep = f(f(sigma) * 1000);
  return f(f(1000 - timestep) / 1000);
}

/**
 * One Euler step from σ to σ_next with the model's velocity v (≈ x0 − ε), float32 like diffusers:
 * z + (σ_next − σ)·noise_pred with noise_pred = −v.  z, v: [1, 16, H/8, W/8] flattened.
 */
export function eulerStep(z: Float32Array, v: Float32Array, sigma: number, sigmaNext: number): Float32Array {
  if (z.length !== v.length) {
    throw new SamplingError('invalid-argument', `Latent and velocity differ in size (${z.length} vs ${v.length}).`,
      'Pass the DiT output for this very latent: both are [1, 16, H/8, W/8].');
  }
  const dt = f(f(sigmaNext) - f(sigma));
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i]! + f(dt * -v[i]!);
  return out;
}

export interface GuidanceOptions {
  /** The reference's guidance scale w (classic CFG scale − 1); 0 (Turbo's default) turns guidance off. */
  w: number;
  /** Guidance is off at steps whose model time exceeds this (default 1.0: never). */
  truncation?: number;
  /** k > 0 caps ‖out‖ at k·‖pos‖ (default 0: off). */
  normalization?: number;
  /** modelTime(σ) of the current step. */
  tModel: number;
}

/** The w the reference uses at this step: 0 when off (w ≤ 0, or t_model > truncation). */
export function guidanceScale({ w, truncation = 1, tModel }: Omit<GuidanceOptions, 'normalization'>): number {
  for (const [name, value] of [['w', w], ['truncation', truncation], ['tModel', tModel]] as const) {
    if (!Number.isFinite(value)) {
      throw new SamplingError('invalid-argument', `Guidance ${name} must be a finite number, got ${value}.`,
        'w is the classic CFG scale minus 1 (0 = off); truncation and tModel lie in [0, 1].');
    }
  }
  return w > 0 && !(tModel > truncation) ? w : 0;
}

/**
 * Classifier-free guidance, float32 like the pipeline: pos + w·(pos − neg), then the optional norm cap.
 * Returns `pos` itself when guidance is off at this step (see guidanceScale: skip the negative pass then).
 * The norms are summed in float64 and rounded to float32; torch's float32 reduction can differ in the last bit,
 * so a capped result may differ from the reference by an ulp.
 */
export function applyGuidance(pos: Float32Array, neg: Float32Array, options: GuidanceOptions): Float32Array {
  if (pos.length !== neg.length) {
    throw new SamplingError('invalid-argument',
      `Positive and negative predictions differ in size (${pos.length} vs ${neg.length}).`,
      'Run the DiT on the same latent for both prompts.');
  }
  const k = options.normalization ?? 0;
  if (!Number.isFinite(k) || k < 0) {
    throw new SamplingError('invalid-argument', `Guidance normalization must be ≥ 0, got ${k}.`,
      'Use 0 to turn it off, or a factor such as 1.0 to cap the guided norm at the positive one.');
  }
  const w = f(guidanceScale(options));
  if (w === 0) return pos;
  const out = new Float32Array(pos.length);
  for (let i = 0; i < pos.length; i++) out[i] = pos[i]! + f(w * f(pos[i]! - neg[i]!));
  if (k > 0) {
    const maxNorm = f(l2Norm(pos) * f(k));
    const newNorm = l2Norm(out);
    if (newNorm > maxNorm) {
      const scale = f(maxNorm / newNorm);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
    }
  }
  return out;
}

/** ‖x‖₂ summed in float64, rounded to float32 like torch.linalg.vector_norm's float32 result. */
function l2Norm(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return f(Math.sqrt(sum));
}
