// The compatible APIs against the real server: the official `openai` client pointed at /v1, and a plain fetch to
// the A1111 /sdapi/v1/txt2img, each must return a valid PNG of the requested size; bad bodies get fixable errors.
import { expect, test } from '@playwright/test';
import OpenAI from 'openai';
import { expectPng } from './support/png.ts';

test('the official openai client gets a PNG from /v1/images/generations', async ({ baseURL }) => {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed-locally', maxRetries: 0, timeout: 120_000 });
  // size and the Z-Image extras (steps, seed) are outside OpenAI's own types, hence the cast; they are documented.
  const params = { prompt: 'studio portrait, rim light', size: '256x256', response_format: 'b64_json', steps: 4, seed: 7 };
  const response = await client.images.generate(params as unknown as OpenAI.Images.ImageGenerateParamsNonStreaming);
  const b64 = response.data?.[0]?.b64_json;
  expect(b64, 'b64_json in data[0]').toBeTruthy();
  expectPng(new Uint8Array(Buffer.from(b64!, 'base64')), { width: 256, height: 256 });

  const byUrl = await client.images.generate({ ...params, response_format: 'url' } as unknown as OpenAI.Images.ImageGenerateParamsNonStreaming);
  const url = byUrl.data?.[0]?.url;
  expect(url).toMatch(/^http:\/\/.+\/api\/results\/[A-Za-z0-9_-]{22}\/image\.png$/);
  const png = await fetch(url!);
  expectPng(new Uint8Array(await png.arrayBuffer()), { width: 256, height: 256 });
});

test('the openai client sees a fixable 400 for n=9 (one request makes up to 8)', async ({ baseURL }) => {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'x', maxRetries: 0 });
  const failure = await client.images.generate({ prompt: 'x', n: 9 }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
  expect((failure as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('n: must be at most 8');
});

test('a plain fetch to /sdapi/v1/txt2img gets a PNG, parameters and info', async ({ baseURL }) => {
  const response = await fetch(`${baseURL}/sdapi/v1/txt2img`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt: 'portrait, 35mm', negative_prompt: 'blurry', steps: 4, cfg_scale: 1, width: 256, height: 320, seed: -1 }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { images: string[]; parameters: { seed: number }; info: string };
  expect(body.images).toHaveLength(1);
  expectPng(new Uint8Array(Buffer.from(body.images[0], 'base64')), { width: 256, height: 320 });
  const info = JSON.parse(body.info) as { all_seeds: number[]; seed: number; infotexts: string[]; zimage: { id: string } };
  expect(info.seed).toBeGreaterThanOrEqual(0);
  expect(info.all_seeds).toEqual([body.parameters.seed]);
  expect(info.infotexts[0]).toContain(`Seed: ${info.seed}`);

  // The saved result downloads with its metadata, or re-encoded without any text chunk.
  const withMeta = Buffer.from(await (await fetch(`${baseURL}/api/results/${info.zimage.id}/image.png`)).arrayBuffer());
  const clean = Buffer.from(await (await fetch(`${baseURL}/api/results/${info.zimage.id}/image.png?meta=0`)).arrayBuffer());
  expect(withMeta.includes('parameters')).toBe(true);
  for (const chunk of ['tEXt', 'iTXt', 'zTXt']) expect(clean.includes(chunk), `no ${chunk} chunk`).toBe(false);
  expectPng(new Uint8Array(clean), { width: 256, height: 320 });
});

test('unknown fields and bad sizes are refused with a message that says how to fix them', async ({ request }) => {
  const unknown = await request.post('/api/generate', {
    data: { prompt: 'x', steps: 8, cfg: 1, width: 256, height: 256, seed: 1, sampler: 'dpm' },
  });
  expect(unknown.status()).toBe(400);
  const unknownBody = await unknown.json();
  expect(unknownBody.error.code).toBe('invalid_request');
  expect(unknownBody.error.message).toContain('unknown field "sampler"');

  const badSize = await request.post('/sdapi/v1/txt2img', { data: { prompt: 'x', width: 1000 } });
  expect(badSize.status()).toBe(400);
  expect((await badSize.json()).error.message).toContain('Use 992 or 1008');
});
