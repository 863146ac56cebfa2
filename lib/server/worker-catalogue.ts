// With the Redis queue, what the studio offers is what the live workers serve: models, precisions and execution
// providers come from their adverts (lib/queue/bull-worker.ts), not from this server's disk or GPU, so a web server
// without a GPU fronts GPU workers. Deliberately the same surface as EngineAdapter (Catalogue), so routes and
// GET /api/system do not know which back end runs.
import type { Catalogue } from '../engine/index.ts';
import { StudioError } from '../errors.ts';
import { splitBatch } from '../batch.ts';
import type { GenerationParams } from '../params.ts';
import { PRECISION_LABELS } from '../precision.ts';
import { defaultModel, resolveModelPrecision } from '../resolve.ts';
import { jobImage } from '../images/job-image.ts';
import { withPromptLoras } from '../loras.ts';
import type { WorkerAdvert } from '../queue/redis-protocol.ts';
import type { JobInput, ModelInfo } from '../system.ts';
import { PRECISIONS, type ExecutionProvider, type ModelEntry, type Precision, type SystemInfo } from '../../inference/pipeline/types.ts';

/** What a studio worker announces besides its queue (lib/worker/main.ts). */
export interface StudioWorkerInfo {
  model: ModelInfo;
  precision: Precision;
  ep: ExecutionProvider;
  /** CUDA device index (meaningful on 'cuda'). */
  device: number;
  system: SystemInfo;
}

export type StudioWorker = WorkerAdvert<StudioWorkerInfo>;

export class WorkerCatalogue implements Catalogue {
  private readonly workers: () => Promise<StudioWorker[]>;
  /** How to start a worker, for the messages (the Redis URL, password hidden). */
  private readonly where: string;

  constructor(workers: () => Promise<StudioWorker[]>, where: string) {
    this.workers = workers;
    this.where = where;
  }

  private noWorker(): string {
    return `No worker is connected to the queue at ${this.where}. Start one with \`REDIS_URL=… npm run worker\` (README, "Scaling out").`;
  }

  /** A machine summary of all workers: the union of what they can run, the first GPU among them. */
  async system(): Promise<SystemInfo> {
    const live = await this.workers();
    const first = live[0]?.info.system;
    const eps = [...new Set<ExecutionProvider>(['cpu', ...live.map((worker) => worker.info.ep)])];
    return {
      node: first?.node ?? process.version,
      onnxruntime: first?.onnxruntime ?? 'unknown (no worker)',
      eps,
      precisions: PRECISIONS.map((precision) => {
        if (live.some((worker) => worker.info.precision === precision)) return { precision, available: true };
        const reason = live.length
          ? `No worker serves ${PRECISION_LABELS[precision]}: start one with ZIMAGE_WORKER_PRECISION=${precision} npm run worker.`
          : this.noWorker();
        return { precision, available: false, reason };
      }),
      gpu: live.find((worker) => worker.info.system.gpu)?.info.system.gpu,
    };
  }

  /** One entry per model, with the precisions some live worker serves. */
  async models(): Promise<ModelEntry[]> {
    const byId = new Map<string, ModelEntry>();
    for (const { info } of await this.workers()) {
      const entry = byId.get(info.model.id) ?? { ...info.model, dir: '', precisions: [] };
      if (!entry.precisions.includes(info.precision)) entry.precisions = [...entry.precisions, info.precision];
      byId.set(info.model.id, entry);
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async ep(): Promise<ExecutionProvider> {
    return (await this.workers()).some((worker) => worker.info.ep === 'cuda') ? 'cuda' : 'cpu';
  }

  defaultModel(models: readonly ModelEntry[]): ModelEntry | undefined {
    return defaultModel(models);
  }

  /** A job some live worker can run, or an error that says which worker to start. */
  async resolve(input: GenerationParams): Promise<JobInput> {
    // LoRA names are checked by the worker that runs the job (its WEIGHTS_DIR/loras); the tags leave the prompt here.
    const params = withPromptLoras(input);
    const live = await this.workers();
    if (live.length === 0) throw new StudioError('no_worker', this.noWorker(), undefined, { retryAfterS: 10 });
    const models = await this.models();
    // A precision is available for a model exactly when some live worker serves that pair.
    const { model, precision } = resolveModelPrecision(models, (await this.system()).precisions, params, {
      unknownModel: (requested) => ({
        message: `No worker serves model "${requested}". Served: ${models.map((entry) => entry.id).join(', ')}. ` +
          `Start a worker for it with ZIMAGE_WORKER_MODEL=${requested} npm run worker.`,
        hint: 'GET /api/system lists models and the precisions each one has.',
      }),
      noPrecision: (entry, wanted) => `No worker serves ${entry.name} in ${wanted ? PRECISION_LABELS[wanted] : 'any precision'}. ` +
        `Pick one of: ${entry.precisions.join(', ')}, or start a worker with ` +
        `ZIMAGE_WORKER_MODEL=${entry.id} ZIMAGE_WORKER_PRECISION=${wanted ?? 'bf16'} npm run worker.`,
    });
    const serving = live.filter((worker) => worker.info.model.id === model.id && worker.info.precision === precision);
    // Informative only: each worker runs the job on its own provider, and the result records which one.
    const ep = serving.some((worker) => worker.info.ep === 'cuda') ? 'cuda' : 'cpu';
    if (params.image) {
      throw new StudioError('image_input_unavailable', 'Image input runs only on the in-process engine: uploads live in this web server\'s DATA_DIR, which the Redis workers do not share.', 'Run the studio without REDIS_URL for img2img and inpainting.');
    }
    const { model: _model, precision: _precision, image, ...rest } = params;
    const { request, ...batch } = splitBatch(rest);
    return { modelId: model.id, request: { ...request, precision, ep }, ...batch, ...(image ? { image: jobImage(image) } : {}) };
  }
}
