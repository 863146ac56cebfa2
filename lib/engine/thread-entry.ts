// The engine's thread (a worker_threads Worker) for the in-process queue: it owns the loaded sessions and runs each job
// from the engine call to the stored record's bytes (denoise, decode, pixels, PNG, thumbnail, health and census
// evidence), so none of that CPU work stalls the server's event loop. Sessions stay loaded between jobs, exactly as
// on the main thread before. Deliberately stores nothing and knows no HTTP: lib/engine/thread.ts (the main side)
// hands the result to the store, and errors travel as { status, body } with the code as raised (raisedErrorBody).
// Built by scripts/build-engine.mjs into dist/engine/engine-thread.mjs (the engine bundled in, npm packages external).
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { isAbort } from '../../inference/errors.ts';
import type { OrtOptions } from '../../inference/runtime/ort-options.ts';
import { raisedErrorBody } from '../http.ts';
import type { JobInput } from '../system.ts';
import { generateJob } from '../server/generation.ts';
import * as entry from './entry.ts';
import { EngineAdapter, type EpSetting } from './index.ts';
import type { FromEngineThread, ToEngineThread } from './thread.ts';

const port = parentPort;
if (!port) throw new Error('lib/engine/thread-entry runs as the engine thread (lib/engine/thread.ts starts it), not on its own.');

const { weightsDir, epSetting, ort } = workerData as { weightsDir: string; epSetting: EpSetting; ort: OrtOptions };
const engine = new EngineAdapter(weightsDir, epSetting, { ort, engine: async () => entry });
const running = new Map<string, AbortController>();

function send(message: FromEngineThread, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function run(jobId: string, input: JobInput, queuedMs: number): Promise<void> {
  const controller = new AbortController();
  running.set(jobId, controller);
  try {
    const results = await generateJob(engine, input, {
      queuedMs,
      signal: controller.signal,
      onProgress: (progress) => send({ type: 'progress', jobId, progress }),
    });
    // The images move to the main thread instead of being copied.
    const transfer = results.flatMap((result) => [result.png.buffer, result.thumbnail.buffer]).filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
    send({ type: 'done', jobId, results, threadId }, [...new Set(transfer)]);
  } catch (error) {
    const aborted = controller.signal.aborted || isAbort(error);
    send({ type: 'failed', jobId, aborted, error: raisedErrorBody(error) });
  } finally {
    running.delete(jobId);
  }
}

port.on('message', (message: ToEngineThread) => {
  if (message.type === 'generate') void run(message.jobId, message.input, message.queuedMs);
  else if (message.type === 'cancel') running.get(message.jobId)?.abort();
});
send({ type: 'ready', threadId });
