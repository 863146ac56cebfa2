// Test helpers: tiny synthetic checkpoint files in the layouts real distributions use, written from the format
// specs (not by the readers under test): GGUF (ggml docs/gguf.md: header, metadata, tensor infos, aligned data),
// random-but-valid quantised blocks of each GGUF type, fp8 bytes by round-to-nearest from float32, and the tiny
// DiT re-keyed to the ComfyUI single-file layout. Used by the checkpoint, converter and CLI tests only.
import fs from 'node:fs';
import { f16BitsToF32, f32ToF16Bits, type TensorToWrite } from '../safetensors.ts';

// ---- GGUF writer ---------------------------------------------------------------------------------------------------

/** Metadata value types of the spec (gguf_type). */
export const GGUF_VALUE = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 } as const;
/** ggml_type ids of the spec. */
export const GGML_ID: Record<string, number> = { F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q4_K: 12, Q5_K: 13, Q6_K: 14, I32: 26, BF16: 30, IQ4_XS: 23, Q3_K: 11 };
export const BLOCK: Record<string, [number, number]> = { F32: [1, 4], F16: [1, 2], BF16: [1, 2], I32: [1, 4], Q4_0: [32, 18], Q4_1: [32, 20], Q5_0: [32, 22], Q5_1: [32, 24], Q8_0: [32, 34], Q4_K: [256, 144], Q5_K: [256, 176], Q6_K: [256, 210], IQ4_XS: [256, 136], Q3_K: [256, 110] };

export type GgufValue = { type: 'u32'; v: number } | { type: 'str'; v: string } | { type: 'i32[]'; v: number[] } | { type: 'f32'; v: number };
export interface GgufTensorToWrite { name: string; type: string; ne: number[]; data: Uint8Array }

class Bytes {
  parts: Buffer[] = [];
  length = 0;
  push(b: Buffer) { this.parts.push(b); this.length += b.length; }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  i32(v: number) { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
  f32(v: number) { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  u64(v: number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  str(s: string) { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
}

/** Writes a GGUF v3 file to the spec. `version` and `magic` can be overridden to write broken files. */
export function writeGguf(file: string, tensors: GgufTensorToWrite[], metadata: Record<string, GgufValue> = {}, opts: { alignment?: number; version?: number; truncate?: number } = {}): void {
  const align = opts.alignment ?? 32;
  const h = new Bytes();
  h.push(Buffer.from('GGUF', 'ascii'));
  h.u32(opts.version ?? 3);
  h.u64(tensors.length);
  const kv = { ...metadata, ...(opts.alignment ? { 'general.alignment': { type: 'u32', v: align } as GgufValue } : {}) };
  h.u64(Object.keys(kv).length);
  for (const [key, value] of Object.entries(kv)) {
    h.str(key);
    if (value.type === 'u32') { h.u32(GGUF_VALUE.UINT32); h.u32(value.v); }
    else if (value.type === 'f32') { h.u32(GGUF_VALUE.FLOAT32); h.f32(value.v); }
    else if (value.type === 'str') { h.u32(GGUF_VALUE.STRING); h.str(value.v); }
    else { h.u32(GGUF_VALUE.ARRAY); h.u32(GGUF_VALUE.INT32); h.u64(value.v.length); for (const x of value.v) h.i32(x); }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    h.str(t.name);
    h.u32(t.ne.length);
    for (const d of t.ne) h.u64(d);
    h.u32(GGML_ID[t.type]);
    h.u64(offset);
    offsets.push(offset);
    offset = Math.ceil((offset + t.data.length) / align) * align;
  }
  const head = Buffer.concat(h.parts);
  const dataStart = Math.ceil(head.length / align) * align;
  const out = Buffer.alloc(dataStart + offset);
  head.copy(out, 0);
  tensors.forEach((t, i) => out.set(t.data, dataStart + offsets[i]));
  fs.writeFileSync(file, opts.truncate ? out.subarray(0, out.length - opts.truncate) : out);
}

// ---- random blocks ---------------------------------------------------------------------------------------------

/** A deterministic byte source (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function putHalf(b: Uint8Array, off: number, x: number) {
  const h = f32ToF16Bits(x);
  b[off] = h & 0xff;
  b[off + 1] = h >> 8;
}

/**
 * `n` elements of `type` as random valid blocks: random quants and scale bytes, with the block's f16 scales drawn
 * from `scale()` (e.g. powers of two, so every dequantised value is exact, or arbitrary values).
 */
export function randomBlocks(type: string, n: number, next: () => number, scale: () => number): Uint8Array {
  const [block, bytes] = BLOCK[type];
  if (n % block) throw new Error(`${n} is not a multiple of ${block}`);
  const out = new Uint8Array((n / block) * bytes);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  const halves: Record<string, number[]> = { Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208] };
  for (let b = 0; b < out.length; b += bytes) for (const off of halves[type] ?? []) putHalf(out, b + off, scale());
  return out;
}

/** Element i of a tensor of `type` stored as `raw`, from the block layout of ggml's docs (ggml-common.h structs). */
export function ggufReference(type: string, raw: Uint8Array, i: number, f: (x: number) => number = Math.fround): number {
  const [B, S] = BLOCK[type];
  const k = Math.floor(i / B), j = i % B, o = k * S;
  const u8 = (p: number) => raw[o + p];
  const i8 = (p: number) => (raw[o + p] << 24) >> 24;
  const h = (p: number) => f16BitsToF32(u8(p) | (u8(p + 1) << 8));
  const u32 = (p: number) => (u8(p) | (u8(p + 1) << 8) | (u8(p + 2) << 16) | (u8(p + 3) << 24)) >>> 0;
  const nib = (byte: number, high: boolean) => (high ? byte >> 4 : byte & 15);
  switch (type) {
    case 'Q8_0': return f(i8(2 + j) * h(0));
    case 'Q4_0': return f((nib(u8(2 + (j % 16)), j >= 16) - 8) * h(0));
    case 'Q4_1': return f(f(nib(u8(4 + (j % 16)), j >= 16) * h(0)) + h(2));
    case 'Q5_0': return f(((nib(u8(6 + (j % 16)), j >= 16) | (((u32(2) >>> j) & 1) << 4)) - 16) * h(0));
    case 'Q5_1': return f(f((nib(u8(8 + (j % 16)), j >= 16) | (((u32(4) >>> j) & 1) << 4)) * h(0)) + h(2));
    case 'Q4_K':
    case 'Q5_K': {
      const sub = Math.floor(j / 32);
      // 6-bit scale and min of sub-block `sub` from the 12 packed bytes at offset 4
      const sc = sub < 4 ? u8(4 + sub) & 63 : (u8(4 + sub + 4) & 15) | ((u8(4 + sub - 4) >> 6) << 4);
      const mn = sub < 4 ? u8(4 + sub + 4) & 63 : (u8(4 + sub + 4) >> 4) | ((u8(4 + sub) >> 6) << 4);
      const qs = type === 'Q4_K' ? 16 : 48;
      let q = nib(u8(qs + Math.floor(sub / 2) * 32 + (j % 32)), sub % 2 === 1);
      if (type === 'Q5_K') q += ((u8(16 + (j % 32)) >> sub) & 1) * 16;
      return f(f(f(h(0) * sc) * q) - f(h(2) * mn));
    }
    case 'Q6_K': {
      const n = Math.floor(j / 128), r = j % 128, g = Math.floor(r / 32), l = r % 32;
      const low = nib(u8(64 * n + l + (g % 2) * 32), g >= 2);
      const high = (u8(128 + 32 * n + l) >> (2 * g)) & 3;
      const sc = i8(192 + 8 * n + Math.floor(l / 16) + 2 * g);
      return f(f(h(208) * sc) * ((low | (high << 4)) - 32));
    }
  }
  throw new Error(type);
}

// ---- fp8 encoding (round to nearest, ties to even) -------------------------------------------------------------

/** The value of an fp8 byte from its fields (sign, exponent, mantissa), written from the formats' definitions. */
export function fp8Value(byte: number, format: 'e4m3' | 'e5m2'): number {
  const [eBits, mBits, bias] = format === 'e4m3' ? [4, 3, 7] : [5, 2, 15];
  const s = byte >> 7, e = (byte >> mBits) & ((1 << eBits) - 1), m = byte & ((1 << mBits) - 1);
  const max = (1 << eBits) - 1;
  if (format === 'e4m3' && e === max && m === (1 << mBits) - 1) return NaN;
  if (format === 'e5m2' && e === max) return m ? NaN : s ? -Infinity : Infinity;
  const mag = e === 0 ? (m / 2 ** mBits) * 2 ** (1 - bias) : (1 + m / 2 ** mBits) * 2 ** (e - bias);
  return s ? -mag : mag;
}

const SORTED: Record<string, { v: number; b: number }[]> = {};

/** The fp8 byte nearest to x (saturating at the largest finite value), ties to the even mantissa. */
export function toFp8(x: number, format: 'e4m3' | 'e5m2'): number {
  const table = (SORTED[format] ??= Array.from({ length: 256 }, (_, b) => ({ v: fp8Value(b, format), b }))
    .filter((e) => Number.isFinite(e.v) && !Object.is(e.v, -0)).sort((p, q) => p.v - q.v));
  let lo = 0, hi = table.length - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (table[mid].v <= x) lo = mid; else hi = mid; }
  const [a, c] = [table[lo], table[hi]];
  const da = Math.abs(x - a.v), dc = Math.abs(x - c.v);
  return da < dc || (da === dc && (a.b & 1) === 0) ? a.b : c.b;
}

// ---- the tiny DiT in the ComfyUI single-file layout ------------------------------------------------------------

/** Diffusers DiT tensors (F32) → ComfyUI names: fused qkv (q, k, v rows), `attention.out`, q_norm/k_norm, x_embedder, final_layer. */
export function toComfyDit(tensors: { key: string; shape: number[]; values: Float32Array }[]): { key: string; shape: number[]; values: Float32Array }[] {
  const byKey = new Map(tensors.map((t) => [t.key, t]));
  const out: { key: string; shape: number[]; values: Float32Array }[] = [];
  for (const t of tensors) {
    if (/\.attention\.to_[kv]\.weight$/.test(t.key)) continue;
    const q = t.key.match(/^(.*)\.attention\.to_q\.weight$/);
    if (q) {
      const parts = ['to_q', 'to_k', 'to_v'].map((n) => byKey.get(`${q[1]}.attention.${n}.weight`)!);
      const values = new Float32Array(parts.reduce((a, p) => a + p.values.length, 0));
      let at = 0;
      for (const p of parts) { values.set(p.values, at); at += p.values.length; }
      out.push({ key: `${q[1]}.attention.qkv.weight`, shape: [3 * t.shape[0], t.shape[1]], values });
      continue;
    }
    const key = t.key.replace(/^all_x_embedder\.2-1\./, 'x_embedder.').replace(/^all_final_layer\.2-1\./, 'final_layer.')
      .replace(/\.attention\.to_out\.0\.weight$/, '.attention.out.weight')
      .replace(/\.attention\.norm_q\.weight$/, '.attention.q_norm.weight').replace(/\.attention\.norm_k\.weight$/, '.attention.k_norm.weight');
    out.push({ key, shape: t.shape, values: t.values });
  }
  return out;
}

/** Float32 values as a tensor to write in another stored dtype given as raw bytes. */
export function rawTensor(key: string, dtype: TensorToWrite['dtype'], shape: number[], data: Uint8Array): TensorToWrite {
  return { key, dtype, shape, data };
}
