// The Qwen3 text encoder as Z-Image uses it: token ids [L] → the raw output of decoder layer n−2
// (hidden_states[-2], no final norm) as features [L, hidden] fp32. Causal attention with GQA, rotate-half RoPE
// (θ = 1e6) on positions 0..L−1, per-head q/k RMSNorm. Spec: shared/docs/zimage-spec.md §3, §6.4.
// Norms round exactly like transformers' Qwen3RMSNorm (the encoder runs once per prompt: exactness over speed).
// It deliberately builds only the layers that feed the features (35 of 36 in Qwen3-4B) and no LM head.
import fs from 'node:fs';
import { EngineError } from '../errors.ts';
import { ElemType, MS_DOMAIN } from '../onnx/graph.ts';
import type { Checkpoint } from '../safetensors.ts';
import { BuildContext, f32Input, linear, rmsNorm, rope, swiglu, type KeyTable } from './blocks.ts';
import type { HostTensor } from '../tensor.ts';

export interface Qwen3Config {
  vocab: number;
  hidden: number;
  /** Layers in the checkpoint; the graph builds layers 0..layers−2. */
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  ropeTheta: number;
  eps: number;
}

/** Accepts keys with and without the `model.` prefix (Qwen3ForCausalLM vs Qwen3Model, ComfyUI's file). */
export function qwen3KeyTable(ckpt: Checkpoint): KeyTable {
  const sources = new Map<string, { key: string }>();
  const ignored: string[] = [];
  for (const key of ckpt.keys()) {
    const k = key.startsWith('model.') ? key.slice('model.'.length) : key;
    if (k === 'lm_head.weight' || key === 'lm_head.weight' || k === 'norm.weight') ignored.push(key);
    else sources.set(k, { key });
  }
  // Layers past n−2 feed nothing Z-Image reads: known, not "unused by mistake".
  const n = countLayers(sources.keys());
  for (const [k, s] of sources) {
    const m = k.match(/^layers\.(\d+)\./);
    if (m && Number(m[1]) > n - 2) ignored.push(s.key);
  }
  return { sources, ignored };
}

function countLayers(keys: Iterable<string>): number {
  let n = 0;
  for (const k of keys) {
    const m = k.match(/^layers\.(\d+)\.input_layernorm\.weight$/);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

export function detectQwen3Config(ckpt: Checkpoint, table: KeyTable, configJson?: string): Qwen3Config {
  const shape = (key: string) => {
    const s = table.sources.get(key);
    if (!s) {
      throw new EngineError('convert-not-qwen3', `no ${key} in the checkpoint: this is not a Qwen3 text encoder`, {
        hint: 'pass the Qwen3-4B text encoder (diffusers text_encoder/ folder or ComfyUI qwen_3_4b.safetensors)',
      });
    }
    return ckpt.get(s.key).shape;
  };
  const [vocab, hidden] = shape('embed_tokens.weight');
  const headDim = shape('layers.0.self_attn.q_norm.weight')[0];
  let ropeTheta = 1e6;
  let eps = 1e-6;
  if (configJson && fs.existsSync(configJson)) {
    const c = JSON.parse(fs.readFileSync(configJson, 'utf8'));
    if (typeof c.rope_theta === 'number') ropeTheta = c.rope_theta;
    if (typeof c.rms_norm_eps === 'number') eps = c.rms_norm_eps;
  }
  const cfg: Qwen3Config = {
    vocab,
    hidden,
    layers: countLayers(table.sources.keys()),
    headDim,
    heads: shape('layers.0.self_attn.q_proj.weight')[0] / headDim,
    kvHeads: shape('layers.0.self_attn.k_proj.weight')[0] / headDim,
    intermediate: shape('layers.0.mlp.gate_proj.weight')[0],
    ropeTheta,
    eps,
  };
  if (cfg.layers < 2) throw new EngineError('convert-bad-config', `the text encoder has ${cfg.layers} layers; the features need at least 2`);
  if (!Number.isInteger(cfg.heads) || !Number.isInteger(cfg.kvHeads) || cfg.heads % cfg.kvHeads) {
    throw new EngineError('convert-bad-config', `inconsistent Qwen3 attention shapes (head_dim ${headDim}, heads ${cfg.heads}, kv heads ${cfg.kvHeads})`);
  }
  return cfg;
}

export function qwen3ParameterCount(cfg: Qwen3Config, usedLayersOnly = true): number {
  const { hidden: d, headDim: hd, heads, kvHeads, intermediate: f } = cfg;
  const layer = d * heads * hd * 2 + 2 * d * kvHeads * hd + 2 * hd + 2 * d + 3 * d * f;
  const n = usedLayersOnly ? cfg.layers - 1 : cfg.layers;
  return cfg.vocab * d + n * layer + (usedLayersOnly ? 0 : d);
}

export function buildQwen3(ctx: BuildContext, cfg: Qwen3Config): void {
  const g = ctx.g;
  const { hidden: d, heads, kvHeads, headDim: hd, eps } = cfg;
  const ids = g.input('input_ids', ElemType.INT64, ['L']);
  const cosIn = f32Input(g, 'rope_cos', ['L', hd / 2]);
  const sinIn = f32Input(g, 'rope_sin', ['L', hd / 2]);
  // rotate-half tables broadcast over [1,L,H,2,hd/2]
  const cos = g.op('Reshape', [cosIn, g.int64([1, -1, 1, 1, hd / 2])]);
  const sin = g.op('Reshape', [sinIn, g.int64([1, -1, 1, 1, hd / 2])]);
  const embed = ctx.weight('embed_tokens.weight', [cfg.vocab, d]);
  let x = g.op('Unsqueeze', [g.op('Gather', [embed, ids], { axis: 0 }), g.int64([0])]); // [1,L,d]
  for (let i = 0; i <= cfg.layers - 2; i++) {
    const p = `layers.${i}`;
    const h = rmsNorm(ctx, x, `${p}.input_layernorm.weight`, d, eps, ctx.compute, true);
    const proj = (name: 'q' | 'k', n: number) => {
      const y = g.op('Reshape', [linear(ctx, h, `${p}.self_attn.${name}_proj`, d, n * hd, false), g.int64([0, 0, n, hd])]);
      const normed = rmsNorm(ctx, y, `${p}.self_attn.${name}_norm.weight`, hd, eps, ctx.compute, true);
      // transformers rotates in the activation dtype with cos/sin cast to it
      return g.op('Reshape', [rope(ctx, normed, n, hd, cos, sin, false, false), g.int64([0, 0, n * hd])]);
    };
    const v = linear(ctx, h, `${p}.self_attn.v_proj`, d, kvHeads * hd, false);
    // GQA: each kv head serves heads/kvHeads query heads; expand k and v to all heads ([1,L,kvH,1,hd] → [1,L,kvH,r,hd]).
    const repeat = (t: string) => g.op('Reshape', [g.op('Expand', [g.op('Reshape', [t, g.int64([0, 0, kvHeads, 1, hd])]), g.int64([1, 1, 1, heads / kvHeads, 1])]), g.int64([0, 0, heads * hd])]);
    // contrib MultiHeadAttention, causal (unidirectional): the fused kernels with an fp32 softmax, like SDPA.
    const att = g.op('MultiHeadAttention', [proj('q', heads), repeat(proj('k', kvHeads)), repeat(v)], { num_heads: heads, unidirectional: 1 }, `${p}.attn`, MS_DOMAIN);
    x = g.op('Add', [x, linear(ctx, att, `${p}.self_attn.o_proj`, heads * hd, d, false)], {}, `${p}.x_attn`);
    const m = rmsNorm(ctx, x, `${p}.post_attention_layernorm.weight`, d, eps, ctx.compute, true);
    x = g.op('Add', [x, swiglu(ctx, m, `${p}.mlp`, ['gate_proj', 'down_proj', 'up_proj'], d, cfg.intermediate)], {}, `${p}.x_out`);
  }
  let out = g.op('Squeeze', [x, g.int64([0])]);
  if (ctx.compute !== 'F32') out = ctx.cast(out, 'F32');
  g.output(out, 'features', ElemType.FLOAT, ['L', d]);
}

/** Rotate-half RoPE tables [L, hd/2] for positions 0..L−1 (fp32 like transformers' Qwen3RotaryEmbedding). */
export function qwen3AuxInputs(cfg: Qwen3Config, L: number): Record<string, HostTensor> {
  const half = cfg.headDim / 2;
  const cos = new Float32Array(L * half), sin = new Float32Array(L * half);
  for (let k = 0; k < half; k++) {
    const invFreq = Math.fround(1 / cfg.ropeTheta ** Math.fround((2 * k) / cfg.headDim));
    for (let pos = 0; pos < L; pos++) {
      const angle = Math.fround(pos * invFreq);
      cos[pos * half + k] = Math.cos(angle);
      sin[pos * half + k] = Math.sin(angle);
    }
  }
  return { rope_cos: { type: 'float32', dims: [L, half], data: cos }, rope_sin: { type: 'float32', dims: [L, half], data: sin } };
}
