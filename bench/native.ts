// GPU checks and timings of the native session (issue 20; bundled into dist/native.mjs, run on the GPU host by
// bench/native.sh). One JSON line per result; it measures and compares, it asserts nothing (the script and
// the report read the numbers).
//   kernels                      fused ops (native/kernels) against the unfused graphs they replace, at Z-Image
//                                shapes, bf16, fresh random inputs per check, outputs poisoned first: relative L2
//                                error of each against an fp64 reference from the same bf16 inputs, fused vs unfused,
//                                and the time per run of each graph (CUDA graph replay, median).
//   dit --dir D --mode M         the DiT of converted folder D: M = ort (onnxruntime-node, host I/O, today's path),
//                                native (IO binding on device), graph (+ CUDA graph), with the kernels whenever D was
//                                converted with --graph kernels=1. --in/--ref: parity against a reference velocity
//                                (diffusers' bf16 from scripts/reference/components.py) and, with --against, against
//                                another mode's output. Otherwise per-step wall time (median of --reps), an 8-step
//                                denoise loop on device (native modes), and the device memory peak.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DitRunner } from '../inference/runners.ts';
import { readManifest } from '../inference/convert.ts';
import { NativeDitRunner } from '../inference/native-dit.ts';
import { ElemType, Graph, MS_DOMAIN } from '../inference/onnx/graph.ts';
import { kernelLibraryPath, NativeSession, deviceMemory } from '../inference/runtime/native-session.ts';
import { Checkpoint, f32Tensor, writeSafetensors, bf16BitsToF32, f32ToBf16Bits } from '../inference/safetensors.ts';
import { ZIMAGE_DOMAIN } from '../inference/models/blocks.ts';
import { census, readProfile } from '../inference/runtime/census.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' }, ep: { type: 'string', default: 'cuda' }, mode: { type: 'string', default: 'graph' }, reps: { type: 'string', default: '10' },
    size: { type: 'string', default: '1024' }, tokens: { type: 'string', default: '40' },
    profile: { type: 'boolean', default: false }, in: { type: 'string' }, ref: { type: 'string' }, out: { type: 'string' }, against: { type: 'string' }, tmp: { type: 'string', default: '/tmp' },
  },
});
const reps = Number(values.reps);
const emit = (o: object) => console.log(JSON.stringify(o));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let seed = 1234567;
function randn(n: number, scale = 1): Float32Array { // fresh values per call (xorshift + Box-Muller)
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    const u1 = ((seed >>> 0) + 1) / 4294967297;
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    const u2 = (seed >>> 0) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1)) * scale;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
const bf16 = (x: Float32Array) => Float32Array.from(x, (v) => bf16BitsToF32(f32ToBf16Bits(v)));
function relErr(a: ArrayLike<number>, ref: ArrayLike<number>) {
  let num = 0, den = 0, max = 0, nonFinite = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(a[i])) { nonFinite++; continue; }
    const d = a[i] - ref[i];
    num += d * d; den += ref[i] * ref[i]; max = Math.max(max, Math.abs(d));
  }
  return { rel_l2: Math.sqrt(num / den), max_abs: max, non_finite: nonFinite };
}
function cosine(a: ArrayLike<number>, b: ArrayLike<number>) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

/** Runs a graph on the native CUDA session: inputs written, output poisoned, one checked run, then timed replays. */
async function runGraph(file: string, feeds: Record<string, { type: 'float32' | 'int64'; dims: number[]; data: Float32Array | BigInt64Array }>, outDims: number[], kernels: boolean) {
  const s = NativeSession.create(file, { ep: 'cuda', cuda: { enable_cuda_graph: '1' }, customOps: kernels ? [kernelLibraryPath()] : [] });
  for (const [n, t] of Object.entries(feeds)) { s.bind(n, 'input', t.type, t.dims); s.write(n, t.data); }
  s.bind('y', 'output', 'float32', outDims);
  s.write('y', new Float32Array(outDims.reduce((a, b) => a * b, 1)).fill(Number.NaN));
  await s.run();
  const y = s.read('y') as Float32Array;
  for (let i = 0; i < 3; i++) await s.run(); // warm-up runs, then the captured graph replays
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) { const t0 = performance.now(); await s.run(); ms.push(performance.now() - t0); }
  const again = s.read('y') as Float32Array; // the replays computed the same thing
  let same = true;
  for (let i = 0; i < y.length; i++) if (y[i] !== again[i] && !(Number.isNaN(y[i]) && Number.isNaN(again[i]))) { same = false; break; }
  s.release();
  return { y, ms: median(ms), replay_identical: same };
}

async function kernels() {
  const dir = fs.mkdtempSync(`${values.tmp}/native-kernels-`);
  // SwiGLU at the DiT's feed-forward shape: [4224 tokens, 10240]
  {
    const [S, F] = [4224, 10240];
    const mk = (fused: boolean) => {
      const g = new Graph(fused ? 'swiglu_fused' : 'swiglu');
      const a = g.op('Cast', [g.input('a', ElemType.FLOAT, [S, F])], { to: ElemType.BFLOAT16 });
      const b = g.op('Cast', [g.input('b', ElemType.FLOAT, [S, F])], { to: ElemType.BFLOAT16 });
      const h = fused ? g.op('SwiGLU', [a, b], {}, 'swiglu', ZIMAGE_DOMAIN)
        : g.op('Mul', [g.op('QuickGelu', [a], { alpha: { float: 1 } }, 'silu', MS_DOMAIN), b]);
      g.output(g.op('Cast', [h], { to: ElemType.FLOAT }), 'y', ElemType.FLOAT, [S, F]);
      const file = `${dir}/${g.name}.onnx`;
      g.write(file);
      return file;
    };
    const a = bf16(randn(S * F, 2)), b = bf16(randn(S * F));
    const ref = new Float64Array(S * F);
    for (let i = 0; i < ref.length; i++) ref[i] = (a[i] / (1 + Math.exp(-a[i]))) * b[i];
    const feeds = { a: { type: 'float32' as const, dims: [S, F], data: a }, b: { type: 'float32' as const, dims: [S, F], data: b } };
    const u = await runGraph(mk(false), feeds, [S, F], false);
    const f = await runGraph(mk(true), feeds, [S, F], true);
    emit({ check: 'kernel', op: 'SwiGLU', shape: [S, F], unfused_vs_fp64: relErr(u.y, ref), fused_vs_fp64: relErr(f.y, ref), fused_vs_unfused: relErr(f.y, u.y),
      unfused_ms: u.ms, fused_ms: f.ms, replay_identical: u.replay_identical && f.replay_identical, note: 'ms: whole graph (2 input casts + op + output cast) per replay' });
  }
  // qk-RMSNorm + RoPE at the DiT's attention shape: [1, 4224, 30·128], interleaved pairs, bf16 tables
  {
    const [S, H, D, eps] = [4224, 30, 128, 1e-5];
    const w = bf16(randn(D, 0.3).map((v) => 1 + v));
    const mk = (fused: boolean) => {
      const g = new Graph(fused ? 'qk_fused' : 'qk');
      const x = g.op('Cast', [g.input('x', ElemType.FLOAT, [1, S, H * D])], { to: ElemType.BFLOAT16 });
      const cos = g.op('Cast', [g.input('cos', ElemType.FLOAT, [S, D / 2])], { to: ElemType.BFLOAT16 });
      const sin = g.op('Cast', [g.input('sin', ElemType.FLOAT, [S, D / 2])], { to: ElemType.BFLOAT16 });
      const pos = g.input('pos', ElemType.INT64, [1, S]);
      const wt = g.constant(ElemType.BFLOAT16, [D], Array.from(w), 'norm_w');
      let y: string;
      if (fused) y = g.op('QkNormRope', [x, wt, cos, sin, pos], { num_heads: H, epsilon: { float: eps } }, 'qk', ZIMAGE_DOMAIN);
      else {
        const h4 = g.op('Reshape', [x, g.int64([0, 0, H, D])]);
        const n = g.op('RMSNormalization', [h4, wt], { axis: -1, epsilon: { float: eps }, stash_type: 1 });
        y = g.op('RotaryEmbedding', [g.op('Reshape', [n, g.int64([0, 0, H * D])]), cos, sin, pos], { interleaved: 1, num_heads: H });
      }
      g.output(g.op('Cast', [y], { to: ElemType.FLOAT }), 'y', ElemType.FLOAT, [1, S, H * D]);
      const file = `${dir}/${g.name}.onnx`;
      g.write(file);
      return file;
    };
    const x = bf16(randn(S * H * D, 3));
    // tables like the DiT's: angles per (position, pair); positions shuffled so a wrong index shows
    const cos = new Float32Array(S * D / 2), sin = new Float32Array(S * D / 2);
    for (let p = 0; p < S; p++) for (let j = 0; j < D / 2; j++) { const a = p * 0.37 * Math.pow(256, -2 * (j % 16) / 32) + j; cos[p * D / 2 + j] = Math.cos(a); sin[p * D / 2 + j] = Math.sin(a); }
    const [cb, sb] = [bf16(cos), bf16(sin)];
    const pos = BigInt64Array.from({ length: S }, (_, i) => BigInt((i * 7919) % S));
    const ref = new Float64Array(S * H * D);
    for (let r = 0; r < S * H; r++) {
      const s = Math.floor(r / H), at = Number(pos[s]);
      let ss = 0;
      for (let d = 0; d < D; d++) ss += x[r * D + d] ** 2;
      const inv = 1 / Math.sqrt(ss / D + eps);
      for (let j = 0; j < D / 2; j++) {
        const a = x[r * D + 2 * j] * inv * w[2 * j], b = x[r * D + 2 * j + 1] * inv * w[2 * j + 1];
        const c = cb[at * D / 2 + j], sn = sb[at * D / 2 + j];
        ref[r * D + 2 * j] = a * c - b * sn;
        ref[r * D + 2 * j + 1] = a * sn + b * c;
      }
    }
    const feeds = {
      x: { type: 'float32' as const, dims: [1, S, H * D], data: x }, cos: { type: 'float32' as const, dims: [S, D / 2], data: cos },
      sin: { type: 'float32' as const, dims: [S, D / 2], data: sin }, pos: { type: 'int64' as const, dims: [1, S], data: pos },
    };
    const u = await runGraph(mk(false), feeds, [1, S, H * D], false);
    const f = await runGraph(mk(true), feeds, [1, S, H * D], true);
    emit({ check: 'kernel', op: 'QkNormRope', shape: [1, S, H * D], heads: H, unfused_vs_fp64: relErr(u.y, ref), fused_vs_fp64: relErr(f.y, ref), fused_vs_unfused: relErr(f.y, u.y),
      unfused_ms: u.ms, fused_ms: f.ms, replay_identical: u.replay_identical && f.replay_identical, note: 'ms: whole graph (3 input casts + ops + output cast) per replay' });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

async function dit() {
  const dir = values.dir!;
  const mode = values.mode!;
  const m = readManifest(dir);
  const cfg = m.components.dit!.config as { inChannels: number; capFeatDim: number; layers: number };
  let x: Float32Array, t: number, cap: Float32Array, h: number, w: number, L: number;
  if (values.in) {
    const input = Checkpoint.open(values.in);
    [, , h, w] = input.get('x').shape;
    L = input.get('cap_feats').shape[0];
    x = input.readF32('x'); t = input.readF32('t')[0]; cap = input.readF32('cap_feats');
  } else {
    h = w = Number(values.size) / 8; L = Number(values.tokens);
    x = randn(cfg.inChannels * h * w); t = 0.4; cap = randn(L * cfg.capFeatDim, 0.5);
  }
  const mem = () => { if (values.ep === 'cpu') return 0; const d = deviceMemory(); return d ? (d.total - d.free) / 2 ** 20 : 0; };
  const base = mem();
  let peak = base;
  const t0 = performance.now();
  let velocity: () => Promise<Float32Array>;
  let loop: ((steps: number) => Promise<number>) | undefined;
  let release: () => Promise<void> | void;
  if (mode === 'ort') {
    const r = await DitRunner.load(dir, m, { ep: values.ep as 'cuda' | 'cpu' });
    velocity = () => r.velocity(x, h, w, t, cap, L);
    release = () => r.release();
  } else {
    const profilePrefix = values.profile ? `${values.tmp}/native-dit-prof` : undefined;
    const r = NativeDitRunner.load(dir, h, w, L, { ep: values.ep as 'cuda' | 'cpu', cudaGraph: mode === 'graph', profilePrefix }, m);
    r.setCaption(cap);
    if (profilePrefix) { // the census of one profiled step: custom ops count like any node (provider, dtype, work)
      r.setLatents(x);
      await r.step(t);
      const nodes = readProfile(r.session.endProfiling());
      const c = census(nodes, values.ep!);
      const custom: Record<string, number> = {};
      for (const n of nodes) if (n.op === 'SwiGLU' || n.op === 'QkNormRope') custom[`${n.op}@${n.provider}`] = (custom[`${n.op}@${n.provider}`] ?? 0) + 1;
      emit({ check: 'census', dir, nodes: c.nodes, by_provider: c.byProvider, off_provider: c.offProvider.length, flop_share: c.flopShare, custom_op_nodes: custom });
    }
    velocity = async () => { r.setLatents(x); await r.step(t); return r.velocity(); };
    loop = async (steps: number) => { // latents written once, velocities never leave the GPU, latents read at the end
      const sig = Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
      const s0 = performance.now();
      r.setLatents(x);
      for (let i = 0; i < steps; i++) { await r.step(1 - sig[i]); r.euler(sig[i], sig[i + 1]); peak = Math.max(peak, mem()); }
      r.latents();
      return performance.now() - s0;
    };
    release = () => r.release();
  }
  const loadMs = performance.now() - t0;
  const first = await velocity();
  peak = Math.max(peak, mem());
  const out: Record<string, unknown> = { check: 'dit', mode, kernels: m.components.dit!.opTypes.some((o) => o.startsWith('zimage:')), dir, layers: cfg.layers, h, w, tokens: L, load_ms: loadMs };
  if (values.ref) out.vs_reference = { cosine: cosine(first, Checkpoint.open(values.ref).readF32('v')), ...relErr(first, Checkpoint.open(values.ref).readF32('v')) };
  for (let i = 0; i < 3; i++) await velocity(); // warm-up (CUDA graph: capture happens here)
  const again = await velocity();
  out.cosine_first_vs_replay = cosine(first, again);
  if (values.against) out.vs_against = { file: values.against, cosine: cosine(again, Checkpoint.open(values.against).readF32('v')) };
  if (values.out) writeSafetensors(values.out, [f32Tensor('v', [1, cfg.inChannels, h, w], again)], { mode });
  if (!values.in) {
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) { const s = performance.now(); await velocity(); ms.push(performance.now() - s); peak = Math.max(peak, mem()); }
    out.dit_ms_per_step = median(ms);
    out.runs_ms = ms.map((v) => Math.round(v * 100) / 100);
    if (loop) { await loop(8); const l = await loop(8); out.loop8_ms = l; out.loop8_ms_per_step = l / 8; }
  }
  out.device_mib_before_load = base;
  out.peak_device_mib = peak;
  out.vram_scope = 'cudaMemGetInfo: device memory in use (this process incl. its CUDA context), sampled after each run';
  await release();
  emit(out);
}

if (positionals[0] === 'kernels') await kernels();
else if (positionals[0] === 'dit') await dit();
else throw new Error('usage: native.mjs kernels | dit --dir D --mode ort|native|graph [--in IN --ref REF --out OUT --against FILE]');
