// Tests the OpenAI and A1111 request schemas and their mapping onto studio parameters: defaults, renamed fields in
// errors, strictness and the A1111 response shape.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StudioError } from '../errors.ts';
import { tinyRecord } from '../db/test-result.ts';
import { a1111Response, a1111ToParams, readTxt2Img } from './a1111.ts';
import { openAiImageRequestSchema, openAiResponse, openAiToParams } from './openai.ts';

function studioError(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StudioError);
    return error;
  }
  assert.fail('expected a StudioError');
}

describe('OpenAI /v1/images/generations', () => {
  test('maps size and extras; defaults to 8 steps, CFG 1, a random seed', () => {
    const params = openAiToParams(openAiImageRequestSchema.parse({ prompt: 'a portrait', size: '832x1216', cfg: 2, negative_prompt: 'blur' }));
    assert.equal(params.width, 832);
    assert.equal(params.height, 1216);
    assert.equal(params.steps, 8);
    assert.equal(params.cfg, 2);
    assert.equal(params.negativePrompt, 'blur');
    assert.ok(Number.isSafeInteger(params.seed));
  });

  test('"auto" and a missing size mean 1024x1024', () => {
    assert.equal(openAiToParams(openAiImageRequestSchema.parse({ prompt: 'x', size: 'auto' })).width, 1024);
    assert.equal(openAiToParams(openAiImageRequestSchema.parse({ prompt: 'x' })).height, 1024);
  });

  test('size errors name the size field and the fix', () => {
    const error = studioError(() => openAiToParams(openAiImageRequestSchema.parse({ prompt: 'x', size: '1000x1024' })));
    assert.match(error.message, /^size: Width 1000 is not a multiple of 16/);
    assert.match(studioError(() => openAiToParams({ prompt: 'x', size: 'large' })).message, /WIDTHxHEIGHT/);
  });

  test('n past 8 and unknown fields are refused; the SDK\'s own fields are accepted', () => {
    assert.equal(openAiImageRequestSchema.safeParse({ prompt: 'x', n: 9 }).success, false);
    assert.equal(openAiImageRequestSchema.safeParse({ prompt: 'x', sampler: 'dpm' }).success, false);
    assert.equal(openAiImageRequestSchema.safeParse({ prompt: 'x', quality: 'hd', style: 'vivid', moderation: 'low', user: 'u' }).success, true);
  });

  test('response carries b64_json or url', () => {
    const plan = { format: 'png' as const, quality: 'medium' as const, size: '256x256', ignored: [] };
    const made = [{ id: 'r', seed: 1, bytes: new Uint8Array([1, 2, 3]), url: 'http://h/i.png' }];
    assert.deepEqual(openAiResponse({ ...plan, responseFormat: 'b64_json' }, made, new Date(1000_000)).data, [{ b64_json: 'AQID' }]);
    assert.deepEqual(openAiResponse({ ...plan, responseFormat: 'url' }, made).data, [{ url: 'http://h/i.png' }]);
  });
});

describe('A1111 /sdapi/v1/txt2img', () => {
  test('seed -1 is random; cfg_scale maps to classic CFG; Turbo defaults apply', () => {
    const params = a1111ToParams({ prompt: 'x', seed: -1, cfg_scale: 1.5 });
    assert.ok(params.seed >= 0);
    assert.equal(params.cfg, 1.5);
    assert.equal(params.steps, 8);
    assert.equal(params.width, 1024);
  });

  test('errors use A1111 field names', () => {
    assert.match(studioError(() => a1111ToParams({ prompt: 'x', cfg_scale: 0 })).message, /^cfg_scale: /);
    assert.match(studioError(() => a1111ToParams({ prompt: 'x', width: 1000 })).message, /^width: Width 1000/);
  });

  test('other samplers, oversized batches and the hires fix are refused rather than ignored', () => {
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', sampler_name: 'DPM++ 2M' })).message, /^sampler_name: .*"Euler"/);
    assert.equal(readTxt2Img({ prompt: 'x', sampler_name: 'Euler' }).count, 1);
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', batch_size: 4, n_iter: 3 })).message, /at most 8 images/);
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', enable_hr: true })).message, /^enable_hr: /);
  });

  test('response: base64 images, parameters, and info as a JSON string', () => {
    const record = tinyRecord({ prompt: 'p', negativePrompt: '', steps: 8, cfg: 1, width: 256, height: 256, seed: 7, precision: 'fp32', ep: 'cpu' }, { durationMs: 5 });
    const response = a1111Response([{ record, png: new Uint8Array([0]), infotext: 'p\nSteps: 8', shareUrl: 'http://h/r/x' }], { batchSize: 1, nIter: 1, sendImages: true, ignored: [] });
    assert.equal(response.images[0], 'AA==');
    assert.equal(response.parameters.seed, 7);
    const info = JSON.parse(response.info);
    assert.deepEqual(info.all_seeds, [7]);
    assert.equal(info.zimage.share_url, 'http://h/r/x');
  });
});
