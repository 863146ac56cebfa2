// What a generated PNG says about itself: the A1111 `parameters` text (what "PNG Info", ComfyUI and most tools read)
// and our JSON chunk (request, model, components, tokens, residency, memory, health, census, audit, timings).
// It deliberately encodes no pixels (png.ts does) and computes none of the evidence it writes down.
import type { ModelAudit } from '../audit.ts';
import type { Health } from './health.ts';
import type { ComponentRunInfo, GenerateRequest, GenerateResult, LoraEvidence, LoraRequest, RunCensus } from './types.ts';

export const VERSION = '0.1.0';

/** Every line break a parser might split on (Python's splitlines too): one prompt line can never become two. */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029]/g;

/** A1111's quote(): a value with a comma, colon or quote is written as a JSON string, so it stays one "Key: value". */
function paramValue(value: string): string {
  const flat = value.replace(LINE_BREAKS, ' ');
  return /[,:"]/.test(flat) ? JSON.stringify(flat) : flat;
}

/** A prompt with A1111's LoRA tags (`<lora:NAME:WEIGHT>`) appended, as A1111 writes its infotext. */
export function promptWithLoraTags(prompt: string, loras: readonly LoraRequest[] | undefined): string {
  const tags = (loras ?? []).map((l) => `<lora:${l.name}:${l.weight}>`);
  return tags.length ? `${prompt} ${tags.join(' ')}` : prompt;
}

/**
 * The A1111 `parameters` text (what "PNG Info" and most tools read): the prompt (with its LoRA tags) on one line, the
 * negative prompt on one line, then the settings. A prompt's line breaks are written as spaces (the full prompt is in
 * the zimage-studio JSON chunk), so a prompt cannot forge a "Negative prompt:" or "Steps: …" line of its own.
 */
export function a1111Parameters(req: Omit<GenerateRequest, 'latents'>, modelName: string): string {
  const lines = [promptWithLoraTags(req.prompt, req.loras).replace(LINE_BREAKS, ' ')];
  if (req.negativePrompt) lines.push(`Negative prompt: ${req.negativePrompt.replace(LINE_BREAKS, ' ')}`);
  // A1111's "Lora hashes": each file's short hash (the first 12 hex digits of its sha256), quoted as one field.
  const hashes = (req.loras ?? []).filter((l) => l.sha256).map((l) => `${l.name.replace(LINE_BREAKS, ' ').replace(/[:,"]/g, '')}: ${l.sha256!.slice(0, 12)}`);
  lines.push([
    `Steps: ${req.steps}`, 'Sampler: Euler', 'Schedule type: Simple', `CFG scale: ${req.cfg}`, `Seed: ${req.seed}`,
    `Size: ${req.width}x${req.height}`, `Model: ${paramValue(modelName)}`, ...(hashes.length ? [`Lora hashes: "${hashes.join(', ')}"`] : []),
    `Precision: ${req.precision}`, `Version: zimage-bf16-studio ${VERSION}`,
  ].join(', '));
  return lines.join('\n');
}

/** The facts of one generation that go into its PNG's JSON chunk. */
export interface RunFacts {
  request: Omit<GenerateRequest, 'latents'>;
  model: { id: string; name: string };
  components: ComponentRunInfo[];
  tokens: GenerateResult['tokens'];
  vae: GenerateResult['vae'];
  residency: GenerateResult['residency'];
  memory: GenerateResult['memory'];
  health: Health;
  census?: RunCensus;
  audit: ModelAudit;
  /** The LoRA stack that ran (absent without LoRAs). */
  loras?: LoraEvidence[];
}

/** The PNG text chunks: `parameters` (A1111) and `zimage-studio` (our JSON, with the timings so far). */
export function pngText(facts: RunFacts, timings: Record<string, number>): Record<string, string> {
  const { health, census, audit } = facts;
  const meta = {
    request: facts.request, model: facts.model, components: facts.components, tokens: facts.tokens, vae: facts.vae,
    residency: facts.residency, memory: facts.memory,
    health: { firstBadStep: health.firstBadStep, stoppedEarly: health.stoppedEarly, summary: health.summary, black: health.image.black, flat: health.image.flat },
    census: census && { scope: census.scope, generation: census.generation, verdict: census.verdict, byProvider: census.merged.byProvider, flopShare: census.merged.flopShare },
    audit: audit.components.map((c) => ({ component: c.component, computeDtype: c.computeDtype, heavyWeights: c.heavyWeights })), version: VERSION,
    ...(facts.loras && { loras: facts.loras }),
  };
  return { parameters: a1111Parameters(facts.request, facts.model.name), 'zimage-studio': JSON.stringify({ ...meta, timings }) };
}
