// Tests starting and following a comparison with the real in-process queue and real stores on a temp DATA_DIR, and a
// stand-in catalogue of a CUDA machine (no engine): the result's own precision is reused, a runnable precision
// becomes a job with the very same request, an unconverted one keeps its reason; the column follows its job to a
// saved result (persisted) or to its error; a queue that takes nothing answers with its own error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ModelEntry, SystemInfo } from '../../inference/pipeline/types.ts';
import { ComparisonStore } from '../db/comparison-store.ts';
import { ResultsStore, type NewResult } from '../db/results-store.ts';
import { StudioError } from '../errors.ts';
import { errorBody } from '../http.ts';
import { MemoryJobQueue } from '../queue/memory-queue.ts';
import type { ResultRecord } from '../results.ts';
import type { JobInput } from '../system.ts';
import { startComparison, viewComparison, type ComparisonDeps } from './comparisons.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function newResult(request: JobInput['request']): NewResult {
  return {
    png: PNG,
    thumbnail: PNG,
    request,
    model: { id: 'z', name: 'Z-Image-Turbo', tiny: false },
    components: (['te', 'dit', 'vae'] as const).map((component) => ({ component, precision: request.precision, ep: request.ep, reason: 'requested' })),
    timings: {},
    tokens: { count: 4, truncated: false },
    durationMs: 900,
    queuedMs: 0,
    memory: { kind: 'gpu', peakMiB: 20000, totalMiB: 143771, scope: 'process' },
  };
}

const MODEL: ModelEntry = { id: 'z', name: 'Z-Image-Turbo', family: 'z-image', variant: 'turbo', dir: '/weights/z', precisions: ['bf16', 'fp16', 'fp32'], tiny: false, parameters: { dit: 1, te: 1, vae: 1 } };
const CUDA_MACHINE: SystemInfo = {
  node: 'v22', onnxruntime: '1.29.0', eps: ['cpu', 'cuda'],
  precisions: [{ precision: 'bf16', available: true }, { precision: 'fp16', available: true }, { precision: 'fp16-safe', available: true }, { precision: 'fp32', available: true }],
};

let dataDir: string;
let results: ResultsStore;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-comparisons-'));
  results = ResultsStore.open(dataDir);
});

afterEach(() => {
  results.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A queue whose jobs save a result when `release()` is called (or fail with `fail`). */
function setup(options: { fail?: StudioError; maxWaiting?: number } = {}) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const ran: JobInput[] = [];
  const queue = new MemoryJobQueue<JobInput, ResultRecord>({
    maxWaiting: options.maxWaiting,
    describeError: (error) => errorBody(error).body,
    runner: async (input) => {
      ran.push(input);
      await gate;
      if (options.fail) throw options.fail;
      return results.save(newResult(input.request));
    },
  });
  const deps: ComparisonDeps = {
    engine: { models: async () => [MODEL], system: async () => CUDA_MACHINE, ep: async () => 'cuda' },
    queue,
    results,
    comparisons: ComparisonStore.open(dataDir),
    findJob: (id) => queue.get(id),
  };
  const ended = (jobId: string) =>
    new Promise<void>((resolve) => {
      const stop = queue.subscribe((event) => {
        if (['succeeded', 'failed', 'canceled'].includes(event.type)) {
          stop();
          resolve();
        }
      }, { jobId });
    });
  return { deps, queue, ran, release, ended };
}

async function source(): Promise<ResultRecord> {
  return results.save(newResult({ prompt: '一位小提琴手', negativePrompt: 'blur', steps: 8, cfg: 1, width: 832, height: 1216, seed: 1234, precision: 'bf16', ep: 'cuda', cfgTruncation: 0.9 }));
}

describe('startComparison and viewComparison', () => {
  test('reuses the bf16 result, queues fp16 with the very same request, explains fp16-safe', async () => {
    const { deps, ran, release, ended } = setup();
    const bf16 = await source();
    const record = await startComparison(deps, { resultId: bf16.id, precisions: ['bf16', 'fp16', 'fp16-safe'] });
    assert.deepEqual(record.columns.map((column) => [column.precision, column.state]), [['bf16', 'result'], ['fp16', 'job'], ['fp16-safe', 'unavailable']]);
    assert.match((record.columns[2] as { reason: string }).reason, /Not converted for Z-Image-Turbo/);
    assert.match(record.id, /^[A-Za-z0-9_-]{22}$/);

    const pending = await viewComparison(deps, record.id);
    assert.equal(pending?.settled, false);
    assert.equal(pending?.columns[1].state, 'pending');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ran[0], { modelId: 'z', request: { ...bf16.request, precision: 'fp16' } });

    const jobId = (record.columns[1] as { jobId: string }).jobId;
    const done = ended(jobId);
    release();
    await done;
    const settled = await viewComparison(deps, record.id);
    assert.equal(settled?.settled, true);
    const fp16 = settled?.columns[1];
    assert.equal(fp16?.state, 'result');
    assert.equal(fp16?.state === 'result' && fp16.result.request.precision, 'fp16');
    assert.equal(settled?.columns[0].state === 'result' && settled.columns[0].source, true);

    // The record now names the result, so the link keeps working after the queue forgets the job (a restart).
    const stored = ComparisonStore.open(dataDir).get(record.id);
    assert.deepEqual(stored?.columns[1], { precision: 'fp16', state: 'result', resultId: fp16?.state === 'result' ? fp16.result.id : '' });
  });

  test('a job that fails leaves its error on the column, stored', async () => {
    const { deps, release, ended } = setup({ fail: new StudioError(503, 'cuda-session-failed', 'CUDA out of memory while loading the DiT') });
    const record = await startComparison(deps, { resultId: (await source()).id });
    const jobId = (record.columns.find((column) => column.state === 'job') as { jobId: string }).jobId;
    const done = ended(jobId);
    release();
    await done;
    const view = await viewComparison(deps, record.id);
    const fp16 = view?.columns.find((column) => column.precision === 'fp16');
    assert.equal(fp16?.state, 'failed');
    assert.match(fp16?.state === 'failed' ? fp16.error.message : '', /CUDA out of memory/);
    assert.equal(ComparisonStore.open(dataDir).get(record.id)?.columns[1].state, 'failed');
  });

  test('an unknown result is a 404; a queue that takes nothing answers with its own error', async () => {
    const { deps } = setup({ maxWaiting: 0 });
    await assert.rejects(startComparison(deps, { resultId: 'A'.repeat(22) }), { status: 404, code: 'result_not_found' });
    await assert.rejects(startComparison(deps, { resultId: (await source()).id }), { status: 429, code: 'queue_full' });
  });
});
