// Phase 1 of the pipeline: a request checked against the limits (rules.ts), the family's latent shape and the loaded
// pipeline's precision and execution provider, one clear error per problem. Also run by the CLI before any model
// loads, so a bad argument costs nothing. It deliberately checks nothing about files or the machine
// (a LoRA stack's size and weights only: lora/stack-rules.ts).
import { EngineError } from '../errors.ts';
import { FAMILIES } from '../models/registry.ts';
import { LIMITS } from './rules.ts';
import type { ExecutionProvider, GenerateRequest, Precision } from './types.ts';
import { validateStack } from '../lora/stack-rules.ts';

/** The family whose latent shape requests are checked against. */
const FAMILY = FAMILIES['z-image'];

/** Checks a request against the limits and the loaded model; one clear error per problem. */
export function validateRequest(req: GenerateRequest, loaded?: { precision: Precision; ep: ExecutionProvider }): void {
  const { latentChannels: C, vaeFactor: F } = FAMILY;
  const bad = (field: string, msg: string, hint?: string) => { throw new EngineError('invalid-request', `${field}: ${msg}`, { hint }); };
  if (typeof req.prompt !== 'string') bad('prompt', 'must be a string');
  if (req.prompt.length > LIMITS.maxPromptChars) bad('prompt', `is ${req.prompt.length} characters; the limit is ${LIMITS.maxPromptChars}`, 'the model reads at most 512 tokens anyway');
  if (!Number.isInteger(req.steps) || req.steps < LIMITS.minSteps || req.steps > LIMITS.maxSteps) bad('steps', `must be an integer from ${LIMITS.minSteps} to ${LIMITS.maxSteps} (got ${req.steps})`, 'Z-Image-Turbo is made for 8 steps');
  if (!Number.isFinite(req.cfg) || req.cfg < LIMITS.minCfg || req.cfg > LIMITS.maxCfg) bad('cfg', `must be from ${LIMITS.minCfg} (off) to ${LIMITS.maxCfg} (got ${req.cfg})`, 'Turbo runs without guidance: cfg 1');
  for (const [name, v] of [['width', req.width], ['height', req.height]] as const) {
    if (!Number.isInteger(v) || v % LIMITS.multiple || v < LIMITS.minSide || v > LIMITS.maxSide) {
      const near = Math.min(LIMITS.maxSide, Math.max(LIMITS.minSide, Math.round(v / LIMITS.multiple) * LIMITS.multiple));
      bad(name, `must be a multiple of ${LIMITS.multiple} from ${LIMITS.minSide} to ${LIMITS.maxSide} (got ${v})`, Number.isFinite(near) ? `try ${near}` : undefined);
    }
  }
  if (req.cfgTruncation !== undefined && !(req.cfgTruncation >= 0 && req.cfgTruncation <= 1)) bad('cfgTruncation', `must be from 0 to 1 (got ${req.cfgTruncation})`, '1 keeps guidance on every step');
  if (req.cfgNormalization !== undefined && !(req.cfgNormalization >= 0 && Number.isFinite(req.cfgNormalization))) bad('cfgNormalization', `must be ≥ 0 (got ${req.cfgNormalization})`, '0 turns it off');
  if (!Number.isSafeInteger(req.seed) || req.seed < 0) bad('seed', `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (got ${req.seed})`);
  if (req.latents && req.latents.length !== C * (req.height / F) * (req.width / F)) {
    bad('latents', `have ${req.latents.length} values; ${req.width}×${req.height} needs 1×${C}×${req.height / F}×${req.width / F}`);
  }
  if (loaded && req.precision !== loaded.precision) bad('precision', `${req.precision} was requested but this pipeline runs ${loaded.precision}`, 'load the pipeline in the requested precision; precisions never change silently');
  if (loaded && req.ep !== loaded.ep) bad('ep', `${req.ep} was requested but this pipeline runs on ${loaded.ep}`);
  validateStack(req.loras);
}
