// The Z-Image text-to-image pipeline, read like a script: validate → tokenize → encode → noise → denoise → decode →
// PNG, with progress per step, an AbortSignal honoured between steps, text features cached per prompt, and plain
// data out (pixels, PNG, metadata, timings). Reference: diffusers pipeline_z_image.py; spec §5, §9.
// The pieces it calls live beside it: the Euler sampler (sampling/sampler.ts), the runner pool and residency
// (runtime/residency.ts), the census bookkeeping (runtime/census-recorder.ts), the request check (validate.ts), pixels
// (pixels.ts), the PNG metadata (metadata.ts), the family's constants (models/registry.ts). It deliberately owns no
// HTTP, queue or storage concerns.
import path from 'node:path';
import { AbortError, EngineError } from '../errors.ts';
import { readManifest, type Manifest } from '../manifest.ts';
import { FAMILIES } from '../models/registry.ts';
import { DitRunner, TextEncoderRunner, VaeRunner } from '../runners.ts';
import { randnAsync, warmRandnPool } from '../sampling/randn-pool.ts';
import { sampleEuler } from '../sampling/sampler.ts';
import { applyGuidance, sigmas } from '../sampling/scheduler.ts';
import { variantSpec } from '../models/variants.ts';
import { loadTokenizer, type Qwen3Tokenizer } from '../tokenizer/qwen3.ts';
import { encodePng } from './png.ts';
import { GpuMonitor, VramSampler } from '../runtime/vram.ts';
import { CensusRecorder, type DitCensusScope } from '../runtime/census-recorder.ts';
import { assertRunnable, capabilities } from '../runtime/capabilities.ts';
import type { OrtOptions } from '../runtime/ort-options.ts';
import { chooseResidency, freeMemoryBytes, RunnerPool, type Residency } from '../runtime/residency.ts';
import { assertHonest, auditModel, type ModelAudit } from '../audit.ts';
import { countNonFinite, imageHealth, summarize, type Health, type StepHealth } from './health.ts';
import { pngText, type RunFacts } from './metadata.ts';
import { toPixels } from './pixels.ts';
import { validateRequest } from './validate.ts';
import { decodeTiled, DEFAULT_TILES, vaeDecodeBytes } from './tiled-vae.ts';
import { DitLoras, type BuiltStack } from '../lora/lora-stack.ts';
import type { ComponentRunInfo, ExecutionProvider, GenerateOptions, GenerateRequest, GenerateResult, LoraEvidence, ModelEntry, Precision, ProgressEvent, RecordedRequest } from './types.ts';
import { VaeEncoderRunner } from '../vae-encoder-runner.ts';
import { blendMasked, img2imgStart, posteriorLatents, scaleNoise } from '../sampling/img2img.ts';
import { finishImage, imageSettings, prepareImage } from './image-to-image.ts';
import { hiresSize } from './hires.ts';
import { resize } from './image-ops.ts';
import { encodeTiled } from './tiled-encode.ts';

// Moved to their own modules; re-exported for the callers that import them from here.
export { LIMITS } from './rules.ts';
import { LIMITS } from './rules.ts';
export { validateRequest } from './validate.ts';
export { toPixels } from './pixels.ts';
export { a1111Parameters, promptWithLoraTags, VERSION } from './metadata.ts';
export type { Residency } from '../runtime/residency.ts';

/** The family this pipeline runs: its latent channels, VAE factor, schedule shift and model time. */
const FAMILY = FAMILIES['z-image'];

/** The request as it ran (each LoRA with its file's sha256) and the stack's evidence; both unchanged without LoRAs. */
function loraFacts(requested: RecordedRequest, stack: BuiltStack | undefined): { settings: RecordedRequest; loras?: LoraEvidence[] } {
  if (!stack?.loras.length) return { settings: requested };
  return {
    settings: { ...requested, loras: stack.loras.map(({ name, weight, sha256 }) => ({ name, weight, sha256 })) },
    loras: stack.loras.map((l, i) => ({ name: l.name, weight: l.weight, sha256: l.sha256, formats: stack.effects[i].formats, modules: stack.effects[i].modules, layers: stack.effects[i].layers })),
  };
}

/** The clean-image estimate of a flow-matching step, x0 = z + σ·v (v ≈ x0 − ε, z = (1 − σ)·x0 + σ·ε). */
export function denoisedEstimate(z: Float32Array, v: Float32Array, sigma: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i] + sigma * v[i];
  return out;
}

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
  ditCensus?: DitCensusScope;
  /** onnxruntime session settings: the studio's ZIMAGE_ORT_* from lib/env.ts, the CLI's own. */
  ort?: OrtOptions;
  /** Where request LoRA names are looked up (default: `loras/` beside the model folders, i.e. WEIGHTS_DIR/loras). */
  loraDir?: string;
}

type Runners = { te: TextEncoderRunner; dit: DitRunner; vae: VaeRunner };
type TextFeatures = { features: Float32Array; count: number; truncated: boolean };
type ZImageManifest = Extract<Manifest, { family: 'z-image' }>;

/** One generation's state that every phase shares. */
interface RunContext {
  req: GenerateRequest;
  signal?: AbortSignal;
  /** Ends a phase: adds its time and reports progress. */
  phase: (name: ProgressEvent['phase'], extra?: Partial<ProgressEvent>) => void;
  /** Reports progress without ending a phase (the decode as it starts). */
  announce: (event: ProgressEvent) => void;
  /** After each denoising step: the clean-image estimate, for live previews (GenerateOptions.onDenoised). */
  onDenoised?: GenerateOptions['onDenoised'];
  checkAbort: () => void;
  timings: Record<string, number>;
  t0: number;
  vram?: VramSampler;
  /** Hires fix: the first pass writes no PNG; the second records the request as sent (first-pass size + hires). */
  pass?: { png?: boolean; recorded?: RecordedRequest };
}

export class ZImagePipeline {
  private featureCache = new Map<string, TextFeatures>();
  /** Decode + PNG milliseconds per latent pixel of the last generation, for an ETA that includes them. */
  private tailMsPerLatentPixel?: number;
  /** One looping nvidia-smi for the pipeline's life (CUDA only): no process is forked during a generation. */
  private readonly monitor?: GpuMonitor;
  /** The VAE encoder, loaded on the first image input (text-to-image never loads it). */
  private encoder?: VaeEncoderRunner;
  private readonly dir: string;
  private readonly ort?: OrtOptions;

  private constructor(
    readonly model: ModelEntry,
    readonly manifest: ZImageManifest,
    readonly precision: Precision,
    readonly ep: ExecutionProvider,
    readonly residency: Residency,
    private readonly deviceId: number,
    private readonly tokenizer: Qwen3Tokenizer,
    private readonly runners: RunnerPool<Runners>,
    private readonly census: CensusRecorder,
    /** What the ONNX files hold, read back at load time (weights dtype, compute dtype, fp32 parts). */
    readonly audit: ModelAudit,
    /** The LoRA stack the DiT's weights hold (lora/lora-stack.ts): the last one is kept. */
    private readonly loras: DitLoras,
    session: { dir: string; ort?: OrtOptions },
  ) {
    if (ep === 'cuda') this.monitor = GpuMonitor.acquire(deviceId);
    this.dir = session.dir;
    this.ort = session.ort;
  }

  /** How many LoRA stacks were merged so far (a repeated stack is not merged again). */
  get loraMerges(): number {
    return this.loras.merges;
  }

  /** Which DiT calls the census of the profiled generation covers (LoadOptions.ditCensus). */
  get ditCensusScope(): DitCensusScope {
    return this.census.ditScope;
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
    if (manifest.family !== 'z-image') throw new EngineError('model-mismatch', `${dir} is a ${manifest.family} model; this pipeline runs Z-Image`);
    const audit = auditModel(dir);
    assertHonest(audit);
    const te = manifest.components.te?.config, dit = manifest.components.dit?.config;
    if (te?.hidden !== dit?.capFeatDim) {
      throw new EngineError('model-mismatch', `the text encoder gives ${te?.hidden}-wide features but the DiT reads ${dit?.capFeatDim}`, { hint: 'convert the text encoder that belongs to this DiT' });
    }
    const tokenizer = await loadTokenizer(manifest.tokenizer ? path.join(dir, manifest.tokenizer) : undefined);
    // Sequential residency keeps the precision: only one component's weights are in memory at a time.
    const weights = Object.values(manifest.components).reduce((sum, c) => sum + (c?.weightBytes ?? 0), 0);
    const residency = chooseResidency(options.residency, weights, ep, options.deviceId);
    const deviceId = options.deviceId ?? 0;
    const census = new CensusRecorder({ enabled: options.census !== false, ditScope: options.ditCensus, residency, precision, ep });
    // Sessions profile their first generation: the dtype census comes from the sessions that made the image.
    const session = (profilePrefix: string | undefined) => ({ ep, deviceId, profilePrefix, ort: options.ort });
    const ditInfo = manifest.components.dit!;
    const loras = new DitLoras(options.loraDir ?? path.join(path.dirname(model.dir), 'loras'), dir, ditInfo.file, ditInfo.config, residency === 'sequential');
    const runners = new RunnerPool<Runners>(residency, {
      te: (p) => TextEncoderRunner.load(dir, manifest, session(p)),
      // the DiT from the merged weights in memory while a LoRA stack is on, else from its files
      dit: async (p) => {
        const runner = await DitRunner.load(dir, manifest, { ...session(p), inMemory: await loras.model() });
        loras.sessionCreated();
        return runner;
      },
      vae: (p) => VaeRunner.load(dir, manifest, session(p)),
    }, { profilePrefix: (c) => census.profilePrefix(c), phaseDone: (c, runner) => census.phaseDone(c, runner) });
    const pipe = new ZImagePipeline(model, manifest, precision, ep, residency, deviceId, tokenizer, runners, census, audit, loras, { dir, ort: options.ort });
    if (residency === 'resident') for (const c of ['te', 'dit', 'vae'] as const) await runners.get(c);
    return pipe;
  }

  get components(): ComponentRunInfo[] {
    return (['te', 'dit', 'vae'] as const).map((c) => {
      const info = this.manifest.components[c]!;
      const source = info.source.precision && { label: info.source.precision.label, quantised: info.source.precision.quantised, note: info.source.precision.note };
      return { component: c, precision: info.precision, ep: this.ep, reason: info.reason, ...(source ? { source } : {}) };
    });
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
  private async encode(prompt: string, t: ReturnType<Qwen3Tokenizer['encodePrompt']>): Promise<TextFeatures> {
    const entry = { features: await (await this.runners.get('te')).encode(t.ids), count: t.count, truncated: t.truncated };
    this.featureCache.set(prompt, entry);
    if (this.featureCache.size > 32) this.featureCache.delete(this.featureCache.keys().next().value!);
    return entry;
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
      const announce = (event: ProgressEvent) => opts.onProgress?.(event);
      const ctx = { signal: opts.signal, phase, announce, onDenoised: opts.onDenoised, checkAbort, timings, t0, vram };
      const full = this.withVariantDefaults(req);
      if (!full.hires) return await this.run({ ...ctx, req: full });
      // Hires fix: the first pass, its pixels upscaled (Lanczos-3), then image-to-image at the larger size
      validateRequest(full, this);
      const { hires, ...first } = full;
      const base = await this.run({ ...ctx, req: first, pass: { png: false } });
      const { width, height } = hiresSize(full.width, full.height, hires.scale, LIMITS);
      const rgb = resize(base.pixels, full.width, full.height, 3, width, height);
      phase('hires');
      const second = { ...first, width, height, steps: hires.steps ?? full.steps, image: { rgb, width, height, strength: hires.strength } };
      // recorded as A1111 writes it: the first pass's size, seed and steps, plus the hires options
      return await this.run({ ...ctx, req: second, pass: { recorded: settingsOf(full) } });
    } finally {
      if (this.residency === 'sequential') for (const c of ['te', 'dit', 'vae'] as const) await this.runners.done(c);
      await vram?.stop();
    }
  }

  /** The variant's defaults for what the request leaves open (Z-Image base: CFG normalisation), recorded in the result. */
  private withVariantDefaults(req: GenerateRequest): GenerateRequest {
    const variant = variantSpec(this.manifest.variant);
    if (req.cfgNormalization !== undefined || !variant.cfgNormalization || req.cfg <= 1) return req;
    return { ...req, cfgNormalization: variant.cfgNormalization };
  }

  /** The schedule's shift: the checkpoint's own scheduler config when the conversion found one, else the variant's. */
  get shift(): number {
    return this.manifest.scheduler?.shift ?? variantSpec(this.manifest.variant).shift;
  }

  private async run(ctx: RunContext): Promise<GenerateResult> {
    const { req, phase, checkAbort, timings } = ctx;
    // 1. validate
    validateRequest(req, this);
    const w = req.width / FAMILY.vaeFactor, h = req.height / FAMILY.vaeFactor;
    const guidance = req.cfg - 1; // classic CFG → the reference's w
    // the LoRA stack: files found, hashed and checked before any work; merged only when it changed
    const lora = await this.loras.use(req.loras, () => this.runners.release('dit'));
    phase('validate');
    checkAbort();

    // noise, started first (step 4 collects it): torch.manual_seed(seed); torch.randn(1,16,h,w) — or the given
    // latents. The draws happen now; the Box-Muller blocks run on the noise threads while the text encoder runs.
    const noiseStart = performance.now();
    // With image input and the 'sample' posterior, the reference draws the posterior's ε first and the noise second
    // from one generator: [2,16,h,w] in one call is both (16·h·w is a multiple of 16, so the blocks align).
    const plane = FAMILY.latentChannels * h * w;
    const twoDraws = req.image?.posterior === 'sample' && !req.latents;
    const draws = req.latents ? Promise.resolve(Float32Array.from(req.latents)) : randnAsync(req.seed, [twoDraws ? 2 : 1, FAMILY.latentChannels, h, w]);
    const noise = twoDraws ? draws.then((d) => d.subarray(plane)) : draws;
    const posteriorEps = twoDraws ? draws.then((d) => d.subarray(0, plane)) : undefined;
    const noiseDraws = performance.now() - noiseStart;
    noise.catch(() => undefined); // awaited in step 4; a failure before then must not leave it unhandled

    // 2. tokenize (prompt, and the negative once per generation when guidance is on)
    const prompts = guidance > 0 ? [req.prompt, req.negativePrompt ?? ''] : [req.prompt];
    const tokens = prompts.map((p) => this.cached(p) ?? this.tokenizer.encodePrompt(p));
    phase('tokenize');

    // 3. encode: text features, cached per prompt
    const features: TextFeatures[] = [];
    for (let i = 0; i < prompts.length; i++) {
      const t = tokens[i];
      features.push('features' in t ? t : await this.encode(prompts[i], t));
    }
    const teProfiled = Boolean(this.runners.loaded('te')?.session.profiling);
    await this.runners.done('te');
    if (this.census.warmEmptyPrompt(teProfiled) && !this.featureCache.has('')) await this.encode('', this.tokenizer.encodePrompt(''));
    const [pos, neg] = features;
    const capDim = this.manifest.components.dit!.config.capFeatDim;
    const L = pos.features.length / capDim;
    const Ln = neg ? neg.features.length / capDim : 0;
    phase('encode');
    checkAbort();

    // 4. noise: collected (its draws were timed above and are counted here, not in tokenize)
    const initialNoise = await noise;
    timings.tokenize -= noiseDraws;
    timings.noise = noiseDraws;
    phase('noise');

    // 4b. image input (img2img, inpainting): the source through the VAE encoder, noised to the first kept step's σ
    // (scale_noise); the schedule then runs its last ⌈steps·strength⌉ steps (ZImageImg2ImgPipeline.get_timesteps)
    const sig = sigmas(req.steps, this.shift);
    let start = 0;
    let z0 = initialNoise;
    let imageLatents: Float32Array | undefined;
    const prep = req.image && prepareImage(req, FAMILY.vaeFactor);
    if (req.image && prep) {
      start = img2imgStart(req.steps, req.image.strength);
      const enc = await this.encodeImage(prep.model, req.height, req.width);
      const cfg = this.encoder!.config;
      imageLatents = posteriorEps ? posteriorLatents(enc.mean, enc.logvar, await posteriorEps, cfg.shiftFactor, cfg.scalingFactor) : enc.latents;
      z0 = scaleNoise(imageLatents, initialNoise, sig[start]);
      phase('image');
      checkAbort();
    }
    const kept = req.steps - start;
    const mask = prep?.latentMask;

    // 5. denoise: Euler on the flow-match sigmas (the model's shift), the DiT at model time t = 1 − σ
    const dit = await this.runners.get('dit');
    const stepStart = performance.now();
    const stepHealth: StepHealth[] = [];
    const velocity = async (z: Float32Array, sigma: number, step: number) => {
      const t = FAMILY.modelTime(sigma);
      let v = await dit.velocity(z, h, w, t, pos.features, L);
      if (neg) {
        const vNeg = await dit.velocity(z, h, w, t, neg.features, Ln);
        v = applyGuidance(v, vNeg, { w: guidance, tModel: t, truncation: req.cfgTruncation ?? 1, normalization: req.cfgNormalization || undefined });
      }
      if (step === 0 && this.census.ditScope === 'first-step') await this.runners.done('dit', { keep: true });
      ctx.onDenoised?.(denoisedEstimate(z, v, sigma), h, w, step + 1);
      return v;
    };
    const { latents: z, steps } = await sampleEuler(z0, sig.subarray(start), velocity, {
      signal: ctx.signal,
      // inpainting: outside the mask, the source latents re-noised to the next σ (ZImageInpaintPipeline's blend)
      blend: mask && imageLatents ? (x, sigmaNext) => blendMasked(x, imageLatents!, initialNoise, sigmaNext, mask, FAMILY.latentChannels) : undefined,
      onStep: (step, latents) => {
        const bad = countNonFinite(latents);
        stepHealth.push({ step, ...bad });
        const elapsed = performance.now() - stepStart;
        const tail = this.tailMsPerLatentPixel === undefined ? undefined : this.tailMsPerLatentPixel * h * w;
        phase('denoise', {
          step, totalSteps: kept, etaMs: (elapsed / step) * (kept - step) + (tail ?? 0),
          ...(tail === undefined ? { etaWithoutDecode: true } : {}),
        });
        // Every value NaN: nothing left to denoise (an fp16 overflow); stop and report instead of burning steps.
        return bad.nan === latents.length;
      },
    });
    const stoppedEarly = steps < kept;
    await this.runners.done('dit');
    checkAbort();

    // 6. decode: tiled when forced or when the whole decode would not fit in free memory (same precision either way).
    // Announced as it starts: it is the longest silent phase (2–3 s at 1024² on the CPU, ~70 s at 2048²).
    const tailStart = performance.now();
    ctx.announce({
      phase: 'decode', started: true, elapsedMs: tailStart - ctx.t0,
      ...(this.tailMsPerLatentPixel === undefined ? {} : { etaMs: this.tailMsPerLatentPixel * h * w }),
    });
    const vae = await this.runners.get('vae');
    const tiled = Boolean(req.tiledVae) || vaeDecodeBytes(h, w, vae.config.upChannels.at(-1)!, this.precision === 'fp32' ? 4 : 2) > freeMemoryBytes(this.ep, this.deviceId, this.monitor);
    const image = tiled
      ? await decodeTiled(z, FAMILY.latentChannels, h, w, FAMILY.vaeFactor, (tile, th, tw) => vae.decode(tile, th, tw), DEFAULT_TILES, checkAbort)
      : await vae.decode(z, h, w);
    await this.runners.done('vae');
    phase('decode');

    // 7. PNG with the A1111 parameters and our own JSON metadata
    const census = this.census.finishGeneration();
    const decoded = toPixels(image, req.width, req.height);
    const imgHealth = imageHealth(decoded);
    const health: Health = { steps: stepHealth, stoppedEarly, image: imgHealth, ...summarize(stepHealth, imgHealth, this.precision) };
    // inpainting: the source pasted back outside the blurred mask; "only masked": the box scaled back into the source
    const out = req.image && prep ? finishImage(decoded, req, prep) : { pixels: decoded, width: req.width, height: req.height };
    const pixels = out.pixels;
    const { settings, loras } = loraFacts(ctx.pass?.recorded ?? settingsOf(req), lora.stack);
    timings.lora = lora.ms;
    const facts: RunFacts = {
      request: settings, model: { id: this.model.id, name: this.model.name }, components: this.components,
      tokens: { count: pos.count, truncated: pos.truncated }, vae: { tiled }, residency: this.residency, memory: await ctx.vram?.stop(),
      health, census, audit: this.audit, ...(loras && { loras }),
    };
    const png = ctx.pass?.png === false ? new Uint8Array() : await encodePng(pixels, out.width, out.height, pngText(facts, timings));
    if (ctx.pass?.png !== false) {
      phase('png');
      this.tailMsPerLatentPixel = (performance.now() - tailStart) / (h * w);
    }
    timings.total = performance.now() - ctx.t0;
    return { pixels, width: out.width, height: out.height, png, ...facts, timings };
  }

  /** The source image through the VAE encoder (tiled like the decode when it would not fit), loaded on first use. */
  private async encodeImage(image: Float32Array, H: number, W: number) {
    this.encoder ??= await VaeEncoderRunner.load(this.dir, this.manifest, { ep: this.ep, deviceId: this.deviceId, profilePrefix: this.census.profilePrefix('vae-encoder'), ort: this.ort });
    const enc = this.encoder;
    const F = FAMILY.vaeFactor;
    const tiled = vaeDecodeBytes(H / F, W / F, enc.config.downChannels[0], this.precision === 'fp32' ? 4 : 2) > freeMemoryBytes(this.ep, this.deviceId, this.monitor);
    const out = tiled ? await encodeTiled(image, H, W, F, FAMILY.latentChannels, (tile, th, tw) => enc.encode(tile, th, tw)) : await enc.encode(image, H, W);
    this.census.encoderDone(enc);
    if (this.residency === 'sequential') { this.encoder = undefined; await enc.release(); }
    return out;
  }

  async release(): Promise<void> {
    this.census.release();
    this.monitor?.release();
    await this.runners.releaseAll();
    await this.encoder?.release();
    this.encoder = undefined;
  }
}

/** The request as recorded: no latents, the image input without its pixels. */
function settingsOf(req: GenerateRequest): RecordedRequest {
  const { latents: _latents, image, ...rest } = req;
  return image ? { ...rest, image: imageSettings(image) } : rest;
}
