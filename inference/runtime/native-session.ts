// The native session (issue 20): onnxruntime's C API through our own addon (native/addon.cc), for what
// onnxruntime-node cannot do on the CUDA path — full CUDA provider options (CUDA graphs, a user compute stream),
// inputs and outputs bound at fixed addresses in device memory, custom-op libraries (native/kernels/).
// Tensors live in named buffers bound to the graph's inputs and outputs; they are written from and read to the host
// only when asked, and copied device-to-device between sessions, so latents, velocities and features can stay on
// the GPU between runs.
// It deliberately has no fallback: where the addon is not built, `loadNative` throws a clear EngineError naming the
// fix (onnxruntime-node's Session in onnx-runtime.ts stays the CPU and default path). It knows nothing about models.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { ortLibraryDir } from './onnx-runtime.ts';

export type NativeElemType = 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'bool';
export type NativeData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface NativeSessionOptions {
  ep: 'cpu' | 'cuda';
  deviceId?: number;
  /** CUDA provider options as onnxruntime names them (OrtCUDAProviderOptionsV2 keys), e.g. enable_cuda_graph: '1'. */
  cuda?: Record<string, string>;
  /** Run on a compute stream of our own (default on CUDA): our copies and onnxruntime's kernels share it. */
  userStream?: boolean;
  /** Custom-op libraries to register (RegisterCustomOpsLibrary_V2). */
  customOps?: string[];
  /** Session config entries (onnxruntime_session_options_config_keys.h). */
  config?: Record<string, string>;
  optLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  memPattern?: boolean;
  logLevel?: number;
  intraThreads?: number;
  profilePrefix?: string;
}

export interface ValueDescription {
  name: string;
  type: NativeElemType | 'other';
  /** -1 for dynamic dimensions. */
  dims: number[];
}

interface AddonSession {
  describe(): { inputs: ValueDescription[]; outputs: ValueDescription[] };
  bind(name: string, kind: 'input' | 'output', type: NativeElemType, dims: number[], host: boolean): void;
  write(name: string, data: NativeData): void;
  read(name: string): ArrayBuffer;
  copyFrom(name: string, other: AddonSession, otherName: string): void;
  axpy(name: string, alpha: number, other: AddonSession, otherName: string): void;
  run(): Promise<void>;
  endProfiling(): string;
  release(): void;
}

interface Addon {
  init(libonnxruntime: string): string;
  deviceMemory(): { free: number; total: number } | null;
  Session: new (model: string, options: NativeSessionOptions) => AddonSession;
}

/** The project root: two levels above onnxruntime-node's package (works from the sources and from dist/ bundles). */
function projectRoot(): string {
  return path.resolve(ortLibraryDir(), '../../../../../..');
}

/** Where the built addon is expected (ZIMAGE_NATIVE_ADDON overrides). */
export function nativeAddonPath(): string {
  return process.env.ZIMAGE_NATIVE_ADDON ?? path.join(projectRoot(), 'native', 'build', 'Release', 'zimage_ort.node');
}

/** Where the fused-kernel custom-op library is expected (ZIMAGE_KERNELS overrides); built by `npm run setup:gpu`. */
export function kernelLibraryPath(): string {
  return process.env.ZIMAGE_KERNELS ?? path.join(projectRoot(), 'native', 'kernels', 'build', 'libzimage_kernels.so');
}

let addon: Addon | undefined;

/** Loads the addon once, over onnxruntime-node's own libonnxruntime.so.1; throws a clear error where it is not built. */
export function loadNative(): Addon {
  if (addon) return addon;
  const file = nativeAddonPath();
  if (!fs.existsSync(file)) {
    throw new EngineError('native-addon-missing', `the native onnxruntime session (${file}) is not built`, {
      hint: 'run `npm run build:native` (needs a C++ compiler, make and python3); the CUDA graph and fused-kernel path needs it, the default path does not',
    });
  }
  const lib = path.join(ortLibraryDir(), 'libonnxruntime.so.1');
  const mod = { exports: {} as Addon };
  try {
    process.dlopen(mod, file);
    mod.exports.init(lib);
  } catch (e) {
    throw new EngineError('native-addon-failed', `the native onnxruntime session could not load: ${(e as Error).message}`, {
      hint: 'rebuild it with `npm run build:native` against the installed onnxruntime-node', cause: e,
    });
  }
  addon = mod.exports;
  return addon;
}

/** Free and total bytes of the current CUDA device, or null without a CUDA runtime. */
export function deviceMemory(): { free: number; total: number } | null {
  return loadNative().deviceMemory();
}

const VIEW: Record<NativeElemType, (b: ArrayBuffer) => NativeData> = {
  float32: (b) => new Float32Array(b), float16: (b) => new Uint16Array(b), bfloat16: (b) => new Uint16Array(b),
  int64: (b) => new BigInt64Array(b), int32: (b) => new Int32Array(b), bool: (b) => new Uint8Array(b),
};

export class NativeSession {
  private readonly types = new Map<string, NativeElemType>();
  private released = false;

  private constructor(readonly file: string, readonly options: NativeSessionOptions, private readonly s: AddonSession) {}

  static create(file: string, options: NativeSessionOptions): NativeSession {
    if (!fs.existsSync(file)) {
      throw new EngineError('model-file-missing', `ONNX model ${file} does not exist`, { hint: 'convert the model first: zimage convert SRC --out DIR --precision P' });
    }
    for (const lib of options.customOps ?? []) {
      if (!fs.existsSync(lib)) throw new EngineError('kernels-missing', `custom-op library ${lib} does not exist`, { hint: 'build it with `npm run setup:gpu` (needs nvcc)' });
    }
    const native = loadNative();
    try {
      return new NativeSession(file, options, new native.Session(file, options));
    } catch (e) {
      throw new EngineError('native-session-failed', `the native session could not load ${path.basename(file)} on ${options.ep}: ${(e as Error).message}`, {
        hint: options.ep === 'cuda' ? 'run `npm run setup:gpu` to check the CUDA setup' : undefined, cause: e,
      });
    }
  }

  describe(): { inputs: ValueDescription[]; outputs: ValueDescription[] } {
    return this.s.describe();
  }

  /**
   * A buffer bound to input or output `name`, on the session's device, or in host memory with `host` (for inputs
   * that CPU-side kernels read, such as shapes and pads: on the device they would cost a copy back every run).
   * Rebinding with the same type, dims and place keeps the old buffer and its address (CUDA graphs replay on it).
   */
  bind(name: string, kind: 'input' | 'output', type: NativeElemType, dims: number[], host = false): void {
    this.s.bind(name, kind, type, dims, host);
    this.types.set(name, type);
  }

  write(name: string, data: NativeData): void {
    this.s.write(name, data);
  }

  read(name: string): NativeData {
    const type = this.types.get(name);
    if (!type) throw new EngineError('native-unbound', `${name} has no buffer in ${path.basename(this.file)}`, { hint: 'bind it first' });
    return VIEW[type](this.s.read(name));
  }

  /** Device-to-device copy of `other`'s buffer `otherName` into this session's buffer `name`. */
  copyFrom(name: string, other: NativeSession, otherName: string): void {
    this.s.copyFrom(name, other.s, otherName);
  }

  /** float32 buffers: this[name] += alpha · other[otherName], on the device. */
  axpy(name: string, alpha: number, other: NativeSession, otherName: string): void {
    this.s.axpy(name, alpha, other.s, otherName);
  }

  async run(): Promise<void> {
    try {
      await this.s.run();
    } catch (e) {
      const msg = (e as Error).message;
      if (/out of memory|cudaErrorMemoryAllocation|Failed to allocate memory|bad_alloc/i.test(msg)) {
        throw new EngineError('out-of-memory', `${path.basename(this.file)} ran out of ${this.options.ep === 'cuda' ? 'GPU' : 'host'} memory (${msg.split('\n')[0]})`, {
          hint: 'use a smaller size or --low-vram; the precision is never lowered to fit', cause: e,
        });
      }
      throw new EngineError('run-failed', `${path.basename(this.file)} failed on ${this.options.ep} (native session): ${msg}`, { cause: e });
    }
  }

  endProfiling(): string {
    return this.s.endProfiling();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.s.release();
  }
}
