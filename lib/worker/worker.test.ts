// The scaled-out studio end to end, minus the browser: a real redis-server, two real worker processes
// (`lib/worker/main.ts`, the command behind `npm run worker`) running the tiny model on the CPU, and two "web
// servers" (the studio's own Redis queue wiring, createRedisQueue, over one results store). Shows that 20 jobs sent
// at once through both servers all complete and are stored exactly once, that a cancel sent through one server
// stops a job running on a worker, and that after kill -9 of the worker running a job, the other worker finishes it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResultsStore } from '../db/results-store.ts';
import { hasPngSignature } from '../png.ts';
import type { BullJobQueue } from '../queue/bull-queue.ts';
import { skipWithoutRedis, TestRedis } from '../queue/test-redis.ts';
import type { JobEvent } from '../queue/types.ts';
import type { ResultRecord } from '../results.ts';
import { resultIdForJob } from '../server/generation.ts';
import { createRedisQueue } from '../server/studio.ts';
import type { JobInput, StudioJob } from '../system.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Short enough that a killed worker's job is taken over within seconds (production: 30 s). */
const LOCK_MS = 2000;

type Queue = BullJobQueue<JobInput, ResultRecord>;

function input(seed: number, size: number, steps: number): JobInput {
  return { modelId: 'tiny', request: { prompt: `portrait ${seed}`, steps, cfg: 1, width: size, height: size, seed, precision: 'fp32', ep: 'cpu' } };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A worker process; its output is kept for the failure message. */
class WorkerProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  output = '';

  constructor(name: string, env: Record<string, string>) {
    this.name = name;
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib/worker/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env, ZIMAGE_WORKER_NAME: name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }

  async ready(): Promise<void> {
    await waitFor(`${this.name} to take jobs`, () => {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}):\n${this.output}`);
      return this.output.includes('taking jobs from');
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }
}

describe('GPU workers on the Redis queue (two CPU worker processes, tiny model)', { skip: skipWithoutRedis, timeout: 240_000 }, () => {
  let redis: TestRedis;
  let temp: string;
  let store: ResultsStore;
  let web: [Queue, Queue];
  const workers: WorkerProcess[] = [];

  before(async () => {
    redis = await TestRedis.start();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-workers-'));
    // The tiny model once, before two workers would race to make it.
    const weights = path.join(temp, 'weights');
    await (await import('../engine/entry.ts')).ensureDefaultModel(weights);
    const env = {
      REDIS_URL: redis.url,
      ZIMAGE_QUEUE_PREFIX: 'wt',
      WEIGHTS_DIR: weights,
      ZIMAGE_WORKER_MODEL: 'tiny', // the default is now the trained demo model
      ZIMAGE_EP: 'cpu',
      ZIMAGE_JOB_LOCK_MS: String(LOCK_MS),
      ZIMAGE_JOB_ATTEMPTS: '3',
    };
    workers.push(new WorkerProcess('w1', env), new WorkerProcess('w2', env));
    const dataDir = path.join(temp, 'data');
    store = ResultsStore.open(dataDir);
    const settings = { DATA_DIR: dataDir, ZIMAGE_QUEUE_PREFIX: 'wt', ZIMAGE_MAX_WAITING_JOBS: 32, ZIMAGE_JOB_ATTEMPTS: 3 };
    web = [createRedisQueue(settings, redis.url, store), createRedisQueue(settings, redis.url, store)];
    await Promise.all(workers.map((worker) => worker.ready()));
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await Promise.all((web ?? []).map((queue) => queue.close()));
    store?.close();
    await redis?.stop();
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  const ended = (queue: Queue, id: string) =>
    waitFor(`job ${id} to end`, async () => {
      const job = await queue.get(id);
      return job && ['succeeded', 'failed', 'canceled'].includes(job.status) ? job : null;
    });

  test('20 jobs sent at once through two web servers all complete, on both workers, each stored exactly once', async () => {
    const before = store.count();
    const jobs = await Promise.all(Array.from({ length: 20 }, (_, index) => web[index % 2].submit(input(index, 128, 4))));
    assert.equal(new Set(jobs.map((job) => job.id)).size, 20);
    const done = await Promise.all(jobs.map((job, index) => ended(web[(index + 1) % 2], job.id)));
    for (const job of done) {
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      // The stored id is derived from the job id: a second store of the same job would have found this one.
      assert.equal(job.output?.id, resultIdForJob(job.id));
      assert.ok(hasPngSignature(await store.readImage(job.output!.id)));
    }
    assert.equal(store.count() - before, 20, 'exactly one stored result per job');
    assert.deepEqual(new Set(done.map((job) => job.worker)), new Set(['w1', 'w2']), 'both workers took jobs');
    assert.deepEqual(done.map((job) => job.output?.request.seed), jobs.map((_, index) => index), 'each result is its own job\'s');
  });

  test('a cancel sent through one web server stops the job running on a worker, which then takes the next job', async () => {
    const before = store.count();
    const long = await web[0].submit(input(100, 512, 100));
    const events: JobEvent<JobInput, ResultRecord>[] = [];
    web[0].subscribe((event) => events.push(event), { jobId: long.id });
    const running = await waitFor('denoising on a worker', () => events.find((event) => event.job.progress?.phase === 'denoise')?.job);
    assert.ok(running.worker === 'w1' || running.worker === 'w2');
    const canceledAt = Date.now();
    await web[1].cancel(long.id);
    const end = await ended(web[0], long.id);
    assert.equal(end.status, 'canceled');
    assert.ok(Date.now() - canceledAt < 10_000, 'stopped between steps, not at the end');
    const lastStep = events.filter((event) => event.type === 'progress').at(-1)?.job.progress?.step ?? 0;
    assert.ok(lastStep < 100, `stopped at step ${lastStep} of 100`);
    assert.equal(store.count(), before, 'nothing stored for a canceled job');
    // The same worker is free again: it takes a new job at once (the other one is idle too).
    const next = await ended(web[1], (await web[1].submit(input(101, 128, 2))).id);
    assert.equal(next.status, 'succeeded');
  });

  test('kill -9 of the worker running a job: the other worker runs it again and it is stored once', async () => {
    const before = store.count();
    const job = await web[0].submit(input(200, 512, 40));
    const events: JobEvent<JobInput, ResultRecord>[] = [];
    web[1].subscribe((event) => events.push(event), { jobId: job.id });
    const running = await waitFor('denoising on a worker', () => events.find((event) => event.job.progress?.phase === 'denoise')?.job);
    const victim = workers.find((worker) => worker.name === running.worker)!;
    const survivor = workers.find((worker) => worker !== victim)!;
    await victim.kill('SIGKILL');
    const end: StudioJob = await ended(web[1], job.id);
    assert.equal(end.status, 'succeeded', JSON.stringify(end.error));
    assert.equal(end.worker, survivor.name, 'finished by the other worker');
    const starts = events.filter((event) => event.type === 'started').map((event) => event.job.worker);
    assert.deepEqual(starts.slice(-1), [survivor.name], `starts seen: ${starts.join(', ')}`);
    assert.equal(store.count() - before, 1, 'stored once');
    assert.equal(end.output?.id, resultIdForJob(job.id));
  });
});
