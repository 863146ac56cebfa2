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

export type { HostTensor };

export interface OutputTensor {
  dims: number[];
  data: Float32Array;
}

export interface SessionOptions {
  ep: ExecutionProvider;
  deviceId?: number;
  /** Write an onnxruntime profile with this file prefix (see endProfiling). */
  profilePrefix?: string;
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

/**
 * Whether onnxruntime plans a memory pattern per input shape. Off on CUDA: on the full-size model it held 4 GiB more
 * VRAM at peak (30,740 against 26,572 MiB) and cost the VAE decode ~80 ms on each new shape's first run, with the
 * same steady-state speed (bench/results/2026-11-28-h200-s4/). On the CPU onnxruntime's default (on) stays.
 * ZIMAGE_ORT_MEM_PATTERN=1 or 0 forces it either way (for measuring).
 */
export function memPattern(ep: ExecutionProvider, env: string | undefined): boolean {
  if (env === '1' || env === '0') return env === '1';
  return ep !== 'cuda';
}

/**
 * onnxruntime session config entries from `ZIMAGE_ORT_CONFIG` ("key=value,key=value", e.g.
 * "session.use_device_allocator_for_initializers=1"): the keys of onnxruntime_session_options_config_keys.h,
 * for measuring and tuning without a rebuild. Undefined when unset; a malformed entry throws.
 */
export function ortConfigEntries(spec: string | undefined): Record<string, string> | undefined {
  if (!spec?.trim()) return undefined;
  const out: Record<string, string> = {};
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = item.match(/^([a-z_]+(?:\.[a-z_0-9]+)+)=(.+)$/i);
    if (!m) {
      throw new EngineError('bad-ort-config', `ZIMAGE_ORT_CONFIG entry ${JSON.stringify(item)} is not key=value`, {
        hint: 'write dotted onnxruntime config keys, e.g. ZIMAGE_ORT_CONFIG=session.use_device_allocator_for_initializers=1',
      });
    }
    out[m[1]] = m[2];
  }
  return out;
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
    const extra = ortConfigEntries(process.env.ZIMAGE_ORT_CONFIG);
    if (extra) options.extra = extra;
    options.enableMemPattern = memPattern(opts.ep, process.env.ZIMAGE_ORT_MEM_PATTERN);
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

/** Loads the CUDA EP once on a trivial model to tell whether it works here; returns the error text if not. */
export async function probeCuda(probeModel: string): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    const s = await Session.create(probeModel, { ep: 'cuda' });
    await s.release();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: e instanceof EngineError ? e.toString() : String(e) };
  }
}
