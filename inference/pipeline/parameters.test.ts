// Tests the A1111 `parameters` text the engine writes into every PNG: a prompt's line breaks (any a parser splits
// on) cannot forge a "Negative prompt:" or settings line, and a model name with commas stays one value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a1111Parameters } from './metadata.ts';

const request = { prompt: 'a cat', negativePrompt: '', steps: 8, cfg: 1, width: 256, height: 256, seed: 7, precision: 'fp32' as const, ep: 'cpu' as const };

test('prompt line breaks cannot forge lines of the parameters text', () => {
  const forged = 'a cat\nNegative prompt: nothing\r\nSteps: 99, Sampler: DPM, Seed: 1\u2028Seed: 2\u0085x';
  const text = a1111Parameters({ ...request, prompt: forged, negativePrompt: 'blurry\nSteps: 50, Seed: 3, Size: 1x1' }, 'tiny');
  const lines = text.split(/\r\n|[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029]/);
  assert.equal(lines.length, 3, text);
  assert.ok(!lines[0].startsWith('Negative prompt:'));
  assert.equal(lines[0], 'a cat Negative prompt: nothing Steps: 99, Sampler: DPM, Seed: 1 Seed: 2 x');
  assert.equal(lines[1], 'Negative prompt: blurry Steps: 50, Seed: 3, Size: 1x1');
  assert.match(lines[2], /^Steps: 8, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Seed: 7, Size: 256x256, Model: tiny,/);
});

test('a model name with a comma or colon is quoted as A1111 does', () => {
  assert.match(a1111Parameters(request, 'Z-Image, v2: turbo'), /, Model: "Z-Image, v2: turbo", Precision: fp32,/);
});
