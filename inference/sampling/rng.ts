// Initial noise bit-identical to PyTorch's CPU generator: `torch.manual_seed(seed); torch.randn(shape)` in float32,
// which is what ComfyUI feeds its samplers (Z-Image latents are [1, 16, H/8, W/8]).
//
// PyTorch (aten/src/ATen/core/MT19937RNGEngine.h, CPUGeneratorImpl.cpp, core/DistributionsHelper.h,
// native/cpu/DistributionTemplates.h, native/cpu/avx_mathfun.h) does:
//   1. mt19937 seeded with the LOW 32 BITS of the seed (seeds 7 and 2^32+7 give the same noise);
//   2. numel >= 16 (float, contiguous): numel uniforms u = (next32 & 0xffffff) / 2^24, then Box-Muller on each block
//      of 16, pairing [j] with [j+8] (cos goes to j, sin to j+8); when numel % 16 != 0 the LAST 16 slots are refilled
//      with 16 fresh uniforms and transformed again. On an x86 CPU with AVX2 (AVX-512 ones fall back to the AVX2
//      kernel: normal_stub is not registered for AVX-512) the transform is normal_fill_16_AVX2, with the Cephes-style
//      float32 log256_ps / sincos256_ps; elsewhere it is the scalar normal_fill_16 (libm logf/cosf/sinf).
//   3. numel < 16: per pair, two 53-bit double uniforms, double Box-Muller (log1p/cos/sin), cos first, sin cached
//      for the next element, each value cast to float.
// Every float32 operation is replayed with Math.fround; fused multiply-adds with an exact float32 FMA.
//
// Which AVX2 variant: PyTorch's Linux x86-64 wheels are built by GCC with -O3 -mavx2 -mfma and GCC's default
// -ffp-contract=fast, so the compiler fuses some mul+add pairs of avx_mathfun.h into FMAs. 'avx2' (the default)
// replays exactly the pairs GCC fuses (read from its assembly); it matched the torch 2.13.0+cpu wheel (GCC 13.3)
// on 7 seeds x 262,144 values with no difference. 'avx2-nofma' is the literal unfused source order, which is what
// a compiler that does not contract produces (MSVC /fp:strict for the Windows wheels, clang): ~1 % of values differ
// from 'avx2' in the last bit. That attribution to Windows is inferred from the build flags, not measured.
// 'scalar' rounds logf/cosf/sinf correctly; a platform libm (glibc on aarch64, Apple's) may differ in the last bit.
//
// Deliberately not here: other dtypes, mean/std other than 0/1, CUDA generators, and generator state carried
// across calls (each call is a fresh manual_seed, as ComfyUI does per image).

import { SamplingError } from './errors.ts';
import { f, fma32, mulAdd32, type MulAdd } from './float32.ts';

export type NormalPath = 'avx2' | 'avx2-nofma' | 'scalar';
export const NORMAL_PATHS: readonly NormalPath[] = ['avx2', 'avx2-nofma', 'scalar'];

export interface RandnOptions {
  /** Which of PyTorch's float kernels to replay for numel >= 16. Default 'avx2' (x86-64 Linux wheels). */
  path?: NormalPath;
}

const MAX_SEED = (1n << 64n) - 1n;

/** PyTorch's at::mt19937 (the reference MT19937 of Matsumoto & Nishimura, 32-bit state words). */
export class Mt19937 {
  private readonly state = new Uint32Array(624);
  private next = 0;
  private left = 1;

  /** `seed32` is the low 32 bits of the torch seed. */
  constructor(seed32: number) {
    const s = this.state;
    s[0] = seed32 >>> 0;
    for (let j = 1; j < 624; j++) {
      const prev = s[j - 1]!;
      s[j] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + j) >>> 0;
    }
  }

  nextUint32(): number {
    if (--this.left === 0) this.regenerate();
    return temper(this.state[this.next++]!);
  }

  /** `out.length` draws, the same as that many nextUint32() calls (one tight loop per 624 state words). */
  fill(out: Uint32Array): void {
    const s = this.state;
    for (let i = 0; i < out.length;) {
      // `left − 1` draws remain before the next twist (nextUint32 decrements before it reads)
      if (this.left === 1) { this.regenerate(); this.left = 625; }
      const take = Math.min(this.left - 1, out.length - i);
      let at = this.next;
      for (let k = 0; k < take; k++) out[i + k] = temper(s[at++]!);
      this.next = at;
      this.left -= take;
      i += take;
    }
  }

  private regenerate(): void {
    const s = this.state;
    const twist = (k: number, k1: number, k397: number) => {
      const mixed = (s[k]! & 0x80000000) | (s[k1]! & 0x7fffffff);
      s[k] = s[k397]! ^ (mixed >>> 1) ^ (s[k1]! & 1 ? 0x9908b0df : 0);
    };
    // the index arithmetic of (k + 1) % 624 and (k + 397) % 624 split into its three ranges
    for (let k = 0; k < 227; k++) twist(k, k + 1, k + 397);
    for (let k = 227; k < 623; k++) twist(k, k + 1, k - 227);
    twist(623, 0, 396);
    this.left = 624;
    this.next = 0;
  }
}

function temper(x: number): number {
  let y = x;
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/**
 * `torch.manual_seed(seed); torch.randn(shape)` (float32, CPU generator), bit for bit.
 * @param seed 0 … 2^64−1 (a number must be a safe integer; pass a bigint above 2^53).
 */
export function randn(seed: number | bigint, shape: readonly number[], options: RandnOptions = {}): Float32Array {
  const path = options.path ?? 'avx2';
  if (!NORMAL_PATHS.includes(path)) {
    throw new SamplingError('invalid-argument', `Unknown noise path ${JSON.stringify(path)}.`,
      `Use one of ${NORMAL_PATHS.join(', ')} ('avx2' reproduces x86-64 Linux PyTorch).`);
  }
  const numel = checkShape(shape);
  const gen = new Mt19937(seedLow32(seed));
  const out = new Float32Array(numel);
  if (numel >= 16) fillNormalFloat(out, gen, path);
  else fillNormalDouble(out, gen);
  return out;
}

function seedLow32(seed: number | bigint): number {
  const hint = 'Use an integer from 0 to 18446744073709551615 (2^64−1), as torch.manual_seed accepts.';
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed > MAX_SEED) throw new SamplingError('invalid-seed', `Seed ${seed} is out of range.`, hint);
    return Number(seed & 0xffffffffn);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new SamplingError('invalid-seed', `Seed ${seed} is not a non-negative safe integer.`,
      seed > Number.MAX_SAFE_INTEGER ? 'Pass seeds above 2^53 as a bigint so no digit is lost.' : hint);
  }
  return seed % 0x1_0000_0000;
}

function checkShape(shape: readonly number[]): number {
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new SamplingError('invalid-shape', `Shape [${shape.join(', ')}] has a bad dimension ${d}.`,
        'Every dimension must be a non-negative integer, e.g. [1, 16, 128, 128] for a 1024×1024 image.');
    }
    numel *= d;
  }
  if (numel > 0x7fffffff) {
    throw new SamplingError('invalid-shape', `Shape [${shape.join(', ')}] has ${numel} elements.`,
      'Keep the noise under 2^31 elements (a latent is 16·H/8·W/8).');
  }
  return numel;
}

// ---------------------------------------------------------------- numel >= 16: float32 uniforms, blocks of 16

/** at::uniform_real_distribution<float>(0, 1): the low 24 bits of one draw, times 2^-24 (exact). */
function uniformFloat(gen: Mt19937): number {
  return (gen.nextUint32() & 0xffffff) * 2 ** -24;
}

function fillNormalFloat(data: Float32Array, gen: Mt19937, path: NormalPath): void {
  const mulAdd = path === 'avx2' ? fma32 : mulAdd32;
  const fill16 = path === 'scalar' ? fill16Scalar : (d: Float32Array, at: number) => fill16Avx2(d, at, mulAdd);
  const n = data.length;
  const draws = new Uint32Array(n);
  gen.fill(draws);
  for (let i = 0; i < n; i++) data[i] = (draws[i]! & 0xffffff) * 2 ** -24; // uniformFloat, in bulk
  for (let i = 0; i + 16 <= n; i += 16) fill16(data, i);
  if (n % 16 !== 0) {
    // PyTorch redraws the last 16 slots (overwriting values already transformed) and transforms them again.
    for (let i = n - 16; i < n; i++) data[i] = uniformFloat(gen);
    fill16(data, n - 16);
  }
}

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

// ---------------------------------------------------------------- numel < 16: double Box-Muller, one pair per 2 values

/** at::uniform_real_distribution<double>(0, 1): random64() = (first << 32) | second, low 53 bits, times 2^-53. */
function uniformDouble(gen: Mt19937): number {
  const hi = gen.nextUint32();
  const lo = gen.nextUint32();
  return ((hi & 0x1fffff) * 0x1_0000_0000 + lo) * 2 ** -53;
}

function fillNormalDouble(data: Float32Array, gen: Mt19937): void {
  for (let i = 0; i < data.length; i += 2) {
    const u1 = uniformDouble(gen);
    const u2 = uniformDouble(gen);
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    data[i] = r * Math.cos(theta) + 0;
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(theta) + 0;
  }
}
