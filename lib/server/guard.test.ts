// Tests the checks every request passes (lib/server/guard.ts) without Next.js: configuration, Host, unknown paths and
// methods, cross-site state changes, rate limits, the token on private routes and pages, declared body size, and the
// Content-Security-Policy handed to pages and API answers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_BODY_BYTES } from '../api/routes.ts';
import { sessionValue, type Access } from './access.ts';
import { guard, type GuardContext, type GuardDecision, type GuardRequest } from './guard.ts';
import { RateLimiter } from './limits.ts';

const TOKEN = 'a-token-of-twenty-chars';

function context(access: Access | Error = { mode: 'local' }, perMinute = 1000): GuardContext {
  return { access, limits: { api: new RateLimiter(perMinute), generate: new RateLimiter(perMinute) } };
}

function request(method: string, url: string, headers: Record<string, string> = {}, sessionCookie?: string): GuardRequest {
  const { pathname, search } = new URL(url, 'http://127.0.0.1:3000');
  return { method, pathname, search, headers: new Headers({ host: '127.0.0.1:3000', 'x-forwarded-for': '127.0.0.1', ...headers }), sessionCookie };
}

async function refusal(decision: GuardDecision): Promise<{ status: number; code: string; message: string; headers: Headers }> {
  assert.equal(decision.kind, 'respond');
  const { response } = decision as Extract<GuardDecision, { kind: 'respond' }>;
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.ok(body.error.message.length > 20, 'the refusal explains itself');
  return { status: response.status, ...body.error, headers: response.headers };
}

describe('guard', () => {
  test('an unsafe configuration refuses everything with its fix', async () => {
    const answer = await refusal(guard(request('GET', '/'), context(new Error('Refusing to serve without an API token: set ZIMAGE_API_TOKEN.'))));
    assert.equal(answer.status, 503);
    assert.match(answer.message, /ZIMAGE_API_TOKEN/);
  });

  test('a local studio answers only to loopback names (DNS rebinding) or PUBLIC_URL', async () => {
    assert.equal(guard(request('GET', '/api/system', { host: 'localhost:3000' }), context()).kind, 'pass');
    assert.equal(guard(request('GET', '/api/system', { host: '[::1]:3000' }), context()).kind, 'pass');
    const rebound = await refusal(guard(request('GET', '/api/system', { host: 'attacker.example:3000' }), context()));
    assert.equal(rebound.status, 421);
    assert.equal(rebound.code, 'host_not_allowed');
    const withUrl = { ...context(), publicUrl: 'http://studio.lan:3000' };
    assert.equal(guard(request('GET', '/api/system', { host: 'studio.lan:3000' }), withUrl).kind, 'pass');
  });

  test('a path that is not percent-encoded UTF-8 is refused before Next.js fails on it', async () => {
    for (const path of ['/api/results/%c0%ae%c0%ae/image.png', '/r/%ff', '/api/jobs/%E0%A4%A']) {
      const answer = await refusal(guard(request('GET', path), context()));
      assert.equal(answer.status, 400, path);
      assert.equal(answer.code, 'invalid_path');
    }
  });

  test('unknown API paths get a JSON 404 and wrong methods a 405 with Allow', async () => {
    const missing = await refusal(guard(request('GET', '/api/nope'), context()));
    assert.equal(missing.status, 404);
    const method = await refusal(guard(request('PUT', '/api/results/abc'), context()));
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'GET, DELETE');
    assert.equal(guard(request('HEAD', '/api/system'), context()).kind, 'pass');
  });

  test('state changes from another site are refused; programs without Origin pass', async () => {
    const crossSite: Record<string, string>[] = [{ origin: 'http://evil.example' }, { origin: 'null' }, { origin: 'http://127.0.0.1:8080' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of crossSite) {
      const answer = await refusal(guard(request('POST', '/api/generate', headers), context()));
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(answer.code, 'cross_origin');
    }
    assert.equal(guard(request('POST', '/api/generate', { origin: 'http://127.0.0.1:3000' }), context()).kind, 'pass');
    assert.equal(guard(request('POST', '/api/generate'), context()).kind, 'pass');
    const proxied = { origin: 'https://studio.example', 'x-forwarded-host': 'studio.example' };
    assert.equal(guard(request('DELETE', '/api/session', proxied), context({ mode: 'token', token: TOKEN })).kind, 'pass', 'behind a proxy that keeps the host');
    assert.equal(guard(request('GET', '/api/system', { origin: 'http://evil.example' }), context()).kind, 'pass', 'reads are guarded by CORS');
  });

  test('rate limits answer 429 with Retry-After, generation requests have their own, stricter bucket', async () => {
    const limited: GuardContext = { access: { mode: 'local' }, limits: { api: new RateLimiter(4), generate: new RateLimiter(2) } };
    assert.equal(guard(request('POST', '/v1/images/generations'), limited).kind, 'pass');
    assert.equal(guard(request('POST', '/api/generate'), limited).kind, 'pass');
    const generation = await refusal(guard(request('POST', '/sdapi/v1/txt2img'), limited));
    assert.equal(generation.status, 429);
    assert.match(generation.message, /ZIMAGE_GENERATE_RATE_LIMIT/);
    assert.equal(guard(request('GET', '/api/system'), limited).kind, 'pass');
    const api = await refusal(guard(request('GET', '/api/system'), limited));
    assert.equal(api.status, 429);
    assert.ok(Number(api.headers.get('retry-after')) >= 1);
    assert.equal(guard(request('GET', '/api/system', { 'x-forwarded-for': '10.0.0.9' }), limited).kind, 'pass', 'per client');
  });

  test('with a token: private API needs it, pages redirect to /login, share links and images stay public', async () => {
    const tokened = context({ mode: 'token', token: TOKEN });
    const denied = await refusal(guard(request('GET', '/api/results'), tokened));
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal(guard(request('GET', '/api/results', { authorization: `Bearer ${TOKEN}` }), tokened).kind, 'pass');
    assert.equal(guard(request('DELETE', '/api/results/abc', {}, sessionValue(TOKEN)), tokened).kind, 'pass');

    assert.deepEqual(guard(request('GET', '/readme?x=1'), tokened), { kind: 'redirect', location: `/login?next=${encodeURIComponent('/readme?x=1')}` });

    for (const open of ['/r/AAAAAAAAAAAAAAAAAAAAAA', '/api/results/AAAAAAAAAAAAAAAAAAAAAA/image.png', '/api/results/x/thumbnail.png', '/login', '/icon.svg']) {
      assert.equal(guard(request('GET', open), tokened).kind, 'pass', open);
    }
    assert.equal(guard(request('POST', '/api/session'), tokened).kind, 'pass');
  });

  test('a token studio answers to any Host name (the token, not the name, keeps others out)', () => {
    assert.equal(guard(request('GET', '/api/system', { host: '192.168.1.5:3000', authorization: `Bearer ${TOKEN}` }), context({ mode: 'token', token: TOKEN })).kind, 'pass');
  });

  test('a declared body over the limit is refused before it is read', async () => {
    const answer = await refusal(guard(request('POST', '/api/generate', { 'content-length': String(MAX_BODY_BYTES + 1) }), context()));
    assert.equal(answer.status, 413);
  });

  test('pages get a nonce CSP that forbids framing; API answers a CSP that runs nothing', () => {
    const page = guard(request('GET', '/'), context());
    assert.equal(page.kind, 'pass');
    const { requestHeaders, responseHeaders } = page as Extract<GuardDecision, { kind: 'pass' }>;
    const csp = responseHeaders['Content-Security-Policy'];
    assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(requestHeaders['Content-Security-Policy'], csp, 'Next.js reads the nonce from the request header');
    const second = guard(request('GET', '/'), context()) as Extract<GuardDecision, { kind: 'pass' }>;
    assert.notEqual(second.responseHeaders['Content-Security-Policy'], csp, 'a fresh nonce per response');

    const api = guard(request('GET', '/api/system'), context()) as Extract<GuardDecision, { kind: 'pass' }>;
    assert.match(api.responseHeaders['Content-Security-Policy'], /^default-src 'none'/);
  });
});

describe('guard: the red team findings', () => {
  test('pages answer GET and HEAD only; anything else is a JSON 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']) {
      const answer = await refusal(guard(request(method, '/'), context()));
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.get('allow'), 'GET, HEAD');
    }
    assert.equal(guard(request('HEAD', '/'), context()).kind, 'pass');
    assert.equal(guard(request('GET', '/r/AAAAAAAAAAAAAAAAAAAAAA'), context()).kind, 'pass');
  });

  test('the token is checked before the rate limit: anonymous failures do not use up the signed-in budget', async () => {
    const limited: GuardContext = { access: { mode: 'token', token: TOKEN }, limits: { api: new RateLimiter(3), generate: new RateLimiter(3) } };
    for (let index = 0; index < 3; index++) assert.equal((await refusal(guard(request('GET', '/api/results'), limited))).status, 401);
    const flood = await refusal(guard(request('GET', '/api/results'), limited));
    assert.equal(flood.status, 429, 'guessing stays limited');
    assert.match(flood.message, /without the API token/);
    const signedIn = { authorization: `Bearer ${TOKEN}` };
    for (let index = 0; index < 3; index++) assert.equal(guard(request('GET', '/api/results', signedIn), limited).kind, 'pass', `signed-in request ${index + 1}`);
    assert.equal((await refusal(guard(request('GET', '/api/results', signedIn), limited))).status, 429, 'its own budget still applies');
  });

  test('refusals under /v1/ come in OpenAI\'s error shape', async () => {
    const decision = guard(request('GET', '/v1/models'), context({ mode: 'token', token: TOKEN }));
    const body = (await (decision as Extract<GuardDecision, { kind: 'respond' }>).response.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.type, 'authentication_error');
    const missing = (await (guard(request('GET', '/v1/nope'), context()) as Extract<GuardDecision, { kind: 'respond' }>).response.json()) as { error: { type: string } };
    assert.equal(missing.error.type, 'not_found_error');
  });

  test('an image route takes a larger declared body than the rest', async () => {
    assert.equal(guard(request('POST', '/sdapi/v1/png-info', { 'content-length': String(MAX_BODY_BYTES * 4) }), context()).kind, 'pass');
    assert.equal((await refusal(guard(request('POST', '/sdapi/v1/txt2img', { 'content-length': String(MAX_BODY_BYTES * 4) }), context()))).status, 413);
  });
});
