// Real clients against the real studio (tiny model, CPU): the official `openai` npm client (generate, n > 1, each
// output_format, models, errors), and the request sequences three popular A1111 clients send, written from their
// public source: SillyTavern (src/endpoints/stable-diffusion.js, public/scripts/extensions/stable-diffusion/index.js),
// Open WebUI (backend/open_webui/routers/images.py) and the sdwebuiapi Python client (webuiapi/webuiapi.py). Each
// sequence goes model list → options → txt2img → progress → interrupt, and ends in a PNG or the documented answer.
import { expect, test, type APIRequestContext } from '@playwright/test';
import OpenAI from 'openai';
import sharp from 'sharp';
import { expectPng } from './support/png.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One recorded call: what the client sends, checked as the client reads the answer. */
async function call(request: APIRequestContext, method: 'GET' | 'POST', path: string, options: { headers?: Record<string, string>; data?: unknown } = {}) {
  const response = method === 'GET' ? await request.get(path, { headers: options.headers }) : await request.post(path, { headers: options.headers, data: options.data });
  const text = await response.text();
  return { status: response.status(), body: text ? (JSON.parse(text) as Json) : null, text };
}

function pngOf(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

test.describe('the official openai client', () => {
  const client = (baseURL: string) => new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed-locally', maxRetries: 0, timeout: 180_000 });
  // size and the Z-Image extras (steps, seed) are outside OpenAI's own types, hence the casts; they are documented.
  type Params = OpenAI.Images.ImageGenerateParamsNonStreaming;

  test('lists the models, and generates n = 2 images with seeds counting up', async ({ baseURL }) => {
    const openai = client(baseURL!);
    const models = await openai.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toContain('tiny');
    expect((await openai.models.retrieve('tiny')).object).toBe('model');

    const response = await openai.images.generate({ prompt: 'two foxes', n: 2, size: '256x256', quality: 'low', seed: 100, model: 'gpt-image-1' } as unknown as Params);
    expect(response.data).toHaveLength(2);
    for (const image of response.data!) expectPng(pngOf(image.b64_json!), { width: 256, height: 256 });
    expect(response.output_format).toBe('png');
    expect(response.quality).toBe('low');
    expect(response.size).toBe('256x256');
    const extra = (response as unknown as { zimage: { results: { id: string; seed: number }[]; ignored: { field: string }[] } }).zimage;
    expect(extra.results.map((result) => result.seed)).toEqual([100, 101]);
    expect(extra.ignored.map((item) => item.field)).toContain('model');
    expect(response.data![0].b64_json).not.toEqual(response.data![1].b64_json);
  });

  for (const format of ['png', 'jpeg', 'webp'] as const) {
    test(`output_format ${format} comes back in that format`, async ({ baseURL }) => {
      const response = await client(baseURL!).images.generate({ prompt: `a ${format} lighthouse`, size: '256x320', output_format: format, output_compression: 80, style: 'vivid', moderation: 'low', user: 'e2e', background: 'opaque', steps: 2 } as unknown as Params);
      expect(response.output_format).toBe(format);
      const bytes = Buffer.from(response.data![0].b64_json!, 'base64');
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe(format);
      expect({ width: meta.width, height: meta.height }).toEqual({ width: 256, height: 320 });
    });
  }

  test('refusals arrive as the SDK\'s typed errors with OpenAI\'s error fields', async ({ baseURL }) => {
    const openai = client(baseURL!);
    const tooMany = await openai.images.generate({ prompt: 'x', n: 9 }).catch((error: unknown) => error);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = tooMany as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.message).toContain('n: must be at most 8');
    expect(bad.param).toBe('n');
    expect(bad.type).toBe('invalid_request_error');
    const transparent = (await openai.images.generate({ prompt: 'x', background: 'transparent' }).catch((error: unknown) => error)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(transparent.param).toBe('background');
    const missing = await openai.models.retrieve('no-such-model').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

test.describe('recorded A1111 client sequences', () => {
  test('SillyTavern: ping, lists, set-model with its progress wait, generate (its defaults refused with the list, then Euler), interrupt', async ({ request }) => {
    // ST's server calls A1111 with getBasicAuthHeader(auth): "Basic " + base64 of the user's "user:pass" (empty here).
    const headers = { Authorization: `Basic ${Buffer.from('').toString('base64')}` };
    expect((await call(request, 'GET', '/sdapi/v1/options', { headers })).status, '/ping').toBe(200);
    const [upscalers, latent] = await Promise.all([call(request, 'GET', '/sdapi/v1/upscalers', { headers }), call(request, 'GET', '/sdapi/v1/latent-upscale-modes', { headers })]);
    const upscalerNames = [...upscalers.body!.map((x: Json) => x.name)];
    upscalerNames.splice(1, 0, ...latent.body!.map((x: Json) => x.name));
    expect(upscalerNames).toEqual(['None']);
    expect((await call(request, 'GET', '/sdapi/v1/sd-vae', { headers })).body!.map((x: Json) => x.model_name)).toEqual([]);
    const samplers = (await call(request, 'GET', '/sdapi/v1/samplers', { headers })).body!.map((x: Json) => x.name);
    const schedulers = (await call(request, 'GET', '/sdapi/v1/schedulers', { headers })).body!.map((x: Json) => x.name);
    expect(samplers).toEqual(['Euler']);
    expect(schedulers).toEqual(['simple']);
    const models = (await call(request, 'GET', '/sdapi/v1/sd-models', { headers })).body!.map((x: Json) => ({ value: x.title, text: x.title }));
    expect(models.map((model: Json) => model.value)).toContain('tiny');
    const current = (await call(request, 'GET', '/sdapi/v1/options', { headers })).body!.sd_model_checkpoint;
    expect(current).toBe('tiny');

    // /set-model: POST the title, then poll progress until progress == 0 and state.job_count == 0 (10 tries).
    expect((await call(request, 'POST', '/sdapi/v1/options', { headers, data: { sd_model_checkpoint: 'tiny' } })).status).toBe(200);
    const idle = (await call(request, 'GET', '/sdapi/v1/progress', { headers })).body!;
    expect([idle.progress, idle.state.job_count]).toEqual([0, 0]);

    // /generate: options first (is it Forge?), then the extension's body forwarded whole, url and auth included.
    expect('forge_preset' in (await call(request, 'GET', '/sdapi/v1/options', { headers })).body!).toBe(false);
    const stBody = (sampler: string, scheduler: string) => ({
      url: 'http://127.0.0.1:7860', auth: '', prompt: 'portrait of a knight, oil painting', negative_prompt: 'lowres',
      sampler_name: sampler, scheduler, steps: 3, cfg_scale: 1, width: 256, height: 384, restore_faces: false,
      enable_hr: false, hr_upscaler: 'None', hr_scale: 2, denoising_strength: 0.7, hr_second_pass_steps: 0,
      override_settings: { CLIP_stop_at_last_layers: 1 }, override_settings_restore_afterwards: true, clip_skip: 1,
      save_images: true, send_images: true, do_not_save_grid: false, do_not_save_samples: false,
    });
    // The extension's saved defaults (DDIM, normal) until the user picks from the lists above: the documented 400.
    const refused = await call(request, 'POST', '/sdapi/v1/txt2img', { headers, data: stBody('DDIM', 'normal') });
    expect(refused.status).toBe(400);
    expect(refused.body!.error.message, 'ST shows the answer\'s text').toContain('Send "Euler"');
    const made = await call(request, 'POST', '/sdapi/v1/txt2img', { headers, data: stBody(samplers[0], schedulers[0]) });
    expect(made.status, made.text).toBe(200);
    expectPng(pngOf(made.body!.images[0]), { width: 256, height: 384 });
    const info = JSON.parse(made.body!.info) as Json;
    expect(info.ignored).toEqual(expect.arrayContaining(['restore_faces', 'clip_skip', 'url', 'auth', 'override_settings.CLIP_stop_at_last_layers', 'hr_scale']));
    // the forwarded url is listed by name only, never echoed (matched whole: the base64 PNG can hold any 4 digits)
    expect(made.text).not.toContain('127.0.0.1:7860');

    // The user closes the chat while an image is made: ST posts /interrupt; the request answers at once.
    const long = call(request, 'POST', '/sdapi/v1/txt2img', { headers, data: { ...stBody('Euler', 'simple'), steps: 60, width: 1024, height: 1024 } });
    await expect.poll(async () => (await call(request, 'GET', '/sdapi/v1/progress', { headers })).body!.state.job_count).toBe(1);
    expect((await call(request, 'POST', '/sdapi/v1/interrupt', { headers })).body).toEqual({ interrupted: 1 });
    const interrupted = await long;
    expect(interrupted.status).toBe(409);
    expect(interrupted.body!.error.code).toBe('request_interrupted');
    expect((await call(request, 'GET', '/sdapi/v1/progress', { headers })).body!.state.job_count).toBe(0);
  });

  test('Open WebUI: verify URL, models, set model by posting the whole options back, generate a batch as n', async ({ request }) => {
    // get_automatic1111_api_auth() gives '' without credentials, sent as the authorization header as is.
    const headers = { authorization: '' };
    expect((await call(request, 'GET', '/sdapi/v1/options', { headers })).status, 'verify_url').toBe(200);
    const models = (await call(request, 'GET', '/sdapi/v1/sd-models', { headers })).body!.map((model: Json) => ({ id: model.title, name: model.model_name }));
    expect(models).toContainEqual({ id: 'tiny', name: 'tiny' });

    // set_image_model: read options, change the checkpoint only if it differs, POST every key back.
    const options = (await call(request, 'GET', '/sdapi/v1/options', { headers })).body!;
    options.sd_model_checkpoint = 'TINY';
    options.some_webui_setting = 'kept';
    const posted = await call(request, 'POST', '/sdapi/v1/options', { headers, data: options });
    expect(posted.status, posted.text).toBe(200);
    expect(posted.body!.sd_model_checkpoint).toBe('tiny');
    expect(posted.body!.ignored).toContain('some_webui_setting');
    const after = (await call(request, 'GET', '/sdapi/v1/options', { headers })).body!;
    expect(after.sd_model_checkpoint, 'get_image_model').toBe('tiny');
    expect(after.some_webui_setting, 'stored and echoed').toBe('kept');

    // image_generations: {prompt, batch_size: n, width, height (512x512 default), steps, negative_prompt}.
    const generated = await call(request, 'POST', '/sdapi/v1/txt2img', { headers, data: { prompt: 'a red bicycle', batch_size: 2, width: 512, height: 512, steps: 2, negative_prompt: 'blur' } });
    expect(generated.status, generated.text).toBe(200);
    expect(generated.body!.images).toHaveLength(2);
    for (const image of generated.body!.images) expectPng(pngOf(image), { width: 512, height: 512 });
    const info = JSON.parse(generated.body!.info) as Json;
    expect(info.all_seeds[1]).toBe(info.all_seeds[0] + 1);

    // Its OpenAI engine: POST /images/generations {model, prompt, n, size, response_format: 'b64_json'}.
    const openai = await call(request, 'POST', '/v1/images/generations', { data: { model: 'tiny', prompt: 'a red bicycle', n: 1, size: '256x256', response_format: 'b64_json', steps: 2 } });
    expect(openai.status, openai.text).toBe(200);
    expectPng(pngOf(openai.body!.data[0].b64_json), { width: 256, height: 256 });
    const progress = (await call(request, 'GET', '/sdapi/v1/progress', { headers })).body!;
    expect(progress.state.job_count).toBe(0);
    expect((await call(request, 'POST', '/sdapi/v1/interrupt', { headers })).body, 'nothing in flight').toEqual({ interrupted: 0 });
  });

  test('sdwebuiapi: check_extensions, util_get_model_names / util_set_model, txt2img (its default sampler refused, then Euler), progress, skip, png_info', async ({ request }) => {
    const scripts = (await call(request, 'GET', '/sdapi/v1/scripts')).body!;
    expect(scripts.txt2img.includes('controlnet m2m') || scripts.txt2img.includes('adetailer')).toBe(false);
    const names = (await call(request, 'GET', '/sdapi/v1/sd-models')).body!.map((x: Json) => x.title).sort();
    // util_set_model(name, find_closest=True) lower-cases the name and picks the closest title.
    expect((await call(request, 'POST', '/sdapi/v1/options', { data: { sd_model_checkpoint: names[0].toLowerCase() } })).status).toBe(200);
    expect((await call(request, 'GET', '/sdapi/v1/options')).body!.sd_model_checkpoint, 'util_get_current_model').toBe(names[0]);
    for (const path of ['samplers', 'schedulers', 'upscalers', 'sd-vae', 'embeddings', 'cmd-flags', 'latent-upscale-modes']) {
      expect((await call(request, 'GET', `/sdapi/v1/${path}`)).status, path).toBe(200);
    }
    expect((await call(request, 'POST', '/sdapi/v1/refresh-checkpoints')).status).toBe(200);

    const payload = (overrides: Json) => ({
      enable_hr: false, hr_scale: 2, hr_upscaler: 'Latent', hr_second_pass_steps: 0, hr_resize_x: 0, hr_resize_y: 0,
      hr_checkpoint_name: null, hr_sampler_name: null, hr_scheduler: null, hr_prompt: '', hr_negative_prompt: '',
      denoising_strength: 0.7, firstphase_width: 0, firstphase_height: 0, prompt: 'a castle on a hill', styles: [],
      seed: 1234, subseed: -1, subseed_strength: 0.0, seed_resize_from_h: 0, seed_resize_from_w: 0, batch_size: 1,
      n_iter: 1, steps: 3, cfg_scale: 7.0, width: 256, height: 256, restore_faces: false, tiling: false,
      do_not_save_samples: false, do_not_save_grid: false, negative_prompt: '', eta: 1.0, s_churn: 0, s_tmax: 0,
      s_tmin: 0, s_noise: 1, override_settings: {}, override_settings_restore_afterwards: true, sampler_name: 'Euler a',
      scheduler: 'automatic', sampler_index: 'Euler a', script_name: null, script_args: [], send_images: true,
      save_images: false, alwayson_scripts: {}, ...overrides,
    });
    // WebUIApi() defaults to sampler "Euler a": ancestral sampling would change the image, so the documented 400.
    const refused = await call(request, 'POST', '/sdapi/v1/txt2img', { data: payload({}) });
    expect(refused.status).toBe(400);
    expect(refused.body!.error.message).toMatch(/^sampler_name: .*not "Euler a"/);
    // WebUIApi(sampler='Euler'): the same body runs; json.loads(info) gives the seeds and what was ignored.
    const made = await call(request, 'POST', '/sdapi/v1/txt2img', { data: payload({ sampler_name: 'Euler', sampler_index: 'Euler', cfg_scale: 1 }) });
    expect(made.status, made.text).toBe(200);
    const png = pngOf(made.body!.images[0]);
    expectPng(png, { width: 256, height: 256 });
    const info = JSON.parse(made.body!.info) as Json;
    expect(info.all_seeds).toEqual([1234]);
    expect(info.ignored).toEqual(expect.arrayContaining(['eta', 's_noise', 'tiling', 'restore_faces', 'subseed']));

    // api.png_info(image): the infotext and its parsed fields.
    const pngInfo = await call(request, 'POST', '/sdapi/v1/png-info', { data: { image: `data:image/png;base64,${made.body!.images[0]}` } });
    expect(pngInfo.status, pngInfo.text).toBe(200);
    expect(pngInfo.body!.parameters).toMatchObject({ Prompt: 'a castle on a hill', Steps: '3', Sampler: 'Euler', Seed: '1234', 'Size-1': '256', 'Size-2': '256' });
    expect(Object.keys(pngInfo.body!.items)).toContain('zimage-studio');

    // A batch of two, skip while the first runs: the request goes on and answers with the second image.
    const batch = call(request, 'POST', '/sdapi/v1/txt2img', { data: payload({ sampler_name: 'Euler', cfg_scale: 1, n_iter: 2, steps: 60, width: 1024, height: 1024 }) });
    await expect.poll(async () => (await call(request, 'GET', '/sdapi/v1/progress')).body!.state.sampling_step).toBeGreaterThan(0);
    const running = (await call(request, 'GET', '/sdapi/v1/progress')).body!;
    expect(running.state.job_count).toBe(2);
    expect(running.progress).toBeGreaterThan(0);
    // the live preview as A1111 sends it (base64 JPEG, no data: prefix) once a step has run, null before
    if (running.current_image !== null) expect(String(running.current_image)).toMatch(/^\/9j\//);
    expect((await call(request, 'POST', '/sdapi/v1/skip')).body).toEqual({ skipped: true });
    // api.interrupt() ends the second one too; whichever it reaches, the answer is documented.
    await expect.poll(async () => (await call(request, 'GET', '/sdapi/v1/progress')).body!.state.job_no).toBe(1);
    await call(request, 'POST', '/sdapi/v1/interrupt');
    const ended = await batch;
    expect(ended.status).toBe(409);
    expect(ended.body!.error.code).toBe('request_interrupted');
  });
});
