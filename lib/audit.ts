// The load-time audit of a converted model as the browser sees it: per component, the dtype of its weights by bytes,
// the dtype its heavy ops compute in, and the parts kept in fp32 on purpose, by name. Built from the engine's
// ModelAudit (inference/audit.ts) without the server's folder path. Deliberately pure: no file reading here; the
// engine adapter reads the .onnx protobufs (lib/engine/index.ts).
import type { ModelAudit } from '../inference/audit.ts';
import type { ComponentName, Precision } from '../inference/pipeline/types.ts';

export interface WeightsByDtype {
  dtype: string;
  count: number;
  bytes: number;
  /** Share of all initializer bytes (0..1). */
  share: number;
}

export interface ComponentAuditView {
  component: ComponentName;
  claimed: Precision;
  computeDtype: string;
  /** Heavy-op (MatMul, Gemm, Conv) weights by dtype, share of their bytes. */
  heavyWeights: Record<string, number>;
  /** Every initializer by dtype, largest first. */
  weights: WeightsByDtype[];
  /** fp32 initializers of a half-precision graph, by name (empty for an fp32 graph: everything is fp32). */
  fp32Initializers: string[];
  /** The fp32 islands the converter declared (RoPE, norm statistics, …). */
  islands: string[];
  /** Empty when the graph holds what its label says. */
  problems: string[];
  /** What the source file stored (e.g. "FP8 (F8_E4M3)") and, for 8-bit or smaller sources, the note saying so. */
  source?: { label: string; quantised: boolean; note?: string };
}

export interface ModelAuditView {
  model: string;
  precision: Precision;
  ok: boolean;
  components: ComponentAuditView[];
}

export function toAuditView(modelId: string, audit: ModelAudit): ModelAuditView {
  return {
    model: modelId,
    precision: audit.precision,
    ok: audit.ok,
    components: audit.components.map((component) => {
      const total = Object.values(component.initializers).reduce((sum, entry) => sum + entry.bytes, 0);
      const weights = Object.entries(component.initializers)
        .map(([dtype, entry]) => ({ dtype, count: entry.count, bytes: entry.bytes, share: total ? entry.bytes / total : 0 }))
        .sort((a, b) => b.bytes - a.bytes);
      return {
        component: component.component,
        claimed: component.claimed,
        computeDtype: component.computeDtype,
        heavyWeights: component.heavyWeights,
        weights,
        fp32Initializers: component.fp32Initializers,
        islands: component.islands,
        problems: component.problems,
        ...(component.source ? { source: component.source } : {}),
      };
    }),
  };
}

/** "19.5 MB", "1.2 GB": decimal units, as file sizes are usually given. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
