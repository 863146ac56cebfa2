// Tests for rng.ts. The bit-exact comparison runs against fixtures/randn.json, dumped from real PyTorch by
// scripts/reference/dump_rng.py, and is skipped (never faked) until that file exists. The rest needs no fixture:
// the MT19937 reference outputs, torch's own 4-decimal printouts, determinism, moments and input errors.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SamplingError } from './errors.ts';
import { Mt19937, NORMAL_PATHS, randn, type NormalPath } from './rng.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/randn.json', import.meta.url));

interface SmallCase { seed: string; shape: number[]; float32Hex: string[] }
interface LargeCase {
  seed: string; shape: number[]; first64Hex: string[]; last64Hex: string[]; sumFloat64: number; sha256: string;
}
interface RandnFixture { torch: string; compiler: string; cpuCapability: string; cases: (SmallCase | LargeCase)[] }

const hex = (values: Float32Array): string[] =>
  Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length), (v) => v.toString(16).padStart(8, '0'));

const sha256 = (values: Float32Array): string =>
  createHash('sha256').update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest('hex');

/** The fingerprint a case stores, computed from our noise. */
function fingerprint(c: SmallCase | LargeCase, path: NormalPath): string[] {
  const values = randn(BigInt(c.seed), c.shape, { path });
  if ('float32Hex' in c) return hex(values);
  return [...hex(values.subarray(0, 64)), ...hex(values.subarray(-64)), sha256(values)];
}

const expected = (c: SmallCase | LargeCase): string[] =>
  'float32Hex' in c ? c.float32Hex : [...c.first64Hex, ...c.last64Hex, c.sha256];

describe('randn against PyTorch (fixtures/randn.json)', () => {
  if (!existsSync(FIXTURE)) {
    test('bit-exact vs torch.randn', (t) => {
      t.skip('fixtures/randn.json is absent: run `python3 scripts/reference/dump_rng.py` where torch is installed');
    });
    return;
  }
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as RandnFixture;
  for (const c of fixture.cases) {
    test(`seed ${c.seed}, shape [${c.shape.join(',')}] (torch ${fixture.torch}, ${fixture.compiler}, ${fixture.cpuCapability})`, () => {
      const ours = fingerprint(c, 'avx2');
      if (ours.join() === expected(c).join()) return;
      const other = NORMAL_PATHS.find((p) => fingerprint(c, p).join() === expected(c).join());
      assert.fail(other
        ? `The fixture matches path '${other}', not the default 'avx2': it was dumped by a torch build that computes ` +
          `noise differently (${fixture.compiler}, ${fixture.cpuCapability}).`
        : 'No noise path reproduces this case bit for bit.');
    });
    if ('sumFloat64' in c) {
      test(`seed ${c.seed}, shape [${c.shape.join(',')}]: float64 sum`, () => {
        const sum = randn(BigInt(c.seed), c.shape).reduce((acc, v) => acc + v, 0);
        assert.ok(Math.abs(sum - c.sumFloat64) < 1e-6, `sum ${sum} vs ${c.sumFloat64}`);
      });
    }
  }
});

describe('Mt19937', () => {
  test('seed 5489 gives the reference sequence (first 3499211612, 10000th 4123659995)', () => {
    const gen = new Mt19937(5489);
    assert.equal(gen.nextUint32(), 3499211612);
    let v = 0;
    for (let i = 2; i <= 10000; i++) v = gen.nextUint32();
    assert.equal(v, 4123659995); // C++ [rand.predef]: the 10000th output of a default-constructed std::mt19937
  });
});

describe('randn without the fixture', () => {
  // What torch 2.13 prints (4 decimals) for torch.manual_seed(0) then torch.randn(16) / torch.randn(4).
  const round4 = (a: Float32Array): number[] => Array.from(a, (v) => Math.round(v * 1e4) / 1e4);

  test('seed 0, 16 values: the AVX2 path reproduces torch\'s printout', () => {
    assert.deepEqual(round4(randn(0, [16])), [
      -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152,
      0.3223, -1.2633, 0.35, 0.3081, 0.1198, 1.2377, 1.1168, -0.2473,
    ]);
  });

  test('seed 0, 4 values: the double path (numel < 16) reproduces torch\'s printout', () => {
    assert.deepEqual(round4(randn(0, [4])), [1.541, -0.2934, -2.1788, 0.5684]);
  });

  test('a seed is reduced to its low 32 bits, like torch.manual_seed; number and bigint agree', () => {
    assert.deepEqual(randn(7, [1, 16, 2, 2]), randn(2n ** 32n + 7n, [1, 16, 2, 2]));
    assert.deepEqual(randn(2 ** 53 - 1, [20]), randn(2n ** 53n - 1n, [20]));
    assert.notDeepEqual(randn(7, [1, 16, 2, 2]), randn(8, [1, 16, 2, 2]));
  });

  test('the three float paths agree to a few ulps and differ only in last bits', () => {
    const avx2 = randn(42, [1, 16, 32, 32]);
    const nofma = randn(42, [1, 16, 32, 32], { path: 'avx2-nofma' });
    const scalar = randn(42, [1, 16, 32, 32], { path: 'scalar' });
    let fmaDiffers = 0;
    for (let i = 0; i < avx2.length; i++) {
      if (avx2[i] !== nofma[i]) fmaDiffers++;
      assert.ok(Math.abs(avx2[i]! - nofma[i]!) <= 5e-7 && Math.abs(avx2[i]! - scalar[i]!) <= 5e-6, `index ${i}`);
    }
    assert.ok(fmaDiffers > 0, 'fused and unfused AVX2 kernels should differ somewhere in 16k values');
  });

  test('a 1024² latent looks standard normal', () => {
    const z = randn(123456789, [1, 16, 128, 128]);
    let sum = 0;
    let sq = 0;
    let quart = 0;
    for (const v of z) {
      sum += v;
      sq += v * v;
      quart += v ** 4;
    }
    const n = z.length;
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    // 5 standard errors: mean 5/sqrt(n) ≈ 0.0098, variance 5·sqrt(2/n) ≈ 0.014, fourth moment 5·sqrt(96/n) ≈ 0.096.
    assert.ok(Math.abs(mean) < 0.0098, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.014, `variance ${variance}`);
    assert.ok(Math.abs(quart / n - 3) < 0.096, `fourth moment ${quart / n}`);
  });

  test('shapes of any size: empty, double path, tail redraw', () => {
    assert.equal(randn(1, [0]).length, 0);
    assert.equal(randn(1, [1, 3]).length, 3);
    const z = randn(1, [1, 20]);
    assert.ok(z.every(Number.isFinite));
    // numel 20: the first 4 values come from the first block, the last 16 from a fresh redraw.
    assert.deepEqual(z.subarray(0, 4), randn(1, [16]).subarray(0, 4));
  });

  test('bad input throws a SamplingError that says how to fix it', () => {
    const code = (fn: () => unknown, c: string) =>
      assert.throws(fn, (e: unknown) => e instanceof SamplingError && e.code === c && e.hint.length > 0);
    code(() => randn(-1, [4]), 'invalid-seed');
    code(() => randn(1.5, [4]), 'invalid-seed');
    code(() => randn(2 ** 60, [4]), 'invalid-seed');
    code(() => randn(2n ** 64n, [4]), 'invalid-seed');
    code(() => randn(0, [1, -16]), 'invalid-shape');
    code(() => randn(0, [1, 2.5]), 'invalid-shape');
    code(() => randn(0, [4], { path: 'neon' as NormalPath }), 'invalid-argument');
  });
});
