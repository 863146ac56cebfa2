// Tiled VAE encoding for large images, the counterpart of tiled-vae.ts's decode: the image is cut into overlapping
// tiles on the latent grid (the same plan: 64 latent pixels = 512 image pixels, half-tile overlap), each tile
// encoded alone, and the latents (and the posterior's mean and log-variance) blended with linear ramps across the
// overlaps. The precision never changes. Tiles differ slightly from the whole (GroupNorm statistics and the
// mid-block attention see one tile), as in diffusers' AutoencoderKL.tiled_encode.
// It deliberately knows nothing about onnxruntime: the caller passes the encode function.
import type { EncodedImage } from '../vae-encoder-runner.ts';
import { DEFAULT_TILES, ramp, tileStarts, type TilePlan } from './tiled-vae.ts';

/** Encodes image [3,H,W] (flattened) tile by tile; `encode(tile, TH, TW)` returns [C, TH/f, TW/f] per output. */
export async function encodeTiled(
  image: Float32Array, H: number, W: number, factor: number, channels: number,
  encode: (tile: Float32Array, TH: number, TW: number) => Promise<EncodedImage>,
  plan: TilePlan = DEFAULT_TILES, onTile?: (done: number, total: number) => void,
): Promise<EncodedImage> {
  const h = H / factor, w = W / factor;
  const acc = { latents: new Float32Array(channels * h * w), mean: new Float32Array(channels * h * w), logvar: new Float32Array(channels * h * w) };
  const weight = new Float32Array(h * w);
  const ys = tileStarts(h, plan.tile, plan.overlap), xs = tileStarts(w, plan.tile, plan.overlap);
  const th = Math.min(h, plan.tile), tw = Math.min(w, plan.tile);
  const TH = th * factor, TW = tw * factor;
  let done = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      const tile = new Float32Array(3 * TH * TW);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < TH; y++) {
          const from = c * H * W + (y0 * factor + y) * W + x0 * factor;
          tile.set(image.subarray(from, from + TW), (c * TH + y) * TW);
        }
      }
      const out = await encode(tile, TH, TW);
      for (let y = 0; y < th; y++) {
        const wy = ramp(y, th, plan.overlap, y0 > 0, y0 + th < h);
        for (let x = 0; x < tw; x++) {
          const wgt = wy * ramp(x, tw, plan.overlap, x0 > 0, x0 + tw < w);
          const o = (y0 + y) * w + x0 + x;
          weight[o] += wgt;
          for (const k of ['latents', 'mean', 'logvar'] as const) {
            for (let c = 0; c < channels; c++) acc[k][c * h * w + o] += wgt * out[k][(c * th + y) * tw + x];
          }
        }
      }
      onTile?.(++done, ys.length * xs.length);
    }
  }
  for (const k of ['latents', 'mean', 'logvar'] as const) for (let c = 0; c < channels; c++) for (let i = 0; i < h * w; i++) acc[k][c * h * w + i] /= weight[i];
  return acc;
}
