// Decoding of untrusted uploaded images with sharp (libvips): only PNG, JPEG and WebP, recognised by their magic
// bytes (never by the name or the declared type), with limits on bytes and pixels checked from the header before
// any pixel is decoded (a 100-megapixel or zip-bomb PNG is refused without inflating it), truncated files refused,
// EXIF orientation applied, the colour profile converted to sRGB, and alpha flattened onto white (A1111's
// background) and kept apart for use as a mask. Server-only. It deliberately writes nothing: lib/images/uploads.ts
// stores what this returns, re-encoded as a PNG of our own (the uploaded bytes are never stored or served).
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { StudioError } from '../errors.ts';

/** sharp (libvips, ~30 MB resident) is loaded on the first image request, not with every route of the server. */
let sharpModule: Promise<(input?: Buffer, options?: SharpOptions) => Sharp> | undefined;
function loadSharp() {
  sharpModule ??= import('sharp').then((m) => m.default as unknown as (input?: Buffer, options?: SharpOptions) => Sharp);
  return sharpModule;
}

export const UPLOAD_LIMITS = {
  /** Bytes of one uploaded file. */
  bytes: 20 * 1024 * 1024,
  /** Pixels of one image (width × height), checked from the header before decoding. */
  pixels: 4096 * 4096,
  /** Longest side. */
  side: 8192,
  /** EXIF/XMP/ICC metadata bytes: an "EXIF bomb" is refused. */
  metadata: 1024 * 1024,
} as const;

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface DecodedImage {
  format: ImageFormat;
  width: number;
  height: number;
  /** RGB8 [height, width, 3], sRGB, upright, flattened onto white. */
  rgb: Uint8Array;
  /** The alpha channel [height, width] when the file had one that is not fully opaque. */
  alpha?: Uint8Array;
  /** sha256 of the uploaded bytes (hex). */
  sha256: string;
}

/** The format from the first bytes, or what it looks like when it is not one we take (for the error). */
export function sniffFormat(bytes: Uint8Array): ImageFormat | { other: string } {
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  const head = ascii(0, 256).trimStart().toLowerCase();
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return { other: 'GIF' };
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return { other: 'SVG' };
  if (head.startsWith('<')) return { other: 'HTML or XML' };
  if (ascii(0, 2) === 'PK') return { other: 'a ZIP archive' };
  if (ascii(0, 4) === '%PDF') return { other: 'PDF' };
  if (ascii(4, 8) === 'ftyp') return { other: 'HEIC/AVIF or MP4' };
  if (ascii(0, 2) === 'II' || ascii(0, 2) === 'MM') return { other: 'TIFF' };
  if (ascii(0, 2) === 'BM') return { other: 'BMP' };
  return { other: 'not an image we know' };
}

const unsupported = (what: string) =>
  new StudioError('unsupported_image', `The file is ${what}: only PNG, JPEG and WebP images are accepted.`, 'Export the image as PNG, JPEG or WebP and upload it again.');

/** Decodes an upload or throws a 4xx StudioError saying what is wrong and how to fix it. */
export async function decodeImage(bytes: Uint8Array): Promise<DecodedImage> {
  if (bytes.length === 0) throw new StudioError('empty_image', 'The upload is empty: no bytes arrived.', 'Send the image file as the body (or as the multipart field "image").');
  if (bytes.length > UPLOAD_LIMITS.bytes) {
    throw new StudioError('image_too_large', `The image is ${bytes.length} bytes; uploads are limited to ${UPLOAD_LIMITS.bytes / 2 ** 20} MiB.`, 'Save it as JPEG or WebP, or scale it down.');
  }
  const format = sniffFormat(bytes);
  if (typeof format !== 'string') throw unsupported(format.other);
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') checkPngChunks(input);
  // failOn 'truncated': a cut-off file is an error, not a grey bottom half; limitInputPixels: refused from the header
  const options = { failOn: 'truncated', limitInputPixels: UPLOAD_LIMITS.pixels, sequentialRead: true } as const;
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(input, options).metadata();
  } catch (error) {
    throw broken(format, error);
  }
  if (meta.format !== format) throw unsupported(`${meta.format ?? 'unknown'} inside a ${format.toUpperCase()} header`);
  const { width = 0, height = 0 } = meta;
  if (width * height > UPLOAD_LIMITS.pixels || width > UPLOAD_LIMITS.side || height > UPLOAD_LIMITS.side) {
    throw new StudioError('image_too_many_pixels', `The image is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); the limit is ${UPLOAD_LIMITS.pixels / 1e6} MP and ${UPLOAD_LIMITS.side} pixels a side.`, 'Scale it down to at most 4096×4096 (the model works at up to 2048).');
  }
  const metaBytes = (meta.comments ?? []).reduce((n, c) => n + c.text.length, 0) + (meta.exif?.length ?? 0) + (meta.xmp?.length ?? 0) + (meta.icc?.length ?? 0) + (meta.iptc?.length ?? 0);
  if (metaBytes > UPLOAD_LIMITS.metadata) {
    throw new StudioError('image_metadata_too_large', `The image carries ${metaBytes} bytes of EXIF/XMP/ICC metadata; the limit is ${UPLOAD_LIMITS.metadata / 2 ** 20} MiB.`, 'Strip the metadata (e.g. re-export it) and upload again.');
  }
  if ((meta.pages ?? 1) > 1) throw unsupported(`an animated ${format.toUpperCase()}`);
  const exifProblem = meta.exif ? checkExif(meta.exif) : null;
  if (exifProblem) throw new StudioError('broken_exif', `The image's EXIF block is malformed (${exifProblem}).`, 'Strip the metadata (re-export the image) and upload again.');
  try {
    // rotate(): EXIF orientation; toColourspace('srgb'): the embedded profile (if any) converted to sRGB
    const { data, info } = await sharp(input, options).rotate().toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    const rgb = new Uint8Array(n * 3);
    const alpha = new Uint8Array(n);
    let transparent = false;
    for (let i = 0; i < n; i++) {
      const a = data[i * 4 + 3];
      alpha[i] = a;
      if (a !== 255) transparent = true;
      // flatten onto white: c·a + 255·(1 − a), rounded
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = a === 255 ? data[i * 4 + c] : Math.round((data[i * 4 + c] * a + 255 * (255 - a)) / 255);
    }
    return { format, width: info.width, height: info.height, rgb, alpha: transparent ? alpha : undefined, sha256: createHash('sha256').update(input).digest('hex') };
  } catch (error) {
    throw broken(format, error);
  }
}

function broken(format: ImageFormat, error: unknown): StudioError {
  const detail = String((error as Error)?.message ?? error).split('\n')[0].slice(0, 200);
  if (/pixel limit/i.test(detail)) {
    return new StudioError('image_too_many_pixels', `The image has more than ${UPLOAD_LIMITS.pixels / 1e6} MP.`, 'Scale it down to at most 4096×4096.');
  }
  return new StudioError('broken_image', `The ${format.toUpperCase()} file cannot be decoded (${detail}): it is truncated or damaged.`, 'Open and re-save it in an image editor, then upload again.');
}

/**
 * The size the model works at for a source of w×h: each side rounded to the nearest multiple of 16, scaled down
 * first when the longest side is over 2048 and up when the shortest is under 256, keeping the aspect ratio.
 */
export function modelSize(w: number, h: number, limits = { min: 256, max: 2048, multiple: 16 }): { width: number; height: number; note: string } {
  let scale = 1;
  if (Math.max(w, h) > limits.max) scale = limits.max / Math.max(w, h);
  if (Math.min(w, h) * scale < limits.min) scale = limits.min / Math.min(w, h);
  const side = (v: number) => Math.min(limits.max, Math.max(limits.min, Math.round((v * scale) / limits.multiple) * limits.multiple));
  const width = side(w), height = side(h);
  const note = width === w && height === h ? `${w}×${h} (already a multiple of ${limits.multiple})` : `${w}×${h} → ${width}×${height} (${scale !== 1 ? `scaled ×${scale.toFixed(3)}, ` : ''}rounded to multiples of ${limits.multiple})`;
  return { width, height, note };
}

/**
 * Resizes RGB8 to the model size as A1111's resize_mode: 0 stretch ("just resize"), 1 crop to fill ("crop and
 * resize"), 2 fit and pad with the edge colour ("resize and fill"; libvips' extend copies the edge pixels).
 */
export async function resizeTo(rgb: Uint8Array, w: number, h: number, width: number, height: number, mode: 0 | 1 | 2 = 0, channels: 1 | 3 = 3): Promise<Uint8Array> {
  if (w === width && h === height) return rgb;
  const sharp = await loadSharp();
  const fit = mode === 1 ? 'cover' : mode === 2 ? 'contain' : 'fill';
  const img = sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: w, height: h, channels } });
  const out = mode === 2
    ? await img.resize(width, height, { fit: 'inside', kernel: 'lanczos3' }).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true }).then(({ data, info }) => {
      const left = Math.floor((width - info.width) / 2), top = Math.floor((height - info.height) / 2);
      return sharp(data, { raw: { width: info.width, height: info.height, channels } })
        .extend({ left, right: width - info.width - left, top, bottom: height - info.height - top, extendWith: 'copy' }).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer();
    })
    : await img.resize(width, height, { fit, kernel: 'lanczos3' }).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };

/**
 * Walks the EXIF TIFF structure (IFD chain, Exif/GPS/Interop sub-IFDs) and says what is wrong, or null: offsets out
 * of the block, an IFD visited twice (a loop), absurd entry counts or value sizes. An "EXIF bomb" fails here
 * before anything trusts its orientation.
 */
export function checkExif(exif: Buffer): string | null {
  const start = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const tiff = exif.subarray(start);
  if (tiff.length < 8) return 'shorter than a TIFF header';
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return 'no byte-order mark';
  const le = order === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const seen = new Set<number>();
  const queue = [u32(4)];
  let entriesTotal = 0;
  while (queue.length) {
    const at = queue.shift()!;
    if (at === 0) continue;
    if (seen.has(at)) return `IFD at ${at} is linked twice (a loop)`;
    seen.add(at);
    if (seen.size > 16) return 'more than 16 IFDs';
    if (at + 2 > tiff.length) return `IFD offset ${at} is past the end`;
    const n = u16(at);
    entriesTotal += n;
    if (entriesTotal > 4096) return 'more than 4096 entries';
    if (at + 2 + n * 12 + 4 > tiff.length) return `IFD at ${at} has ${n} entries but the block ends first`;
    for (let i = 0; i < n; i++) {
      const e = at + 2 + i * 12;
      const tag = u16(e), type = u16(e + 2), count = u32(e + 4);
      const size = (TYPE_SIZES[type] ?? 1) * count;
      if (size > tiff.length) return `tag ${tag} claims ${size} bytes of a ${tiff.length}-byte block`;
      if (size > 4 && u32(e + 8) + size > tiff.length) return `tag ${tag}'s value lies past the end`;
      if (tag === 0x8769 || tag === 0x8825 || tag === 0xa005) queue.push(u32(e + 8));
    }
    queue.push(u32(at + 2 + n * 12));
  }
  return null;
}

/**
 * Walks a PNG's chunks before libvips sees it: the compressed text and profile chunks (zTXt, iTXt, iCCP) are
 * inflated here with a cap, so a 50 KB file whose text inflates to 50 MB (a zip bomb in the metadata) is refused
 * without being inflated; more than 256 text chunks, or chunks running past the end, are refused too.
 */
export function checkPngChunks(png: Buffer): void {
  let at = 8, texts = 0, inflated = 0;
  const bomb = (what: string) => new StudioError('image_metadata_too_large', `The PNG's ${what}: over the ${UPLOAD_LIMITS.metadata / 2 ** 20} MiB metadata limit (a decompression bomb?).`, 'Strip the metadata (re-export the image) and upload again.');
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + length);
    if (at + 12 + length > png.length) return; // truncated: libvips reports it
    if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') texts++;
    if (texts > 256) throw bomb('text chunks number over 256');
    let compressed: Buffer | undefined;
    const nul = data.indexOf(0);
    if ((type === 'zTXt' || type === 'iCCP') && nul >= 0) compressed = data.subarray(nul + 2);
    if (type === 'iTXt' && nul >= 0 && data[nul + 1] === 1) {
      const lang = data.indexOf(0, nul + 3), key = lang >= 0 ? data.indexOf(0, lang + 1) : -1;
      if (key >= 0) compressed = data.subarray(key + 1);
    }
    if (compressed) {
      try {
        inflated += zlib.inflateSync(compressed, { maxOutputLength: UPLOAD_LIMITS.metadata - inflated + 1 }).length;
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/i.test(String(error))) throw bomb(`${type} chunks inflate`);
        throw new StudioError('broken_image', `The PNG's ${type} chunk is not valid compressed data.`, 'Open and re-save it in an image editor, then upload again.');
      }
      if (inflated > UPLOAD_LIMITS.metadata) throw bomb(`${type} chunks inflate`);
    }
    if (type === 'IEND') return;
    at += 12 + length;
  }
}
