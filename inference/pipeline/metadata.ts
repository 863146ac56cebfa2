// What a generated PNG says about itself: the A1111 `parameters` text (what "PNG Info", ComfyUI and most tools read)
// and our JSON chunk (request, model, components, tokens, residency, memory, health, census, audit, timings).
// It deliberately encodes no pixels (png.ts does) and computes none of the evidence it writes down.
import type { ModelAudit } from '../audit.ts';
import type { Health } from './health.ts';
import type { ComponentRunInfo, GenerateRequest, GenerateResult, RunCensus } from './types.ts';

export const VERSION = '0.1.0';

/** The A1111 `parameters` text (what "PNG Info" and most tools read). */
export function a1111Parameters(req: Omit<GenerateRequest, 'latents'>, modelName: string): string {
  const lines = [req.prompt];
  if (req.negativePrompt) lines.push(`Negative prompt: ${req.negativePrompt}`);
  lines.push([
    `Steps: ${req.steps}`, 'Sampler: Euler', 'Schedule type: Simple', `CFG scale: ${req.cfg}`, `Seed: ${req.seed}`,
    `Size: ${req.width}x${req.height}`, `Model: ${modelName}`, `Precision: ${req.precision}`, `Version: zimage-bf16-studio ${VERSION}`,
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
  };
  return { parameters: a1111Parameters(facts.request, facts.model.name), 'zimage-studio': JSON.stringify({ ...meta, timings }) };
}
