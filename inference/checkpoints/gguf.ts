// GGUF files (ggml's docs/gguf.md, versions 2 and 3): the header (magic, version, metadata key/values, tensor
// infos, aligned data section) read synchronously from a file descriptor, and the dequantisation of the block
// formats that community Z-Image DiT files use (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K),
// value for value as ggml's reference `dequantize_row_*` computes them (float32, one rounding per operation).
// Shapes are reported in PyTorch order (GGUF stores ne[0], the fastest axis, first); ComfyUI-GGUF's
// `comfy.gguf.orig_shape.<name>` metadata restores the shape of tensors its converter flattened.
// Written here rather than taken from npm: @huggingface/gguf (the maintained parser) is async/fetch-based while
// the converter reads synchronously, and it does not dequantise, which is most of this file.
// It deliberately reads no other ggml types (IQ*, Q2_K, Q3_K, TQ*, MXFP4: refused by name) and writes no GGUF.
import fs from 'node:fs';
import { EngineError } from '../errors.ts';
import { bf16BitsToF32, convert, f16BitsToF32, type DType, type TensorInfo } from '../safetensors.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian

/** ggml_type ids → name, elements per block, bytes per block (ggml.h / ggml.c type traits). */
export const GGML_TYPES: Record<number, { name: string; block: number; bytes: number }> = {
  0: { name: 'F32', block: 1, bytes: 4 }, 1: { name: 'F16', block: 1, bytes: 2 },
  2: { name: 'Q4_0', block: 32, bytes: 18 }, 3: { name: 'Q4_1', block: 32, bytes: 20 },
  6: { name: 'Q5_0', block: 32, bytes: 22 }, 7: { name: 'Q5_1', block: 32, bytes: 24 },
  8: { name: 'Q8_0', block: 32, bytes: 34 }, 9: { name: 'Q8_1', block: 32, bytes: 36 },
  10: { name: 'Q2_K', block: 256, bytes: 84 }, 11: { name: 'Q3_K', block: 256, bytes: 110 },
  12: { name: 'Q4_K', block: 256, bytes: 144 }, 13: { name: 'Q5_K', block: 256, bytes: 176 },
  14: { name: 'Q6_K', block: 256, bytes: 210 }, 15: { name: 'Q8_K', block: 256, bytes: 292 },
  16: { name: 'IQ2_XXS', block: 256, bytes: 66 }, 17: { name: 'IQ2_XS', block: 256, bytes: 74 },
  18: { name: 'IQ3_XXS', block: 256, bytes: 98 }, 19: { name: 'IQ1_S', block: 256, bytes: 50 },
  20: { name: 'IQ4_NL', block: 32, bytes: 18 }, 21: { name: 'IQ3_S', block: 256, bytes: 110 },
  22: { name: 'IQ2_S', block: 256, bytes: 82 }, 23: { name: 'IQ4_XS', block: 256, bytes: 136 },
  24: { name: 'I8', block: 1, bytes: 1 }, 25: { name: 'I16', block: 1, bytes: 2 },
  26: { name: 'I32', block: 1, bytes: 4 }, 27: { name: 'I64', block: 1, bytes: 8 },
  28: { name: 'F64', block: 1, bytes: 8 }, 29: { name: 'IQ1_M', block: 256, bytes: 56 },
  30: { name: 'BF16', block: 1, bytes: 2 }, 34: { name: 'TQ1_0', block: 256, bytes: 54 },
  35: { name: 'TQ2_0', block: 256, bytes: 66 }, 39: { name: 'MXFP4', block: 32, bytes: 17 },
};

/** The ggml types this file dequantises. */
export const GGUF_READABLE = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K'] as const;
/** Integer types: allowed in a file (never weights), reported as unused when present. */
const GGUF_INTS = ['I8', 'I16', 'I32', 'I64'];

export interface GgufTensor {
  name: string;
  /** ggml type name (Q4_K, F16, …). */
  type: string;
  /** PyTorch order (slowest axis first), after comfy.gguf.orig_shape. */
  shape: number[];
  /** ggml's ne, fastest axis first, as stored. */
  ne: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface GgufFile {
  version: number;
  metadata: Record<string, unknown>;
  tensors: GgufTensor[];
  alignment: number;
}

// ---- header ------------------------------------------------------------------------------------------------------

/** Sequential little-endian reads over a file, refilled from disk as the header grows. */
class HeaderReader {
  private buf = Buffer.alloc(0);
  private base = 0; // file offset of buf[0]
  pos = 0; // absolute file offset

  constructor(private readonly fd: number, readonly size: number, private readonly file: string) {}

  private ensure(n: number): void {
    if (this.pos + n > this.size) {
      throw new EngineError('gguf-truncated', `${this.file}: the header runs past the end of the ${this.size}-byte file`, {
        hint: 'the file is incomplete (a partial download?): download it again',
      });
    }
    if (this.pos + n <= this.base + this.buf.length) return;
    const len = Math.min(this.size - this.pos, Math.max(n, 1 << 20));
    this.buf = Buffer.alloc(len);
    fs.readSync(this.fd, this.buf, 0, len, this.pos);
    this.base = this.pos;
  }

  private at(n: number): number {
    this.ensure(n);
    const off = this.pos - this.base;
    this.pos += n;
    return off;
  }

  u8() { const o = this.at(1); return this.buf.readUInt8(o); }
  i8() { const o = this.at(1); return this.buf.readInt8(o); }
  u16() { const o = this.at(2); return this.buf.readUInt16LE(o); }
  i16() { const o = this.at(2); return this.buf.readInt16LE(o); }
  u32() { const o = this.at(4); return this.buf.readUInt32LE(o); }
  i32() { const o = this.at(4); return this.buf.readInt32LE(o); }
  f32() { const o = this.at(4); return this.buf.readFloatLE(o); }
  f64() { const o = this.at(8); return this.buf.readDoubleLE(o); }
  u64(): number {
    const o = this.at(8);
    const v = this.buf.readBigUInt64LE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new EngineError('gguf-invalid', `${this.file}: a 64-bit count ${v} at byte ${this.pos - 8} is not plausible`, { hint: 'the file is not a valid GGUF file' });
    return Number(v);
  }
  i64(): number { const o = this.at(8); return Number(this.buf.readBigInt64LE(o)); }
  str(): string {
    const n = this.u64();
    if (n > 1 << 26) throw new EngineError('gguf-invalid', `${this.file}: a ${n}-byte string in the header`, { hint: 'the file is not a valid GGUF file' });
    const off = this.at(n);
    return this.buf.toString('utf8', off, off + n);
  }
}

// gguf_type (metadata value types)
const VALUE_READERS: Record<number, (r: HeaderReader) => unknown> = {
  0: (r) => r.u8(), 1: (r) => r.i8(), 2: (r) => r.u16(), 3: (r) => r.i16(), 4: (r) => r.u32(), 5: (r) => r.i32(),
  6: (r) => r.f32(), 7: (r) => r.u8() !== 0, 8: (r) => r.str(), 10: (r) => r.u64(), 11: (r) => r.i64(), 12: (r) => r.f64(),
};

function readValue(r: HeaderReader, type: number, file: string, key: string): unknown {
  if (type === 9) {
    const itemType = r.u32();
    const n = r.u64();
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = readValue(r, itemType, file, key);
    return out;
  }
  const read = VALUE_READERS[type];
  if (!read) throw new EngineError('gguf-invalid', `${file}: metadata ${key} has unknown value type ${type}`, { hint: 'the file is not a valid GGUF file (or a newer GGUF version)' });
  return read(r);
}

/** True when the file starts with the GGUF magic. */
export function isGguf(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    return fs.readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === GGUF_MAGIC;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Parses a GGUF header and checks every tensor's extent against the file. Throws an EngineError naming any tensor
 * type this reader cannot dequantise (all of them at once, with counts).
 */
export function readGguf(file: string): GgufFile {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const r = new HeaderReader(fd, size, file);
    if (r.u32() !== GGUF_MAGIC) throw new EngineError('gguf-invalid', `${file} does not start with the GGUF magic`, { hint: 'pass a .gguf or .safetensors file' });
    const version = r.u32();
    if (version !== 2 && version !== 3) {
      throw new EngineError('gguf-version', `${file} is GGUF version ${version}; this reader reads versions 2 and 3`, { hint: version === 1 ? 'version 1 files predate 2023: convert the model again with current tools' : 'is this a newer GGUF version?' });
    }
    const tensorCount = r.u64();
    const kvCount = r.u64();
    const metadata: Record<string, unknown> = {};
    for (let i = 0; i < kvCount; i++) {
      const key = r.str();
      metadata[key] = readValue(r, r.u32(), file, key);
    }
    const alignment = metadata['general.alignment'] === undefined ? 32 : Number(metadata['general.alignment']);
    if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8) throw new EngineError('gguf-invalid', `${file}: general.alignment ${alignment} is not a positive multiple of 8`);
    const infos: { name: string; ne: number[]; typeId: number; offset: number }[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = r.str();
      const nDims = r.u32();
      if (nDims > 8) throw new EngineError('gguf-invalid', `${file}: tensor ${name} has ${nDims} dimensions`, { hint: 'the file is not a valid GGUF file' });
      const ne = Array.from({ length: nDims }, () => r.u64());
      infos.push({ name, ne, typeId: r.u32(), offset: r.u64() });
    }
    const dataStart = Math.ceil(r.pos / alignment) * alignment;
    const unreadable = new Map<string, string[]>();
    const tensors: GgufTensor[] = [];
    for (const info of infos) {
      const t = GGML_TYPES[info.typeId];
      const typeName = t?.name ?? `ggml type ${info.typeId}`;
      if (!t || !(GGUF_READABLE as readonly string[]).includes(t.name) && !GGUF_INTS.includes(t.name)) {
        unreadable.set(typeName, [...(unreadable.get(typeName) ?? []), info.name]);
        continue;
      }
      const n = info.ne.reduce((a, b) => a * b, 1);
      if ((info.ne[0] ?? 1) % t.block) throw new EngineError('gguf-invalid', `${file}: tensor ${info.name} (${t.name}) has a first dimension ${info.ne[0]} that is not a multiple of its ${t.block}-element block`);
      const begin = dataStart + info.offset;
      const end = begin + (n / t.block) * t.bytes;
      if (end > size) {
        throw new EngineError('gguf-truncated', `${file}: tensor ${info.name} ends at byte ${end} of a ${size}-byte file`, {
          hint: `the file is incomplete (${size} bytes, at least ${end} expected; a partial download?): download it again`,
        });
      }
      let shape = [...info.ne].reverse();
      const orig = metadata[`comfy.gguf.orig_shape.${info.name}`];
      if (Array.isArray(orig)) {
        const o = orig.map(Number);
        if (o.reduce((a, b) => a * b, 1) !== n) throw new EngineError('gguf-invalid', `${file}: comfy.gguf.orig_shape.${info.name} [${o}] does not hold the tensor's ${n} elements`);
        shape = o;
      }
      tensors.push({ name: info.name, type: t.name, shape, ne: info.ne, begin, end });
    }
    if (unreadable.size) {
      const list = [...unreadable].map(([type, names]) => `${type} (${names.length} tensor${names.length > 1 ? 's' : ''}, e.g. ${names[0]})`).join(', ');
      throw new EngineError('gguf-unsupported-type', `${file} holds tensors of a GGUF type this converter cannot dequantise: ${list}`, {
        hint: `readable types: ${GGUF_READABLE.join(', ')}. Use the Q8_0, Q6_K, Q5_K_M, Q5_0, Q4_K_M or Q4_0 file of this model, or its safetensors release`,
      });
    }
    return { version, metadata, tensors, alignment };
  } finally {
    fs.closeSync(fd);
  }
}

// ---- dequantisation ----------------------------------------------------------------------------------------------
// Each function turns `raw` (whole blocks) into float32 values. `f` is Math.fround: ggml computes in float, so every
// product and sum is rounded to float32 where the C code rounds it.

const f = Math.fround;

function half(raw: Uint8Array, off: number): number {
  return f16BitsToF32(raw[off] | (raw[off + 1] << 8));
}

function deqQ8_0(raw: Uint8Array, y: Float32Array): void {
  for (let b = 0, o = 0; o < y.length; b += 34, o += 32) {
    const d = half(raw, b);
    for (let j = 0; j < 32; j++) y[o + j] = f(((raw[b + 2 + j] << 24) >> 24) * d);
  }
}

function deqQ4_0(raw: Uint8Array, y: Float32Array): void {
  for (let b = 0, o = 0; o < y.length; b += 18, o += 32) {
    const d = half(raw, b);
    for (let j = 0; j < 16; j++) {
      const q = raw[b + 2 + j];
      y[o + j] = f(((q & 0xf) - 8) * d);
      y[o + j + 16] = f(((q >> 4) - 8) * d);
    }
  }
}

function deqQ4_1(raw: Uint8Array, y: Float32Array): void {
  for (let b = 0, o = 0; o < y.length; b += 20, o += 32) {
    const d = half(raw, b), m = half(raw, b + 2);
    for (let j = 0; j < 16; j++) {
      const q = raw[b + 4 + j];
      y[o + j] = f(f((q & 0xf) * d) + m);
      y[o + j + 16] = f(f((q >> 4) * d) + m);
    }
  }
}

/** Q5_0 and Q5_1: the fifth bit of element j is bit j of the 32-bit qh. */
function deqQ5(raw: Uint8Array, y: Float32Array, withMin: boolean): void {
  const size = withMin ? 24 : 22;
  for (let b = 0, o = 0; o < y.length; b += size, o += 32) {
    const d = half(raw, b);
    const m = withMin ? half(raw, b + 2) : 0;
    const h = b + (withMin ? 4 : 2);
    const qh = (raw[h] | (raw[h + 1] << 8) | (raw[h + 2] << 16) | (raw[h + 3] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = raw[h + 4 + j];
      const x0 = (q & 0xf) | (((qh >>> j) & 1) << 4);
      const x1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      if (withMin) {
        y[o + j] = f(f(x0 * d) + m);
        y[o + j + 16] = f(f(x1 * d) + m);
      } else {
        y[o + j] = f((x0 - 16) * d);
        y[o + j + 16] = f((x1 - 16) * d);
      }
    }
  }
}

/** The 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes at `s` (ggml's get_scale_min_k4). */
function scaleMinK4(raw: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [raw[s + j] & 63, raw[s + j + 4] & 63];
  return [(raw[s + j + 4] & 0xf) | ((raw[s + j - 4] >> 6) << 4), (raw[s + j + 4] >> 4) | ((raw[s + j] >> 6) << 4)];
}

/** Q4_K (144-byte blocks: d, dmin, scales[12], qs[128]) and Q5_K (176: d, dmin, scales[12], qh[32], qs[128]). */
function deqK(raw: Uint8Array, y: Float32Array, five: boolean): void {
  const size = five ? 176 : 144;
  for (let b = 0, o = 0; o < y.length; b += size, o += 256) {
    const d = half(raw, b), dmin = half(raw, b + 2);
    const qh = b + 16;
    let ql = b + (five ? 48 : 16);
    for (let j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32) {
      const [sc1, m1] = scaleMinK4(raw, b + 4, is);
      const [sc2, m2] = scaleMinK4(raw, b + 4, is + 1);
      const d1 = f(d * sc1), min1 = f(dmin * m1), d2 = f(d * sc2), min2 = f(dmin * m2);
      const u1 = 1 << (j / 32), u2 = 2 << (j / 32);
      for (let l = 0; l < 32; l++) {
        const q = raw[ql + l];
        const hi1 = five && raw[qh + l] & u1 ? 16 : 0;
        const hi2 = five && raw[qh + l] & u2 ? 16 : 0;
        y[o + j + l] = f(f(d1 * ((q & 0xf) + hi1)) - min1);
        y[o + j + l + 32] = f(f(d2 * ((q >> 4) + hi2)) - min2);
      }
    }
  }
}

/** Q6_K (210-byte blocks: ql[128], qh[64], scales[16] int8, d). */
function deqQ6K(raw: Uint8Array, y: Float32Array): void {
  for (let b = 0, o = 0; o < y.length; b += 210, o += 256) {
    const d = half(raw, b + 208);
    for (let n = 0; n < 2; n++) {
      const ql = b + 64 * n, qh = b + 128 + 32 * n, sc = b + 192 + 8 * n, out = o + 128 * n;
      const s = (i: number) => (raw[sc + i] << 24) >> 24;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = raw[qh + l];
        const q1 = ((raw[ql + l] & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((raw[ql + l + 32] & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((raw[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((raw[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[out + l] = f(f(d * s(is)) * q1);
        y[out + l + 32] = f(f(d * s(is + 2)) * q2);
        y[out + l + 64] = f(f(d * s(is + 4)) * q3);
        y[out + l + 96] = f(f(d * s(is + 6)) * q4);
      }
    }
  }
}

/** Dequantises `raw` (whole blocks of `type`) into float32 values. */
export function dequantize(type: string, raw: Uint8Array): Float32Array {
  const t = Object.values(GGML_TYPES).find((x) => x.name === type);
  if (!t || !(GGUF_READABLE as readonly string[]).includes(type)) {
    throw new EngineError('gguf-unsupported-type', `GGUF type ${type} cannot be dequantised`, { hint: `readable types: ${GGUF_READABLE.join(', ')}` });
  }
  if (raw.length % t.bytes) throw new EngineError('gguf-invalid', `${raw.length} bytes are not whole ${type} blocks of ${t.bytes} bytes`);
  const y = new Float32Array((raw.length / t.bytes) * t.block);
  switch (type) {
    case 'F32': y.set(new Float32Array(Uint8Array.from(raw).buffer)); break;
    case 'F16': for (let i = 0; i < y.length; i++) y[i] = f16BitsToF32(raw[2 * i] | (raw[2 * i + 1] << 8)); break;
    case 'BF16': for (let i = 0; i < y.length; i++) y[i] = bf16BitsToF32(raw[2 * i] | (raw[2 * i + 1] << 8)); break;
    case 'Q8_0': deqQ8_0(raw, y); break;
    case 'Q4_0': deqQ4_0(raw, y); break;
    case 'Q4_1': deqQ4_1(raw, y); break;
    case 'Q5_0': deqQ5(raw, y, false); break;
    case 'Q5_1': deqQ5(raw, y, true); break;
    case 'Q4_K': deqK(raw, y, false); break;
    case 'Q5_K': deqK(raw, y, true); break;
    case 'Q6_K': deqQ6K(raw, y); break;
  }
  return y;
}

/** Bytes of one row of `ne0` elements of `type` (rows are whole blocks: GGUF requires ne0 % block == 0). */
export function ggmlRowBytes(type: string, ne0: number): number {
  const t = Object.values(GGML_TYPES).find((x) => x.name === type)!;
  return (ne0 / t.block) * t.bytes;
}

// ---- as checkpoint tensors ---------------------------------------------------------------------------------------

/**
 * A GGUF file's tensors as Checkpoint entries: PyTorch shapes, and a decoder that dequantises to float32 and
 * converts into the requested dtype. Scalar metadata is kept as strings (arrays such as vocabularies are dropped).
 */
export function ggufTensorInfos(file: string): { tensors: TensorInfo[]; metadata: Record<string, string> } {
  const g = readGguf(file);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(g.metadata)) if (!Array.isArray(v)) metadata[k] = String(v);
  const tensors = g.tensors.map((t): TensorInfo => {
    const int = GGUF_INTS.includes(t.type);
    const reshaped = t.shape.length !== t.ne.length || t.shape.some((d, i) => d !== t.ne[t.ne.length - 1 - i]);
    // A PyTorch row (dim 0) is whole ggml rows unless ComfyUI-GGUF flattened the tensor.
    const rowBytes = reshaped ? undefined : ggmlRowBytes(t.type, t.ne[0] ?? 1) * t.ne.slice(1, -1).reduce((a, b) => a * b, 1);
    const decode = int ? undefined : (raw: Buffer, to: DType) => {
      const y = dequantize(t.type, raw);
      return convert(Buffer.from(y.buffer, y.byteOffset, y.byteLength), 'F32', to);
    };
    return { key: t.name, dtype: t.type, shape: t.shape, file, begin: t.begin, end: t.end, decode, rowBytes: t.ne.length > 1 ? rowBytes : undefined };
  });
  return { tensors, metadata };
}
