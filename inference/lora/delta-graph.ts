// The LoRA delta as an fp32 GEMM on onnxruntime's CPU provider: a 4-node graph, delta = Transpose(a)·Transpose(b)·s
// for a [r, in], b [out, r], s [1] → [in, out], which is (s·B·A)ᵀ in the layout the DiT stores its Linear weights.
// One session serves every module of every stack (dynamic dims). A JavaScript triple loop is ~50-100× slower than
// MLAS here (rank 32 over a 3840×10240 layer is 1.26 GFLOP; ~190 GFLOP for a full ai-toolkit LoRA on the 6B DiT).
// It deliberately runs on the CPU even where the DiT runs on CUDA: the merged weights are handed to onnxruntime
// from host memory anyway, and the CPU session needs no device memory beside the DiT's.
import onnxProto from 'onnx-proto';
import { ElemType, OPSET } from '../onnx/graph.ts';
import { Session } from '../runtime/onnx-runtime.ts';
import type { DeltaProduct } from './lora-merge.ts';

const { onnx } = onnxProto;

/**
 * The graph's bytes (no weights: everything is an input). `withBase`: one more input w [in, out] and the output is
 * w + delta (an fp32 add per element, as the merge defines it), so the add runs in onnxruntime too.
 */
export function deltaGraph(withBase = false): Uint8Array {
  const input = (name: string, dims: (number | string)[]) => ({
    name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const node = (opType: string, inputs: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => ({ opType, input: inputs, output: [output], name: output, attribute });
  const perm = { name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] };
  const model = onnx.ModelProto.create({
    irVersion: 10,
    producerName: 'zimage-bf16-studio lora delta',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'lora-delta',
      node: [node('Transpose', ['a'], 'at', [perm]), node('Transpose', ['b'], 'bt', [perm]), node('MatMul', ['at', 'bt'], 'p'),
        ...(withBase ? [node('Mul', ['p', 's'], 'sp'), node('Add', ['w', 'sp'], 'delta')] : [node('Mul', ['p', 's'], 'delta')])],
      input: [input('a', ['r', 'in']), input('b', ['out', 'r']), input('s', [1]), ...(withBase ? [input('w', ['in', 'out'])] : [])],
      output: [input('delta', ['in', 'out'])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

const sessions: Promise<Session>[] = [];

/** The shared delta sessions, without and with the base input (created on first use, kept for the process). */
function deltaSession(withBase: boolean): Promise<Session> {
  // Every module has its own shapes: no memory pattern to plan; and no spinning threads between the many short runs
  // (they burn the cores the rest of the merge, and other processes, need).
  const ort = { memPattern: false, config: { 'session.intra_op.allow_spinning': '0' } };
  const k = Number(withBase);
  sessions[k] ??= Session.create('lora-delta.onnx', { ep: 'cpu', ort, inMemory: { model: deltaGraph(withBase), externalData: [] } }).catch((e) => {
    delete sessions[k];
    throw e;
  });
  return sessions[k];
}

/** s·(B·A)ᵀ [in, out], or base + s·(B·A)ᵀ, through onnxruntime (see DeltaProduct). */
export const ortDeltaProduct: DeltaProduct = async (a, b, r, inF, out, s, base) => {
  const result = await (await deltaSession(Boolean(base))).run({
    a: { type: 'float32', dims: [r, inF], data: a },
    b: { type: 'float32', dims: [out, r], data: b },
    s: { type: 'float32', dims: [1], data: Float32Array.of(s) },
    ...(base && { w: { type: 'float32', dims: [inF, out], data: base } }),
  });
  return result.delta.data;
};
