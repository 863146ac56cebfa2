// The parameter form as the browser holds it: numbers kept as the text the user typed (so "1." or an emptied field
// survive re-renders), converted to API input only when validated or sent. Deliberately no React and no fetching.
import type { Precision } from '../../inference/pipeline/types.ts';
import type { GenerationParamsInput } from '../params.ts';
import { PARAM_PRESETS } from '../params.ts';
import type { ResultRecord } from '../results.ts';

export interface FormParams {
  prompt: string;
  negativePrompt: string;
  steps: string;
  cfg: string;
  width: string;
  height: string;
  seed: string;
  /** Images per Generate press (1–8), as typed. */
  count: string;
  /** true: every image of a batch after the first gets a random seed; false: seed, seed+1, … */
  randomSeeds: boolean;
  /** null until the system info says which precisions the model can run. */
  precision: Precision | null;
  model: string | null;
  /** The LoRA stack, in order (the picker's entries; tags typed in the prompt join it on the server). */
  loras: { name: string; weight: number }[];
}

/** The seed comes from the caller so the server render and the browser start from the same one. */
export function initialForm(seed: number): FormParams {
  const turbo = PARAM_PRESETS[0];
  return {
    prompt: '',
    negativePrompt: '',
    steps: String(turbo.steps),
    cfg: String(turbo.cfg),
    width: '1024',
    height: '1024',
    seed: String(seed),
    count: '1',
    randomSeeds: false,
    precision: null,
    model: null,
    loras: [],
  };
}

/** Empty text is NaN, not 0, so an emptied field is reported instead of silently becoming zero. */
function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

export function formToInput(form: FormParams): GenerationParamsInput {
  const input: GenerationParamsInput = {
    prompt: form.prompt,
    negativePrompt: form.negativePrompt,
    steps: toNumber(form.steps),
    cfg: toNumber(form.cfg),
    width: toNumber(form.width),
    height: toNumber(form.height),
    seed: toNumber(form.seed),
    count: toNumber(form.count),
    randomSeeds: form.randomSeeds,
  };
  if (form.precision) input.precision = form.precision;
  if (form.model) input.model = form.model;
  if (form.loras.length) input.loras = form.loras.map(({ name, weight }) => ({ name, weight }));
  return input;
}

/**
 * "Reuse settings": everything the result ran with, including its seed, model and precision; one image (an image of
 * a batch is reproduced on its own, from its own seed).
 */
export function formFromResult(record: ResultRecord): FormParams {
  const { request } = record;
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? '',
    steps: String(request.steps),
    cfg: String(request.cfg),
    width: String(request.width),
    height: String(request.height),
    seed: String(request.seed),
    count: '1',
    randomSeeds: false,
    precision: request.precision,
    model: record.model.id,
    loras: (request.loras ?? []).map(({ name, weight }) => ({ name, weight })),
  };
}
