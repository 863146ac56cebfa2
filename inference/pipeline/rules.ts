// The request limits and the default-precision rule, shared by the engine, the CLI and the studio (lib/params.ts and
// lib/precision.ts derive from here). Plain data and pure functions with type-only imports, so the browser bundle
// can use them too. It deliberately probes nothing: callers pass what the machine can run (capabilities()).
import { PRECISIONS, type Precision, type SystemInfo } from './types.ts';

/**
 * What a generation may ask for. The engine accepts sides from 64 px (tiny tests, the CLI); the studio's form and
 * APIs ask for 256 px at least and cap prompts at 8000 characters (JSON bodies stay small; the encoder reads only
 * 512 tokens anyway): the `studio` entries.
 */
export const LIMITS = {
  minSide: 64, maxSide: 2048, multiple: 16, minSteps: 1, maxSteps: 100, minCfg: 1, maxCfg: 20, maxPromptChars: 20000,
  studio: { minSide: 256, maxPromptChars: 8000 },
} as const;

/** bf16 first because it is what the model was trained in; fp32 last because it is the heaviest. */
export const PRECISION_PREFERENCE: readonly Precision[] = ['bf16', 'fp16-safe', 'fp16', 'fp32'];

export interface PrecisionOption {
  precision: Precision;
  available: boolean;
  /** Why it cannot be picked, with what to do about it. */
  reason?: string;
}

/** Each precision for this model on this machine: available, or why not. */
export function precisionOptions(
  machine: SystemInfo['precisions'],
  model: { name: string; precisions: readonly Precision[] },
): PrecisionOption[] {
  return PRECISIONS.map((precision) => {
    const onMachine = machine.find((entry) => entry.precision === precision);
    if (!onMachine?.available) {
      return { precision, available: false, reason: onMachine?.reason ?? 'This machine cannot run it.' };
    }
    if (!model.precisions.includes(precision)) {
      return {
        precision,
        available: false,
        reason: `Not converted for ${model.name}. Convert it with the zimage CLI (README, "Adding real weights").`,
      };
    }
    return { precision, available: true };
  });
}

/** The one default: the most preferred precision that is converted and runs here (undefined: none does). */
export function defaultPrecision(options: readonly PrecisionOption[]): Precision | undefined {
  return PRECISION_PREFERENCE.find((precision) => options.some((option) => option.precision === precision && option.available));
}
