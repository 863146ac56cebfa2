// A small ONNX graph builder and writer on top of onnx-proto (the ONNX protobuf schema compiled with protobufjs).
// Weights are registered with a loader and streamed into one external-data file when the model is written, so a
// 12 GB model never sits in memory at once; small constants (shapes, scalars) are stored inline.
// It deliberately has no notion of layers or models: inference/models/ builds graphs with it.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { EngineError } from '../errors.ts';
import { f32ToBf16Bits, f32ToF16Bits, type DType } from '../safetensors.ts';

const { onnx } = onnxProto;

export const OPSET = 23;
export const MS_DOMAIN = 'com.microsoft';

/** ONNX TensorProto.DataType numbers for the element types we use. */
export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, BFLOAT16: 16 } as const;
export type ElemTypeName = keyof typeof ElemType;

export const DTYPE_TO_ELEM: Record<DType, number> = { F32: ElemType.FLOAT, BF16: ElemType.BFLOAT16, F16: ElemType.FLOAT16 };

type AttrValue = number | string | number[] | { float: number } | { floats: number[] };
export type Attrs = Record<string, AttrValue>;

export interface Weight {
  /** Initializer name = the checkpoint key (style rule 2). */
  name: string;
  elemType: number;
  dims: number[];
  /** Produces the bytes (little-endian, elemType) when the model is written. */
  load: () => Uint8Array;
}

interface ValueInfo {
  name: string;
  elemType: number;
  /** Numbers are fixed sizes; strings are symbolic (dynamic) dimensions. */
  dims: (number | string)[];
}

export class Graph {
  private nodes: P.INodeProto[] = [];
  private inputs: ValueInfo[] = [];
  private outputs: ValueInfo[] = [];
  private inline: P.ITensorProto[] = [];
  readonly weights: Weight[] = [];
  private names = new Set<string>();
  private counter = 0;
  private constCache = new Map<string, string>();
  /** Op types used, with their domain: the runtime and the audit read this back from the model. */
  readonly opTypes = new Set<string>();

  /** `opset`: the default ONNX opset version of the graph (23: RMSNormalization, Attention). */
  constructor(readonly name: string, readonly opset = OPSET) {}

  private unique(base: string): string {
    let n = base;
    while (this.names.has(n)) n = `${base}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  input(name: string, elemType: number, dims: (number | string)[]): string {
    this.inputs.push({ name: this.unique(name), elemType, dims });
    return name;
  }

  /** Marks `value` as a graph output named `name` (adds an Identity when the names differ). */
  output(value: string, name: string, elemType: number, dims: (number | string)[]): void {
    const out = value === name ? value : this.node('Identity', [value], {}, { name })[0];
    this.outputs.push({ name: out, elemType, dims });
  }

  weight(w: Weight): string {
    if (this.names.has(w.name)) throw new EngineError('graph-duplicate', `initializer ${w.name} registered twice`);
    this.names.add(w.name);
    this.weights.push(w);
    return w.name;
  }

  /** An inline constant (small: shapes, scalars, tiny tables). Identical constants are shared. */
  constant(elemType: number, dims: number[], values: ArrayLike<number> | ArrayLike<bigint>, hint = 'const'): string {
    const key = `${elemType}|${dims.join(',')}|${Array.from(values as ArrayLike<number>).join(',')}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = this.unique(hint);
    this.inline.push(makeTensor(name, elemType, dims, encodeValues(elemType, values)));
    this.constCache.set(key, name);
    return name;
  }

  int64(values: number[], hint = 'shape'): string {
    return this.constant(ElemType.INT64, [values.length], values.map(BigInt), hint);
  }

  /** A scalar of the given element type (a [1]-shaped tensor, which broadcasts like a scalar). */
  scalar(value: number, elemType: number): string {
    return this.constant(elemType, [1], [value], `c${String(value).replace(/[^0-9a-z]/gi, '_')}`);
  }

  /** Adds a node; returns its output names. `outputs` names them (count) or fixes one name. */
  node(op: string, inputs: string[], attrs: Attrs = {}, opts: { domain?: string; outputs?: number; name?: string; omit?: number[] } = {}): string[] {
    const count = opts.outputs ?? 1;
    const base = opts.name ?? op.toLowerCase();
    // `omit`: optional outputs left unnamed ('' in ONNX), so the kernel need not produce them.
    const outs = Array.from({ length: count }, (_, i) => (opts.omit?.includes(i) ? '' : this.unique(count > 1 ? `${base}_${i}` : base)));
    this.opTypes.add(opts.domain ? `${opts.domain}:${op}` : op);
    this.nodes.push({
      opType: op,
      domain: opts.domain ?? '',
      input: inputs,
      output: outs,
      name: this.unique(`n_${base}`),
      attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
    });
    return outs;
  }

  /** One-output node shorthand. */
  op(op: string, inputs: string[], attrs: Attrs = {}, name?: string, domain?: string): string {
    return this.node(op, inputs, attrs, { name, domain })[0];
  }

  /**
   * Writes `<file>` and its weights to `<file>.data` (64-byte aligned), both through temporary names renamed at
   * the end, so an interrupted write never leaves a model that looks complete. Calls `progress` per weight.
   */
  write(file: string, progress?: (done: number, total: number, name: string) => void): { bytes: number } {
    const dataName = `${path.basename(file)}.data`;
    const tmpData = `${file}.data.tmp-${process.pid}`;
    const tmpModel = `${file}.tmp-${process.pid}`;
    const initializers: P.ITensorProto[] = [...this.inline];
    const fd = fs.openSync(tmpData, 'w');
    let offset = 0;
    try {
      this.weights.forEach((w, i) => {
        const bytes = w.load();
        const expected = w.dims.reduce((a, b) => a * b, 1) * elemBytes(w.elemType);
        if (bytes.byteLength !== expected) {
          throw new EngineError('graph-weight-size', `weight ${w.name}: expected ${expected} bytes for ${JSON.stringify(w.dims)}, got ${bytes.byteLength}`);
        }
        const pad = (64 - (offset % 64)) % 64;
        if (pad) fs.writeSync(fd, Buffer.alloc(pad));
        offset += pad;
        fs.writeSync(fd, bytes);
        initializers.push({
          name: w.name,
          dataType: w.elemType,
          dims: w.dims,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: dataName },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(bytes.byteLength) },
          ],
        });
        offset += bytes.byteLength;
        progress?.(i + 1, this.weights.length, w.name);
      });
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmpData, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    const model = onnx.ModelProto.create({
      irVersion: 10,
      producerName: 'zimage-bf16-studio',
      opsetImport: [{ domain: '', version: this.opset }, { domain: MS_DOMAIN, version: 1 },
        // custom-op domains used (e.g. native/kernels' "zimage"), version 1
        ...[...new Set(this.nodes.map((n) => n.domain ?? ''))].filter((d) => d && d !== MS_DOMAIN).map((domain) => ({ domain, version: 1 }))],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    fs.writeFileSync(tmpModel, onnx.ModelProto.encode(model).finish());
    fs.renameSync(tmpData, `${file}.data`);
    fs.renameSync(tmpModel, file);
    return { bytes: offset };
  }

  /** Node count per op type (for tests and the manifest). */
  census(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const n of this.nodes) c[n.opType!] = (c[n.opType!] ?? 0) + 1;
    return c;
  }
}

export function elemBytes(elemType: number): number {
  switch (elemType) {
    case ElemType.FLOAT: case ElemType.INT32: return 4;
    case ElemType.INT64: return 8;
    case ElemType.FLOAT16: case ElemType.BFLOAT16: return 2;
    default: throw new EngineError('graph-elem-type', `unsupported element type ${elemType}`);
  }
}

function valueInfo(v: ValueInfo): P.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType,
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function makeTensor(name: string, elemType: number, dims: number[], raw: Uint8Array): P.ITensorProto {
  return { name, dataType: elemType, dims, rawData: raw };
}

function encodeValues(elemType: number, values: ArrayLike<number> | ArrayLike<bigint>): Uint8Array {
  const n = values.length;
  const buf = Buffer.alloc(n * elemBytes(elemType));
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (elemType) {
      case ElemType.FLOAT: buf.writeFloatLE(Number(v), i * 4); break;
      case ElemType.INT32: buf.writeInt32LE(Number(v), i * 4); break;
      case ElemType.INT64: buf.writeBigInt64LE(BigInt(v), i * 8); break;
      case ElemType.BFLOAT16: buf.writeUInt16LE(f32ToBf16Bits(Number(v)), i * 2); break;
      case ElemType.FLOAT16: buf.writeUInt16LE(f32ToF16Bits(Number(v)), i * 2); break;
    }
  }
  return buf;
}

function makeAttr(name: string, v: AttrValue): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new EngineError('graph-attr', `attribute ${name}=${v}: use {float: x} for floats`);
    return { name, type: T.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}
