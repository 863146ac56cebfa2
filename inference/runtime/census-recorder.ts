// The census bookkeeping of one pipeline, in one object: where the sessions' profiles go, which generation is
// profiled (the first of resident sessions; every one in sequential residency), how much of the DiT's work the
// profiled generation covers (first step or all), each component's census as its phase ends, and the census a
// generation reports: its own, or the one of the sessions' profiled generation. Also the one policy that spends the
// text encoder's slow first unprofiled run on the empty negative prompt.
// It deliberately runs nothing: the pipeline calls it at phase boundaries (see RunnerPool's hooks).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ComponentName, ExecutionProvider, Precision, RunCensus } from '../pipeline/types.ts';
import { mergeCensus, verdict, type Census } from './census.ts';
import type { Residency } from './residency.ts';

/** Which DiT calls of a profiled generation the census covers. */
export type DitCensusScope = 'first-step' | 'all';

/** What the recorder needs of a runner: whether its session profiles, and its census once the profile ends. */
export interface ProfiledRunner {
  session: { readonly profiling: boolean };
  takeCensus(): Census | undefined;
}

export interface CensusRecorderOptions {
  /** false: no profiled generation and no census (for measuring what the census costs; the studio never does). */
  enabled: boolean;
  /** Default: 'first-step' in resident residency, 'all' in sequential (see LoadOptions.ditCensus). */
  ditScope?: DitCensusScope;
  residency: Residency;
  precision: Precision;
  ep: ExecutionProvider;
}

export class CensusRecorder {
  private readonly profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-profile-'));
  private pending: Partial<Record<ComponentName, Census>> = {};
  private last: Partial<Record<ComponentName, { census: Census; generation: number }>> = {};
  /** The census of the profiled generation of the resident sessions (absent until one finished). */
  private session?: RunCensus;
  private generations = 0;
  readonly ditScope: DitCensusScope;

  constructor(private readonly options: CensusRecorderOptions) {
    this.ditScope = options.ditScope ?? (options.residency === 'resident' ? 'first-step' : 'all');
  }

  /** The profile prefix for a session loaded now: sessions profile until the resident ones have a census. */
  profilePrefix(component: ComponentName): string | undefined {
    return this.session || !this.options.enabled ? undefined : path.join(this.profileDir, component);
  }

  /** After a component's phase: its census, while its session is profiling (the profile ends here). */
  phaseDone(component: ComponentName, runner: ProfiledRunner): void {
    if (runner.session.profiling) this.pending[component] = runner.takeCensus();
  }

  /**
   * Whether to encode the empty prompt now: a session's first run after its profile ends is slow (onnxruntime; the
   * text encoder's ~50 instead of ~12 ms), so in the profiled generation of resident sessions it is spent on CFG's
   * default negative prompt, which the feature cache then holds.
   */
  warmEmptyPrompt(textEncoderWasProfiling: boolean): boolean {
    return textEncoderWasProfiling && this.options.residency === 'resident';
  }

  /**
   * The census of the generation that just ended: measured on it when its sessions were profiling, else the census
   * of the resident sessions' profiled generation.
   */
  finishGeneration(): RunCensus | undefined {
    const n = ++this.generations;
    const pending = this.pending;
    this.pending = {};
    for (const [c, part] of Object.entries(pending)) if (part) this.last[c as ComponentName] = { census: part, generation: n };
    // Cached text features: the text encoder did not run now; its part is the census of the run that encoded them.
    const te = pending.te ? undefined : this.last.te;
    if (pending.dit && pending.vae && (pending.te || te)) {
      const merged = mergeCensus([pending.te ?? te!.census, pending.dit, pending.vae]);
      const measured: RunCensus = { scope: 'this generation', generation: n, textEncoderFrom: te?.generation, merged, verdict: verdict(merged, this.options.precision, this.options.ep) };
      if (this.options.residency === 'resident') this.session = { ...measured, scope: 'first generation of these sessions' };
      return measured;
    }
    return this.session;
  }

  release(): void {
    fs.rmSync(this.profileDir, { recursive: true, force: true });
  }
}
