// The evidence behind a result's badges: the mapping from the engine's result (census, health, load-time audit, GPU
// memory) to the plain JSON the history stores, and the words and colours the card, the share page and the
// comparison show for it. Pure functions, shared by server and browser. Deliberately decides nothing about precision:
// the engine's verdict (inference/runtime/census.ts) and health summary are shown as measured, never recomputed.
import type { GenerateResult, SystemInfo } from '../inference/pipeline/types.ts';
import { PRECISION_LABELS, runBadge } from './precision.ts';
import type { ComponentAuditEvidence, HealthEvidence, MemoryUsage, ResultRecord, VerdictLevel } from './results.ts';

export type Evidence = Pick<ResultRecord, 'memory' | 'census' | 'health' | 'audit'>;

/** CPU runs have no VRAM; GPU runs carry what the engine sampled during the run, and the card total. */
function memoryOf(result: GenerateResult, system: Pick<SystemInfo, 'gpu'>): MemoryUsage {
  const dit = result.components.find((component) => component.component === 'dit') ?? result.components[0];
  if (!dit || dit.ep === 'cpu') return { kind: 'cpu' };
  const memory = result.memory;
  return {
    kind: 'gpu',
    peakMiB: memory?.peakMiB,
    afterMiB: memory?.afterMiB,
    totalMiB: memory?.totalMiB ?? system.gpu?.memoryTotalMiB,
    scope: memory?.scope,
    samples: memory?.samples,
  };
}

/** What the history keeps of an engine result's evidence: small, JSON, no tensors, no server paths. */
export function resultEvidence(result: GenerateResult, system: Pick<SystemInfo, 'gpu'>): Evidence {
  const { census, health, audit } = result;
  return {
    memory: memoryOf(result, system),
    census: census && {
      scope: census.scope,
      generation: census.generation,
      verdict: { level: census.verdict.level, text: census.verdict.text, reasons: [...census.verdict.reasons] },
      byProvider: { ...census.merged.byProvider },
      flopShare: { ...census.merged.flopShare },
    },
    health: health && {
      steps: health.steps.map(({ step, nan, inf }) => ({ step, nan, inf })),
      ...(health.firstBadStep !== undefined && { firstBadStep: health.firstBadStep }),
      stoppedEarly: health.stoppedEarly,
      ...(health.summary !== undefined && { summary: health.summary }),
      image: {
        mean: health.image.mean,
        std: health.image.std,
        blackFraction: health.image.blackFraction,
        black: health.image.black,
        flat: health.image.flat,
      },
    },
    audit: audit?.components.map(
      (component): ComponentAuditEvidence => ({
        component: component.component,
        claimed: component.claimed,
        computeDtype: component.computeDtype,
        heavyWeights: { ...component.heavyWeights },
        islands: [...component.islands],
      }),
    ),
  };
}

/** onnxruntime's dtype names (census) and the audit's, as the studio writes precisions. */
const DTYPE_LABELS: Record<string, string> = {
  float: 'FP32',
  fp32: 'FP32',
  float16: 'FP16',
  fp16: 'FP16',
  bfloat16: 'BF16',
  bf16: 'BF16',
  int64: 'INT64',
  int32: 'INT32',
  double: 'FP64',
};

export function dtypeLabel(dtype: string): string {
  return DTYPE_LABELS[dtype] ?? dtype.toUpperCase();
}

/** "99.98 %", "100 %", "< 0.01 %": enough digits to tell a 0.02 % fp32 island from nothing. */
export function formatShare(share: number): string {
  if (share >= 1) return '100 %';
  if (share > 0 && share < 0.0001) return '< 0.01 %';
  return `${(100 * share).toFixed(share >= 0.9995 || share < 0.01 ? 2 : 1)} %`;
}

/** "BF16 100 %, FP32 < 0.01 %": shares, largest first. */
export function formatShares(shares: Record<string, number>): string {
  return Object.entries(shares)
    .sort((a, b) => b[1] - a[1])
    .map(([dtype, share]) => `${dtypeLabel(dtype)} ${formatShare(share)}`)
    .join(', ');
}

export interface PrecisionBadge {
  /** The census verdict ("BF16 · 99.99 % of FLOPs · CUDA"), or the declared run label when there is no census. */
  text: string;
  /** 'unknown': no census was recorded, so the badge only repeats what the engine declared. */
  level: VerdictLevel | 'unknown';
  /** Why it is amber or red. */
  reasons: string[];
  /** Set when the census was measured on an earlier generation of the same sessions. */
  scopeNote?: string;
  /** The whole story in one tooltip. */
  title: string;
}

export function censusScopeNote(census: NonNullable<ResultRecord['census']>): string | undefined {
  return census.scope === 'this generation' ? undefined : `measured on generation ${census.generation} of these sessions`;
}

export function precisionBadge(record: Pick<ResultRecord, 'census' | 'components'>): PrecisionBadge {
  const { census } = record;
  if (!census) {
    return {
      text: runBadge(record.components).label,
      level: 'unknown',
      reasons: [],
      title: 'No dtype census was recorded for this run: the badge shows the precision the engine declared, not a measurement.',
    };
  }
  const scopeNote = censusScopeNote(census);
  const lead = {
    green: 'The requested precision did the work, every node on the requested execution provider.',
    amber: 'The requested precision ran, with exceptions:',
    red: 'The requested precision did NOT do the work:',
  }[census.verdict.level];
  const title = [
    lead,
    ...census.verdict.reasons.map((reason) => `• ${reason}`),
    `FLOPs by dtype: ${formatShares(census.flopShare)}.`,
    `Census from onnxruntime's profile, ${scopeNote ?? 'measured on this generation'}.`,
  ].join('\n');
  return { text: census.verdict.text, level: census.verdict.level, reasons: census.verdict.reasons, scopeNote, title };
}

/** NaN + Inf in the latents after the last step that ran (0 for a healthy run). */
export function nonFiniteAtEnd(health: HealthEvidence): number {
  const last = health.steps.at(-1);
  return last ? last.nan + last.inf : 0;
}

/**
 * One line when something went wrong, else undefined: "FP16 overflow: NaN from step 3 in the DiT: black image".
 * Composed from the recorded numbers; the engine's own summary is the fallback for anything else it reports.
 */
export function healthLine(record: Pick<ResultRecord, 'health' | 'request'>): string | undefined {
  const { health } = record;
  if (!health) return undefined;
  const image = health.image.black ? 'black image' : health.image.flat ? 'flat image (no detail)' : undefined;
  if (health.firstBadStep !== undefined) {
    const bad = health.steps.find((step) => step.step === health.firstBadStep);
    const what = bad && bad.nan === 0 && bad.inf > 0 ? 'Inf' : 'NaN';
    const overflow = record.request.precision === 'fp16' ? `${PRECISION_LABELS.fp16} overflow: ` : '';
    const last = health.steps.at(-1)?.step;
    const stopped = health.stoppedEarly && last !== undefined ? ` (denoising stopped after step ${last} of ${record.request.steps})` : '';
    return `${overflow}${what} from step ${health.firstBadStep} in the DiT${image ? `: ${image}` : ''}${stopped}`;
  }
  if (image) return `${image[0].toUpperCase()}${image.slice(1)}, with no NaN or Inf in the latents`;
  return health.summary;
}

const GiB = 1024;

function gib(mib: number): string {
  return (mib / GiB).toFixed(mib < 10 * GiB ? 1 : 0);
}

/** "VRAM 14.2 / 140 GiB · device", or "CPU". */
export function memoryBadge(memory: MemoryUsage): { text: string; title: string } {
  if (memory.kind === 'cpu') return { text: 'CPU', title: 'Ran on the CPU: no GPU memory was used.' };
  const total = memory.totalMiB ? `${gib(memory.totalMiB)} GiB` : '? GiB';
  const device = memory.scope === 'device';
  if (memory.peakMiB === undefined) return { text: `— / ${total}`, title: 'The peak VRAM of this run was not measured.' };
  const scope = device
    ? 'Measured for the whole GPU (nvidia-smi): memory other processes hold on it counts too.'
    : 'Measured for this process only.';
  const after = memory.afterMiB !== undefined ? ` ${gib(memory.afterMiB)} GiB still held after the run.` : '';
  return {
    text: `${gib(memory.peakMiB)} / ${total}${device ? ' · device' : ''}`,
    title: `Peak VRAM during this run / card total. ${scope}${after}`,
  };
}
