// Shared building blocks for the three model families: the build context (which checkpoint tensor feeds which
// initializer, checked against the expected shape), precision plans, and the layers every family uses (linear,
// RMSNorm, SiLU, SwiGLU, attention, RoPE in fp32). Families call these; blocks never know which family calls.
import { EngineError } from '../errors.ts';
import { DTYPE_TO_ELEM, ElemType, Graph, MS_DOMAIN } from '../onnx/graph.ts';
import { DTYPE_BYTES, type Checkpoint, type DType } from '../safetensors.ts';
import type { Precision } from '../pipeline/types.ts';

/** Where an expected (diffusers-named) tensor comes from in the source checkpoint. */
export interface KeySource {
  /** Key in the source file. */
  key: string;
  /** For fused tensors (ComfyUI `attention.qkv`): take rows [begin, end) of dim 0. */
  rows?: [number, number];
}

/** A family's key table: expected key → source, plus the source keys deliberately ignored. */
export interface KeyTable {
  sources: Map<string, KeySource>;
  ignored: string[];
}

/** How a component is built: the dtype of its weights and compute, and the fp16 guards. */
export interface PrecisionPlan {
  precision: Precision;
  /** Weight and activation dtype of the heavy work. */
  compute: DType;
  /** fp16-safe: residual stream and norms in fp32, ComfyUI's clamps on sub-layer outputs. */
  guards: boolean;
}

export function precisionPlan(precision: Precision): PrecisionPlan {
  switch (precision) {
    case 'bf16': return { precision, compute: 'BF16', guards: false };
    case 'fp16': return { precision, compute: 'F16', guards: false };
    case 'fp16-safe': return { precision, compute: 'F16', guards: true };
    case 'fp32': return { precision, compute: 'F32', guards: false };
  }
}

/** The largest finite fp16 value: what ComfyUI's clamp_fp16 clips to. */
const FP16_MAX = 65504;

/**
 * Graph formulations that trade the reference's exact op order for fewer passes over memory. The product builds one
 * set, SHIPPED_GRAPH (the manifest records it); the spelled-out alternatives survive as reference builders for tests
 * and benchmarks (inference/models/reference/, bench/graph-options.ts parses their switches).
 */
export interface GraphOptions {
  /** DiT: RoPE through the RotaryEmbedding op in the compute dtype (one kernel) instead of a spelled-out fp32 island. */
  ropeOp: boolean;
  /** DiT: adaLN scale and tanh(gate) folded into the RMSNorm weights, residual adds fused into the next norm. */
  fusedNorms: boolean;
  /** VAE GroupNorm: statistics in fp32 then `folded` (centred, cast, per-channel affine), `spelled` (the first form). */
  vaeNorm: 'folded' | 'spelled';
  /**
   * DiT with fused norms, bf16/fp32: the norms with no residual add run as SkipSimplifiedLayerNormalization(x, x)
   * with ε·4, exactly RMSNorm(x) (x + x is exact, and RMSNorm(2x; 4ε) = RMSNorm(x; ε)). onnxruntime's contrib kernel
   * measured 2.2× faster than its RMSNormalization at [4160, 3840] bf16 (bench/ops.ts on the H200).
   */
  skipNorm: boolean;
  /**
   * DiT with fused norms, bf16/fp32: the adaLN modulation of every modulated block computed at once (one GEMM for
   * all blocks' scales and gates, one pass each for 1+scale, tanh(gate) and the folds into the norm weights) instead
   * of ~10 tiny kernels per block; the same values.
   */
  modBatch: boolean;
}

/** The formulation the product builds (z-image-dit.ts, flux-vae.ts). */
export const SHIPPED_GRAPH: GraphOptions = { ropeOp: true, fusedNorms: true, vaeNorm: 'folded', skipNorm: true, modBatch: true };
/** The former name of SHIPPED_GRAPH. */
export const DEFAULT_GRAPH_OPTIONS = SHIPPED_GRAPH;

const MIXED_FILES_HINT = 'the checkpoint does not match the architecture detected from its other tensors (mixed files?)';

export class BuildContext {
  readonly used = new Set<string>();
  readonly compute: DType;
  readonly elem: number;

  constructor(readonly g: Graph, readonly ckpt: Checkpoint, readonly table: KeyTable, readonly plan: PrecisionPlan) {
    this.compute = plan.compute;
    this.elem = DTYPE_TO_ELEM[plan.compute];
  }

  /** Shape of an expected key as found in the checkpoint (after the row split, if any). */
  shapeOf(key: string): number[] {
    const src = this.source(key);
    const shape = [...this.ckpt.get(src.key).shape];
    if (src.rows) shape[0] = src.rows[1] - src.rows[0];
    return shape;
  }

  has(key: string): boolean {
    return this.table.sources.has(key);
  }

  private source(key: string): KeySource {
    const src = this.table.sources.get(key);
    if (!src) {
      throw new EngineError('convert-missing-key', `the checkpoint has no tensor for ${key}`, {
        hint: 'is this the right component file? (DiT, text encoder and VAE files are separate)',
      });
    }
    return src;
  }

  /**
   * Registers checkpoint tensor `key` as an initializer of that name, checked to have `shape` (PyTorch order).
   * `transpose` stores a 2-D [out,in] weight as [in,out] for MatMul. `dtype` overrides the compute dtype.
   */
  weight(key: string, shape: number[], opts: { transpose?: boolean; dtype?: DType; reshape?: number[] } = {}): string {
    const found = this.shapeOf(key);
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
      throw new EngineError('convert-shape-mismatch', `tensor ${key}: expected shape [${shape}], found [${found}]`, { hint: MIXED_FILES_HINT });
    }
    this.used.add(this.source(key).key);
    const dtype = opts.dtype ?? this.compute;
    const dims = opts.reshape ?? (opts.transpose ? [shape[1], shape[0]] : shape);
    return this.g.weight({
      name: key,
      elemType: DTYPE_TO_ELEM[dtype],
      dims,
      load: () => {
        const data = this.read(key, dtype);
        return opts.transpose ? transpose2d(data, shape[0], shape[1], DTYPE_BYTES[dtype]) : data;
      },
    });
  }

  /**
   * One initializer `name` made of row ranges of several checkpoint tensors, concatenated along dim 0 (PyTorch
   * order): 1-D tensors (rows are elements) or 2-D ones `width` wide. `transpose` stores the 2-D result as [in, out]
   * for MatMul. E.g. every block's adaLN weights as one GEMM.
   */
  weightRows(name: string, parts: { key: string; rows: [number, number] }[], width: number | undefined, opts: { transpose?: boolean; dtype?: DType } = {}): string {
    for (const { key, rows } of parts) {
      const found = this.shapeOf(key);
      const ok = width === undefined ? found.length === 1 : found.length === 2 && found[1] === width;
      if (!ok || rows[0] < 0 || rows[1] > found[0] || rows[0] >= rows[1]) {
        throw new EngineError('convert-shape-mismatch', `tensor ${key}: expected rows ${rows[0]}..${rows[1]} of a [${width === undefined ? 'n' : `n, ${width}`}] tensor, found [${found}]`, { hint: MIXED_FILES_HINT });
      }
      this.used.add(this.source(key).key);
    }
    const dtype = opts.dtype ?? this.compute;
    const rowsTotal = parts.reduce((n, p) => n + p.rows[1] - p.rows[0], 0);
    const shape = width === undefined ? [rowsTotal] : [rowsTotal, width];
    return this.g.weight({
      name,
      elemType: DTYPE_TO_ELEM[dtype],
      dims: opts.transpose ? [shape[1], shape[0]] : shape,
      load: () => {
        const rowBytes = (width ?? 1) * DTYPE_BYTES[dtype];
        const out = new Uint8Array(rowsTotal * rowBytes);
        const tensors = new Map<string, Uint8Array>(); // one read per tensor, however many of its row ranges are taken
        let at = 0;
        for (const { key, rows } of parts) {
          if (!tensors.has(key)) tensors.set(key, this.read(key, dtype));
          const part = tensors.get(key)!.subarray(rows[0] * rowBytes, rows[1] * rowBytes);
          out.set(part, at);
          at += part.length;
        }
        return opts.transpose ? transpose2d(out, shape[0], shape[1], DTYPE_BYTES[dtype]) : out;
      },
    });
  }

  /** The bytes of expected tensor `key` in `dtype` (its own rows of a fused source tensor, if split). */
  private read(key: string, dtype: DType): Uint8Array {
    const src = this.source(key);
    return this.ckpt.read(src.key, dtype, src.rows);
  }

  /** Source keys never used: reported by the converter (a stray key is fine, a missing one is not). */
  unused(): string[] {
    const ignored = new Set(this.table.ignored);
    return this.ckpt.keys().filter((k) => !this.used.has(k) && !ignored.has(k));
  }

  scalar(v: number, dtype: DType = this.compute): string {
    return this.g.scalar(v, DTYPE_TO_ELEM[dtype]);
  }

  cast(x: string, dtype: DType): string {
    return this.g.op('Cast', [x], { to: DTYPE_TO_ELEM[dtype] });
  }
}

/** Transposes a row-major [rows, cols] matrix of `size`-byte elements, in cache-friendly tiles. */
export function transpose2d(src: Uint8Array, rows: number, cols: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(src.length);
  const a = size === 2 ? new Uint16Array(src.buffer, src.byteOffset, rows * cols) : new Uint32Array(src.buffer, src.byteOffset, rows * cols);
  const b = size === 2 ? new Uint16Array(out.buffer, out.byteOffset, rows * cols) : new Uint32Array(out.buffer, out.byteOffset, rows * cols);
  const T = 64;
  for (let r0 = 0; r0 < rows; r0 += T) {
    for (let c0 = 0; c0 < cols; c0 += T) {
      const r1 = Math.min(r0 + T, rows), c1 = Math.min(c0 + T, cols);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) b[c * rows + r] = a[r * cols + c];
    }
  }
  return out;
}

// ---- layers ----------------------------------------------------------------------------------------------------

/** y = x·Wᵀ (+ b). W is [out,in] in the checkpoint, stored transposed. */
export function linear(ctx: BuildContext, x: string, prefix: string, inF: number, outF: number, bias: boolean): string {
  const w = ctx.weight(`${prefix}.weight`, [outF, inF], { transpose: true });
  const y = ctx.g.op('MatMul', [x, w], {}, `${prefix}.mm`);
  return bias ? ctx.g.op('Add', [y, ctx.weight(`${prefix}.bias`, [outF])], {}, `${prefix}.out`) : y;
}

/**
 * RMSNorm over the last axis, statistics in fp32 (opset-23 RMSNormalization, stash_type 1). `exact` rounds like
 * diffusers' and transformers' RMSNorm in half precision: the normalized value is cast to the input dtype first,
 * then multiplied by the weight (two roundings); the fused form rounds once (faster, equally accurate).
 */
export function rmsNorm(ctx: BuildContext, x: string, key: string, width: number, eps: number, dtype: DType = ctx.compute, exact = false): string {
  const w = ctx.weight(key, [width], { dtype });
  const name = key.replace(/\.weight$/, '');
  if (!exact || dtype === 'F32') return rmsNormScaled(ctx, x, w, eps, name);
  const ones = ctx.g.constant(DTYPE_TO_ELEM[dtype], [width], new Array(width).fill(1), `ones${width}`);
  return ctx.g.op('Mul', [rmsNormScaled(ctx, x, ones, eps, name), w]);
}

/** RMSNorm over the last axis with a computed scale (e.g. a weight with the adaLN modulation folded in). */
export function rmsNormScaled(ctx: BuildContext, x: string, scale: string, eps: number, name: string): string {
  return ctx.g.op('RMSNormalization', [x, scale], { axis: -1, epsilon: { float: eps }, stash_type: 1 }, name);
}

/**
 * RMSNorm(x)·scale through onnxruntime's faster contrib kernel (GraphOptions.skipNorm), except in fp16, where x + x
 * could overflow inside a kernel that adds in fp16: RMSNormalization there.
 */
export function rmsNormFast(ctx: BuildContext, x: string, scale: string, eps: number, name: string): string {
  if (ctx.compute === 'F16') return rmsNormScaled(ctx, x, scale, eps, name);
  return skipNormNode(ctx, x, x, scale, 4 * eps, name, false)[0];
}

/**
 * One kernel for `sum = x + y; out = RMSNorm(sum)·scale` (contrib SkipSimplifiedLayerNormalization, statistics in
 * fp32). Returns [out, sum]; the sum is the residual stream the next sub-layer adds to.
 */
export function skipRmsNorm(ctx: BuildContext, y: string, x: string, scale: string, eps: number, name: string): [string, string] {
  const [out, , , sum] = skipNormNode(ctx, y, x, scale, eps, name, true);
  return [out, sum];
}

/** The contrib node: outputs [out, mean, inv_std, sum], the statistics never produced, the sum only when wanted. */
function skipNormNode(ctx: BuildContext, y: string, x: string, scale: string, eps: number, name: string, sum: boolean): string[] {
  return ctx.g.node('SkipSimplifiedLayerNormalization', [y, x, scale], { epsilon: { float: eps } },
    { domain: MS_DOMAIN, outputs: 4, omit: sum ? [1, 2] : [1, 2, 3], name });
}

/**
 * Rotary embedding of x [1,S,H·D] by the RotaryEmbedding op (opset 23) in x's dtype: `cos`/`sin` are [S', D/2]
 * tables in that dtype indexed by `pos` [1,S]. On CUDA it is one kernel (the fp32 island is ~10).
 */
export function ropeOp(ctx: BuildContext, x3: string, heads: number, cos: string, sin: string, pos: string, interleaved: boolean): string {
  return ctx.g.op('RotaryEmbedding', [x3, cos, sin, pos], { interleaved: interleaved ? 1 : 0, num_heads: heads }, 'rope');
}

/** x·sigmoid(x) as one fused op (QuickGelu with alpha 1): one rounding in half precision, like torch's silu. */
export function silu(ctx: BuildContext, x: string): string {
  return ctx.g.op('QuickGelu', [x], { alpha: { float: 1.0 } }, 'silu', MS_DOMAIN);
}

/** ComfyUI's clamp_fp16 (only in fp16-safe plans): ±Inf → ±65504. */
export function clampFp16(ctx: BuildContext, x: string): string {
  if (!ctx.plan.guards) return x;
  const lo = ctx.g.constant(ctx.elem, [], [-FP16_MAX], 'fp16_min');
  const hi = ctx.g.constant(ctx.elem, [], [FP16_MAX], 'fp16_max');
  return ctx.g.op('Clip', [x, lo, hi]);
}

/** SwiGLU: w2(silu(w1 x) · w3 x), no biases. */
export function swiglu(ctx: BuildContext, x: string, prefix: string, names: [string, string, string], dim: number, hidden: number): string {
  const [w1, w2, w3] = names;
  const a = linear(ctx, x, `${prefix}.${w1}`, dim, hidden, false);
  const b = linear(ctx, x, `${prefix}.${w3}`, dim, hidden, false);
  const h = clampFp16(ctx, ctx.g.op('Mul', [silu(ctx, a), b]));
  return linear(ctx, h, `${prefix}.${w2}`, hidden, dim, false);
}

/**
 * Applies rotary embeddings to x [1,S,H,D] (compute dtype), given cos/sin tables shaped to broadcast (fp32).
 * `interleaved`: pairs (x[2j], x[2j+1]) (Z-Image DiT); otherwise rotate-half pairs (x[j], x[j+D/2]) (Qwen3).
 * `inFp32`: rotate in fp32 and cast back (diffusers' Z-Image); otherwise in the compute dtype with the tables
 * cast to it (transformers' Qwen3). Returns [1,S,H,D] in the compute dtype.
 */
export function rope(ctx: BuildContext, x4: string, heads: number, headDim: number, cos: string, sin: string, interleaved: boolean, inFp32: boolean): string {
  const g = ctx.g;
  const dt = inFp32 ? 'F32' : ctx.compute;
  const xf = dt === ctx.compute ? x4 : ctx.cast(x4, dt);
  const [c, s] = dt === 'F32' ? [cos, sin] : [ctx.cast(cos, dt), ctx.cast(sin, dt)];
  // interleaved: [1,S,H,D/2,2] → a = [...,0], b = [...,1];  rotate-half: [1,S,H,2,D/2] → a = first half, b = second.
  const split = interleaved ? g.int64([0, 0, heads, headDim / 2, 2]) : g.int64([0, 0, heads, 2, headDim / 2]);
  const xs = g.op('Reshape', [xf, split]);
  const axis = interleaved ? 4 : 3;
  const [a, b] = g.node('Split', [xs, g.int64([1, 1])], { axis }, { outputs: 2 });
  const ra = g.op('Sub', [g.op('Mul', [a, c]), g.op('Mul', [b, s])]);
  const rb = g.op('Add', [g.op('Mul', [a, s]), g.op('Mul', [b, c])]);
  const joined = g.op('Reshape', [g.op('Concat', [ra, rb], { axis }), g.int64([0, 0, heads, headDim])]);
  return dt === ctx.compute ? joined : ctx.cast(joined, ctx.compute);
}

/** Multi-head attention over [1,S,H·D] q, k, v (contrib MultiHeadAttention: fused on CUDA, present on CPU). */
export function mha(ctx: BuildContext, q: string, k: string, v: string, heads: number): string {
  return ctx.g.op('MultiHeadAttention', [q, k, v], { num_heads: heads }, 'attn', MS_DOMAIN);
}

/** A graph input of element type float32. */
export function f32Input(g: Graph, name: string, dims: (number | string)[]): string {
  return g.input(name, ElemType.FLOAT, dims);
}

export function int64Input(g: Graph, name: string, length: number): string {
  return g.input(name, ElemType.INT64, [length]);
}
