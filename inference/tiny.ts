// `zimage tiny`: a deterministic tiny random checkpoint of the real architecture in the diffusers layout (same key
// names, tiny widths, configs that diffusers/transformers load, a Qwen3 tokenizer) — the embedded default model
// and the test fixture. The weights are random, so its images are noise-like by design.
// The VAE has its encoder too (image input), written after the decoder so the decoder's weights stay as they were.
import fs from 'node:fs';
import path from 'node:path';
import { f32Tensor, writeSafetensors, type TensorToWrite } from './safetensors.ts';

export const TINY = {
  dit: { dim: 64, heads: 2, layers: 2, refiners: 1, axesDims: [8, 12, 12], capFeatDim: 32 },
  te: { vocab: 151936, hidden: 32, layers: 3, heads: 4, kvHeads: 2, headDim: 16, intermediate: 64 },
  vae: { blockOut: [32, 32, 64, 64], layersPerBlock: 1, latent: 16 },
};

/** mulberry32 + Box-Muller: small, fast and identical on every machine. */
class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  uniform(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(n: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
      const th = 2 * Math.PI * this.uniform();
      out[i] = mean + std * r * Math.cos(th);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(th);
    }
    return out;
  }
}

class TensorSet {
  readonly list: TensorToWrite[] = [];
  constructor(private rng: Rng) {}
  /** Linear/conv weight ~ N(0, 1/fan_in). */
  w(key: string, shape: number[]) {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    this.add(key, shape, 1 / Math.sqrt(fanIn));
  }
  /** Norm weight ~ 1 + N(0, 0.1). */
  norm(key: string, n: number) { this.add(key, [n], 0.1, 1); }
  bias(key: string, n: number) { this.add(key, [n], 0.02); }
  add(key: string, shape: number[], std: number, mean = 0) {
    this.list.push(f32Tensor(key, shape, this.rng.normal(shape.reduce((a, b) => a * b, 1), std, mean)));
  }
}

function ditTensors(rng: Rng): TensorToWrite[] {
  const { dim, layers, refiners, capFeatDim } = TINY.dit;
  const hd = dim / TINY.dit.heads, ffn = Math.floor((dim / 3) * 8), a = Math.min(dim, 256);
  const t = new TensorSet(rng);
  t.w('all_x_embedder.2-1.weight', [dim, 64]); t.bias('all_x_embedder.2-1.bias', dim);
  t.w('t_embedder.mlp.0.weight', [1024, 256]); t.bias('t_embedder.mlp.0.bias', 1024);
  t.w('t_embedder.mlp.2.weight', [a, 1024]); t.bias('t_embedder.mlp.2.bias', a);
  t.norm('cap_embedder.0.weight', capFeatDim);
  t.w('cap_embedder.1.weight', [dim, capFeatDim]); t.bias('cap_embedder.1.bias', dim);
  t.add('x_pad_token', [1, dim], 0.5); t.add('cap_pad_token', [1, dim], 0.5);
  t.w('all_final_layer.2-1.linear.weight', [64, dim]); t.bias('all_final_layer.2-1.linear.bias', 64);
  t.w('all_final_layer.2-1.adaLN_modulation.1.weight', [dim, a]); t.bias('all_final_layer.2-1.adaLN_modulation.1.bias', dim);
  const block = (p: string, modulated: boolean) => {
    for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) t.w(`${p}.attention.${n}.weight`, [dim, dim]);
    t.norm(`${p}.attention.norm_q.weight`, hd); t.norm(`${p}.attention.norm_k.weight`, hd);
    t.w(`${p}.feed_forward.w1.weight`, [ffn, dim]); t.w(`${p}.feed_forward.w3.weight`, [ffn, dim]); t.w(`${p}.feed_forward.w2.weight`, [dim, ffn]);
    for (const n of ['attention_norm1', 'attention_norm2', 'ffn_norm1', 'ffn_norm2']) t.norm(`${p}.${n}.weight`, dim);
    if (modulated) { t.add(`${p}.adaLN_modulation.0.weight`, [4 * dim, a], 0.5 / Math.sqrt(a)); t.bias(`${p}.adaLN_modulation.0.bias`, 4 * dim); }
  };
  for (let i = 0; i < layers; i++) block(`layers.${i}`, true);
  for (let i = 0; i < refiners; i++) { block(`noise_refiner.${i}`, true); block(`context_refiner.${i}`, false); }
  return t.list;
}

function teTensors(rng: Rng): TensorToWrite[] {
  const { vocab, hidden: d, layers, heads, kvHeads, headDim: hd, intermediate: f } = TINY.te;
  const t = new TensorSet(rng);
  t.add('embed_tokens.weight', [vocab, d], 1);
  for (let i = 0; i < layers; i++) {
    const p = `layers.${i}`;
    t.norm(`${p}.input_layernorm.weight`, d); t.norm(`${p}.post_attention_layernorm.weight`, d);
    t.w(`${p}.self_attn.q_proj.weight`, [heads * hd, d]); t.w(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, d]);
    t.w(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, d]); t.w(`${p}.self_attn.o_proj.weight`, [d, heads * hd]);
    t.norm(`${p}.self_attn.q_norm.weight`, hd); t.norm(`${p}.self_attn.k_norm.weight`, hd);
    t.w(`${p}.mlp.gate_proj.weight`, [f, d]); t.w(`${p}.mlp.up_proj.weight`, [f, d]); t.w(`${p}.mlp.down_proj.weight`, [d, f]);
  }
  t.norm('norm.weight', d);
  return t.list;
}

function vaeTensors(rng: Rng): TensorToWrite[] {
  const { blockOut, layersPerBlock, latent } = TINY.vae;
  const t = new TensorSet(rng);
  const conv = (p: string, i: number, o: number, k: number) => { t.w(`${p}.weight`, [o, i, k, k]); t.bias(`${p}.bias`, o); };
  const gn = (p: string, c: number) => { t.norm(`${p}.weight`, c); t.bias(`${p}.bias`, c); };
  const res = (p: string, i: number, o: number) => {
    gn(`${p}.norm1`, i); conv(`${p}.conv1`, i, o, 3); gn(`${p}.norm2`, o); conv(`${p}.conv2`, o, o, 3);
    if (i !== o) conv(`${p}.conv_shortcut`, i, o, 1);
  };
  const up = [...blockOut].reverse();
  conv('decoder.conv_in', latent, up[0], 3);
  res('decoder.mid_block.resnets.0', up[0], up[0]);
  gn('decoder.mid_block.attentions.0.group_norm', up[0]);
  for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) { t.w(`decoder.mid_block.attentions.0.${n}.weight`, [up[0], up[0]]); t.bias(`decoder.mid_block.attentions.0.${n}.bias`, up[0]); }
  res('decoder.mid_block.resnets.1', up[0], up[0]);
  let prev = up[0];
  up.forEach((c, i) => {
    for (let j = 0; j <= layersPerBlock; j++) res(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : c, c);
    if (i < up.length - 1) conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, c, c, 3);
    prev = c;
  });
  gn('decoder.conv_norm_out', prev);
  conv('decoder.conv_out', prev, 3, 3);
  // the encoder (diffusers Encoder: down blocks of layers_per_block resnets, a stride-2 conv between them, double_z)
  conv('encoder.conv_in', 3, blockOut[0], 3);
  prev = blockOut[0];
  blockOut.forEach((c, i) => {
    for (let j = 0; j < layersPerBlock; j++) res(`encoder.down_blocks.${i}.resnets.${j}`, j === 0 ? prev : c, c);
    if (i < blockOut.length - 1) conv(`encoder.down_blocks.${i}.downsamplers.0.conv`, c, c, 3);
    prev = c;
  });
  res('encoder.mid_block.resnets.0', prev, prev);
  gn('encoder.mid_block.attentions.0.group_norm', prev);
  for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) { t.w(`encoder.mid_block.attentions.0.${n}.weight`, [prev, prev]); t.bias(`encoder.mid_block.attentions.0.${n}.bias`, prev); }
  res('encoder.mid_block.resnets.1', prev, prev);
  gn('encoder.conv_norm_out', prev);
  conv('encoder.conv_out', prev, 2 * latent, 3);
  return t.list;
}

function json(file: string, value: unknown) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes the tiny diffusers-layout checkpoint into `dir`. `writeTokenizer` puts a tokenizer.json at the path. */
export function writeTinyCheckpoint(dir: string, seed: number, writeTokenizer: (file: string) => void): void {
  const rng = new Rng(seed);
  const { dit, te, vae } = TINY;
  json(path.join(dir, 'model_index.json'), {
    _class_name: 'ZImagePipeline', _diffusers_version: '0.36.0',
    scheduler: ['diffusers', 'FlowMatchEulerDiscreteScheduler'], text_encoder: ['transformers', 'Qwen3Model'],
    tokenizer: ['transformers', 'Qwen2Tokenizer'], transformer: ['diffusers', 'ZImageTransformer2DModel'], vae: ['diffusers', 'AutoencoderKL'],
  });
  json(path.join(dir, 'transformer/config.json'), {
    _class_name: 'ZImageTransformer2DModel', all_patch_size: [2], all_f_patch_size: [1], in_channels: 16, dim: dit.dim,
    n_layers: dit.layers, n_refiner_layers: dit.refiners, n_heads: dit.heads, n_kv_heads: dit.heads, norm_eps: 1e-5, qk_norm: true,
    cap_feat_dim: dit.capFeatDim, rope_theta: 256.0, t_scale: 1000.0, axes_dims: dit.axesDims, axes_lens: [1536, 512, 512],
  });
  writeSafetensors(path.join(dir, 'transformer/diffusion_pytorch_model.safetensors'), ditTensors(rng));
  json(path.join(dir, 'text_encoder/config.json'), {
    architectures: ['Qwen3Model'], model_type: 'qwen3', vocab_size: te.vocab, hidden_size: te.hidden, intermediate_size: te.intermediate,
    num_hidden_layers: te.layers, num_attention_heads: te.heads, num_key_value_heads: te.kvHeads, head_dim: te.headDim,
    hidden_act: 'silu', max_position_embeddings: 40960, rms_norm_eps: 1e-6, rope_theta: 1000000, attention_bias: false,
    tie_word_embeddings: true, torch_dtype: 'float32',
  });
  writeSafetensors(path.join(dir, 'text_encoder/model.safetensors'), teTensors(rng));
  json(path.join(dir, 'vae/config.json'), {
    _class_name: 'AutoencoderKL', in_channels: 3, out_channels: 3, latent_channels: vae.latent, block_out_channels: vae.blockOut,
    layers_per_block: vae.layersPerBlock, norm_num_groups: 32, act_fn: 'silu', mid_block_add_attention: true,
    down_block_types: vae.blockOut.map(() => 'DownEncoderBlock2D'), up_block_types: vae.blockOut.map(() => 'UpDecoderBlock2D'),
    use_quant_conv: false, use_post_quant_conv: false, force_upcast: true, sample_size: 1024, scaling_factor: 0.3611, shift_factor: 0.1159,
  });
  writeSafetensors(path.join(dir, 'vae/diffusion_pytorch_model.safetensors'), vaeTensors(rng));
  json(path.join(dir, 'scheduler/scheduler_config.json'), { _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 3.0, use_dynamic_shifting: false });
  fs.mkdirSync(path.join(dir, 'tokenizer'), { recursive: true });
  writeTokenizer(path.join(dir, 'tokenizer/tokenizer.json'));
}
