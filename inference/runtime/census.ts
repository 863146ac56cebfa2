// The dtype census of a run, from onnxruntime's profile: nodes per execution provider, the nodes that ran on the
// CPU, and the share of the run's work per dtype — FLOPs and bytes computed from each node's recorded input and
// output types and shapes. The profile's durations are host-side times on the CUDA EP (shared/docs/gpu-host.md),
// so they are deliberately NOT used: the census weighs work by shapes, never by the profile's clock.
import fs from 'node:fs';

export interface ProfileNode {
  name: string;
  op: string;
  provider: string;
  inputs: { type: string; shape: number[] }[];
  outputs: { type: string; shape: number[] }[];
}

export interface Census {
  /** Node executions counted (a node run N times counts N times). */
  nodes: number;
  byProvider: Record<string, number>;
  /** Distinct nodes that ran on a provider other than the expected one. */
  offProvider: { name: string; op: string; provider: string }[];
  flopsByDtype: Record<string, number>;
  bytesByDtype: Record<string, number>;
  totalFlops: number;
  totalBytes: number;
  /** Share of FLOPs (0..1) per dtype. */
  flopShare: Record<string, number>;
}

type TypeShape = Record<string, number[]>;

/**
 * The node events of an onnxruntime profile file. onnxruntime writes one event per line, so only the lines of node
 * kernel events are parsed, one at a time: a whole-file JSON.parse of a full DiT generation's profile (tens of MB)
 * built an object graph big enough to slow the next generations down while the garbage collector cleared it.
 * A file not laid out that way is parsed whole.
 */
export function readProfile(file: string): ProfileNode[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines.length < 3 || lines[0].trim() !== '[') return parseProfile(JSON.parse(text) as ProfileEvent[]);
  const nodes: ProfileNode[] = [];
  for (const line of lines) {
    if (!line.includes('"Node"') || !line.includes('_kernel_time"')) continue;
    // each event dies young: only its ProfileNode lives on
    nodes.push(...parseProfile([JSON.parse(line.trimEnd().replace(/,$/, '')) as ProfileEvent]));
  }
  return nodes;
}

type ProfileEvent = { cat?: string; name?: string; args?: Record<string, unknown> };

export function parseProfile(events: ProfileEvent[]): ProfileNode[] {
  const nodes: ProfileNode[] = [];
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args) continue;
    const ts = (v: unknown) => ((v as TypeShape[] | undefined) ?? []).map((o) => {
      const [type, shape] = Object.entries(o)[0] ?? ['unknown', []];
      return { type, shape };
    });
    nodes.push({
      name: e.name.slice(0, -'_kernel_time'.length),
      op: String(e.args.op_name),
      provider: String(e.args.provider).replace('ExecutionProvider', '').toLowerCase(),
      inputs: ts(e.args.input_type_shape),
      outputs: ts(e.args.output_type_shape),
    });
  }
  return nodes;
}

const BYTES: Record<string, number> = { float: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, bool: 1, uint8: 1, int8: 1, double: 8 };
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** FLOPs of one node from its shapes: matrix and attention work exactly, everything else one per output element. */
export function nodeFlops(n: ProfileNode): number {
  const [a, b] = n.inputs;
  const out = n.outputs[0]?.shape ?? [];
  switch (n.op) {
    case 'MatMul': case 'FusedMatMul': case 'Gemm': {
      if (!a || !b) return 0;
      const k = a.shape[a.shape.length - 1];
      return 2 * prod(out) * k;
    }
    case 'Conv': case 'FusedConv': case 'NhwcConv':
      return b ? 2 * prod(out) * prod(b.shape.slice(1)) : 0;
    case 'MultiHeadAttention': case 'Attention': {
      const q = a?.shape ?? [], k = b?.shape ?? [];
      if (q.length === 3) return 4 * q[0] * q[1] * k[1] * q[2]; // [B,S,H·D] × [B,Sk,H·D]
      if (q.length === 4) return 4 * q[0] * q[1] * q[2] * k[2] * q[3]; // [B,H,S,D]
      return 0;
    }
    default:
      return prod(out);
  }
}

/** Bytes a node reads and writes, from its recorded input and output shapes. */
export function nodeBytes(n: ProfileNode): number {
  return [...n.inputs, ...n.outputs].reduce((s, t) => s + prod(t.shape) * (BYTES[t.type] ?? 4), 0);
}

/** The dtype a node computes in: its first floating-point input (Cast: its output). */
export function nodeDtype(n: ProfileNode): string {
  if (n.op === 'Cast') return n.outputs[0]?.type ?? 'unknown';
  return n.inputs.find((i) => ['float', 'float16', 'bfloat16', 'double'].includes(i.type))?.type ?? n.inputs[0]?.type ?? 'unknown';
}

export function census(nodes: ProfileNode[], expectedProvider: string): Census {
  const c: Census = { nodes: 0, byProvider: {}, offProvider: [], flopsByDtype: {}, bytesByDtype: {}, totalFlops: 0, totalBytes: 0, flopShare: {} };
  const seenOff = new Set<string>();
  for (const n of nodes) {
    c.nodes++;
    c.byProvider[n.provider] = (c.byProvider[n.provider] ?? 0) + 1;
    if (n.provider !== expectedProvider && !seenOff.has(n.name)) {
      seenOff.add(n.name);
      c.offProvider.push({ name: n.name, op: n.op, provider: n.provider });
    }
    const dt = nodeDtype(n);
    const flops = nodeFlops(n);
    const bytes = nodeBytes(n);
    c.flopsByDtype[dt] = (c.flopsByDtype[dt] ?? 0) + flops;
    c.bytesByDtype[dt] = (c.bytesByDtype[dt] ?? 0) + bytes;
    c.totalFlops += flops;
    c.totalBytes += bytes;
  }
  for (const [dt, f] of Object.entries(c.flopsByDtype)) c.flopShare[dt] = c.totalFlops ? f / c.totalFlops : 0;
  return c;
}

/** One line per fact, for the CLI and the closing notes. */
export function formatCensus(c: Census): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const lines = [
    `nodes run: ${c.nodes} (${Object.entries(c.byProvider).map(([p, n]) => `${p} ${n}`).join(', ')})`,
    `work: ${(c.totalFlops / 1e12).toFixed(3)} TFLOP, ${(c.totalBytes / 2 ** 30).toFixed(2)} GiB moved`,
    `FLOPs by dtype: ${Object.entries(c.flopShare).sort((a, b) => b[1] - a[1]).map(([d, s]) => `${d} ${pct(s)}`).join(', ')}`,
    `bytes by dtype: ${Object.entries(c.bytesByDtype).sort((a, b) => b[1] - a[1]).map(([d, s]) => `${d} ${pct(s / c.totalBytes)}`).join(', ')}`,
  ];
  if (c.offProvider.length) lines.push(`off the expected provider (${c.offProvider.length}): ${c.offProvider.slice(0, 10).map((n) => `${n.op} ${n.name}@${n.provider}`).join(', ')}`);
  return lines.join('\n');
}

export interface Verdict {
  /** green: the requested precision did the work, all on the requested EP; amber: < 95 % of FLOPs, or any node
   *  off the EP; red: the requested precision did not run (its dtype does not carry the work). */
  level: 'green' | 'amber' | 'red';
  /** Badge text, e.g. "BF16 · 99.9 % of FLOPs · CUDA". */
  text: string;
  /** Why it is amber or red. */
  reasons: string[];
}

const DTYPE_OF: Record<string, string> = { bf16: 'bfloat16', fp16: 'float16', 'fp16-safe': 'float16', fp32: 'float' };
const LABEL: Record<string, string> = { bf16: 'BF16', fp16: 'FP16', 'fp16-safe': 'FP16-safe', fp32: 'FP32' };

/** The badge for a run: the requested precision's share of the FLOPs, and every node on the requested EP. */
export function verdict(c: Census, precision: string, ep: string): Verdict {
  const share = c.flopShare[DTYPE_OF[precision] ?? precision] ?? 0;
  const pct = share >= 0.9995 ? (100 * share).toFixed(2) : (100 * share).toFixed(1);
  const text = `${LABEL[precision] ?? precision.toUpperCase()} · ${pct} % of FLOPs · ${ep.toUpperCase()}`;
  const reasons: string[] = [];
  const top = Object.entries(c.flopShare).sort((a, b) => b[1] - a[1])[0];
  if (!top || top[0] !== DTYPE_OF[precision]) {
    reasons.push(`${precision} did not run: ${top ? `${(100 * top[1]).toFixed(1)} % of the FLOPs ran in ${top[0]}` : 'no work recorded'}`);
    return { level: 'red', text, reasons };
  }
  if (share < 0.95) reasons.push(`only ${pct} % of the FLOPs ran in ${precision}`);
  const off = c.offProvider.filter((n) => n.provider !== ep);
  if (off.length) reasons.push(`${off.length} node${off.length > 1 ? 's' : ''} ran on ${[...new Set(off.map((n) => n.provider.toUpperCase()))].join(', ')}: ${off.slice(0, 3).map((n) => n.op).join(', ')}${off.length > 3 ? ' …' : ''}`);
  return { level: reasons.length ? 'amber' : 'green', text, reasons };
}

/** Merges the censuses of several sessions (te, dit, vae) into one for the whole generation. */
export function mergeCensus(parts: Census[]): Census {
  const out: Census = { nodes: 0, byProvider: {}, offProvider: [], flopsByDtype: {}, bytesByDtype: {}, totalFlops: 0, totalBytes: 0, flopShare: {} };
  for (const c of parts) {
    out.nodes += c.nodes;
    for (const [k, v] of Object.entries(c.byProvider)) out.byProvider[k] = (out.byProvider[k] ?? 0) + v;
    out.offProvider.push(...c.offProvider);
    for (const [k, v] of Object.entries(c.flopsByDtype)) out.flopsByDtype[k] = (out.flopsByDtype[k] ?? 0) + v;
    for (const [k, v] of Object.entries(c.bytesByDtype)) out.bytesByDtype[k] = (out.bytesByDtype[k] ?? 0) + v;
    out.totalFlops += c.totalFlops;
    out.totalBytes += c.totalBytes;
  }
  for (const [k, v] of Object.entries(out.flopsByDtype)) out.flopShare[k] = out.totalFlops ? v / out.totalFlops : 0;
  return out;
}
