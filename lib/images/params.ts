// The image-input and hires-fix fields of a generation request, as the studio's API accepts them (ids of stored
// uploads or results, never pixels: the 256 KiB JSON limit stays), with messages that say how to fix a bad value.
// Shared by the browser form and the routes; deliberately no server code.
import { z } from '../zod.ts';
import { RESULT_ID_PATTERN } from '../results.ts';

const id = (what: string) => z.string({ error: `${what} must be an id` }).regex(RESULT_ID_PATTERN, `${what} must be an id of 22 characters (A–Z, a–z, 0–9, "_", "-") from POST /api/uploads or a result.`);

export const STRENGTH_HINT = 'Strength: how much may change. 1 repaints everything (same as text-to-image for the seed); 0.3–0.5 keeps the composition and refines; 0.6–0.8 keeps the layout, changes details.';

export const imageParamsSchema = z.strictObject({
  /** The source: an upload id, or `{ result: id }` to start from a stored result (vary, upscale). */
  source: z.union([
    z.strictObject({ upload: id('image.source.upload') }),
    z.strictObject({ result: id('image.source.result') }),
  ], { error: 'image.source must be { "upload": "<id from POST /api/uploads>" } or { "result": "<result id>" }.' }),
  /** Mask upload id (white = repaint); the source's own id uses its transparency as the mask. */
  mask: id('image.mask').optional(),
  strength: z.number({ error: 'image.strength must be a number in (0, 1].' }).gt(0, `image.strength must be above 0. ${STRENGTH_HINT}`).max(1, `image.strength must be at most 1. ${STRENGTH_HINT}`),
  maskBlur: z.number().int('image.maskBlur must be whole pixels.').min(0).max(64, 'image.maskBlur must be 0–64 pixels.').optional(),
  invertMask: z.boolean().optional(),
  onlyMasked: z.strictObject({ padding: z.number().int().min(0).max(1024, 'image.onlyMasked.padding must be 0–1024 pixels.') }).optional(),
  resizeMode: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'image.resizeMode is 0 (stretch), 1 (crop) or 2 (fit and fill).' }).optional(),
  posterior: z.enum(['mode', 'sample']).optional(),
});

export const hiresParamsSchema = z.strictObject({
  scale: z.number({ error: 'hires.scale must be a number from 1.25 to 2.' }).min(1.25, 'hires.scale must be from 1.25 to 2.').max(2, 'hires.scale must be from 1.25 to 2.'),
  strength: z.number().gt(0, 'hires.strength must be in (0, 1]; 0.3–0.5 adds detail and keeps the first pass.').max(1, 'hires.strength must be at most 1.'),
  steps: z.number().int().min(1).max(100, 'hires.steps must be 1–100.').optional(),
});

export type ImageParams = z.output<typeof imageParamsSchema>;
