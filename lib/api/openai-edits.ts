// OpenAI-compatible POST /v1/images/edits and /v1/images/variations (multipart, as OpenAI's clients send them):
// the form fields, their mapping onto studio parameters once the files are stored as uploads, and the masks'
// convention (OpenAI: the mask's fully transparent pixels are the ones to edit; without a mask, the image's own
// transparency; without either, image to image of the whole picture). Kept apart from openai.ts to merge on its own.
// Deliberately strict like openai.ts: fields it would have to ignore are refused. Variations have no prompt in
// OpenAI's API: the prompt of a PNG this studio made is reused, else the `prompt` extra, else a neutral one.
import { StudioError } from '../errors.ts';
import { describeIssues } from '../issues.ts';
import { generationParamsSchema, parseSize, randomSeed, type GenerationParams } from '../params.ts';
import { OPENAI_DEFAULTS } from './openai.ts';

export const OPENAI_EDIT_DEFAULTS = { strengthMasked: 1, strengthWhole: 0.6, variationStrength: 0.6, variationPrompt: 'a high quality photograph' } as const;

const KNOWN = new Set(['image', 'image[]', 'mask', 'prompt', 'n', 'size', 'response_format', 'model', 'user', 'negative_prompt', 'steps', 'cfg', 'seed', 'precision', 'strength', 'output_format']);

export const OPENAI_EDITS_HINT =
  'Multipart fields: image (PNG/JPEG/WebP file), mask (PNG whose transparent pixels are edited; optional), prompt, n (1), ' +
  'size "WxH" or "auto" (the image\'s size), response_format (b64_json|url), model, user, and Z-Image extras negative_prompt, ' +
  'steps, cfg, seed, precision, strength (0–1].';

export interface EditFields {
  fields: Map<string, string>;
  /** The studio upload ids of the image and of the mask (the image's own id when its transparency is the mask). */
  image: string;
  mask?: string;
  /** The image's size at the model's multiple, for size "auto". */
  imageSize: { width: number; height: number };
}

/** Studio parameters for an edit (prompt required) or a variation (prompt optional). */
export function openAiEditToParams({ fields, image, mask, imageSize }: EditFields, kind: 'edit' | 'variation', storedPrompt?: string): GenerationParams {
  for (const name of fields.keys()) {
    if (!KNOWN.has(name)) throw new StudioError('invalid_request', `Unknown field "${name}".`, OPENAI_EDITS_HINT);
  }
  const num = (name: string) => {
    const v = fields.get(name);
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new StudioError('invalid_request', `${name} must be a number (got ${JSON.stringify(v.slice(0, 20))}).`, OPENAI_EDITS_HINT);
    return n;
  };
  if ((num('n') ?? 1) !== 1) throw new StudioError('invalid_request', 'n must be 1: the studio makes one image per request. Send several requests for more.', OPENAI_EDITS_HINT);
  const format = fields.get('output_format');
  if (format && format !== 'png') throw new StudioError('invalid_request', 'output_format must be "png".', OPENAI_EDITS_HINT);
  const sizeText = fields.get('size');
  const size = !sizeText || sizeText === 'auto' ? imageSize : parseSize(sizeText);
  if (!size) throw new StudioError('invalid_request', `size: "${sizeText}" is not "WIDTHxHEIGHT" or "auto".`, OPENAI_EDITS_HINT);
  const prompt = fields.get('prompt') ?? (kind === 'variation' ? storedPrompt ?? OPENAI_EDIT_DEFAULTS.variationPrompt : undefined);
  if (prompt === undefined) throw new StudioError('invalid_request', 'prompt is required: describe the edit.', OPENAI_EDITS_HINT);
  const strength = num('strength') ?? (kind === 'variation' ? OPENAI_EDIT_DEFAULTS.variationStrength : mask ? OPENAI_EDIT_DEFAULTS.strengthMasked : OPENAI_EDIT_DEFAULTS.strengthWhole);
  const precision = fields.get('precision');
  const result = generationParamsSchema.safeParse({
    prompt,
    negativePrompt: fields.get('negative_prompt') ?? '',
    steps: num('steps') ?? OPENAI_DEFAULTS.steps,
    cfg: num('cfg') ?? OPENAI_DEFAULTS.cfg,
    width: size.width,
    height: size.height,
    seed: num('seed') ?? randomSeed(),
    ...(precision ? { precision } : {}),
    ...(fields.get('model') ? { model: fields.get('model') } : {}),
    image: { source: { upload: image }, strength, ...(mask ? { mask } : {}) },
  });
  if (!result.success) {
    const renamed = result.error.issues.map((issue) => {
      const field = String(issue.path.at(-1));
      const name = field === 'width' || field === 'height' ? 'size' : field === 'negativePrompt' ? 'negative_prompt' : field;
      return { ...issue, path: [name] };
    });
    throw new StudioError('invalid_request', describeIssues(renamed), OPENAI_EDITS_HINT);
  }
  return result.data;
}
