// The main thread's side of the engine thread (lib/engine/thread-entry.ts): the in-process queue's runner posts a
// job to it and gets progress events and the finished records' bytes back (every image of a batch); a canceled
// job's AbortSignal becomes a
// message that aborts the job between steps on the thread. One job at a time, like the queue that calls it. A thread
// that dies (a crash, out of memory) fails the job it ran with a message and is started again for the next one.
// Deliberately holds no engine: the sessions live on the thread, this file only carries messages.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NewResult } from '../db/results-store.ts';
import { StudioError, type ApiErrorBody, type ErrorCode } from '../errors.ts';
import type { JobInput } from '../system.ts';
import type { JobProgress as ProgressEvent } from '../queue/types.ts';
import type { OrtOptions } from '../../inference/runtime/ort-options.ts';
import type { EpSetting } from './index.ts';

/** Main thread → engine thread. */
export type ToEngineThread =
  | { type: 'generate'; jobId: string; input: JobInput; queuedMs: number }
  | { type: 'cancel'; jobId: string };

/** Engine thread → main thread. Errors arrive as status and body, code as raised (lib/http.ts raisedErrorBody). */
export type FromEngineThread =
  | { type: 'ready'; threadId: number }
  | { type: 'progress'; jobId: string; progress: ProgressEvent }
  | { type: 'done'; jobId: string; results: NewResult[]; threadId: number }
  | { type: 'failed'; jobId: string; aborted: boolean; error: { status: number; body: ApiErrorBody } };

/** Where `npm start` / `npm run dev` put the compiled thread (scripts/build-engine.mjs), relative to the project root. */
export const ENGINE_THREAD_BUNDLE = path.join('dist', 'engine', 'engine-thread.mjs');

export interface EngineThreadOptions {
  weightsDir: string;
  epSetting: EpSetting;
  /** onnxruntime session settings for the thread's sessions (lib/env.ts's ortOptions). */
  ort?: OrtOptions;
  /** The thread's module: the bundle in dist/ by default; tests (run by tsx) pass lib/engine/thread-entry.ts. */
  file?: string;
}

interface Pending {
  jobId: string;
  worker: Worker;
  resolve: (results: NewResult[]) => void;
  reject: (error: Error) => void;
  onProgress: (progress: ProgressEvent) => void;
}

function abortError(): Error {
  const error = new Error('The job was canceled.');
  error.name = 'AbortError';
  return error;
}

export class EngineThread {
  private worker?: Worker;
  private pending?: Pending;
  /** The thread id of the worker that ran the last job (never the main thread's 0); for tests and diagnostics. */
  lastThreadId?: number;

  constructor(private readonly options: EngineThreadOptions) {}

  /** Runs one job (every image of a batch) on the engine thread; rejects with an AbortError when `signal` aborts it. */
  generate(
    jobId: string,
    input: JobInput,
    context: { queuedMs: number; signal: AbortSignal; onProgress: (progress: ProgressEvent) => void },
  ): Promise<NewResult[]> {
    if (this.pending) return Promise.reject(new Error(`The engine thread is busy with job ${this.pending.jobId}; it runs one job at a time.`));
    if (context.signal.aborted) return Promise.reject(abortError());
    const worker = this.start();
    // Referenced only while a job runs: an idle thread never keeps the process alive (tests end, a server stops).
    worker.ref();
    return new Promise<NewResult[]>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', jobId } satisfies ToEngineThread);
      context.signal.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(then: (value: T) => void) => (value: T) => {
        context.signal.removeEventListener('abort', onAbort);
        worker.unref();
        this.pending = undefined;
        then(value);
      };
      this.pending = { jobId, worker, resolve: settle(resolve), reject: settle(reject), onProgress: context.onProgress };
      worker.postMessage({ type: 'generate', jobId, input, queuedMs: context.queuedMs } satisfies ToEngineThread);
    });
  }

  /** Stops the thread and its sessions (tests, shutdown); a job still running fails. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const file = path.resolve(/* turbopackIgnore: true */ this.options.file ?? ENGINE_THREAD_BUNDLE);
    const workerData = { weightsDir: this.options.weightsDir, epSetting: this.options.epSetting, ort: this.options.ort ?? {} };
    // A .ts source (tests) goes through tsx's loader, registered in the thread first: Node 20 does not apply the
    // parent's --import tsx to a worker's entry file.
    const worker = file.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(pathToFileURL(file).href)}))`, { eval: true, workerData })
      : // A file: URL, not a path: Turbopack would trace a path (and the whole project behind the bundle's fs calls).
        new Worker(pathToFileURL(file), { workerData });
    worker.unref();
    worker.on('message', (message: FromEngineThread) => this.receive(message));
    worker.on('error', (error) => this.lost(worker, `failed: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private receive(message: FromEngineThread): void {
    const pending = this.pending;
    if (message.type === 'ready' || !pending || message.jobId !== pending.jobId) return;
    if (message.type === 'progress') pending.onProgress(message.progress);
    else if (message.type === 'done') {
      this.lastThreadId = message.threadId;
      pending.resolve(message.results);
    } else if (message.aborted) pending.reject(abortError());
    // rebuilt from the thread's raisedErrorBody: the status and the code as raised (kebab-case if the engine's) travelled
    else pending.reject(new StudioError(message.error.status, message.error.body.code as ErrorCode, message.error.body.message, message.error.body.hint));
  }

  /** The thread is gone: the job it ran fails, and the next job starts a new thread. */
  private lost(worker: Worker, how: string): void {
    if (this.worker === worker) this.worker = undefined;
    const pending = this.pending;
    // 'error' and then 'exit' both report one thread; a job already on a new thread is not this one's.
    if (!pending || pending.worker !== worker) return;
    const file = this.options.file ?? ENGINE_THREAD_BUNDLE;
    const notBuilt = /Cannot find module|ERR_MODULE_NOT_FOUND/.test(how);
    pending.reject(
      notBuilt
        ? new StudioError('engine_not_built', `Cannot start the engine thread from ${path.resolve(/* turbopackIgnore: true */ file)}: ${how}.`, 'Run `npm run build:engine` (npm start and npm run dev do it), from the project folder.')
        : new StudioError('engine_thread_lost', `The engine thread ${how} while it ran job ${pending.jobId}; the next job starts a new one.`, 'The server log has the cause; retry the job.'),
    );
  }
}
