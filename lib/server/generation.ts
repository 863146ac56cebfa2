// One generation job, as both back ends run it: the engine call, then the thumbnail and the record the history
// stores; the route (model, precision) the Redis queue files it under; and the result id derived from the job id
// that makes storing a worker's output idempotent. Shared by the in-process runner (lib/server/studio.ts) and the
// worker command (lib/worker/main.ts). Deliberately does not store anything: the caller does.
import { createHash } from 'node:crypto';
import type { NewResult } from '../db/results-store.ts';
import type { EngineAdapter } from '../engine/index.ts';
import type { Produced } from '../queue/redis-protocol.ts';
import { makeThumbnail } from '../png.ts';
import { resultEvidence } from '../evidence.ts';
import type { JobInput } from '../system.ts';
import type { Precision, ProgressEvent } from '../../inference/pipeline/types.ts';

/** The Redis queue a job goes to; a worker serves exactly one. */
export function jobRoute(modelId: string, precision: Precision): string {
  return `${modelId}.${precision}`;
}

/** 22 base64url characters like any result id, fixed by the job id: a second save of one job finds the first. */
export function resultIdForJob(jobId: string): string {
  return createHash('sha256').update(`zimage-result:${jobId}`).digest('base64url').slice(0, 22);
}

export async function generateResult(
  engine: EngineAdapter,
  input: JobInput,
  context: { queuedMs: number; signal: AbortSignal; onProgress: (progress: ProgressEvent) => void },
): Promise<NewResult> {
  const started = performance.now();
  const { result, model } = await engine.generate(input, { signal: context.signal, onProgress: context.onProgress });
  const durationMs = Math.round(performance.now() - started);
  return {
    png: result.png,
    thumbnail: makeThumbnail(result.pixels, result.width, result.height),
    request: result.request,
    ...(result.width !== result.request.width || result.height !== result.request.height ? { size: { width: result.width, height: result.height } } : {}),
    model: { ...result.model, tiny: model.tiny },
    components: result.components,
    timings: result.timings,
    tokens: result.tokens,
    durationMs,
    queuedMs: context.queuedMs,
    // memory, census, health and audit: the evidence behind the badges (lib/evidence.ts)
    ...resultEvidence(result, await engine.system()),
    ...(result.loras && { loras: result.loras }),
  };
}

/** A worker's result as it travels through Redis: the record as JSON, the two PNGs as bytes. */
export function toProduced({ png, thumbnail, ...record }: NewResult): Produced {
  return { json: record, files: { png, thumbnail } };
}

export function fromProduced(produced: Produced): NewResult {
  const { png, thumbnail } = produced.files;
  if (!png || !thumbnail) throw new Error('The worker output lacks its png or thumbnail file.');
  return { ...(produced.json as Omit<NewResult, 'png' | 'thumbnail'>), png, thumbnail };
}
