// Small JPEGs the studio makes itself: the live preview of each denoising step (a data: URL on the job's events) and
// the history thumbnails (a 384 px PNG was 190–440 KB; a JPEG of the same size is a tenth of that). Encoded with
// jpeg-js (pure JavaScript, no native build, runs on the engine thread and in workers alike).
// Deliberately never for the result itself: the engine's PNG (lossless, with its metadata) is what is kept and shared.
import jpeg from 'jpeg-js';
import { latentToRgb } from '../inference/pipeline/preview.ts';

const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && JPEG_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

/** RGB8 [height, width, 3] → JPEG bytes (4:2:0, baseline). */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality: number): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error(`encodeJpeg: ${rgb.length} bytes is not ${width}×${height} RGB.`);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
    rgba[o] = rgb[i];
    rgba[o + 1] = rgb[i + 1];
    rgba[o + 2] = rgb[i + 2];
    rgba[o + 3] = 255;
  }
  const { data } = jpeg.encode({ data: rgba, width, height }, quality);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Box-filtered RGB downscale so the longer side is at most maxSide (never upscales). */
export function downscaleRgb(rgb: Uint8Array, width: number, height: number, maxSide: number): { rgb: Uint8Array; width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const outWidth = Math.max(1, Math.round(width * scale));
  const outHeight = Math.max(1, Math.round(height * scale));
  if (outWidth === width && outHeight === height) return { rgb, width, height };
  const out = new Uint8Array(outWidth * outHeight * 3); // [outHeight, outWidth, 3]
  for (let y = 0; y < outHeight; y++) {
    const y0 = Math.floor((y * height) / outHeight);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / outHeight));
    for (let x = 0; x < outWidth; x++) {
      const x0 = Math.floor((x * width) / outWidth);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / outWidth));
      let r = 0, g = 0, b = 0;
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const source = (sy * width + sx) * 3;
          r += rgb[source];
          g += rgb[source + 1];
          b += rgb[source + 2];
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const target = (y * outWidth + x) * 3;
      out[target] = Math.round(r / count);
      out[target + 1] = Math.round(g / count);
      out[target + 2] = Math.round(b / count);
    }
  }
  return { rgb: out, width: outWidth, height: outHeight };
}

/** The history thumbnail: longer side 384 px (sharp on a 2× screen at the grid's ~190 px cells), JPEG quality 80. */
export function makeJpegThumbnail(rgb: Uint8Array, width: number, height: number, maxSide = 384): Uint8Array {
  const small = downscaleRgb(rgb, width, height, maxSide);
  return encodeJpeg(small.rgb, small.width, small.height, 80);
}

/** Longest side of a live preview, as the issue asks (≤ 256 px); the latent grid is 1/8 of the image, so ≤ 256 at 2048². */
export const PREVIEW_MAX_SIDE = 256;

/**
 * One step's live preview as a data: URL: the latents → RGB projection (inference/pipeline/preview.ts), one pixel per
 * latent pixel, JPEG quality 70. At 1024² that is a 128 px image of 2–5 KB.
 */
export function previewDataUrl(denoised: Float32Array, h: number, w: number): string {
  const small = downscaleRgb(latentToRgb(denoised, h, w), w, h, PREVIEW_MAX_SIDE);
  return `data:image/jpeg;base64,${Buffer.from(encodeJpeg(small.rgb, small.width, small.height, 70)).toString('base64')}`;
}
