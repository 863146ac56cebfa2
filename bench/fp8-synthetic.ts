// Writes a synthetic full-width Z-Image DiT checkpoint in the ComfyUI single-file layout, to measure conversion
// time and memory without real weights: dim 3840, 30 layers, 2 + 2 refiners, FFN 10240, caption 2560 (6.15B
// parameters, 453 tensors as ComfyUI names them). Linear weights are fp8 (ComfyUI mixed precision: F8_E4M3 or
// F8_E5M2 + a per-tensor `weight_scale`, `input_scale` and the U8 `comfy_quant` JSON; or `--source bf16` for the
// same tensors in bf16, the baseline), norms, biases and pad tokens bf16. Values are random bytes (no NaN codes).
// The file is streamed tensor by tensor, so writing it needs no more memory than its largest tensor.
//   node --import tsx bench/fp8-synthetic.ts --out /work/tmp/dit-fp8.safetensors [--format e4m3|e5m2] [--source fp8|bf16] [--layers 30]
// Then: /usr/bin/time -v npx tsx inference/cli/zimage.ts convert FILE --out DIR --precision bf16 --components dit
// It deliberately makes no image-worthy weights: the converted model generates noise.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DTYPE_BYTES, type StoredDType } from '../inference/safetensors.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, format: { type: 'string', default: 'e4m3' }, source: { type: 'string', default: 'fp8' }, layers: { type: 'string', default: '30' } } });
if (!values.out || !['e4m3', 'e5m2'].includes(values.format!) || !['fp8', 'bf16'].includes(values.source!)) {
  console.error('usage: fp8-synthetic --out FILE.safetensors [--format e4m3|e5m2] [--source fp8|bf16]');
  process.exit(2);
}
const fp8 = values.source === 'fp8';
const F8: StoredDType = values.format === 'e4m3' ? 'F8_E4M3' : 'F8_E5M2';

const D = 3840, FFN = 10240, CAP = 2560, A = 256, T_MID = 1024, HEAD = 128, LAYERS = Number(values.layers), REFINERS = 2;
interface Spec { key: string; dtype: StoredDType; shape: number[]; fill: 'random' | 'scale' | 'json' | 'ones' }
const specs: Spec[] = [];
const linear = (key: string, out: number, inF: number, bias: boolean) => {
  specs.push({ key: `${key}.weight`, dtype: fp8 ? F8 : 'BF16', shape: [out, inF], fill: 'random' });
  if (fp8) {
    specs.push({ key: `${key}.weight_scale`, dtype: 'F32', shape: [], fill: 'scale' });
    specs.push({ key: `${key}.input_scale`, dtype: 'F32', shape: [], fill: 'scale' });
    specs.push({ key: `${key}.comfy_quant`, dtype: 'U8', shape: [JSON_BYTES.length], fill: 'json' });
  }
  if (bias) specs.push({ key: `${key}.bias`, dtype: 'BF16', shape: [out], fill: 'random' });
};
const JSON_BYTES = Buffer.from(JSON.stringify({ format: values.format === 'e4m3' ? 'float8_e4m3fn' : 'float8_e5m2' }));
const norm = (key: string, n: number) => specs.push({ key, dtype: 'BF16', shape: [n], fill: 'ones' });
const block = (p: string, modulated: boolean) => {
  linear(`${p}.attention.qkv`, 3 * D, D, false);
  linear(`${p}.attention.out`, D, D, false);
  norm(`${p}.attention.q_norm.weight`, HEAD);
  norm(`${p}.attention.k_norm.weight`, HEAD);
  linear(`${p}.feed_forward.w1`, FFN, D, false);
  linear(`${p}.feed_forward.w2`, D, FFN, false);
  linear(`${p}.feed_forward.w3`, FFN, D, false);
  for (const n of ['attention_norm1', 'attention_norm2', 'ffn_norm1', 'ffn_norm2']) norm(`${p}.${n}.weight`, D);
  if (modulated) linear(`${p}.adaLN_modulation.0`, 4 * D, A, true);
};
const P = 'model.diffusion_model.';
specs.push({ key: 'x_pad_token', dtype: 'BF16', shape: [1, D], fill: 'random' }, { key: 'cap_pad_token', dtype: 'BF16', shape: [1, D], fill: 'random' });
linear('x_embedder', D, 64, true);
linear('t_embedder.mlp.0', T_MID, 256, true);
linear('t_embedder.mlp.2', A, T_MID, true);
norm('cap_embedder.0.weight', CAP);
linear('cap_embedder.1', D, CAP, true);
linear('final_layer.linear', 64, D, true);
linear('final_layer.adaLN_modulation.1', D, A, true);
for (let i = 0; i < LAYERS; i++) block(`layers.${i}`, true);
for (let i = 0; i < REFINERS; i++) { block(`noise_refiner.${i}`, true); block(`context_refiner.${i}`, false); }
for (const s of specs) s.key = P + s.key;

const header: Record<string, unknown> = { __metadata__: { note: 'synthetic Z-Image DiT for conversion measurements (bench/fp8-synthetic.ts)' } };
let offset = 0;
for (const s of specs) {
  const bytes = s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype];
  header[s.key] = { dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + bytes] };
  offset += bytes;
}
let json = JSON.stringify(header);
json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
const len = Buffer.alloc(8);
len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
const fd = fs.openSync(values.out, 'w');
const t0 = Date.now();
fs.writeSync(fd, len);
fs.writeSync(fd, json);
let params = 0;
for (const s of specs) {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const buf = Buffer.allocUnsafe(n * DTYPE_BYTES[s.dtype]);
  if (s.fill === 'json') JSON_BYTES.copy(buf);
  else if (s.fill === 'scale') buf.writeFloatLE(2 ** -10);
  else if (s.fill === 'ones') for (let i = 0; i < n; i++) buf.writeUInt16LE(0x3f80, 2 * i);
  else {
    crypto.randomFillSync(buf);
    if (s.dtype === 'BF16') for (let i = 0; i < n; i++) buf[2 * i + 1] = (buf[2 * i + 1] & 0x80) | 0x3c; // |x| in [2^-7, 2^-6): finite
    else if (s.dtype === 'F8_E4M3') for (let i = 0; i < n; i++) { if ((buf[i] & 0x7f) === 0x7f) buf[i] ^= 1; } // no NaN code
    else for (let i = 0; i < n; i++) { if ((buf[i] & 0x7c) === 0x7c) buf[i] &= 0xfb; } // E5M2: no Inf/NaN codes
  }
  if (!s.key.endsWith('_scale') && !s.key.endsWith('comfy_quant')) params += n;
  fs.writeSync(fd, buf);
}
fs.closeSync(fd);
console.log(`${values.out}: ${specs.length} tensors, ${params.toLocaleString('en')} parameters, ${(fs.statSync(values.out).size / 2 ** 30).toFixed(2)} GiB, written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
