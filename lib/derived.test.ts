// Tests the pure helpers behind the controls and badges: precision options, run badges, VRAM estimate, hints, PNG.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode, encode } from 'fast-png';
import { encodePng as encodePngWithText } from '../inference/pipeline/png.ts';
import { cfgHint, stepsHint } from './hints.ts';
import { hasPngSignature, makeThumbnail, readPngSize, stripPngMetadata } from './png.ts';
import { defaultPrecision, precisionOptions, runBadge } from './precision.ts';
import { estimateVram } from './vram.ts';

const Z_IMAGE_TURBO = { dit: 6_154_908_736, te: 3_921_534_720, vae: 49_545_475 };

describe('precision options', () => {
  const machine = [
    { precision: 'bf16' as const, available: false, reason: 'bf16 graphs run only on CUDA.' },
    { precision: 'fp16' as const, available: true },
    { precision: 'fp16-safe' as const, available: true },
    { precision: 'fp32' as const, available: true },
  ];

  test('only precisions the machine runs AND the model has are available, with a reason for the rest', () => {
    const options = precisionOptions(machine, { name: 'tiny', precisions: ['fp32'] });
    assert.deepEqual(options.filter((option) => option.available).map((option) => option.precision), ['fp32']);
    assert.equal(options.find((option) => option.precision === 'bf16')?.reason, 'bf16 graphs run only on CUDA.');
    assert.match(options.find((option) => option.precision === 'fp16')?.reason ?? '', /Not converted for tiny/);
    assert.equal(defaultPrecision(options), 'fp32');
  });

  test('bf16 is preferred when it is available', () => {
    const all = machine.map((entry) => ({ ...entry, available: true }));
    assert.equal(defaultPrecision(precisionOptions(all, { name: 'm', precisions: ['fp32', 'bf16'] })), 'bf16');
  });
});

test('run badge shows the DiT precision and EP, and lists components that differ', () => {
  const badge = runBadge([
    { component: 'te', precision: 'bf16', ep: 'cuda', reason: 'requested' },
    { component: 'dit', precision: 'bf16', ep: 'cuda', reason: 'requested' },
    { component: 'vae', precision: 'fp32', ep: 'cuda', reason: 'VAE kept fp32 like the reference' },
  ]);
  assert.equal(badge.label, 'BF16 · CUDA');
  assert.deepEqual(badge.differing, ['VAE FP32']);
  assert.equal(runBadge([{ component: 'dit', precision: 'fp32', ep: 'cpu', reason: '' }]).label, 'FP32 · CPU');
});

test('VRAM estimate: bf16 weights of Z-Image-Turbo are ~19 GiB and activations grow with resolution', () => {
  const small = estimateVram(Z_IMAGE_TURBO, 'bf16', 768, 768);
  const large = estimateVram(Z_IMAGE_TURBO, 'bf16', 1280, 1280);
  const gib = 1024 ** 3;
  assert.ok(small.weightsBytes / gib > 18 && small.weightsBytes / gib < 19.5, `${small.weightsBytes / gib}`);
  assert.ok(large.activationBytes > small.activationBytes);
  assert.ok(estimateVram(Z_IMAGE_TURBO, 'fp32', 1024, 1024).weightsBytes > 1.9 * estimateVram(Z_IMAGE_TURBO, 'bf16', 1024, 1024).weightsBytes);
});

test('hints follow the Turbo step bands and CFG cost', () => {
  assert.equal(stepsHint(8).tone, 'ok');
  assert.match(stepsHint(5).text, /Fast/);
  assert.match(stepsHint(20).text, /No gain/);
  assert.match(cfgHint(1).text, /Off/);
  assert.match(cfgHint(2).text, /doubles the work/);
});

describe('PNG helpers', () => {
  const rgb = new Uint8Array(64 * 32 * 3).map((_, index) => index % 251);
  const withText = encode({ width: 64, height: 32, data: rgb, channels: 3, depth: 8, text: { parameters: 'secret prompt' } });

  test('stripping metadata keeps the pixels and drops every text chunk', () => {
    const stripped = stripPngMetadata(withText);
    const decoded = decode(stripped);
    assert.deepEqual(decoded.text, {});
    assert.deepEqual(Array.from(decoded.data), Array.from(rgb));
    assert.equal(Buffer.from(stripped).includes('secret prompt'), false);
  });

  test('stripping also drops the UTF-8 iTXt chunk the engine writes for Chinese prompts', async () => {
    const engineLike = await encodePngWithText(rgb, 64, 32, { parameters: '老渔夫的肖像\nSteps: 8', 'zimage-studio': '{"seed":1}' });
    assert.ok(Buffer.from(engineLike).includes('iTXt'), 'the fixture has an iTXt chunk');
    const stripped = Buffer.from(stripPngMetadata(engineLike));
    for (const type of ['tEXt', 'iTXt', 'zTXt']) assert.equal(stripped.includes(type), false, `no ${type} left`);
    assert.deepEqual(Array.from(decode(stripped).data), Array.from(rgb));
  });

  test('"without metadata" is never larger than the original (the pixel data is not re-compressed)', async () => {
    const engineLike = await encodePngWithText(rgb, 64, 32, { parameters: 'p\nSteps: 8', 'zimage-studio': '{"seed":1}' });
    const stripped = stripPngMetadata(engineLike);
    assert.ok(stripped.length < engineLike.length, `${stripped.length} < ${engineLike.length}`);
    assert.ok(stripPngMetadata(stripped).length === stripped.length, 'nothing left to strip');
  });

  test('readPngSize reads IHDR; thumbnails keep the aspect ratio', () => {
    assert.ok(hasPngSignature(withText));
    assert.deepEqual(readPngSize(withText), { width: 64, height: 32 });
    assert.deepEqual(readPngSize(makeThumbnail(rgb, 64, 32, 16)), { width: 16, height: 8 });
    assert.throws(() => readPngSize(new Uint8Array(30)), /Not a PNG/);
  });
});

test('hints follow the variant: Turbo\'s 8-step, CFG-off advice is never given for Z-Image base', async () => {
  const { presetsFor } = await import('./params.ts');
  assert.equal(stepsHint(8, 'base').tone, 'warn');
  assert.match(stepsHint(8, 'base').text, /28–50/);
  assert.equal(stepsHint(40, 'base').tone, 'ok');
  assert.doesNotMatch(stepsHint(40, 'base').text, /Turbo/);
  assert.equal(cfgHint(1, 'base').tone, 'warn');
  assert.match(cfgHint(1, 'base').text, /needs guidance/);
  assert.equal(cfgHint(5, 'base').tone, 'ok');
  assert.equal(stepsHint(8).tone, 'ok', 'Turbo unchanged');
  assert.deepEqual(presetsFor('base').map((p) => [p.steps, p.cfg]), [[50, 5], [28, 5]]);
  assert.deepEqual(presetsFor('turbo').map((p) => [p.steps, p.cfg]), [[8, 1], [12, 2]]);
  for (const p of presetsFor('base')) assert.doesNotMatch(p.description, /distilled/);
});
