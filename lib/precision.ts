// Which precisions the picker offers for a model on this machine, and how a run's precision is labelled on badges.
// Deliberately pure (plain data in, plain data out) so the browser and the server decide identically; it does not
// probe the machine itself: the engine's systemInfo() does.
import type { ComponentRunInfo, ExecutionProvider, Precision } from '../inference/pipeline/types.ts';

export const PRECISION_LABELS: Record<Precision, string> = {
  bf16: 'BF16',
  fp16: 'FP16',
  'fp16-safe': 'FP16-safe',
  fp32: 'FP32',
};

export const PRECISION_NOTES: Record<Precision, string> = {
  bf16: 'The reference precision of Z-Image: fp32 range, half the memory.',
  fp16: 'Plain half precision: fast, but Z-Image activations can overflow into black images.',
  'fp16-safe': 'Half precision with overflow guards where Z-Image exceeds the fp16 range.',
  fp32: 'Full precision: runs everywhere, twice the memory and slowest.',
};

// The one default-precision rule, shared with the CLI (inference/pipeline/rules.ts).
export { defaultPrecision, precisionOptions, type PrecisionOption } from '../inference/pipeline/rules.ts';

export interface RunBadge {
  /** "BF16 · CUDA": the DiT's precision (where the time goes) and where it ran. */
  label: string;
  /** Components that ran differently from the DiT, e.g. "VAE FP32", so the badge never overstates. */
  differing: string[];
}

const COMPONENT_LABELS = { te: 'Text encoder', dit: 'DiT', vae: 'VAE' } as const;

export function epLabel(ep: ExecutionProvider): string {
  return ep.toUpperCase();
}

export function runBadge(components: readonly ComponentRunInfo[]): RunBadge {
  const main = components.find((component) => component.component === 'dit') ?? components[0];
  if (!main) return { label: 'unknown', differing: [] };
  const differing = components
    .filter((component) => component.precision !== main.precision || component.ep !== main.ep)
    .map((component) => {
      const ep = component.ep === main.ep ? '' : ` on ${epLabel(component.ep)}`;
      return `${COMPONENT_LABELS[component.component]} ${PRECISION_LABELS[component.precision]}${ep}`;
    });
  return { label: `${PRECISION_LABELS[main.precision].toUpperCase()} · ${epLabel(main.ep)}`, differing };
}
