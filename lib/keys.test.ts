// Tests the arrow-key stepping of numeric fields: one step, ten with Shift, onto the grid, within the range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { steppedValue } from './keys.ts';

test('ArrowUp/Down step by the rule, Shift by ten steps, clamped to the range', () => {
  const steps = { step: 1, min: 1, max: 100 };
  assert.equal(steppedValue('8', 'ArrowUp', false, steps), '9');
  assert.equal(steppedValue('8', 'ArrowDown', true, steps), '1');
  assert.equal(steppedValue('100', 'ArrowUp', false, steps), '100');
  assert.equal(steppedValue('8', 'Enter', false, steps), null);
  assert.equal(steppedValue('', 'ArrowUp', false, steps), '1');
});

test('sizes step by 16 and land on the grid first; CFG steps by 0.5 without float noise', () => {
  const size = { step: 16, min: 256, max: 2048 };
  assert.equal(steppedValue('1024', 'ArrowUp', false, size), '1040');
  assert.equal(steppedValue('1000', 'ArrowUp', false, size), '1008');
  assert.equal(steppedValue('1000', 'ArrowDown', false, size), '992');
  assert.equal(steppedValue('1.5', 'ArrowUp', false, { step: 0.5, min: 1, max: 20 }), '2');
  assert.equal(steppedValue('1.1', 'ArrowUp', false, { step: 0.1, min: 1, max: 20 }), '1.2');
});
