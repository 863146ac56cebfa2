// Tests A1111's request model as real clients send it (bodies written from sdwebuiapi's and SillyTavern's source),
// the honoured / ignored / refused split, checkpoint titles, batches, and the read-only surface's shapes (progress,
// options, PNG Info parsing).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StudioError } from '../errors.ts';
import { a1111Plan, findCheckpoint, readTxt2Img } from './a1111.ts';
import { optionsView, parseInfotext, pngInfoView, progressView, readOptionsUpdate, sdModels } from './a1111-surface.ts';

function studioError(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StudioError, String(error));
    return error;
  }
  assert.fail('expected a StudioError');
}

/** webuiapi.WebUIApi().txt2img(prompt=…, sampler_name='Euler') as the client builds it (its defaults, nulls included). */
const SDWEBUIAPI_BODY = {
  enable_hr: false, hr_scale: 2, hr_upscaler: 'Latent', hr_second_pass_steps: 0, hr_resize_x: 0, hr_resize_y: 0,
  hr_checkpoint_name: null, hr_sampler_name: null, hr_scheduler: null, hr_prompt: '', hr_negative_prompt: '',
  denoising_strength: 0.7, firstphase_width: 0, firstphase_height: 0, prompt: 'a lighthouse at dusk', styles: [],
  seed: -1, subseed: -1, subseed_strength: 0.0, seed_resize_from_h: 0, seed_resize_from_w: 0, batch_size: 1, n_iter: 1,
  steps: 20, cfg_scale: 7.0, width: 512, height: 512, restore_faces: false, tiling: false, do_not_save_samples: false,
  do_not_save_grid: false, negative_prompt: '', eta: 1.0, s_churn: 0, s_tmax: 0, s_tmin: 0, s_noise: 1, override_settings: {},
  override_settings_restore_afterwards: true, sampler_name: 'Euler', scheduler: 'automatic', sampler_index: 'Euler a',
  script_name: null, script_args: [], send_images: true, save_images: false, alwayson_scripts: {},
};

describe('A1111 request model', () => {
  test("sdwebuiapi's full default body is accepted; what changes nothing is listed as ignored", () => {
    const reading = readTxt2Img(SDWEBUIAPI_BODY);
    assert.equal(reading.prompt, 'a lighthouse at dusk');
    assert.equal(reading.steps, 20);
    assert.equal(reading.cfg, 7);
    assert.equal(reading.count, 1);
    const ignored = reading.ignored.map(({ field }) => field);
    for (const field of ['restore_faces', 'tiling', 'eta', 's_churn', 'subseed', 'hr_scale', 'override_settings_restore_afterwards', 'script_args', 'denoising_strength']) {
      assert.ok(ignored.includes(field), `${field} is listed as ignored`);
    }
    // Null fields and save_images: false are not news; the honoured ones are never listed.
    for (const field of ['hr_checkpoint_name', 'script_name', 'save_images', 'prompt', 'steps', 'sampler_name', 'scheduler']) {
      assert.ok(!ignored.includes(field), `${field} is not listed`);
    }
    assert.match(reading.ignored.find(({ field }) => field === 'eta')!.reason, /no noise/);
  });

  test("sampler_index (sdwebuiapi sends 'Euler a') counts only when sampler_name is absent", () => {
    const { sampler_name: _name, ...withoutName } = SDWEBUIAPI_BODY;
    const error = studioError(() => readTxt2Img(withoutName));
    assert.match(error.message, /^sampler_index: .*not "Euler a".*Send "Euler"/);
  });

  test('samplers and schedulers map onto what runs or are refused with the list', () => {
    for (const name of ['Euler', 'euler', 'k_euler']) assert.equal(readTxt2Img({ prompt: 'x', sampler_name: name }).count, 1);
    for (const name of ['automatic', 'Automatic', 'simple', 'Simple']) assert.equal(readTxt2Img({ prompt: 'x', scheduler: name }).count, 1);
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', sampler_name: 'DDIM' })).message, /GET \/sdapi\/v1\/samplers/);
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', scheduler: 'karras' })).message, /^scheduler: .*"simple" or "automatic"/);
  });

  test('scripts that would change the image are refused; switched-off ones are ignored', () => {
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', script_name: 'X/Y/Z plot' })).message, /^script_name: "X\/Y\/Z plot" is not available/);
    assert.equal(readTxt2Img({ prompt: 'x', script_name: 'None' }).count, 1);
    const off = readTxt2Img({ prompt: 'x', alwayson_scripts: { ADetailer: { args: [false] }, ControlNet: { args: [] }, cn2: { args: [{ enabled: false }] } } });
    assert.deepEqual(off.ignored.map(({ field }) => field), ['alwayson_scripts.ADetailer', 'alwayson_scripts.ControlNet', 'alwayson_scripts.cn2']);
    const on = studioError(() => readTxt2Img({ prompt: 'x', alwayson_scripts: { ControlNet: { args: [{ enabled: true, model: 'canny' }] } } }));
    assert.match(on.message, /^alwayson_scripts\.ControlNet: no A1111 extension runs here/);
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', styles: ['cinematic'] })).message, /^styles: /);
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', refiner_checkpoint: 'sdxl_refiner' })).message, /^refiner_checkpoint: /);
  });

  test('override_settings.sd_model_checkpoint picks the checkpoint; other overrides are ignored', () => {
    const reading = readTxt2Img({ prompt: 'x', model: 'tiny', override_settings: { sd_model_checkpoint: 'z-image-turbo', CLIP_stop_at_last_layers: 2 } });
    assert.equal(reading.checkpoint, 'z-image-turbo');
    assert.deepEqual(reading.ignored, [{ field: 'override_settings.CLIP_stop_at_last_layers', reason: 'Z-Image encodes with Qwen3, not CLIP' }]);
  });

  test("unknown fields are accepted as A1111 does and listed by name only (SillyTavern forwards its url and auth)", () => {
    const reading = readTxt2Img({ prompt: 'x', url: 'http://127.0.0.1:7860', auth: 'user:secret-password', clip_skip: 2 });
    const listed = reading.ignored.map(({ field }) => field);
    assert.deepEqual(listed.sort(), ['auth', 'clip_skip', 'url']);
    assert.ok(!JSON.stringify(reading).includes('secret-password'));
  });

  test('wrong types are refused with the field name', () => {
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', steps: 'many' })).message, /^steps: /);
    assert.match(studioError(() => readTxt2Img([])).message, /JSON object/);
  });

  test('batch_size × n_iter images with seeds counting up from the first; at most 8', () => {
    const plan = a1111Plan(readTxt2Img({ prompt: 'x', seed: 41, batch_size: 2, n_iter: 3, width: 256, height: 256 }), 'tiny');
    assert.deepEqual(plan.images.map((image) => image.seed), [41, 42, 43, 44, 45, 46]);
    assert.ok(plan.images.every((image) => image.model === 'tiny' && image.width === 256));
    const random = a1111Plan(readTxt2Img({ prompt: 'x', batch_size: 2 }), undefined).images;
    assert.equal(random[1].seed, (random[0].seed + 1) % (Number.MAX_SAFE_INTEGER + 1));
    assert.match(studioError(() => readTxt2Img({ prompt: 'x', batch_size: 9 })).message, /^batch_size: .*at most 8/);
    assert.match(studioError(() => a1111Plan(readTxt2Img({ prompt: '' }), undefined)).message, /^prompt: /);
  });
});

describe('A1111 read-only surface', () => {
  const models = [
    { id: 'tiny', name: 'tiny random-weights demo', family: 'z-image' as const, variant: 'turbo', precisions: ['fp32' as const], tiny: true, parameters: { dit: 1, te: 1, vae: 1 } },
    { id: 'z-image-turbo', name: 'Z-Image-Turbo', family: 'z-image' as const, variant: 'turbo', precisions: ['bf16' as const], tiny: false, parameters: { dit: 1, te: 1, vae: 1 } },
  ];

  test('checkpoint titles: the id, any case, with a hash or an extension, or the model name', () => {
    assert.equal(sdModels(models)[1].title, 'z-image-turbo');
    assert.equal(findCheckpoint('Z-Image-Turbo', models)?.id, 'z-image-turbo');
    assert.equal(findCheckpoint('z-image-turbo.safetensors [1a2b3c4d5e]', models)?.id, 'z-image-turbo');
    assert.equal(findCheckpoint('tiny random-weights demo', models)?.id, 'tiny');
    assert.equal(findCheckpoint('sd_xl_base_1.0', models), undefined);
  });

  test('options: the checkpoint is computed, stored keys are echoed, defaults fill the rest', () => {
    const view = optionsView({ CLIP_stop_at_last_layers: 2, sd_model_checkpoint: 'stale' }, 'tiny');
    assert.equal(view.sd_model_checkpoint, 'tiny');
    assert.equal(view.CLIP_stop_at_last_layers, 2);
    assert.equal(view.samples_format, 'png');
    assert.deepEqual(readOptionsUpdate({ sd_model_checkpoint: 'tiny', foo: 1 }), { checkpoint: 'tiny', stored: { foo: 1 } });
    assert.throws(() => readOptionsUpdate({ sd_model_checkpoint: 3 }), /sd_model_checkpoint: must be a checkpoint title/);
  });

  test('progress: idle as clients wait for it; a running batch counts images and steps', () => {
    const idle = progressView(undefined);
    assert.equal(idle.progress, 0);
    assert.equal(idle.state.job_count, 0);
    const running = progressView({ total: 2, done: 1, startedAt: 0, interrupted: false, skipped: false, job: { status: 'running', step: 2, totalSteps: 8, elapsedMs: 500, etaMs: 1500 } });
    assert.equal(running.progress, 0.625);
    assert.equal(running.eta_relative, 1.5);
    assert.equal(running.state.job_count, 2);
    assert.equal(running.state.sampling_step, 2);
    assert.equal(running.current_image, null);
    const previewed = progressView({ total: 1, done: 0, startedAt: 0, interrupted: false, skipped: false, preview: 'data:image/jpeg;base64,/9j/AA==' });
    assert.equal(previewed.current_image, '/9j/AA==');
  });

  test("PNG Info parses the parameters text as A1111's parse_generation_parameters does", () => {
    const text = 'a cat\non a mat\nNegative prompt: blurry\nSteps: 8, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Seed: 42, Size: 256x320, Model: "a, b"';
    const parsed = parseInfotext(text);
    assert.equal(parsed.Prompt, 'a cat\non a mat');
    assert.equal(parsed['Negative prompt'], 'blurry');
    assert.equal(parsed.Steps, '8');
    assert.equal(parsed['Size-1'], '256');
    assert.equal(parsed['Size-2'], '320');
    assert.equal(parsed.Model, 'a, b');
    // Without a parameters line every line is prompt.
    assert.equal(parseInfotext('just words\nmore words').Prompt, 'just words\nmore words');
    const view = pngInfoView({ parameters: text, 'zimage-studio': '{}' });
    assert.equal(view.info, text);
    assert.deepEqual(view.items, { 'zimage-studio': '{}' });
  });
});
