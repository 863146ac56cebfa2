// The Z-Image-Turbo text-to-image pipeline, read like a script: validate → tokenize → encode → noise → denoise →
// decode → PNG, with progress per step, an AbortSignal honoured between steps, text features cached per prompt,
// and plain data out (pixels, PNG, metadata, timings). Reference: diffusers pipeline_z_image.py; spec §5, §9.
// It deliberately owns no HTTP, queue or storage concerns: the studio and the CLI wrap it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AbortError, EngineError } from '../errors.ts';
import { readManifest, type Manifest } from '../convert.ts';
import { DitRunner, TextEncoderRunner, VaeRunner } from '../components.ts';
import { randnAsync, warmRandnPool } from '../sampling/randn-pool.ts';
import { applyGuidance, eulerStep, modelTime, sigmas } from '../sampling/scheduler.ts';
import { loadTokenizer, type Qwen3Tokenizer } from '../tokenizer/qwen3.ts';
import { encodePng } from './png.ts';
import { GpuMonitor, VramSampler } from '../runtime/vram.ts';
import { mergeCensus, verdict, type Census } from '../runtime/census.ts';
import { assertRunnable, capabilities } from '../runtime/capabilities.ts';
import { assertHonest, auditModel, type ModelAudit } from '../audit.ts';
import { countNonFinite, imageHealth, summarize, type Health, type StepHealth } from './health.ts';
import type { DitConfig } from '../models/z-image-dit.ts';
import { decodeTiled, DEFAULT_TILES, vaeDecodeBytes } from './tiled-vae.ts';
import type { ComponentRunInfo, ExecutionProvider, GenerateOptions, GenerateRequest, GenerateResult, ModelEntry, Precision, ProgressEvent, RunCensus } from './types.ts';

export const LIMITS = { minSide: 64, maxSide: 2048, multiple: 16, maxSteps: 100, maxCfg: 20, maxPromptChars: 20000 } as const;
export const VERSION = '0.1.0';
/** Latent channels and the VAE's spatial factor of Z-Image. */
const LATENT_C = 16;
const VAE_FACTOR = 8;

/** Checks a request against the limits and the loaded model; one clear error per problem. */
export function validateRequest(req: GenerateRequest, loaded?: { precision: Precision; ep: ExecutionProvider }): void {
  const bad = (field: string, msg: string, hint?: string) => { throw new EngineError('invalid-request', `${field}: ${msg}`, { hint }); };
  if (typeof req.prompt !== 'string') bad('prompt', 'must be a string');
  if (req.prompt.length > LIMITS.maxPromptChars) bad('prompt', `is ${req.prompt.length} characters; the limit is ${LIMITS.maxPromptChars}`, 'the model reads at most 512 tokens anyway');
  if (!Number.isInteger(req.steps) || req.steps < 1 || req.steps > LIMITS.maxSteps) bad('steps', `must be an integer from 1 to ${LIMITS.maxSteps} (got ${req.steps})`, 'Z-Image-Turbo is made for 8 steps');
  if (!Number.isFinite(req.cfg) || req.cfg < 1 || req.cfg > LIMITS.maxCfg) bad('cfg', `must be from 1 (off) to ${LIMITS.maxCfg} (got ${req.cfg})`, 'Turbo runs without guidance: cfg 1');
  for (const [name, v] of [['width', req.width], ['height', req.height]] as const) {
    if (!Number.isInteger(v) || v % LIMITS.multiple || v < LIMITS.minSide || v > LIMITS.maxSide) {
      const near = Math.min(LIMITS.maxSide, Math.max(LIMITS.minSide, Math.round(v / LIMITS.multiple) * LIMITS.multiple));
      bad(name, `must be a multiple of ${LIMITS.multiple} from ${LIMITS.minSide} to ${LIMITS.maxSide} (got ${v})`, Number.isFinite(near) ? `try ${near}` : undefined);
    }
  }
  if (req.cfgTruncation !== undefined && !(req.cfgTruncation >= 0 && req.cfgTruncation <= 1)) bad('cfgTruncation', `must be from 0 to 1 (got ${req.cfgTruncation})`, '1 keeps guidance on every step');
  if (req.cfgNormalization !== undefined && !(req.cfgNormalization >= 0 && Number.isFinite(req.cfgNormalization))) bad('cfgNormalization', `must be ≥ 0 (got ${req.cfgNormalization})`, '0 turns it off');
  if (!Number.isSafeInteger(req.seed) || req.seed < 0) bad('seed', `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (got ${req.seed})`);
  if (req.latents && req.latents.length !== LATENT_C * (req.height / VAE_FACTOR) * (req.width / VAE_FACTOR)) {
    bad('latents', `have ${req.latents.length} values; ${req.width}×${req.height} needs 1×${LATENT_C}×${req.height / VAE_FACTOR}×${req.width / VAE_FACTOR}`);
  }
  if (loaded && req.precision !== loaded.precision) bad('precision', `${req.precision} was requested but this pipeline runs ${loaded.precision}`, 'load the pipeline in the requested precision; precisions never change silently');
  if (loaded && req.ep !== loaded.ep) bad('ep', `${req.ep} was requested but this pipeline runs on ${loaded.ep}`);
}

/** The A1111 `parameters` text (what "PNG Info" and most tools read). */
export function a1111Parameters(req: Omit<GenerateRequest, 'latents'>, modelName: string): string {
  const lines = [req.prompt];
  if (req.negativePrompt) lines.push(`Negative prompt: ${req.negativePrompt}`);
  lines.push([
    `Steps: ${req.steps}`, 'Sampler: Euler', 'Schedule type: Simple', `CFG scale: ${req.cfg}`, `Seed: ${req.seed}`,
    `Size: ${req.width}x${req.height}`, `Model: ${modelName}`, `Precision: ${req.precision}`, `Version: zimage-bf16-studio ${VERSION}`,
  ].join(', '));
  return lines.join('\n');
}

/** [1,3,H,W] in about [−1,1] → RGB8 [H,W,3], as the reference: clamp(x/2 + 0.5, 0, 1)·255, rounded. */
export function toPixels(image: Float32Array, width: number, height: number): Uint8Array {
  // A Uint8ClampedArray store clamps to [0,255], rounds half to even (numpy's round, as in diffusers' postprocess)
  // and turns NaN into 0, all in one conversion: 2.3× faster here than Math.round/min/max per value (51 → 22 ms, 1024²).
  const n = width * height;
  const out = new Uint8ClampedArray(n * 3);
  for (let c = 0; c < 3; c++) {
    const plane = image.subarray(c * n, (c + 1) * n);
    for (let i = 0, o = c; i < n; i++, o += 3) out[o] = plane[i] * 127.5 + 127.5; // [−1,1] → [0,255]
  }
  return new Uint8Array(out.buffer);
}

/** The clean-image estimate of a flow-matching step, x0 = z + σ·v (v ≈ x0 − ε, z = (1 − σ)·x0 + σ·ε). */
export function denoisedEstimate(z: Float32Array, v: Float32Array, sigma: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i] + sigma * v[i];
  return out;
}

/** Free memory for the low-VRAM decisions: the GPU monitor's latest reading, or (at load) one nvidia-smi call. */
function freeMemoryBytes(ep: ExecutionProvider, deviceId = 0, monitor?: GpuMonitor): number {
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

/** Components resident in memory for the pipeline's life, or loaded one at a time per phase (low VRAM). */
export type Residency = 'resident' | 'sequential';

export interface LoadOptions {
  /** 'auto' (default): sequential when the weights do not fit in free memory with room for activations. */
  residency?: Residency | 'auto';
  deviceId?: number;
  /** For tests: what the machine can run (default: probed). */
  capabilities?: ReturnType<typeof capabilities>;
  /** false: no profiled generation and no census (for measuring what the census costs; the studio never does). */
  census?: boolean;
  /**
   * Which DiT calls of a profiled generation the census covers: 'first-step' (its first denoising step; every step
   * runs the same graph on the same shapes) or 'all' (every step). A session's first run after its profile ends is
   * ~2× slower (onnxruntime; 110–190 ms for the 30-layer DiT at 1024²). Default: 'first-step' in resident residency,
   * where it makes that slow run step 2 of the first generation instead of step 1 of the second; 'all' in
   * sequential residency, whose sessions are profiled every generation and released after it (no unprofiled run).
   */
  ditCensus?: 'first-step' | 'all';
}

type Runners = { te?: TextEncoderRunner; dit?: DitRunner; vae?: VaeRunner };

export class ZImagePipeline {
  private featureCache = new Map<string, { features: Float32Array; count: number; truncated: boolean }>();
  private readonly profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-profile-'));
  private pendingCensus: Partial<Record<keyof Runners, Census>> = {};
  private lastCensus: Partial<Record<keyof Runners, { census: Census; generation: number }>> = {};
  /** The census of the profiled generation of the resident sessions (absent until one finished). */
  private sessionCensus?: RunCensus;
  private censusOff = false;
  private ditCensus: 'first-step' | 'all' = 'all';
  /** Which DiT calls the census of the profiled generation covers (LoadOptions.ditCensus). */
  get ditCensusScope() { return this.ditCensus; }
  private generations = 0;
  /** Decode + PNG milliseconds per latent pixel of the last generation, for an ETA that includes them. */
  private tailMsPerLatentPixel?: number;
  /** One looping nvidia-smi for the pipeline's life (CUDA only): no process is forked during a generation. */
  private readonly monitor?: GpuMonitor;

  private constructor(
    readonly model: ModelEntry,
    readonly manifest: Manifest,
    readonly precision: Precision,
    readonly ep: ExecutionProvider,
    readonly residency: Residency,
    private readonly dir: string,
    private readonly deviceId: number,
    private readonly tokenizer: Qwen3Tokenizer,
    private readonly runners: Runners,
    /** What the ONNX files hold, read back at load time (weights dtype, compute dtype, fp32 parts). */
    readonly audit: ModelAudit,
  ) {
    if (ep === 'cuda') this.monitor = GpuMonitor.acquire(deviceId);
  }

  static async load(model: ModelEntry, precision: Precision, ep: ExecutionProvider, options: LoadOptions = {}): Promise<ZImagePipeline> {
    if (!model.precisions.includes(precision)) {
      throw new EngineError('model-precision-missing', `${model.name} has no ${precision} conversion (has: ${model.precisions.join(', ') || 'none'})`, {
        hint: `convert it: zimage convert SRC --out ${model.dir} --precision ${precision}`,
      });
    }
    // Downgrade traps: refuse what this machine cannot run (bf16 without CUDA, cc < 8.0, old driver), and refuse
    // files whose weights are not what their label says — never a quiet switch.
    assertRunnable(precision, ep, options.capabilities);
    warmRandnPool(); // the noise threads start while the sessions load
    const dir = path.join(model.dir, precision);
    const manifest = readManifest(dir);
    const audit = auditModel(dir);
    assertHonest(audit);
    const te = manifest.components.te?.config as { hidden?: number } | undefined;
    const dit = manifest.components.dit?.config as { capFeatDim?: number } | undefined;
    if (te?.hidden !== dit?.capFeatDim) {
      throw new EngineError('model-mismatch', `the text encoder gives ${te?.hidden}-wide features but the DiT reads ${dit?.capFeatDim}`, { hint: 'convert the text encoder that belongs to this DiT' });
    }
    const tokenizer = await loadTokenizer(manifest.tokenizer ? path.join(dir, manifest.tokenizer) : undefined);
    // Sequential residency keeps the precision: only one component's weights are in memory at a time.
    const weights = Object.values(manifest.components).reduce((sum, c) => sum + (c?.weightBytes ?? 0), 0);
    const residency = options.residency && options.residency !== 'auto' ? options.residency
      : weights * 1.3 > freeMemoryBytes(ep, options.deviceId) ? 'sequential' : 'resident';
    const deviceId = options.deviceId ?? 0;
    const pipe = new ZImagePipeline(model, manifest, precision, ep, residency, dir, deviceId, tokenizer, {}, audit);
    pipe.censusOff = options.census === false;
    pipe.ditCensus = options.ditCensus ?? (residency === 'resident' ? 'first-step' : 'all');
    if (residency === 'resident') for (const c of ['te', 'dit', 'vae'] as const) await pipe.runner(c);
    return pipe;
  }

  private async runner<C extends keyof Runners>(c: C): Promise<NonNullable<Runners[C]>> {
    // Sessions profile their first generation: the dtype census comes from the sessions that made the image.
    const opts = { ep: this.ep, deviceId: this.deviceId, profilePrefix: this.sessionCensus || this.censusOff ? undefined : path.join(this.profileDir, c) };
    if (!this.runners[c]) {
      const load = { te: TextEncoderRunner.load, dit: DitRunner.load, vae: VaeRunner.load }[c];
      this.runners[c] = (await load(this.dir, this.manifest, opts)) as Runners[C];
    }
    return this.runners[c]!;
  }

  /** After a component's phase: collect its census while it is profiling; in sequential residency, free it (unless keep). */
  private async done(c: keyof Runners, { keep = false } = {}): Promise<void> {
    const r = this.runners[c];
    if (!r) return;
    if (r.session.profiling) this.pendingCensus[c] = r.takeCensus();
    if (keep || this.residency !== 'sequential') return;
    this.runners[c] = undefined;
    await r.release();
  }

  get components(): ComponentRunInfo[] {
    return (['te', 'dit', 'vae'] as const).map((c) => ({ component: c, precision: this.manifest.components[c]!.precision, ep: this.ep, reason: this.manifest.components[c]!.reason }));
  }

  private cached(prompt: string) {
    const hit = this.featureCache.get(prompt);
    if (hit) {
      this.featureCache.delete(prompt);
      this.featureCache.set(prompt, hit); // keep recently used prompts
    }
    return hit;
  }

  /** Whether this prompt's text features are cached: a generation with it (or with it as the negative) skips the encoder. */
  hasCachedFeatures(prompt: string): boolean {
    return this.featureCache.has(prompt);
  }

  /** Text features for a tokenized prompt, remembered for the next generations. */
  private async encode(prompt: string, t: ReturnType<Qwen3Tokenizer['encodePrompt']>) {
    const entry = { features: await (await this.runner('te')).encode(t.ids), count: t.count, truncated: t.truncated };
    this.remember(prompt, entry);
    return entry;
  }

  private remember(prompt: string, entry: { features: Float32Array; count: number; truncated: boolean }) {
    this.featureCache.set(prompt, entry);
    if (this.featureCache.size > 32) this.featureCache.delete(this.featureCache.keys().next().value!);
  }

  async generate(req: GenerateRequest, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    let mark = t0;
    const phase = (name: ProgressEvent['phase'], extra: Partial<ProgressEvent> = {}) => {
      const now = performance.now();
      timings[name] = (timings[name] ?? 0) + (now - mark);
      mark = now;
      opts.onProgress?.({ phase: name, elapsedMs: now - t0, ...extra });
    };
    const checkAbort = () => { if (opts.signal?.aborted) throw new AbortError(); };
    const vram = this.monitor ? new VramSampler(this.monitor).start() : undefined;
    try {
      return await this.run(req, opts, phase, checkAbort, timings, t0, vram);
    } finally {
      if (this.residency === 'sequential') for (const c of ['te', 'dit', 'vae'] as const) await this.done(c);
      await vram?.stop();
    }
  }

  private async run(
    req: GenerateRequest, opts: GenerateOptions, phase: (name: ProgressEvent['phase'], extra?: Partial<ProgressEvent>) => void,
    checkAbort: () => void, timings: Record<string, number>, t0: number, vram: VramSampler | undefined,
  ): Promise<GenerateResult> {
    // 1. validate
    validateRequest(req, this);
    const w = req.width / VAE_FACTOR, h = req.height / VAE_FACTOR;
    const guidance = req.cfg - 1; // classic CFG → the reference's w
    phase('validate');
    checkAbort();

    // noise, started first (step 4 collects it): torch.manual_seed(seed); torch.randn(1,16,h,w) — or the given
    // latents. The draws happen now; the Box-Muller blocks run on worker threads while the text encoder runs.
    const noiseStart = performance.now();
    const noise = req.latents ? Promise.resolve(Float32Array.from(req.latents)) : randnAsync(req.seed, [1, LATENT_C, h, w]);
    const noiseDraws = performance.now() - noiseStart;
    noise.catch(() => undefined); // awaited in step 4; a failure before then must not leave it unhandled

    // 2. tokenize (prompt, and the negative once per generation when guidance is on)
    const prompts = guidance > 0 ? [req.prompt, req.negativePrompt ?? ''] : [req.prompt];
    const tokens = prompts.map((p) => this.cached(p) ?? this.tokenizer.encodePrompt(p));
    phase('tokenize');

    // 3. encode: text features, cached per prompt
    const features: { features: Float32Array; count: number; truncated: boolean }[] = [];
    for (let i = 0; i < prompts.length; i++) {
      const t = tokens[i];
      if ('features' in t) { features.push(t); continue; }
      features.push(await this.encode(prompts[i], t));
    }
    const teProfiled = this.runners.te?.session.profiling;
    await this.done('te');
    // A session's first run after its profile ends is slow (onnxruntime; the text encoder's ~50 instead of ~12 ms). In
    // the profiled generation, spend it on the empty negative prompt, CFG's default, which the cache then holds.
    if (teProfiled && this.residency === 'resident' && !this.featureCache.has('')) await this.encode('', this.tokenizer.encodePrompt(''));
    const [pos, neg] = features;
    const capDim = this.manifest.components.dit!.config as DitConfig;
    const L = pos.features.length / capDim.capFeatDim;
    const Ln = neg ? neg.features.length / capDim.capFeatDim : 0;
    phase('encode');
    checkAbort();

    // 4. noise: collected (its draws were timed above and are counted here, not in tokenize)
    let z = await noise;
    timings.tokenize -= noiseDraws;
    timings.noise = noiseDraws;
    phase('noise');

    // 5. denoise: Euler on the flow-match sigmas (shift 3), model time t = 1 − σ
    const dit = await this.runner('dit');
    const sig = sigmas(req.steps);
    const stepStart = performance.now();
    const stepHealth: StepHealth[] = [];
    let stoppedEarly = false;
    for (let i = 0; i < req.steps; i++) {
      checkAbort();
      const t = modelTime(sig[i]);
      let v = await dit.velocity(z, h, w, t, pos.features, L);
      if (neg) {
        const vNeg = await dit.velocity(z, h, w, t, neg.features, Ln);
        v = applyGuidance(v, vNeg, { w: guidance, tModel: t, truncation: req.cfgTruncation ?? 1, normalization: req.cfgNormalization || undefined });
      }
      if (i === 0 && this.ditCensus === 'first-step') await this.done('dit', { keep: true });
      if (opts.onDenoised) opts.onDenoised(denoisedEstimate(z, v, sig[i]), h, w, i + 1);
      z = eulerStep(z, v, sig[i], sig[i + 1]);
      const bad = countNonFinite(z);
      stepHealth.push({ step: i + 1, ...bad });
      const elapsed = performance.now() - stepStart;
      const tail = this.tailMsPerLatentPixel === undefined ? undefined : this.tailMsPerLatentPixel * h * w;
      phase('denoise', {
        step: i + 1, totalSteps: req.steps, etaMs: (elapsed / (i + 1)) * (req.steps - i - 1) + (tail ?? 0),
        ...(tail === undefined ? { etaWithoutDecode: true } : {}),
      });
      // Every value NaN: nothing left to denoise (an fp16 overflow); stop and report instead of burning steps.
      if (bad.nan === z.length) { stoppedEarly = i + 1 < req.steps; break; }
    }
    await this.done('dit');
    checkAbort();

    // 6. decode: tiled when forced or when the whole decode would not fit in free memory (same precision either way).
    // Announced as it starts: it is the longest silent phase (2–3 s at 1024² on the CPU, ~70 s at 2048²).
    const tailStart = performance.now();
    opts.onProgress?.({
      phase: 'decode', started: true, elapsedMs: tailStart - t0,
      ...(this.tailMsPerLatentPixel === undefined ? {} : { etaMs: this.tailMsPerLatentPixel * h * w }),
    });
    const vae = await this.runner('vae');
    const tiled = Boolean(req.tiledVae) || vaeDecodeBytes(h, w, vae.config.upChannels.at(-1)!, this.precision === 'fp32' ? 4 : 2) > freeMemoryBytes(this.ep, this.deviceId, this.monitor);
    const image = tiled
      ? await decodeTiled(z, LATENT_C, h, w, VAE_FACTOR, (tile, th, tw) => vae.decode(tile, th, tw), DEFAULT_TILES, checkAbort)
      : await vae.decode(z, h, w);
    await this.done('vae');
    phase('decode');

    // 7. PNG with the A1111 parameters and our own JSON metadata
    const runCensus = this.censusFor(++this.generations);
    const pixels = toPixels(image, req.width, req.height);
    const imgHealth = imageHealth(pixels);
    const health: Health = { steps: stepHealth, stoppedEarly, image: imgHealth, ...summarize(stepHealth, imgHealth, this.precision) };
    const { latents: _latents, ...settings } = req;
    const memory = await vram?.stop();
    const meta = {
      request: settings, model: { id: this.model.id, name: this.model.name }, components: this.components,
      tokens: { count: pos.count, truncated: pos.truncated }, vae: { tiled }, residency: this.residency, memory,
      health: { firstBadStep: health.firstBadStep, stoppedEarly, summary: health.summary, black: imgHealth.black, flat: imgHealth.flat },
      census: runCensus && { scope: runCensus.scope, generation: runCensus.generation, verdict: runCensus.verdict, byProvider: runCensus.merged.byProvider, flopShare: runCensus.merged.flopShare },
      audit: this.audit.components.map((c) => ({ component: c.component, computeDtype: c.computeDtype, heavyWeights: c.heavyWeights })), version: VERSION,
    };
    const png = await encodePng(pixels, req.width, req.height, {
      parameters: a1111Parameters(settings, this.model.name),
      'zimage-studio': JSON.stringify({ ...meta, timings }),
    });
    phase('png');
    this.tailMsPerLatentPixel = (performance.now() - tailStart) / (h * w);
    timings.total = performance.now() - t0;
    return {
      pixels, width: req.width, height: req.height, png, request: settings, model: meta.model, components: meta.components,
      timings, tokens: meta.tokens, vae: meta.vae, residency: this.residency, memory, health, audit: this.audit, census: runCensus,
    };
  }

  /**
   * The census for generation n: measured on this generation when its sessions were profiling (the first of resident
   * sessions, every one in sequential residency), else the census of the resident sessions' profiled generation.
   */
  private censusFor(n: number): RunCensus | undefined {
    const pending = this.pendingCensus;
    this.pendingCensus = {};
    for (const [c, part] of Object.entries(pending)) if (part) this.lastCensus[c as keyof Runners] = { census: part, generation: n };
    // Cached text features: the text encoder did not run now; its part is the census of the run that encoded them.
    const te = pending.te ? undefined : this.lastCensus.te;
    if (pending.dit && pending.vae && (pending.te || te)) {
      const merged = mergeCensus([pending.te ?? te!.census, pending.dit, pending.vae]);
      const measured: RunCensus = { scope: 'this generation', generation: n, textEncoderFrom: te?.generation, merged, verdict: verdict(merged, this.precision, this.ep) };
      if (this.residency === 'resident') this.sessionCensus = { ...measured, scope: 'first generation of these sessions' };
      return measured;
    }
    return this.sessionCensus;
  }

  async release(): Promise<void> {
    fs.rmSync(this.profileDir, { recursive: true, force: true });
    this.monitor?.release();
    for (const c of ['te', 'dit', 'vae'] as const) {
      const r = this.runners[c];
      this.runners[c] = undefined;
      await r?.release();
    }
  }
}
