// What GET /api/system returns and the browser builds its pickers from, plus the job types shared by routes and
// the browser. Deliberately types only (and one mapper): no machine probing and no server code.
import type { JobImage } from './images/job-image.ts';
import type { ExecutionProvider, GenerateRequest, ImageInput, ModelEntry, Precision, SystemInfo } from '../inference/pipeline/types.ts';
import type { JobSnapshot, QueueHealth } from './queue/types.ts';
import type { ResultRecord } from './results.ts';

/** A model as the browser sees it: no absolute paths from the server's disk. */
export type ModelInfo = Omit<ModelEntry, 'dir'>;

export function toModelInfo({ dir: _dir, ...model }: ModelEntry): ModelInfo {
  return model;
}

export interface SystemResponse {
  system: SystemInfo;
  /** Where jobs run: ZIMAGE_EP, or with 'auto' CUDA when available, else the CPU. */
  ep: ExecutionProvider;
  models: ModelInfo[];
  /** The model used when a request names none: the first real model, else the trained demo, else the tiny one. */
  defaultModel: string | null;
  /** Where jobs wait and run: in this process, or on Redis with these workers (README, "Scaling out"). */
  queue?: QueueHealth & { workers: WorkerSummary[] };
  /** This server's RAM: what a generation on the CPU is measured against (the memory estimate under Size). */
  host?: { memoryTotalMiB: number; memoryFreeMiB: number };
}

/** A live worker of the Redis queue, as GET /api/system lists it. */
export interface WorkerSummary {
  name: string;
  host: string;
  model: string;
  precision: Precision;
  ep: ExecutionProvider;
  device: number;
  /** The job it runs now. */
  running: string | null;
  done: number;
  averageMs?: number;
}

/** A job's input, fully resolved at submit time so a bad model or precision fails the POST, not the job. */
export interface JobInput {
  modelId: string;
  request: Omit<GenerateRequest, 'latents' | 'image'>;
  /** Image input by stored upload id (lib/images/uploads.ts); the pixels are read just before the engine runs. */
  image?: JobImage;
  /** The pixels of `image`, read on the server just before the engine runs (in-process queue); never journaled. */
  resolvedImage?: ImageInput;
  /** A batch (count > 1): every image's seed, resolved at submit time, in order (lib/batch.ts). */
  batch?: { seeds: number[]; random: boolean };
  /** false: the job's events carry no live preview images (absent = previews on). */
  preview?: false;
}

/** The seeds a job runs, one per image. */
export function jobSeeds(input: JobInput): number[] {
  return input.batch?.seeds ?? [input.request.seed];
}

export type StudioJob = JobSnapshot<JobInput, ResultRecord>;
