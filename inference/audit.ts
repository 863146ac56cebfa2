// Load-time audit of a converted model: what the ONNX files really hold, read back from the graphs themselves —
// the dtype of every initializer (count and bytes), the dtype of the weights that feed the heavy ops (MatMul,
// Conv), the deliberate fp32 parts by name, and whether all of that agrees with the precision the manifest claims.
// A graph whose heavy weights are not bf16 is never labelled bf16: the audit reports the mismatch and the
// pipeline refuses to load it. It deliberately reads only the .onnx protobufs (small), never the weight data.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { EngineError } from './errors.ts';
import { readManifest, type Manifest } from './convert.ts';
import type { ComponentName, Precision } from './pipeline/types.ts';

const { onnx } = onnxProto;

const DTYPE_NAMES: Record<number, string> = { 1: 'fp32', 6: 'int32', 7: 'int64', 10: 'fp16', 16: 'bf16', 9: 'bool' };
/** The weight dtype each precision must have in its heavy ops. */
const EXPECTED: Record<Precision, string> = { bf16: 'bf16', fp16: 'fp16', 'fp16-safe': 'fp16', fp32: 'fp32' };
const HEAVY_OPS = new Set(['MatMul', 'Gemm', 'Conv']);

export interface ComponentAudit {
  component: ComponentName;
  claimed: Precision;
  /** Initializers by dtype: how many and how many bytes (from dims; external data is not read). */
  initializers: Record<string, { count: number; bytes: number }>;
  /** dtype of the weights feeding MatMul/Gemm/Conv, by bytes: e.g. { bf16: 0.9999, fp32: 0.0001 }. */
  heavyWeights: Record<string, number>;
  /** The dtype the heavy work computes in (the dominant heavy-weight dtype). */
  computeDtype: string;
  /** Deliberate fp32 parts: fp32 initializers of a half-precision graph, by name, and the islands the converter declared. */
  fp32Initializers: string[];
  islands: string[];
  /** Empty when the graph matches its claimed precision. */
  problems: string[];
  /** The source file's storage (from the manifest), with the note when it was 8-bit or less (fp8, GGUF). */
  source?: { label: string; quantised: boolean; note?: string };
}

export interface ModelAudit {
  dir: string;
  precision: Precision;
  components: ComponentAudit[];
  ok: boolean;
}

const BYTES: Record<string, number> = { fp32: 4, fp16: 2, bf16: 2, int64: 8, int32: 4, bool: 1 };

export function auditComponent(dir: string, manifest: Manifest, component: ComponentName): ComponentAudit {
  const info = manifest.components[component];
  if (!info) throw new EngineError('audit-missing-component', `${dir} has no ${component.toUpperCase()}`);
  const model = onnx.ModelProto.decode(fs.readFileSync(path.join(dir, info.file)));
  const graph = model.graph!;
  const initializers: ComponentAudit['initializers'] = {};
  const dtypeOf = new Map<string, string>();
  const bytesOf = new Map<string, number>();
  for (const t of graph.initializer ?? []) {
    const dt = DTYPE_NAMES[t.dataType ?? 0] ?? `type${t.dataType}`;
    const n = (t.dims ?? []).reduce((a: number, b) => a * Number(b), 1);
    const bytes = n * (BYTES[dt] ?? 4);
    dtypeOf.set(t.name!, dt);
    bytesOf.set(t.name!, bytes);
    initializers[dt] ??= { count: 0, bytes: 0 };
    initializers[dt].count++;
    initializers[dt].bytes += bytes;
  }
  const heavyBytes: Record<string, number> = {};
  for (const node of graph.node ?? []) {
    if (!HEAVY_OPS.has(node.opType!)) continue;
    for (const input of node.input ?? []) {
      const dt = dtypeOf.get(input);
      if (dt) heavyBytes[dt] = (heavyBytes[dt] ?? 0) + bytesOf.get(input)!;
    }
  }
  const total = Object.values(heavyBytes).reduce((a, b) => a + b, 0);
  const heavyWeights = Object.fromEntries(Object.entries(heavyBytes).map(([d, b]) => [d, total ? b / total : 0]));
  const computeDtype = Object.entries(heavyBytes).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
  const claimed = info.precision;
  const problems: string[] = [];
  const expected = EXPECTED[claimed];
  if (computeDtype !== expected) problems.push(`labelled ${claimed} but its heavy weights are ${computeDtype}`);
  const stray = Object.entries(heavyWeights).filter(([d, share]) => d !== expected && share > 0.001);
  if (computeDtype === expected && stray.length) problems.push(`labelled ${claimed} but ${stray.map(([d, s]) => `${(100 * s).toFixed(1)} % of its heavy weights are ${d}`).join(', ')}`);
  const fp32Initializers = expected === 'fp32' ? [] : [...dtypeOf].filter(([, d]) => d === 'fp32').map(([n]) => n);
  const sp = info.source.precision;
  const source = sp && { label: sp.label, quantised: sp.quantised, ...(sp.note ? { note: sp.note } : {}) };
  return { component, claimed, initializers, heavyWeights, computeDtype, fp32Initializers, islands: info.fp32Islands, problems, ...(source ? { source } : {}) };
}

/** Audits every component of a converted precision folder. */
export function auditModel(dir: string): ModelAudit {
  const manifest = readManifest(dir);
  const components = (Object.keys(manifest.components) as ComponentName[]).map((c) => auditComponent(dir, manifest, c));
  return { dir, precision: manifest.precision, components, ok: components.every((c) => c.problems.length === 0) };
}

/** Throws unless every component's graph holds what its label says. */
export function assertHonest(audit: ModelAudit): void {
  const bad = audit.components.filter((c) => c.problems.length);
  if (bad.length) {
    throw new EngineError('precision-mismatch', `${audit.dir}: ${bad.map((c) => `${c.component}: ${c.problems.join('; ')}`).join(' | ')}`, {
      hint: 'the files do not hold the precision their manifest claims: convert the model again with zimage convert',
    });
  }
}
