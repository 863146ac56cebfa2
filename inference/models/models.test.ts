// The three families on the tiny checkpoint: config detection, parameter arithmetic at real size, key tables
// (the single-file ComfyUI DiT gives identical outputs), shape-mismatch errors, and golden outputs against the
// PyTorch reference (fixtures dumped once by scripts/reference/components.py tiny).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { DitRunner, TextEncoderRunner, VaeRunner } from '../runners.ts';
import { convert, readManifest } from '../convert.ts';
import { Checkpoint, writeSafetensors, type TensorToWrite } from '../safetensors.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { detectDitConfig, ditKeyTable, ditParameterCount, ropeTables, type DitConfig } from './z-image-dit.ts';
import { detectQwen3Config, qwen3KeyTable, qwen3ParameterCount } from './qwen3-encoder.ts';
import { detectVaeConfig, vaeDecoderParameterCount, vaeKeyTable } from './flux-vae.ts';
import { Z_IMAGE_CONSTANTS, Z_IMAGE_TURBO_SHAPE } from './z-image-constants.ts';
import onnxProto from 'onnx-proto';
import { parseGraphOptions } from '../../bench/graph-options.ts';
import { referenceFormulation } from './reference/index.ts';

const { onnx } = onnxProto;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'models-test-'));
const src = path.join(tmp, 'tiny-src');
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

before(() => {
  writeTinyCheckpoint(src, 0, (f) => fs.writeFileSync(f, '{}'));
  convert({ sources: [src], out: path.join(tmp, 'tiny'), precision: 'fp32' });
  // The spelled-out formulations (what the benchmark measures the defaults against) must stay right too.
  convert({ sources: [src], out: path.join(tmp, 'spelled'), precision: 'fp32', formulation: referenceFormulation(parseGraphOptions('rope-op=0,fused-norms=0,vae-norm=spelled')) });
  // fused norms with every plain norm as RMSNormalization (skip-norm=0) and the adaLN modulation per block
  // (mod-batch=0): the forms skip-norm and mod-batch are measured against
  convert({ sources: [src], out: path.join(tmp, 'noskip'), precision: 'fp32', formulation: referenceFormulation(parseGraphOptions('skip-norm=0,mod-batch=0')) });
});

describe('config detection from shapes', () => {
  test('DiT', () => {
    const ck = Checkpoint.open(path.join(src, 'transformer'));
    const cfg = detectDitConfig(ck, ditKeyTable(ck));
    assert.deepEqual({ ...cfg }, {
      dim: 64, headDim: 32, heads: 2, layers: 2, refinerLayers: 1, ffnHidden: 170, capFeatDim: 32, adalnDim: 64, tMid: 1024,
      inChannels: 16, patch: 2, axesDims: [8, 12, 12], ropeTheta: 256, tScale: 1000, normEps: 1e-5,
    });
    const total = ck.keys().reduce((s, k) => s + numel(ck.get(k).shape), 0);
    assert.equal(ditParameterCount(cfg), total);
  });

  test('Qwen3 text encoder (keys with and without the model. prefix)', () => {
    const ck = Checkpoint.open(path.join(src, 'text_encoder'));
    const cfg = detectQwen3Config(ck, qwen3KeyTable(ck));
    assert.deepEqual([cfg.vocab, cfg.hidden, cfg.layers, cfg.heads, cfg.kvHeads, cfg.headDim, cfg.intermediate], [151936, 32, 3, 4, 2, 16, 64]);
    assert.equal(qwen3ParameterCount(cfg, false), ck.keys().reduce((s, k) => s + numel(ck.get(k).shape), 0));
    const prefixed = path.join(tmp, 'te-prefixed.safetensors');
    writeSafetensors(prefixed, ck.keys().map((k): TensorToWrite => ({ key: `model.${k}`, dtype: 'F32', shape: ck.get(k).shape, data: ck.readRaw(k) })));
    const ck2 = Checkpoint.open(prefixed);
    assert.deepEqual(detectQwen3Config(ck2, qwen3KeyTable(ck2)), cfg);
  });

  test('FLUX VAE decoder', () => {
    const ck = Checkpoint.open(path.join(src, 'vae'));
    const cfg = detectVaeConfig(ck, vaeKeyTable(ck), path.join(src, 'vae/config.json'));
    assert.deepEqual(cfg.upChannels, [64, 64, 32, 32]);
    assert.equal(cfg.resnetsPerBlock, 2);
    assert.equal(vaeDecoderParameterCount(cfg), ck.keys().reduce((s, k) => s + numel(ck.get(k).shape), 0));
  });

  test('parameter arithmetic matches the published sizes of the real model', () => {
    const real: DitConfig = {
      dim: 3840, headDim: 128, heads: 30, layers: 30, refinerLayers: 2, ffnHidden: 10240, capFeatDim: 2560, adalnDim: 256, tMid: 1024,
      inChannels: 16, patch: 2, axesDims: [32, 48, 48], ropeTheta: 256, tScale: 1000, normEps: 1e-5,
    };
    assert.equal(ditParameterCount(real), 6_154_908_736);
    const te = { vocab: 151936, hidden: 2560, layers: 36, heads: 32, kvHeads: 8, headDim: 128, intermediate: 9728, ropeTheta: 1e6, eps: 1e-6 };
    assert.equal(qwen3ParameterCount(te, false), 4_022_468_096);
    assert.equal(qwen3ParameterCount(te, true), 3_921_534_720 + 0);
    const vae = { latentChannels: 16, upChannels: [512, 512, 256, 128], resnetsPerBlock: 3, groups: 32, eps: 1e-6, scalingFactor: 0.3611, shiftFactor: 0.1159 };
    assert.equal(vaeDecoderParameterCount(vae), 49_545_475);
    // the released shape the studio's VRAM estimate reads (z-image-constants.ts) is this model's
    const turbo = Z_IMAGE_TURBO_SHAPE;
    assert.deepEqual([real.layers + 2 * real.refinerLayers, real.headDim, real.patch, real.inChannels], [turbo.ditBlocks, turbo.headDim, Z_IMAGE_CONSTANTS.patch, Z_IMAGE_CONSTANTS.latentChannels]);
    const perDim2 = ditParameterCount(real) / (turbo.ditBlocks * real.dim ** 2);
    assert.ok(Math.abs(perDim2 / turbo.ditParamsPerDim2 - 1) < 0.01, `${perDim2} dim² per block`);
    assert.deepEqual([vaeDecoderParameterCount(vae), vae.upChannels.at(-1)], [turbo.vaeDecoderParameters, turbo.vaeFullResolutionChannels]);
  });
});

test('RoPE tables: each (axis, position) segment computed once gives the per-element formula, bit for bit', () => {
  const cfg = { headDim: 16, axesDims: [4, 6, 6], ropeTheta: 256 } as DitConfig;
  // a caption column (distinct first axis) and an image grid (repeated rows and columns), as the DiT feeds them
  const ids = Int32Array.from([1, 0, 0, 2, 0, 0, 3, 0, 0, 9, 0, 0, 9, 0, 1, 9, 1, 0, 9, 1, 1, 9, 7, 5, 0, 0, 0]);
  const { cos, sin } = ropeTables(cfg, ids);
  const half = cfg.headDim / 2;
  for (let i = 0; i < ids.length / 3; i++) {
    let j = 0;
    for (let axis = 0; axis < 3; axis++) {
      const d = cfg.axesDims[axis];
      for (let k = 0; k < d / 2; k++, j++) {
        const angle = Math.fround(ids[i * 3 + axis] * (1 / cfg.ropeTheta ** ((2 * k) / d)));
        assert.equal(cos[i * half + j], Math.fround(Math.cos(angle)), `cos row ${i} column ${j}`);
        assert.equal(sin[i * half + j], Math.fround(Math.sin(angle)), `sin row ${i} column ${j}`);
      }
    }
  }
});

describe('key tables', () => {
  test('the single-file ComfyUI DiT layout converts to the same graph and the same outputs', async () => {
    const ck = Checkpoint.open(path.join(src, 'transformer'));
    const comfy: TensorToWrite[] = [];
    const rename = (k: string) => k.replace('all_x_embedder.2-1.', 'x_embedder.').replace('all_final_layer.2-1.', 'final_layer.')
      .replace('.attention.to_out.0.', '.attention.out.').replace('.attention.norm_q.', '.attention.q_norm.').replace('.attention.norm_k.', '.attention.k_norm.');
    for (const k of ck.keys()) {
      if (/\.attention\.to_[kv]\.weight$/.test(k)) continue;
      if (/\.attention\.to_q\.weight$/.test(k)) {
        const parts = ['to_q', 'to_k', 'to_v'].map((n) => ck.readRaw(k.replace('to_q', n)));
        const [o, i] = ck.get(k).shape;
        comfy.push({ key: `model.diffusion_model.${k.replace('.attention.to_q.weight', '.attention.qkv.weight')}`, dtype: 'F32', shape: [3 * o, i], data: Buffer.concat(parts) });
        continue;
      }
      comfy.push({ key: `model.diffusion_model.${rename(k)}`, dtype: 'F32', shape: ck.get(k).shape, data: ck.readRaw(k) });
    }
    comfy.push({ key: 'model.diffusion_model.norm_final.weight', dtype: 'F32', shape: [64], data: Buffer.alloc(256) });
    const file = path.join(tmp, 'dit-comfy.safetensors');
    writeSafetensors(file, comfy);
    const { dir, manifest } = convert({ sources: [file], out: path.join(tmp, 'comfy'), precision: 'fp32', components: ['dit'] });
    assert.equal(manifest.components.dit!.source.layout, 'single-file (ComfyUI)');
    assert.deepEqual(manifest.components.dit!.tensors.unused, [], 'norm_final is ignored, not unused');

    const a = await DitRunner.load(path.join(tmp, 'tiny/fp32'), readManifest(path.join(tmp, 'tiny/fp32')), { ep: 'cpu' });
    const b = await DitRunner.load(dir, manifest, { ep: 'cpu' });
    const x = Float32Array.from({ length: 16 * 4 * 6 }, (_, i) => Math.sin(i * 0.7));
    const cap = Float32Array.from({ length: 5 * 32 }, (_, i) => Math.cos(i * 0.3));
    assert.deepEqual(await b.velocity(x, 4, 6, 0.25, cap, 5), await a.velocity(x, 4, 6, 0.25, cap, 5));
    await a.release();
    await b.release();
  });

  test('the BFL ae.safetensors VAE layout converts to the same outputs as the diffusers layout', async () => {
    const ck = Checkpoint.open(path.join(src, 'vae'));
    const up = (i: number) => 3 - i; // diffusers up_blocks.i ↔ BFL up.(3−i)
    const toBfl = (k: string) => k
      .replace(/^decoder\.mid_block\.resnets\.(\d)\./, (_, n) => `decoder.mid.block_${Number(n) + 1}.`)
      .replace('decoder.mid_block.attentions.0.group_norm.', 'decoder.mid.attn_1.norm.')
      .replace(/^decoder\.mid_block\.attentions\.0\.to_(q|k|v)\./, 'decoder.mid.attn_1.$1.')
      .replace('decoder.mid_block.attentions.0.to_out.0.', 'decoder.mid.attn_1.proj_out.')
      .replace(/^decoder\.up_blocks\.(\d)\.resnets\.(\d)\./, (_, i, j) => `decoder.up.${up(Number(i))}.block.${j}.`)
      .replace(/^decoder\.up_blocks\.(\d)\.upsamplers\.0\.conv\./, (_, i) => `decoder.up.${up(Number(i))}.upsample.conv.`)
      .replace('decoder.conv_norm_out.', 'decoder.norm_out.')
      .replace('.conv_shortcut.', '.nin_shortcut.');
    // BFL stores the attention projections as 1×1 convs, and ships the encoder too (ignored).
    const bfl = ck.keys().map((k): TensorToWrite => {
      const shape = /attn_1\.(q|k|v|proj_out)\.weight$/.test(toBfl(k)) ? [...ck.get(k).shape, 1, 1] : ck.get(k).shape;
      return { key: toBfl(k), dtype: 'F32', shape, data: ck.readRaw(k) };
    });
    bfl.push({ key: 'encoder.conv_in.weight', dtype: 'F32', shape: [4], data: Buffer.alloc(16) });
    const file = path.join(tmp, 'ae.safetensors');
    writeSafetensors(file, bfl);
    const { dir, manifest } = convert({ sources: [file], out: path.join(tmp, 'bfl'), precision: 'fp32', components: ['vae'] });
    assert.deepEqual(manifest.components.vae!.tensors.unused, []);
    const a = await VaeRunner.load(path.join(tmp, 'tiny/fp32'), readManifest(path.join(tmp, 'tiny/fp32')), { ep: 'cpu' });
    const b = await VaeRunner.load(dir, manifest, { ep: 'cpu' });
    const z = Float32Array.from({ length: 16 * 3 * 5 }, (_, i) => Math.cos(i * 0.9));
    assert.deepEqual(await b.decode(z, 3, 5), await a.decode(z, 3, 5));
    await a.release();
    await b.release();
  });

  test('a shape mismatch names the key and both shapes', () => {
    const ck = Checkpoint.open(path.join(src, 'transformer'));
    const broken = ck.keys().map((k): TensorToWrite => (k === 'layers.1.feed_forward.w2.weight'
      ? { key: k, dtype: 'F32', shape: [64, 10], data: Buffer.alloc(64 * 10 * 4) }
      : { key: k, dtype: 'F32', shape: ck.get(k).shape, data: ck.readRaw(k) }));
    const file = path.join(tmp, 'dit-broken.safetensors');
    writeSafetensors(file, broken);
    assert.throws(() => convert({ sources: [file], out: path.join(tmp, 'broken'), precision: 'fp32', components: ['dit'] }),
      /layers\.1\.feed_forward\.w2\.weight: expected shape \[64,170\], found \[64,10\]/);
    assert.ok(!fs.existsSync(path.join(tmp, 'broken/fp32')), 'no half-written model');
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'broken')), [], 'temporary folder removed');
  });
});

/** Golden outputs: present once scripts/reference/components.py tiny has been run on the reference host. */
describe('golden outputs vs the PyTorch reference (tiny, fp32, CPU)', () => {
  const fixture = (name: string) => Checkpoint.open(path.join(FIXTURES, `${name}.safetensors`));
  const close = (got: Float32Array, want: Float32Array, tol: number) => {
    assert.equal(got.length, want.length);
    let maxErr = 0, maxRef = 0;
    for (let i = 0; i < got.length; i++) { maxErr = Math.max(maxErr, Math.abs(got[i] - want[i])); maxRef = Math.max(maxRef, Math.abs(want[i])); }
    assert.ok(maxErr <= tol * Math.max(1, maxRef), `max abs error ${maxErr} (reference max ${maxRef})`);
  };
  test('the default graphs use the fused ops; the spelled-out ones do not', () => {
    const ops = (variant: string) => {
      const m = readManifest(path.join(tmp, `${variant}/fp32`));
      return [...m.components.dit!.opTypes, ...m.components.vae!.opTypes];
    };
    for (const op of ['RotaryEmbedding', 'com.microsoft:SkipSimplifiedLayerNormalization', 'ReduceSumSquare']) {
      assert.ok(ops('tiny').includes(op), `default graph uses ${op}`);
      assert.ok(!ops('spelled').includes(op), `spelled-out graph has no ${op}`);
    }
  });

  const nodes = (variant: string) => {
    const dir = path.join(tmp, `${variant}/fp32`);
    const model = onnx.ModelProto.decode(fs.readFileSync(path.join(dir, readManifest(dir).components.dit!.file)));
    const count: Record<string, number> = {};
    for (const n of model.graph!.node!) count[n.opType!] = (count[n.opType!] ?? 0) + 1;
    return count;
  };
  test('skip-norm: the plain norms of the fused DiT blocks become SkipSimplifiedLayerNormalization(x, x; 4ε)', () => {
    const [on, off] = [nodes('tiny'), nodes('noskip')];
    // per modulated or refiner block: attention_norm2 and ffn_norm2 (the pre-norms already take a residual)
    assert.ok(off.RMSNormalization > on.RMSNormalization, JSON.stringify({ on, off }));
    assert.equal(off.RMSNormalization - on.RMSNormalization, on.SkipSimplifiedLayerNormalization - off.SkipSimplifiedLayerNormalization);
  });

  test('mod-batch: the adaLN modulation of every modulated block in one MatMul and one Tanh', () => {
    const cfg = readManifest(path.join(tmp, 'tiny/fp32')).components.dit!.config as DitConfig;
    const modulated = cfg.layers + cfg.refinerLayers;
    const [on, off] = [nodes('tiny'), nodes('noskip')];
    assert.equal(on.Tanh, 1);
    assert.equal(off.Tanh, 2 * modulated, 'per block: tanh(gate_msa), tanh(gate_mlp)');
    assert.equal(off.MatMul - on.MatMul, modulated - 1);
  });

  test('text encoder: padding to the bucket changes no real token (causal), whatever follows the prompt', async () => {
    const dir = path.join(tmp, 'tiny/fp32');
    const te = await TextEncoderRunner.load(dir, readManifest(dir), { ep: 'cpu' });
    const ids = fixture('te').readInts('input_ids'); // 13 tokens: padded to 32
    const alone = await te.encode(ids);
    const followed = await te.encode([...ids, ...Array.from({ length: 32 - ids.length }, (_, i) => 1000 + i)]); // 32: no pad
    assert.equal(alone.length, ids.length * te.config.hidden);
    close(alone, followed.subarray(0, alone.length), 1e-6);
    await te.release();
  });

  for (const variant of ['tiny', 'spelled', 'noskip']) {
    const dir = () => path.join(tmp, `${variant}/fp32`);
    test(`text encoder features (${variant})`, async () => {
      const f = fixture('te');
      const te = await TextEncoderRunner.load(dir(), readManifest(dir()), { ep: 'cpu' });
      close(await te.encode(f.readInts('input_ids')), f.readF32('features'), 1e-4);
      await te.release();
    });

    for (const name of ['dit_a', 'dit_b']) {
      test(`DiT velocity (${name}, ${variant})`, async () => {
        const f = fixture(name);
        const dit = await DitRunner.load(dir(), readManifest(dir()), { ep: 'cpu' });
        const [, , h, w] = f.get('x').shape;
        const L = f.get('cap_feats').shape[0];
        close(await dit.velocity(f.readF32('x'), h, w, f.readF32('t')[0], f.readF32('cap_feats'), L), f.readF32('v'), 1e-4);
        await dit.release();
      });
    }

    test(`DiT velocity after a shorter caption in the same bucket, on one runner (${variant})`, async () => {
      const f = fixture('dit_a');
      const dit = await DitRunner.load(dir(), readManifest(dir()), { ep: 'cpu' });
      const [, , h, w] = f.get('x').shape;
      const [L, capDim] = f.get('cap_feats').shape;
      const cap = f.readF32('cap_feats');
      assert.ok(L > 1 && L % 32 !== 1, 'the fixture caption and one row less share a bucket');
      await dit.velocity(f.readF32('x'), h, w, f.readF32('t')[0], cap.slice(0, (L - 1) * capDim), L - 1);
      close(await dit.velocity(f.readF32('x'), h, w, f.readF32('t')[0], cap, L), f.readF32('v'), 1e-4);
      await dit.release();
    });

    test(`VAE image (${variant})`, async () => {
      const f = fixture('vae');
      const vae = await VaeRunner.load(dir(), readManifest(dir()), { ep: 'cpu' });
      const [, , h, w] = f.get('latents').shape;
      close(await vae.decode(f.readF32('latents'), h, w), f.readF32('image'), 1e-4);
      await vae.release();
    });
  }
});
