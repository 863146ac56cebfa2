// One generation job, as both back ends run it: the engine call for each image of the job (one, or a batch of up to
// 8 with its seeds resolved at submit time), each image's thumbnail and the record the history stores, the live
// preview of every denoising step and a progress event that places it in the batch; the route (model, precision) the
// Redis queue files a job under; and the result ids derived from the job id that make storing a worker's output
// idempotent. Shared by the in-process runner (lib/server/studio.ts) and the worker command (lib/worker/main.ts).
// A batch runs its images one after another on the loaded sessions (the DiT graph takes one image: see README,
// "Batches"). Deliberately does not store anything: the caller does, all images of a job or none.
import { createHash } from 'node:crypto';
import type { NewResult } from '../db/results-store.ts';
import type { EngineAdapter } from '../engine/index.ts';
import type { Produced } from '../queue/redis-protocol.ts';
import type { JobProgress } from '../queue/types.ts';
import { makeJpegThumbnail, previewDataUrl } from '../jpeg.ts';
import { resultEvidence } from '../evidence.ts';
import { jobSeeds, type JobInput } from '../system.ts';
import type { Precision } from '../../inference/pipeline/types.ts';

/** The Redis queue a job goes to; a worker serves exactly one. */
export function jobRoute(modelId: string, precision: Precision): string {
  return `${modelId}.${precision}`;
}

/**
 * 22 base64url characters like any result id, fixed by the job id (and the image's place in a batch): a second
 * save of one job finds the first. Image 0 keeps the id a single-image job always had.
 */
export function resultIdForJob(jobId: string, index = 0): string {
  return createHash('sha256').update(index === 0 ? `zimage-result:${jobId}` : `zimage-result:${jobId}:${index}`).digest('base64url').slice(0, 22);
}

interface JobContext {
  queuedMs: number;
  signal: AbortSignal;
  onProgress: (progress: JobProgress) => void;
}

/** Every image of the job, in seed order; rejects (AbortError) when canceled, and then nothing is kept. */
export async function generateJob(engine: EngineAdapter, input: JobInput, context: JobContext): Promise<NewResult[]> {
  const seeds = jobSeeds(input);
  const results: NewResult[] = [];
  const batchStart = performance.now();
  for (const [index, seed] of seeds.entries()) {
    const imageStart = performance.now();
    // Later images take about as long as the ones done; the first is its own estimate until it ends.
    const perImage = index > 0 ? (imageStart - batchStart) / index : undefined;
    // The preview is encoded off the JS thread while the next step runs; it goes out with the next progress event
    // (the next step's, or the decode's for the last step), so previews add no events of their own.
    let preview: string | undefined;
    const encoding = new Set<Promise<void>>();
    const onDenoised = input.preview === false ? undefined : (x0: Float32Array, h: number, w: number) => {
      const job = previewDataUrl(x0, h, w).then(
        (url) => {
          preview = url;
        },
        () => undefined, // a preview that fails to encode is skipped; the image itself is unaffected
      );
      encoding.add(job);
      void job.finally(() => encoding.delete(job));
    };
    const onProgress = (progress: JobProgress) => {
      const event: JobProgress = { ...progress };
      if (seeds.length > 1) {
        const remaining = seeds.length - index - 1;
        const estimate = perImage ?? (progress.etaMs === undefined ? undefined : progress.elapsedMs + progress.etaMs);
        Object.assign(event, { image: index + 1, images: seeds.length, elapsedMs: performance.now() - batchStart });
        if (progress.etaMs !== undefined && estimate !== undefined) event.etaMs = progress.etaMs + remaining * estimate;
      }
      if (preview) event.preview = preview;
      preview = undefined;
      context.onProgress(event);
    };
    const request = { ...input.request, seed };
    results.push(await generateResult(engine, { ...input, request }, { ...context, queuedMs: index === 0 ? context.queuedMs : 0, onProgress, onDenoised }));
    await Promise.all(encoding);
  }
  return withBatch(results);
}

/** A batch's records say which batch they belong to and where; a single image is left as it always was. */
function withBatch(results: NewResult[]): NewResult[] {
  if (results.length < 2) return results;
  return results.map((result, index) => ({ ...result, batch: { index, count: results.length } }));
}

async function generateResult(
  engine: EngineAdapter,
  input: JobInput,
  context: JobContext & { onDenoised?: (x0: Float32Array, h: number, w: number, step: number) => void },
): Promise<NewResult> {
  const started = performance.now();
  const { result, model } = await engine.generate(input, { signal: context.signal, onProgress: context.onProgress, onDenoised: context.onDenoised });
  const durationMs = Math.round(performance.now() - started);
  return {
    png: result.png,
    thumbnail: await makeJpegThumbnail(result.pixels, result.width, result.height),
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

/** A worker's results as they travel through Redis: the records as JSON, each image's PNG and thumbnail as bytes. */
export function toProduced(results: NewResult[]): Produced {
  const files: Record<string, Uint8Array> = {};
  const records = results.map(({ png, thumbnail, ...record }, index) => {
    files[index === 0 ? 'png' : `png.${index}`] = png;
    files[index === 0 ? 'thumbnail' : `thumbnail.${index}`] = thumbnail;
    return record;
  });
  // A single image travels as before ({ json: record }), so a worker and a server of different versions still agree.
  return { json: records.length === 1 ? records[0] : { batch: records }, files };
}

export function fromProduced(produced: Produced): NewResult[] {
  const json = produced.json as { batch?: Omit<NewResult, 'png' | 'thumbnail'>[] } & Omit<NewResult, 'png' | 'thumbnail'>;
  const records = json.batch ?? [json];
  return records.map((record, index) => {
    const png = produced.files[index === 0 ? 'png' : `png.${index}`];
    const thumbnail = produced.files[index === 0 ? 'thumbnail' : `thumbnail.${index}`];
    if (!png || !thumbnail) throw new Error(`The worker output lacks the png or thumbnail file of image ${index + 1}.`);
    return { ...record, png, thumbnail };
  });
}
