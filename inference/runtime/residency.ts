// Where a pipeline's sessions live between phases: all resident for the pipeline's life, or loaded one at a time per
// phase and released after it (low memory, same precision). The runner pool loads runners on demand, hands each
// finished phase's runner to a hook (the census), and frees it in sequential residency; the free-memory probe feeds
// the residency and tiled-decode decisions.
// It deliberately knows no model: runners come from the loaders the caller passes.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { ExecutionProvider } from '../pipeline/types.ts';
import type { GpuMonitor } from './vram.ts';

/** Components resident in memory for the pipeline's life, or loaded one at a time per phase (low VRAM). */
export type Residency = 'resident' | 'sequential';

/** Free memory for the low-VRAM decisions: the GPU monitor's latest reading, or (at load) one nvidia-smi call. */
export function freeMemoryBytes(ep: ExecutionProvider, deviceId = 0, monitor?: GpuMonitor): number {
  if (ep === 'cpu') return os.freemem();
  const fresh = monitor?.freeBytes();
  if (fresh !== undefined) return fresh;
  try {
    const mib = Number(execFileSync('nvidia-smi', ['--query-gpu=memory.free', '--format=csv,noheader,nounits', `--id=${deviceId}`], { encoding: 'utf8', timeout: 5000 }).split('\n')[0]);
    return Number.isFinite(mib) ? mib * 2 ** 20 : Infinity;
  } catch {
    return Infinity;
  }
}

/** 'auto': sequential when the weights do not fit in free memory with room (30 %) for activations. */
export function chooseResidency(requested: Residency | 'auto' | undefined, weightBytes: number, ep: ExecutionProvider, deviceId?: number): Residency {
  if (requested && requested !== 'auto') return requested;
  return weightBytes * 1.3 > freeMemoryBytes(ep, deviceId) ? 'sequential' : 'resident';
}

/** What the pool needs of a runner: its session's profiling state and a release. */
export interface PooledRunner {
  session: { readonly profiling: boolean };
  release(): Promise<void>;
}

export interface RunnerPoolHooks<M> {
  /** The profile file prefix a newly loaded runner gets (undefined: not profiled). */
  profilePrefix(name: keyof M & string): string | undefined;
  /** Called with each runner when its phase is done (collects its census while it profiles). */
  phaseDone(name: keyof M & string, runner: M[keyof M]): void;
}

/** The runners of one pipeline, by component name, loaded on demand and kept or freed by the residency. */
export class RunnerPool<M extends Record<string, PooledRunner>> {
  private readonly runners: Partial<M> = {};

  constructor(
    readonly residency: Residency,
    private readonly loaders: { [K in keyof M]: (profilePrefix: string | undefined) => Promise<M[K]> },
    private readonly hooks: RunnerPoolHooks<M>,
  ) {}

  /** The runner of `name`, loaded now if it is not. */
  async get<K extends keyof M & string>(name: K): Promise<M[K]> {
    const existing = this.runners[name];
    if (existing) return existing;
    const runner = await this.loaders[name](this.hooks.profilePrefix(name));
    this.runners[name] = runner;
    return runner;
  }

  /** The runner of `name` if it is loaded now. */
  loaded<K extends keyof M & string>(name: K): M[K] | undefined {
    return this.runners[name];
  }

  /** After a component's phase: the hook sees it; in sequential residency it is freed (unless `keep`). */
  async done(name: keyof M & string, { keep = false } = {}): Promise<void> {
    const runner = this.runners[name];
    if (!runner) return;
    this.hooks.phaseDone(name, runner);
    if (keep || this.residency !== 'sequential') return;
    delete this.runners[name];
    await runner.release();
  }

  /** Frees the runner of `name` whatever the residency (its weights changed: a LoRA stack); the next get loads it again. */
  async release(name: keyof M & string): Promise<void> {
    const runner = this.runners[name];
    delete this.runners[name];
    await runner?.release();
  }

  /** Frees every loaded runner (at the end of the pipeline's life). */
  async releaseAll(): Promise<void> {
    for (const name of Object.keys(this.runners) as (keyof M & string)[]) {
      const runner = this.runners[name];
      delete this.runners[name];
      await runner?.release();
    }
  }
}
