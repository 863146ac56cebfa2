// GGUF: files written by a test helper to the spec (test-files.ts), read back through Checkpoint. Every dequantised
// value of every readable type is checked against a per-element formula written here from the block layouts
// (independent of the reader's block loops), both with arbitrary f16 scales (float32 rounding where ggml rounds) and
// with power-of-two scales (where every value is exact, so the order of operations cannot matter). Also metadata,
// alignment, shapes (ne reversed, comfy.gguf.orig_shape), row ranges, and the errors: unreadable types, truncation,
// version 1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EngineError } from '../errors.ts';
import { bf16BitsToF32, Checkpoint, f32ToBf16Bits, f32ToF16Bits } from '../safetensors.ts';
import { readGguf } from './gguf.ts';
import { BLOCK, ggufReference as reference, randomBlocks, rng, writeGguf } from './test-files.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gguf-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The same element in exact (double) arithmetic, rounded once: equal to the above when scales are powers of two. */
function exact(type: string, raw: Uint8Array, i: number): number {
  return Math.fround(reference(type, raw, i, (x) => x));
}

const QUANT = ['Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K'];

function values(buf: Buffer): number[] {
  return Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4));
}

for (const type of QUANT) {
  test(`GGUF ${type}: every dequantised value matches the block layout's formula; row ranges read the same`, () => {
    const [block] = BLOCK[type];
    const ne = [block * 2, 3]; // 3 rows of two blocks each: PyTorch shape [3, 2·block]
    const next = rng(type.length * 31 + block);
    for (const scales of ['arbitrary', 'power-of-two'] as const) {
      const scale = scales === 'arbitrary' ? () => (next() - 0.3) * 0.02 : () => 2 ** -Math.floor(4 + next() * 8);
      const data = randomBlocks(type, ne[0] * ne[1], next, scale);
      const file = path.join(tmp, `${type}-${scales}.gguf`);
      writeGguf(file, [{ name: 'w.weight', type, ne, data }]);
      const ck = Checkpoint.open(file);
      assert.deepEqual(ck.get('w.weight').shape, [3, 2 * block]);
      assert.equal(ck.get('w.weight').dtype, type);
      const got = values(ck.read('w.weight', 'F32'));
      const want = Array.from({ length: ne[0] * ne[1] }, (_, i) => (scales === 'arbitrary' ? reference(type, data, i) : exact(type, data, i)));
      assert.deepEqual(got, want, `${type} ${scales}`);
      if (scales === 'power-of-two') {
        for (let i = 0; i < want.length; i++) assert.ok(Number.isFinite(want[i]) && Math.fround(want[i]) === want[i]);
      }
      assert.deepEqual(values(ck.read('w.weight', 'F32', [1, 3])), got.slice(ne[0]), 'rows 1..3');
      const bf16 = ck.read('w.weight', 'BF16');
      assert.deepEqual(Array.from(new Uint16Array(bf16.buffer, bf16.byteOffset, bf16.length / 2)), want.map((v) => f32ToBf16Bits(v)), 'bf16: the float32 value rounded once');
    }
  });
}

test('GGUF header: metadata values, alignment, F32/F16/BF16 tensors, shapes in PyTorch order, comfy.gguf.orig_shape, 1-D tensors', () => {
  const f32 = Float32Array.of(1.5, -2, 3.25, 0.125, 7, -8);
  const f16 = Uint16Array.from([0.5, -1, 2, 4], (v) => f32ToF16Bits(v));
  const bf16 = Uint16Array.from([1, -0.5, 3, 10, 11, 12], (v) => f32ToBf16Bits(v));
  const file = path.join(tmp, 'header.gguf');
  writeGguf(file, [
    { name: 'a', type: 'F32', ne: [3, 2], data: new Uint8Array(f32.buffer) },
    { name: 'norm', type: 'F16', ne: [4], data: new Uint8Array(f16.buffer) },
    { name: 'flat', type: 'BF16', ne: [6], data: new Uint8Array(bf16.buffer) },
  ], { 'general.architecture': { type: 'str', v: 'lumina2' }, 'general.file_type': { type: 'u32', v: 7 }, 'comfy.gguf.orig_shape.flat': { type: 'i32[]', v: [2, 3] } }, { alignment: 64 });
  const g = readGguf(file);
  assert.equal(g.version, 3);
  assert.equal(g.alignment, 64);
  assert.equal(g.metadata['general.architecture'], 'lumina2');
  assert.equal(g.metadata['general.file_type'], 7);
  assert.deepEqual(g.metadata['comfy.gguf.orig_shape.flat'], [2, 3]);
  assert.ok(g.tensors.every((t) => (t.begin - g.tensors[0].begin) % 64 === 0), 'tensor data aligned to general.alignment');
  const ck = Checkpoint.open(file);
  assert.deepEqual(ck.get('a').shape, [2, 3], 'ne [3, 2] is PyTorch [2, 3]');
  assert.deepEqual(Array.from(ck.readF32('a')), Array.from(f32));
  assert.deepEqual(Array.from(ck.readF32('norm')), [0.5, -1, 2, 4]);
  assert.deepEqual(ck.get('flat').shape, [2, 3], 'orig_shape restores the flattened tensor');
  assert.deepEqual(Array.from(ck.readF32('flat')), [1, -0.5, 3, 10, 11, 12]);
  assert.deepEqual(Array.from(ck.read('flat', 'F32', [1, 2]).values()).length, 12, 'a row of a reshaped tensor: decoded whole, then sliced');
  assert.equal(ck.metadata['general.architecture'], 'lumina2');
  assert.deepEqual(ck.source.dtypes, { F32: 1, F16: 1, BF16: 1 });
});

test('a GGUF type we cannot dequantise is refused by name, with counts, examples and the readable types', () => {
  const file = path.join(tmp, 'iq.gguf');
  writeGguf(file, [
    { name: 'ok.weight', type: 'Q8_0', ne: [32, 1], data: new Uint8Array(34) },
    { name: 'layers.0.w1.weight', type: 'IQ4_XS', ne: [256, 2], data: new Uint8Array(2 * 136) },
    { name: 'layers.1.w1.weight', type: 'IQ4_XS', ne: [256, 2], data: new Uint8Array(2 * 136) },
    { name: 'layers.0.w2.weight', type: 'Q3_K', ne: [256, 1], data: new Uint8Array(110) },
  ]);
  assert.throws(() => Checkpoint.open(file), (e: unknown) => e instanceof EngineError && e.code === 'gguf-unsupported-type'
    && /IQ4_XS \(2 tensors, e\.g\. layers\.0\.w1\.weight\)/.test(e.message) && /Q3_K \(1 tensor/.test(e.message)
    && /Q8_0, Q4_0/.test(e.hint ?? '') && /Q4_K_M/.test(e.hint ?? ''));
});

test('a truncated GGUF (a partial download) and a version-1 file are diagnosed', () => {
  const file = path.join(tmp, 'cut.gguf');
  writeGguf(file, [{ name: 'w', type: 'Q8_0', ne: [64, 4], data: new Uint8Array(8 * 34) }], {}, { truncate: 100 });
  assert.throws(() => Checkpoint.open(file), (e: unknown) => e instanceof EngineError && e.code === 'gguf-truncated' && /partial download/.test(e.hint ?? ''));
  const v1 = path.join(tmp, 'v1.gguf');
  writeGguf(v1, [], {}, { version: 1 });
  assert.throws(() => Checkpoint.open(v1), (e: unknown) => e instanceof EngineError && e.code === 'gguf-version' && /version 1/.test(e.message));
});

test('BF16/F16 GGUF values decode exactly (no scale arithmetic)', () => {
  const v = [1, -2.5, 0.0078125, 65504];
  const file = path.join(tmp, 'half.gguf');
  writeGguf(file, [{ name: 'h', type: 'F16', ne: [4], data: new Uint8Array(Uint16Array.from(v, (x) => f32ToF16Bits(x)).buffer) }, { name: 'b', type: 'BF16', ne: [4], data: new Uint8Array(Uint16Array.from(v, (x) => f32ToBf16Bits(x)).buffer) }]);
  const ck = Checkpoint.open(file);
  assert.deepEqual(Array.from(ck.readF32('h')), v);
  assert.deepEqual(Array.from(ck.readF32('b')), v.map((x) => bf16BitsToF32(f32ToBf16Bits(x))));
});
