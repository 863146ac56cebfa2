// Converts the engine's PNG to the output formats the OpenAI surface offers (JPEG, WebP) with sharp (libvips:
// mozjpeg and libwebp, prebuilt for Linux, macOS and Windows). Deliberately server-only and metadata-free: the
// stored result keeps its PNG with the A1111 parameters and the studio's JSON; a converted copy carries pixels only.
import type { OutputFormat } from '../api/openai.ts';

/** `quality` 0–100 (OpenAI's output_compression: 100 = best). PNG is returned as it is, byte for byte. */
export async function encodeImage(png: Uint8Array, format: OutputFormat, quality: number): Promise<Uint8Array> {
  if (format === 'png') return png;
  // Loaded on first use: libvips costs tens of MiB of resident memory that a PNG-only studio never needs.
  const { default: sharp } = await import('sharp');
  const image = sharp(png);
  const q = Math.max(1, Math.min(100, Math.round(quality)));
  const encoded = format === 'jpeg' ? image.jpeg({ quality: q, mozjpeg: true }) : image.webp({ quality: q });
  return new Uint8Array(await encoded.toBuffer());
}
