// Tests the seeds of a batch: consecutive by default, wrapping at 2^53, random after the first when asked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSeeds, describeSeeds } from './batch.ts';
import { SEED_MAX } from './params.ts';

test('a batch of 4 from seed 42 runs 42, 43, 44, 45', () => {
  assert.deepEqual(batchSeeds(42, 4), [42, 43, 44, 45]);
  assert.equal(describeSeeds(batchSeeds(42, 4), false), 'seeds 42–45');
  assert.equal(describeSeeds([7], false), 'seed 7');
});

test('consecutive seeds wrap past 2^53 − 1 to 0 and stay valid', () => {
  assert.deepEqual(batchSeeds(SEED_MAX - 1, 3), [SEED_MAX - 1, SEED_MAX, 0]);
});

test('random each keeps the first seed and draws the others', () => {
  let next = 100;
  const seeds = batchSeeds(5, 3, true, () => next++);
  assert.deepEqual(seeds, [5, 100, 101]);
  assert.equal(describeSeeds(seeds, true), 'seed 5 and 2 random');
  const drawn = batchSeeds(5, 8, true);
  assert.equal(drawn[0], 5);
  assert.ok(drawn.every((seed) => Number.isSafeInteger(seed) && seed >= 0));
  assert.ok(new Set(drawn).size > 1);
});
