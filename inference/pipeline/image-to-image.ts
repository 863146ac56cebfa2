// Image input for the pipeline: checks an ImageInput against the request, prepares what the VAE encoder and the
// Euler loop need (the model image in [−1,1], the binarized latent mask, the blurred pixel mask for the paste-back,
// the crop of "inpaint only masked"), and puts the decoded result back together (paste-back, un-crop). It follows
// diffusers' ZImageImg2ImgPipeline / ZImageInpaintPipeline and A1111's mask blur and inpaint_full_res.
// It deliberately runs no model (pipeline.ts does) and decodes no file (lib/images does, on the server).
import { EngineError } from '../errors.ts';
import { blurMask, crop, cropRegion, latentMask, paste, pasteBack, resize, toModelImage, type Region } from './image-ops.ts';
import type { GenerateRequest, ImageInput, ImageSettings } from './types.ts';

/** Largest source image side accepted by the engine (the studio's upload limit is stricter). */
export const MAX_SOURCE_SIDE = 8192;

export interface PreparedImage {
  /** [1,3,H,W] in [−1,1] at the request's width×height. */
  model: Float32Array;
  /** Binary latent mask [h,w] (1 = repaint), for inpainting. */
  latentMask?: Float32Array;
  /** The blurred pixel mask at the processing size (255 = repaint), for the paste-back. */
  softMask?: Uint8Array;
  /** The processing-size source pixels the paste-back takes the unmasked pixels from. */
  source: Uint8Array;
  /** "Inpaint only masked": where the processed crop goes back into the full source. */
  region?: Region;
}

const bad = (field: string, msg: string, hint?: string): never => {
  throw new EngineError('invalid-request', `${field}: ${msg}`, { hint });
};

export function validateImageInput(req: GenerateRequest): void {
  const im = req.image;
  if (!im) return;
  if (!(im.strength > 0 && im.strength <= 1)) bad('image.strength', `must be in (0, 1] (got ${im.strength})`, '1 repaints everything; 0.3–0.6 keeps the composition');
  for (const [k, v] of [['width', im.width], ['height', im.height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SOURCE_SIDE) bad(`image.${k}`, `must be a whole number of pixels from 1 to ${MAX_SOURCE_SIDE} (got ${v})`);
  }
  if (!(im.rgb instanceof Uint8Array) || im.rgb.length !== im.width * im.height * 3) bad('image.rgb', `must be ${im.width}×${im.height}×3 bytes of RGB (got ${im.rgb?.length})`);
  if (im.mask && im.mask.length !== im.width * im.height) bad('image.mask', `must be ${im.width}×${im.height} bytes, one per pixel (got ${im.mask.length})`, 'the mask is the size of the image');
  if (im.maskBlur !== undefined && !(im.maskBlur >= 0 && im.maskBlur <= 64)) bad('image.maskBlur', `must be from 0 to 64 pixels (got ${im.maskBlur})`);
  if (im.onlyMasked && !im.mask) bad('image.onlyMasked', 'needs a mask', 'draw a mask, or turn "inpaint only masked" off');
  if (im.onlyMasked && !(Number.isInteger(im.onlyMasked.padding) && im.onlyMasked.padding >= 0 && im.onlyMasked.padding <= 1024)) bad('image.onlyMasked.padding', `must be 0 to 1024 pixels (got ${im.onlyMasked.padding})`);
  if (!im.onlyMasked && (im.width !== req.width || im.height !== req.height)) {
    bad('image', `is ${im.width}×${im.height} but the request is ${req.width}×${req.height}`, 'resize the image to the request size first (the studio does, to the nearest multiple of 16)');
  }
  if (im.mask && !im.mask.some((v) => v > 0)) bad('image.mask', 'is empty: nothing to repaint', 'paint the region to change, or send no mask for img2img');
}

/** Everything the encoder and the loop need, at the request's width×height. */
export function prepareImage(req: GenerateRequest, factor: number): PreparedImage {
  const im = req.image!;
  const W = req.width, H = req.height;
  let source = im.rgb;
  let mask = im.mask ? blurMask(im.mask, im.width, im.height, im.maskBlur ?? 4) : undefined;
  let region: Region | undefined;
  if (im.onlyMasked && mask) {
    // the box around the blurred mask (+ padding), at the processing aspect ratio, worked on at full W×H
    region = cropRegion(mask, im.width, im.height, W, H, im.onlyMasked.padding) ?? undefined;
    if (!region) bad('image.mask', 'is empty after the blur');
    const r = region!;
    source = resize(crop(im.rgb, im.width, 3, r), r.x2 - r.x1, r.y2 - r.y1, 3, W, H);
    mask = resize(crop(mask, im.width, 1, r), r.x2 - r.x1, r.y2 - r.y1, 1, W, H);
  }
  return {
    model: toModelImage(source, W, H),
    latentMask: mask && latentMask(mask, W, H, W / factor, H / factor),
    softMask: mask,
    source,
    region,
  };
}

/**
 * The final pixels: the decoded image with the source pasted back outside the blurred mask (inpainting), and for
 * "only masked" scaled back into its box of the full source. Returns the output's size.
 */
export function finishImage(decoded: Uint8Array, req: GenerateRequest, prep: PreparedImage): { pixels: Uint8Array; width: number; height: number } {
  const im = req.image!;
  if (!prep.softMask) return { pixels: decoded, width: req.width, height: req.height };
  if (!prep.region) return { pixels: pasteBack(prep.source, decoded, prep.softMask), width: req.width, height: req.height };
  const r = prep.region, cw = r.x2 - r.x1, ch = r.y2 - r.y1;
  const back = resize(decoded, req.width, req.height, 3, cw, ch);
  const full = paste(im.rgb, im.width, 3, back, r);
  // the paste-back against the full-size blurred mask: pixels outside it stay the source's, exactly
  const fullMask = blurMask(im.mask!, im.width, im.height, im.maskBlur ?? 4);
  return { pixels: pasteBack(im.rgb, full, fullMask), width: im.width, height: im.height };
}

/** What a result records of its image input: the settings and hashes, never the pixels. */
export function imageSettings(im: ImageInput): ImageSettings {
  const { rgb: _rgb, mask, ...rest } = im;
  return { ...rest, masked: Boolean(mask), maskBlur: mask ? (im.maskBlur ?? 4) : undefined, posterior: im.posterior ?? 'mode' };
}
