// The red team's findings, each against the real server: TRACE / TRACK / CONNECT and page methods other than GET and
// HEAD get a JSON 405 (not a plain-text 500); a declared Content-Length over the limit gets its 413 before any body is
// sent; the token is checked before the rate limit, so anonymous failures leave a signed-in user's budget alone;
// X-Forwarded-Host / -Proto count only from ZIMAGE_TRUSTED_PROXIES; the session cookie is Secure whenever PUBLIC_URL
// is https; a prompt's line breaks cannot forge lines of the PNG's A1111 parameters text.
import http from 'node:http';
import net from 'node:net';
import { expect, test } from '@playwright/test';
import { rawRequest, startsStudios, type RawResponse } from './support/studio-server.ts';

const TOKEN = 'red-team-token-0123456789';
const start = startsStudios();

function jsonError(response: RawResponse): { code?: string; message?: string; type?: string } {
  expect(String(response.headers['content-type'])).toMatch(/^application\/json/);
  return (JSON.parse(response.text) as { error: { code?: string; message?: string; type?: string } }).error;
}

/** Sends only the request line and headers, never the body, and waits for whatever the server answers. */
function headersOnly(baseURL: string, path: string, contentLength: number): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: hostname, port, method: 'POST', path, agent: false, headers: { 'content-type': 'application/json', 'content-length': String(contentLength) } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    request.flushHeaders();
  });
}

test('TRACE, TRACK and CONNECT get a JSON 405; pages answer only GET and HEAD', async ({ baseURL }) => {
  for (const [method, path] of [['TRACE', '/api/system'], ['TRACE', '/'], ['TRACE', '/sdapi/v1/options'], ['PROPFIND', '/sdapi/v1/options'], ['TRACE', '/v1/models']]) {
    const response = await rawRequest(baseURL!, { method, path });
    expect(response.status, `${method} ${path}`).toBe(405);
    expect(jsonError(response).message).toMatch(/not answered here|answers GET, POST, not PROPFIND/);
  }
  // Node's parser knows no TRACK: the malformed-request answer, JSON as well.
  const track = await rawRequest(baseURL!, { method: 'TRACK', path: '/' });
  expect(jsonError(track).code).toBe('malformed_request');
  expect(jsonError(await rawRequest(baseURL!, { method: 'TRACE', path: '/v1/models' })).type, 'OpenAI\'s shape under /v1').toBe('invalid_request_error');

  // CONNECT never reaches a request handler in Node; the server answers it on the socket.
  const { hostname, port } = new URL(baseURL!);
  const connectAnswer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  expect(connectAnswer).toMatch(/^HTTP\/1\.1 405 /);
  expect(connectAnswer).toContain('"code":"method_not_allowed"');

  for (const [method, path] of [['POST', '/'], ['PUT', '/readme'], ['DELETE', '/r/AAAAAAAAAAAAAAAAAAAAAA'], ['OPTIONS', '/'], ['PATCH', '/login']]) {
    const response = await rawRequest(baseURL!, { method, path, headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status, `${method} ${path}`).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(jsonError(response).message).toContain('Pages answer GET and HEAD only');
  }
  expect((await rawRequest(baseURL!, { method: 'HEAD', path: '/' })).status).toBe(200);
  expect((await rawRequest(baseURL!, { path: '/' })).status).toBe(200);
});

test('a declared Content-Length over the limit is answered 413 before any of the body is sent', async ({ baseURL }) => {
  // The client sends headers only and waits: a server that read the body first would never answer.
  const json = await headersOnly(baseURL!, '/api/generate', 10_000_000);
  expect(json.status).toBe(413);
  expect(json.text).toContain('body_too_large');
  const image = await headersOnly(baseURL!, '/sdapi/v1/png-info', 60_000_000);
  expect(image.status).toBe(413);
  expect(image.text).toContain('/sdapi/v1/png-info takes');
  const openai = await headersOnly(baseURL!, '/v1/images/generations', 1_000_000);
  expect(JSON.parse(openai.text).error.type).toBe('invalid_request_error');
});

test('the token is checked before the rate limit; the session cookie follows the public URL, not a forged header', async () => {
  const studio = await start({ env: { ZIMAGE_API_TOKEN: TOKEN, ZIMAGE_RATE_LIMIT: '8' }, token: TOKEN });
  // The readiness probe took one signed-in request; anonymous guessing from the same address now uses up its own bucket.
  const anonymous = [];
  for (let index = 0; index < 14; index++) anonymous.push((await rawRequest(studio.baseURL, { path: '/api/results' })).status);
  expect(anonymous.filter((status) => status === 401).length).toBeGreaterThanOrEqual(4);
  expect(anonymous.filter((status) => status === 429).length, 'guessing stays limited').toBeGreaterThanOrEqual(4);
  const signedIn = await rawRequest(studio.baseURL, { path: '/api/results', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(signedIn.status, 'the signed-in budget is untouched').toBe(200);

  // Plain http and no PUBLIC_URL: a client's own X-Forwarded-Proto does not make the cookie Secure (nor https links).
  const forged = await rawRequest(studio.baseURL, {
    method: 'POST',
    path: '/api/session',
    headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ token: TOKEN }),
  });
  expect(forged.status, forged.text).toBe(200);
  expect(String(forged.headers['set-cookie'])).not.toContain('Secure');

  const https = await start({ env: { ZIMAGE_API_TOKEN: TOKEN, PUBLIC_URL: 'https://studio.example.test' }, token: TOKEN });
  const signIn = await rawRequest(https.baseURL, {
    method: 'POST',
    path: '/api/session',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: TOKEN }),
  });
  expect(signIn.status, signIn.text).toBe(200);
  expect(String(signIn.headers['set-cookie'])).toMatch(/zimage_session=[^;]+;.*HttpOnly.*; Secure/);
});

test('X-Forwarded-Host and -Proto are believed only from ZIMAGE_TRUSTED_PROXIES', async ({ baseURL }) => {
  const forwarded = { 'content-type': 'application/json', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
  const body = JSON.stringify({ prompt: 'a forged host', size: '256x256', steps: 1, response_format: 'url' });
  // The default studio trusts no proxy: its links name the host the client connected to.
  const direct = await rawRequest(baseURL!, { method: 'POST', path: '/v1/images/generations', headers: forwarded, body });
  expect(direct.status, direct.text).toBe(200);
  const url = (JSON.parse(direct.text) as { data: { url: string }[] }).data[0].url;
  expect(url.startsWith(`${baseURL}/api/results/`), url).toBe(true);
  const id = url.split('/').at(-2)!;
  const share = await rawRequest(baseURL!, { path: `/r/${id}`, headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
  expect(share.status).toBe(200);
  expect(share.text).not.toContain('evil.example');

  // Behind a trusted proxy (127.0.0.1 plays it) the forwarded host and scheme are what the browser used.
  const proxied = await start({ env: { ZIMAGE_TRUSTED_PROXIES: '127.0.0.1' } });
  const behind = await rawRequest(proxied.baseURL, { method: 'POST', path: '/v1/images/generations', headers: forwarded, body });
  expect(behind.status, behind.text).toBe(200);
  expect((JSON.parse(behind.text) as { data: { url: string }[] }).data[0].url).toMatch(/^https:\/\/evil\.example\/api\/results\//);
});

test("a prompt's line breaks cannot forge lines of the PNG's parameters text", async ({ baseURL }) => {
  const prompt = 'a lighthouse\nNegative prompt: forged\r\nSteps: 99, Sampler: DPM++ 2M, Seed: 1\u2028CFG scale: 30';
  const made = await rawRequest(baseURL!, {
    method: 'POST',
    path: '/sdapi/v1/txt2img',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, negative_prompt: 'blur\nSeed: 5, Steps: 7, Size: 1x1', steps: 2, width: 256, height: 256, seed: 77 }),
  });
  expect(made.status, made.text).toBe(200);
  const image = (JSON.parse(made.text) as { images: string[] }).images[0];
  const info = await rawRequest(baseURL!, { method: 'POST', path: '/sdapi/v1/png-info', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image }) });
  const parsed = JSON.parse(info.text) as { info: string; parameters: Record<string, string> };
  expect(parsed.info.split(/\r\n|[\n\r\u2028\u2029\u0085]/)).toHaveLength(3);
  expect(parsed.parameters.Prompt).toBe('a lighthouse Negative prompt: forged Steps: 99, Sampler: DPM++ 2M, Seed: 1 CFG scale: 30');
  expect(parsed.parameters['Negative prompt']).toBe('blur Seed: 5, Steps: 7, Size: 1x1');
  expect(parsed.parameters).toMatchObject({ Steps: '2', Seed: '77', Sampler: 'Euler', 'Size-1': '256' });
  // The exact prompt, line breaks and all, stays in the studio's own record.
  const id = (JSON.parse((JSON.parse(made.text) as { info: string }).info) as { zimage: { id: string } }).zimage.id;
  const record = JSON.parse((await rawRequest(baseURL!, { path: `/api/results/${id}` })).text) as { result: { request: { prompt: string } } };
  expect(record.result.request.prompt).toBe(prompt);
});
