// Small JPEGs the studio makes itself: the live preview of each denoising step (a data: URL on the job's events),
// the history thumbnails (a 384 px PNG was 190–440 KB) and the share page's Open Graph image. Encoded with sharp
// (libvips, the encoder Next.js itself uses for images): ~1.6 ms for a 128 px preview where jpeg-js took ~200 ms on
// this machine (bench/preview-cost.ts), and a Lanczos downscale for thumbnails. Async, off the JS thread (libuv pool).
// Deliberately never for the result itself: the engine's PNG (lossless, with its metadata) is what is kept and shared.
import sharp, { type Sharp } from 'sharp';
import { latentToRgb } from '../inference/pipeline/preview.ts';

// One libvips thread: these images are small, and the engine's onnxruntime threads own the cores while a job runs.
sharp.concurrency(1);

const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && JPEG_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

function raw(rgb: Uint8Array, width: number, height: number): Sharp {
  if (rgb.length !== width * height * 3) throw new Error(`JPEG encode: ${rgb.length} bytes is not ${width}×${height} RGB.`);
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

async function bytesOf(image: Sharp, quality: number): Promise<Uint8Array> {
  const buffer = await image.jpeg({ quality, mozjpeg: true }).toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** RGB8 [height, width, 3] → JPEG, the longer side at most maxSide (Lanczos; never enlarged). */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality: number, maxSide?: number): Promise<Uint8Array> {
  const image = raw(rgb, width, height);
  return bytesOf(maxSide && Math.max(width, height) > maxSide ? image.resize({ width: maxSide, height: maxSide, fit: 'inside' }) : image, quality);
}

/** The history thumbnail: longer side 384 px (sharp on a 2× screen at the grid's ~190 px cells), JPEG quality 78. */
export function makeJpegThumbnail(rgb: Uint8Array, width: number, height: number, maxSide = 384): Promise<Uint8Array> {
  return encodeJpeg(rgb, width, height, 78, maxSide);
}

/** Longest side of a live preview, as the issue asks (≤ 256 px); the latent grid is 1/8 of the image, so ≤ 256 at 2048². */
export const PREVIEW_MAX_SIDE = 256;

/**
 * One step's live preview as a data: URL: the latents → RGB projection (inference/pipeline/preview.ts), one pixel per
 * latent pixel, JPEG quality 70. At 1024² that is a 128 px image of a few KB.
 */
export async function previewDataUrl(denoised: Float32Array, h: number, w: number): Promise<string> {
  const bytes = await encodeJpeg(latentToRgb(denoised, h, w), w, h, 70, PREVIEW_MAX_SIDE);
  return `data:image/jpeg;base64,${Buffer.from(bytes).toString('base64')}`;
}
