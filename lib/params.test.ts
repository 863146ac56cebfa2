// Tests the shared parameter schema: the rules the browser shows inline and the server enforces.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generationParamsSchema, paramFieldErrors, parseSize, randomSeed, SEED_MAX, sizeProblem } from './params.ts';

const valid = { prompt: '一位穿汉服的女子，柔和的窗光，人像摄影', steps: 8, cfg: 1, width: 1024, height: 1024, seed: 42 };

describe('generationParamsSchema', () => {
  test('accepts a Chinese prompt and fills the negative prompt default', () => {
    const parsed = generationParamsSchema.parse(valid);
    assert.equal(parsed.prompt, valid.prompt);
    assert.equal(parsed.negativePrompt, '');
  });

  test('rejects unknown fields', () => {
    const result = generationParamsSchema.safeParse({ ...valid, sampler: 'dpm' });
    assert.equal(result.success, false);
    assert.equal(result.error?.issues[0].code, 'unrecognized_keys');
  });

  test('width 1000 is refused with the nearest valid values', () => {
    const errors = paramFieldErrors({ ...valid, width: 1000 });
    assert.match(errors.width ?? '', /not a multiple of 16.*Use 992 or 1008/);
    assert.equal(errors.height, undefined);
  });

  test('sizes outside 256..2048 are refused; the edges are accepted', () => {
    assert.match(sizeProblem('Height', 240) ?? '', /outside 256–2048/);
    assert.match(sizeProblem('Width', 2064) ?? '', /outside/);
    assert.equal(sizeProblem('Width', 256), null);
    assert.equal(sizeProblem('Width', 2048), null);
    assert.equal(sizeProblem('Width', 832), null);
  });

  test('seed accepts 0..2^53−1 exactly and nothing beyond', () => {
    assert.equal(generationParamsSchema.parse({ ...valid, seed: SEED_MAX }).seed, 2 ** 53 - 1);
    assert.ok(paramFieldErrors({ ...valid, seed: 2 ** 53 }).seed);
    assert.ok(paramFieldErrors({ ...valid, seed: -1 }).seed);
    assert.ok(paramFieldErrors({ ...valid, seed: 1.5 }).seed);
  });

  test('a seed beyond 2^53 is "too large", never "not a whole number"', () => {
    for (const seed of [2 ** 53, 2 ** 60, 1e30]) assert.match(paramFieldErrors({ ...valid, seed }).seed ?? '', /too large/, String(seed));
    assert.match(paramFieldErrors({ ...valid, seed: 1.5 }).seed ?? '', /whole number/);
    assert.match(paramFieldErrors({ ...valid, seed: -3 }).seed ?? '', /0 or more/);
  });

  test('count is 1..8 whole images, 1 by default; previews are on unless turned off', () => {
    const parsed = generationParamsSchema.parse(valid);
    assert.equal(parsed.count, 1);
    assert.equal(parsed.randomSeeds, false);
    assert.equal(parsed.preview, true);
    assert.equal(generationParamsSchema.parse({ ...valid, count: 8, preview: false }).count, 8);
    assert.match(paramFieldErrors({ ...valid, count: 9 }).count ?? '', /at most 8/);
    assert.match(paramFieldErrors({ ...valid, count: 0 }).count ?? '', /at least 1/);
    assert.match(paramFieldErrors({ ...valid, count: 2.5 }).count ?? '', /whole number/);
    assert.ok(paramFieldErrors({ ...valid, preview: 'no' }).preview);
  });

  test('CFG is classic: below 1 is refused with the convention explained', () => {
    assert.match(paramFieldErrors({ ...valid, cfg: 0 }).cfg ?? '', /1 means off/);
  });

  test('an empty or blank prompt is refused', () => {
    assert.match(paramFieldErrors({ ...valid, prompt: '   ' }).prompt ?? '', /cannot be empty/);
  });

  test('prompts with control characters or broken UTF-16 are refused; tabs, line breaks and emoji are text', () => {
    for (const prompt of ['nul\u0000byte', 'bell\u0007', 'esc\u001b[31m', 'half \ud800 pair', 'lone \udc00']) {
      assert.match(paramFieldErrors({ ...valid, prompt }).prompt ?? '', /control character/, JSON.stringify(prompt));
    }
    assert.ok(paramFieldErrors({ ...valid, negativePrompt: '\u0000' }).negativePrompt);
    assert.equal(generationParamsSchema.safeParse({ ...valid, prompt: 'line one\n\tline two 😀' }).success, true);
  });

  test('model is an id, never a path', () => {
    for (const model of ['../../etc/passwd', '/etc/passwd', '..', '.', 'C:\\Windows', 'tiny/fp32', 'tiny\u0000', 'x'.repeat(129), '']) {
      assert.ok(paramFieldErrors({ ...valid, model }).model, JSON.stringify(model));
    }
    assert.equal(generationParamsSchema.safeParse({ ...valid, model: 'beyond-reality v2.1' }).success, true);
  });

  test('steps must be whole and within 1..100', () => {
    assert.ok(paramFieldErrors({ ...valid, steps: 0 }).steps);
    assert.ok(paramFieldErrors({ ...valid, steps: 8.5 }).steps);
    assert.match(paramFieldErrors({ ...valid, steps: 500 }).steps ?? '', /8–12/);
  });
});

test('randomSeed stays within 0..2^53−1 and is an integer', () => {
  for (let index = 0; index < 1000; index++) {
    const seed = randomSeed();
    assert.ok(Number.isSafeInteger(seed) && seed >= 0, `seed ${seed}`);
  }
});

test('parseSize reads "WxH" and "W×H" and rejects anything else', () => {
  assert.deepEqual(parseSize('832x1216'), { width: 832, height: 1216 });
  assert.deepEqual(parseSize('1024×1024'), { width: 1024, height: 1024 });
  assert.equal(parseSize('big'), null);
  assert.equal(parseSize('1024'), null);
});
