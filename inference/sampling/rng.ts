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
import { fma32, mulAdd32 } from './float32.ts';
import { normalKernels, type NormalPath } from './normal-kernels.ts';

export type { NormalPath };
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
  const { out, gen, path } = beginRandn(seed, shape, options);
  if (out.length >= 16) fillNormalFloat(out, gen, path);
  else fillNormalDouble(out, gen);
  return out;
}

/** randn's checked arguments, seeded generator and output buffer (`alloc`: where the values go), for randn-pool.ts. */
export function beginRandn(seed: number | bigint, shape: readonly number[], options: RandnOptions = {},
  alloc: (numel: number) => Float32Array = (n) => new Float32Array(n)): { out: Float32Array; gen: Mt19937; path: NormalPath } {
  const path = options.path ?? 'avx2';
  if (!NORMAL_PATHS.includes(path)) {
    throw new SamplingError('invalid-argument', `Unknown noise path ${JSON.stringify(path)}.`,
      `Use one of ${NORMAL_PATHS.join(', ')} ('avx2' reproduces x86-64 Linux PyTorch).`);
  }
  const numel = checkShape(shape);
  return { out: alloc(numel), gen: new Mt19937(seedLow32(seed)), path };
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

/** The Box-Muller kernels, built once (normal-kernels.ts; randn-pool.ts runs the same source on worker threads). */
const KERNELS = normalKernels(fma32, mulAdd32);

/** numel uniforms as PyTorch draws them (the low 24 bits of each 32-bit draw, times 2^-24: exact in float32). */
export function drawUniforms(data: Float32Array, gen: Mt19937): void {
  const draws = new Uint32Array(data.length);
  gen.fill(draws);
  for (let i = 0; i < data.length; i++) data[i] = (draws[i]! & 0xffffff) * 2 ** -24;
}

/**
 * PyTorch redraws the last 16 slots when numel % 16 != 0 (overwriting values already transformed) and transforms
 * them again: call after the blocks are transformed.
 */
export function redrawTail(data: Float32Array, gen: Mt19937, path: NormalPath): void {
  const n = data.length;
  if (n % 16 === 0) return;
  for (let i = n - 16; i < n; i++) data[i] = uniformFloat(gen);
  KERNELS.transform(data, n - 16, n, path);
}

function fillNormalFloat(data: Float32Array, gen: Mt19937, path: NormalPath): void {
  drawUniforms(data, gen);
  KERNELS.transform(data, 0, data.length, path);
  redrawTail(data, gen, path);
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
