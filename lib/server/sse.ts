// One job's life as a Server-Sent Events stream: a `snapshot` first, then every queue event (`queued`, `position`,
// `started`, `progress`, `succeeded`, `failed`, `canceled`), closed after the job ends. Deliberately stateless
// across connections: a reconnecting browser gets a fresh snapshot, so nothing is replayed from a log.
import type { ApiErrorBody } from '../errors.ts';
import { isTerminal, type JobEvent, type JobQueue } from '../queue/types.ts';

const HEARTBEAT_MS = 15_000;

export function jobEventStream<TInput, TOutput>(queue: JobQueue<TInput, TOutput>, jobId: string, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      const write = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const send = (event: string, data: unknown, id?: number) =>
        write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };

      // Subscribe before reading the snapshot; events that arrive meanwhile wait, and only newer ones are sent.
      let snapshotVersion: number | null = null;
      const early: JobEvent<TInput, TOutput>[] = [];
      const deliver = (event: JobEvent<TInput, TOutput>) => {
        if (snapshotVersion !== null && event.job.version <= snapshotVersion) return;
        send(event.type, event.job, event.job.version);
        if (isTerminal(event.job.status)) close();
      };
      const unsubscribe = queue.subscribe((event) => (snapshotVersion === null ? early.push(event) : deliver(event)), { jobId });
      // A comment line every 15 s keeps proxies from closing an idle stream while the job waits in line.
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
        signal.removeEventListener('abort', close);
      };
      signal.addEventListener('abort', close, { once: true });

      const job = await queue.get(jobId);
      if (!job) {
        const gone: ApiErrorBody = {
          code: 'job_not_found',
          message: `Job ${jobId} is unknown: jobs live in memory and are forgotten on restart. Saved results stay in the history.`,
        };
        send('gone', gone);
        return close();
      }
      snapshotVersion = job.version;
      send('snapshot', job, job.version);
      if (isTerminal(job.status)) return close();
      early.forEach(deliver);
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform stops compression middleware from buffering the stream.
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    },
  });
}
