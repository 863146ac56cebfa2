// The engine thread the in-process queue runs jobs on, with the tiny model on the CPU: a job runs on a thread other
// than the caller's, its progress arrives per step, a cancel stops it between steps, the evidence (health, census,
// audit) comes back with the PNGs, the sessions stay loaded for the next job, and a request the engine refuses
// fails with the engine's own error (its code in snake_case once it is an API body). Runs lib/engine/thread-entry.ts
// from source (tsx is inherited by the thread).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import type { ProgressEvent } from '../../inference/pipeline/types.ts';
import type { JobProgress } from '../queue/types.ts';
import { isStudioError } from '../errors.ts';
import { errorBody } from '../http.ts';
import type { JobInput } from '../system.ts';
import { EngineThread } from './thread.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function job(seed: number, steps = 2, size = 64): JobInput {
  return { modelId: 'tiny', request: { prompt: `portrait ${seed}`, steps, cfg: 1, width: size, height: size, seed, precision: 'fp32', ep: 'cpu' } };
}

describe('the engine thread (tiny model, CPU)', { timeout: 180_000 }, () => {
  let weights: string;
  let thread: EngineThread;

  before(async () => {
    weights = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-thread-'));
    await (await import('./entry.ts')).ensureDefaultModel(weights);
    thread = new EngineThread({ weightsDir: weights, epSetting: 'cpu', file: path.join(import.meta.dirname, 'thread-entry.ts') });
  });

  after(async () => {
    await thread.close();
    fs.rmSync(weights, { recursive: true, force: true });
  });

  test('a job runs on another thread, reports every step and comes back with its PNGs and evidence', async () => {
    const progress: ProgressEvent[] = [];
    const [result] = await thread.generate('job-1', job(1, 3), {
      queuedMs: 5,
      signal: new AbortController().signal,
      onProgress: (event) => progress.push(event),
    });
    assert.notEqual(thread.lastThreadId, undefined);
    assert.notEqual(thread.lastThreadId, threadId, 'not the caller\'s thread');
    assert.deepEqual(
      progress.filter((event) => event.phase === 'denoise').map((event) => `${event.step}/${event.totalSteps}`),
      ['1/3', '2/3', '3/3'],
    );
    assert.ok(progress.some((event) => event.phase === 'png'));
    assert.deepEqual([...result.png.subarray(0, 4)], PNG_SIGNATURE);
    // The history thumbnail is a small JPEG (issue 18: 384 px PNGs weighed 190–440 KB).
    assert.deepEqual([...result.thumbnail.subarray(0, 3)], JPEG_SIGNATURE);
    assert.equal(result.queuedMs, 5);
    assert.equal(result.request.seed, 1);
    assert.equal(result.health?.image.black, false);
    assert.equal(result.census?.scope, 'this generation');
    assert.ok(result.audit?.length, 'the load-time audit per component');
  });

  test('a cancel stops the running job between steps; the next job reuses the loaded sessions', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const canceled = thread.generate('job-2', job(2, 50, 128), {
      queuedMs: 0,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.phase !== 'denoise') return;
        steps.push(event.step!);
        controller.abort();
      },
    });
    await assert.rejects(canceled, { name: 'AbortError' });
    assert.ok(steps.length >= 1 && steps.length < 50, `stopped after ${steps.length} of 50 steps`);

    const [next] = await thread.generate('job-3', job(3), { queuedMs: 0, signal: new AbortController().signal, onProgress: () => {} });
    // The census of a later job cites the first generation of the same sessions: they were not loaded again.
    assert.equal(next.census?.scope, 'first generation of these sessions');
  });

  test('a batch of 3 is one job: seeds in order, a preview JPEG on every step, the ETA of the whole batch', async () => {
    const progress: JobProgress[] = [];
    const input: JobInput = { ...job(10, 3), batch: { seeds: [10, 11, 12], random: false } };
    const results = await thread.generate('job-batch', input, { queuedMs: 0, signal: new AbortController().signal, onProgress: (event) => progress.push(event) });
    assert.deepEqual(results.map((result) => result.request.seed), [10, 11, 12]);
    assert.deepEqual(results.map((result) => result.batch), [0, 1, 2].map((index) => ({ index, count: 3 })));
    const denoise = progress.filter((event) => event.phase === 'denoise');
    const steps = denoise.map((event) => `${event.image}/${event.images}:${event.step}`);
    assert.deepEqual(steps, ['1/3:1', '1/3:2', '1/3:3', '2/3:1', '2/3:2', '2/3:3', '3/3:1', '3/3:2', '3/3:3']);
    // Previews are encoded while the next step runs and go out with the next event (a step's or the decode's):
    // every image of the batch sends some, each a JPEG data: URL.
    for (const image of [1, 2, 3]) {
      const withPreview = progress.filter((event) => event.image === image && event.preview);
      assert.ok(withPreview.length > 0, `previews for image ${image}`);
      for (const event of withPreview) assert.match(event.preview!, /^data:image\/jpeg;base64,\/9j\//);
    }
    // By image 2 the ETA covers image 3 as well.
    const image2 = denoise.find((event) => event.image === 2)!;
    assert.ok(image2.etaMs !== undefined && image2.etaMs > 0);
    assert.ok(progress.some((event) => event.phase === 'decode' && event.started), 'the decode is announced as it starts');
    // These sessions have decoded before (job-1): the ETA includes the decode, so it no longer says it leaves it out.
    assert.ok(denoise.every((event) => !event.etaWithoutDecode));
  });

  test('preview: false sends no preview images', async () => {
    const progress: JobProgress[] = [];
    await thread.generate('job-nopreview', { ...job(20, 2), preview: false }, { queuedMs: 0, signal: new AbortController().signal, onProgress: (event) => progress.push(event) });
    assert.ok(progress.some((event) => event.phase === 'denoise'));
    assert.ok(progress.every((event) => event.preview === undefined));
  });

  test('a request the engine refuses fails with the engine\'s code and message', async () => {
    const bad = job(4);
    bad.request.width = 100;
    const error = await thread.generate('job-4', bad, { queuedMs: 0, signal: new AbortController().signal, onProgress: () => {} }).then(
      () => assert.fail('should fail'),
      (caught: unknown) => caught,
    );
    assert.ok(isStudioError(error));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid-request');
    assert.match(error.message, /width: must be a multiple of 16/);
    // what an HTTP client then receives: the same code in the API's snake_case
    assert.deepEqual([errorBody(error).status, errorBody(error).body.code], [400, 'invalid_request']);
  });
});
