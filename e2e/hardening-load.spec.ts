// Overload on the tiny model: 50 generations at once, through all three generation APIs (the studio's, followed
// over SSE; OpenAI's and A1111's, which answer with the image), while 200 event streams are tried from 20 clients.
// The server's own knobs are set for the test: 16 waiting jobs, 16 event streams (4 per client), the generation rate limit lifted.
// Every generation must complete or be refused with 429 (queue full, with position and ETA), none may be lost (each
// accepted job ends with a stored, served result), the streams stay within their cap, and the server's memory stays
// bounded. Prints the numbers.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { rawRequest, startStudio, type RawResponse, type StudioServer } from './support/studio-server.ts';

const GENERATIONS = 50;
const MAX_WAITING = 16;
const STREAM_CAP = 16;

let studio: StudioServer;

test.beforeAll(async () => {
  // The generation rate limit is lifted so that the queue bound, not the per-client limit, does the refusing.
  studio = await startStudio({
    // 127.0.0.1 plays a trusted reverse proxy, so the X-Forwarded-For of the stream requests names 20 clients.
    env: {
      ZIMAGE_MAX_WAITING_JOBS: String(MAX_WAITING),
      ZIMAGE_GENERATE_RATE_LIMIT: '1000',
      ZIMAGE_RATE_LIMIT: '100000',
      ZIMAGE_MAX_EVENT_STREAMS: String(STREAM_CAP),
      ZIMAGE_TRUSTED_PROXIES: '127.0.0.1',
    },
  });
});

test.afterAll(async () => {
  await studio?.kill();
  if (studio) fs.rmSync(studio.dataDir, { recursive: true, force: true });
});

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024);
}

type Outcome = { kind: 'completed'; resultId: string } | { kind: 'refused'; response: RawResponse } | { kind: 'other'; detail: string };

const prompt = (index: number) => ({ prompt: `load ${index}`, steps: 2, cfg: 1, width: 256, height: 256, seed: index });

async function submit(body: object): Promise<string> {
  const response = await rawRequest(studio.baseURL, { method: 'POST', path: '/api/generate', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status, response.text).toBe(202);
  return (JSON.parse(response.text) as { id: string }).id;
}

/** Follows a job over its event stream to the end (or polls, when the stream cap refuses it), then reads the outcome. */
async function follow(id: string): Promise<Outcome> {
  const events = await fetch(`${studio.baseURL}/api/jobs/${id}/events`);
  if (events.status === 200) await events.text(); // the server closes the stream when the job ends
  else await events.body?.cancel();
  for (;;) {
    const { job } = (await (await fetch(`${studio.baseURL}/api/jobs/${id}`)).json()) as { job: { status: string; output?: { id: string } } };
    if (job.status === 'succeeded') return { kind: 'completed', resultId: job.output!.id };
    if (job.status !== 'queued' && job.status !== 'running') return { kind: 'other', detail: `job ${id} ${job.status}` };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function viaStudio(index: number): Promise<Outcome> {
  const response = await rawRequest(studio.baseURL, { method: 'POST', path: '/api/generate', headers: { 'content-type': 'application/json' }, body: JSON.stringify(prompt(index)) });
  if (response.status === 429) return { kind: 'refused', response };
  if (response.status !== 202) return { kind: 'other', detail: `${response.status} ${response.text}` };
  return follow((JSON.parse(response.text) as { id: string }).id);
}

async function viaOpenAi(index: number): Promise<Outcome> {
  const { prompt: text, seed } = prompt(index);
  const body = JSON.stringify({ prompt: text, size: '256x256', steps: 2, seed, response_format: 'url' });
  const response = await rawRequest(studio.baseURL, { method: 'POST', path: '/v1/images/generations', headers: { 'content-type': 'application/json' }, body });
  if (response.status === 429) return { kind: 'refused', response };
  if (response.status !== 200) return { kind: 'other', detail: `${response.status} ${response.text}` };
  const url = (JSON.parse(response.text) as { data: { url: string }[] }).data[0].url;
  return { kind: 'completed', resultId: /results\/([^/]+)\/image\.png$/.exec(url)![1] };
}

async function viaA1111(index: number): Promise<Outcome> {
  const { prompt: text, seed } = prompt(index);
  const body = JSON.stringify({ prompt: text, steps: 2, width: 256, height: 256, seed });
  const response = await rawRequest(studio.baseURL, { method: 'POST', path: '/sdapi/v1/txt2img', headers: { 'content-type': 'application/json' }, body });
  if (response.status === 429) return { kind: 'refused', response };
  if (response.status !== 200) return { kind: 'other', detail: `${response.status} ${response.text}` };
  const { info } = JSON.parse(response.text) as { info: string };
  return { kind: 'completed', resultId: (JSON.parse(info) as { zimage: { id: string } }).zimage.id };
}

test(`${GENERATIONS} concurrent generations: each completes or gets 429, none is lost, memory stays bounded`, async () => {
  const pid = studio.process.pid!;
  // Two runs at the anchor's size before measuring: onnxruntime sizes its arenas on the second run of a shape, so the
  // memory numbers below are about the load alone.
  const anchorSettings = { width: 512, height: 512, steps: 12 };
  const warm = [await submit({ ...prompt(0), ...anchorSettings, steps: 2 })];
  expect((await follow(warm[0])).kind).toBe('completed');
  warm.push(await submit({ ...prompt(1), ...anchorSettings, steps: 2 }));
  expect((await follow(warm[1])).kind).toBe('completed');
  const rssBefore = rssMiB(pid);
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(pid))), 100);
  const started = performance.now();

  // A longer job runs first and a short one waits behind it: the burst below meets a busy engine and a queue that
  // fills, and the listeners below have a job that stays open for seconds.
  const anchor = await submit({ ...prompt(1000), ...anchorSettings });
  const target = await submit(prompt(1001));

  // Idle listeners: 200 stream attempts from 20 clients on the waiting job; each one opens (and stays open until the
  // job ends) or is refused with 429. The count open at once must never pass the cap.
  let open = 0;
  let peakOpen = 0;
  let refusedStreams = 0;
  const listeners = Promise.all(
    Array.from({ length: 200 }, async (_, index) => {
      const response = await fetch(`${studio.baseURL}/api/jobs/${target}/events`, { headers: { 'x-forwarded-for': `10.1.0.${index % 20}` } });
      if (response.status !== 200) {
        expect(response.status).toBe(429);
        refusedStreams++;
        return response.body?.cancel();
      }
      peakOpen = Math.max(peakOpen, ++open);
      await response.text();
      open--;
    }),
  );

  const outcomes = Promise.all(Array.from({ length: GENERATIONS }, (_, index) => [viaStudio, viaOpenAi, viaA1111][index % 3](index + 1)));
  const results = await outcomes;
  await listeners;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);

  const completed = results.filter((outcome) => outcome.kind === 'completed') as Extract<Outcome, { kind: 'completed' }>[];
  const refused = results.filter((outcome) => outcome.kind === 'refused') as Extract<Outcome, { kind: 'refused' }>[];
  const other = results.filter((outcome) => outcome.kind === 'other');
  console.log(
    `[load] ${GENERATIONS} concurrent generations (tiny model, 256², 2 steps, CPU, ZIMAGE_MAX_WAITING_JOBS=${MAX_WAITING}): ` +
      `${completed.length} completed, ${refused.length} refused with 429, ${other.length} other, 0 lost, in ${seconds.toFixed(1)} s; ` +
      `200 event-stream attempts: at most ${peakOpen} open at once (cap ${STREAM_CAP}), ${refusedStreams} refused; ` +
      `server RSS ${rssBefore} MiB → peak ${peakRss} MiB → ${rssMiB(pid)} MiB`,
  );
  expect(other.map((outcome) => (outcome as { detail: string }).detail)).toEqual([]);
  expect(completed.length + refused.length).toBe(GENERATIONS);
  expect(completed.length, 'the waiting places left beside the short job').toBeGreaterThanOrEqual(MAX_WAITING - 1);
  expect(refused.length).toBeGreaterThan(0);
  for (const { response } of refused) {
    const { error } = JSON.parse(response.text) as { error: { code: string; message: string; position?: number } };
    expect(error.code).toBe('queue_full');
    expect(error.message.length).toBeGreaterThan(20);
    expect(error.position).toBeGreaterThan(MAX_WAITING);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  expect(peakOpen).toBeLessThanOrEqual(STREAM_CAP);
  expect(refusedStreams).toBeGreaterThan(0);
  expect(peakRss - rssBefore, 'memory stays bounded').toBeLessThan(128);

  // None lost: every completed generation is a stored result with its image, and nothing else was stored.
  const ids = new Set(completed.map((outcome) => outcome.resultId));
  for (const id of [...warm, anchor, target]) {
    const extra = await follow(id);
    expect(extra.kind).toBe('completed');
    ids.add((extra as { resultId: string }).resultId);
  }
  for (const id of ids) {
    const image = await rawRequest(studio.baseURL, { path: `/api/results/${id}/thumbnail.png` });
    expect(image.status).toBe(200);
    // Thumbnails are small JPEGs since issue 18 (the full image stays the engine's PNG).
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect([...image.body.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  }
  const { total } = JSON.parse((await rawRequest(studio.baseURL, { path: '/api/results?limit=1' })).text) as { total: number };
  expect(total).toBe(ids.size);
  expect(fs.readdirSync(`${studio.dataDir}/images`).length).toBe(2 * ids.size);
});
