// safetensors reading and writing: header parsing with limits, sharded checkpoints through
// `*.safetensors.index.json`, and tensor reads by file offset (whole tensors or row ranges), so a 24 GB fp32
// checkpoint converts on a machine with less memory than that. A Checkpoint may also hold GGUF files and fp8
// weights: their tensors carry a decoder (checkpoints/gguf.ts, checkpoints/fp8.ts) and read like float tensors.
// Also dtype conversion between F32, BF16 and F16 (round-to-nearest-even).
// It deliberately knows nothing about models: key names and shapes are the model families' business.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.ts';
import { diagnoseFile, diagnoseMissingShards, missingPathProblem, truncation } from './checkpoints/diagnose.ts';
import { foldFp8 } from './checkpoints/fp8.ts';
import { ggufTensorInfos, isGguf } from './checkpoints/gguf.ts';
import { countDtypes, type SourcePrecision } from './checkpoints/source-precision.ts';

/** Float dtypes: weights and activations, convertible into each other. */
export const DTYPES = ['F32', 'BF16', 'F16'] as const;
export type DType = (typeof DTYPES)[number];
/** Integer dtypes accepted for inputs such as token ids (read with readInts, never converted). */
const INT_DTYPES = ['I64', 'I32'] as const;
/** Other safetensors dtypes: accepted in a file (fp8 is decoded, the rest is listed as unused if never asked for). */
const OTHER_DTYPES = ['F64', 'F8_E4M3', 'F8_E5M2', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
export type StoredDType = DType | (typeof INT_DTYPES)[number] | (typeof OTHER_DTYPES)[number];
const STORED_DTYPES: readonly StoredDType[] = [...DTYPES, ...INT_DTYPES, ...OTHER_DTYPES];
export const DTYPE_BYTES: Record<StoredDType, number> = {
  F32: 4, BF16: 2, F16: 2, I64: 8, I32: 4, F64: 8, F8_E4M3: 1, F8_E5M2: 1, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Largest header we accept: real checkpoints have < 1 MB of JSON (a few thousand tensors). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  key: string;
  /** The stored dtype: a safetensors dtype, or a GGUF type name (Q4_K, …) for tensors of a GGUF file. */
  dtype: StoredDType | string;
  shape: number[];
  /** The file that holds it and the absolute byte range of its data there. */
  file: string;
  begin: number;
  end: number;
  /**
   * Quantised tensors (fp8, GGUF): turns stored bytes (all rows, or rows from `rowStart` when `rowBytes` is set)
   * into `to`. Absent for plain float tensors, which `convert` handles.
   */
  decode?: (raw: Buffer, to: DType, rowStart: number) => Buffer;
  /** Stored bytes per row (dim 0) when a row range can be read and decoded alone. */
  rowBytes?: number;
}

/** A checkpoint: one or more safetensors files seen as one key → tensor map. */
export class Checkpoint {
  readonly tensors = new Map<string, TensorInfo>();
  readonly files: string[] = [];
  /** `__metadata__` of each file, merged (GGUF metadata values as strings). */
  readonly metadata: Record<string, string> = {};
  /** What the stored weights were: dtypes and quantisation schemes, filled as files are added. */
  readonly source: SourcePrecision = { dtypes: {}, schemes: [], foldedTensors: [] };

  /** Opens a .safetensors file, a `*.safetensors.index.json`, or a folder holding exactly one of either. */
  static open(src: string): Checkpoint {
    const ckpt = new Checkpoint();
    for (const file of resolveFiles(src)) ckpt.add(file);
    return ckpt;
  }

  /** Adds the tensors of one more file (for DiT/TE/VAE files given separately). Duplicate keys are an error. */
  add(file: string): void {
    diagnoseFile(file);
    const { tensors, metadata } = isGguf(file) ? ggufTensorInfos(file) : readHeader(file);
    const folded = foldFp8(file, tensors, metadata, (t) => readBytes(t, t.begin, t.end), this.source);
    countDtypes(this.source, folded);
    for (const t of folded) {
      const prior = this.tensors.get(t.key);
      if (prior) {
        throw new EngineError('checkpoint-duplicate-key', `tensor ${t.key} is in both ${prior.file} and ${file}`, {
          hint: 'pass each component file once; shards of one checkpoint must not overlap',
        });
      }
      this.tensors.set(t.key, t);
    }
    Object.assign(this.metadata, metadata);
    this.files.push(file);
  }

  keys(): string[] {
    return [...this.tensors.keys()];
  }

  /**
   * A checkpoint of some of these tensors under new names (an all-in-one file's component, prefix stripped): the
   * same files and decoders; the source dtypes are recounted for the view.
   */
  view(keys: string[], rename: (key: string) => string): Checkpoint {
    const v = new Checkpoint();
    for (const key of keys) {
      const t = this.get(key);
      v.tensors.set(rename(key), { ...t, key: rename(key) });
    }
    v.files.push(...this.files);
    Object.assign(v.metadata, this.metadata);
    countDtypes(v.source, [...v.tensors.values()]);
    if (Object.keys(v.source.dtypes).some((d) => d.startsWith('F8_'))) v.source.schemes.push(...this.source.schemes);
    v.source.foldedTensors.push(...this.source.foldedTensors.filter((k) => keys.some((key) => k.startsWith(key.slice(0, key.lastIndexOf('.'))))));
    return v;
  }

  get(key: string): TensorInfo {
    const t = this.tensors.get(key);
    if (!t) throw new EngineError('checkpoint-missing-key', `tensor ${key} is not in ${this.files.join(', ')}`);
    return t;
  }

  has(key: string): boolean {
    return this.tensors.has(key);
  }

  /** Reads one tensor's raw bytes (little-endian, stored dtype). */
  readRaw(key: string): Buffer {
    const t = this.get(key);
    return readBytes(t, t.begin, t.end);
  }

  /**
   * Reads one float tensor (or rows [begin, end) of dim 0) converted to `dtype`; fp8 and GGUF tensors are
   * dequantised on the way. A tensor that holds no floats (ids, flags) is an error naming it.
   */
  read(key: string, dtype: DType, rows?: [number, number]): Buffer {
    const t = this.get(key);
    const rowCount = t.shape[0] ?? 1;
    const plainRowBytes = t.decode ? t.rowBytes : (t.end - t.begin) / Math.max(rowCount, 1);
    if (rows && plainRowBytes !== undefined) {
      const raw = readBytes(t, t.begin + rows[0] * plainRowBytes, t.begin + rows[1] * plainRowBytes);
      return t.decode ? t.decode(raw, dtype, rows[0]) : convert(raw, t.dtype as StoredDType, dtype, key);
    }
    const all = t.decode ? t.decode(readBytes(t, t.begin, t.end), dtype, 0) : convert(readBytes(t, t.begin, t.end), t.dtype as StoredDType, dtype, key);
    if (!rows) return all;
    const outRow = all.length / rowCount;
    return all.subarray(rows[0] * outRow, rows[1] * outRow);
  }

  /** Reads an integer (I64/I32) or integral float tensor as numbers (token ids). */
  readInts(key: string): number[] {
    const t = this.get(key);
    const raw = this.readRaw(key);
    if (t.dtype === 'I64') return Array.from({ length: raw.length / 8 }, (_, i) => Number(raw.readBigInt64LE(i * 8)));
    if (t.dtype === 'I32') return Array.from({ length: raw.length / 4 }, (_, i) => raw.readInt32LE(i * 4));
    return Array.from(this.readF32(key), Math.round);
  }

  /** Reads one tensor as float32 values. */
  readF32(key: string): Float32Array {
    const b = this.read(key, 'F32');
    return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  }
}

function resolveFiles(src: string): string[] {
  if (!fs.existsSync(src)) throw missingPathProblem(src, 'checkpoint');
  if (fs.statSync(src).isDirectory()) {
    const names = fs.readdirSync(src);
    const index = names.filter((n) => n.endsWith('.safetensors.index.json'));
    if (index.length === 1) return resolveFiles(path.join(src, index[0]));
    const files = names.filter((n) => n.endsWith('.safetensors') || n.endsWith('.gguf'));
    if (files.length === 1) return [path.join(src, files[0])];
    throw new EngineError('checkpoint-ambiguous', `folder ${src} holds ${files.length} .safetensors/.gguf files and ${index.length} index files${files.length ? `: ${files.slice(0, 8).join(', ')}` : ''}`, {
      hint: 'point at the index.json of a sharded checkpoint, or at one .safetensors or .gguf file',
    });
  }
  if (src.endsWith('.index.json')) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(fs.readFileSync(src, 'utf8'));
    } catch (e) {
      throw new EngineError('safetensors-bad-index', `${src} is not valid JSON: ${(e as Error).message}`);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new EngineError('safetensors-bad-index', `${src} has no "weight_map"`, { hint: 'is this a safetensors index file?' });
    }
    const shards = [...new Set(Object.values(index.weight_map))].sort();
    for (const shard of shards) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
        throw new EngineError('safetensors-bad-index', `${src} names a shard outside its folder: ${String(shard)}`);
      }
    }
    const files = shards.map((s) => path.join(path.dirname(src), s));
    diagnoseMissingShards(src, files);
    return files;
  }
  return [src];
}

/** Parses and validates a safetensors header. Throws an EngineError naming the file and the problem. */
export function readHeader(file: string): { tensors: TensorInfo[]; metadata: Record<string, string> } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const bad = (why: string, hint = 'the file is not a valid safetensors file (truncated or corrupt download?)') =>
      new EngineError('safetensors-invalid', `${file}: ${why}`, { hint });
    if (size < 8) throw bad(`only ${size} bytes long`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(MAX_HEADER_BYTES)) throw bad(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    if (headerLen + 8n > BigInt(size)) throw bad(`header length ${headerLen} runs past the end of the ${size}-byte file`);
    const n = Number(headerLen);
    const headerBuf = Buffer.alloc(n);
    fs.readSync(fd, headerBuf, 0, n, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBuf.toString('utf8'));
    } catch (e) {
      throw bad(`header is not JSON (${(e as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
    const dataStart = 8 + n;
    const dataLen = size - dataStart;
    const tensors: TensorInfo[] = [];
    let metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(header)) {
      if (key === '__metadata__') {
        metadata = (value ?? {}) as Record<string, string>;
        continue;
      }
      const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (!v || typeof v !== 'object') throw bad(`entry ${key} is not an object`);
      if (!STORED_DTYPES.includes(v.dtype as StoredDType)) {
        throw bad(`tensor ${key} has dtype ${JSON.stringify(v.dtype)}, which is not a safetensors dtype (${STORED_DTYPES.join(', ')})`,
          'the file is damaged or written by an incompatible tool: download it again');
      }
      const dtype = v.dtype as StoredDType;
      if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw bad(`tensor ${key} has an invalid shape ${JSON.stringify(v.shape)}`);
      }
      const off = v.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[1] < off[0]) {
        throw bad(`tensor ${key} has invalid data_offsets ${JSON.stringify(off)}`);
      }
      if (off[1] > dataLen) {
        const { why, hint } = truncation(file, dataStart + off[1], size);
        throw bad(`tensor ${key} ends at byte ${off[1]} of a ${dataLen}-byte data section: ${why}`, hint);
      }
      const shape = v.shape as number[];
      const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
      if (off[1] - off[0] !== expected) {
        throw bad(`tensor ${key} (${dtype} ${JSON.stringify(shape)}) needs ${expected} bytes but its offsets span ${off[1] - off[0]}`);
      }
      tensors.push({ key, dtype, shape, file, begin: dataStart + off[0], end: dataStart + off[1] });
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

// ---- dtype conversion ------------------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40; // quiet NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** float32 → IEEE half bits, round to nearest even; overflow → ±Inf (what a naive downgrade does). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Converts little-endian tensor bytes between dtypes. Returns the input itself when the dtypes match. */
export function convert(src: Buffer, from: StoredDType, to: DType, key = 'the tensor'): Buffer {
  if (from === to) return src;
  if (from === 'F64') return convertF64(src, to);
  if (!(DTYPES as readonly string[]).includes(from)) {
    throw new EngineError('safetensors-int-tensor', `${key} is ${from}, not floats: it cannot be read as ${to}`, {
      hint: from.startsWith('I') || from.startsWith('U') || from === 'BOOL'
        ? 'integer tensors hold ids or flags, not weights; int8-quantised checkpoints are not read: use the BF16, FP8 or GGUF release'
        : 'use a BF16, FP16, FP32, FP8 or GGUF file',
    });
  }
  const n = src.length / DTYPE_BYTES[from];
  const out = Buffer.alloc(n * DTYPE_BYTES[to]);
  // Typed-array views need aligned offsets; a fresh copy is aligned.
  const aligned = src.byteOffset % 4 === 0 ? src : Buffer.from(src);
  const f32in = from === 'F32' ? new Float32Array(aligned.buffer, aligned.byteOffset, n) : undefined;
  const u16in = from === 'F32' ? undefined : new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  const toF32 = from === 'BF16' ? bf16BitsToF32 : f16BitsToF32;
  const value = (i: number) => (f32in ? f32in[i] : toF32(u16in![i]));
  if (to === 'F32') {
    const o = new Float32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) o[i] = value(i);
  } else {
    const o = new Uint16Array(out.buffer, out.byteOffset, n);
    const enc = to === 'BF16' ? f32ToBf16Bits : f32ToF16Bits;
    for (let i = 0; i < n; i++) o[i] = enc(value(i));
  }
  return out;
}

/** float64 tensors (rare: some exported scales), through float32 into `to`. */
function convertF64(src: Buffer, to: DType): Buffer {
  const n = src.length / 8;
  const aligned = src.byteOffset % 8 === 0 ? src : Buffer.from(src);
  const v = new Float64Array(aligned.buffer, aligned.byteOffset, n);
  const f32v = Float32Array.from(v);
  if (to === 'F32') return Buffer.from(f32v.buffer);
  const out = Buffer.alloc(n * 2);
  const o = new Uint16Array(out.buffer, out.byteOffset, n);
  const enc = to === 'BF16' ? f32ToBf16Bits : f32ToF16Bits;
  for (let i = 0; i < n; i++) o[i] = enc(f32v[i]);
  return out;
}

/** Reads bytes [begin, end) of the file that holds `t`. */
function readBytes(t: TensorInfo, begin: number, end: number): Buffer {
  const fd = fs.openSync(t.file, 'r');
  try {
    const buf = Buffer.allocUnsafe(end - begin);
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, begin + done);
      if (n === 0) throw new EngineError('safetensors-truncated', `${t.file} ends inside tensor ${t.key}`, { hint: 'the file is incomplete (a partial download?): download it again' });
      done += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

// ---- writing ----------------------------------------------------------------------------------------------------

export interface TensorToWrite {
  key: string;
  dtype: StoredDType;
  shape: number[];
  data: Uint8Array;
}

/** Writes a safetensors file (keys sorted, 8-byte aligned header) through a temporary file and a rename. */
export function writeSafetensors(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  const sorted = [...tensors].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of sorted) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (bytes !== t.data.byteLength) {
      throw new EngineError('safetensors-write', `tensor ${t.key}: shape ${JSON.stringify(t.shape)} ${t.dtype} needs ${bytes} bytes, got ${t.data.byteLength}`);
    }
    header[t.key] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, Buffer.from(json));
    for (const t of sorted) fs.writeSync(fd, t.data);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Float32 values as a tensor to write. */
export function f32Tensor(key: string, shape: number[], values: Float32Array): TensorToWrite {
  return { key, dtype: 'F32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}
