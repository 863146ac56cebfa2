// Tests the OpenAI surface's mapping beyond the basics in compat.test.ts: the SDK's fields (quality → steps, n with
// seeds counting up, output formats), what is refused because it would change the image, what is ignored and
// reported, and OpenAI's error shape.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StudioError } from '../errors.ts';
import { openAiImageRequestSchema, openAiPlan, QUALITY_STEPS } from './openai.ts';
import { isOpenAiPath, toOpenAiError } from './openai-errors.ts';

function refusal(body: Record<string, unknown>): StudioError {
  try {
    openAiPlan(openAiImageRequestSchema.parse(body));
  } catch (error) {
    assert.ok(error instanceof StudioError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

const plan = (body: Record<string, unknown>) => openAiPlan(openAiImageRequestSchema.parse({ prompt: 'a fox', ...body }));

describe('OpenAI generations: the SDK fields', () => {
  test('quality picks the steps preset; explicit steps win; the response reports OpenAI\'s quality names', () => {
    assert.equal(plan({ quality: 'low' }).images[0].steps, QUALITY_STEPS.low);
    assert.equal(plan({ quality: 'high' }).images[0].steps, 12);
    assert.equal(plan({}).images[0].steps, 8);
    assert.equal(plan({ quality: 'hd', steps: 5 }).images[0].steps, 5);
    assert.equal(plan({ quality: 'hd' }).quality, 'high');
    assert.equal(plan({ quality: 'auto' }).quality, 'medium');
  });

  test('n images with seeds counting up from the given seed; n is at most 8', () => {
    assert.deepEqual(plan({ n: 3, seed: 10 }).images.map((image) => image.seed), [10, 11, 12]);
    assert.equal(plan({ n: 8 }).images.length, 8);
    assert.equal(openAiImageRequestSchema.safeParse({ prompt: 'x', n: 9 }).success, false);
    assert.equal(openAiImageRequestSchema.safeParse({ prompt: 'x', n: 0 }).success, false);
  });

  test('output formats and compression; size auto; OpenAI model names mean the default model', () => {
    const jpeg = plan({ output_format: 'jpeg', output_compression: 60, size: 'auto', model: 'gpt-image-1' });
    assert.equal(jpeg.format, 'jpeg');
    assert.equal(jpeg.compression, 60);
    assert.equal(jpeg.size, '1024x1024');
    assert.equal(jpeg.images[0].model, undefined);
    assert.ok(jpeg.ignored.some(({ field }) => field === 'model'));
    assert.equal(plan({ model: 'tiny' }).images[0].model, 'tiny');
    assert.equal(plan({ output_format: 'webp' }).compression, 100);
  });

  test('fields that change nothing are accepted and reported; nulls are not news', () => {
    const ignored = plan({ style: 'vivid', moderation: 'low', user: 'u-1', background: 'opaque', quality: null }).ignored.map(({ field }) => field);
    assert.deepEqual(ignored.sort(), ['moderation', 'style', 'user']);
    assert.deepEqual(plan({ output_compression: 50 }).ignored.map(({ field }) => field), ['output_compression']);
  });

  test('what would change the image and cannot be honoured is refused, naming the field', () => {
    assert.match(refusal({ prompt: 'x', background: 'transparent' }).message, /^background: .*opaque/);
    assert.match(refusal({ prompt: 'x', output_format: 'gif' }).message, /^output_format: gif is not available/);
    assert.match(refusal({ prompt: 'x', stream: true }).message, /^stream: /);
    assert.match(refusal({ prompt: 'x', output_format: 'jpeg', response_format: 'url' }).message, /^response_format: /);
    assert.match(refusal({ prompt: 'x', size: '4096x4096' }).message, /^size: Width 4096 is outside/);
  });
});

describe("OpenAI's error shape", () => {
  test('message, type by status, param from the field the message names, code', () => {
    assert.deepEqual(toOpenAiError(400, { code: 'invalid_request', message: 'size: Width 1000 is not a multiple of 16.' }), {
      error: { message: 'size: Width 1000 is not a multiple of 16.', type: 'invalid_request_error', param: 'size', code: 'invalid_request' },
    });
    assert.equal(toOpenAiError(401, { code: 'unauthorized', message: 'x' }).error.type, 'authentication_error');
    assert.equal(toOpenAiError(429, { code: 'rate_limited', message: 'Too many requests' }).error.param, null);
    assert.equal(toOpenAiError(500, { code: 'internal', message: 'x' }).error.type, 'server_error');
    assert.equal(isOpenAiPath('/v1/images/generations'), true);
    assert.equal(isOpenAiPath('/v1x'), false);
  });
});
