// Plain host tensors: what crosses between the pipeline, the model families' per-size tables and the runtime.
// Deliberately free of onnxruntime types, so model code and tests need no native library.

export interface HostTensor {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export function int64Tensor(values: number[]): HostTensor {
  return { type: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
}

export function f32Tensor(dims: number[], data: Float32Array): HostTensor {
  return { type: 'float32', dims, data };
}
