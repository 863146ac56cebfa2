// Pixel work for image input, pure and synchronous on RGB8 / gray8 buffers: the reference's normalisation to
// [−1, 1], A1111's mask blur, diffusers' mask preprocessing (binarize at 0.5, nearest to the latent grid), the
// paste-back of the unmasked pixels, the "inpaint only masked" crop region (diffusers' get_crop_region) and a
// separable Lanczos-3 resize for the crop and the hires fix.
// Deliberately decodes no file formats (lib/images does, with sharp, on the server) and never touches tensors of
// the model: it sits between the uploaded pixels and the VAE.

/** RGB8 [H,W,3] → [1,3,H,W] float32 in [−1,1], as VaeImageProcessor: x = p/255 (float32), then 2x − 1. */
export function toModelImage(rgb: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) out[c * n + i] = Math.fround(Math.fround(2 * Math.fround(rgb[i * 3 + c] / 255)) - 1);
  }
  return out;
}

/** Gaussian blur of a gray8 mask with σ = `radius` (A1111's mask_blur, PIL GaussianBlur(radius)), kernel ±3σ. */
export function blurMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (!(radius > 0)) return mask.slice();
  const r = Math.ceil(3 * radius);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += (k[i + r] = Math.exp(-(i * i) / (2 * radius * radius)));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const tmp = new Float64Array(width * height);
  // edges clamp (PIL extends the border pixels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * mask[y * width + Math.min(width - 1, Math.max(0, x + i))];
      tmp[y * width + x] = s;
    }
  }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * tmp[Math.min(height - 1, Math.max(0, y + i)) * width + x];
      out[y * width + x] = Math.round(s);
    }
  }
  return out;
}

/**
 * The latent mask [h,w] of a pixel mask, as diffusers: binarize (p/255 ≥ 0.5 → 1), then torch's nearest
 * interpolation to the latent grid (latent pixel (y,x) takes pixel (⌊y·H/h⌋, ⌊x·W/w⌋)).
 */
export function latentMask(mask: Uint8Array, width: number, height: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor((y * height) / h);
    for (let x = 0; x < w; x++) out[y * w + x] = mask[sy * width + Math.floor((x * width) / w)] / 255 >= 0.5 ? 1 : 0;
  }
  return out;
}

/**
 * The result with the source pasted back where the (blurred) mask is below 255, alpha-composited in 8 bits as
 * diffusers' apply_overlay / A1111: out = (src·(255 − m) + gen·m) / 255, rounded. Where m = 0 the pixel is the
 * source's, exactly.
 */
export function pasteBack(source: Uint8Array, generated: Uint8Array, mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(source.length);
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    for (let c = 0; c < 3; c++) {
      const j = i * 3 + c;
      out[j] = m === 0 ? source[j] : m === 255 ? generated[j] : Math.round((source[j] * (255 - m) + generated[j] * m) / 255);
    }
  }
  return out;
}

export interface Region { x1: number; y1: number; x2: number; y2: number }

/**
 * diffusers' VaeImageProcessor.get_crop_region (A1111's "inpaint only masked"): the box around every non-zero mask
 * pixel, padded, then grown to the processing aspect ratio width:height and kept inside the image. Null when the
 * mask is empty.
 */
export function cropRegion(mask: Uint8Array, w: number, h: number, width: number, height: number, pad: number): Region | null {
  let left = w, right = -1, top = h, bottom = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  if (right < 0) return null;
  let x1 = Math.max(left - pad, 0), y1 = Math.max(top - pad, 0);
  let x2 = Math.min(right + 1 + pad, w), y2 = Math.min(bottom + 1 + pad, h);
  const ratioCrop = (x2 - x1) / (y2 - y1), ratio = width / height;
  if (ratioCrop > ratio) {
    const diff = Math.trunc((x2 - x1) / ratio - (y2 - y1));
    y1 -= Math.floor(diff / 2);
    y2 += diff - Math.floor(diff / 2);
    if (y2 >= h) { const d = y2 - h; y2 -= d; y1 -= d; }
    if (y1 < 0) { y2 -= y1; y1 = 0; }
    if (y2 >= h) y2 = h;
  } else {
    const diff = Math.trunc((y2 - y1) * ratio - (x2 - x1));
    x1 -= Math.floor(diff / 2);
    x2 += diff - Math.floor(diff / 2);
    if (x2 >= w) { const d = x2 - w; x2 -= d; x1 -= d; }
    if (x1 < 0) { x2 -= x1; x1 = 0; }
    if (x2 >= w) x2 = w;
  }
  return { x1, y1, x2, y2 };
}

/** Copies a region out of an image of `channels` 8-bit channels per pixel. */
export function crop(pixels: Uint8Array, w: number, channels: number, r: Region): Uint8Array {
  const cw = r.x2 - r.x1, ch = r.y2 - r.y1;
  const out = new Uint8Array(cw * ch * channels);
  for (let y = 0; y < ch; y++) out.set(pixels.subarray(((r.y1 + y) * w + r.x1) * channels, ((r.y1 + y) * w + r.x2) * channels), y * cw * channels);
  return out;
}

/** Writes `part` (the region's size) into a copy of `pixels`. */
export function paste(pixels: Uint8Array, w: number, channels: number, part: Uint8Array, r: Region): Uint8Array {
  const out = pixels.slice();
  const cw = r.x2 - r.x1;
  for (let y = 0; y < r.y2 - r.y1; y++) out.set(part.subarray(y * cw * channels, (y + 1) * cw * channels), ((r.y1 + y) * w + r.x1) * channels);
  return out;
}

const lanczos = (x: number) => {
  if (x === 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
};

/** Weights of a 1-D Lanczos-3 resample from n to m samples (support widened when shrinking, as PIL does). */
function taps(n: number, m: number) {
  const scale = n / m, support = 3 * Math.max(1, scale);
  const out: { start: number; w: Float64Array }[] = [];
  for (let i = 0; i < m; i++) {
    const center = (i + 0.5) * scale;
    const start = Math.max(0, Math.floor(center - support)), end = Math.min(n, Math.ceil(center + support));
    const w = new Float64Array(end - start);
    let sum = 0;
    for (let j = start; j < end; j++) sum += (w[j - start] = lanczos((j + 0.5 - center) / Math.max(1, scale)));
    for (let j = 0; j < w.length; j++) w[j] /= sum;
    out.push({ start, w });
  }
  return out;
}

/** Separable Lanczos-3 resize of an 8-bit image with `channels` channels per pixel, rounded and clamped. */
export function resize(pixels: Uint8Array, w: number, h: number, channels: number, W: number, H: number): Uint8Array {
  if (w === W && h === H) return pixels.slice();
  const tx = taps(w, W), ty = taps(h, H);
  const mid = new Float64Array(W * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < W; x++) {
      const { start, w: k } = tx[x];
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let j = 0; j < k.length; j++) s += k[j] * pixels[(y * w + start + j) * channels + c];
        mid[(y * W + x) * channels + c] = s;
      }
    }
  }
  const out = new Uint8ClampedArray(W * H * channels);
  for (let y = 0; y < H; y++) {
    const { start, w: k } = ty[y];
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let j = 0; j < k.length; j++) s += k[j] * mid[((start + j) * W + x) * channels + c];
        out[(y * W + x) * channels + c] = Math.round(s);
      }
    }
  }
  return new Uint8Array(out.buffer);
}
