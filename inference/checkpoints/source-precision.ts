// What a component's weights were stored as before conversion: the dtypes of the source tensors and the
// quantisation schemes decoded (fp8 scale conventions, GGUF block types), and the one sentence every manifest,
// audit and result carries when the source was 8-bit or less: converting up cannot restore what the file rounded
// away. Deliberately plain data and pure functions: the checkpoint readers fill it, the converter writes it.
import type { Precision } from '../pipeline/types.ts';

export interface SourcePrecision {
  /** Source tensors by stored dtype (safetensors dtype or GGUF type name), scale tensors excluded. */
  dtypes: Record<string, number>;
  /** Quantisation schemes decoded, e.g. "fp8 F8_E4M3, comfy_quant weight_scale (per tensor)", "GGUF Q4_K". */
  schemes: string[];
  /** Scale and marker tensors folded into the weights they scale (not listed as unused). */
  foldedTensors: string[];
}

const QUANTISED = /^(F8_|Q\d|IQ|TQ|MXFP)/;
const FLOAT_BITS: Record<string, number> = { F64: 64, F32: 32, BF16: 16, F16: 16 };

export function countDtypes(source: SourcePrecision, tensors: { dtype: string }[]): void {
  for (const t of tensors) source.dtypes[t.dtype] = (source.dtypes[t.dtype] ?? 0) + 1;
}

/** The quantised dtypes among the source tensors (F8_E4M3, Q4_K, …), most tensors first. */
export function quantisedDtypes(source: SourcePrecision): string[] {
  return Object.entries(source.dtypes).filter(([d]) => QUANTISED.test(d)).sort((a, b) => b[1] - a[1]).map(([d]) => d);
}

/** A short name of the source's storage: "FP8 (F8_E4M3)", "GGUF Q4_K + Q6_K", "BF16", "FP32 + BF16". */
export function sourceLabel(source: SourcePrecision): string {
  const q = quantisedDtypes(source);
  if (q.some((d) => d.startsWith('F8_'))) return `FP8 (${q.filter((d) => d.startsWith('F8_')).join(', ')})`;
  if (q.length) return `GGUF ${q.join(' + ')}`;
  const floats = Object.entries(source.dtypes).filter(([d]) => d in FLOAT_BITS).sort((a, b) => b[1] - a[1]).map(([d]) => (d === 'F32' ? 'FP32' : d === 'F16' ? 'FP16' : d));
  return floats.join(' + ') || 'unknown';
}

/**
 * The sentence for a result converted from a quantised source, e.g. "BF16 compute of an FP8 file: what the file
 * rounded away cannot come back"; undefined for float sources.
 */
export function sourceNote(source: SourcePrecision | undefined, precision: Precision): string | undefined {
  if (!source || !quantisedDtypes(source).length) return undefined;
  const label = sourceLabel(source);
  const kind = label.startsWith('FP8') ? 'an FP8' : `a ${label}`;
  return `${precision.toUpperCase()} compute of ${kind} file: what the file rounded away cannot come back`;
}
