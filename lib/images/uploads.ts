// Uploaded source images and masks in DATA_DIR/uploads: each stored as a PNG we encode ourselves from the decoded
// pixels (the uploaded bytes are never kept, executed or served), with a small JSON beside it (size, source hash,
// format, whether an alpha channel came with it). Ids are 22 random base64url characters like result ids; a name
// that is not one never reaches the file system. Also: turning a job's image input (upload or result ids) into
// the engine's ImageInput, resized to the request size as A1111's resize_mode. Server-only.
// It deliberately keeps no database rows: the files are the record, and nothing is written until decoding succeeded.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decode, encode } from 'fast-png';
import { StudioError } from '../errors.ts';
import { isResultId } from '../results.ts';
import type { ImageInput } from '../../inference/pipeline/types.ts';
import type { JobImage } from './job-image.ts';
import { decodeImage, resizeTo, type DecodedImage } from './decode.ts';

export interface UploadInfo {
  id: string;
  kind: 'image' | 'mask';
  width: number;
  height: number;
  format: string;
  /** sha256 of the uploaded file. */
  sha256: string;
  /** The file had transparency (kept as `<id>.alpha.png`, usable as the mask). */
  hasAlpha: boolean;
  createdAt: string;
}

export class UploadStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'uploads');
  }

  /** Stores decoded pixels (RGB for an image; for a mask, one channel: luma of the file, 255 = repaint). */
  save(image: DecodedImage, kind: 'image' | 'mask', maskFrom: 'luma' | 'alpha' = 'luma'): UploadInfo {
    if (kind === 'mask' && maskFrom === 'alpha' && !image.alpha) {
      throw new StudioError('mask_not_transparent', 'The mask has no transparency: its fully transparent pixels mark what to edit (OpenAI\'s convention).', 'Erase the region to edit in the mask PNG (alpha 0), or send no mask.');
    }
    fs.mkdirSync(this.dir, { recursive: true });
    const id = randomBytes(16).toString('base64url').slice(0, 22);
    const info: UploadInfo = { id, kind, width: image.width, height: image.height, format: image.format, sha256: image.sha256, hasAlpha: Boolean(image.alpha), createdAt: new Date().toISOString() };
    const data = kind === 'mask' ? (maskFrom === 'alpha' ? image.alpha!.map((a) => 255 - a) : luma(image.rgb)) : image.rgb;
    this.write(`${id}.png`, encode({ width: image.width, height: image.height, data, channels: kind === 'mask' ? 1 : 3, depth: 8 }));
    if (image.alpha) this.write(`${id}.alpha.png`, encode({ width: image.width, height: image.height, data: image.alpha, channels: 1, depth: 8 }));
    this.write(`${id}.json`, Buffer.from(JSON.stringify(info)));
    return info;
  }

  /** Writes through a temporary name: a crash never leaves a half file under a real id. */
  private write(name: string, bytes: Uint8Array) {
    const tmp = path.join(this.dir, `.${name}.tmp-${process.pid}`);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, path.join(this.dir, name));
  }

  info(id: string): UploadInfo | undefined {
    if (!isResultId(id)) return undefined;
    const file = path.join(this.dir, `${id}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as UploadInfo) : undefined;
  }

  /** The stored PNG (our encoding), for GET /api/uploads/:id/image.png. */
  png(id: string): Uint8Array | undefined {
    return this.info(id) ? fs.readFileSync(path.join(this.dir, `${id}.png`)) : undefined;
  }

  /** Pixels of an upload: RGB (image) or one channel (mask, or `alpha` for an image's transparency). */
  pixels(id: string, part: 'main' | 'alpha' = 'main'): { data: Uint8Array; width: number; height: number } {
    const info = this.info(id);
    if (!info) throw new StudioError('upload_not_found', `No upload ${id}. It was deleted, or the id is mistyped.`, 'Upload the image again (POST /api/uploads).');
    const file = path.join(this.dir, part === 'alpha' ? `${id}.alpha.png` : `${id}.png`);
    if (!fs.existsSync(file)) throw new StudioError('upload_no_alpha', `Upload ${id} has no transparency to use as a mask.`);
    const png = decode(fs.readFileSync(file));
    return { data: png.data as Uint8Array, width: png.width, height: png.height };
  }
}

/** Decodes an uploaded file and stores it; a file that fails decoding throws its 4xx before anything is written. */
export async function storeUpload(uploads: UploadStore, bytes: Uint8Array, kind: 'image' | 'mask', maskFrom: 'luma' | 'alpha' = 'luma'): Promise<UploadInfo> {
  return uploads.save(await decodeImage(bytes), kind, maskFrom);
}

/** ITU-R 601 luma of RGB8, as PIL's convert("L") (diffusers' mask_processor does that). */
function luma(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((rgb[i * 3] * 299 + rgb[i * 3 + 1] * 587 + rgb[i * 3 + 2] * 114) / 1000);
  return out;
}

/** Where a job's source pixels come from: an upload, or a stored result's PNG (vary, upscale). */
export interface ImageSources {
  uploads: UploadStore;
  resultPng: (id: string) => Promise<Uint8Array | undefined>;
}

/**
 * The engine's ImageInput for a job: the source (and mask) read back and resized to the request size with
 * `resizeMode` (A1111: 0 stretch, 1 crop, 2 fit and fill); with "only masked" the source keeps its own size.
 */
export async function resolveJobImage(image: JobImage, request: { width: number; height: number }, sources: ImageSources, resizeMode: 0 | 1 | 2 = 0): Promise<ImageInput> {
  let src: { data: Uint8Array; width: number; height: number };
  let sourceHash: string | undefined;
  if (image.source.kind === 'upload') {
    src = sources.uploads.pixels(image.source.id);
    sourceHash = sources.uploads.info(image.source.id)?.sha256;
  } else {
    const png = await sources.resultPng(image.source.id);
    if (!png) throw new StudioError('result_not_found', `No result ${image.source.id} to start from. It was deleted, or the id is mistyped.`);
    const d = decode(png);
    const rgb = d.channels === 3 ? (d.data as Uint8Array) : dropAlpha(d.data as Uint8Array, d.channels);
    src = { data: rgb, width: d.width, height: d.height };
    sourceHash = `result:${image.source.id}`;
  }
  const keep = Boolean(image.onlyMasked && image.mask);
  const W = keep ? src.width : request.width, H = keep ? src.height : request.height;
  const rgb = await resizeTo(src.data, src.width, src.height, W, H, resizeMode, 3);
  let mask: Uint8Array | undefined;
  let maskHash: string | undefined;
  if (image.mask) {
    const m = image.mask === image.source.id && image.source.kind === 'upload' ? alphaMask(sources.uploads.pixels(image.mask, 'alpha').data) : sources.uploads.pixels(image.mask);
    const mw = image.mask === image.source.id ? src.width : sources.uploads.info(image.mask)!.width;
    const mh = image.mask === image.source.id ? src.height : sources.uploads.info(image.mask)!.height;
    const data = 'data' in m ? m.data : m;
    mask = await resizeTo(data, mw, mh, W, H, resizeMode, 1);
    if (image.invertMask) mask = mask.map((v) => 255 - v);
    maskHash = sources.uploads.info(image.mask)?.sha256;
  }
  return {
    rgb, width: W, height: H, strength: image.strength, mask, maskBlur: image.maskBlur,
    onlyMasked: keep ? image.onlyMasked : undefined, posterior: image.posterior, sourceHash, maskHash, sourceRef: image.source,
  };
}

/** OpenAI's edits convention: fully transparent pixels are the ones to edit → 255 − alpha. */
function alphaMask(alpha: Uint8Array): Uint8Array {
  return alpha.map((a) => 255 - a);
}

function dropAlpha(data: Uint8Array, channels: number): Uint8Array {
  const n = data.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + Math.min(c, channels - 1)];
  return out;
}
