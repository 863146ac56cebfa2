// The embedded demo model draws what the prompt says, checked by meaning, not by pixels of one machine: the real
// engine (first-start conversion of models/demo, fp32, CPU) generates prompts that differ in one attribute, over
// several seeds, in English and Chinese, and the mean colour of the region that attribute paints must move the
// right way (background, hair, clothes, the lit side of the face). Also: a fixed seed gives the same image, and
// CFG > 1 with a negative prompt moves the image away from it. The regions are those of the drawn training
// portraits (scripts/demo/portraits.py, REGIONS). Deliberately no reference images and no timings.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultModel } from '../lib/resolve.ts';
import { findDemoCheckpoint } from './demo-model.ts';
import { DEMO_ID, ensureDefaultModel, listModels, ZImagePipeline } from './pipeline/index.ts';
import type { GenerateRequest, ModelEntry } from './pipeline/types.ts';

/** [y0, y1, x0, x1] fractions of the image, as in scripts/demo/portraits.py REGIONS. */
const REGIONS = {
  background: [[0.02, 0.14, 0.02, 0.14], [0.02, 0.14, 0.86, 0.98]],
  hair: [[0.24, 0.31, 0.44, 0.56]],
  clothes: [[0.9, 0.98, 0.36, 0.64]],
  faceLeft: [[0.4, 0.5, 0.38, 0.44]],
  faceRight: [[0.4, 0.5, 0.56, 0.62]],
} as const;
type Region = keyof typeof REGIONS;
type Rgb = [number, number, number];

const SEEDS = [11, 22, 33];
const SIZE = 256;

function regionMean(pixels: Uint8Array, width: number, region: Region): Rgb {
  const sum: Rgb = [0, 0, 0];
  let n = 0;
  for (const [y0, y1, x0, x1] of REGIONS[region]) {
    for (let y = Math.floor(y0 * width); y < Math.floor(y1 * width); y++) {
      for (let x = Math.floor(x0 * width); x < Math.floor(x1 * width); x++) {
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) sum[c] += pixels[i + c] / 255;
        n++;
      }
    }
  }
  return sum.map((v) => v / n) as Rgb;
}

const luma = ([r, g, b]: Rgb) => 0.299 * r + 0.587 * g + 0.114 * b;
const fmt = (v: number[]) => v.map((x) => x.toFixed(2)).join(' ');

const NO_CHECKPOINT = findDemoCheckpoint()
  ? false
  : 'models/demo is not in this checkout: train it (scripts/demo/train.py on a GPU) and adopt it (scripts/demo/adopt.sh)';

describe('the embedded demo model draws what the prompt says (real engine, fp32, CPU)', { timeout: 600_000, skip: NO_CHECKPOINT }, () => {
  let weights: string;
  let model: ModelEntry;
  let pipeline: ZImagePipeline;

  before(async () => {
    weights = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-demo-'));
    model = await ensureDefaultModel(weights);
    pipeline = await ZImagePipeline.load(model, 'fp32', 'cpu');
  });
  after(async () => {
    await pipeline?.release();
    fs.rmSync(weights, { recursive: true, force: true });
  });

  async function draw(prompt: string, seed: number, extra: Partial<GenerateRequest> = {}) {
    const result = await pipeline.generate({ prompt, steps: 8, cfg: 1, width: SIZE, height: SIZE, seed, precision: 'fp32', ep: 'cpu', ...extra });
    return result.pixels;
  }

  /** For every seed: `score` of the region under prompt `a` minus under prompt `b`. */
  async function contrast(a: string, b: string, region: Region, score: (rgb: Rgb) => number) {
    const diffs: number[] = [];
    for (const seed of SEEDS) {
      diffs.push(score(regionMean(await draw(a, seed), SIZE, region)) - score(regionMean(await draw(b, seed), SIZE, region)));
    }
    return diffs;
  }

  test('is the default over the tiny random model, made by first start, at its native size', () => {
    assert.equal(model.id, DEMO_ID);
    assert.equal(model.demo?.nativeSize, SIZE);
    const models = listModels(weights);
    assert.deepEqual(models.map((m) => m.id).sort(), [DEMO_ID, 'tiny']);
    assert.equal(defaultModel(models)?.id, DEMO_ID);
    assert.ok(fs.existsSync(path.join(weights, DEMO_ID, 'source', 'tokenizer', 'tokenizer.json')), 'the converter ran on a full diffusers folder');
  });

  const redness = ([r, g, b]: Rgb) => r - (g + b) / 2;
  const blueness = ([r, , b]: Rgb) => b - r;

  for (const [lang, red, blue] of [['English', 'red background', 'blue background'], ['Chinese', '红色背景', '蓝色背景']] as const) {
    test(`background colour follows the prompt (${lang})`, async () => {
      const d = await contrast(red, blue, 'background', (c) => redness(c) - blueness(c));
      assert.ok(d.every((x) => x > 0.5), `red − blue background, per seed: ${fmt(d)} (each should be > 0.5)`);
    });
  }

  for (const [lang, light, dark] of [['English', 'short blonde hair', 'short black hair'], ['Chinese', '金色短发', '黑色短发']] as const) {
    test(`hair colour follows the prompt (${lang})`, async () => {
      const d = await contrast(light, dark, 'hair', luma);
      assert.ok(d.every((x) => x > 0.3), `blonde − black hair brightness, per seed: ${fmt(d)} (each should be > 0.3)`);
    });
  }

  test('clothing colour follows the prompt (mixed English and Chinese)', async () => {
    const d = await contrast('a portrait, red shirt', '肖像，绿色上衣', 'clothes', ([r, g]) => r - g);
    assert.ok(d.every((x) => x > 0.3), `red − green clothes (R−G), per seed: ${fmt(d)} (each should be > 0.3)`);
  });

  test('light from the left brightens the left side of the face, from the right the right side', async () => {
    const side = (rgb: Rgb[]) => luma(rgb[0]) - luma(rgb[1]);
    const d: number[] = [];
    for (const seed of SEEDS) {
      const left = await draw('light from the left', seed);
      const right = await draw('light from the right', seed);
      d.push(side([regionMean(left, SIZE, 'faceLeft'), regionMean(left, SIZE, 'faceRight')]) -
        side([regionMean(right, SIZE, 'faceLeft'), regionMean(right, SIZE, 'faceRight')]));
    }
    assert.ok(d.every((x) => x > 0.1), `(left − right face brightness) under left light minus under right light: ${fmt(d)}`);
  });

  test('a fixed seed reproduces the image; another seed changes it', async () => {
    const a = await draw('long pink hair, glasses, yellow background', 5);
    const b = await draw('long pink hair, glasses, yellow background', 5);
    const c = await draw('long pink hair, glasses, yellow background', 6);
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), 'same seed, same request: identical pixels');
    assert.ok(!Buffer.from(a).equals(Buffer.from(c)), 'another seed: different pixels');
  });

  test('CFG > 1 with a negative prompt moves the image away from it', async () => {
    const d: number[] = [];
    for (const seed of SEEDS) {
      const plain = regionMean(await draw('a portrait of a person', seed), SIZE, 'background');
      const away = regionMean(await draw('a portrait of a person', seed, { cfg: 4, negativePrompt: 'red background' }), SIZE, 'background');
      d.push(redness(plain) - redness(away));
    }
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    assert.ok(d.every((x) => x > -0.02) && mean > 0.05, `background redness lost with negative "red background" at CFG 4, per seed: ${fmt(d)}`);
  });
});
