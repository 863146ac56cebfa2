// Images per minute through a running studio (either queue back end): sends N jobs at once to POST /api/generate,
// follows them through GET /api/jobs/:id and prints the throughput and which worker ran how many. For comparing
// 1 vs 2 workers on a GPU host (README, "Scaling out"). Deliberately plain Node and the public HTTP API only.
//
//   node scripts/throughput.mjs [--url http://127.0.0.1:3000] [--jobs 32] [--size 1024] [--steps 8] [--precision bf16]
//
// ZIMAGE_API_TOKEN, when set, is sent as the bearer token. The server's ZIMAGE_MAX_WAITING_JOBS must allow --jobs,
// and its request limits must not throttle the run (e.g. ZIMAGE_GENERATE_RATE_LIMIT=1000 ZIMAGE_RATE_LIMIT=10000):
// a 429 is waited out (Retry-After) and retried, but a throttled run measures the limit, not the workers.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    jobs: { type: 'string', default: '32' },
    size: { type: 'string', default: '1024' },
    steps: { type: 'string', default: '8' },
    precision: { type: 'string' },
    model: { type: 'string' },
  },
});
const jobs = Number(values.jobs);
const size = Number(values.size);
const headers = { 'Content-Type': 'application/json' };
if (process.env.ZIMAGE_API_TOKEN) headers.Authorization = `Bearer ${process.env.ZIMAGE_API_TOKEN}`;

async function call(path, init) {
  for (;;) {
    const response = await fetch(`${values.url}${path}`, { ...init, headers });
    const body = await response.json();
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after') ?? 1);
      console.error(`429 ${body.error?.code}: waiting ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    if (!response.ok) throw new Error(`${path}: ${response.status} ${body.error?.code}: ${body.error?.message}`);
    return body;
  }
}

const params = (seed) => ({
  prompt: `throughput test portrait ${seed}, window light`,
  steps: Number(values.steps),
  cfg: 1,
  width: size,
  height: size,
  seed,
  ...(values.precision ? { precision: values.precision } : {}),
  ...(values.model ? { model: values.model } : {}),
});

const started = Date.now();
const ids = await Promise.all(Array.from({ length: jobs }, (_, seed) => call('/api/generate', { method: 'POST', body: JSON.stringify(params(seed)) }).then((body) => body.id)));
// One status request every 200 ms, round the unfinished jobs: gentle on the server's request limit, and the batch's
// end is seen within a few polls since few jobs are left by then.
const ended = new Map();
for (let turn = 0; ended.size < ids.length; turn++) {
  const open = ids.filter((id) => !ended.has(id));
  const { job } = await call(`/api/jobs/${open[turn % open.length]}`);
  if (['succeeded', 'failed', 'canceled'].includes(job.status)) ended.set(job.id, job);
  else await new Promise((resolve) => setTimeout(resolve, 200));
}
const done = [...ended.values()];
// The batch ends at the last job's finishedAt (server clock, the same host or NTP-synced), not at the poll that saw it.
const minutes = (Math.max(...done.map((job) => job.finishedAt ?? Date.now())) - started) / 60_000;
const succeeded = done.filter((job) => job.status === 'succeeded');
const byWorker = {};
for (const job of succeeded) byWorker[job.worker ?? 'in-process'] = (byWorker[job.worker ?? 'in-process'] ?? 0) + 1;
console.log(
  JSON.stringify(
    {
      jobs,
      succeeded: succeeded.length,
      failed: done.filter((job) => job.status !== 'succeeded').map((job) => job.error?.message ?? job.status),
      size: `${size}x${size}`,
      steps: Number(values.steps),
      seconds: Math.round(minutes * 600) / 10,
      imagesPerMinute: Math.round((succeeded.length / minutes) * 10) / 10,
      byWorker,
    },
    null,
    2,
  ),
);
