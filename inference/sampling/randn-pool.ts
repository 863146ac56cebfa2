// randn on noise threads (worker_threads of this process; not the studio's engine thread or the queue's GPU
// workers): the same bits as rng.ts's randn, sooner. The generator's draws stay on the calling
// thread (MT19937 is sequential, ~5 ms for a 1024² latent), the float32 Box-Muller blocks (~25 ms there on one
// core) are split over a small pool of noise threads that run normal-kernels.ts's very source text, and the
// caller is free while they work: the pipeline starts the noise before the text encoder and collects it after.
// Falls back to the calling thread where threads cannot start.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { fma32, mulAdd32 } from './float32.ts';
import { normalKernels, type NormalPath } from './normal-kernels.ts';
import { beginRandn, drawUniforms, randn, redrawTail, type RandnOptions } from './rng.ts';

/** Below this many values the thread hop costs more than it saves. */
const POOL_MIN = 1 << 16;

// `__name`: the helper esbuild (tsx, and our bundles with keepNames) writes into function bodies to keep their
// names; as plain source text here it needs a definition, and naming is all it does.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const __name = (target) => target;
const kernels = (${normalKernels.toString()})(${fma32.toString()}, ${mulAdd32.toString()});
parentPort.on('message', ({ id, buffer, from, to, path }) => {
  kernels.transform(new Float32Array(buffer), from, to, path);
  parentPort.postMessage(id);
});`;

interface Job { resolve: () => void; reject: (e: Error) => void }

class Pool {
  private readonly threads: Worker[] = [];
  private readonly busy = new Map<Worker, number>();
  private readonly jobs = new Map<number, Job>();
  private next = 0;
  /** Blocks transformed off the calling thread so far (tests check that the pool really ran). */
  blocksOffThread = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(THREAD_SOURCE, { eval: true });
      w.on('message', (id: number) => {
        const j = this.jobs.get(id);
        this.jobs.delete(id);
        const left = (this.busy.get(w) ?? 1) - 1;
        this.busy.set(w, left);
        if (left === 0) w.unref(); // idle again: an idle pool never keeps the process alive
        j?.resolve();
      });
      w.on('error', (e) => { for (const j of this.jobs.values()) j.reject(e); this.jobs.clear(); pool = null; });
      w.unref(); // after the listeners: attaching one refs the thread again
      this.threads.push(w);
    }
  }

  /** The 16-blocks of `data` (on a SharedArrayBuffer), split evenly over the threads. */
  transform(data: Float32Array, path: NormalPath): Promise<void> {
    const blocks = Math.floor(data.length / 16);
    const per = Math.ceil(blocks / this.threads.length);
    const parts: Promise<void>[] = [];
    this.threads.forEach((w, i) => {
      const from = i * per * 16, to = Math.min(blocks, (i + 1) * per) * 16;
      if (from >= to) return;
      const id = this.next++;
      parts.push(new Promise((resolve, reject) => this.jobs.set(id, { resolve, reject })));
      this.busy.set(w, (this.busy.get(w) ?? 0) + 1);
      w.ref(); // busy: keep the process alive until its results are back
      w.postMessage({ id, buffer: data.buffer, from, to, path });
    });
    this.blocksOffThread += blocks;
    return Promise.all(parts).then(() => undefined);
  }
}

let pool: Pool | null | undefined;

function getPool(): Pool | null {
  if (pool === undefined) {
    try {
      pool = new Pool(Math.max(1, Math.min(4, os.availableParallelism() - 1)));
    } catch {
      pool = null; // no threads here: the calling thread does it all
    }
  }
  return pool;
}

/** Starts the noise threads now (e.g. when a pipeline loads), so the first generation does not wait for them. */
export function warmRandnPool(): void {
  getPool();
}

/** How many 16-value blocks the pool has transformed (0 if every call ran on the calling thread). */
export function randnPoolBlocks(): number {
  return pool?.blocksOffThread ?? 0;
}

/**
 * `torch.manual_seed(seed); torch.randn(shape)`, bit for bit like randn(): the draws happen before this returns,
 * the transform on the noise threads until the promise resolves.
 */
export function randnAsync(seed: number | bigint, shape: readonly number[], options: RandnOptions = {}): Promise<Float32Array> {
  const numel = shape.reduce((a, b) => a * b, 1);
  const p = numel >= POOL_MIN ? getPool() : null;
  if (!p) return Promise.resolve(randn(seed, shape, options));
  const { out, gen, path } = beginRandn(seed, shape, options, (n) => new Float32Array(new SharedArrayBuffer(n * 4)));
  drawUniforms(out, gen);
  return p.transform(out, path).then(() => {
    redrawTail(out, gen, path);
    return Float32Array.from(out); // an ordinary buffer for onnxruntime and the caller
  }, () => randn(seed, shape, options)); // a noise thread failed (and the pool is dropped): the same values, here
}
