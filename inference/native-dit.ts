// The DiT on the native session (issue 20): one shape per runner, every input bound once at a fixed address (the
// per-size tables written once; shapes and pads in host memory, where onnxruntime's CPU-side kernels read them),
// latents, caption features and velocity in device buffers, a step = write t (4 bytes), run; the Euler step on the
// device (x += (σ − σ_next)·v, cuBLAS). With `cudaGraph` onnxruntime captures the step after its warm-up runs and
// replays it; graphs built with `--graph kernels=1` get native/kernels' fused ops registered.
// It deliberately keeps one shape per runner (a captured graph replays on fixed addresses and shapes: a new size
// or caption bucket is a new runner) and leaves guidance, scheduling and the text encoder to its caller.
import path from 'node:path';
import { EngineError } from './errors.ts';
import { readManifest, type Manifest } from './convert.ts';
import { ditCaptionInputs, ditGridInputs, paddedCaptionLength, type DitConfig } from './models/z-image-dit.ts';
import { kernelLibraryPath, NativeSession, type NativeSessionOptions } from './runtime/native-session.ts';

export interface NativeDitOptions {
  /** cuda (default), or cpu for fp32 folders (the CI tests of this runner). */
  ep?: 'cpu' | 'cuda';
  deviceId?: number;
  /** CUDA graph capture and replay of the step (enable_cuda_graph). */
  cudaGraph?: boolean;
  /** More CUDA provider options (OrtCUDAProviderOptionsV2 keys). */
  cuda?: Record<string, string>;
  profilePrefix?: string;
}

/** Inputs read by CPU-side kernels (Reshape shapes, Pad pads, Slice ends): bound in host memory. */
const HOST_INPUTS = new Set(['patch_shape', 'img_pads', 'img_tokens', 'unpatch_shape', 'latent_shape', 'cap_pads']);

export class NativeDitRunner {
  private constructor(readonly session: NativeSession, readonly config: DitConfig, readonly kernels: boolean,
    readonly h: number, readonly w: number, readonly L: number) {}

  /** Loads the DiT of a converted bf16 folder for latents h×w and captions of L tokens. */
  static load(dir: string, h: number, w: number, L: number, opts: NativeDitOptions = {}, manifest: Manifest = readManifest(dir)): NativeDitRunner {
    const info = manifest.components.dit;
    if (!info) throw new EngineError('model-missing-component', `${dir} has no DIT`, { hint: `convert it: zimage convert SRC --out ${path.dirname(dir)} --components dit` });
    const kernels = info.opTypes.some((op) => op.startsWith('zimage:'));
    const options: NativeSessionOptions = {
      ep: opts.ep ?? 'cuda', deviceId: opts.deviceId, memPattern: false, profilePrefix: opts.profilePrefix,
      cuda: opts.ep === 'cpu' ? undefined : { ...(opts.cudaGraph ? { enable_cuda_graph: '1' } : {}), ...opts.cuda },
      customOps: kernels ? [kernelLibraryPath()] : [],
    };
    const session = NativeSession.create(path.join(dir, info.file), options);
    const cfg = info.config as DitConfig;
    const r = new NativeDitRunner(session, cfg, kernels, h, w, L);
    const feeds = { ...ditGridInputs(cfg, h, w, paddedCaptionLength(L)), ...ditCaptionInputs(L) };
    const names = new Set(session.describe().inputs.map((i) => i.name));
    for (const [name, t] of Object.entries(feeds)) {
      if (!names.has(name)) continue; // tables a graph variant does not take
      session.bind(name, 'input', t.type, t.dims, HOST_INPUTS.has(name));
      session.write(name, t.data);
    }
    session.bind('x', 'input', 'float32', [1, cfg.inChannels, h, w]);
    session.bind('t', 'input', 'float32', [1]);
    session.bind('cap_feats', 'input', 'float32', [L, cfg.capFeatDim]);
    session.bind('v', 'output', 'float32', [1, cfg.inChannels, h, w]);
    return r;
  }

  setLatents(x: Float32Array): void {
    this.session.write('x', x);
  }

  setCaption(features: Float32Array): void {
    this.session.write('cap_feats', features);
  }

  /** Copies caption features from another runner's buffer (same L), device to device. */
  copyCaptionFrom(other: NativeDitRunner): void {
    this.session.copyFrom('cap_feats', other.session, 'cap_feats');
  }

  /** One DiT call at model time t; the velocity stays in the device buffer `v`. */
  async step(t: number): Promise<void> {
    this.session.write('t', Float32Array.of(t));
    await this.session.run();
  }

  /** Euler step on the device: x ← x + (σ_next − σ)·(−v), as inference/sampling/scheduler.ts's eulerStep. */
  euler(sigma: number, sigmaNext: number): void {
    this.session.axpy('x', Math.fround(Math.fround(sigma) - Math.fround(sigmaNext)), this.session, 'v');
  }

  velocity(): Float32Array {
    return this.session.read('v') as Float32Array;
  }

  latents(): Float32Array {
    return this.session.read('x') as Float32Array;
  }

  release(): void {
    this.session.release();
  }
}
