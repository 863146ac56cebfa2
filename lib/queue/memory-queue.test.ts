// Tests the in-process queue's behaviour (order, one-at-a-time, positions, cancel, failure, back-pressure) with an
// in-test engine double whose jobs finish only when the test says so. The real engine is covered by e2e/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StudioError } from '../errors.ts';
import { MemoryJobQueue } from './memory-queue.ts';
import type { JobEvent, JobRunner } from './types.ts';
import { waitForJob } from './wait.ts';

/** An engine double: each run waits until the test resolves or rejects it, and honours the abort signal. */
function controllableEngine() {
  const runs: { input: string; finish: (output: string) => void; fail: (error: Error) => void; signal: AbortSignal; progress: (step: number) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const runner: JobRunner<string, string> = (input, { signal, onProgress }) =>
    new Promise<string>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const done = () => active--;
      signal.addEventListener('abort', () => {
        done();
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      });
      runs.push({
        input,
        signal,
        finish: (output) => (done(), resolve(output)),
        fail: (error) => (done(), reject(error)),
        progress: (step) => onProgress({ phase: 'denoise', step, totalSteps: 8, elapsedMs: step * 10 }),
      });
    });
  return { runner, runs, maxActive: () => maxActive };
}

const describeError = (error: unknown) => ({ code: 'engine_failed', message: (error as Error).message });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('MemoryJobQueue', () => {
  test('runs one job at a time, in submission order', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    const a = await queue.submit('a');
    const b = await queue.submit('b');
    const c = await queue.submit('c');
    await tick();
    assert.deepEqual(engine.runs.map((run) => run.input), ['a']);
    engine.runs[0].finish('A');
    await tick();
    engine.runs[1].finish('B');
    await tick();
    engine.runs[2].finish('C');
    await tick();
    assert.deepEqual(engine.runs.map((run) => run.input), ['a', 'b', 'c']);
    assert.equal(engine.maxActive(), 1);
    for (const [job, output] of [[a, 'A'], [b, 'B'], [c, 'C']] as const) {
      const ended = await queue.get(job.id);
      assert.equal(ended?.status, 'succeeded');
      assert.equal(ended?.output, output);
    }
  });

  test('waiting jobs know their position and move up as the line moves', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    const events: JobEvent<string, string>[] = [];
    queue.subscribe((event) => events.push(event));
    const a = await queue.submit('a');
    const b = await queue.submit('b');
    const c = await queue.submit('c');
    await tick();
    assert.equal(await queue.position(a.id), null, 'the running job has no position');
    assert.equal(await queue.position(b.id), 1);
    assert.equal(await queue.position(c.id), 2);
    engine.runs[0].finish('A');
    await tick();
    assert.equal((await queue.get(b.id))?.status, 'running');
    assert.equal(await queue.position(c.id), 1);
    assert.ok(events.some((event) => event.type === 'position' && event.job.id === c.id && event.job.position === 1));
    const versions = events.filter((event) => event.job.id === c.id).map((event) => event.job.version);
    assert.deepEqual(versions, [...versions].sort((x, y) => x - y), 'versions only grow');
    assert.equal(new Set(versions).size, versions.length);
  });

  test('canceling a waiting job removes it at once and the runner never sees it', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    await queue.submit('a');
    const b = await queue.submit('b');
    const c = await queue.submit('c');
    await tick();
    const canceled = await queue.cancel(b.id);
    assert.equal(canceled?.status, 'canceled');
    assert.equal(await queue.position(c.id), 1, 'c moves up into b\'s place');
    engine.runs[0].finish('A');
    await tick();
    assert.deepEqual(engine.runs.map((run) => run.input), ['a', 'c']);
  });

  test('canceling the running job aborts the engine and starts the next one', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    const a = await queue.submit('a');
    const b = await queue.submit('b');
    await tick();
    await queue.cancel(a.id);
    assert.equal(engine.runs[0].signal.aborted, true);
    await tick();
    assert.equal((await queue.get(a.id))?.status, 'canceled');
    assert.equal((await queue.get(b.id))?.status, 'running');
    const again = await queue.cancel(a.id);
    assert.equal(again?.status, 'canceled', 'canceling an ended job changes nothing');
  });

  test('a failing job ends as failed with the described error; the queue carries on', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    const a = await queue.submit('a');
    const b = await queue.submit('b');
    await tick();
    engine.runs[0].fail(new Error('out of memory'));
    await tick();
    const failed = await queue.get(a.id);
    assert.equal(failed?.status, 'failed');
    assert.deepEqual(failed?.error, { code: 'engine_failed', message: 'out of memory' });
    assert.equal((await queue.get(b.id))?.status, 'running');
  });

  test('progress is forwarded to subscribers of that job only', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    const a = await queue.submit('a');
    const b = await queue.submit('b');
    const seen: JobEvent<string, string>[] = [];
    queue.subscribe((event) => seen.push(event), { jobId: a.id });
    await tick();
    engine.runs[0].progress(3);
    assert.equal(seen.at(-1)?.type, 'progress');
    assert.equal(seen.at(-1)?.job.progress?.step, 3);
    assert.ok(seen.every((event) => event.job.id === a.id), `no event of ${b.id} reaches a's subscriber`);
  });

  test('refuses new jobs with 429 queue_full, the place they would take and an ETA, when too many are waiting', async () => {
    const engine = controllableEngine();
    let clock = 0;
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError, maxWaiting: 1, now: () => clock });
    await queue.submit('a');
    await tick(); // a is running, nothing waits
    await queue.submit('b');
    await assert.rejects(queue.submit('c'), (error: unknown) => {
      assert.ok(error instanceof StudioError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'queue_full');
      assert.deepEqual(error.details, { position: 2 }, 'no ETA before any job has ended');
      assert.equal(error.retryAfterS, 5);
      return true;
    });
    clock = 4000;
    engine.runs[0].finish('A'); // a ran 4 s; b starts
    await tick();
    await queue.submit('c');
    await assert.rejects(queue.submit('d'), (error: unknown) => {
      assert.ok(error instanceof StudioError);
      // c waits behind the running b: d would be second in line, starting after b and c, 4 s each.
      assert.deepEqual(error.details, { position: 2, etaMs: 8000 });
      assert.equal(error.retryAfterS, 4);
      assert.match(error.message, /start in about 8 s/);
      return true;
    });
  });

  test('waitForJob resolves with the ended job, and cancels it when the caller aborts', async () => {
    const engine = controllableEngine();
    const queue = new MemoryJobQueue({ runner: engine.runner, describeError });
    const a = await queue.submit('a');
    const waiting = waitForJob(queue, a.id);
    await tick();
    engine.runs[0].finish('A');
    assert.equal((await waiting).output, 'A');

    const b = await queue.submit('b');
    const controller = new AbortController();
    const abandoned = waitForJob(queue, b.id, controller.signal);
    await tick();
    controller.abort();
    await assert.rejects(abandoned, { name: 'AbortError' });
    await tick();
    assert.equal((await queue.get(b.id))?.status, 'canceled');
  });
});
