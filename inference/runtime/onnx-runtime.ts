// The only module that touches onnxruntime (style rule 6): execution-provider choice, session creation and
// release, runs with named-input checks, and profiling. bf16 graphs need the CUDA EP; asking for it where CUDA
// cannot load is an explicit error, never a silent fall back to the CPU.
// It deliberately knows nothing about models: callers pass plain host tensors and get plain arrays back.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import type { ExecutionProvider } from '../pipeline/types.ts';
import type { HostTensor } from '../tensor.ts';
import { memPattern, type OrtOptions } from './ort-options.ts';

export type { HostTensor };
// The settings parsers live in ort-options.ts (no onnxruntime import); re-exported for existing callers.
export { memPattern, ortConfigEntries, type OrtOptions } from './ort-options.ts';

export interface OutputTensor {
  dims: number[];
  data: Float32Array;
}

export interface SessionOptions {
  ep: ExecutionProvider;
  deviceId?: number;
  /** Write an onnxruntime profile with this file prefix (see endProfiling). */
  profilePrefix?: string;
  /** Session config entries and the memory-pattern switch, as the caller chose them (lib/env.ts, the CLI). */
  ort?: OrtOptions;
  /**
   * Create the session from memory instead of `file` (which then only names it in messages): the graph's bytes and
   * every external-data file it refers to, by location (onnxruntime's externalData). A LoRA stack's merged DiT.
   */
  inMemory?: { model: Uint8Array; externalData: { path: string; data: Uint8Array }[] };
}

const require = createRequire(import.meta.url);

/** Folder of onnxruntime-node's native libraries for this platform (where the CUDA provider must sit). */
export function ortLibraryDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

export function ortVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'package.json'), 'utf8')).version;
}

/** Whether the CUDA provider library is installed next to the core library (it may still fail to load). */
export function cudaProviderInstalled(): boolean {
  return fs.existsSync(path.join(ortLibraryDir(), 'libonnxruntime_providers_cuda.so'));
}

export class Session {
  private profilingEnded = false;

  private constructor(
    readonly file: string,
    readonly ep: ExecutionProvider,
    private readonly session: ort.InferenceSession,
    private readonly profilePrefix?: string,
    private inMemory?: SessionOptions['inMemory'],
  ) {}

  static async create(file: string, opts: SessionOptions): Promise<Session> {
    if (!opts.inMemory && !fs.existsSync(file)) {
      throw new EngineError('model-file-missing', `ONNX model ${file} does not exist`, { hint: 'convert the model first: zimage convert SRC --out DIR --precision P' });
    }
    if (opts.ep === 'cuda' && !cudaProviderInstalled()) {
      throw new EngineError('cuda-provider-missing', `the CUDA execution provider is not installed (no libonnxruntime_providers_cuda.so in ${ortLibraryDir()})`, {
        hint: 'run `npm run setup:gpu`, or use --ep cpu with an fp32 model',
      });
    }
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: opts.ep === 'cuda' ? [{ name: 'cuda', deviceId: opts.deviceId ?? 0 } as ort.InferenceSession.ExecutionProviderConfig] : ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    if (opts.ort?.config) options.extra = opts.ort.config;
    options.enableMemPattern = opts.ort?.memPattern ?? memPattern(opts.ep, undefined);
    if (opts.profilePrefix) {
      options.enableProfiling = true;
      options.profileFilePrefix = opts.profilePrefix;
    }
    try {
      if (opts.inMemory) options.externalData = opts.inMemory.externalData;
      const session = opts.inMemory ? await ort.InferenceSession.create(opts.inMemory.model, options) : await ort.InferenceSession.create(file, options);
      // On the CPU onnxruntime may use in-memory initializers in place: the buffers live as long as the session.
      return new Session(file, opts.ep, session, opts.profilePrefix, opts.inMemory);
    } catch (e) {
      const msg = (e as Error).message;
      if (opts.ep === 'cuda') {
        const lib = msg.match(/lib[\w.+-]+\.so[.\d]*/)?.[0];
        throw new EngineError('cuda-session-failed', `the CUDA execution provider could not load ${path.basename(file)}: ${msg}`, {
          hint: lib ? `the library ${lib} is missing: install the CUDA runtime and cuDNN that match the provider (npm run setup:gpu says which)` : 'run `npm run setup:gpu` to check the CUDA setup',
          cause: e,
        });
      }
      if (/bfloat16|BFloat16|tensor\(bfloat16\)/.test(msg)) {
        throw new EngineError('bf16-needs-cuda', `${path.basename(file)} is a bf16 graph, which only the CUDA execution provider runs`, {
          hint: 'use --ep cuda on an NVIDIA GPU (compute capability ≥ 8.0), or convert with --precision fp32 for the CPU', cause: e,
        });
      }
      throw new EngineError('session-failed', `onnxruntime could not load ${file}: ${msg}`, { cause: e });
    }
  }

  /** Whether this session is still recording a profile. */
  get profiling(): boolean {
    return Boolean(this.profilePrefix) && !this.profilingEnded;
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  async run(feeds: Record<string, HostTensor>): Promise<Record<string, OutputTensor>> {
    const missing = this.session.inputNames.filter((n) => !(n in feeds));
    if (missing.length) {
      throw new EngineError('run-missing-input', `${path.basename(this.file)} needs inputs ${missing.join(', ')}`, { hint: describe(feeds) });
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const n of this.session.inputNames) {
      const t = feeds[n];
      ortFeeds[n] = new ort.Tensor(t.type, t.data, t.dims);
    }
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(ortFeeds);
    } catch (e) {
      const msg = (e as Error).message;
      // Memory pressure never changes the precision: it fails, saying what to do.
      if (/out of memory|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|Failed to allocate memory|bad_alloc/i.test(msg)) {
        throw new EngineError('out-of-memory', `${path.basename(this.file)} ran out of ${this.ep === 'cuda' ? 'GPU' : 'host'} memory (${msg.split('\n')[0]})`, {
          hint: 'use a smaller size, --low-vram (components one at a time) or --tiled-vae; the precision is never lowered to fit', cause: e,
        });
      }
      throw new EngineError('run-failed', `${path.basename(this.file)} failed on ${this.ep}: ${msg}`, { hint: `inputs were ${describe(feeds)}`, cause: e });
    }
    const result: Record<string, OutputTensor> = {};
    for (const [name, value] of Object.entries(out)) {
      const t = value as ort.Tensor;
      result[name] = { dims: [...t.dims], data: t.data as Float32Array };
    }
    return result;
  }

  /** Ends profiling and returns the profile file path (onnxruntime-node returns nothing; find the newest). */
  endProfiling(): string | undefined {
    // onnxruntime-node cannot restart profiling on a session (its startProfiling is a no-op): once only.
    if (!this.profilePrefix || this.profilingEnded) return undefined;
    this.profilingEnded = true;
    this.session.endProfiling();
    const dir = path.dirname(this.profilePrefix);
    const base = path.basename(this.profilePrefix);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
      .map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    return files[0];
  }

  async release(): Promise<void> {
    await this.session.release();
    this.inMemory = undefined;
  }
}

function describe(feeds: Record<string, HostTensor>): string {
  return Object.entries(feeds).map(([n, t]) => `${n} ${t.type}[${t.dims.join(',')}]`).join('; ');
}
