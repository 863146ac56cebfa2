// The float32 Box-Muller kernels of PyTorch's CPU randn (see rng.ts for what they replay and why), as ONE
// self-contained factory: it refers to nothing outside its own body but its two arguments and JavaScript's globals,
// so randn-pool.ts can ship its source text (Function.prototype.toString) to worker threads and run the very same
// code there. Keep it that way: no imports used inside, no module-level names.

import type { MulAdd } from './float32.ts';

export type NormalPath = 'avx2' | 'avx2-nofma' | 'scalar';

export interface NormalKernels {
  /** Box-Muller on the 16-blocks starting at from, from + 16, … < to, in place (uniforms in, normals out). */
  transform(data: Float32Array, from: number, to: number, path: NormalPath): void;
}

/** `fma32`, `mulAdd32`: float32.ts's fused and unfused float32 multiply-adds (passed in to stay self-contained). */
export function normalKernels(fma32: MulAdd, mulAdd32: MulAdd): NormalKernels {
  const f = Math.fround;
  // float32 ⇄ bits through one shared buffer (little- or big-endian alike: both views see the same bytes)
  const bitsF32 = new Float32Array(1);
  const bitsU32 = new Uint32Array(bitsF32.buffer);
  function floatBits(x: number): number {
    bitsF32[0] = x;
    return bitsU32[0]!;
  }
  function bitsFloat(bits: number): number {
    bitsU32[0] = bits >>> 0;
    return bitsF32[0]!;
  }

  // avx_mathfun.h constants: double literals rounded to float, as the C array initializers do.
  const SQRTHF = f(0.707106781186547524);
  const LOG_P = [
    7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
    2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
  ].map(f);
  const LOG_Q1 = f(-2.1219444e-4);
  const LOG_Q2 = f(0.693359375);
  const DP1 = f(-0.78515625);
  const DP2 = f(-2.4187564849853515625e-4);
  const DP3 = f(-3.77489497744594108e-8);
  const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
  const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
  const FOPI = f(1.27323954473516);
  const TWO_PI_F32 = f(2 * Math.PI); // _mm256_set1_ps(2.0f * c10::pi<double>)

  // In the two lanes below `mulAdd` stands where GCC emits an FMA: fma32 for 'avx2', mulAdd32 (the source order)
  // for 'avx2-nofma'. Products that are exact (e·Q2, z·0.5, y·DP1, y·DP2) come out the same either way.

  /** One lane of log256_ps, for v in (0, 1] (so the v <= 0 NaN mask and the denormal clamp never fire). */
  function log256Lane(v: number, mulAdd: MulAdd): number {
    const bits = floatBits(v);
    let e = (bits >>> 23) - 127 + 1; // small integers: exact in float32
    let x = bitsFloat((bits & ~0x7f800000) | 0x3f000000); // mantissa scaled to [0.5, 1)
    if (x < SQRTHF) {
      e -= 1;
      x = f(f(x - 1) + x);
    } else {
      x = f(x - 1);
    }
    const z = f(x * x);
    let y = LOG_P[0]!;
    for (let k = 1; k < 9; k++) y = mulAdd(y, x, LOG_P[k]!);
    y = f(y * x);
    y = mulAdd(y, z, f(e * LOG_Q1));
    y = f(y - f(z * 0.5));
    x = f(x + y);
    return f(x + f(e * LOG_Q2));
  }

  // sincos256Lane's results, [sin, cos] (a scratch buffer rather than a returned pair: no allocation per lane)
  const lane = new Float64Array(2);

  /** One lane of sincos256_ps → lane[0] = sin, lane[1] = cos. */
  function sincos256Lane(v: number, mulAdd: MulAdd): void {
    let ax = Math.abs(v);
    let j = Math.trunc(f(ax * FOPI)) | 0; // _mm256_cvttps_epi32
    j = (j + 1) & ~1;
    const y = j;
    const sinNegative = (v < 0 || Object.is(v, -0)) !== ((j & 4) !== 0);
    const cosNegative = ((j - 2) & 4) === 0;
    const sinPolyIsSin = (j & 2) === 0;
    // Cody-Waite reduction of ax to [−π/4, π/4].
    ax = mulAdd(y, DP1, ax);
    ax = mulAdd(y, DP2, ax);
    ax = mulAdd(y, DP3, ax);
    const z = f(ax * ax);
    let yc = mulAdd(mulAdd(COS_P[0]!, z, COS_P[1]!), z, COS_P[2]!);
    yc = f(yc * z);
    yc = mulAdd(yc, z, -f(z * 0.5));
    yc = f(yc + 1);
    let ys = mulAdd(mulAdd(SIN_P[0]!, z, SIN_P[1]!), z, SIN_P[2]!);
    ys = mulAdd(f(ys * z), ax, ax);
    // The kernel selects with masks and adds (sin = ysin1 + ysin2, cos = (yc − ysin1) + (ys − ysin2)); the added
    // zero only turns a −0 into +0.
    const sinSel = (sinPolyIsSin ? ys : yc) + 0;
    const cosSel = (sinPolyIsSin ? yc : ys) + 0;
    lane[0] = sinNegative ? -sinSel : sinSel;
    lane[1] = cosNegative ? -cosSel : cosSel;
  }

  function fill16Avx2(data: Float32Array, at: number, mulAdd: MulAdd): void {
    for (let j = 0; j < 8; j++) {
      const u1 = f(1 - data[at + j]!); // [0, 1) → (0, 1] for the log; exact
      const u2 = data[at + j + 8]!;
      const radius = f(Math.sqrt(f(-2 * log256Lane(u1, mulAdd))));
      sincos256Lane(f(TWO_PI_F32 * u2), mulAdd);
      // _mm256_fmadd_ps(n, std = 1, mean = 0) is n itself, except that −0 becomes +0.
      data[at + j] = f(radius * lane[1]!) + 0;
      data[at + j + 8] = f(radius * lane[0]!) + 0;
    }
  }

  /** normal_fill_16<float>: theta is computed in double (2.0f · pi<double> · u2) and then stored as float. */
  function fill16Scalar(data: Float32Array, at: number): void {
    for (let j = 0; j < 8; j++) {
      const u1 = f(1 - data[at + j]!);
      const u2 = data[at + j + 8]!;
      const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
      const theta = f(2 * Math.PI * u2);
      data[at + j] = f(radius * f(Math.cos(theta))) + 0;
      data[at + j + 8] = f(radius * f(Math.sin(theta))) + 0;
    }
  }

  return {
    transform(data, from, to, path) {
      const mulAdd = path === 'avx2' ? fma32 : mulAdd32;
      if (path === 'scalar') for (let i = from; i + 16 <= to; i += 16) fill16Scalar(data, i);
      else for (let i = from; i + 16 <= to; i += 16) fill16Avx2(data, i, mulAdd);
    },
  };
}
