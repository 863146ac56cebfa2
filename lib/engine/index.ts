// The studio's single door into inference/: it creates the default model, caches system info, resolves a request
// (model, precision, execution provider) and runs the one loaded ZImagePipeline — on the engine thread
// (lib/engine/thread-entry.ts) for the in-process queue, in the worker process for the Redis queue. Server-only by
// a runtime guard; deliberately holds no queue or storage logic (lib/server/studio.ts wires those) and no HTTP
// knowledge.
// The engine is loaded at run time from dist/engine/engine.mjs (scripts/build-engine.mjs), not bundled by Next.js:
// it stays plain Node, exactly as the CLI and the tests run it.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  ExecutionProvider,
  GenerateOptions,
  GenerateResult,
  ModelEntry,
  Precision,
  SystemInfo,
} from '../../inference/pipeline/types.ts';
import type { ModelAudit } from '../../inference/audit.ts';
import type { OrtOptions } from '../../inference/runtime/ort-options.ts';
import { StudioError } from '../errors.ts';
import { splitBatch } from '../batch.ts';
import type { GenerationParams } from '../params.ts';
import { PRECISION_LABELS } from '../precision.ts';
import { defaultModel, resolveModelPrecision } from '../resolve.ts';
import { jobImage } from '../images/job-image.ts';
import { withPromptLoras } from '../loras.ts';
import type { JobInput } from '../system.ts';
import type * as EngineModule from './entry.ts';

if (typeof window !== 'undefined') {
  throw new Error('lib/engine is server-only: import it from route handlers or server components, never the browser.');
}

export type Engine = typeof EngineModule;
type Pipeline = Awaited<ReturnType<Engine['loadPipeline']>>;

/** Where `npm start` / `npm run dev` put the compiled engine, relative to the project root (the server's cwd). */
export const ENGINE_BUNDLE = path.join('dist', 'engine', 'engine.mjs');

let engineModule: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  const file = path.resolve(ENGINE_BUNDLE);
  // The magic comments keep the bundler from following this import: the file is loaded by Node at run time.
  engineModule ??= (import(/* webpackIgnore: true */ /* turbopackIgnore: true */ pathToFileURL(file).href) as Promise<Engine>).catch(
    (cause: unknown) => {
      engineModule = undefined;
      throw new StudioError(
        'engine_not_built',
        `Cannot load the engine from ${file}: ${(cause as Error).message}. ` +
          'Run `npm run build:engine` (npm start and npm run dev do it), from the project folder.',
      );
    },
  );
  return engineModule;
}

export type EpSetting = 'auto' | ExecutionProvider;

/**
 * What routes need to turn parameters into a job and to describe where jobs run: this process's engine (the
 * in-process queue), or the workers behind the Redis queue (lib/server/worker-catalogue.ts).
 */
export interface Catalogue {
  system(): Promise<SystemInfo>;
  models(): Promise<ModelEntry[]>;
  ep(): Promise<ExecutionProvider>;
  defaultModel(models: readonly ModelEntry[]): ModelEntry | undefined;
  resolve(params: GenerationParams): Promise<JobInput>;
}

export class EngineAdapter implements Catalogue {
  private readonly weightsDir: string;
  private readonly epSetting: EpSetting;
  private readonly deviceId: number;
  private readonly ort: OrtOptions;
  private readonly engine: () => Promise<Engine>;
  private readyPromise?: Promise<ModelEntry>;
  private systemPromise?: Promise<SystemInfo>;
  private loaded?: { key: string; pipeline: Pipeline };
  private readonly audits = new Map<string, ModelAudit>();

  /**
   * `deviceId`: the CUDA device sessions are created on (a worker bound to one GPU); 0 by default. `engine`: where
   * the engine module comes from; the bundle in dist/ by default, while the worker (run by tsx, not Next.js)
   * imports lib/engine/entry.ts directly and needs no build. `ort`: onnxruntime session settings (lib/env.ts's
   * ortOptions).
   */
  constructor(weightsDir: string, epSetting: EpSetting, options: { deviceId?: number; ort?: OrtOptions; engine?: () => Promise<Engine> } = {}) {
    this.weightsDir = weightsDir;
    this.epSetting = epSetting;
    this.deviceId = options.deviceId ?? 0;
    this.ort = options.ort ?? {};
    this.engine = options.engine ?? loadEngine;
  }

  /** Creates weights/tiny/fp32 when absent (seconds, no network). Retried on the next call if it failed. */
  ready(): Promise<ModelEntry> {
    this.readyPromise ??= this.engine().then((engine) => engine.ensureDefaultModel(this.weightsDir)).catch((error: unknown) => {
      this.readyPromise = undefined;
      throw error;
    });
    return this.readyPromise;
  }

  system(): Promise<SystemInfo> {
    this.systemPromise ??= this.engine().then((engine) => engine.systemInfo()).catch((error: unknown) => {
      this.systemPromise = undefined;
      throw error;
    });
    return this.systemPromise;
  }

  /** The LoRA folder, WEIGHTS_DIR/loras: scanned on every call (headers only, cached per file). */
  async loras() {
    return (await this.engine()).listLoras(path.join(this.weightsDir, 'loras'));
  }

  /** Scanned on every call so models converted while the server runs appear without a restart. */
  async models(): Promise<ModelEntry[]> {
    await this.ready();
    return (await this.engine()).listModels(this.weightsDir);
  }

  async ep(): Promise<ExecutionProvider> {
    const { eps } = await this.system();
    if (this.epSetting === 'auto') return eps.includes('cuda') ? 'cuda' : 'cpu';
    if (!eps.includes(this.epSetting)) {
      throw new StudioError(
        'ep_unavailable',
        `ZIMAGE_EP=${this.epSetting} but onnxruntime-node cannot load the ${this.epSetting.toUpperCase()} provider here ` +
          `(available: ${eps.join(', ')}). Set ZIMAGE_EP=auto or cpu, or install the CUDA runtime (README, "GPU setup": npm run setup:gpu).`,
      );
    }
    return this.epSetting;
  }

  /** The first real model, else the trained demo, else the tiny random one. */
  defaultModel(models: readonly ModelEntry[]): ModelEntry | undefined {
    return defaultModel(models);
  }

  /** Turns validated parameters into a job the engine can run, or a 400 that says what to pick instead. */
  async resolve(input: GenerationParams): Promise<JobInput> {
    const params = withPromptLoras(input);
    const [models, system, ep] = await Promise.all([this.models(), this.system(), this.ep()]);
    if (params.loras?.length) {
      const known = new Set((await this.loras()).filter((l) => !l.problem).map((l) => l.name));
      const unknown = params.loras.filter((l) => !known.has(l.name)).map((l) => l.name);
      if (unknown.length) {
        throw new StudioError('unknown_lora', `No usable LoRA named ${unknown.map((n) => `"${n}"`).join(', ')} in ${path.join(this.weightsDir, 'loras')}. ` +
          `Available: ${[...known].slice(0, 20).join(', ') || 'none'}.`, 'Put .safetensors LoRAs in WEIGHTS_DIR/loras/ (subfolders allowed); GET /api/loras lists them and says why a file cannot be used.');
      }
    }
    const { model, precision } = resolveModelPrecision(models, system.precisions, params, {
      unknownModel: (requested) => ({
        message: requested
          ? `Model "${requested}" is not in ${this.weightsDir}. Available: ${models.map((entry) => entry.id).join(', ') || 'none'}.`
          : `No model in ${this.weightsDir}. Restart the server to create the tiny demo model, or convert real weights.`,
        hint: 'GET /api/system lists models and the precisions each one has.',
      }),
      noPrecision: (entry, wanted, chosen, available) => (wanted
        ? `${PRECISION_LABELS[wanted]} cannot run ${entry.name} here: ${(chosen?.reason ?? 'unknown precision').replace(/\.?$/, '.')} ` +
          `Pick one of: ${available.join(', ') || 'none'}.`
        : `${entry.name} has no precision this machine can run. Convert it in fp32 to run on the CPU.`),
    });
    const { model: _model, precision: _precision, image, ...rest } = params;
    const { request, ...batch } = splitBatch(rest);
    return { modelId: model.id, request: { ...request, precision, ep }, ...batch, ...(image ? { image: jobImage(image) } : {}) };
  }

  /** Runs one job. Loading a different model/precision/EP releases the previous pipeline first (one fits in memory). */
  async generate(input: JobInput, options: GenerateOptions): Promise<{ result: GenerateResult; model: ModelEntry }> {
    if (input.image && !input.resolvedImage) {
      throw new StudioError('image_input_unavailable', 'This job takes an image, and image input runs only on the in-process engine (the image stays in this server\'s DATA_DIR).', 'Run the studio without REDIS_URL for img2img and inpainting.');
    }
    const { model, pipeline } = await this.load(input.modelId, input.request.precision, input.request.ep);
    const result = await pipeline.generate(input.resolvedImage ? { ...input.request, image: input.resolvedImage } : input.request, options);
    return { result, model };
  }

  /** Loads the sessions of one model in one precision now (a worker does it at start), or reuses the loaded ones. */
  async load(modelId: string, precision: Precision, ep: ExecutionProvider): Promise<{ model: ModelEntry; pipeline: Pipeline }> {
    const model = (await this.models()).find((entry) => entry.id === modelId);
    if (!model) {
      throw new StudioError(
        'model_gone',
        `Model "${modelId}" was removed from ${this.weightsDir} while the job waited. Pick another model and retry.`,
      );
    }
    const key = `${model.dir}|${precision}|${ep}`;
    if (this.loaded?.key !== key) {
      const previous = this.loaded;
      this.loaded = undefined;
      await previous?.pipeline.release();
      const pipeline = await (await this.engine()).loadPipeline(model, precision, ep, { deviceId: this.deviceId, ort: this.ort });
      this.loaded = { key, pipeline };
    }
    return { model, pipeline: this.loaded.pipeline };
  }

  /**
   * The load-time audit of one converted precision, as the pipeline runs it before loading: it reads only the small
   * .onnx protobufs, never the weight data. Cached per folder until its manifest changes (a reconversion).
   */
  async audit(modelId: string, precision: Precision): Promise<{ model: ModelEntry; audit: ModelAudit }> {
    const model = (await this.models()).find((entry) => entry.id === modelId);
    if (!model) {
      throw new StudioError(404, 'unknown_model', `Model "${modelId}" is not in ${this.weightsDir}.`, 'GET /api/system lists the models.');
    }
    if (!model.precisions.includes(precision)) {
      throw new StudioError(
        'precision_not_converted',
        `${model.name} has no ${precision} conversion (it has: ${model.precisions.join(', ')}).`,
        `Convert it: npx tsx inference/cli/zimage.ts convert SRC... --out ${path.join(this.weightsDir, model.id)} --precision ${precision}`,
      );
    }
    const dir = path.join(model.dir, precision);
    const key = `${dir}|${fs.statSync(path.join(dir, 'manifest.json')).mtimeMs}`;
    let audit = this.audits.get(key);
    if (!audit) {
      audit = (await this.engine()).auditModel(dir);
      this.audits.set(key, audit);
    }
    return { model, audit };
  }

  async release(): Promise<void> {
    const previous = this.loaded;
    this.loaded = undefined;
    await previous?.pipeline.release();
  }
}

/** The text chunks of a PNG the engine wrote (tEXt and the UTF-8 iTXt it uses for Chinese prompts). */
export async function readPngText(png: Uint8Array): Promise<Record<string, string>> {
  return (await loadEngine()).readPngInfo(png).text;
}

let tokenizer: Promise<{ count: (text: string) => { count: number; truncated: boolean; dropped: number }; limit: number }> | undefined;

/**
 * How many tokens the text encoder reads for a prompt (chat template included) against its 512-token limit, with
 * the packaged Qwen3 tokenizer (the one every Z-Image conversion ships); loaded once, on the first call.
 */
export async function countPromptTokens(text: string): Promise<{ count: number; limit: number; truncated: boolean; dropped: number }> {
  tokenizer ??= loadEngine().then((engine) => {
    const loaded = engine.loadTokenizer();
    return {
      limit: engine.MAX_PROMPT_TOKENS,
      count: (prompt: string) => {
        const encoded = loaded.encodePrompt(prompt);
        return { count: encoded.count, truncated: encoded.truncated, dropped: encoded.droppedTokens };
      },
    };
  });
  const { count, limit } = await tokenizer;
  return { ...count(text), limit };
}

/** The LoRA files under WEIGHTS_DIR/loras as the engine reads them (headers only; GET /api/loras, /sdapi/v1/loras). */
export async function listLoraFiles(weightsDir: string) {
  return (await loadEngine()).listLoras(path.join(weightsDir, 'loras'));
}
