// The numbers of the BF16 vs FP16 view, computed in the browser from the two decoded PNGs: PSNR, maximum and mean
// absolute difference over the RGB channels (0..255), the share of black pixels, and the difference heat map.
// Pure functions on pixel arrays (RGB or canvas RGBA), so they are unit-tested on known arrays. Deliberately ignores
// alpha: the engine's PNGs are opaque RGB and a canvas only adds alpha 255.

export interface DiffStats {
  /** Peak signal-to-noise ratio in dB against 255; Infinity when the images are identical. */
  psnr: number;
  /** Largest absolute difference of one channel value, 0..255. */
  maxAbs: number;
  /** Mean absolute difference per channel value, 0..255. */
  meanAbs: number;
  mse: number;
  /** Pixels compared. */
  pixels: number;
}

function pixelCount(length: number, channels: 3 | 4): number {
  if (length % channels !== 0) throw new Error(`${length} values are not whole pixels of ${channels} channels.`);
  return length / channels;
}

/** Compares two images of the same size channel by channel (RGB only). */
export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>, channels: 3 | 4 = 4): DiffStats {
  if (a.length !== b.length) throw new Error(`The images differ in size (${a.length} vs ${b.length} values); compare images of the same width and height.`);
  const pixels = pixelCount(a.length, channels);
  let sum = 0;
  let squares = 0;
  let max = 0;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a[p * channels + c] - b[p * channels + c]);
      sum += d;
      squares += d * d;
      if (d > max) max = d;
    }
  }
  const values = pixels * 3;
  const mse = values ? squares / values : 0;
  return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), maxAbs: max, meanAbs: values ? sum / values : 0, mse, pixels };
}

/** Share of pixels whose three channels are all ≤ 8: the engine's black-pixel rule (inference/pipeline/health.ts). */
export function blackFraction(pixels: ArrayLike<number>, channels: 3 | 4 = 4): number {
  const n = pixelCount(pixels.length, channels);
  let black = 0;
  for (let p = 0; p < n; p++) {
    const i = p * channels;
    if (pixels[i] <= 8 && pixels[i + 1] <= 8 && pixels[i + 2] <= 8) black++;
  }
  return n ? black / n : 0;
}

/**
 * Colour for a difference 0..1 (of the scale): black → violet → orange → pale yellow, readable on a dark page and
 * in grey scale (monotonic lightness).
 */
export function heatColour(t: number): [number, number, number] {
  const stops: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [0.35, 110, 40, 160],
    [0.7, 240, 120, 40],
    [1, 255, 245, 190],
  ];
  const x = Math.min(1, Math.max(0, t));
  for (let s = 1; s < stops.length; s++) {
    const [t1, r1, g1, b1] = stops[s];
    const [t0, r0, g0, b0] = stops[s - 1];
    if (x <= t1) {
      const f = (x - t0) / (t1 - t0);
      return [Math.round(r0 + f * (r1 - r0)), Math.round(g0 + f * (g1 - g0)), Math.round(b0 + f * (b1 - b0))];
    }
  }
  return [255, 245, 190];
}

/**
 * Writes the per-pixel difference (largest of the three channel differences) into `out` as RGBA, scaled so `scale`
 * is the brightest colour. Returns the largest per-pixel difference found.
 */
export function heatMap(a: ArrayLike<number>, b: ArrayLike<number>, channels: 3 | 4, out: Uint8ClampedArray, scale?: number): number {
  const pixels = pixelCount(a.length, channels);
  if (a.length !== b.length || out.length !== pixels * 4) throw new Error('heatMap needs two images of the same size and an RGBA output of that size.');
  const diff = new Uint8Array(pixels);
  let max = 0;
  for (let p = 0; p < pixels; p++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(a[p * channels + c] - b[p * channels + c]));
    diff[p] = d;
    if (d > max) max = d;
  }
  const top = scale ?? max;
  for (let p = 0; p < pixels; p++) {
    const [r, g, bl] = heatColour(top > 0 ? diff[p] / top : 0);
    out[p * 4] = r;
    out[p * 4 + 1] = g;
    out[p * 4 + 2] = bl;
    out[p * 4 + 3] = 255;
  }
  return max;
}

export function formatPsnr(psnr: number): string {
  if (psnr === Infinity) return '∞ dB (identical)';
  return `${psnr.toFixed(psnr >= 100 ? 0 : 1)} dB`;
}
