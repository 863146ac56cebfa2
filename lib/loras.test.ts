// The studio's LoRA stack rules: A1111 prompt tags leave the prompt and join the stack after the explicit entries,
// malformed tags and over-long or repeated stacks are refused with a message, and the A1111 response writes the tags
// back into the prompt it reports.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StudioError } from './errors.ts';
import { extractLoraTags, loraTags, withPromptLoras } from './loras.ts';
import { generationParamsSchema } from './params.ts';
import { a1111Response } from './api/a1111.ts';
import { tinyRecord } from './db/test-result.ts';

const base = { prompt: 'p', negativePrompt: '', steps: 8, cfg: 1, width: 256, height: 256, seed: 1 };

describe('<lora:NAME:WEIGHT> in prompts', () => {
  test('tags leave the prompt and become entries (weight 1 when omitted; <lyco:> too)', () => {
    const r = extractLoraTags('a portrait <lora:style/film grain:0.8>, soft light <lora:detail> <lyco:hada:-0.5>');
    assert.equal(r.prompt, 'a portrait , soft light');
    assert.deepEqual(r.loras, [{ name: 'style/film grain', weight: 0.8 }, { name: 'detail', weight: 1 }, { name: 'hada', weight: -0.5 }]);
    assert.deepEqual(r.problems, []);
  });

  test('explicit entries first, then the tags; the result is one validated stack', () => {
    const params = withPromptLoras(generationParamsSchema.parse({ ...base, prompt: 'x <lora:b:0.5>', loras: [{ name: 'a', weight: 1 }] }));
    assert.equal(params.prompt, 'x');
    assert.deepEqual(params.loras, [{ name: 'a', weight: 1 }, { name: 'b', weight: 0.5 }]);
  });

  const refused: [string, Parameters<typeof withPromptLoras>[0], RegExp][] = [
    ['a weight that is not a number', { prompt: 'x <lora:a:strong>' }, /weight must be a number, e.g. <lora:a:0\.8>/],
    ['a tag without a name', { prompt: 'x <lora::1>' }, /names no LoRA/],
    ['nine LoRAs', { prompt: `x ${Array.from({ length: 9 }, (_, i) => `<lora:l${i}:1>`).join(' ')}` }, /At most 8 LoRAs/],
    ['the same LoRA twice', { prompt: 'x <lora:a:1>', loras: [{ name: 'a', weight: 0.5 }] }, /"a" is in the stack twice/],
    ['a weight out of range', { prompt: 'x <lora:a:40>' }, /from −10 to 10/],
    ['a name that climbs out of the folder', { prompt: 'x <lora:../secret:1>' }, /path under WEIGHTS_DIR\/loras/],
    ['only tags', { prompt: '<lora:a:1>' }, /holds only LoRA tags/],
  ];
  for (const [name, params, message] of refused) {
    test(`refused: ${name}`, () => {
      assert.throws(() => withPromptLoras(params), (e: unknown) => e instanceof StudioError && e.status === 400 && message.test(e.message));
    });
  }

  test('the studio schema takes loras: [{name, weight}] and refuses other fields in an entry', () => {
    assert.equal(generationParamsSchema.safeParse({ ...base, loras: [{ name: 'a', weight: 0.7 }] }).success, true);
    assert.equal(generationParamsSchema.safeParse({ ...base, loras: [{ name: 'a', weight: 0.7, file: '/etc/passwd' }] }).success, false);
  });

  test('A1111 responses report the prompt with its tags written back', () => {
    const record = tinyRecord({ ...base, prompt: 'x', precision: 'fp32', ep: 'cpu', loras: [{ name: 'a', weight: 0.8, sha256: 'f'.repeat(64) }] }, { durationMs: 5 });
    const r = a1111Response([{ record, png: new Uint8Array([0]), shareUrl: 'http://h/r/x' }], { batchSize: 1, nIter: 1, sendImages: true, ignored: [] });
    assert.equal(r.parameters.prompt, 'x <lora:a:0.8>');
    assert.deepEqual(JSON.parse(r.info).all_prompts, ['x <lora:a:0.8>']);
    assert.equal(loraTags([{ name: 'a', weight: 1 }, { name: 'b', weight: 0.5 }]), '<lora:a:1> <lora:b:0.5>');
  });
});
