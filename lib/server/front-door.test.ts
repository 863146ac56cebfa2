// Tests what server.ts settles before Next.js: forwarding headers believed only from trusted proxies, TRACE-like
// methods and over-long declared bodies refused as JSON (OpenAI's shape under /v1/), everything else passed on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_IMAGE_BODY_BYTES, MAX_BODY_BYTES } from '../api/routes.ts';
import { dropUntrustedForwarding, earlyRefusal } from './front-door.ts';

test('X-Forwarded-Host, -Proto, -Port and Forwarded are dropped unless the peer is a trusted proxy', () => {
  const sent = () => ({ host: 'studio.lan', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example', accept: '*/*' });
  const untrusted: Record<string, string | undefined> = sent();
  assert.deepEqual(dropUntrustedForwarding(untrusted, false).sort(), ['forwarded', 'x-forwarded-host', 'x-forwarded-proto']);
  assert.deepEqual(untrusted, { host: 'studio.lan', accept: '*/*' });
  const trusted: Record<string, string | undefined> = sent();
  assert.deepEqual(dropUntrustedForwarding(trusted, true), []);
  assert.equal(trusted['x-forwarded-host'], 'evil.example');
});

test('TRACE, TRACK and CONNECT get a JSON 405 with Allow, on API paths and pages alike', () => {
  const api = earlyRefusal('TRACE', '/api/results/abc', undefined)!;
  assert.equal(api.status, 405);
  assert.equal(api.headers.Allow, 'GET, DELETE');
  assert.equal((api.body as { error: { code: string } }).error.code, 'method_not_allowed');
  const page = earlyRefusal('TRACK', '/', undefined)!;
  assert.equal(page.headers.Allow, 'GET, HEAD');
  const openai = earlyRefusal('TRACE', '/v1/images/generations', undefined)!.body as { error: { type: string; param: null } };
  assert.equal(openai.error.type, 'invalid_request_error');
  assert.equal(earlyRefusal('GET', '/api/system', undefined), undefined);
  assert.equal(earlyRefusal('OPTIONS', '/api/system', undefined), undefined);
});

test("a declared Content-Length over the route's limit is refused at once; image routes take more", () => {
  const refused = earlyRefusal('POST', '/api/generate?x=1', String(MAX_BODY_BYTES + 1))!;
  assert.equal(refused.status, 413);
  assert.match((refused.body as { error: { message: string } }).error.message, /limited to 262144 bytes/);
  assert.equal(earlyRefusal('POST', '/api/generate', String(MAX_BODY_BYTES)), undefined);
  assert.equal(earlyRefusal('POST', '/sdapi/v1/png-info', String(MAX_BODY_BYTES * 4)), undefined);
  assert.equal(earlyRefusal('POST', '/sdapi/v1/png-info', String(MAX_IMAGE_BODY_BYTES + 1))!.status, 413);
});
