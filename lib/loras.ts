// LoRA stacks as the studio's APIs take them: the `loras: [{name, weight}]` schema shared by the browser form and
// the routes, and A1111's prompt syntax `<lora:NAME:WEIGHT>` (weight 1 when omitted), which the studio prompt,
// /sdapi/v1/txt2img and OpenAI's endpoint all accept: the tags leave the prompt (the text encoder never reads them)
// and join the stack after the explicit entries. Deliberately knows no files: whether a name exists is the
// engine's business (lib/engine, WEIGHTS_DIR/loras).
import { z } from './zod.ts';
import { StudioError } from './errors.ts';
import { LORA_WEIGHT_LIMIT, MAX_LORAS } from '../inference/pipeline/types.ts';

export { LORA_WEIGHT_LIMIT, MAX_LORAS };

/** A name under WEIGHTS_DIR/loras without .safetensors: subfolders with "/", never a path out of it. */
const LORA_NAME = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[^\\\u0000-\u001f\u007f<>:]{1,200}$/;

export const loraEntrySchema = z.strictObject({
  name: z
    .string({ error: 'Each LoRA needs a name, as GET /api/loras lists it.' })
    .regex(LORA_NAME, 'A LoRA name is its path under WEIGHTS_DIR/loras without .safetensors (e.g. "style/film-grain"), as GET /api/loras lists it.'),
  weight: z
    .number({ error: 'Each LoRA needs a weight (1 = trained strength).' })
    .min(-LORA_WEIGHT_LIMIT, `LoRA weights go from −${LORA_WEIGHT_LIMIT} to ${LORA_WEIGHT_LIMIT}; 0.5–1.2 is the usual range.`)
    .max(LORA_WEIGHT_LIMIT, `LoRA weights go from −${LORA_WEIGHT_LIMIT} to ${LORA_WEIGHT_LIMIT}; 0.5–1.2 is the usual range.`),
});

export const loraStackSchema = z
  .array(loraEntrySchema, { error: 'loras must be a list of { name, weight }.' })
  .max(MAX_LORAS, `At most ${MAX_LORAS} LoRAs stack; drop the weakest ones.`);

export type LoraEntry = z.output<typeof loraEntrySchema>;

/** `<lora:NAME>` or `<lora:NAME:WEIGHT>` (A1111; `<lyco:…>` is its LyCORIS spelling). */
const TAG = /<(?:lora|lyco):([^:<>]*)(?::([^<>]*))?>/gi;

/** The prompt without its LoRA tags, and the tags as stack entries (a malformed weight is an error message). */
export function extractLoraTags(prompt: string): { prompt: string; loras: LoraEntry[]; problems: string[] } {
  const loras: LoraEntry[] = [];
  const problems: string[] = [];
  const cleaned = prompt.replace(TAG, (tag, name: string, weight: string | undefined) => {
    const n = name.trim();
    const w = weight === undefined ? 1 : Number(weight.trim());
    if (!n) problems.push(`${tag} names no LoRA: write <lora:NAME:WEIGHT>.`);
    else if (weight !== undefined && (weight.trim() === '' || !Number.isFinite(w))) problems.push(`${tag}: the weight must be a number, e.g. <lora:${n}:0.8>.`);
    else loras.push({ name: n, weight: w });
    return ' ';
  });
  return { prompt: cleaned.replace(/[ \t]{2,}/g, ' ').replace(/ *\n */g, '\n').trim(), loras, problems };
}

/**
 * Parameters with the prompt's LoRA tags moved into `loras` (after the explicit entries), checked as one stack:
 * names, weights, at most MAX_LORAS, each LoRA once. A 400 that says what to fix otherwise.
 */
export function withPromptLoras<T extends { prompt: string; loras?: LoraEntry[] }>(params: T): T {
  const { prompt, loras: tagged, problems } = extractLoraTags(params.prompt);
  if (problems.length) throw new StudioError('invalid_request', problems.join(' '), 'LoRA tags read <lora:NAME:WEIGHT>, NAME as GET /api/loras lists it.');
  const stack = [...(params.loras ?? []), ...tagged];
  const checked = loraStackSchema.safeParse(stack);
  if (!checked.success) throw new StudioError('invalid_request', checked.error.issues.map((i) => i.message).join(' '), 'GET /api/loras lists the LoRAs.');
  const names = stack.map((l) => l.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new StudioError('invalid_request', `LoRA "${twice}" is in the stack twice (a tag in the prompt and an entry, or two tags).`, 'Give each LoRA once, with one weight.');
  if (!tagged.length) return params;
  if (!prompt) throw new StudioError('invalid_request', 'The prompt holds only LoRA tags: write what the image should show too.');
  return { ...params, prompt, loras: stack };
}

/** One file of GET /api/loras, as the studio's picker shows it. */
export interface LoraView {
  name: string;
  alias: string;
  bytes: number;
  modifiedAt: string;
  info: { baseModel?: string; triggerWords: string[]; title?: string; description?: string; rank?: number; alpha?: number; trainer?: string };
  formats: string[];
  modules: number;
  /** Why the file cannot be applied, when it cannot. */
  problem?: string;
}

/** A1111's tags for a stack, as its infotext and prompts write them. */
export function loraTags(loras: readonly { name: string; weight: number }[] | undefined): string {
  return (loras ?? []).map((l) => `<lora:${l.name}:${l.weight}>`).join(' ');
}
