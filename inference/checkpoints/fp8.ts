// 8-bit float weights as real checkpoints ship them (safetensors dtypes F8_E4M3 and F8_E5M2), decoded at conversion:
// the two formats' value tables, the three scale conventions seen in Z-Image files, and the dequantisation
// `value = fp8 × scale`, computed exactly (an fp8 value has 4 significant bits, an fp32 scale 24: the product is
// exact in a double) and rounded once into the requested dtype.
//   plain      `X.weight` F8 only (e.g. `…_fp8_e4m3fn.safetensors`): the fp8 value itself (exact in bf16/fp16/fp32).
//   scaled_fp8 legacy ComfyUI: a `scaled_fp8` marker tensor, `X.scale_weight` per Linear (+ `X.scale_input`).
//   comfy_quant ComfyUI mixed precision: `X.weight_scale` (+ `X.input_scale`), `X.comfy_quant` = U8 bytes of a JSON
//              such as {"format":"float8_e4m3fn"}. weight_scale is a scalar, one per row, or one per 2-D block.
// The input scales only matter to fp8 matmul kernels (activation quantisation); a bf16/fp32 graph has no use for them.
// It deliberately does no quantisation, no fp8 compute, and no formats beyond fp8 (int8, nvfp4 are refused by name).
import { EngineError } from '../errors.ts';
import { bf16BitsToF32, convert, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, type DType, type StoredDType, type TensorInfo } from '../safetensors.ts';
import type { SourcePrecision } from './source-precision.ts';

export const FP8_DTYPES = ['F8_E4M3', 'F8_E5M2'] as const;
export type Fp8DType = (typeof FP8_DTYPES)[number];

/** E4M3 "fn" (finite): bias 7, no infinities, S.1111.111 is NaN; largest finite 448. */
export function e4m3ToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exp = (byte >>> 3) & 0xf;
  const mant = byte & 0x7;
  if (exp === 0xf && mant === 0x7) return NaN;
  if (exp === 0) return sign * mant * 2 ** -9; // subnormal: m/8 · 2^(1−7)
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/** E5M2: bias 15, IEEE-style infinities and NaNs (the top half of an IEEE half). */
export function e5m2ToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exp = (byte >>> 2) & 0x1f;
  const mant = byte & 0x3;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  if (exp === 0) return sign * mant * 2 ** -16; // subnormal: m/4 · 2^(1−15)
  return sign * (1 + mant / 4) * 2 ** (exp - 15);
}

const TABLES: Record<Fp8DType, Float64Array> = {
  F8_E4M3: Float64Array.from({ length: 256 }, (_, b) => e4m3ToNumber(b)),
  F8_E5M2: Float64Array.from({ length: 256 }, (_, b) => e5m2ToNumber(b)),
};

export function isFp8(dtype: string): dtype is Fp8DType {
  return (FP8_DTYPES as readonly string[]).includes(dtype);
}

// ---- rounding a double once into a storage dtype ----------------------------------------------------------------

type Codec = { enc: (x: number) => number; dec: (bits: number) => number };
const CODECS: Record<'BF16' | 'F16', Codec> = {
  BF16: { enc: f32ToBf16Bits, dec: bf16BitsToF32 },
  F16: { enc: f32ToF16Bits, dec: f16BitsToF32 },
};

/** The next encoding away from zero (up = true) or towards it, in sign-magnitude bits. */
function step(bits: number, awayFromZero: boolean): number {
  const mag = bits & 0x7fff, sign = bits & 0x8000;
  if (awayFromZero) return sign | (mag + 1);
  return mag === 0 ? bits : sign | (mag - 1);
}

/**
 * x (a double) rounded to nearest-even into bf16/fp16 bits with ONE rounding. Going through float32 first rounds
 * twice, which differs when the float32 value lands exactly halfway between two half-precision values: then the
 * side x was on decides.
 */
export function roundToHalfBits(x: number, to: 'BF16' | 'F16'): number {
  const { enc, dec } = CODECS[to];
  const r = Math.fround(x);
  const h = enc(r);
  if (r === x || !Number.isFinite(r)) return h;
  const v = dec(h);
  if (!Number.isFinite(v) || v === r) return h;
  const other = step(h, Math.abs(r) > Math.abs(v));
  const ov = dec(other);
  if (r * 2 !== v + ov) return h; // r was not a tie: one rounding or two give the same
  return Math.abs(x - ov) < Math.abs(x - v) ? other : h;
}

// ---- scale conventions ------------------------------------------------------------------------------------------

export type Fp8Convention = 'plain' | 'scaled_fp8' | 'comfy_quant';

/** How one fp8 weight is scaled: none, one scale, one per row, or one per [rows/br, cols/bc] block. */
export type Fp8Scale =
  | { kind: 'none' }
  | { kind: 'tensor'; value: number }
  | { kind: 'row'; values: Float64Array }
  | { kind: 'block'; values: Float64Array; blockRows: number; blockCols: number; gridCols: number };

/** Fits a scale tensor of `scaleShape` to a weight of `shape`, or says why it cannot. */
export function scaleFor(weightKey: string, shape: number[], scaleKey: string, scaleShape: number[], values: Float64Array): Fp8Scale {
  const rows = shape[0] ?? 1;
  const cols = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  if (values.length === 1) return { kind: 'tensor', value: values[0] };
  if (values.length === rows && (scaleShape.length === 1 || (scaleShape.length === 2 && scaleShape[1] === 1))) return { kind: 'row', values };
  if (scaleShape.length === 2 && shape.length === 2 && rows % scaleShape[0] === 0 && cols % scaleShape[1] === 0) {
    return { kind: 'block', values, blockRows: rows / scaleShape[0], blockCols: cols / scaleShape[1], gridCols: scaleShape[1] };
  }
  throw new EngineError('fp8-bad-scale', `${scaleKey} has shape [${scaleShape}], which does not fit weight ${weightKey} [${shape}]`, {
    hint: 'expected one scale, one per output row, or one per 2-D block dividing the weight evenly; is the file complete?',
  });
}

/** The fp8 format named in a `comfy_quant` JSON, or an error naming the unsupported one. */
export function comfyQuantFormat(key: string, bytes: Uint8Array): Fp8DType {
  let parsed: { format?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new EngineError('fp8-bad-comfy-quant', `${key} is not the JSON ComfyUI writes (bytes ${Buffer.from(bytes.subarray(0, 24)).toString('hex')}…)`, {
      hint: 'the file may be damaged; re-download it',
    });
  }
  const format = String(parsed.format ?? '');
  if (format === 'float8_e4m3fn') return 'F8_E4M3';
  if (format === 'float8_e5m2') return 'F8_E5M2';
  throw new EngineError('fp8-unsupported-format', `${key} says its layer is quantised as ${JSON.stringify(format)}; this converter reads float8_e4m3fn and float8_e5m2`, {
    hint: 'use the BF16 or FP8 release of this model (int8 and nvfp4 layers are not read)',
  });
}

// ---- decoding ----------------------------------------------------------------------------------------------------

/**
 * Dequantises fp8 bytes (rows `rowStart…` of a weight `cols` wide) into `to`: fp8 × scale, exact, rounded once.
 * Each run of elements that shares one scale is mapped through a 256-entry table built for that scale.
 */
export function decodeFp8(raw: Uint8Array, dtype: Fp8DType, to: DType, scale: Fp8Scale, cols: number, rowStart = 0): Buffer {
  const n = raw.length;
  const out = Buffer.allocUnsafe(n * (to === 'F32' ? 4 : 2)); // every element is written below
  const o32 = to === 'F32' ? new Float32Array(out.buffer, out.byteOffset, n) : undefined;
  const o16 = to === 'F32' ? undefined : new Uint16Array(out.buffer, out.byteOffset, n);
  const table = TABLES[dtype];
  const lut = (s: number) => {
    if (o32) return Float32Array.from(table, (v) => v * s);
    return Uint16Array.from(table, (v) => roundToHalfBits(v * s, to as 'BF16' | 'F16'));
  };
  const apply = (begin: number, end: number, t: Float32Array | Uint16Array) => {
    const dst = (o32 ?? o16)!;
    for (let i = begin; i < end; i++) dst[i] = t[raw[i]];
  };
  if (scale.kind === 'none' || scale.kind === 'tensor') {
    apply(0, n, lut(scale.kind === 'none' ? 1 : scale.value));
  } else if (scale.kind === 'row') {
    for (let r = 0; r * cols < n; r++) apply(r * cols, (r + 1) * cols, lut(scale.values[rowStart + r]));
  } else {
    const cache = new Map<number, Float32Array | Uint16Array>();
    for (let r = 0; r * cols < n; r++) {
      const br = Math.floor((rowStart + r) / scale.blockRows);
      for (let bc = 0; bc * scale.blockCols < cols; bc++) {
        const idx = br * scale.gridCols + bc;
        if (!cache.has(idx)) cache.set(idx, lut(scale.values[idx]));
        apply(r * cols + bc * scale.blockCols, r * cols + (bc + 1) * scale.blockCols, cache.get(idx)!);
      }
    }
  }
  return out;
}

/** Decodes a float weight (F32/BF16/F16) times a scale that is not 1 (legacy files scale some bf16 layers too). */
function decodeScaledFloat(raw: Uint8Array, dtype: StoredDType, to: DType, scale: Fp8Scale, cols: number, rowStart: number): Buffer {
  const f32buf = convert(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), dtype, 'F32');
  const v = new Float32Array(f32buf.buffer, f32buf.byteOffset, f32buf.length / 4);
  const scaleAt = (i: number) => {
    if (scale.kind === 'none') return 1;
    if (scale.kind === 'tensor') return scale.value;
    const r = rowStart + Math.floor(i / cols);
    if (scale.kind === 'row') return scale.values[r];
    return scale.values[Math.floor(r / scale.blockRows) * scale.gridCols + Math.floor((i % cols) / scale.blockCols)];
  };
  const out = Buffer.alloc(v.length * (to === 'F32' ? 4 : 2));
  if (to === 'F32') {
    const o = new Float32Array(out.buffer, out.byteOffset, v.length);
    for (let i = 0; i < v.length; i++) o[i] = v[i] * scaleAt(i);
  } else {
    const o = new Uint16Array(out.buffer, out.byteOffset, v.length);
    for (let i = 0; i < v.length; i++) o[i] = roundToHalfBits(v[i] * scaleAt(i), to);
  }
  return out;
}

const SCALE_SUFFIXES = ['.weight_scale', '.input_scale', '.comfy_quant', '.scale_weight', '.scale_input', '.weight_scale_2', '.pre_quant_scale'];

/**
 * Folds the scale conventions of one file into its weights: every fp8 (or scaled float) weight gets a decoder that
 * dequantises it, the scale/marker tensors leave the key list (recorded in `source.foldedTensors`), and the scheme
 * is recorded in `source.schemes`. Tensors without fp8 or scales pass through unchanged.
 */
export function foldFp8(file: string, tensors: TensorInfo[], metadata: Record<string, string>, readRaw: (t: TensorInfo) => Buffer, source: SourcePrecision): TensorInfo[] {
  const byKey = new Map(tensors.map((t) => [t.key, t]));
  const hasScales = tensors.some((t) => SCALE_SUFFIXES.some((s) => t.key.endsWith(s)) || t.key === 'scaled_fp8');
  if (!hasScales && !tensors.some((t) => isFp8(t.dtype))) return tensors;
  checkQuantizationMetadata(file, metadata);
  const folded = new Set<string>();
  const schemes = new Map<string, number>();
  const values = (t: TensorInfo): Float64Array => {
    const f32buf = convert(readRaw(t), t.dtype as StoredDType, 'F32', t.key);
    return Float64Array.from(new Float32Array(f32buf.buffer, f32buf.byteOffset, f32buf.length / 4));
  };
  const out: TensorInfo[] = [];
  for (const t of tensors) {
    if (t.key === 'scaled_fp8') { folded.add(t.key); continue; }
    if (SCALE_SUFFIXES.some((s) => t.key.endsWith(s))) {
      const stem = t.key.slice(0, t.key.lastIndexOf('.'));
      if (byKey.has(`${stem}.weight`)) { folded.add(t.key); continue; }
    }
    if (t.decode) { out.push(t); continue; }
    if (!t.key.endsWith('.weight')) {
      // an fp8 tensor that is no Linear weight (a pad token, a norm): its value itself, nothing scales it
      if (isFp8(t.dtype)) {
        const dtype = t.dtype;
        const cols = t.shape.length > 1 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
        out.push({ ...t, decode: (raw, to, rowStart) => decodeFp8(raw, dtype, to, { kind: 'none' }, cols, rowStart), rowBytes: (t.end - t.begin) / Math.max(t.shape[0] ?? 1, 1) });
      } else out.push(t);
      continue;
    }
    const stem = t.key.slice(0, -'.weight'.length);
    const comfyScale = byKey.get(`${stem}.weight_scale`);
    const legacyScale = byKey.get(`${stem}.scale_weight`);
    const marker = byKey.get(`${stem}.comfy_quant`);
    const markerFormat = marker ? comfyQuantFormat(marker.key, readRaw(marker)) : undefined;
    // ComfyUI may keep fp8 bytes in a U8 container; its comfy_quant entry then names the format.
    const fp8Type: Fp8DType | undefined = isFp8(t.dtype) ? t.dtype : t.dtype === 'U8' ? markerFormat : undefined;
    const fp8 = fp8Type !== undefined;
    if (!fp8 && !comfyScale && !legacyScale) { out.push(t); continue; }
    if (fp8 && markerFormat && markerFormat !== fp8Type) {
      throw new EngineError('fp8-format-mismatch', `${marker!.key} says ${markerFormat} but ${t.key} is stored as ${t.dtype}`, { hint: 'the file is inconsistent: download it again or use another release' });
    }
    let convention: Fp8Convention = 'plain';
    let scale: Fp8Scale = { kind: 'none' };
    const scaleTensor = comfyScale ?? legacyScale;
    if (scaleTensor) {
      convention = comfyScale ? 'comfy_quant' : 'scaled_fp8';
      scale = scaleFor(t.key, t.shape, scaleTensor.key, scaleTensor.shape, values(scaleTensor));
    }
    if (!fp8 && (scale.kind === 'none' || (scale.kind === 'tensor' && scale.value === 1))) { out.push(t); continue; }
    const cols = t.shape.length > 1 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const dtype = t.dtype as StoredDType;
    const decode = fp8
      ? (raw: Buffer, to: DType, rowStart: number) => decodeFp8(raw, fp8Type, to, scale, cols, rowStart)
      : (raw: Buffer, to: DType, rowStart: number) => decodeScaledFloat(raw, dtype, to, scale, cols, rowStart);
    const name = `${fp8 ? `fp8 ${fp8Type}` : `${t.dtype} scaled`}, ${convention === 'plain' ? 'no scales' : `${convention === 'comfy_quant' ? 'comfy_quant weight_scale' : 'scaled_fp8 scale_weight'} (per ${scale.kind})`}`;
    schemes.set(name, (schemes.get(name) ?? 0) + 1);
    out.push({ ...t, dtype: fp8 ? fp8Type : t.dtype, decode, rowBytes: (t.end - t.begin) / Math.max(t.shape[0] ?? 1, 1) });
  }
  for (const [name, n] of schemes) source.schemes.push(`${name}: ${n} tensors`);
  source.foldedTensors.push(...folded);
  return out;
}

/** Newer ComfyUI files describe each layer's format in `_quantization_metadata`: refuse formats we cannot decode. */
function checkQuantizationMetadata(file: string, metadata: Record<string, string>): void {
  const raw = metadata._quantization_metadata;
  if (!raw) return;
  let layers: Record<string, { format?: string }> = {};
  try {
    layers = (JSON.parse(raw) as { layers?: Record<string, { format?: string }> }).layers ?? {};
  } catch {
    return; // a damaged description is not a reason to refuse weights whose dtypes say what they are
  }
  const other = Object.entries(layers).filter(([, l]) => l.format && !['float8_e4m3fn', 'float8_e5m2'].includes(l.format));
  if (other.length) {
    const formats = [...new Set(other.map(([, l]) => l.format))].join(', ');
    throw new EngineError('fp8-unsupported-format', `${file} quantises ${other.length} layers as ${formats} (e.g. ${other[0][0]}); this converter reads float8_e4m3fn and float8_e5m2`, {
      hint: 'use the BF16 or FP8 release of this model (int8 and nvfp4 layers are not read)',
    });
  }
}
