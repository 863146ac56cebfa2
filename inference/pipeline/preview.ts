// Live previews: the latents → RGB linear projection with the FLUX VAE's published preview factors (ComfyUI's
// comfy/latent_formats.py, class Flux: 16×3 factors and a bias, applied to the latents in the DiT's space, which is
// the space our pipeline latents are in: the VAE graph un-scales z / 0.3611 + 0.1159 itself). One RGB pixel per
// latent pixel (an image 1/8 of the size, ≤ 256 px at 2048²): a coarse picture of the image forming, no VAE run.
// Deliberately pure numerics: encoding it to JPEG is the caller's (lib/preview.ts), so inference/ stays dependency-free.

/** [latent channel][R, G, B], ComfyUI latent_formats.Flux.latent_rgb_factors. */
export const FLUX_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [-0.0346, 0.0244, 0.0681],
  [0.0034, 0.021, 0.0687],
  [0.0275, -0.0668, -0.0433],
  [-0.0174, 0.016, 0.0617],
  [0.0859, 0.0721, 0.0329],
  [0.0004, 0.0383, 0.0115],
  [0.0405, 0.0861, 0.0915],
  [-0.0236, -0.0185, -0.0259],
  [-0.0245, 0.025, 0.118],
  [0.1008, 0.0755, -0.0421],
  [-0.0515, 0.0201, 0.0011],
  [0.0428, -0.0012, -0.0036],
  [0.0817, 0.0765, 0.0749],
  [-0.1264, -0.0522, -0.1103],
  [-0.028, -0.0881, -0.0499],
  [-0.1262, -0.0982, -0.0778],
];
/** ComfyUI latent_formats.Flux.latent_rgb_factors_bias. */
export const FLUX_LATENT_RGB_BIAS: readonly [number, number, number] = [-0.0329, -0.0718, -0.0851];

/**
 * RGB8 [h, w, 3] from latents [1, 16, h, w]: rgb = Σ_c latent[c]·factor[c] + bias, in [−1, 1], then
 * (x + 1)/2 · 255 clamped, as ComfyUI's Latent2RGB previewer does.
 */
export function latentToRgb(latents: Float32Array, h: number, w: number): Uint8Array {
  const C = FLUX_LATENT_RGB_FACTORS.length;
  const n = h * w;
  if (latents.length !== C * n) {
    throw new Error(`Preview latents have ${latents.length} values; ${h}×${w} needs ${C}×${h}×${w} (16 FLUX VAE channels).`);
  }
  // Per pixel, the 16 channel planes read in step (16 sequential streams) and the sums kept in locals: ~5× faster
  // than accumulating channel by channel into an [n, 3] buffer.
  const f = Float64Array.from(FLUX_LATENT_RGB_FACTORS.flat()); // [16 × 3]
  const [br, bg, bb] = FLUX_LATENT_RGB_BIAS;
  const out = new Uint8ClampedArray(n * 3); // clamps to 0..255, NaN → 0
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    let r = br, g = bg, b = bb;
    for (let c = 0, k = 0; c < C; c++, k += 3) {
      const x = latents[c * n + i];
      r += x * f[k];
      g += x * f[k + 1];
      b += x * f[k + 2];
    }
    out[o] = (r + 1) * 127.5;
    out[o + 1] = (g + 1) * 127.5;
    out[o + 2] = (b + 1) * 127.5;
  }
  return new Uint8Array(out.buffer);
}
