// Tests the request readers every route uses: JSON only when declared as JSON, bodies capped while they stream (with
// or without a truthful Content-Length), UTF-8 only, strict schemas (prototype keys included), strict query strings
// and path ids checked before any lookup. Each refusal is a StudioError with a 4xx status and a message.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { MAX_BODY_BYTES } from './api/routes.ts';
import { StudioError } from './errors.ts';
import { pathId, readJson, readQuery } from './http.ts';

const schema = z.strictObject({ prompt: z.string(), steps: z.number().optional() });

function post(body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }): Request {
  return new Request('http://127.0.0.1/api/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

async function refusal(promise: Promise<unknown>): Promise<StudioError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StudioError, String(error));
    assert.ok(error.status >= 400 && error.status < 500);
    assert.ok(error.message.length > 20);
    return error;
  }
  assert.fail('expected a refusal');
}

/** A body streamed in 64 KiB chunks with no Content-Length, as a chunked upload arrives. */
function chunked(totalBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const size = Math.min(65536, totalBytes - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
}

describe('readJson', () => {
  test('reads a valid body', async () => {
    assert.deepEqual(await readJson(post('{"prompt":"猫","steps":8}', { 'content-type': 'application/json; charset=UTF-8' }), schema), { prompt: '猫', steps: 8 });
  });

  test('refuses bodies not declared as JSON (a browser sends text/plain across sites without asking)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json; charset=latin1']) {
      assert.equal((await refusal(readJson(post('{"prompt":"x"}', { 'content-type': type }), schema))).status, 415, type);
    }
    assert.equal((await refusal(readJson(post('{"prompt":"x"}', {}), schema))).status, 415);
  });

  test('refuses a body over the limit while it streams, whatever Content-Length says', async () => {
    const chunks = await refusal(readJson(post(chunked(MAX_BODY_BYTES * 8), { 'content-type': 'application/json' }), schema));
    assert.equal(chunks.status, 413);
    const declared = await refusal(readJson(post('{}', { 'content-type': 'application/json', 'content-length': String(10 ** 9) }), schema));
    assert.equal(declared.status, 413);
  });

  test('refuses bytes that are not UTF-8, broken JSON, and unknown or prototype keys', async () => {
    assert.equal((await refusal(readJson(post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), schema))).code, 'invalid_encoding');
    for (const text of ['', '{', '{"prompt":}', 'NaN', "{'prompt':'x'}", '{"prompt":"x"}{"prompt":"y"}']) {
      assert.equal((await refusal(readJson(post(text), schema))).code, 'invalid_json', text);
    }
    for (const text of ['null', '[]', '"x"', '{"prompt":1}', '{"prompt":"x","extra":1}', '{"prompt":"x","__proto__":{"admin":true}}', '{"prompt":"x","constructor":{}}']) {
      assert.equal((await refusal(readJson(post(text), schema))).code, 'invalid_request', text);
    }
    assert.equal(({} as { admin?: boolean }).admin, undefined, 'no prototype was polluted');
  });
});

describe('readQuery', () => {
  const query = z.strictObject({ limit: z.coerce.number().int().optional() });
  const get = (search: string) => new Request(`http://127.0.0.1/api/x${search}`);

  test('validates strictly and refuses repeated parameters', () => {
    assert.deepEqual(readQuery(get('?limit=3'), query), { limit: 3 });
    assert.throws(() => readQuery(get('?limit=3&other=1'), query), /unknown field "other"/);
    assert.throws(() => readQuery(get('?limit=1&limit=2'), query), /given twice/);
    assert.throws(() => readQuery(get('?limit=abc'), query), StudioError);
  });
});

describe('pathId', () => {
  test('passes result and job ids, refuses traversal, NUL, long and empty ids with 400', () => {
    assert.equal(pathId('result', 'AbCdEfGhIjKlMnOpQrSt_-'), 'AbCdEfGhIjKlMnOpQrSt_-');
    assert.equal(pathId('job', 'job-1'), 'job-1');
    for (const id of ['../../etc/passwd', '..', '/etc/passwd', 'a\u0000b', 'x'.repeat(65), '', 'C:\\Windows', 'AbCdEfGhIjKlMnOpQrSt_.']) {
      assert.throws(() => pathId('result', id), (error: unknown) => error instanceof StudioError && error.status === 400, id);
      assert.throws(() => pathId('job', id), StudioError, id);
    }
  });
});
