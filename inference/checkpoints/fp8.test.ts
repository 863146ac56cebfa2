// fp8 checkpoints: both formats' value tables against their bit-field definitions, single rounding into bf16/fp16,
// and synthetic files of each scale convention (plain, scaled_fp8 + scale_weight, comfy_quant + weight_scale /
// input_scale) read back through Checkpoint.read with every value checked against fp8 × scale rounded to the
// nearest target value by brute force. Also the refusals: other comfy_quant formats, scales that do not fit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EngineError } from '../errors.ts';
import { bf16BitsToF32, Checkpoint, f16BitsToF32, f32Tensor, f32ToBf16Bits, f32ToF16Bits, writeSafetensors, type DType, type TensorToWrite } from '../safetensors.ts';
import { e4m3ToNumber, e5m2ToNumber, roundToHalfBits } from './fp8.ts';
import { fp8Value, rawTensor, rng } from './test-files.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fp8-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The target value nearest to x, found by comparing distances to neighbouring encodings (ties: even bits). */
function nearest(x: number, to: DType): number {
  if (to === 'F32') return Math.fround(x);
  const [enc, dec] = to === 'BF16' ? [f32ToBf16Bits, bf16BitsToF32] : [f32ToF16Bits, f16BitsToF32];
  const c = enc(Math.fround(x));
  const cands = [c, (c & 0x8000) | ((c & 0x7fff) + 1), (c & 0x8000) | Math.max(0, (c & 0x7fff) - 1)];
  let best = c, err = Infinity;
  for (const b of cands) {
    const e = Math.abs(dec(b) - x);
    if (e < err || (e === err && (b & 1) === 0)) { best = b; err = e; }
  }
  return dec(best);
}

function values(buf: Buffer, to: DType): number[] {
  if (to === 'F32') return Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4));
  const dec = to === 'BF16' ? bf16BitsToF32 : f16BitsToF32;
  return Array.from(new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2), dec);
}

/** Random finite fp8 bytes of `format`. */
function fp8Bytes(n: number, format: 'e4m3' | 'e5m2', seed: number): Uint8Array {
  const next = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let b;
    do b = Math.floor(next() * 256); while (!Number.isFinite(fp8Value(b, format)));
    out[i] = b;
  }
  return out;
}

test('the E4M3 and E5M2 tables match the formats\' bit fields, with their landmarks', () => {
  for (let b = 0; b < 256; b++) {
    assert.ok(Object.is(e4m3ToNumber(b), fp8Value(b, 'e4m3')) || (Number.isNaN(e4m3ToNumber(b)) && Number.isNaN(fp8Value(b, 'e4m3'))), `e4m3 ${b}`);
    assert.ok(Object.is(e5m2ToNumber(b), fp8Value(b, 'e5m2')) || (Number.isNaN(e5m2ToNumber(b)) && Number.isNaN(fp8Value(b, 'e5m2'))), `e5m2 ${b}`);
  }
  assert.equal(e4m3ToNumber(0x7e), 448);
  assert.equal(e4m3ToNumber(0x01), 2 ** -9);
  assert.ok(Number.isNaN(e4m3ToNumber(0x7f)) && Number.isNaN(e4m3ToNumber(0xff)));
  assert.equal(e5m2ToNumber(0x7b), 57344);
  assert.equal(e5m2ToNumber(0x7c), Infinity);
  assert.equal(e5m2ToNumber(0x01), 2 ** -16);
});

test('one rounding into bf16 and fp16: a value just above a midpoint rounds up, where float32-then-half rounds down', () => {
  const x = 1 + 2 ** -8 + 2 ** -30; // float32 keeps 1 + 2^-8, exactly halfway between bf16 1 and 1 + 2^-7
  assert.equal(bf16BitsToF32(f32ToBf16Bits(Math.fround(x))), 1, 'two roundings: ties to even');
  assert.equal(bf16BitsToF32(roundToHalfBits(x, 'BF16')), 1 + 2 ** -7);
  const y = 1 + 2 ** -11 - 2 ** -40; // just below the fp16 midpoint 1 + 2^-11; float32 rounds it onto the midpoint
  assert.equal(Math.fround(y), 1 + 2 ** -11);
  assert.equal(f16BitsToF32(roundToHalfBits(y, 'F16')), 1);
  const next = rng(7);
  for (let i = 0; i < 20000; i++) {
    const v = (next() - 0.5) * 2 ** Math.floor(next() * 34 - 20) * (1 + next() * 2 ** -20);
    for (const to of ['BF16', 'F16'] as const) {
      const dec = to === 'BF16' ? bf16BitsToF32 : f16BitsToF32;
      assert.equal(dec(roundToHalfBits(v, to)), nearest(v, to), `${to} ${v}`);
    }
  }
});

type Convention = 'plain' | 'scaled_fp8' | 'comfy_quant';

/** A file with two fp8 Linear weights ([6,8] and [4,8]) of `format` under `convention`, a bias and a norm. */
function fp8File(convention: Convention, format: 'e4m3' | 'e5m2', scaleKind: 'tensor' | 'row' | 'block' = 'tensor'): { file: string; bytes: Record<string, Uint8Array>; scales: Record<string, number[]> } {
  const dtype = format === 'e4m3' ? 'F8_E4M3' : 'F8_E5M2';
  const tensors: TensorToWrite[] = [];
  const bytes: Record<string, Uint8Array> = {};
  const scales: Record<string, number[]> = {};
  const shapes: Record<string, number[]> = { 'blk.a': [6, 8], 'blk.b': [4, 8] };
  let seed = 1;
  for (const [stem, shape] of Object.entries(shapes)) {
    const b = fp8Bytes(shape[0] * shape[1], format, seed++);
    bytes[stem] = b;
    tensors.push(rawTensor(`${stem}.weight`, dtype, shape, b));
    if (convention === 'plain') continue;
    const next = rng(seed++);
    const n = scaleKind === 'tensor' ? 1 : scaleKind === 'row' ? shape[0] : (shape[0] / 2) * 2;
    const s = Float32Array.from({ length: n }, () => 1e-3 + next() * 0.05);
    scales[stem] = Array.from(s);
    const scaleShape = scaleKind === 'tensor' ? [] : scaleKind === 'row' ? [shape[0]] : [shape[0] / 2, 2];
    if (convention === 'scaled_fp8') {
      tensors.push(f32Tensor(`${stem}.scale_weight`, scaleShape, s));
      tensors.push(f32Tensor(`${stem}.scale_input`, [], Float32Array.of(0.5)));
    } else {
      tensors.push(f32Tensor(`${stem}.weight_scale`, scaleShape, s));
      tensors.push(f32Tensor(`${stem}.input_scale`, [], Float32Array.of(0.25)));
      const json = Buffer.from(JSON.stringify({ format: format === 'e4m3' ? 'float8_e4m3fn' : 'float8_e5m2' }));
      tensors.push(rawTensor(`${stem}.comfy_quant`, 'U8', [json.length], json));
    }
  }
  if (convention === 'scaled_fp8') tensors.push(rawTensor('scaled_fp8', dtype, [0], new Uint8Array(0)));
  tensors.push(f32Tensor('blk.a.bias', [6], Float32Array.of(1, 2, 3, 4, 5, 6)));
  tensors.push(rawTensor('blk.norm.weight', 'BF16', [2], new Uint8Array([0x80, 0x3f, 0x00, 0x40]))); // 1, 2
  const file = path.join(tmp, `${convention}-${format}-${scaleKind}.safetensors`);
  writeSafetensors(file, tensors);
  return { file, bytes, scales };
}

function expected(b: Uint8Array, format: 'e4m3' | 'e5m2', scale: number[] | undefined, kind: string, shape: number[], to: DType): number[] {
  const cols = shape[1];
  return Array.from(b, (byte, i) => {
    const r = Math.floor(i / cols), c = i % cols;
    const s = !scale ? 1 : kind === 'tensor' ? scale[0] : kind === 'row' ? scale[r] : scale[Math.floor(r / 2) * 2 + Math.floor(c / 4)];
    return nearest(fp8Value(byte, format) * s, to);
  });
}

for (const convention of ['plain', 'scaled_fp8', 'comfy_quant'] as const) {
  for (const format of ['e4m3', 'e5m2'] as const) {
    test(`fp8 ${format}, ${convention}: every value is fp8 × scale rounded once into fp32, bf16 and fp16; scales leave the key list`, () => {
      const { file, bytes, scales } = fp8File(convention, format);
      const ck = Checkpoint.open(file);
      assert.deepEqual(ck.keys().sort(), ['blk.a.bias', 'blk.a.weight', 'blk.b.weight', 'blk.norm.weight']);
      const dtype = format === 'e4m3' ? 'F8_E4M3' : 'F8_E5M2';
      assert.equal(ck.get('blk.a.weight').dtype, dtype);
      assert.equal(ck.source.dtypes[dtype], 2);
      assert.equal(ck.source.dtypes.F32, 1);
      assert.equal(ck.source.schemes.length, 1);
      assert.match(ck.source.schemes[0], convention === 'plain' ? /no scales: 2 tensors/ : convention === 'scaled_fp8' ? /scaled_fp8 scale_weight \(per tensor\): 2 tensors/ : /comfy_quant weight_scale \(per tensor\): 2 tensors/);
      if (convention !== 'plain') assert.ok(ck.source.foldedTensors.length >= 4);
      for (const to of ['F32', 'BF16', 'F16'] as const) {
        for (const [stem, shape] of [['blk.a', [6, 8]], ['blk.b', [4, 8]]] as const) {
          const got = values(ck.read(`${stem}.weight`, to), to);
          assert.deepEqual(got, expected(bytes[stem], format, scales[stem], 'tensor', [...shape], to), `${stem} ${to}`);
          const rows = values(ck.read(`${stem}.weight`, to, [1, 3]), to);
          assert.deepEqual(rows, got.slice(8, 24), 'a row range reads the same values');
        }
      }
      assert.deepEqual(Array.from(ck.readF32('blk.norm.weight')), [1, 2]);
    });
  }
}

test('comfy_quant per-row and per-block scales: each element takes its own row\'s or block\'s scale', () => {
  for (const kind of ['row', 'block'] as const) {
    const { file, bytes, scales } = fp8File('comfy_quant', 'e4m3', kind);
    const ck = Checkpoint.open(file);
    assert.match(ck.source.schemes[0], new RegExp(`per ${kind}`));
    for (const to of ['F32', 'BF16'] as const) {
      assert.deepEqual(values(ck.read('blk.a.weight', to), to), expected(bytes['blk.a'], 'e4m3', scales['blk.a'], kind, [6, 8], to), `${kind} ${to}`);
      assert.deepEqual(values(ck.read('blk.a.weight', to, [3, 5]), to), expected(bytes['blk.a'], 'e4m3', scales['blk.a'], kind, [6, 8], to).slice(24, 40), `${kind} rows`);
    }
  }
});

test('refusals name the problem: another comfy_quant format, a scale that fits no weight, a non-float read as weights', () => {
  const json = Buffer.from(JSON.stringify({ format: 'int8_blockwise', group_size: 128 }));
  const int8 = path.join(tmp, 'int8.safetensors');
  writeSafetensors(int8, [rawTensor('l.weight', 'I8', [2, 2], new Uint8Array(4)), f32Tensor('l.weight_scale', [], Float32Array.of(1)), rawTensor('l.comfy_quant', 'U8', [json.length], json)]);
  assert.throws(() => Checkpoint.open(int8), (e: unknown) => e instanceof EngineError && e.code === 'fp8-unsupported-format' && /"int8_blockwise"/.test(e.message) && /float8_e4m3fn/.test(e.message));
  const bad = path.join(tmp, 'badscale.safetensors');
  writeSafetensors(bad, [rawTensor('l.weight', 'F8_E4M3', [4, 4], new Uint8Array(16)), f32Tensor('l.weight_scale', [3], Float32Array.of(1, 2, 3))]);
  assert.throws(() => Checkpoint.open(bad), (e: unknown) => e instanceof EngineError && e.code === 'fp8-bad-scale' && /\[3\].*\[4,4\]/.test(e.message));
  const extra = path.join(tmp, 'extra.safetensors');
  writeSafetensors(extra, [f32Tensor('l.weight', [2], Float32Array.of(1, 2)), rawTensor('step_count', 'I64', [1], new Uint8Array(8))]);
  const ck = Checkpoint.open(extra);
  assert.deepEqual(ck.keys().sort(), ['l.weight', 'step_count'], 'an integer extra tensor is kept (the converter lists it as unused)');
  assert.throws(() => ck.read('step_count', 'BF16'), (e: unknown) => e instanceof EngineError && /step_count is I64, not floats/.test(e.message));
});
