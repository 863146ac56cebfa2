// The image input of a job as it is queued, journaled and sent through Redis: upload ids and settings, never
// pixels (an upload is read from DATA_DIR by lib/images/uploads.ts just before the engine runs). Types only.

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
  /** 'mode' (default) or 'sample' (diffusers' posterior sample). */
  posterior?: 'mode' | 'sample';
}
