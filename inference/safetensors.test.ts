// Reader limits and malformed files, sharded checkpoints, dtype conversion, and the writer's round trip.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EngineError } from './errors.ts';
import {
  bf16BitsToF32, Checkpoint, convert, f16BitsToF32, f32Tensor, f32ToBf16Bits, f32ToF16Bits, MAX_HEADER_BYTES, readHeader, writeSafetensors,
} from './safetensors.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'st-test-'));

function raw(name: string, header: unknown, data = Buffer.alloc(0), lenOverride?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(json.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

function rejects(file: string, pattern: RegExp) {
  assert.throws(() => readHeader(file), (e: unknown) => e instanceof EngineError && e.code === 'safetensors-invalid' && pattern.test(e.message));
}

test('round trip: write, read back by offset, keys sorted, metadata kept', () => {
  const file = path.join(tmp, 'rt.safetensors');
  writeSafetensors(file, [f32Tensor('b', [2, 2], Float32Array.of(1, 2, 3, 4)), f32Tensor('a', [3], Float32Array.of(5, 6, 7))], { who: 'test' });
  const ck = Checkpoint.open(file);
  assert.deepEqual(ck.keys(), ['a', 'b']);
  assert.deepEqual(Array.from(ck.readF32('b')), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(ck.readF32('a')), [5, 6, 7]);
  assert.equal(ck.metadata.who, 'test');
  assert.equal((8 + Number(fs.readFileSync(file).readBigUInt64LE(0))) % 8, 0, 'header padded to 8 bytes');
});

test('malformed files are rejected with a reason', () => {
  rejects(raw('short', '', Buffer.alloc(0), 0n).replace(/$/, ''), /header is not JSON/);
  fs.writeFileSync(path.join(tmp, 'tiny'), Buffer.alloc(4));
  rejects(path.join(tmp, 'tiny'), /only 4 bytes/);
  rejects(raw('huge', {}, Buffer.alloc(0), BigInt(MAX_HEADER_BYTES) + 1n), /exceeds/);
  rejects(raw('past-end', {}, Buffer.alloc(0), 1000n), /runs past the end/);
  rejects(raw('not-json', '{"a": '), /not JSON/);
  rejects(raw('array', '[1,2]'), /not a JSON object/);
  rejects(raw('dtype', { w: { dtype: 'F4_E2M1', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /dtype "F4_E2M1"/);
  rejects(raw('shape', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /invalid shape/);
  rejects(raw('offsets', { w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, Buffer.alloc(4)), /invalid data_offsets/);
  rejects(raw('beyond', { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(4)), /ends at byte 8 of a 4-byte/);
  rejects(raw('size', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)), /needs 12 bytes/);
});

test('unknown dtype error suggests a fix', () => {
  // F8_E4M3 is read since fp8 checkpoints are (inference/checkpoints/fp8.test.ts); a dtype safetensors does not
  // define is still refused, with the list of those it does and what to do.
  const file = raw('q', { w: { dtype: 'F4_E2M1', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1));
  assert.throws(() => readHeader(file), (e: unknown) => e instanceof EngineError && /F8_E4M3/.test(e.message) && /download it again/.test(e.hint ?? ''));
});

test('sharded checkpoint through index.json, and index hygiene', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'shards-'));
  writeSafetensors(path.join(dir, 'm-1.safetensors'), [f32Tensor('x', [1], Float32Array.of(1))]);
  writeSafetensors(path.join(dir, 'm-2.safetensors'), [f32Tensor('y', [1], Float32Array.of(2))]);
  fs.writeFileSync(path.join(dir, 'm.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'm-1.safetensors', y: 'm-2.safetensors' } }));
  const ck = Checkpoint.open(dir);
  assert.deepEqual(ck.keys().sort(), ['x', 'y']);
  assert.equal(ck.readF32('y')[0], 2);
  fs.writeFileSync(path.join(dir, 'bad.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../../etc/passwd' } }));
  assert.throws(() => Checkpoint.open(path.join(dir, 'bad.safetensors.index.json')), /outside its folder/);
});

test('duplicate keys across files are an error', () => {
  const a = path.join(tmp, 'dup-a.safetensors'), b = path.join(tmp, 'dup-b.safetensors');
  writeSafetensors(a, [f32Tensor('x', [1], Float32Array.of(1))]);
  writeSafetensors(b, [f32Tensor('x', [1], Float32Array.of(2))]);
  const ck = Checkpoint.open(a);
  assert.throws(() => ck.add(b), /in both/);
});

test('bf16 and fp16 conversion round to nearest even; fp16 overflows to Inf like a naive downgrade', () => {
  assert.equal(bf16BitsToF32(f32ToBf16Bits(1)), 1);
  assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80, 'tie rounds to even (down)');
  assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82, 'tie rounds to even (up)');
  assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
  assert.equal(f16BitsToF32(f32ToF16Bits(65504)), 65504);
  assert.equal(f16BitsToF32(f32ToF16Bits(70000)), Infinity);
  assert.equal(f16BitsToF32(f32ToF16Bits(1e-7)), 1.1920928955078125e-7, 'subnormal');
  assert.equal(f16BitsToF32(f32ToF16Bits(-2.5)), -2.5);
  const src = Buffer.from(Float32Array.of(1.5, -3.25, 1e30).buffer);
  const back = convert(convert(src, 'F32', 'BF16'), 'BF16', 'F32');
  assert.deepEqual(Array.from(new Float32Array(back.buffer, back.byteOffset, 3)), [1.5, -3.25, bf16BitsToF32(f32ToBf16Bits(1e30))]);
});

test('integer tensors read as ids but never convert as weights', () => {
  const file = raw('ids', { ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, Buffer.from(BigInt64Array.of(151644n, 872n, 198n).buffer));
  const ck = Checkpoint.open(file);
  assert.deepEqual(ck.readInts('ids'), [151644, 872, 198]);
  assert.throws(() => ck.readF32('ids'), /cannot be read as F32/);
});
