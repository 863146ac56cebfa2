// The numerics of image-to-image and inpainting on the flow-match schedule, as pure float32 functions following
// diffusers' ZImageImg2ImgPipeline / ZImageInpaintPipeline and FlowMatchEulerDiscreteScheduler line by line:
//   get_timesteps:  t_start = int(max(N − min(N·strength, N), 0)); the last N − t_start steps run (⌈N·strength⌉)
//   scale_noise:    x_σ = σ·noise + (1 − σ)·x                 at σ = sigmas[t_start] (float32, one rounding each)
//   posterior:      z = mean + exp(0.5·clamp(logvar, −30, 20))·ε   (retrieve_latents, sample_mode "sample")
//   inpaint blend:  after each Euler step i, x = (1 − m)·scale_noise(x0, σ_{i+1}) + m·x  (σ = 0 after the last)
// Deliberately holds no state and no model: the pipeline calls these around its Euler loop.
import { SamplingError } from './errors.ts';
import { f } from './float32.ts';

/**
 * The first kept index of the N-step schedule for `strength` ∈ (0, 1], exactly as diffusers' get_timesteps (in
 * float64, as Python computes it): N·strength steps rounded up, e.g. 8 steps at 0.3 → 3 steps from index 5.
 */
export function img2imgStart(steps: number, strength: number): number {
  if (!(strength > 0 && strength <= 1)) {
    throw new SamplingError('invalid-argument', `strength must be in (0, 1], got ${strength}.`,
      '1 repaints everything (the text-to-image result of the same seed); 0.3–0.6 keeps the composition.');
  }
  const start = Math.trunc(Math.max(steps - Math.min(steps * strength, steps), 0));
  if (steps - start < 1) {
    throw new SamplingError('invalid-argument', `strength ${strength} leaves no step of ${steps}.`,
      `raise the strength to at least ${(1 / steps).toFixed(3)} or the steps`);
  }
  return start;
}

/** FlowMatchEulerDiscreteScheduler.scale_noise: σ·noise + (1 − σ)·sample, float32. */
export function scaleNoise(sample: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  if (sample.length !== noise.length) {
    throw new SamplingError('invalid-argument', `sample and noise differ in size (${sample.length} vs ${noise.length}).`, 'both are [1, 16, H/8, W/8]');
  }
  const s = f(sigma), keep = f(1 - s);
  const out = new Float32Array(sample.length);
  for (let i = 0; i < out.length; i++) out[i] = f(f(s * noise[i]) + f(keep * sample[i]));
  return out;
}

/**
 * The posterior sample the reference draws (DiagonalGaussianDistribution.sample): mean + std·ε with
 * std = exp(0.5·clamp(logvar, −30, 20)), then the pipeline scaling (z − shift)·scale, float32 throughout.
 * `Math.exp` is correctly rounded where torch's vectorised exp may differ in the last bit.
 */
export function posteriorLatents(mean: Float32Array, logvar: Float32Array, eps: Float32Array, shift: number, scale: number): Float32Array {
  const out = new Float32Array(mean.length);
  const fs = f(shift), fc = f(scale);
  for (let i = 0; i < out.length; i++) {
    const lv = Math.min(20, Math.max(-30, logvar[i]));
    const std = f(Math.exp(f(0.5 * lv)));
    const z = f(mean[i] + f(std * eps[i]));
    out[i] = f(f(z - fs) * fc);
  }
  return out;
}

/**
 * The inpainting blend after an Euler step: where the latent mask is 0 the latents become the clean image latents
 * re-noised to the next step's σ (clean after the last step), where it is 1 they stay the model's. With diffusers'
 * binarized mask this is a selection; a soft mask in [0, 1] blends (1 − m)·a + m·b in float32.
 */
export function blendMasked(latents: Float32Array, imageLatents: Float32Array, noise: Float32Array, sigmaNext: number, mask: Float32Array, channels: number): Float32Array {
  const plane = mask.length;
  if (latents.length !== plane * channels) {
    throw new SamplingError('invalid-argument', `the latent mask has ${plane} values for ${latents.length / channels} latent pixels.`, 'the mask is [h, w] of the latent grid');
  }
  const proper = sigmaNext === 0 ? imageLatents : scaleNoise(imageLatents, noise, sigmaNext);
  const out = new Float32Array(latents.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) {
      const m = mask[i], j = c * plane + i;
      out[j] = m === 1 ? latents[j] : m === 0 ? proper[j] : f(f(f(1 - m) * proper[j]) + f(m * latents[j]));
    }
  }
  return out;
}
