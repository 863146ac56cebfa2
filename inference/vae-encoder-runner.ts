// Runner for the VAE encoder graph (`vae-encoder.onnx`, recorded under the VAE's manifest entry): one onnxruntime
// session through the runtime module; image [3,H,W] in [−1,1] → pipeline latents and the posterior's mean and
// log-variance [16,H/8,W/8]. Shared by the pipeline, `zimage eval vae-encoder` and the tests.
// It deliberately holds no generator: the posterior sample, when wanted, is drawn by pipeline/image-latents.ts.
import fs from 'node:fs';
import path from 'node:path';
import { census, readProfile, type Census } from './runtime/census.ts';
import { EngineError } from './errors.ts';
import type { Manifest } from './convert.ts';
import { vaeEncoderAuxInputs, vaeEncoderFactor, type VaeEncoderConfig } from './models/flux-vae-encoder.ts';
import { Session, type SessionOptions } from './runtime/onnx-runtime.ts';

export interface EncodedImage {
  /** (mean − shift)·scale: what the DiT denoises. [16, h, w] */
  latents: Float32Array;
  /** The posterior's mean and log-variance (unclamped), for a posterior sample. [16, h, w] each */
  mean: Float32Array;
  logvar: Float32Array;
}

export class VaeEncoderRunner {
  private constructor(readonly session: Session, readonly config: VaeEncoderConfig) {}

  static async load(dir: string, manifest: Manifest, opts: SessionOptions): Promise<VaeEncoderRunner> {
    const enc = manifest.components.vae?.encoder;
    if (!enc) {
      throw new EngineError('model-no-vae-encoder', `${dir} has no VAE encoder: this model cannot take an image in`, {
        hint: `convert it again from the full VAE (diffusers vae/ or ae.safetensors, which carry the encoder): zimage convert SRC --out ${path.dirname(dir)} --precision ${manifest.precision}`,
      });
    }
    if (manifest.precision === 'bf16' && opts.ep !== 'cuda') {
      throw new EngineError('bf16-needs-cuda', `${dir} is a bf16 model; bf16 runs only on the CUDA execution provider`, {
        hint: 'use --ep cuda on an NVIDIA GPU with compute capability ≥ 8.0, or use an fp32 conversion on the CPU',
      });
    }
    return new VaeEncoderRunner(await Session.create(path.join(dir, enc.file), opts), enc.config);
  }

  /** Pixels per latent pixel (8 for FLUX). */
  get factor(): number {
    return vaeEncoderFactor(this.config);
  }

  /** Encodes image [1,3,H,W] fp32 in [−1,1]; H and W must be multiples of the factor. */
  async encode(image: Float32Array, H: number, W: number): Promise<EncodedImage> {
    const f = this.factor;
    if (H % f || W % f || H < f || W < f) throw new EngineError('vae-bad-input', `image is ${W}×${H}; the encoder needs both sides a multiple of ${f}`);
    if (image.length !== this.config.inChannels * H * W) {
      throw new EngineError('vae-bad-input', `image has ${image.length} values, expected ${this.config.inChannels}×${H}×${W}`);
    }
    const out = await this.session.run({ ...vaeEncoderAuxInputs(this.config, H, W), image: { type: 'float32', dims: [1, this.config.inChannels, H, W], data: image } });
    return { latents: out.latents.data, mean: out.mean.data, logvar: out.logvar.data };
  }

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
