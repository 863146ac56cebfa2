// One job's life as a Server-Sent Events stream: a `snapshot` first, then every queue event (`queued`, `position`,
// `started`, `progress`, `succeeded`, `failed`, `canceled`), closed after the job ends. Deliberately stateless
// across connections: a reconnecting browser gets a fresh snapshot, so nothing is replayed from a log. Open streams
// are counted (per client and in total) so that many idle browsers cannot hold the server's memory.
import { getEnv } from '../env.ts';
import { StudioError, type ApiErrorBody } from '../errors.ts';
import { isTerminal, type JobEvent, type JobQueue, type JobSnapshot } from '../queue/types.ts';
import { clientKey, StreamGate } from './limits.ts';

const HEARTBEAT_MS = 15_000;

export interface JobStreamOptions<TInput, TOutput> {
  /** Where to look when the queue does not know the job (the jobs table): its last state is sent, then the end. */
  lookup?: (jobId: string) => Promise<JobSnapshot<TInput, TOutput> | undefined> | JobSnapshot<TInput, TOutput> | undefined;
  /** Called once when the stream ends, however it ends. */
  onClose?: () => void;
}

const GATE = Symbol.for('zimage-studio.event-stream-gate');

/** The process-wide count of open streams: ZIMAGE_MAX_EVENT_STREAMS in total, a quarter of it per client. */
function eventStreamGate(): StreamGate {
  const holder = globalThis as typeof globalThis & { [GATE]?: StreamGate };
  const max = getEnv().ZIMAGE_MAX_EVENT_STREAMS;
  holder[GATE] ??= new StreamGate(max, Math.max(1, Math.floor(max / 4)));
  return holder[GATE];
}

/** Takes a place for one more stream from this client, or throws the 429 that says which limit is reached. */
export function admitEventStream(headers: Headers): () => void {
  const gate = eventStreamGate();
  const client = clientKey(headers);
  const entry = gate.enter(client);
  if ('release' in entry) return entry.release;
  throw new StudioError(
    'too_many_streams',
    entry.refused === 'client'
      ? `${client} already has ${gate.maxPerClient} job event streams open. Close some (each browser tab follows its own jobs), then retry.`
      : `The server has ${gate.maxTotal} job event streams open, its limit. Retry in a moment, or poll GET /api/jobs/:id instead.`,
    'The limit is ZIMAGE_MAX_EVENT_STREAMS (a quarter of it per client).',
  );
}

export function jobEventStream<TInput, TOutput>(
  queue: JobQueue<TInput, TOutput>,
  jobId: string,
  signal: AbortSignal,
  options: JobStreamOptions<TInput, TOutput> = {},
): Response {
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
        cleanup = () => {};
        options.onClose?.();
      };
      signal.addEventListener('abort', close, { once: true });
      if (signal.aborted) return close();

      const job = (await queue.get(jobId)) ?? (await options.lookup?.(jobId));
      if (!job) {
        const gone: ApiErrorBody = {
          code: 'job_not_found',
          message: `Job ${jobId} is unknown: it was never submitted here, or it ended more than a week ago. Saved results stay in the history.`,
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
