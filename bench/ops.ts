// Per-op cost of alternative formulations at Z-Image shapes (issue 6; bundled into dist/ops.mjs, run on the GPU
// host): for each case, a chain of K identical ops on a bf16 activation made on the GPU (a [1,1,width] fp32 input,
// cast and expanded, so graph I/O is a few KB), timed against the same graph with 0 ops; per op = the difference
// of the median wall times over K. The probes' method (shared/gpu/probes/ops_chain_*), with our graph builder.
// It measures and asserts nothing; it decides which formulation a graph builder should use.
//
//   node dist/ops.mjs [--tokens 4160] [--chain 30] [--reps 15] [--only name,name]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ElemType, Graph, MS_DOMAIN } from '../inference/onnx/graph.ts';
import { Session } from '../inference/runtime/onnx-runtime.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '4160' }, chain: { type: 'string', default: '30' }, reps: { type: 'string', default: '15' },
    only: { type: 'string', default: '' }, ep: { type: 'string', default: 'cuda' }, dtype: { type: 'string', default: 'bf16' },
  },
});
const S = Number(values.tokens), K = Number(values.chain), reps = Number(values.reps);
// --dtype fp32 --ep cpu: a smoke test of the graphs where there is no GPU
const BF16 = values.dtype === 'fp32' ? ElemType.FLOAT : ElemType.BFLOAT16;
const eps = { float: 1e-6 };

interface Case { name: string; shape: number[]; op: (g: Graph, x: string, x0: string) => string; rope?: boolean; opset?: number }
const w = (g: Graph, n: number) => g.constant(BF16, [n], Array.from({ length: n }, (_, i) => 1 + (i % 7) * 0.01), `w${n}`);
const f32Const = (g: Graph, n: number, v: number) => g.constant(ElemType.FLOAT, [n], new Array(n).fill(v), `f${n}_${v}`);
const flat3 = (g: Graph, x: string, rows: number, width: number) => g.op('Reshape', [x, g.int64([1, rows, width])]);
const cases: Case[] = [
  { name: 'RMSNormalization [S,3840]', shape: [1, S, 3840], op: (g, x) => g.op('RMSNormalization', [x, w(g, 3840)], { axis: -1, epsilon: eps, stash_type: 1 }) },
  { name: 'SimplifiedLayerNormalization [S,3840]', shape: [1, S, 3840], op: (g, x) => g.op('SimplifiedLayerNormalization', [x, w(g, 3840)], { axis: -1, epsilon: eps, stash_type: 1 }) },
  { name: 'SkipSimplifiedLayerNormalization [S,3840]', shape: [1, S, 3840], op: (g, x, x0) => g.node('SkipSimplifiedLayerNormalization', [x, x0, w(g, 3840)], { epsilon: eps }, { domain: MS_DOMAIN, outputs: 4, omit: [1, 2, 3] })[0] },
  { name: 'LayerNormalization [S,3840]', shape: [1, S, 3840], op: (g, x) => g.op('LayerNormalization', [x, w(g, 3840)], { axis: -1, epsilon: eps }) },
  { name: 'RMSNormalization qk [S,30,128]', shape: [1, S, 30, 128], op: (g, x) => g.op('RMSNormalization', [x, w(g, 128)], { axis: -1, epsilon: eps, stash_type: 1 }) },
  { name: 'SimplifiedLayerNormalization qk [S,30,128]', shape: [1, S, 30, 128], op: (g, x) => g.op('SimplifiedLayerNormalization', [x, w(g, 128)], { axis: -1, epsilon: eps, stash_type: 1 }) },
  {
    name: 'SkipSimplifiedLayerNormalization qk [S·30,128]', shape: [1, S, 30, 128],
    op: (g, x, x0) => g.op('Reshape', [g.node('SkipSimplifiedLayerNormalization', [flat3(g, x, S * 30, 128), flat3(g, x0, S * 30, 128), w(g, 128)], { epsilon: eps }, { domain: MS_DOMAIN, outputs: 4, omit: [1, 2, 3] })[0], g.int64([1, S, 30, 128])]),
  },
  {
    // the tables and positions are graph inputs (2 MB, the same in the 0-op graph, so they cancel out)
    name: 'RotaryEmbedding [S,3840]', shape: [1, S, 3840], rope: true,
    op: (g, x) => g.op('RotaryEmbedding', [x, 'cos_bf16', 'sin_bf16', 'pos'], { interleaved: 1, num_heads: 30 }),
  },
  { name: 'QuickGelu [S,10240]', shape: [1, S, 10240], op: (g, x) => g.op('QuickGelu', [x], { alpha: { float: 1 } }, undefined, MS_DOMAIN) },
  { name: 'Sigmoid [S,10240]', shape: [1, S, 10240], op: (g, x) => g.op('Sigmoid', [x]) },
  { name: 'SiLU as Mul(x, Sigmoid(x)) [S,10240]', shape: [1, S, 10240], op: (g, x) => g.op('Mul', [x, g.op('Sigmoid', [x])]) },
  { name: 'Swish (opset 24) [S,10240]', shape: [1, S, 10240], opset: 24, op: (g, x) => g.op('Swish', [x], { alpha: { float: 1 } }) },
  {
    // the DiT's attention (ORT_ENABLE_CUDNN_FLASH_ATTENTION=1 in the environment switches kernels)
    name: 'MultiHeadAttention [S,3840] 30×128', shape: [1, S, 3840],
    op: (g, x, x0) => g.op('MultiHeadAttention', [x, x0, x0], { num_heads: 30 }, undefined, MS_DOMAIN),
  },
  { name: 'Mul [S,10240]', shape: [1, S, 10240], op: (g, x, x0) => g.op('Mul', [x, x0]) },
  { name: 'Add [S,3840]', shape: [1, S, 3840], op: (g, x, x0) => g.op('Add', [x, x0]) },
  // VAE: onnxruntime's contrib GroupNorm (NHWC, optional fused SiLU) against the transposes it would need
  ...[0, 1].map((act): Case => ({
    name: `GroupNorm${act ? '+SiLU' : ''} contrib NHWC [512,512,128]`, shape: [1, 512, 512, 128],
    op: (g, x) => g.op('GroupNorm', [x, f32Const(g, 128, 1), f32Const(g, 128, 0)], { groups: 32, epsilon: eps, activation: act, channels_last: 1 }, undefined, MS_DOMAIN),
  })),
  { name: 'Transpose [128,512,512] → [512,512,128]', shape: [1, 128, 512, 512], op: (g, x) => g.op('Reshape', [g.op('Transpose', [x], { perm: [0, 2, 3, 1] }), g.int64([1, 128, 512, 512])]) },
  { name: 'Mul by [3840] [S,3840]', shape: [1, S, 3840], op: (g, x) => g.op('Mul', [x, w(g, 3840)]) },
];

function build(c: Case, k: number, file: string) {
  const g = new Graph(`ops_${k}`, c.opset);
  const width = c.shape.at(-1)!;
  const xin = g.input('x', ElemType.FLOAT, [1, 1, width]);
  const x0 = g.op('Expand', [g.op('Reshape', [g.op('Cast', [xin], { to: BF16 }), g.int64(c.shape.map((d, i) => (i === c.shape.length - 1 ? d : 1)))]), g.int64(c.shape)]);
  if (c.rope) {
    for (const t of ['cos', 'sin']) g.node('Cast', [g.input(t, ElemType.FLOAT, [S, 64])], { to: BF16 }, { name: `${t}_bf16` });
    g.input('pos', ElemType.INT64, [1, S]);
  }
  let x = x0;
  for (let i = 0; i < k; i++) x = c.op(g, x, x0);
  const first = g.op('Slice', [g.op('Reshape', [x, g.int64([1, -1, width])]), g.int64([0]), g.int64([1]), g.int64([1])]);
  g.output(g.op('Cast', [first], { to: ElemType.FLOAT }), 'y', ElemType.FLOAT, [1, 1, width]);
  g.write(file);
}

async function timeGraph(file: string, feeds: Parameters<Session['run']>[0]) {
  const s = await Session.create(file, { ep: values.ep as 'cuda' });
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    ms.push(performance.now() - t0);
  }
  await s.release();
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-'));
const only = values.only.split(',').filter(Boolean);
for (const c of cases.filter((c) => !only.length || only.some((o) => c.name.startsWith(o)))) {
  const width = c.shape.at(-1)!;
  const table = () => ({ type: 'float32' as const, dims: [S, 64], data: Float32Array.from({ length: S * 64 }, (_, i) => Math.cos(i * 0.01)) });
  const feeds = {
    x: { type: 'float32' as const, dims: [1, 1, width], data: Float32Array.from({ length: width }, (_, i) => Math.sin(i * 0.37)) },
    ...(c.rope ? { cos: table(), sin: table(), pos: { type: 'int64' as const, dims: [1, S], data: BigInt64Array.from({ length: S }, (_, i) => BigInt(i)) } } : {}),
  };
  try {
    const t: number[] = [];
    for (const k of [0, K]) {
      const file = path.join(dir, `${k}.onnx`);
      build(c, k, file);
      t.push(await timeGraph(file, feeds));
    }
    console.log(JSON.stringify({ op: c.name, tokens: S, chain: K, per_op_ms: (t[1] - t[0]) / K, base_ms: t[0], chain_ms: t[1] }));
  } catch (e) {
    console.log(JSON.stringify({ op: c.name, error: String((e as Error).message).slice(0, 300) }));
  }
}
fs.rmSync(dir, { recursive: true, force: true });
