// The Z-Image S3-DiT transformer (ZImageTransformer2DModel): config detection from tensor shapes, the key table
// for the diffusers and the single-file ComfyUI layouts, the ONNX graph, and the small per-size tables the host
// feeds it (RoPE cos/sin, pad masks, reshape targets). Spec: shared/docs/zimage-spec.md §1-2, §6.2-6.3.
// Graph I/O: x [1,16,h,w] fp32, t [1] fp32 (= 1 − σ), cap_feats [L,capDim] fp32 → v [1,16,h,w] fp32. Only
// ~1 MB of latents and small tables cross the boundary; activations stay on the device.
// It deliberately does not batch (CFG runs two batch-1 calls) and does not know about schedulers.
import fs from 'node:fs';
import { EngineError } from '../errors.ts';
import { ElemType } from '../onnx/graph.ts';
import type { Checkpoint } from '../safetensors.ts';
import { int64Tensor as i64, type HostTensor } from '../tensor.ts';
import { BuildContext, f32Input, int64Input, linear, mha, rmsNorm, rmsNormFast, ropeOp, silu, skipRmsNorm, swiglu, clampFp16, type KeyTable } from './blocks.ts';

export interface DitConfig {
  dim: number;
  heads: number;
  headDim: number;
  layers: number;
  refinerLayers: number;
  ffnHidden: number;
  capFeatDim: number;
  /** Width of the timestep embedding c (min(dim, 256)). */
  adalnDim: number;
  /** Hidden width of the t_embedder MLP (1024). */
  tMid: number;
  inChannels: number;
  patch: number;
  axesDims: number[];
  ropeTheta: number;
  tScale: number;
  normEps: number;
}

export const SEQ_MULTI_OF = 32;
const FREQ_EMBED = 256;

// ---- key table -------------------------------------------------------------------------------------------------

const COMFY_PREFIXES = ['model.diffusion_model.', 'diffusion_model.'];

/** Maps diffusers key names to the checkpoint's tensors, for either layout. */
export function ditKeyTable(ckpt: Checkpoint): KeyTable {
  const sources = new Map<string, { key: string; rows?: [number, number] }>();
  const ignored: string[] = [];
  const keys = ckpt.keys();
  const comfy = keys.some((k) => /(^|\.)layers\.0\.attention\.qkv\.weight$/.test(k)) || keys.some((k) => /(^|\.)x_embedder\.weight$/.test(k) && !k.includes('all_x_embedder'));
  for (const key of keys) {
    if (!comfy) {
      if (/(^|\.)norm_final\.weight$/.test(key)) ignored.push(key);
      else sources.set(key, { key });
      continue;
    }
    let k = key;
    for (const p of COMFY_PREFIXES) if (k.startsWith(p)) k = k.slice(p.length);
    if (k === 'norm_final.weight') { ignored.push(key); continue; }
    k = k.replace(/^x_embedder\./, 'all_x_embedder.2-1.').replace(/^final_layer\./, 'all_final_layer.2-1.');
    k = k.replace(/\.attention\.out\.weight$/, '.attention.to_out.0.weight');
    k = k.replace(/\.attention\.q_norm\.weight$/, '.attention.norm_q.weight').replace(/\.attention\.k_norm\.weight$/, '.attention.norm_k.weight');
    const qkv = k.match(/^(.*)\.attention\.qkv\.weight$/);
    if (qkv) {
      const rows = ckpt.get(key).shape[0];
      if (rows % 3) throw new EngineError('convert-shape-mismatch', `tensor ${key}: fused qkv rows ${rows} are not divisible by 3`);
      const n = rows / 3;
      ['to_q', 'to_k', 'to_v'].forEach((name, i) => sources.set(`${qkv[1]}.attention.${name}.weight`, { key, rows: [i * n, (i + 1) * n] }));
      continue;
    }
    sources.set(k, { key });
  }
  return { sources, ignored };
}

// ---- config detection ------------------------------------------------------------------------------------------

function count(table: KeyTable, re: RegExp): number {
  const ids = new Set<number>();
  for (const k of table.sources.keys()) {
    const m = k.match(re);
    if (m) ids.add(Number(m[1]));
  }
  return ids.size;
}

/** Works the architecture out from tensor shapes (style rule 3); a diffusers config.json may refine the RoPE axes. */
export function detectDitConfig(ckpt: Checkpoint, table: KeyTable, configJson?: string): DitConfig {
  const shape = (key: string) => {
    const s = table.sources.get(key);
    if (!s) {
      throw new EngineError('convert-not-dit', `no ${key} in the checkpoint: this is not a Z-Image transformer`, {
        hint: 'pass the Z-Image DiT (diffusers transformer/ folder or a single-file .safetensors with layers.N.attention.qkv)',
      });
    }
    const sh = [...ckpt.get(s.key).shape];
    if (s.rows) sh[0] = s.rows[1] - s.rows[0];
    return sh;
  };
  const [dim, patchVec] = shape('all_x_embedder.2-1.weight');
  const headDim = shape('layers.0.attention.norm_q.weight')[0];
  const inChannels = shape('all_final_layer.2-1.linear.weight')[0] / 4;
  let axesDims = [headDim / 4, (3 * headDim) / 8, (3 * headDim) / 8];
  let ropeTheta = 256;
  let tScale = 1000;
  if (configJson && fs.existsSync(configJson)) {
    const c = JSON.parse(fs.readFileSync(configJson, 'utf8'));
    if (Array.isArray(c.axes_dims)) axesDims = c.axes_dims;
    if (typeof c.rope_theta === 'number') ropeTheta = c.rope_theta;
    if (typeof c.t_scale === 'number') tScale = c.t_scale;
  }
  const cfg: DitConfig = {
    dim,
    headDim,
    heads: dim / headDim,
    layers: count(table, /^layers\.(\d+)\.attention_norm1\.weight$/),
    refinerLayers: count(table, /^noise_refiner\.(\d+)\.attention_norm1\.weight$/),
    ffnHidden: shape('layers.0.feed_forward.w1.weight')[0],
    capFeatDim: shape('cap_embedder.0.weight')[0],
    adalnDim: shape('t_embedder.mlp.2.weight')[0],
    tMid: shape('t_embedder.mlp.0.weight')[0],
    inChannels,
    patch: Math.round(Math.sqrt(patchVec / inChannels)),
    axesDims,
    ropeTheta,
    tScale,
    normEps: 1e-5,
  };
  if (!Number.isInteger(cfg.heads) || axesDims.reduce((a, b) => a + b, 0) !== headDim || axesDims.some((d) => d % 2)) {
    throw new EngineError('convert-bad-config', `inconsistent DiT shapes: dim ${dim}, head_dim ${headDim}, axes ${axesDims}`);
  }
  if (cfg.patch !== 2) throw new EngineError('convert-bad-config', `patch size ${cfg.patch}: only the 2×2 Z-Image patch is supported`);
  return cfg;
}

export function ditParameterCount(cfg: DitConfig): number {
  const { dim, ffnHidden: f, adalnDim: a, capFeatDim: cd, tMid } = cfg;
  const attn = 4 * dim * dim + 2 * cfg.headDim;
  const block = attn + 3 * dim * f + 4 * dim;
  const mod = a * 4 * dim + 4 * dim;
  const blocks = (cfg.layers + cfg.refinerLayers) * (block + mod) + cfg.refinerLayers * block;
  const patchVec = cfg.patch * cfg.patch * cfg.inChannels;
  return blocks + patchVec * dim + dim + FREQ_EMBED * tMid + tMid + tMid * a + a + cd + cd * dim + dim + 2 * dim
    + dim * patchVec + patchVec + a * dim + dim;
}

// ---- graph -----------------------------------------------------------------------------------------------------

/** The names of the DiT graph's inputs that the host computes per size and caption length (see ditGridInputs, ditCaptionInputs). */
export const DIT_AUX = ['patch_shape', 'img_pads', 'img_keep', 'cap_pads', 'cap_keep', 'rope_img_cos', 'rope_img_sin',
  'rope_cap_cos', 'rope_cap_sin', 'img_tokens', 'unpatch_shape', 'latent_shape', 'rope_img_pos', 'rope_cap_pos', 'rope_all_pos'] as const;

/**
 * The DiT graph, in the one formulation that ships: RoPE by the RotaryEmbedding op on fp32-computed tables, the
 * adaLN modulation of every modulated block as one GEMM folded into the norm weights, residual adds fused into the
 * norm that follows (SkipSimplifiedLayerNormalization). fp16-safe plans build the guarded block instead (fp32
 * residual stream and norms, clamps). The spelled-out forms these replace are kept as a reference for tests and
 * benchmarks (reference/z-image-dit.ts), checked node for node against this one.
 */
export function buildDit(ctx: BuildContext, cfg: DitConfig): void {
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
  // RotaryEmbedding's position ids [1,S] (0..S−1) index the per-token tables.
  aux.rope_img_pos = g.input('rope_img_pos', ElemType.INT64, [1, 'Ni']);
  aux.rope_cap_pos = g.input('rope_cap_pos', ElemType.INT64, [1, 'Lp']);
  aux.rope_all_pos = g.input('rope_all_pos', ElemType.INT64, [1, 'S']);
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
  // RoPE tables [S, D/2] in the compute dtype for the RotaryEmbedding op (computed in fp32 on the host).
  const ropeT = (cos: string) => (ctx.compute === 'F32' ? cos : ctx.cast(cos, ctx.compute));
  const imgRope: Rope = { cos: ropeT(aux.rope_img_cos), sin: ropeT(aux.rope_img_sin), pos: aux.rope_img_pos };
  const capRope: Rope = { cos: ropeT(aux.rope_cap_cos), sin: ropeT(aux.rope_cap_sin), pos: aux.rope_cap_pos };
  if (res !== ctx.compute) xi = ctx.cast(xi, res);
  const modulated = modulatedBlocks(cfg);
  const folded = ctx.plan.guards ? undefined : batchedModulation(ctx, cfg, c, modulated);
  const refine = (s: Stream, prefix: string, r: Rope, isModulated: boolean, n: number) => {
    for (let i = 0; i < n; i++) {
      s = ctx.plan.guards
        ? guardedBlock(ctx, cfg, s, `${prefix}.${i}`, r, isModulated ? c : undefined)
        : fusedBlock(ctx, cfg, s, `${prefix}.${i}`, r, isModulated ? folded : undefined);
    }
    return settle(ctx, s);
  };
  xi = refine({ x: xi }, 'noise_refiner', imgRope, true, cfg.refinerLayers);

  // 4. captions: pad rows to Lp, embed (RMSNorm → Linear), replace pads by cap_pad_token, refine.
  let cc = g.op('Unsqueeze', [g.op('Pad', [cap, aux.cap_pads]), g.int64([0])]); // [1,Lp,capDim]
  if (ctx.compute !== 'F32') cc = ctx.cast(cc, ctx.compute);
  cc = linear(ctx, rmsNorm(ctx, cc, 'cap_embedder.0.weight', cfg.capFeatDim, cfg.normEps), 'cap_embedder.1', cfg.capFeatDim, dim, true);
  cc = replacePads(ctx, cc, aux.cap_keep, 'cap_pad_token', dim);
  if (res !== ctx.compute) cc = ctx.cast(cc, res);
  cc = refine({ x: cc }, 'context_refiner', capRope, false, cfg.refinerLayers);

  // 5. unified sequence [image, caption] through the main layers.
  let u = g.op('Concat', [xi, cc], { axis: 1 });
  const uRope: Rope = { cos: g.op('Concat', [imgRope.cos, capRope.cos], { axis: 0 }), sin: g.op('Concat', [imgRope.sin, capRope.sin], { axis: 0 }), pos: aux.rope_all_pos };
  u = refine({ x: u }, 'layers', uRope, true, cfg.layers);

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

/** The blocks with adaLN modulation, in graph order: the noise refiners, then the main layers. */
export function modulatedBlocks(cfg: DitConfig): string[] {
  return [...range(cfg.refinerLayers).map((i) => `noise_refiner.${i}`), ...range(cfg.layers).map((i) => `layers.${i}`)];
}

/** The initializer that holds every modulated block's adaLN_modulation.0 weight (GraphOptions.modBatch), [adalnDim, 2n]. */
export const BATCHED_MODULATION = 'adaLN_modulation.all.weight';

/** Per block, rows of adaLN_modulation.0 (out = 4·dim): [0,dim) scale_msa, [dim,2dim) gate_msa, then scale_mlp, gate_mlp. */
function modulationRows(prefixes: string[], dim: number, suffix: 'weight' | 'bias', kind: 'scale' | 'gate') {
  return prefixes.flatMap((p) => [0, 2].map((k) => {
    const at = (k + (kind === 'gate' ? 1 : 0)) * dim;
    return { key: `${p}.adaLN_modulation.0.${suffix}`, rows: [at, at + dim] as [number, number] };
  }));
}

/**
 * The row ranges BATCHED_MODULATION concatenates, in order (all blocks' scales, then all their gates): its column j
 * (stored transposed) is one row of one block's adaLN_modulation.0.weight. The LoRA merge places deltas by it.
 */
export function batchedModulationParts(cfg: DitConfig): { key: string; rows: [number, number] }[] {
  const prefixes = modulatedBlocks(cfg);
  return [...modulationRows(prefixes, cfg.dim, 'weight', 'scale'), ...modulationRows(prefixes, cfg.dim, 'weight', 'gate')];
}

/** Norm weight key → that norm's weight with its block's adaLN modulation folded in ([dim], per step). */
type FoldedWeights = Map<string, string>;

/**
 * The adaLN modulation of the blocks `prefixes` at once: their weights as one GEMM whose output holds every block's
 * scales, then every block's gates; 1 + scale and tanh(gate), each times the norm weights it folds into, as one pass
 * over all blocks; then split into the [dim] weight of each norm. Per block (reference/z-image-dit.ts) the same
 * values take ~10 tiny kernels per block.
 */
function batchedModulation(ctx: BuildContext, cfg: DitConfig, c: string, prefixes: string[]): FoldedWeights {
  const g = ctx.g;
  const { dim } = cfg;
  const rowsOf = (suffix: 'weight' | 'bias', kind: 'scale' | 'gate') => modulationRows(prefixes, dim, suffix, kind);
  const normKeys = (kind: 'scale' | 'gate') => prefixes.flatMap((p) => (kind === 'scale'
    ? [`${p}.attention_norm1.weight`, `${p}.ffn_norm1.weight`] : [`${p}.attention_norm2.weight`, `${p}.ffn_norm2.weight`]));
  const n = prefixes.length * 2 * dim;
  const w = ctx.weightRows(BATCHED_MODULATION, batchedModulationParts(cfg), cfg.adalnDim, { transpose: true });
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

interface Rope { cos: string; sin: string; pos: string }

/** The residual stream as `x + pending`: with fused norms the last sub-layer's add waits for the next norm. */
interface Stream { x: string; pending?: string }

/** Adds a pending sub-layer output into the stream (where no norm follows to fuse it into). */
function settle(ctx: BuildContext, s: Stream): string {
  return s.pending ? ctx.g.op('Add', [s.x, s.pending]) : s.x;
}

/** Self-attention of one block on a normed [1,S,dim]: q/k projected, per-head RMSNorm, rotated, attended, projected. */
function attention(ctx: BuildContext, cfg: DitConfig, a: string, prefix: string, r: Rope): string {
  const g = ctx.g;
  const { dim, heads, headDim, normEps: eps } = cfg;
  const qk = (name: 'q' | 'k') => {
    const proj = linear(ctx, a, `${prefix}.attention.to_${name}`, dim, dim, false); // [1,S,dim]
    const h4 = g.op('Reshape', [proj, g.int64([0, 0, heads, headDim])]); // [1,S,H,D]
    const n = rmsNorm(ctx, h4, `${prefix}.attention.norm_${name}.weight`, headDim, eps);
    return ropeOp(ctx, g.op('Reshape', [n, g.int64([0, 0, dim])]), heads, r.cos, r.sin, r.pos, true);
  };
  const v = linear(ctx, a, `${prefix}.attention.to_v`, dim, dim, false);
  return linear(ctx, mha(ctx, qk('q'), qk('k'), v, heads), `${prefix}.attention.to_out.0`, dim, dim, false); // [1,S,dim]
}

const feedForward = (ctx: BuildContext, cfg: DitConfig, f: string, prefix: string) => swiglu(ctx, f, `${prefix}.feed_forward`, ['w1', 'w2', 'w3'], cfg.dim, cfg.ffnHidden);

/**
 * One ZImageTransformerBlock on [1,S,dim], modulated when `folded` holds its norms (noise_refiner, layers):
 *   x += tanh(gate_msa)·norm2(attn(norm1(x)·(1+scale_msa))); x += tanh(gate_mlp)·ffn_norm2(ffn(ffn_norm1(x)·(1+scale_mlp)))
 * with the modulation folded into each norm's weight (RMSNorm(x)·w·s = RMSNorm(x)·(w·s): one rounding instead of
 * two) and each residual add fused into the norm that follows it; the block's last add is left pending for the next
 * block's first norm.
 */
function fusedBlock(ctx: BuildContext, cfg: DitConfig, s: Stream, prefix: string, r: Rope, folded: FoldedWeights | undefined): Stream {
  const { dim, normEps: eps } = cfg;
  // weight·(1+scale) or weight·tanh(gate), [dim], from batchedModulation; the unmodulated blocks' own weights
  const weight = (key: string) => folded?.get(key) ?? ctx.weight(key, [dim]);
  const norm = (h: string, key: string) => rmsNormFast(ctx, h, weight(key), eps, key.replace(/\.weight$/, ''));
  const preNorm = (st: Stream, key: string): [string, string] => (st.pending
    ? skipRmsNorm(ctx, st.pending, st.x, weight(key), eps, key.replace(/\.weight$/, ''))
    : [norm(st.x, key), st.x]);
  const [a, x0] = preNorm(s, `${prefix}.attention_norm1.weight`);
  const att = norm(attention(ctx, cfg, a, prefix, r), `${prefix}.attention_norm2.weight`);
  const [f, x1] = preNorm({ x: x0, pending: att }, `${prefix}.ffn_norm1.weight`);
  return { x: x1, pending: norm(feedForward(ctx, cfg, f, prefix), `${prefix}.ffn_norm2.weight`) };
}

/**
 * The block of fp16-safe plans, spelled out: residual stream and norms in fp32, ComfyUI's clamps on the sub-layer
 * outputs, the modulation per block from `c` (modulated blocks) — as ComfyUI runs Z-Image in fp16.
 */
function guardedBlock(ctx: BuildContext, cfg: DitConfig, s: Stream, prefix: string, r: Rope, c: string | undefined): Stream {
  const g = ctx.g;
  const { dim, normEps: eps } = cfg;
  let mods: string[] | undefined;
  if (c) {
    const m = linear(ctx, c, `${prefix}.adaLN_modulation.0`, cfg.adalnDim, 4 * dim, true); // [1, 4·dim]
    mods = g.node('Split', [g.op('Unsqueeze', [m, g.int64([1])]), g.int64([dim, dim, dim, dim])], { axis: 2 }, { outputs: 4, name: `${prefix}.mod` });
  }
  let x = settle(ctx, s);
  const res = 'F32';
  const scaleOf = (m: string) => g.op('Add', [ctx.scalar(1), m]);
  // pre-norm in the residual dtype, output in the compute dtype.
  const preNorm = (h: string, key: string, scale?: string) => {
    const n = ctx.cast(rmsNorm(ctx, h, key, dim, eps, res), ctx.compute);
    return scale ? g.op('Mul', [n, scale]) : n;
  };
  const postNorm = (h: string, key: string, gate?: string) => {
    const n = rmsNorm(ctx, ctx.cast(clampFp16(ctx, h), res), key, dim, eps, res);
    return gate ? g.op('Mul', [n, ctx.cast(g.op('Tanh', [gate]), res)]) : n;
  };
  const att = attention(ctx, cfg, preNorm(x, `${prefix}.attention_norm1.weight`, mods && scaleOf(mods[0])), prefix, r);
  x = g.op('Add', [x, postNorm(att, `${prefix}.attention_norm2.weight`, mods?.[1])], {}, `${prefix}.x_attn`);
  const ff = feedForward(ctx, cfg, preNorm(x, `${prefix}.ffn_norm1.weight`, mods && scaleOf(mods[2])), prefix);
  return { x: g.op('Add', [x, postNorm(ff, `${prefix}.ffn_norm2.weight`, mods?.[3])], {}, `${prefix}.x_out`) };
}

// ---- host-side tables ------------------------------------------------------------------------------------------

/**
 * RoPE cos/sin [n, headDim/2] for 3-axis position ids, like RopeEmbedder (fp64 freqs → fp32 angles). Each axis's
 * segment depends only on that axis's position, and a position grid repeats few of them (an image's rows and
 * columns), so each (axis, position) segment is computed once and copied: the same values, ~100× fewer cos/sin calls.
 */
export function ropeTables(cfg: DitConfig, ids: Int32Array): { cos: Float32Array; sin: Float32Array } {
  const half = cfg.headDim / 2;
  const n = ids.length / 3;
  const cos = new Float32Array(n * half), sin = new Float32Array(n * half);
  let offset = 0;
  for (let axis = 0; axis < 3; axis++) {
    const d = cfg.axesDims[axis], m = d / 2;
    const freqs = Array.from({ length: m }, (_, k) => 1 / cfg.ropeTheta ** ((2 * k) / d));
    const segments = new Map<number, { c: Float32Array; s: Float32Array }>();
    for (let i = 0; i < n; i++) {
      const pos = ids[i * 3 + axis];
      let seg = segments.get(pos);
      if (!seg) {
        seg = { c: new Float32Array(m), s: new Float32Array(m) };
        for (let k = 0; k < m; k++) {
          const angle = Math.fround(pos * freqs[k]);
          seg.c[k] = Math.cos(angle);
          seg.s[k] = Math.sin(angle);
        }
        segments.set(pos, seg);
      }
      const at = i * half + offset, c = seg.c, sn = seg.s;
      for (let k = 0; k < m; k++) { cos[at + k] = c[k]; sin[at + k] = sn[k]; }
    }
    offset += m;
  }
  return { cos, sin };
}

const padTo = (n: number) => n + ((SEQ_MULTI_OF - (n % SEQ_MULTI_OF)) % SEQ_MULTI_OF);
const keepMask = (n: number, real: number): HostTensor => {
  const data = new Float32Array(n);
  data.fill(1, 0, real);
  return { type: 'float32', dims: [1, n, 1], data };
};

/** The caption's padded length: the DiT pads captions (and the image sequence) to a multiple of SEQ_MULTI_OF rows. */
export const paddedCaptionLength = padTo;

/**
 * The DiT's host-computed inputs that depend on the latent size h×w and the padded caption length Lp only: RoPE tables,
 * positions, pads and shapes. Captions of different lengths in one Lp bucket share them (see ditCaptionInputs).
 */
export function ditGridInputs(cfg: DitConfig, h: number, w: number, Lp: number): Record<string, HostTensor> {
  const p = cfg.patch, C = cfg.inChannels;
  if (h % p || w % p) throw new EngineError('dit-bad-size', `latent ${h}×${w} is not a multiple of the ${p}×${p} patch`, { hint: 'image sizes must be multiples of 16' });
  const Ht = h / p, Wt = w / p, N = Ht * Wt;
  const Ni = padTo(N);
  // position ids: caption (1+i, 0, 0) for every padded row; image (Lp+1, h, w); image pads (0,0,0).
  const capIds = new Int32Array(Lp * 3);
  for (let i = 0; i < Lp; i++) capIds[i * 3] = 1 + i;
  const imgIds = new Int32Array(Ni * 3);
  for (let i = 0; i < N; i++) {
    imgIds[i * 3] = Lp + 1;
    imgIds[i * 3 + 1] = Math.floor(i / Wt);
    imgIds[i * 3 + 2] = i % Wt;
  }
  const half = cfg.headDim / 2;
  const table = (ids: Int32Array, n: number) => {
    const { cos, sin } = ropeTables(cfg, ids);
    return [{ type: 'float32', dims: [n, half], data: cos }, { type: 'float32', dims: [n, half], data: sin }] as HostTensor[];
  };
  const positions = (n: number): HostTensor => ({ type: 'int64', dims: [1, n], data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) });
  const [imgCos, imgSin] = table(imgIds, Ni);
  const [capCos, capSin] = table(capIds, Lp);
  return {
    patch_shape: i64([C, Ht, p, Wt, p]),
    img_pads: i64([0, 0, 0, 0, Ni - N, 0]),
    img_keep: keepMask(Ni, N),
    rope_img_cos: imgCos,
    rope_img_sin: imgSin,
    rope_cap_cos: capCos,
    rope_cap_sin: capSin,
    img_tokens: i64([N]),
    rope_img_pos: positions(Ni),
    rope_cap_pos: positions(Lp),
    rope_all_pos: positions(Ni + Lp),
    unpatch_shape: i64([Ht, Wt, p, p, C]),
    latent_shape: i64([1, C, h, w]),
  };
}

/** The DiT's host-computed inputs that depend on the caption's own length L: its pad rows and keep mask. */
export function ditCaptionInputs(L: number): Record<string, HostTensor> {
  if (L < 1) throw new EngineError('dit-bad-caption', 'the caption has no tokens');
  const Lp = padTo(L);
  return { cap_pads: i64([0, 0, Lp - L, 0]), cap_keep: keepMask(Lp, L) };
}
