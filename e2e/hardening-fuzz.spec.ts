// Hostile input against every route of a real studio: wrong types, out-of-range numbers, unknown and prototype keys,
// broken JSON, wrong content types, huge and chunked bodies, path traversal (plain, encoded, double-encoded, NUL,
// backslashes, long names), injection strings, wrong methods and paths, foreign Host and Origin headers. Every request
// must get a 4xx with a message (JSON for API paths), nothing from outside the data folder may come back, and after
// the run the studio is healthy, generates, and its data folder holds exactly what it held before.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { rawRequest, refusalMessage, startStudio, type RawRequest, type RawResponse, type StudioServer } from './support/studio-server.ts';

const VALID = { prompt: 'a calm portrait', steps: 2, cfg: 1, width: 256, height: 256, seed: 1 };
const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE results; --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}',
  '${7*7}',
  '$(rm -rf /)',
  '`id`',
  '\r\nSet-Cookie: pwned=1',
  '%0d%0aLocation:%20http://evil.example',
];
const TRAVERSALS = [
  '..%2F..%2Fstudio.db',
  '..%2f..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fstudio.db',
  '%252e%252e%252fstudio.db',
  '..%5C..%5Cstudio.db',
  '%2Fetc%2Fpasswd',
  'C%3A%5CWindows%5Cwin.ini',
  'AAAAAAAAAAAAAAAAAAAAA%00',
  '%00',
  '%c0%ae%c0%ae%2fstudio.db',
  `${'A'.repeat(4000)}`,
  'AAAAAAAAAAAAAAAAAAAAAA.png',
  "%27%20OR%201%3D1--",
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
];

/** Field values that must each be refused, per studio field; merged one at a time into a valid body. */
const BAD_FIELDS: Record<string, unknown[]> = {
  prompt: [1, null, true, [], {}, '', '   ', 'x'.repeat(8001), 'nul\u0000byte', 'half \ud800 pair', '\u0007bell'],
  negativePrompt: [5, [], 'x'.repeat(8001), 'esc\u001b[31m'],
  steps: ['8', 8.5, 0, -1, 101, 1e308, null, [8]],
  cfg: ['1', 0, 0.99, 21, -5, null],
  width: [1000, 0, -256, 65536, 255, 2064, 256.5, '256', null],
  height: [1008.5, 4096, 16, {}],
  seed: [-1, 2 ** 53, 1.5, '7', null, -0.5],
  precision: ['fp64', 'bf16; rm -rf /', 1, '../fp32'],
  model: ['../../etc/passwd', '/etc/passwd', '..', 'C:\\Windows', 'tiny/../tiny', 'tiny\u0000', 'x'.repeat(129), 7, ''],
  sampler: ['euler'],
  __proto__: [{ polluted: true }],
  constructor: [{ prototype: { polluted: true } }],
};

function studioBodies(): unknown[] {
  const bodies: unknown[] = [];
  for (const [field, values] of Object.entries(BAD_FIELDS)) {
    for (const value of values) bodies.push(JSON.parse(JSON.stringify({ ...VALID, [field]: value })));
  }
  // __proto__ does not survive an object spread; write it into the JSON text instead.
  bodies.push(`{"prompt":"x","steps":2,"cfg":1,"width":256,"height":256,"seed":1,"__proto__":{"admin":true}}`);
  for (const missing of Object.keys(VALID)) bodies.push(Object.fromEntries(Object.entries(VALID).filter(([key]) => key !== missing)));
  return bodies;
}

const OPENAI_BODIES: unknown[] = [
  { prompt: 'x', n: 9 },
  { prompt: 'x', size: '1000x1024' },
  { prompt: 'x', size: 'large' },
  { prompt: 'x', size: '1024x1024'.repeat(10) },
  { prompt: 'x', response_format: 'file' },
  { prompt: 'x', quality: 'ultra' },
  { prompt: 'x', background: 'transparent' },
  { prompt: 'x', output_format: 'gif' },
  { prompt: 'x', model: '../../weights' },
  { prompt: 'x', user: 'u'.repeat(300) },
  { prompt: 'x', seed: -1 },
  { prompt: 'x', steps: 1000 },
  { prompt: 7 },
  { size: '256x256' },
];

const A1111_BODIES: unknown[] = [
  { prompt: 'x', width: 1000 },
  { prompt: 'x', sampler_name: 'DPM++ 2M' },
  { prompt: 'x', batch_size: 9 },
  { prompt: 'x', n_iter: 0 },
  { prompt: 'x', script_name: 'X/Y/Z plot' },
  { prompt: 'x', alwayson_scripts: { ControlNet: { args: [{ enabled: true }] } } },
  { prompt: 'x', enable_hr: true },
  { prompt: 'x', seed: -2 },
  { prompt: 'x', cfg_scale: 0 },
  { prompt: 'x', sampler_name: 'Euler a' },
  { prompt: 'x', override_settings: { sd_model_checkpoint: '../../x' } },
  { prompt: ['x'] },
];

const BROKEN_JSON = ['', '{', '{"prompt":', '{"prompt":"x",}', "{'prompt':'x'}", 'NaN', '[]', 'null', '"prompt"', '{"a":1}{"b":2}', `${'['.repeat(5000)}${']'.repeat(5000)}`];
const WRONG_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/xml', 'application/json; charset=utf-16', 'text/html'];

function jsonPost(route: string, body: unknown, headers: Record<string, string> = {}): RawRequest {
  return { method: 'POST', path: route, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

function hostileRequests(resultId: string, jobId: string): { name: string; request: RawRequest }[] {
  const list: { name: string; request: RawRequest }[] = [];
  const add = (name: string, request: RawRequest) => list.push({ name, request });
  const generators = ['/api/generate', '/v1/images/generations', '/sdapi/v1/txt2img'];

  for (const body of studioBodies()) add(`generate ${JSON.stringify(body).slice(0, 80)}`, jsonPost('/api/generate', body));
  for (const body of OPENAI_BODIES) add(`openai ${JSON.stringify(body).slice(0, 80)}`, jsonPost('/v1/images/generations', body));
  for (const body of A1111_BODIES) add(`a1111 ${JSON.stringify(body).slice(0, 80)}`, jsonPost('/sdapi/v1/txt2img', body));
  for (const route of generators) {
    for (const text of BROKEN_JSON) add(`${route} broken JSON ${text.slice(0, 20)}`, jsonPost(route, text));
    for (const type of WRONG_TYPES) add(`${route} as ${type}`, { method: 'POST', path: route, headers: { 'content-type': type }, body: JSON.stringify(VALID) });
    add(`${route} without a content type`, { method: 'POST', path: route, body: JSON.stringify(VALID) });
    add(`${route} 300 KB body`, jsonPost(route, { ...VALID, negativePrompt: 'x'.repeat(300_000) }));
    add(`${route} 5 MB declared`, jsonPost(route, 'x'.repeat(5 * 1024 * 1024)));
    add(`${route} chunked 2 MB, no length`, {
      method: 'POST',
      path: route,
      headers: { 'content-type': 'application/json' },
      body: function* () {
        for (let index = 0; index < 32; index++) yield new Uint8Array(65536).fill(0x20);
      },
    });
    add(`${route} Latin-1 bytes`, { method: 'POST', path: route, headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x7b, 0x22, 0x70, 0xe9, 0x22, 0x3a, 0x31, 0x7d]) });
  }

  const idRoutes = (id: string) => [
    ['GET', `/api/jobs/${id}`],
    ['POST', `/api/jobs/${id}/cancel`],
    ['GET', `/api/jobs/${id}/events`],
    ['GET', `/api/results/${id}`],
    ['DELETE', `/api/results/${id}`],
    ['GET', `/api/results/${id}/image.png`],
    ['GET', `/api/results/${id}/image`],
    ['GET', `/api/results/${id}/thumbnail.png`],
  ];
  for (const id of [...TRAVERSALS, ...INJECTIONS.map(encodeURIComponent)]) {
    for (const [method, route] of idRoutes(id)) add(`${method} ${route.slice(0, 90)}`, { method, path: route });
    add(`share page ${id.slice(0, 40)}`, { path: `/r/${id}` });
  }
  for (const raw of ['/api/results/../../../etc/passwd', '/api/results/..\\..\\studio.db/image.png', '/api/jobs/./../../../studio.db', '//etc/passwd']) add(`raw ${raw}`, { path: raw });
  // Well-formed ids that do not exist.
  add('unknown result', { path: '/api/results/ZZZZZZZZZZZZZZZZZZZZZZ/image.png' });
  add('unknown job', { path: '/api/jobs/unknown-job-id' });

  for (const query of ['limit=0', 'limit=-1', 'limit=101', 'limit=abc', 'limit=1e3', 'limit=1&limit=2', 'cursor=', 'cursor=not!base64', `cursor=${encodeURIComponent(INJECTIONS[1])}`, 'cursor=W10', 'unknown=1', `cursor=${'A'.repeat(300)}`]) {
    add(`results ?${query}`, { path: `/api/results?${query}` });
  }
  for (const query of ['meta=2', 'download=yes', 'meta=0&meta=1', 'size=1024', `download=1${encodeURIComponent(INJECTIONS[8])}`]) {
    add(`image ?${query}`, { path: `/api/results/${resultId}/image.png?${query}` });
  }

  for (const [method, route] of [
    ['PUT', '/api/generate'],
    ['GET', '/api/generate'],
    ['DELETE', '/api/system'],
    ['POST', '/api/results'],
    ['PATCH', `/api/results/${resultId}`],
    ['POST', `/api/results/${resultId}/image.png`],
    ['PUT', `/api/jobs/${jobId}`],
    ['GET', '/v1/images/generations'],
    ['DELETE', '/sdapi/v1/txt2img'],
  ]) {
    add(`${method} ${route}`, { method, path: route });
  }
  for (const route of ['/api/nope', '/api/results/x/y/z', '/v1/engines', '/sdapi/v1/extensions', '/api/../../etc/passwd', '/api/weights/tiny/fp32/manifest.json']) add(`unknown ${route}`, { path: route });

  add('DNS rebinding Host', { path: '/api/system', headers: { host: 'attacker.example' } });
  add('DNS rebinding Host on a page', { path: '/', headers: { host: 'attacker.example:80' } });
  add('cross-site POST', jsonPost('/api/generate', VALID, { origin: 'http://evil.example' }));
  add('cross-site DELETE', { method: 'DELETE', path: `/api/results/${resultId}`, headers: { origin: 'null' } });
  add('cross-site cancel', { method: 'POST', path: `/api/jobs/${jobId}/cancel`, headers: { 'sec-fetch-site': 'cross-site' } });
  add('sign-in without a token configured', jsonPost('/api/session', { token: 'whatever-whatever' }));
  return list;
}

let studio: StudioServer;

test.beforeAll(async () => {
  // Limits high enough that the fuzz tests validation, not the rate limiter (the access spec tests that).
  studio = await startStudio({ env: { ZIMAGE_RATE_LIMIT: '100000', ZIMAGE_GENERATE_RATE_LIMIT: '100000' } });
});

test.afterAll(async () => {
  await studio?.kill();
  if (studio) fs.rmSync(studio.dataDir, { recursive: true, force: true });
});

async function generate(baseURL: string): Promise<{ jobId: string; resultId: string }> {
  const submitted = await rawRequest(baseURL, jsonPost('/api/generate', VALID));
  expect(submitted.status, submitted.text).toBe(202);
  const jobId = (JSON.parse(submitted.text) as { id: string }).id;
  await expect
    .poll(async () => (JSON.parse((await rawRequest(baseURL, { path: `/api/jobs/${jobId}` })).text) as { job: { status: string } }).job.status, { timeout: 60_000 })
    .toBe('succeeded');
  const job = JSON.parse((await rawRequest(baseURL, { path: `/api/jobs/${jobId}` })).text) as { job: { output: { id: string } } };
  return { jobId, resultId: job.job.output.id };
}

/** Next.js answers some raw paths (backslashes, `//`) with a redirect to their normal form; judge where it leads. */
async function followRedirects(request: RawRequest): Promise<RawResponse> {
  let response = await rawRequest(studio.baseURL, request);
  for (let hop = 0; hop < 3 && response.status >= 300 && response.status < 400 && String(response.headers.location ?? '').startsWith('/'); hop++) {
    response = await rawRequest(studio.baseURL, { path: String(response.headers.location), headers: request.headers });
  }
  return response;
}

/** Every file under the data folder with its size, but the database's own files (its WAL changes with every read). */
function dataFolder(dataDir: string): string[] {
  return (fs.readdirSync(dataDir, { recursive: true }) as string[])
    .filter((name) => !name.startsWith('studio.db'))
    .map((name) => `${name} ${fs.statSync(path.join(dataDir, name)).isFile() ? fs.statSync(path.join(dataDir, name)).size : 'dir'}`)
    .sort();
}

test('≥ 200 hostile requests each get a 4xx with a message; the studio stays healthy and its data untouched', async () => {
  const { jobId, resultId } = await generate(studio.baseURL);
  const filesBefore = dataFolder(studio.dataDir);
  const requests = hostileRequests(resultId, jobId);
  expect(requests.length).toBeGreaterThanOrEqual(200);

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  // Eight at a time: concurrency without turning the fuzz into a load test.
  for (let index = 0; index < requests.length; index += 8) {
    await Promise.all(
      requests.slice(index, index + 8).map(async ({ name, request }) => {
        const response = await followRedirects(request);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const message = refusalMessage(response);
        if (response.status < 400 || response.status >= 500) failures.push(`${name}: ${response.status} ${response.text.slice(0, 200)}`);
        else if (message.length < 10) failures.push(`${name}: ${response.status} without a message`);
        // Dot segments and backslashes resolve as a browser would; what is still an API path must answer JSON.
        else if (/^\/(api|v1|sdapi)\//.test(new URL(request.path, 'http://x').pathname) && !String(response.headers['content-type']).startsWith('application/json')) {
          failures.push(`${name}: ${response.status} answered ${response.headers['content-type']}, not JSON`);
        }
        for (const leak of ['root:x:0:0', 'SQLite format 3', '[extensions]', 'pwned=1']) {
          if (response.text.includes(leak) || JSON.stringify(response.headers).includes(leak)) failures.push(`${name}: leaked "${leak}"`);
        }
      }),
    );
  }
  console.log(`[fuzz] ${requests.length} hostile requests: ${[...statuses].sort().map(([status, count]) => `${count}× ${status}`).join(', ')}`);
  expect(failures, failures.join('\n')).toEqual([]);

  const system = await rawRequest(studio.baseURL, { path: '/api/system' });
  expect(system.status).toBe(200);
  expect(dataFolder(studio.dataDir), 'no request wrote, moved or removed a file').toEqual(filesBefore);
  const after = await generate(studio.baseURL);
  expect(after.resultId).not.toBe(resultId);
  const list = JSON.parse((await rawRequest(studio.baseURL, { path: '/api/results' })).text) as { total: number };
  expect(list.total).toBe(2);
});

test('hostile prompts that are valid text are stored as text and rendered inert', async () => {
  const results = async () => (JSON.parse((await rawRequest(studio.baseURL, { path: '/api/results' })).text) as { total: number }).total;
  const before = await results();
  const prompt = `<script>alert(1)</script> '; DROP TABLE results; -- {{7*7}} 猫`;
  const submitted = await rawRequest(studio.baseURL, jsonPost('/api/generate', { ...VALID, prompt }));
  expect(submitted.status).toBe(202);
  const jobId = (JSON.parse(submitted.text) as { id: string }).id;
  await expect
    .poll(async () => (JSON.parse((await rawRequest(studio.baseURL, { path: `/api/jobs/${jobId}` })).text) as { job: { status: string } }).job.status)
    .toBe('succeeded');
  const job = JSON.parse((await rawRequest(studio.baseURL, { path: `/api/jobs/${jobId}` })).text) as { job: { output: { id: string; request: { prompt: string } } } };
  expect(job.job.output.request.prompt).toBe(prompt);
  const share = await rawRequest(studio.baseURL, { path: `/r/${job.job.output.id}` });
  expect(share.status).toBe(200);
  expect(share.text).not.toContain('<script>alert(1)</script>');
  expect(share.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(await results()).toBe(before + 1);
});
