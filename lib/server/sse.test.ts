// Tests the job event stream over a real Response body: snapshot first, live events in order, close at the end,
// and a `gone` event for an unknown job. Uses the in-memory queue with an in-test engine double.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryJobQueue } from '../queue/memory-queue.ts';
import type { JobRunner } from '../queue/types.ts';
import { jobEventStream } from './sse.ts';

interface Frame {
  event: string;
  data: { status?: string; version?: number; progress?: { step?: number }; code?: string };
}

async function readFrames(response: Response): Promise<Frame[]> {
  const text = await response.text(); // resolves only when the server closes the stream
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => {
      const event = /event: (.*)/.exec(block)![1];
      const data = JSON.parse(/data: (.*)/.exec(block)![1]);
      return { event, data };
    });
}

function steppingEngine(steps: number): JobRunner<string, string> {
  return async (input, { onProgress }) => {
    for (let step = 1; step <= steps; step++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      onProgress({ phase: 'denoise', step, totalSteps: steps, elapsedMs: step * 5 });
    }
    return input.toUpperCase();
  };
}

test('streams a snapshot, every step, and the end; then closes', async () => {
  const queue = new MemoryJobQueue({ runner: steppingEngine(3), describeError: () => ({ code: 'x', message: 'x' }) });
  const job = await queue.submit('a');
  const response = jobEventStream(queue, job.id, new AbortController().signal);
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const frames = await readFrames(response);
  assert.equal(frames[0].event, 'snapshot');
  assert.deepEqual(
    frames.filter((frame) => frame.event === 'progress').map((frame) => frame.data.progress?.step),
    [1, 2, 3],
  );
  assert.equal(frames.at(-1)?.event, 'succeeded');
  const versions = frames.map((frame) => frame.data.version!);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'no event older than one already sent');
});

test('a job that already ended gets its final snapshot and an immediate close', async () => {
  const queue = new MemoryJobQueue({ runner: steppingEngine(1), describeError: () => ({ code: 'x', message: 'x' }) });
  const job = await queue.submit('a');
  await readFrames(jobEventStream(queue, job.id, new AbortController().signal));
  const frames = await readFrames(jobEventStream(queue, job.id, new AbortController().signal));
  assert.deepEqual(frames.map((frame) => frame.event), ['snapshot']);
  assert.equal(frames[0].data.status, 'succeeded');
});

test('an unknown job gets a `gone` event that says why', async () => {
  const queue = new MemoryJobQueue({ runner: steppingEngine(1), describeError: () => ({ code: 'x', message: 'x' }) });
  const frames = await readFrames(jobEventStream(queue, 'nope', new AbortController().signal));
  assert.equal(frames[0].event, 'gone');
  assert.equal(frames[0].data.code, 'job_not_found');
});

test('the stream ends when the client disconnects', async () => {
  const queue = new MemoryJobQueue({ runner: () => new Promise(() => {}), describeError: () => ({ code: 'x', message: 'x' }) });
  const job = await queue.submit('a');
  const client = new AbortController();
  const response = jobEventStream(queue, job.id, client.signal);
  setTimeout(() => client.abort(), 20);
  const frames = await readFrames(response);
  assert.equal(frames[0].event, 'snapshot');
});
