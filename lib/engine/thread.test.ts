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
import { isStudioError } from '../errors.ts';
import { errorBody } from '../http.ts';
import type { JobInput } from '../system.ts';
import { EngineThread } from './thread.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

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
    const result = await thread.generate('job-1', job(1, 3), {
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
    assert.deepEqual([...result.thumbnail.subarray(0, 4)], PNG_SIGNATURE);
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

    const next = await thread.generate('job-3', job(3), { queuedMs: 0, signal: new AbortController().signal, onProgress: () => {} });
    // The census of a later job cites the first generation of the same sessions: they were not loaded again.
    assert.equal(next.census?.scope, 'first generation of these sessions');
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
