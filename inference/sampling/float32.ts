// Float32 arithmetic for replaying compiled kernels bit for bit in JavaScript: `f` rounds a double to float32,
// `fma32` is an exact single-rounding float32 fused multiply-add, `mulAdd32` the unfused product-then-sum.
// Deliberately only these: every other float32 operation is `f(a op b)`, which is exact for + − × ÷ and sqrt
// because a double holds more than twice float32's precision.

export const f = Math.fround;

/** a·b + c as a kernel computes it: one fused rounding, or a rounded product then a rounded sum. */
export type MulAdd = (a: number, b: number, c: number) => number;

// Both written with Math.fround, not `f`: randn-pool.ts ships their source text to worker threads.
export const mulAdd32: MulAdd = (a, b, c) => Math.fround(Math.fround(a * b) + c);

/** fma(a, b, c) rounded once to float32, for float32 a, b, c (the product is exact in a double). */
export const fma32: MulAdd = (a, b, c) => {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r;
  // Rounding the double s to float32 is wrong only when s lies exactly on a float32 midpoint while the exact sum
  // does not (almost never: test the midpoint first); the TwoSum remainder says which side the exact sum is on.
  const other = 2 * s - r;
  if (Math.fround(other) !== other) return r;
  const t = s - p;
  const err = p - (s - t) + (c - t);
  if (err === 0) return r;
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
};
