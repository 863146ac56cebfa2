// Tiled decoding: exact for a local decoder (nearest upsampling), and within 35 dB PSNR of the whole decode for the
// tiny model's real VAE graph (whose mid-block attention is global, so tiles differ slightly).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { VaeRunner } from '../runners.ts';
import { convert, readManifest } from '../convert.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { decodeTiled, tileStarts } from './tiled-vae.ts';

test('tile starts cover the axis, step by tile − overlap, the last flush with the edge', () => {
  assert.deepEqual(tileStarts(40, 64, 16), [0]);
  assert.deepEqual(tileStarts(128, 64, 16), [0, 48, 64]);
  assert.deepEqual(tileStarts(100, 32, 8), [0, 24, 48, 68]);
});

test('a local decoder gives exactly the whole result', async () => {
  const C = 2, h = 20, w = 28, f = 2;
  const z = Float32Array.from({ length: C * h * w }, (_, i) => Math.sin(i * 0.37));
  // nearest ×f upsampling of channel 0 into 3 output channels with different scales
  const decode = async (t: Float32Array, th: number, tw: number) => {
    const out = new Float32Array(3 * th * f * tw * f);
    for (let c = 0; c < 3; c++) for (let y = 0; y < th * f; y++) for (let x = 0; x < tw * f; x++) {
      out[(c * th * f + y) * tw * f + x] = (c + 1) * t[Math.floor(y / f) * tw + Math.floor(x / f)];
    }
    return out;
  };
  const whole = await decode(z, h, w);
  const tiled = await decodeTiled(z, C, h, w, f, decode, { tile: 8, overlap: 4 });
  for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(whole[i] - tiled[i]) < 1e-5, `pixel ${i}`);
});

test('the tiny VAE graph: tiled vs whole ≥ 35 dB PSNR', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tiled-'));
  writeTinyCheckpoint(path.join(tmp, 'src'), 0, (f) => fs.writeFileSync(f, '{}'));
  const { dir } = convert({ sources: [path.join(tmp, 'src')], out: path.join(tmp, 'm'), precision: 'fp32', components: ['vae'] });
  const vae = await VaeRunner.load(dir, readManifest(dir), { ep: 'cpu' });
  const h = 40, w = 48;
  let s = 1;
  const z = Float32Array.from({ length: 16 * h * w }, () => { s = (s * 16807) % 2147483647; return (s / 2147483647 - 0.5) * 3; });
  const whole = await vae.decode(z, h, w);
  const tiled = await decodeTiled(z, 16, h, w, vae.scale, (t, th, tw) => vae.decode(t, th, tw), { tile: 32, overlap: 16 });
  let mse = 0;
  const px = (v: number) => Math.min(1, Math.max(0, v / 2 + 0.5));
  for (let i = 0; i < whole.length; i++) mse += (px(whole[i]) - px(tiled[i])) ** 2;
  const psnr = 10 * Math.log10(1 / (mse / whole.length));
  assert.ok(psnr >= 35, `PSNR ${psnr.toFixed(1)} dB`);
  await vae.release();
});
