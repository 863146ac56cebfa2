// The image input of a job as it is queued, journaled and sent through Redis: upload ids and settings, never
// pixels (an upload is read from DATA_DIR by lib/images/uploads.ts just before the engine runs); and the mapping
// from the API's image parameters. No server code.
import type { ImageParams } from './params.ts';

export interface JobImage {
  /** Id of the stored source upload (or of a stored result, for "vary" and "upscale"). */
  source: { kind: 'upload' | 'result'; id: string };
  /** Id of the stored mask upload (gray8, 255 = repaint): inpainting. */
  mask?: string;
  /** Denoising strength in (0, 1]. */
  strength: number;
  /** Mask blur in pixels (A1111 mask_blur; default 4). */
  maskBlur?: number;
  /** A1111 inpainting_mask_invert: repaint what is not painted. */
  invertMask?: boolean;
  /** A1111 inpaint_full_res + inpaint_full_res_padding. */
  onlyMasked?: { padding: number };
  /** A1111 resize_mode when the source is not the request size: 0 stretch, 1 crop, 2 fit and fill. */
  resizeMode?: 0 | 1 | 2;
  /** 'mode' (default) or 'sample' (diffusers' posterior sample). */
  posterior?: 'mode' | 'sample';
}

/** The API's image parameters as a job carries them. */
export function jobImage(p: ImageParams): JobImage {
  return {
    source: 'upload' in p.source ? { kind: 'upload', id: p.source.upload } : { kind: 'result', id: p.source.result },
    mask: p.mask, strength: p.strength, maskBlur: p.maskBlur, invertMask: p.invertMask, onlyMasked: p.onlyMasked,
    resizeMode: p.resizeMode, posterior: p.posterior,
  };
}
