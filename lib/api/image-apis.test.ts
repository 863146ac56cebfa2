// The image APIs' mappings onto studio parameters, without a server: A1111 enable_hr and img2img (defaults, A1111
// names in errors, what is refused rather than ignored), OpenAI edits and variations (mask convention, defaults,
// strictness). The routes themselves run in e2e/image-input.spec.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isStudioError } from '../errors.ts';
import { a1111ToParams } from './a1111.ts';
import { a1111Img2ImgChecks, a1111Img2ImgSchema, a1111Img2ImgToParams, decodeBase64Image } from './a1111-img2img.ts';
import { openAiEditToParams } from './openai-edits.ts';

const ID = 'A'.repeat(22), MASK = 'B'.repeat(22);
const studioError = (fn: () => unknown) => {
  try { fn(); } catch (e) { assert.ok(isStudioError(e)); return e; }
  throw new Error('expected a StudioError');
};

describe('A1111', () => {
  test('enable_hr maps to the hires fix with A1111 defaults (×2, strength 0.7); absent, no hires', () => {
    assert.deepEqual(a1111ToParams(({ prompt: 'x', width: 512, height: 512, enable_hr: true })).hires, { scale: 2, strength: 0.7 });
    assert.deepEqual(a1111ToParams(({ prompt: 'x', enable_hr: true, hr_scale: 1.5, denoising_strength: 0.3, hr_second_pass_steps: 4 })).hires, { scale: 1.5, strength: 0.3, steps: 4 });
    assert.equal(a1111ToParams(({ prompt: 'x', denoising_strength: 0.3 })).hires, undefined);
    assert.match(studioError(() => a1111ToParams(({ prompt: 'x', enable_hr: true, hr_scale: 4 }))).message, /^hr_scale: /);
    assert.match(studioError(() => a1111ToParams({ prompt: 'x', enable_hr: true, hr_upscaler: 'Latent' })).message, /^hr_upscaler: "Latent" is not available/);
    assert.match(studioError(() => a1111ToParams({ prompt: 'x', enable_hr: true, hr_resize_x: 2048 })).message, /^hr_resize_x: /);
  });

  test('img2img: defaults, mask settings, only masked, and the source size by default', () => {
    const body = a1111Img2ImgSchema.parse({ init_images: ['AAAA'], mask: 'AAAA', prompt: 'p', inpaint_full_res: true, inpainting_mask_invert: 1 });
    const p = a1111Img2ImgToParams(body, { source: ID, mask: MASK, size: { width: 768, height: 512 } }, a1111Img2ImgChecks(body));
    assert.deepEqual([p.width, p.height], [768, 512]);
    assert.deepEqual(p.image, { source: { upload: ID }, strength: 0.75, resizeMode: 0, mask: MASK, maskBlur: 4, invertMask: true, onlyMasked: { padding: 32 } });
    const plain = a1111Img2ImgToParams(a1111Img2ImgSchema.parse({ init_images: ['AAAA'], prompt: 'p', denoising_strength: 0.4 }), { source: ID, size: { width: 512, height: 512 } }, 0);
    assert.deepEqual(plain.image, { source: { upload: ID }, strength: 0.4, resizeMode: 0 });
  });

  test('img2img refuses what it cannot honour, with A1111 names', () => {
    const check = (extra: object) => studioError(() => a1111Img2ImgChecks(a1111Img2ImgSchema.parse({ init_images: ['AAAA'], prompt: 'p', ...extra }))).message;
    assert.match(check({ inpainting_fill: 2 }), /inpainting_fill 2 is not supported: only 1/);
    assert.match(check({ resize_mode: 3 }), /resize_mode 3 is not supported/);
    assert.match(check({ mask_blur: 4, mask_blur_x: 8 }), /mask_blur_x must equal mask_blur/);
    assert.equal(a1111Img2ImgSchema.safeParse({ init_images: ['a', 'b'], prompt: 'p' }).success, false);
    const tooStrong = studioError(() => a1111Img2ImgToParams(a1111Img2ImgSchema.parse({ init_images: ['AAAA'], prompt: 'p', denoising_strength: 1.5 }), { source: ID, size: { width: 512, height: 512 } }, 0));
    assert.match(tooStrong.message, /denoising_strength: /);
    assert.deepEqual([...decodeBase64Image('x', 'data:image/png;base64,AAEC')], [0, 1, 2]);
    assert.match(studioError(() => decodeBase64Image('mask', '<svg>')).message, /mask is not base64/);
  });
});

describe('OpenAI edits and variations', () => {
  const form = (entries: Record<string, string>) => new Map(Object.entries(entries));
  test('an edit with a mask inpaints at strength 1; without one, img2img at 0.6; size auto is the image\'s', () => {
    const masked = openAiEditToParams({ fields: form({ prompt: 'p' }), image: ID, mask: MASK, imageSize: { width: 512, height: 768 } }, 'edit');
    assert.deepEqual([masked.width, masked.height, masked.image?.strength, masked.image?.mask], [512, 768, 1, MASK]);
    const whole = openAiEditToParams({ fields: form({ prompt: 'p', size: '256x256', strength: '0.3' }), image: ID, imageSize: { width: 512, height: 768 } }, 'edit');
    assert.deepEqual([whole.width, whole.image?.strength, whole.image?.mask], [256, 0.3, undefined]);
  });

  test('a variation reuses the stored prompt, else a neutral one; fields it cannot honour are refused', () => {
    assert.equal(openAiEditToParams({ fields: form({}), image: ID, imageSize: { width: 512, height: 512 } }, 'variation', 'a cat').prompt, 'a cat');
    assert.equal(openAiEditToParams({ fields: form({}), image: ID, imageSize: { width: 512, height: 512 } }, 'variation').prompt, 'a high quality photograph');
    assert.match(studioError(() => openAiEditToParams({ fields: form({ prompt: 'p', n: '2' }), image: ID, imageSize: { width: 512, height: 512 } }, 'edit')).message, /n must be 1/);
    assert.match(studioError(() => openAiEditToParams({ fields: form({ prompt: 'p', quality: 'hd' }), image: ID, imageSize: { width: 512, height: 512 } }, 'edit')).message, /Unknown field "quality"/);
    assert.match(studioError(() => openAiEditToParams({ fields: form({}), image: ID, imageSize: { width: 512, height: 512 } }, 'edit')).message, /prompt is required/);
  });
});
