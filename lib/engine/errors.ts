// Maps engine failures to what the API answers: the EngineError's own code, message and hint, with an HTTP status.
// Every engine code has its status here (a Record over the engine's closed list: a new engine code without one fails
// to type-check). The code stays the engine's kebab-case here; lib/http.ts errorBody writes it in the API's
// snake_case (apiErrorCode). Deliberately the only place the studio looks at EngineError; everything else sees
// ApiErrorBody.
import type { EngineError, EngineErrorCode } from '../../inference/errors.ts';
import type { ApiErrorBody } from '../errors.ts';

/** 400: caused by the request or the model it names; 503: a GPU runtime missing here; 500: the engine failed. */
export const ENGINE_ERROR_STATUS: Record<EngineErrorCode, number> = {
  'invalid-request': 400,
  'precision-mismatch': 500,
  'precision-needs-gpu': 500,
  'precision-unavailable': 500,
  'cuda-unavailable': 500,
  'bf16-needs-cuda': 400,
  'model-not-converted': 400,
  // LoRA files the request named: missing, for another model, of the wrong shapes, or not applicable
  'lora-missing': 400,
  'lora-bad-name': 400,
  'lora-wrong-model': 400,
  'lora-shape-mismatch': 400,
  'lora-unsupported': 400,
  'lora-not-lora': 400,
  'lora-incomplete': 400,
  'lora-bad-file': 400,
  'lora-changed': 409,
  'lora-model-layout': 500,
  'model-bad-manifest': 500,
  'model-precision-missing': 400,
  'model-missing-component': 500,
  'model-file-missing': 500,
  'model-mismatch': 500,
  'model-no-vae-encoder': 400,
  'audit-missing-component': 500,
  'cuda-provider-missing': 503,
  'cuda-session-failed': 503,
  'session-failed': 500,
  'run-missing-input': 500,
  'run-failed': 500,
  'out-of-memory': 500,
  'bad-ort-config': 500,
  'native-addon-missing': 503,
  'native-addon-failed': 503,
  'native-session-failed': 503,
  'native-unbound': 500,
  'kernels-missing': 503,
  'te-empty': 400,
  'te-bad-token': 500,
  'dit-bad-input': 500,
  'dit-bad-size': 400,
  'dit-bad-caption': 400,
  'vae-bad-input': 500,
  'invalid-seed': 500,
  'invalid-shape': 500,
  'invalid-steps': 500,
  'invalid-argument': 500,
  'tokenizer-not-found': 500,
  'tokenizer-invalid': 500,
  'tokenizer-not-qwen': 500,
  'convert-bad-precision': 500,
  'convert-bad-variant': 500,
  'convert-bad-config': 500,
  'convert-bad-graph-option': 500,
  'convert-source-missing': 500,
  'convert-unknown-file': 500,
  'convert-merged-file': 500,
  'convert-duplicate-component': 500,
  'convert-missing-component': 500,
  'convert-missing-key': 500,
  'convert-shape-mismatch': 500,
  'convert-not-dit': 500,
  'convert-not-qwen3': 500,
  'convert-not-vae': 500,
  'convert-lora-file': 500,
  'convert-ambiguous-component': 500,
  'convert-bad-scheduler-config': 500,
  'demo-checkpoint-missing': 500,
  'safetensors-invalid': 500,
  'safetensors-truncated': 500,
  'safetensors-bad-index': 500,
  'safetensors-int-tensor': 500,
  'safetensors-write': 500,
  'checkpoint-not-found': 500,
  'checkpoint-missing-key': 500,
  'checkpoint-duplicate-key': 500,
  'checkpoint-ambiguous': 500,
  'checkpoint-lfs-pointer': 500,
  'checkpoint-missing-shard': 500,
  'checkpoint-partial-download': 500,
  'fp8-bad-scale': 500,
  'fp8-bad-comfy-quant': 500,
  'fp8-format-mismatch': 500,
  'fp8-unsupported-format': 500,
  'gguf-invalid': 500,
  'gguf-truncated': 500,
  'gguf-unsupported-type': 500,
  'gguf-version': 500,
  'graph-attr': 500,
  'graph-duplicate': 500,
  'graph-elem-type': 500,
  'graph-weight-size': 500,
  'png-invalid': 500,
  'png-size': 500,
};

/** EngineError and its kinds (sampling numerics, tokenizer). */
const ENGINE_ERROR_NAMES = new Set(['EngineError', 'SamplingError', 'TokenizerError']);

/** By name and fields, not instanceof: the engine module may be a different instance in each Next.js bundle. */
function isEngineError(error: unknown): error is EngineError {
  return error instanceof Error && ENGINE_ERROR_NAMES.has(error.name) && typeof (error as EngineError).code === 'string';
}

export function describeEngineError(error: unknown): { status: number; body: ApiErrorBody & { code: EngineErrorCode } } | null {
  if (!isEngineError(error)) return null;
  const body: ApiErrorBody & { code: EngineErrorCode } = { code: error.code, message: error.message };
  if (error.hint) body.hint = error.hint;
  // `?? 500`: a code from a newer engine bundle than this server was built with
  return { status: ENGINE_ERROR_STATUS[error.code] ?? 500, body };
}
