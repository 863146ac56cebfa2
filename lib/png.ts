// PNG work the studio does itself: stripping metadata by re-encoding the pixels, making gallery thumbnails, and
// reading the IHDR size. Deliberately never writes our own text chunks: the engine's PNG (A1111 `parameters` + JSON)
// is served byte for byte when metadata is wanted.
import { decode, encode } from 'fast-png';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((byte, index) => bytes[index] === byte);
}

/** Width and height from the IHDR chunk, which the PNG spec requires to come first. */
export function readPngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (!hasPngSignature(bytes) || type !== 'IHDR') {
    throw new Error('Not a PNG: the signature or the leading IHDR chunk is missing.');
  }
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Chunks that carry words (prompt, seed, settings, dates, EXIF), never pixels: what "without metadata" drops. */
const METADATA_CHUNKS = new Set(['tEXt', 'iTXt', 'zTXt', 'tIME', 'eXIf']);

/**
 * The same PNG without its text chunks (tEXt/iTXt/zTXt: prompt, seed, settings) and other metadata: the other
 * chunks are copied byte for byte (their CRCs cover only themselves), so the pixel data is not re-compressed and the
 * file is never larger than the original (re-encoding it made some files larger). A PNG whose chunks cannot be
 * walked is decoded and re-encoded instead.
 */
export function stripPngMetadata(png: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [png.subarray(0, 8)];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let ended = false;
  while (hasPngSignature(png) && offset + 12 <= png.length) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > png.length) break;
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    if (!METADATA_CHUNKS.has(type)) kept.push(png.subarray(offset, end));
    offset = end;
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!ended) {
    const image = decode(png);
    return encode({ width: image.width, height: image.height, data: image.data, channels: image.channels, depth: image.depth });
  }
  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of kept) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Box-filtered RGB downscale so the longer side is at most maxSide; the gallery grid never loads full images. */
export function makeThumbnail(rgb: Uint8Array, width: number, height: number, maxSide = 384): Uint8Array {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const outWidth = Math.max(1, Math.round(width * scale));
  const outHeight = Math.max(1, Math.round(height * scale));
  const out = new Uint8Array(outWidth * outHeight * 3); // [outHeight, outWidth, 3]
  for (let y = 0; y < outHeight; y++) {
    const y0 = Math.floor((y * height) / outHeight);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / outHeight));
    for (let x = 0; x < outWidth; x++) {
      const x0 = Math.floor((x * width) / outWidth);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / outWidth));
      let r = 0;
      let g = 0;
      let b = 0;
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
  return encode({ width: outWidth, height: outHeight, data: out, channels: 3, depth: 8 });
}
