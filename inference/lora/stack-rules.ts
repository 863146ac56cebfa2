// The rules a LoRA stack request must meet before any file is looked at: at most MAX_LORAS entries, each with a name
// and a finite weight within ±LORA_WEIGHT_LIMIT, no file twice. Pure (no file system, no onnxruntime), so the
// request check (pipeline/validate.ts) can run it anywhere.
import { EngineError } from '../errors.ts';
import { LORA_WEIGHT_LIMIT, MAX_LORAS, type LoraRequest } from '../pipeline/types.ts';

/** Checks a stack's size and weights (one clear error per problem). */
export function validateStack(loras: readonly LoraRequest[] | undefined): void {
  if (!loras) return;
  if (loras.length > MAX_LORAS) throw new EngineError('invalid-request', `loras: ${loras.length} LoRAs requested; at most ${MAX_LORAS} stack`, { hint: 'drop the weakest ones' });
  for (const l of loras) {
    if (typeof l.name !== 'string' || !l.name) throw new EngineError('invalid-request', 'loras: every entry needs a name', { hint: 'names come from GET /sdapi/v1/loras' });
    if (!Number.isFinite(l.weight) || Math.abs(l.weight) > LORA_WEIGHT_LIMIT) {
      throw new EngineError('invalid-request', `loras: ${l.name} has weight ${l.weight}; weights are from −${LORA_WEIGHT_LIMIT} to ${LORA_WEIGHT_LIMIT}`, { hint: '1 is the trained strength; 0.5–1.2 is the usual range' });
    }
  }
  const names = loras.map((l) => l.file ?? l.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new EngineError('invalid-request', `loras: ${twice} is in the stack twice`, { hint: 'give each LoRA once, with the sum of the weights' });
}

