// Tests for float32.ts: fma32 against an exact rational reference (BigInt), including the double-rounding
// midpoints where a naive fround(a·b + c) goes wrong.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { f, fma32, mulAdd32 } from './float32.ts';

/** x = m·2^e with m an integer (x is a float32, so this terminates). */
function rational(x: number): [bigint, number] {
  let m = x;
  let e = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  return [BigInt(m), e];
}

/** Round m·2^e to float32, ties to even (normal range only, which is all these tests use). */
function roundToFloat32(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const sign = m < 0n ? -1 : 1;
  let a = m < 0n ? -m : m;
  const shift = a.toString(2).length - 24;
  if (shift > 0) {
    const q = a >> BigInt(shift);
    const r = a - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    a = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
    e += shift;
  }
  return sign * Number(a) * 2 ** e;
}

function exactFma32(a: number, b: number, c: number): number {
  const [ma, ea] = rational(a);
  const [mb, eb] = rational(b);
  const [mc, ec] = rational(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  return roundToFloat32(ma * mb * 2n ** BigInt(ep - e) + mc * 2n ** BigInt(ec - e), e);
}

describe('fma32', () => {
  test('rounds once where fround(a·b + c) and the unfused form both round twice', () => {
    const a = f(1 + 2 ** -12); // a² = 1 + 2^-11 + 2^-24: exactly between two float32s
    const tiny = 2 ** -80;
    assert.equal(fma32(a, a, tiny), 1 + 2 ** -11 + 2 ** -23);
    assert.equal(fma32(a, a, -tiny), 1 + 2 ** -11);
    assert.equal(f(a * a + tiny), 1 + 2 ** -11); // the naive double result lands on the midpoint, ties to even
    assert.equal(mulAdd32(a, a, tiny), 1 + 2 ** -11);
  });

  test('equals the exact rational result on random and near-cancelling inputs', () => {
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 20000; i++) {
      const a = f((rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10));
      const b = f((rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10));
      // Half the cases cancel most of a·b, which is where roundings are delicate.
      const c = i % 2 ? f(-a * b * (1 + (rand() - 0.5) * 2 ** -20)) : f((rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10));
      if (a === 0 || b === 0 || c === 0) continue;
      const expected = exactFma32(a, b, c);
      if (expected === 0 || Math.abs(expected) < 2 ** -100) continue;
      assert.equal(fma32(a, b, c), expected, `fma32(${a}, ${b}, ${c})`);
    }
  });
});
