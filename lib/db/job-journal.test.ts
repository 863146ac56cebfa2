// Tests the jobs table through the JobQueue interface, as the studio wires it (lib/server/job-journal.ts): every job
// is recorded from queued to its end, a reopened store (a restart) marks what was left queued or running as failed
// with the reason, older events never overwrite newer ones, and ended jobs are pruned after a week.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MemoryJobQueue } from '../queue/memory-queue.ts';
import { waitForJob } from '../queue/wait.ts';
import type { ResultRecord } from '../results.ts';
import { tinyResult } from './test-result.ts';
import { findJob, journalJobs } from '../server/job-journal.ts';
import type { Studio } from '../server/studio.ts';
import type { JobInput, StudioJob } from '../system.ts';
import { INTERRUPTED } from './job-journal.ts';
import { ResultsStore } from './results-store.ts';

const input = (prompt: string): JobInput => ({
  modelId: 'tiny',
  request: { prompt, negativePrompt: '', steps: 2, cfg: 1, width: 256, height: 256, seed: 1, precision: 'fp32', ep: 'cpu' },
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-jobs-'));
});

afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A studio of a store and a queue whose runner saves a tiny result, or waits forever for prompts starting "hang". */
function studioOn(store: ResultsStore): Studio {
  const png = new Uint8Array(fs.readFileSync(path.resolve('app/icon.svg')));
  const queue = new MemoryJobQueue<JobInput, ResultRecord>({
    describeError: (error) => ({ code: 'engine_failed', message: (error as Error).message }),
    runner: async (job) => {
      if (job.request.prompt.startsWith('hang')) return new Promise<never>(() => {});
      if (job.request.prompt.startsWith('fail')) throw new Error('out of memory');
      return store.save(tinyResult(job.request, png));
    },
  });
  return journalJobs({ queue, store } as unknown as Studio);
}

describe('JobJournal', () => {
  test('records each job from queued to its end, with the saved result or the error', async () => {
    const store = ResultsStore.open(dataDir);
    const studio = studioOn(store);
    const ok = await studio.queue.submit(input('a portrait'));
    const bad = await studio.queue.submit(input('fail please'));
    assert.equal(store.jobs.get(bad.id)?.status, 'queued', 'written as soon as it is queued');
    await waitForJob(studio.queue, bad.id);
    const done = store.jobs.get(ok.id)!;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.input.request.prompt, 'a portrait');
    assert.ok(done.output && store.get(done.output.id), 'the output is the saved result');
    assert.ok(done.startedAt && done.finishedAt);
    assert.deepEqual(store.jobs.get(bad.id)?.error, { code: 'engine_failed', message: 'out of memory' });
    store.close();
  });

  test('after a restart, jobs left waiting or running read as failed (interrupted) and the queue works', async () => {
    const before = ResultsStore.open(dataDir);
    const first = studioOn(before);
    const running = await first.queue.submit(input('hang: the process dies during this one'));
    const waiting = await first.queue.submit(input('waits behind it'));
    await tick();
    assert.equal(before.jobs.get(running.id)?.status, 'running');
    before.close(); // the process is gone; its queue with it

    const after = ResultsStore.open(dataDir);
    const second = studioOn(after);
    await tick(); // the in-process queue says it is not durable; then the leftovers are marked
    for (const id of [running.id, waiting.id]) {
      const job = (await findJob(second, id)) as StudioJob;
      assert.equal(job.status, 'failed');
      assert.deepEqual(job.error, INTERRUPTED);
      assert.ok(job.finishedAt);
    }
    const fresh = await second.queue.submit(input('after the restart'));
    await waitForJob(second.queue, fresh.id);
    assert.equal((await findJob(second, fresh.id))?.status, 'succeeded');
    assert.equal(after.jobs.failInterrupted(Date.now()), 0, 'nothing left to mark, and the new job was never touched');
    after.close();
  });

  test('an older event never overwrites a newer state', () => {
    const store = ResultsStore.open(dataDir);
    const job: StudioJob = { id: 'j1', status: 'running', version: 3, input: input('x'), createdAt: 1, startedAt: 2, position: null };
    store.jobs.record({ type: 'started', job });
    store.jobs.record({ type: 'queued', job: { ...job, status: 'queued', version: 1, startedAt: undefined, position: 1 } });
    assert.equal(store.jobs.get('j1')?.status, 'running');
    store.jobs.record({ type: 'progress', job: { ...job, version: 4 } });
    assert.equal(store.jobs.get('j1')?.version, 3, 'progress is not recorded');
    store.close();
  });

  test('ended jobs older than a week are pruned; unfinished ones never are', () => {
    const store = ResultsStore.open(dataDir);
    const now = Date.now();
    const old = now - 8 * 24 * 3600 * 1000;
    store.jobs.record({ type: 'canceled', job: { id: 'old', status: 'canceled', version: 2, input: input('x'), createdAt: old, finishedAt: old, position: null } });
    store.jobs.record({ type: 'queued', job: { id: 'open', status: 'queued', version: 1, input: input('y'), createdAt: old, position: 1 } });
    assert.equal(store.jobs.prune(now), 1);
    assert.equal(store.jobs.get('old'), undefined);
    assert.equal(store.jobs.get('open')?.status, 'queued');
    store.close();
  });
});
