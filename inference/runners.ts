// Runners for the three converted components: each owns one onnxruntime session (through the runtime module)
// and computes the small per-size tables its graph takes, caching them per size. Shared by `zimage eval`, the
// pipeline and the benchmarks. They deliberately hold no scheduler state and no tokenizer.
import fs from 'node:fs';
import path from 'node:path';
import { census, readProfile, type Census } from './runtime/census.ts';
import { EngineError } from './errors.ts';
import { readManifest, type ComponentManifest, type Manifest } from './manifest.ts';
import { ditCaptionInputs, ditGridInputs, paddedCaptionLength, type DitConfig } from './models/z-image-dit.ts';
import { qwen3AuxInputs, type Qwen3Config } from './models/qwen3-encoder.ts';
import { vaeAuxInputs, type VaeConfig } from './models/flux-vae.ts';
import { Session, type SessionOptions } from './runtime/onnx-runtime.ts';
import type { ComponentName } from './pipeline/types.ts';
import type { HostTensor } from './tensor.ts';

abstract class Runner<C> {
  protected constructor(readonly session: Session, readonly config: C, readonly info: ComponentManifest<C>) {}

  /** Ends this session's profile and returns its census (once; undefined if it was not profiling). */
  takeCensus(): Census | undefined {
    const file = this.session.endProfiling();
    if (!file) return undefined;
    const c = census(readProfile(file), this.session.ep);
    fs.rmSync(file, { force: true });
    return c;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

async function open<C extends ComponentName>(dir: string, manifest: Manifest, name: C, opts: SessionOptions) {
  const info = manifest.components[name];
  if (!info) {
    throw new EngineError('model-missing-component', `${dir} has no ${name.toUpperCase()} (converted: ${Object.keys(manifest.components).join(', ')})`, {
      hint: `convert it: zimage convert SRC --out ${path.dirname(dir)} --precision ${manifest.precision} --components ${name}`,
    });
  }
  if (manifest.precision === 'bf16' && opts.ep !== 'cuda') {
    throw new EngineError('bf16-needs-cuda', `${dir} is a bf16 model; bf16 runs only on the CUDA execution provider`, {
      hint: 'use --ep cuda on an NVIDIA GPU with compute capability ≥ 8.0, or use an fp32 conversion on the CPU',
    });
  }
  return { session: await Session.create(path.join(dir, info.file), opts), info };
}

export class DitRunner extends Runner<DitConfig> {
  private grid = new Map<string, Record<string, HostTensor>>();

  static async load(dir: string, manifest: Manifest, opts: SessionOptions): Promise<DitRunner> {
    const { session, info } = await open(dir, manifest, 'dit', opts);
    return new DitRunner(session, info.config, info);
  }

  /** Velocity v [1,16,h,w] for latents x [1,16,h,w], model time t = 1 − σ, caption features [L, capDim]. */
  async velocity(x: Float32Array, h: number, w: number, t: number, cap: Float32Array, L: number): Promise<Float32Array> {
    const C = this.config.inChannels;
    if (x.length !== C * h * w) throw new EngineError('dit-bad-input', `latents have ${x.length} values, expected ${C}×${h}×${w}`);
    if (cap.length !== L * this.config.capFeatDim) {
      throw new EngineError('dit-bad-input', `caption features have ${cap.length} values, expected ${L}×${this.config.capFeatDim}`, {
        hint: 'the text encoder and the DiT come from different models?',
      });
    }
    // RoPE tables and positions per latent size and caption bucket (a new caption length in the bucket costs nothing)
    const caption = ditCaptionInputs(L);
    const Lp = paddedCaptionLength(L);
    const key = `${h}x${w}x${Lp}`;
    let grid = this.grid.get(key);
    if (!grid) {
      grid = ditGridInputs(this.config, h, w, Lp);
      if (this.grid.size > 8) this.grid.clear();
      this.grid.set(key, grid);
    }
    const out = await this.session.run({
      ...grid,
      ...caption,
      x: { type: 'float32', dims: [1, C, h, w], data: x },
      t: { type: 'float32', dims: [1], data: Float32Array.of(t) },
      cap_feats: { type: 'float32', dims: [L, this.config.capFeatDim], data: cap },
    });
    return out.v.data;
  }
}

/** Token ids are padded to a multiple of this before the text encoder runs (see TextEncoderRunner.encode). */
export const TE_BUCKET = 32;
/** <|endoftext|>, Qwen's pad token. */
const TE_PAD_ID = 151643;

export class TextEncoderRunner extends Runner<Qwen3Config> {
  static async load(dir: string, manifest: Manifest, opts: SessionOptions): Promise<TextEncoderRunner> {
    const { session, info } = await open(dir, manifest, 'te', opts);
    return new TextEncoderRunner(session, info.config, info);
  }

  /**
   * Features [L, hidden] for token ids [L]. The ids are padded to a multiple of TE_BUCKET with <|endoftext|> and the
   * extra rows dropped: attention is causal, so trailing pads change no real token's features (the reference pads
   * to 512 the same way, with a mask), and prompts of similar length share one shape, so onnxruntime does not
   * re-plan the session for every new prompt length (a first run at a new length measured ~75–100 ms slower on the
   * H200 than a repeated one).
   */
  async encode(ids: ArrayLike<number>): Promise<Float32Array> {
    const L = ids.length;
    if (L < 1) throw new EngineError('te-empty', 'no tokens to encode');
    for (let i = 0; i < L; i++) {
      if (ids[i] < 0 || ids[i] >= this.config.vocab) throw new EngineError('te-bad-token', `token id ${ids[i]} is outside the vocabulary (0..${this.config.vocab - 1})`);
    }
    const Lb = Math.ceil(L / TE_BUCKET) * TE_BUCKET;
    const padded = new BigInt64Array(Lb).fill(BigInt(TE_PAD_ID < this.config.vocab ? TE_PAD_ID : 0));
    for (let i = 0; i < L; i++) padded[i] = BigInt(ids[i]);
    const out = await this.session.run({
      ...qwen3AuxInputs(this.config, Lb),
      input_ids: { type: 'int64', dims: [Lb], data: padded },
    });
    const features = out.features.data as Float32Array;
    return Lb === L ? features : features.slice(0, L * this.config.hidden);
  }
}

export class VaeRunner extends Runner<VaeConfig> {
  static async load(dir: string, manifest: Manifest, opts: SessionOptions): Promise<VaeRunner> {
    const { session, info } = await open(dir, manifest, 'vae', opts);
    return new VaeRunner(session, info.config, info);
  }

  /** Image [1,3,8h,8w] (about [−1,1]) for pipeline latents [1,16,h,w]. */
  async decode(latents: Float32Array, h: number, w: number): Promise<Float32Array> {
    const C = this.config.latentChannels;
    if (latents.length !== C * h * w) throw new EngineError('vae-bad-input', `latents have ${latents.length} values, expected ${C}×${h}×${w}`);
    const out = await this.session.run({ ...vaeAuxInputs(this.config, h, w), latents: { type: 'float32', dims: [1, C, h, w], data: latents } });
    return out.image.data;
  }

  /** Pixel scale factor: the decoder upsamples by 2 per up block but the last. */
  get scale(): number {
    return 2 ** (this.config.upChannels.length - 1);
  }
}

export { readManifest };
