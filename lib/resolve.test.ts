// defaultModel, the rule every door (in-process engine, Redis catalogue, worker) uses for a request naming no model:
// the first real model, else the embedded trained demo, else the tiny random one. Deliberately only that rule
// (resolveModelPrecision's refusals are covered where their texts live).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultModel } from './resolve.ts';

const demo = { id: 'demo', tiny: false, demo: { nativeSize: 256, about: '' } };
const tiny = { id: 'tiny', tiny: true };
const real = { id: 'z-image-turbo', tiny: false };

test('a real model wins over the demo and the tiny model, whatever the order', () => {
  assert.equal(defaultModel([demo, tiny, real])?.id, 'z-image-turbo');
  assert.equal(defaultModel([real, demo])?.id, 'z-image-turbo');
});

test('without a real model the trained demo wins over the tiny random one; the tiny one only when alone', () => {
  assert.equal(defaultModel([demo, tiny])?.id, 'demo');
  assert.equal(defaultModel([tiny, demo])?.id, 'demo');
  assert.equal(defaultModel([tiny])?.id, 'tiny');
  assert.equal(defaultModel([]), undefined);
});
