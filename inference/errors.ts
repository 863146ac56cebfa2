// Typed engine errors: what failed, expected vs got, and a hint that says how to fix it. The codes are one closed
// list (a new code is added here, and lib/engine/errors.ts then fails to type-check until it has an HTTP status);
// the HTTP layer maps `code` to a status and shows `message` + `hint` to the user. Nothing here knows about HTTP.

/** Every code an EngineError (and its SamplingError and TokenizerError kinds) can carry, by area. */
export const ENGINE_ERROR_CODES = [
  // the request and the loaded pipeline
  'invalid-request', 'precision-mismatch', 'precision-needs-gpu', 'precision-unavailable', 'cuda-unavailable', 'bf16-needs-cuda',
  // converted models on disk
  'model-not-converted', 'model-bad-manifest', 'model-precision-missing', 'model-missing-component', 'model-file-missing', 'model-mismatch',
  'model-no-vae-encoder',
  'audit-missing-component',
  // onnxruntime sessions and runs
  'cuda-provider-missing', 'cuda-session-failed', 'session-failed', 'run-missing-input', 'run-failed', 'out-of-memory', 'bad-ort-config',
  // the native session (native/, issue 20) and its fused kernels
  'native-addon-missing', 'native-addon-failed', 'native-session-failed', 'native-unbound', 'kernels-missing',
  // component inputs
  'te-empty', 'te-bad-token', 'dit-bad-input', 'dit-bad-size', 'dit-bad-caption', 'vae-bad-input',
  // sampling numerics (SamplingError)
  'invalid-seed', 'invalid-shape', 'invalid-steps', 'invalid-argument',
  // the tokenizer (TokenizerError)
  'tokenizer-not-found', 'tokenizer-invalid', 'tokenizer-not-qwen',
  // conversion
  'convert-bad-precision', 'convert-bad-variant', 'convert-bad-config', 'convert-bad-graph-option', 'convert-source-missing',
  'convert-unknown-file', 'convert-merged-file', 'convert-duplicate-component', 'convert-missing-component', 'convert-missing-key',
  'convert-shape-mismatch', 'convert-not-dit', 'convert-not-qwen3', 'convert-not-vae',
  'convert-lora-file', 'convert-ambiguous-component', 'convert-bad-scheduler-config',
  // the embedded demo model (inference/demo-model.ts)
  'demo-checkpoint-missing',
  // file formats: safetensors, checkpoints, ONNX graphs, PNG
  'safetensors-invalid', 'safetensors-truncated', 'safetensors-bad-index', 'safetensors-int-tensor', 'safetensors-write',
  'checkpoint-not-found', 'checkpoint-missing-key', 'checkpoint-duplicate-key', 'checkpoint-ambiguous',
  'checkpoint-lfs-pointer', 'checkpoint-missing-shard', 'checkpoint-partial-download',
  // quantised sources: fp8 safetensors, GGUF
  'fp8-bad-scale', 'fp8-bad-comfy-quant', 'fp8-format-mismatch', 'fp8-unsupported-format',
  'gguf-invalid', 'gguf-truncated', 'gguf-unsupported-type', 'gguf-version',
  'graph-attr', 'graph-duplicate', 'graph-elem-type', 'graph-weight-size', 'png-invalid', 'png-size',
  // LoRA files and stacks (inference/lora/)
  'lora-missing', 'lora-bad-name', 'lora-wrong-model', 'lora-shape-mismatch', 'lora-unsupported', 'lora-not-lora',
  'lora-incomplete', 'lora-bad-file', 'lora-changed', 'lora-model-layout',
] as const;

export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

export interface EngineErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly hint?: string;

  constructor(code: EngineErrorCode, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.hint = options.hint;
  }

  /** One line for a terminal: message, then the hint. */
  toString(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** The error a cancelled generation rejects with (name 'AbortError', like fetch's). */
export class AbortError extends Error {
  constructor(message = 'generation cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

/**
 * Whether an error is a cancellation: our AbortError, fetch's and AbortSignal's, or one rebuilt from a message (by
 * name, not instanceof: it may come from another bundle or thread).
 */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
