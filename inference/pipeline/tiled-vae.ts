// Tiled VAE decoding for the low-VRAM path: the latent is cut into overlapping tiles, each decoded alone, and the
// pixel tiles blended with linear ramps across the overlaps, so peak memory follows the tile, not the image. The
// precision never changes (the usual "lowvram" modes drop to fp16; this one keeps the model's precision). Tiles
// differ slightly from the whole (the VAE's mid-block attention sees one tile), hence overlap and blending.
// It deliberately knows nothing about onnxruntime: the caller passes the decode function.

export interface TilePlan {
  /** Latent tile size and overlap, in latent pixels. */
  tile: number;
  overlap: number;
}

// Half-tile overlap: with a quarter (16) the tiny random VAE measured 34.3 dB, with a half 35+ dB (tiled-vae.test.ts).
export const DEFAULT_TILES: TilePlan = { tile: 64, overlap: 32 };

/** Tile start offsets along one axis of `size`: evenly stepped, the last tile flush with the edge. */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const step = tile - overlap;
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += step) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/** Blend weight along one axis: ramps up over the overlap on sides that touch another tile, 1 elsewhere. */
export function ramp(i: number, n: number, rampLen: number, rampStart: boolean, rampEnd: boolean): number {
  let w = 1;
  if (rampStart && i < rampLen) w = Math.min(w, (i + 0.5) / rampLen);
  if (rampEnd && i >= n - rampLen) w = Math.min(w, (n - i - 0.5) / rampLen);
  return w;
}

/**
 * Decodes latents [C,h,w] (flattened) tile by tile. `decode(tile, th, tw)` returns [3, th·f, tw·f] pixels.
 * Returns [3, h·f, w·f].
 */
export async function decodeTiled(
  latents: Float32Array, channels: number, h: number, w: number, factor: number,
  decode: (tile: Float32Array, th: number, tw: number) => Promise<Float32Array>,
  plan: TilePlan = DEFAULT_TILES, onTile?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const H = h * factor, W = w * factor;
  const acc = new Float32Array(3 * H * W);
  const weight = new Float32Array(H * W);
  const ys = tileStarts(h, plan.tile, plan.overlap), xs = tileStarts(w, plan.tile, plan.overlap);
  const th = Math.min(h, plan.tile), tw = Math.min(w, plan.tile);
  const rampLen = plan.overlap * factor;
  let done = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      const tile = new Float32Array(channels * th * tw);
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < th; y++) tile.set(latents.subarray(c * h * w + (y0 + y) * w + x0, c * h * w + (y0 + y) * w + x0 + tw), (c * th + y) * tw);
      }
      const img = await decode(tile, th, tw);
      const PH = th * factor, PW = tw * factor;
      for (let y = 0; y < PH; y++) {
        const wy = ramp(y, PH, rampLen, y0 > 0, y0 + th < h);
        for (let x = 0; x < PW; x++) {
          const wgt = wy * ramp(x, PW, rampLen, x0 > 0, x0 + tw < w);
          const o = (y0 * factor + y) * W + x0 * factor + x;
          weight[o] += wgt;
          for (let c = 0; c < 3; c++) acc[c * H * W + o] += wgt * img[(c * PH + y) * PW + x];
        }
      }
      onTile?.(++done, ys.length * xs.length);
    }
  }
  for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) acc[c * H * W + i] /= weight[i];
  return acc;
}

/**
 * Rough peak bytes of an untiled decode: the widest activation (the last up block at full resolution, plus its
 * input and a conv workspace) and the mid-block attention scores over (h·w)² positions.
 */
export function vaeDecodeBytes(h: number, w: number, lastChannels: number, elemBytes: number): number {
  const full = h * 8 * w * 8;
  return 3 * full * lastChannels * 2 * elemBytes + (h * w) ** 2 * elemBytes;
}
