// Tests the comparison numbers on arrays whose answers are known by hand: PSNR, max and mean absolute difference,
// the black fraction (the engine's ≤ 8 rule), and the heat map's scaling. RGB and canvas RGBA layouts both.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blackFraction, diffStats, formatPsnr, heatColour, heatMap } from './compare-metrics.ts';

describe('diffStats', () => {
  test('identical images: PSNR is infinite, no difference', () => {
    const a = new Uint8Array([10, 20, 30, 40, 50, 60]);
    const stats = diffStats(a, a, 3);
    assert.equal(stats.psnr, Infinity);
    assert.equal(stats.maxAbs, 0);
    assert.equal(stats.meanAbs, 0);
    assert.equal(stats.pixels, 2);
    assert.equal(formatPsnr(stats.psnr), '∞ dB (identical)');
  });

  test('known differences: max, mean and PSNR by hand', () => {
    // Two RGB pixels; channel differences 0,0,10 and 20,0,0 → mean 30/6 = 5, MSE (100+400)/6, max 20.
    const a = new Uint8Array([0, 0, 0, 100, 100, 100]);
    const b = new Uint8Array([0, 0, 10, 80, 100, 100]);
    const stats = diffStats(a, b, 3);
    assert.equal(stats.maxAbs, 20);
    assert.equal(stats.meanAbs, 5);
    assert.ok(Math.abs(stats.mse - 500 / 6) < 1e-12);
    assert.ok(Math.abs(stats.psnr - 10 * Math.log10((255 * 255) / (500 / 6))) < 1e-12);
    assert.equal(formatPsnr(stats.psnr), '28.9 dB');
  });

  test('black against white is the worst case: 0 dB', () => {
    const black = new Uint8ClampedArray([0, 0, 0, 255]);
    const white = new Uint8ClampedArray([255, 255, 255, 255]);
    const stats = diffStats(black, white, 4);
    assert.equal(stats.maxAbs, 255);
    assert.equal(stats.meanAbs, 255);
    assert.equal(stats.psnr, 0);
  });

  test('RGBA: alpha is ignored', () => {
    const a = new Uint8ClampedArray([5, 5, 5, 255, 9, 9, 9, 255]);
    const b = new Uint8ClampedArray([5, 5, 5, 0, 9, 9, 9, 17]);
    assert.equal(diffStats(a, b, 4).psnr, Infinity);
  });

  test('images of different sizes are refused with both sizes named', () => {
    assert.throws(() => diffStats(new Uint8Array(6), new Uint8Array(9), 3), /6 vs 9/);
    assert.throws(() => diffStats(new Uint8Array(5), new Uint8Array(5), 3), /not whole pixels/);
  });
});

describe('blackFraction', () => {
  test('counts pixels whose three channels are all ≤ 8', () => {
    const rgb = new Uint8Array([0, 0, 0, 8, 8, 8, 9, 0, 0, 200, 200, 200]);
    assert.equal(blackFraction(rgb, 3), 0.5);
  });

  test('an all-black RGBA canvas is 1, an empty one 0', () => {
    assert.equal(blackFraction(new Uint8ClampedArray([0, 0, 0, 255, 1, 2, 3, 255]), 4), 1);
    assert.equal(blackFraction(new Uint8ClampedArray(0), 4), 0);
  });
});

describe('heatMap', () => {
  test('scales to the largest difference and writes opaque RGBA', () => {
    const a = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const b = new Uint8Array([0, 0, 0, 10, 0, 0, 0, 0, 20]);
    const out = new Uint8ClampedArray(12);
    assert.equal(heatMap(a, b, 3, out), 20);
    assert.deepEqual([...out.slice(0, 4)], [0, 0, 0, 255]);
    assert.deepEqual([...out.slice(8, 12)], [...heatColour(1), 255]);
    assert.deepEqual([...out.slice(4, 8)], [...heatColour(0.5), 255]);
  });

  test('identical images give a black map and a zero maximum', () => {
    const a = new Uint8ClampedArray([7, 7, 7, 255]);
    const out = new Uint8ClampedArray(4);
    assert.equal(heatMap(a, a, 4, out), 0);
    assert.deepEqual([...out], [0, 0, 0, 255]);
  });

  test('the colour ramp gets lighter all the way', () => {
    const light = (t: number) => heatColour(t).reduce((s, v) => s + v, 0);
    for (let t = 0.05; t <= 1; t += 0.05) assert.ok(light(t) >= light(t - 0.05), `lighter at ${t.toFixed(2)}`);
  });
});
