// The reference formulations of the Z-Image DiT graph, for tests and benchmarks only: the DiT builder as it was
// before one formulation shipped, with every switch of GraphOptions — the RoPE island in fp32 instead of the
// RotaryEmbedding op (ropeOp), the spelled-out block with separate norm, scale and residual ops (fusedNorms), plain
// RMSNormalization instead of the contrib skip-norm kernel (skipNorm), and the adaLN modulation per block instead of
// one batched GEMM (modBatch). With the shipped switches it builds the very graph inference/models/z-image-dit.ts
// builds (inference/models/reference/reference.test.ts checks node for node and output for output); the others are
// what bench/ measures the shipped one against and what the golden tests check against PyTorch.
// It deliberately is not imported by the product path (convert, pipeline, studio): convert() takes it as an override.
import { ElemType } from '../../onnx/graph.ts';
import { BuildContext, f32Input, int64Input, linear, mha, rmsNorm, rmsNormFast, rmsNormScaled, rope, ropeOp, silu, skipRmsNorm, swiglu, clampFp16, type GraphOptions } from '../blocks.ts';
import { DIT_AUX, type DitConfig } from '../z-image-dit.ts';

const FREQ_EMBED = 256;

export function buildDitReference(ctx: BuildContext, cfg: DitConfig, forms: GraphOptions): void {
  const g = ctx.g;
  const { dim, heads, headDim, inChannels: C, patch: p } = cfg;
  const half = headDim / 2;
  // The residual stream's dtype: fp32 in fp16-safe plans (an fp16 residual overflows on real weights).
  const res = ctx.plan.guards ? 'F32' : ctx.compute;
  const x = f32Input(g, 'x', [1, C, 'h', 'w']);
  const t = f32Input(g, 't', [1]);
  const cap = f32Input(g, 'cap_feats', ['L', cfg.capFeatDim]);
  const aux = Object.fromEntries(DIT_AUX.map((n) => [n, ''])) as Record<(typeof DIT_AUX)[number], string>;
  aux.patch_shape = int64Input(g, 'patch_shape', 5);
  aux.img_pads = int64Input(g, 'img_pads', 6);
  aux.img_keep = f32Input(g, 'img_keep', [1, 'Ni', 1]);
  aux.cap_pads = int64Input(g, 'cap_pads', 4);
  aux.cap_keep = f32Input(g, 'cap_keep', [1, 'Lp', 1]);
  for (const part of ['img', 'cap'] as const) {
    const S = part === 'img' ? 'Ni' : 'Lp';
    aux[`rope_${part}_cos`] = f32Input(g, `rope_${part}_cos`, [S, half]);
    aux[`rope_${part}_sin`] = f32Input(g, `rope_${part}_sin`, [S, half]);
  }
  if (forms.ropeOp) {
    // RotaryEmbedding's position ids [1,S] (0..S−1) index the per-token tables.
    aux.rope_img_pos = g.input('rope_img_pos', ElemType.INT64, [1, 'Ni']);
    aux.rope_cap_pos = g.input('rope_cap_pos', ElemType.INT64, [1, 'Lp']);
    aux.rope_all_pos = g.input('rope_all_pos', ElemType.INT64, [1, 'S']);
  }
  aux.img_tokens = int64Input(g, 'img_tokens', 1);
  aux.unpatch_shape = int64Input(g, 'unpatch_shape', 5);
  aux.latent_shape = int64Input(g, 'latent_shape', 4);

  // 1. timestep → c [1, adalnDim]: fp32 sinusoid (cos first), then the MLP in the compute dtype.
  const freqs = Float32Array.from({ length: FREQ_EMBED / 2 }, (_, i) => Math.exp((-Math.log(10000) * i) / (FREQ_EMBED / 2)));
  const args = g.op('Mul', [g.op('Unsqueeze', [g.op('Mul', [t, g.scalar(cfg.tScale, ElemType.FLOAT)]), g.int64([1])]),
    g.constant(ElemType.FLOAT, [1, FREQ_EMBED / 2], freqs, 't_freqs')]);
  let temb = g.op('Concat', [g.op('Cos', [args]), g.op('Sin', [args])], { axis: -1 });
  if (ctx.compute !== 'F32') temb = ctx.cast(temb, ctx.compute);
  const tHidden = silu(ctx, linear(ctx, temb, 't_embedder.mlp.0', FREQ_EMBED, cfg.tMid, true));
  const c = linear(ctx, tHidden, 't_embedder.mlp.2', cfg.tMid, cfg.adalnDim, true); // [1, adalnDim]

  // 2. patchify: [1,C,h,w] → [C,Ht,2,Wt,2] → [Ht,Wt,2,2,C] → [1,N,4C]; pad to Ni (multiple of 32).
  // (Pad has no bf16 CUDA kernel: patchify and pad in fp32, then cast; the reference casts first, same values.)
  let xc = g.op('Transpose', [g.op('Reshape', [x, aux.patch_shape])], { perm: [1, 3, 2, 4, 0] });
  xc = g.op('Pad', [g.op('Reshape', [xc, g.int64([1, -1, p * p * C])]), aux.img_pads]);
  if (ctx.compute !== 'F32') xc = ctx.cast(xc, ctx.compute);
  // 3. embed, then replace pad positions by x_pad_token ([1,Ni,dim]).
  let xi = linear(ctx, xc, 'all_x_embedder.2-1', p * p * C, dim, true);
  xi = replacePads(ctx, xi, aux.img_keep, 'x_pad_token', dim);
  // RoPE tables: [S, D/2] in the compute dtype for the RotaryEmbedding op, or [1,S,1,D/2,1] fp32 for the island.
  const ropeT = (cos: string) => (forms.ropeOp
    ? (ctx.compute === 'F32' ? cos : ctx.cast(cos, ctx.compute))
    : g.op('Reshape', [cos, g.int64([1, -1, 1, half, 1])]));
  const imgRope: Rope = { cos: ropeT(aux.rope_img_cos), sin: ropeT(aux.rope_img_sin), pos: aux.rope_img_pos };
  const capRope: Rope = { cos: ropeT(aux.rope_cap_cos), sin: ropeT(aux.rope_cap_sin), pos: aux.rope_cap_pos };
  if (res !== ctx.compute) xi = ctx.cast(xi, res);
  const modulated = [...range(cfg.refinerLayers).map((i) => `noise_refiner.${i}`), ...range(cfg.layers).map((i) => `layers.${i}`)];
  const folded = forms.modBatch && forms.fusedNorms && !ctx.plan.guards ? batchedModulation(ctx, cfg, c, modulated) : undefined;
  const refine = (s: Stream, prefix: string, r: Rope, cond: string | undefined, n: number) => {
    for (let i = 0; i < n; i++) s = block(ctx, cfg, forms, s, `${prefix}.${i}`, r, cond && (folded ?? cond));
    return settle(ctx, s);
  };
  xi = refine({ x: xi }, 'noise_refiner', imgRope, c, cfg.refinerLayers);

  // 4. captions: pad rows to Lp, embed (RMSNorm → Linear), replace pads by cap_pad_token, refine.
  let cc = g.op('Unsqueeze', [g.op('Pad', [cap, aux.cap_pads]), g.int64([0])]); // [1,Lp,capDim]
  if (ctx.compute !== 'F32') cc = ctx.cast(cc, ctx.compute);
  cc = linear(ctx, rmsNorm(ctx, cc, 'cap_embedder.0.weight', cfg.capFeatDim, cfg.normEps), 'cap_embedder.1', cfg.capFeatDim, dim, true);
  cc = replacePads(ctx, cc, aux.cap_keep, 'cap_pad_token', dim);
  if (res !== ctx.compute) cc = ctx.cast(cc, res);
  cc = refine({ x: cc }, 'context_refiner', capRope, undefined, cfg.refinerLayers);

  // 5. unified sequence [image, caption] through the main layers.
  let u = g.op('Concat', [xi, cc], { axis: 1 });
  const axis = forms.ropeOp ? 0 : 1;
  const uRope: Rope = { cos: g.op('Concat', [imgRope.cos, capRope.cos], { axis }), sin: g.op('Concat', [imgRope.sin, capRope.sin], { axis }), pos: aux.rope_all_pos };
  u = refine({ x: u }, 'layers', uRope, c, cfg.layers);

  // 6. final layer: LayerNorm (no affine, eps 1e-6) · (1 + Linear(SiLU(c))) → Linear → [1,S,4C].
  if (res !== ctx.compute) u = ctx.cast(u, ctx.compute);
  const ones = g.constant(ctx.elem, [dim], new Array(dim).fill(1), 'ln_ones');
  const normed = g.op('LayerNormalization', [u, ones], { axis: -1, epsilon: { float: 1e-6 } }, 'final_norm');
  const scale = g.op('Add', [ctx.scalar(1), linear(ctx, silu(ctx, c), 'all_final_layer.2-1.adaLN_modulation.1', cfg.adalnDim, dim, true)]);
  let o = linear(ctx, g.op('Mul', [normed, g.op('Unsqueeze', [scale, g.int64([1])])]), 'all_final_layer.2-1.linear', dim, p * p * C, true);

  // 7. unpatchify the first N (real image) tokens: [1,N,4C] → [Ht,Wt,2,2,C] → [C,Ht,2,Wt,2] → [1,C,h,w].
  o = g.op('Slice', [o, g.int64([0]), aux.img_tokens, g.int64([1])]);
  o = g.op('Transpose', [g.op('Reshape', [o, aux.unpatch_shape])], { perm: [4, 0, 2, 1, 3] });
  o = g.op('Reshape', [o, aux.latent_shape]);
  if (ctx.compute !== 'F32') o = ctx.cast(o, 'F32');
  g.output(o, 'v', ElemType.FLOAT, [1, C, 'h', 'w']);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Norm weight key → that norm's weight with its block's adaLN modulation folded in ([dim], per step). */
type FoldedWeights = Map<string, string>;

/**
 * The adaLN modulation of the blocks `prefixes` at once (GraphOptions.modBatch): their weights as one GEMM whose
 * output holds every block's scales, then every block's gates; 1 + scale and tanh(gate), each times the norm weights
 * it folds into, as one pass over all blocks; then split into the [dim] weight of each norm. The per-block form (see
 * fusedBlock) computes the same values with ~10 tiny kernels per block.
 */
function batchedModulation(ctx: BuildContext, cfg: DitConfig, c: string, prefixes: string[]): FoldedWeights {
  const g = ctx.g;
  const { dim } = cfg;
  // per block, rows of adaLN_modulation.0 (out = 4·dim): [0,dim) scale_msa, [dim,2dim) gate_msa, then scale_mlp, gate_mlp
  const rowsOf = (suffix: string, kind: 'scale' | 'gate') => prefixes.flatMap((p) => [0, 2].map((k) => {
    const at = (k + (kind === 'gate' ? 1 : 0)) * dim;
    return { key: `${p}.adaLN_modulation.0.${suffix}`, rows: [at, at + dim] as [number, number] };
  }));
  const normKeys = (kind: 'scale' | 'gate') => prefixes.flatMap((p) => (kind === 'scale'
    ? [`${p}.attention_norm1.weight`, `${p}.ffn_norm1.weight`] : [`${p}.attention_norm2.weight`, `${p}.ffn_norm2.weight`]));
  const n = prefixes.length * 2 * dim;
  const w = ctx.weightRows('adaLN_modulation.all.weight', [...rowsOf('weight', 'scale'), ...rowsOf('weight', 'gate')], cfg.adalnDim, { transpose: true });
  const b = ctx.weightRows('adaLN_modulation.all.bias', [...rowsOf('bias', 'scale'), ...rowsOf('bias', 'gate')], undefined);
  const m = g.op('Add', [g.op('MatMul', [c, w], {}, 'adaLN_modulation.all.mm'), b], {}, 'adaLN_modulation.all.out'); // [1, 2n]
  const [scale, gate] = g.node('Split', [g.op('Reshape', [m, g.int64([2 * n])]), g.int64([n, n])], { axis: 0 }, { outputs: 2, name: 'adaLN_modulation.all.split' });
  const norms = (kind: 'scale' | 'gate') => ctx.weightRows(`norm_${kind}.all.weight`, normKeys(kind).map((key) => ({ key, rows: [0, dim] as [number, number] })), undefined);
  const folded = new Map<string, string>();
  for (const kind of ['scale', 'gate'] as const) {
    const mod = kind === 'scale' ? g.op('Add', [ctx.scalar(1), scale]) : g.op('Tanh', [gate]);
    const keys = normKeys(kind);
    const parts = g.node('Split', [g.op('Mul', [norms(kind), mod]), g.int64(keys.map(() => dim))], { axis: 0 }, { outputs: keys.length, name: `norm_${kind}.all.split` });
    keys.forEach((key, i) => folded.set(key, parts[i]));
  }
  return folded;
}

/** x·keep + (1 − keep)·pad_token: pad positions take the learned pad token ([1,dim] or [dim] on disk). */
function replacePads(ctx: BuildContext, x: string, keepF32: string, padKey: string, dim: number): string {
  const g = ctx.g;
  const shape = ctx.shapeOf(padKey);
  const pad = ctx.weight(padKey, shape, { reshape: [1, 1, dim] });
  const keep = ctx.compute === 'F32' ? keepF32 : ctx.cast(keepF32, ctx.compute);
  const drop = g.op('Sub', [ctx.scalar(1), keep]);
  return g.op('Add', [g.op('Mul', [x, keep]), g.op('Mul', [drop, pad])]);
}

interface Rope { cos: string; sin: string; pos?: string }

/** The residual stream as `x + pending`: with fused norms the last sub-layer's add waits for the next norm. */
interface Stream { x: string; pending?: string }

/** Adds a pending sub-layer output into the stream (where no norm follows to fuse it into). */
function settle(ctx: BuildContext, s: Stream): string {
  return s.pending ? ctx.g.op('Add', [s.x, s.pending]) : s.x;
}

/**
 * One ZImageTransformerBlock on [1,S,dim]. Modulated when `c` is given (noise_refiner, layers):
 *   x += tanh(gate_msa)·norm2(attn(norm1(x)·(1+scale_msa))); x += tanh(gate_mlp)·ffn_norm2(ffn(ffn_norm1(x)·(1+scale_mlp)))
 * With `fusedNorms` (not in fp16-safe plans, whose residual is fp32) the modulation is folded into each norm's
 * weight (RMSNorm(x)·w·s = RMSNorm(x)·(w·s): one rounding instead of two) and each residual add is fused into the
 * norm that follows it; the block's last add is left pending for the next block's first norm.
 */
function block(ctx: BuildContext, cfg: DitConfig, forms: GraphOptions, s: Stream, prefix: string, r: Rope, c: string | FoldedWeights | undefined): Stream {
  const g = ctx.g;
  const { dim, heads, headDim, normEps: eps } = cfg;
  let mods: string[] | undefined;
  if (typeof c === 'string') {
    const m = linear(ctx, c, `${prefix}.adaLN_modulation.0`, cfg.adalnDim, 4 * dim, true); // [1, 4·dim]
    mods = g.node('Split', [g.op('Unsqueeze', [m, g.int64([1])]), g.int64([dim, dim, dim, dim])], { axis: 2 }, { outputs: 4, name: `${prefix}.mod` });
  }
  const attention = (a: string) => {
    const qk = (name: 'q' | 'k') => {
      const proj = linear(ctx, a, `${prefix}.attention.to_${name}`, dim, dim, false); // [1,S,dim]
      const h4 = g.op('Reshape', [proj, g.int64([0, 0, heads, headDim])]); // [1,S,H,D]
      const n = rmsNorm(ctx, h4, `${prefix}.attention.norm_${name}.weight`, headDim, eps);
      if (forms.ropeOp) return ropeOp(ctx, g.op('Reshape', [n, g.int64([0, 0, dim])]), heads, r.cos, r.sin, r.pos!, true);
      return g.op('Reshape', [rope(ctx, n, heads, headDim, r.cos, r.sin, true, true), g.int64([0, 0, dim])]);
    };
    const v = linear(ctx, a, `${prefix}.attention.to_v`, dim, dim, false);
    return linear(ctx, mha(ctx, qk('q'), qk('k'), v, heads), `${prefix}.attention.to_out.0`, dim, dim, false); // [1,S,dim]
  };
  const ffn = (f: string) => swiglu(ctx, f, `${prefix}.feed_forward`, ['w1', 'w2', 'w3'], dim, cfg.ffnHidden);
  if (forms.fusedNorms && !ctx.plan.guards) return fusedBlock(ctx, cfg, forms, s, prefix, typeof c === 'object' ? c : mods, attention, ffn);

  let x = settle(ctx, s);
  const res = ctx.plan.guards ? 'F32' : ctx.compute;
  const scaleOf = (m: string) => g.op('Add', [ctx.scalar(1), m]);
  // pre-norm in the residual dtype, output in the compute dtype.
  const preNorm = (h: string, key: string, scale?: string) => {
    let n = rmsNorm(ctx, h, key, dim, eps, res);
    if (res !== ctx.compute) n = ctx.cast(n, ctx.compute);
    return scale ? g.op('Mul', [n, scale]) : n;
  };
  const postNorm = (h: string, key: string, gate?: string) => {
    let n = clampFp16(ctx, h);
    if (res !== ctx.compute) n = ctx.cast(n, res);
    n = rmsNorm(ctx, n, key, dim, eps, res);
    if (!gate) return n;
    const tg = g.op('Tanh', [gate]);
    return g.op('Mul', [n, res === ctx.compute ? tg : ctx.cast(tg, res)]);
  };
  const att = attention(preNorm(x, `${prefix}.attention_norm1.weight`, mods && scaleOf(mods[0])));
  x = g.op('Add', [x, postNorm(att, `${prefix}.attention_norm2.weight`, mods?.[1])], {}, `${prefix}.x_attn`);
  const ff = ffn(preNorm(x, `${prefix}.ffn_norm1.weight`, mods && scaleOf(mods[2])));
  return { x: g.op('Add', [x, postNorm(ff, `${prefix}.ffn_norm2.weight`, mods?.[3])], {}, `${prefix}.x_out`) };
}

/** The block with modulation folded into the norm weights and residual adds fused into the norms (see block). */
function fusedBlock(ctx: BuildContext, cfg: DitConfig, forms: GraphOptions, s: Stream, prefix: string, mods: string[] | FoldedWeights | undefined,
  attention: (a: string) => string, ffn: (f: string) => string): Stream {
  const g = ctx.g;
  const { dim, normEps: eps } = cfg;
  // weight·(1+scale) or weight·tanh(gate), [dim]: a few thousand values per block instead of a pass over [S,dim]
  // (computed here per block, or for all blocks at once by batchedModulation).
  const weight = (key: string, mod?: string, kind?: 'scale' | 'gate') => {
    if (mods instanceof Map) return mods.get(key) ?? ctx.weight(key, [dim]);
    const w = ctx.weight(key, [dim]);
    if (!mod) return w;
    const m = g.op('Reshape', [mod, g.int64([dim])]);
    return g.op('Mul', [w, kind === 'scale' ? g.op('Add', [ctx.scalar(1), m]) : g.op('Tanh', [m])]);
  };
  const norm = (h: string, key: string, mod?: string, kind?: 'scale' | 'gate') =>
    (forms.skipNorm ? rmsNormFast : rmsNormScaled)(ctx, h, weight(key, mod, kind), eps, key.replace(/\.weight$/, ''));
  const preNorm = (st: Stream, key: string, mod?: string): [string, string] => (st.pending
    ? skipRmsNorm(ctx, st.pending, st.x, weight(key, mod, 'scale'), eps, key.replace(/\.weight$/, ''))
    : [norm(st.x, key, mod, 'scale'), st.x]);
  const m = Array.isArray(mods) ? mods : [];
  const [a, x0] = preNorm(s, `${prefix}.attention_norm1.weight`, m[0]);
  const att = norm(attention(a), `${prefix}.attention_norm2.weight`, m[1], 'gate');
  const [f, x1] = preNorm({ x: x0, pending: att }, `${prefix}.ffn_norm1.weight`, m[2]);
  return { x: x1, pending: norm(ffn(f), `${prefix}.ffn_norm2.weight`, m[3], 'gate') };
}
