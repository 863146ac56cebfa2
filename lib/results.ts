// The saved result as every layer sees it: the database row, the API's JSON, the gallery card and the share page.
// Deliberately plain JSON (no pixels, no tensors): images live as PNG files and are fetched by URL.
import type { ComponentName, ComponentRunInfo, LoraEvidence, Precision, RecordedRequest } from '../inference/pipeline/types.ts';

/** 128 random bits, base64url: share links cannot be guessed or enumerated. */
export const RESULT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isResultId(value: string): boolean {
  return RESULT_ID_PATTERN.test(value);
}

/**
 * Memory a run used. On the CPU there is no VRAM to report. On a GPU: the peak and the level after the run, sampled
 * by the engine while it ran, and the card's total; a missing peak means "not measured", never a guess.
 */
export type MemoryUsage =
  | { kind: 'cpu' }
  | {
      kind: 'gpu';
      peakMiB?: number;
      afterMiB?: number;
      totalMiB?: number;
      /** 'device': the whole GPU's use (nvidia-smi), so other processes on it count too; 'process': this one only. */
      scope?: 'process' | 'device';
      samples?: number;
    };

/** The badge's colour: green when the requested precision did the work on the requested EP (inference/runtime/census.ts). */
export type VerdictLevel = 'green' | 'amber' | 'red';

/** The dtype census of the run, from onnxruntime's profile of the sessions that made the image. */
export interface CensusEvidence {
  /** 'first generation of these sessions': measured on generation `generation` of the same sessions, not on this one. */
  scope: 'this generation' | 'first generation of these sessions';
  generation: number;
  verdict: { level: VerdictLevel; text: string; reasons: string[] };
  /** Node executions per execution provider, e.g. { cuda: 5120, cpu: 3 }. */
  byProvider: Record<string, number>;
  /** Share of the FLOPs (0..1) per onnxruntime dtype name: float, float16, bfloat16. */
  flopShare: Record<string, number>;
}

/** Numerical health: NaN/Inf in the latents after each step, early stop, and the black/flat check of the image. */
export interface HealthEvidence {
  steps: { step: number; nan: number; inf: number }[];
  firstBadStep?: number;
  stoppedEarly: boolean;
  /** The engine's one-line summary when something went wrong. */
  summary?: string;
  image: { mean: number; std: number; blackFraction: number; black: boolean; flat: boolean };
}

/** What the ONNX files of one component hold, read back at load time. */
export interface ComponentAuditEvidence {
  component: ComponentName;
  claimed: Precision;
  /** The dtype the heavy ops (MatMul, Gemm, Conv) compute in. */
  computeDtype: string;
  /** Heavy-op weights by dtype, share of their bytes (0..1). */
  heavyWeights: Record<string, number>;
  /** The parts the converter kept in fp32 on purpose (RoPE, norm statistics, …). */
  islands: string[];
}

export interface ResultRecord {
  id: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The request exactly as the engine ran it (seed resolved, precision and EP chosen). */
  request: RecordedRequest;
  /** The image's own size when it is not the request's (hires fix, "inpaint only masked"); absent otherwise. */
  size?: { width: number; height: number };
  model: { id: string; name: string; tiny: boolean };
  /** Precision and EP each component actually ran in, as the engine reported them. */
  components: ComponentRunInfo[];
  /** Engine milliseconds per phase. */
  timings: Record<string, number>;
  tokens: { count: number; truncated: boolean };
  /** Wall time from the job starting to the PNG being ready. */
  durationMs: number;
  /** Time the job waited in the queue before it started. */
  queuedMs: number;
  memory: MemoryUsage;
  /** The evidence behind the badges. Absent on results saved before the studio recorded it, or when not measured. */
  census?: CensusEvidence;
  health?: HealthEvidence;
  audit?: ComponentAuditEvidence[];
  /** The LoRA stack that ran: each file's sha256 and the layers it changed (absent without LoRAs). */
  loras?: LoraEvidence[];
  /** Starred in the history (a column of the results table, merged in when read). */
  favourite?: boolean;
  /** Set on the images of a batch (one job of 2–8): its place, the size, and every image's id in seed order. */
  batch?: BatchInfo;
}

export interface BatchInfo {
  index: number;
  count: number;
  ids?: string[];
}

export function imageUrl(id: string, options: { meta?: boolean; download?: boolean } = {}): string {
  const query = new URLSearchParams();
  if (options.meta === false) query.set('meta', '0');
  if (options.download) query.set('download', '1');
  const suffix = query.size > 0 ? `?${query}` : '';
  return `/api/results/${id}/image.png${suffix}`;
}

/** The share page's Open Graph image: a JPEG of at most 1200 px. */
export function openGraphUrl(id: string): string {
  return `/api/results/${id}/og.jpg`;
}

/** The gallery thumbnail: a small JPEG (a PNG for results saved before JPEG thumbnails). */
export function thumbnailUrl(id: string): string {
  return `/api/results/${id}/thumbnail`;
}

export function shareUrl(id: string): string {
  return `/r/${id}`;
}

/** "zimage-<seed>-<first 6 id chars>.png": sortable by seed, unique per result. */
export function downloadName(record: Pick<ResultRecord, 'id' | 'request'>, withMetadata: boolean): string {
  return `zimage-${record.request.seed}-${record.id.slice(0, 6)}${withMetadata ? '' : '-clean'}.png`;
}
