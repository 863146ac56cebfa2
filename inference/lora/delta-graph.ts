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

/** The graph's bytes (no weights: everything is an input). */
export function deltaGraph(): Uint8Array {
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
      node: [node('Transpose', ['a'], 'at', [perm]), node('Transpose', ['b'], 'bt', [perm]), node('MatMul', ['at', 'bt'], 'p'), node('Mul', ['p', 's'], 'delta')],
      input: [input('a', ['r', 'in']), input('b', ['out', 'r']), input('s', [1])],
      output: [input('delta', ['in', 'out'])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

let session: Promise<Session> | undefined;

/** The shared delta session (created on first use, kept for the process). */
function deltaSession(): Promise<Session> {
  session ??= Session.create('lora-delta.onnx', { ep: 'cpu', inMemory: { model: deltaGraph(), externalData: [] } }).catch((e) => {
    session = undefined;
    throw e;
  });
  return session;
}

/** s·(B·A)ᵀ [in, out] through onnxruntime (see DeltaProduct). */
export const ortDeltaProduct: DeltaProduct = async (a, b, r, inF, out, s) => {
  const result = await (await deltaSession()).run({
    a: { type: 'float32', dims: [r, inF], data: a },
    b: { type: 'float32', dims: [out, r], data: b },
    s: { type: 'float32', dims: [1], data: Float32Array.of(s) },
  });
  return result.delta.data;
};
