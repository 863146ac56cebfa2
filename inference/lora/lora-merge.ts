// The merge of a LoRA stack into a converted DiT's weights, in memory: for every layer a stack touches, the base
// weight (read from dit.onnx.data) in fp32, plus each LoRA's delta in stack order — ΔW = scale·B·A with
// scale = weight × alpha / rank (LoRA), scale·(w1a·w1b)⊙(w2a·w2b) (LoHa), scale·kron(w1, w2) (LoKr) — each add
// rounded to fp32, and the sum rounded once to the initializer's dtype (bf16/fp16 round to nearest even). The
// products run as fp32 GEMMs through onnxruntime (a 4-node graph on the CPU, see delta-graph.ts). The result is a
// complete in-memory copy of the DiT for onnxruntime (the graph with every external initializer named by an
// in-memory file): the converted model on disk is never written.
// It deliberately keeps no cache (the pipeline keeps the last stack) and treats weight 0 as "not in the stack", so a
// stack of zeros is the base model's own files, bit for bit.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { EngineError } from '../errors.ts';
import { ElemType } from '../onnx/graph.ts';
import { convert, type DType } from '../safetensors.ts';
import type { LoraFile, LoraFormat } from './lora-file.ts';
import { resolveLora, type DitWeights, type ResolvedModule } from './lora-map.ts';

const { onnx } = onnxProto;

/**
 * s·(B·A)ᵀ as [in, out] fp32 for A [r, in], B [out, r] (onnxruntime's fp32 GEMM; see delta-graph.ts); with `base`
 * ([in, out] fp32), base + s·(B·A)ᵀ, each element one fp32 add.
 */
export type DeltaProduct = (a: Float32Array, b: Float32Array, r: number, inF: number, out: number, s: number, base?: Float32Array) => Promise<Float32Array>;

export interface StackEntry {
  /** The name requests use (path under WEIGHTS_DIR/loras without .safetensors), or the file's name from the CLI. */
  name: string;
  lora: LoraFile;
  weight: number;
}

/** What one LoRA of a stack changed: the evidence panel's line. */
export interface LoraEffect {
  name: string;
  weight: number;
  formats: LoraFormat[];
  modules: number;
  /** Layers changed, grouped with block numbers as `*`: e.g. { "layers.*.attention.to_q": 30 }. */
  layers: Record<string, number>;
  /** Largest |scale| over its modules (weight × alpha / rank). */
  maxScale: number;
}

const DTYPE_OF: Record<number, DType> = { [ElemType.FLOAT]: 'F32', [ElemType.BFLOAT16]: 'BF16', [ElemType.FLOAT16]: 'F16' };

/** weight × alpha / rank; without alpha (or rank) just the weight, as ComfyUI and diffusers do. */
export function moduleScale(weight: number, alpha: number | undefined, rank: number): number {
  return alpha === undefined || !rank ? weight : (weight * alpha) / rank;
}

function f32(lora: LoraFile, key: string): Float32Array {
  return lora.ckpt.readF32(key);
}

/** A module's full delta ΔWᵀ [in, out] fp32, scale applied. */
async function moduleDelta(lora: LoraFile, r: ResolvedModule, scale: number, product: DeltaProduct): Promise<Float32Array> {
  const { module, layer } = r;
  const t = module.tensors;
  if (module.kind === 'lora') return product(f32(lora, t.down), f32(lora, t.up), r.rank, layer.in, layer.out, scale);
  const shape = (k: string) => lora.ckpt.get(k).shape;
  if (module.kind === 'loha') {
    const p1 = await product(f32(lora, t.w1b), f32(lora, t.w1a), shape(t.w1b)[0], layer.in, layer.out, 1);
    const p2 = await product(f32(lora, t.w2b), f32(lora, t.w2a), shape(t.w2b)[0], layer.in, layer.out, 1);
    const s = Math.fround(scale);
    for (let i = 0; i < p1.length; i++) p1[i] = Math.fround(s * Math.fround(p1[i] * p2[i]));
    return p1;
  }
  // LoKr: each factor [rows, cols] (row-major, PyTorch order), from the file or as the product w·a·w·b.
  const factor = async (n: '1' | '2') => {
    if (t[`w${n}`]) { const [rows, cols] = shape(t[`w${n}`]); return { rows, cols, m: f32(lora, t[`w${n}`]) }; }
    const [rows, k] = shape(t[`w${n}a`]), cols = shape(t[`w${n}b`])[1];
    const transposed = await product(f32(lora, t[`w${n}b`]), f32(lora, t[`w${n}a`]), k, cols, rows, 1); // [cols, rows]
    const m = new Float32Array(rows * cols);
    for (let i = 0; i < cols; i++) for (let o = 0; o < rows; o++) m[o * cols + i] = transposed[i * rows + o];
    return { rows, cols, m };
  };
  const w1 = await factor('1'), w2 = await factor('2');
  const s = Math.fround(scale);
  const d = new Float32Array(layer.in * layer.out); // ΔWᵀ[j·d2 + l, i·c2 + k] = w1[i, j]·w2[k, l]
  for (let i = 0; i < w1.rows; i++) for (let j = 0; j < w1.cols; j++) {
    const v = w1.m[i * w1.cols + j];
    for (let k = 0; k < w2.rows; k++) for (let l = 0; l < w2.cols; l++) {
      d[(j * w2.cols + l) * layer.out + i * w2.rows + k] = Math.fround(s * Math.fround(v * w2.m[k * w2.cols + l]));
    }
  }
  return d;
}

/** Reads one initializer's bytes from its external data file. */
export function readInitializer(model: DitWeights, name: string): Buffer {
  const init = model.initializers.get(name);
  if (!init) throw new EngineError('lora-model-layout', `${model.file} has no initializer ${name}`);
  const fd = fs.openSync(path.join(model.dir, init.location), 'r');
  try {
    const buf = Buffer.allocUnsafe(init.length);
    for (let done = 0; done < buf.length;) {
      const n = fs.readSync(fd, buf, done, buf.length - done, init.offset + done);
      if (n === 0) throw new EngineError('lora-model-layout', `${init.location} ends inside ${name}`, { hint: 'the converted model is damaged: convert it again' });
      done += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** An initializer's values in fp32 (bf16 widened by a shift: exact). */
function initializerF32(model: DitWeights, name: string): Float32Array {
  const init = model.initializers.get(name)!;
  const dtype = DTYPE_OF[init.elemType];
  if (!dtype) throw new EngineError('lora-model-layout', `${name} has element type ${init.elemType}; LoRAs apply to fp32, bf16 and fp16 weights`);
  const raw = readInitializer(model, name);
  if (dtype === 'BF16') {
    const u16 = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    const out = new Uint32Array(u16.length);
    for (let i = 0; i < u16.length; i++) out[i] = u16[i] << 16;
    return new Float32Array(out.buffer);
  }
  const b = dtype === 'F32' ? raw : convert(raw, dtype, 'F32');
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

/**
 * fp32 values → the initializer's bytes. bf16: round to nearest even on the bits, NaN kept quiet (the same rule as
 * safetensors.ts f32ToBf16Bits, in one pass over a Uint32 view; lora.test.ts compares them).
 */
function fromF32(w: Float32Array, dtype: DType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
    const out = new Uint16Array(w.length);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
    }
    return new Uint8Array(out.buffer);
  }
  return convert(Buffer.from(w.buffer, w.byteOffset, w.byteLength), 'F32', dtype);
}

const group = (key: string) => key.replace(/\.weight$/, '').replace(/^(layers|noise_refiner|context_refiner)\.\d+\./, '$1.*.');

/** What each LoRA of `stack` changes (every file resolved and shape-checked, weight 0 included), without merging. */
export function stackEffects(model: DitWeights, stack: StackEntry[]): LoraEffect[] {
  return stack.map((entry) => {
    const effect: LoraEffect = { name: entry.name, weight: entry.weight, formats: entry.lora.formats, modules: 0, layers: {}, maxScale: 0 };
    for (const r of resolveLora(entry.lora, model)) {
      if (entry.weight === 0) continue;
      effect.modules++;
      effect.layers[group(r.layer.key)] = (effect.layers[group(r.layer.key)] ?? 0) + 1;
      effect.maxScale = Math.max(effect.maxScale, Math.abs(moduleScale(entry.weight, r.module.alpha, r.rank)));
    }
    return effect;
  });
}

/**
 * Merges `stack` into the model's weights: initializer name → merged bytes in its own dtype, for the initializers the
 * stack changes (entries of weight 0 are skipped). Every file is resolved and shape-checked before any product runs.
 */
export async function mergeStack(model: DitWeights, stack: StackEntry[], product: DeltaProduct): Promise<{ merged: Map<string, Uint8Array>; effects: LoraEffect[] }> {
  const effects = stackEffects(model, stack);
  // Every contribution (one module of one LoRA), in stack order, with the initializers its slots write.
  const contributions = stack.flatMap((entry) => (entry.weight === 0 ? [] : resolveLora(entry.lora, model).map((r) => {
    const scale = moduleScale(entry.weight, r.module.alpha, r.rank);
    if (!Number.isFinite(scale)) throw new EngineError('lora-bad-file', `${entry.name}: module ${r.module.path} has scale ${scale} (alpha ${r.module.alpha}, rank ${r.rank})`);
    return { entry, r, scale, inits: [...new Set(r.layer.slots.map((s) => s.initializer))] };
  })));
  // Initializers that share a contribution (to_q/k/v under a fused-qkv module; every block's adaLN in the batched
  // one) are merged together; each group is rounded to its dtype as soon as it is done, so at most one group's fp32
  // sums exist at a time (the largest: the batched adaLN, ~250 MB on the 6B model), never the whole model in fp32.
  const root = new Map<string, string>();
  const find = (x: string): string => { const p = root.get(x) ?? x; if (p === x) return x; const r = find(p); root.set(x, r); return r; };
  for (const c of contributions) for (const i of c.inits.slice(1)) root.set(find(i), find(c.inits[0]));
  const groups = new Map<string, typeof contributions>();
  for (const c of contributions) groups.set(find(c.inits[0]), [...(groups.get(find(c.inits[0])) ?? []), c]);
  const merged = new Map<string, Uint8Array>();
  for (const group of groups.values()) {
    const sums = new Map<string, Float32Array>();
    const sum = (name: string) => {
      let w = sums.get(name);
      if (!w) {
        w = initializerF32(model, name);
        sums.set(name, w);
      }
      return w;
    };
    for (const { entry, r, scale } of group) {
      const { out } = r.layer;
      const [only] = r.layer.slots;
      if (r.module.kind === 'lora' && r.layer.slots.length === 1 && only.column === 0 && only.rows[0] === 0 && only.rows[1] === model.initializers.get(only.initializer)!.dims[1]) {
        // The whole initializer is this layer (every Linear but the fused qkv and the batched adaLN): the add runs in
        // onnxruntime with the product, W + s·(B·A)ᵀ, the same fp32 add per element as the loop below.
        const t = r.module.tensors;
        sums.set(only.initializer, await product(f32(entry.lora, t.down), f32(entry.lora, t.up), r.rank, r.layer.in, out, scale, sum(only.initializer)));
        continue;
      }
      const delta = await moduleDelta(entry.lora, r, scale, product); // [in, out]
      for (const slot of r.layer.slots) {
        const w = sum(slot.initializer);
        const cols = model.initializers.get(slot.initializer)!.dims[1], [r0, r1] = slot.rows;
        for (let i = 0; i < r.layer.in; i++) {
          const src = i * out, dst = i * cols + slot.column - r0;
          for (let o = r0; o < r1; o++) w[dst + o] = w[dst + o] + delta[src + o]; // Float32Array stores round to fp32
        }
      }
    }
    for (const [name, w] of sums) merged.set(name, fromF32(w, DTYPE_OF[model.initializers.get(name)!.elemType]));
  }
  return { merged, effects };
}

/** A model onnxruntime creates from memory: the graph's bytes and, by name, every external file it refers to. */
export interface InMemoryModel {
  model: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
}

/**
 * The DiT with `merged` in place of its initializers: the graph from dit.onnx with every external initializer moved
 * to its own in-memory file (onnxruntime requires all external data in memory once any is), the others read from
 * dit.onnx.data unchanged.
 */
export function inMemoryModel(model: DitWeights, merged: Map<string, Uint8Array>): InMemoryModel {
  const proto = onnx.ModelProto.decode(fs.readFileSync(path.join(model.dir, model.file)));
  const externalData: InMemoryModel['externalData'] = [];
  for (const t of proto.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const data = merged.get(t.name!) ?? readInitializer(model, t.name!);
    const file = `mem-${externalData.length}.bin`;
    externalData.push({ path: file, data });
    t.externalData = [{ key: 'location', value: file }, { key: 'offset', value: '0' }, { key: 'length', value: String(data.byteLength) }];
  }
  for (const name of merged.keys()) if (!model.initializers.has(name)) throw new EngineError('lora-model-layout', `merged weight ${name} is not an initializer of ${model.file}`);
  return { model: onnx.ModelProto.encode(proto).finish(), externalData };
}
