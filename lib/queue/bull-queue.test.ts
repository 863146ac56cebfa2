// Tests the Redis back end against a real redis-server started here: two "web servers" (two BullJobQueue instances,
// each with its own connections) and in-process workers (QueueWorker) whose runs finish only when the test says so.
// Covers what the in-process queue's tests cover (order, positions, progress, cancel, failure, back-pressure), plus
// what only a distributed queue has: cancel through another server, bounded retries, storing exactly once, and Redis
// going away and coming back. Real worker processes on the real engine are covered by lib/worker/worker.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StudioError, type ApiErrorBody } from '../errors.ts';
import { BullJobQueue } from './bull-queue.ts';
import { QueueWorker, type RunContext } from './bull-worker.ts';
import type { Produced, ProducedMeta } from './redis-protocol.ts';
import { skipWithoutRedis, TestRedis } from './test-redis.ts';
import type { JobEvent, JobSnapshot } from './types.ts';

interface Input {
  name: string;
  route?: string;
}

interface Output {
  jobId: string;
  text: string;
  worker: string;
}

type Job = JobSnapshot<Input, Output>;

/** Runs that wait for the test: finish, fail (retryable or a 400), report progress; the abort signal is honoured. */
function controllableRunner() {
  const runs: { input: Input; context: RunContext; finish: (text: string) => void; fail: (error: Error) => void }[] = [];
  const run = (input: Input, context: RunContext) =>
    new Promise<Produced>((resolve, reject) => {
      context.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      runs.push({
        input,
        context,
        finish: (text) => resolve({ json: { text }, files: { bytes: new Uint8Array([1, 2, 3]) } }),
        fail: reject,
      });
    });
  return { run, runs };
}

const describeError = (error: unknown): { status: number; body: ApiErrorBody } =>
  (error as Error).message.startsWith('bad request')
    ? { status: 400, body: { code: 'invalid_request', message: (error as Error).message } }
    : { status: 500, body: { code: 'engine_failed', message: (error as Error).message } };

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('BullJobQueue on Redis', { skip: skipWithoutRedis, timeout: 120_000 }, () => {
  let redis: TestRedis;
  let prefixCount = 0;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    redis = await TestRedis.start({ persist: true });
  });

  after(async () => {
    // Closing needs Redis: a test that failed mid-outage left it down.
    if (redis && !redis.running) await redis.restart();
    for (const close of closers.reverse()) await close().catch(() => {});
    await redis?.stop();
  });

  /** A fresh key prefix per test, so tests share the server but not their queues. */
  function setup(options: { maxWaiting?: number; attempts?: number; store?: string; settle?: (id: string, produced: Produced, meta: ProducedMeta) => Promise<Output> } = {}) {
    const prefix = `t${++prefixCount}`;
    const settled: string[] = [];
    const settle =
      options.settle ??
      (async (jobId: string, produced: Produced, meta: ProducedMeta) => {
        settled.push(jobId);
        return { jobId, text: (produced.json as { text: string }).text, worker: meta.worker };
      });
    const server = (store = options.store ?? 'store-a') => {
      const queue = new BullJobQueue<Input, Output>({
        url: redis.url,
        prefix,
        route: (input) => input.route ?? 'tiny.fp32',
        store,
        settle,
        maxWaiting: options.maxWaiting,
        attempts: options.attempts,
        sweepMs: 300,
        timeoutMs: 2000,
      });
      closers.push(() => queue.close());
      return queue;
    };
    const worker = async (name: string, route = 'tiny.fp32', lockMs?: number) => {
      const runner = controllableRunner();
      const started = await QueueWorker.start<Input, { note: string }>({
        url: redis.url,
        prefix,
        route,
        name,
        run: runner.run,
        describeError,
        info: { note: name },
        attempts: options.attempts,
        lockMs,
      });
      closers.push(() => started.close(true));
      return { ...runner, worker: started };
    };
    return { server, worker, settled };
  }

  test('runs jobs in submission order, one at a time per worker; positions move up; the result is stored once', async () => {
    const { server, worker, settled } = setup();
    const web = server();
    const a = await web.submit({ name: 'a' });
    const b = await web.submit({ name: 'b' });
    const c = await web.submit({ name: 'c' });
    assert.deepEqual([a.position, b.position, c.position], [1, 2, 3]);
    assert.equal(a.status, 'queued');
    const gpu = await worker('w1');
    await waitFor('a to start', () => gpu.runs.length === 1);
    assert.equal(gpu.runs[0].input.name, 'a');
    const running = await waitFor('a running', async () => ((await web.get(a.id))?.status === 'running' ? web.get(a.id) : null));
    assert.equal(running?.worker, 'w1');
    assert.equal(await web.position(b.id), 1);
    assert.equal(await web.position(c.id), 2);
    gpu.runs[0].finish('A');
    await waitFor('b to start', () => gpu.runs.length === 2);
    assert.equal(await web.position(c.id), 1);
    gpu.runs[1].finish('B');
    await waitFor('c to start', () => gpu.runs.length === 3);
    gpu.runs[2].finish('C');
    const ended = await waitFor('c stored', async () => ((await web.get(c.id))?.status === 'succeeded' ? web.get(c.id) : null));
    assert.deepEqual(ended?.output, { jobId: c.id, text: 'C', worker: 'w1' });
    assert.deepEqual(gpu.runs.map((run) => run.input.name), ['a', 'b', 'c']);
    assert.deepEqual([...settled].sort(), [a.id, b.id, c.id].sort(), 'each result stored exactly once');
  });

  test('a subscriber on another server sees queued → started → progress → succeeded, versions growing', async () => {
    const { server, worker } = setup();
    const one = server();
    const two = server();
    const job = await one.submit({ name: 'watched' });
    const events: JobEvent<Input, Output>[] = [];
    const unsubscribe = two.subscribe((event) => events.push(event), { jobId: job.id });
    const gpu = await worker('w1');
    await waitFor('the run', () => gpu.runs.length === 1);
    await waitFor('started', () => events.some((event) => event.type === 'started'));
    gpu.runs[0].context.onProgress({ phase: 'denoise', step: 3, totalSteps: 8, elapsedMs: 30 });
    await waitFor('progress', () => events.some((event) => event.type === 'progress' && event.job.progress?.step === 3));
    gpu.runs[0].finish('done');
    await waitFor('succeeded', () => events.some((event) => event.type === 'succeeded'));
    unsubscribe();
    const types = events.map((event) => event.type);
    assert.ok(types.indexOf('started') < types.indexOf('progress'), types.join(','));
    assert.ok(types.indexOf('progress') < types.indexOf('succeeded'), types.join(','));
    const versions = events.map((event) => event.job.version);
    assert.deepEqual(versions, [...versions].sort((x, y) => x - y), 'versions only grow');
    assert.equal(new Set(versions).size, versions.length);
    assert.ok(events.every((event) => event.job.id === job.id));
  });

  test('canceling a waiting job through another server removes it; no worker ever sees it', async () => {
    const { server, worker } = setup();
    const one = server();
    const two = server();
    const a = await one.submit({ name: 'a' });
    const b = await one.submit({ name: 'b' });
    const c = await one.submit({ name: 'c' });
    const canceled = await two.cancel(b.id);
    assert.equal(canceled?.status, 'canceled');
    assert.equal((await one.get(b.id))?.status, 'canceled');
    assert.equal(await one.position(c.id), 2, 'c moves up into b\'s place');
    const gpu = await worker('w1');
    await waitFor('a', () => gpu.runs.length === 1);
    gpu.runs[0].finish('A');
    await waitFor('c', () => gpu.runs.length === 2);
    assert.deepEqual(gpu.runs.map((run) => run.input.name), ['a', 'c']);
    gpu.runs[1].finish('C');
    await waitFor('c done', async () => (await one.get(c.id))?.status === 'succeeded');
    assert.equal((await two.cancel(a.id))?.status, 'succeeded', 'canceling an ended job changes nothing');
  });

  test('canceling a running job through another server aborts it on the worker, which takes the next job', async () => {
    const { server, worker, settled } = setup();
    const one = server();
    const two = server();
    const a = await one.submit({ name: 'a' });
    const b = await one.submit({ name: 'b' });
    const gpu = await worker('w1');
    await waitFor('a runs', () => gpu.runs.length === 1);
    await waitFor('a running', async () => (await two.get(a.id))?.status === 'running');
    const answer = await two.cancel(a.id);
    assert.ok(answer?.status === 'running' || answer?.status === 'canceled', 'a running job ends when the engine stops');
    await waitFor('abort on the worker', () => gpu.runs[0].context.signal.aborted);
    await waitFor('a canceled', async () => (await one.get(a.id))?.status === 'canceled');
    await waitFor('b runs', () => gpu.runs.length === 2);
    gpu.runs[1].finish('B');
    await waitFor('b done', async () => (await one.get(b.id))?.status === 'succeeded');
    assert.deepEqual(settled, [b.id]);
  });

  test('a job that keeps failing ends failed after a bounded number of tries, with the error; a 400 is not retried', async () => {
    const { server, worker } = setup({ attempts: 3 });
    const web = server();
    const gpu = await worker('w1');
    const flaky = await web.submit({ name: 'flaky' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await waitFor(`try ${attempt}`, () => gpu.runs.length === attempt);
      gpu.runs[attempt - 1].fail(new Error('CUDA error: an illegal memory access'));
    }
    const failed = await waitFor('failed', async () => ((await web.get(flaky.id))?.status === 'failed' ? web.get(flaky.id) : null));
    assert.equal(failed?.error?.code, 'engine_failed');
    assert.match(failed!.error!.message, /CUDA error: an illegal memory access \(failed 3 times; the job was given up\)/);

    const bad = await web.submit({ name: 'bad' });
    await waitFor('bad runs', () => gpu.runs.length === 4);
    gpu.runs[3].fail(new Error('bad request: steps must be 1–100'));
    const refused = await waitFor('bad failed', async () => ((await web.get(bad.id))?.status === 'failed' ? web.get(bad.id) : null));
    assert.deepEqual(refused?.error, { code: 'invalid_request', message: 'bad request: steps must be 1–100' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(gpu.runs.length, 4, 'a request error is not retried');
  });

  test('a job whose worker keeps dying mid-job is run again by another worker, then given up with a clear error', async () => {
    const { server, worker } = setup({ attempts: 2 });
    const web = server();
    const poison = await web.submit({ name: 'poison' });
    // A worker that stops without a word (close without finishing) is what kill -9 looks like from Redis.
    const first = await worker('w1', 'tiny.fp32', 1000);
    await waitFor('w1 runs it', () => first.runs.length === 1);
    await first.worker.close(true);
    const second = await worker('w2', 'tiny.fp32', 1000);
    await waitFor('w2 runs it again', () => second.runs.length === 1);
    assert.equal((await web.get(poison.id))?.worker, 'w2');
    await second.worker.close(true);
    const third = await worker('w3', 'tiny.fp32', 1000);
    const failed = await waitFor('given up', async () => ((await web.get(poison.id))?.status === 'failed' ? web.get(poison.id) : null));
    assert.equal(failed?.error?.code, 'worker_lost');
    assert.match(failed!.error!.message, /given up after its worker stopped 2 times before finishing it/);
    assert.equal(third.runs.length, 0, 'not started a third time');
  });

  test('a full queue answers 429 with the position the job would take, an ETA from the workers, and Retry-After', async () => {
    const { server, worker } = setup({ maxWaiting: 2 });
    const web = server();
    const gpu = await worker('w1');
    // One job through first, so the worker has a mean run time to announce.
    const warm = await web.submit({ name: 'warm' });
    await waitFor('warm runs', () => gpu.runs.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    gpu.runs[0].finish('W');
    await waitFor('warm done', async () => (await web.get(warm.id))?.status === 'succeeded');
    await web.submit({ name: 'a' });
    await waitFor('a runs', () => gpu.runs.length === 2);
    await web.submit({ name: 'b' });
    await web.submit({ name: 'c' });
    const refusal = await waitFor('a refusal with an ETA', async () => {
      const error = await web.submit({ name: 'd' }).then(
        () => assert.fail('a third waiting job was accepted'),
        (caught: unknown) => caught as StudioError,
      );
      return error.details?.etaMs === undefined ? null : error;
    });
    assert.ok(refusal instanceof StudioError);
    assert.equal(refusal.status, 429);
    assert.equal(refusal.code, 'queue_full');
    assert.equal(refusal.details?.position, 3);
    assert.ok(refusal.details!.etaMs! > 0);
    assert.ok(refusal.retryAfterS! >= 1);
    // Another route has its own line.
    assert.equal((await web.submit({ name: 'other', route: 'tiny.fp16' })).position, 1);
  });

  test('outputs are stored by the store that took the job, once, even with two servers of that store', async () => {
    const { server, worker, settled } = setup();
    const mine = [server('store-a'), server('store-a')];
    const theirs = server('store-b');
    const gpu = await worker('w1');
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) ids.push((await mine[index % 2].submit({ name: `job${index}` })).id);
    const foreign = await theirs.submit({ name: 'foreign' });
    for (let index = 0; index < 7; index++) {
      await waitFor(`run ${index}`, () => gpu.runs.length === index + 1);
      gpu.runs[index].finish(`R${index}`);
    }
    await waitFor('all stored', async () => (await Promise.all([...ids, foreign.id].map((id) => mine[0].get(id)))).every((job) => job?.status === 'succeeded'));
    assert.deepEqual([...settled].sort(), [...ids, foreign.id].sort(), 'stored once each (both stores share the counter here)');
    assert.equal(settled.length, 7);
  });

  test('Redis going away: calls fail fast with 503, health says so, and after it returns queued jobs run and are stored', async () => {
    const { server, worker, settled } = setup();
    const web = server();
    const queued = await web.submit({ name: 'before the outage' });
    const events: JobEvent<Input, Output>[] = [];
    web.subscribe((event) => events.push(event), { jobId: queued.id });
    await redis.kill();
    await waitFor('health down', async () => !(await web.health()).ok);
    const started = Date.now();
    await assert.rejects(web.submit({ name: 'during' }), (error: unknown) => {
      assert.ok(error instanceof StudioError);
      assert.equal(error.status, 503);
      assert.equal(error.code, 'queue_unavailable');
      assert.match(error.message, /is unreachable/);
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'refused at once, not after a timeout');
    assert.match((await web.health()).message!, /Redis at redis:\/\/127\.0\.0\.1:\d+\/?\) is unreachable/);

    await redis.restart();
    await waitFor('health back', async () => (await web.health()).ok);
    const gpu = await worker('w1');
    await waitFor('the queued job runs', () => gpu.runs.length === 1);
    assert.equal(gpu.runs[0].input.name, 'before the outage');
    gpu.runs[0].finish('survived');
    await waitFor('the subscriber hears the end', () => events.some((event) => event.type === 'succeeded'));
    assert.deepEqual(settled, [queued.id]);
    assert.notEqual((await web.submit({ name: 'after' })).status, 'failed', 'new jobs are taken again');
  });
});
