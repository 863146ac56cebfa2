// Image input against the real studio on the tiny model (CPU): hostile uploads get a 4xx and leave DATA_DIR/uploads
// as it was; A1111's /sdapi/v1/img2img (inpainting) and txt2img enable_hr, OpenAI's edits and variations through the
// official client; and in the browser: upload, paint a mask, inpaint, vary, upscale, and the share page's source.
// Never compares generated pixels (they differ across machines); sizes, PNG parameters and records only.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect, test } from '@playwright/test';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { StudioPage } from './pages/studio-page.ts';
import { expectPng } from './support/png.ts';

const uploadsDir = path.join(process.env.E2E_ROOT ?? '', 'data', 'uploads');
const uploadFiles = () => (fs.existsSync(uploadsDir) ? fs.readdirSync(uploadsDir).sort() : []);

/** A 256×320 RGB test picture (gradients), and a mask PNG of the same size: white box = repaint. */
async function picture(alphaBox = false) {
  const w = 256, h = 320;
  const channels = alphaBox ? 4 : 3;
  const data = Buffer.alloc(w * h * channels);
  for (let p = 0; p < w * h; p++) {
    const x = p % w, y = Math.floor(p / w);
    data[p * channels] = x; data[p * channels + 1] = y % 256; data[p * channels + 2] = (x + y) % 256;
    if (alphaBox) data[p * channels + 3] = x >= 96 && x < 160 && y >= 96 && y < 192 ? 0 : 255; // transparent = edit
  }
  return sharp(data, { raw: { width: w, height: h, channels } }).png().toBuffer();
}
async function maskPng() {
  const w = 256, h = 320;
  const data = Buffer.alloc(w * h * 3);
  for (let p = 0; p < w * h; p++) if (p % w >= 96 && p % w < 160 && Math.floor(p / w) >= 96 && Math.floor(p / w) < 192) data.fill(255, p * 3, p * 3 + 3);
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

test('hostile uploads get a 4xx with a fix, and nothing is stored', async ({ request }) => {
  const before = uploadFiles();
  const svg = await request.post('/api/uploads', { headers: { 'Content-Type': 'image/png' }, data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
  expect(svg.status()).toBe(415);
  expect((await svg.json()).error.message).toContain('SVG');
  const truncated = (await picture()).subarray(0, 3000);
  expect((await request.post('/api/uploads', { headers: { 'Content-Type': 'image/png' }, data: truncated })).status()).toBe(400);
  // 100 MP of zeros deflates to ~100 KB: refused from its header, never inflated
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(10000); ihdr.writeUInt32BE(10000, 4); ihdr[8] = 8;
  const chunk = (type: string, body: Buffer) => { const head = Buffer.alloc(8); head.writeUInt32BE(body.length); head.write(type, 4, 'latin1'); return Buffer.concat([head, body, Buffer.alloc(4)]); };
  const bomb = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(10001 * 2000))), chunk('IEND', Buffer.alloc(0))]);
  const big = await request.post('/api/uploads', { headers: { 'Content-Type': 'image/png' }, data: bomb });
  expect([400, 413]).toContain(big.status());
  const text = await request.post('/api/uploads', { headers: { 'Content-Type': 'text/html' }, data: '<html></html>' });
  expect(text.status()).toBe(415);
  expect(uploadFiles()).toEqual(before);

  const ok = await request.post('/api/uploads', { headers: { 'Content-Type': 'image/png' }, data: await picture() });
  expect(ok.status()).toBe(201);
  const info = await ok.json();
  expect(info.modelSize).toEqual({ width: 256, height: 320, note: '256×320 (already a multiple of 16)' });
  const served = await request.get(info.url);
  expect(served.headers()['content-type']).toBe('image/png');
  expect(served.headers()['x-content-type-options']).toBe('nosniff');
});

test('A1111 img2img inpaints with a mask; txt2img enable_hr upscales', async ({ request }) => {
  const init = (await picture()).toString('base64');
  const mask = `data:image/png;base64,${(await maskPng()).toString('base64')}`;
  const res = await request.post('/sdapi/v1/img2img', {
    data: { init_images: [init], mask, prompt: 'a red door', steps: 4, denoising_strength: 0.8, mask_blur: 2, inpainting_fill: 1, inpaint_full_res: false, seed: 5 },
  });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  expectPng(new Uint8Array(Buffer.from(body.images[0], 'base64')), { width: 256, height: 320 });
  const info = JSON.parse(body.info);
  expect(info.infotexts[0]).toMatch(/Denoising strength: 0\.8/);
  expect(info.infotexts[0]).toMatch(/Mask blur: 2/);
  expect(info.infotexts[0]).toMatch(/Source hash: [0-9a-f]{10}/);
  const refused = await request.post('/sdapi/v1/img2img', { data: { init_images: [init], prompt: 'x', inpainting_fill: 0 } });
  expect(refused.status()).toBe(400);
  expect((await refused.json()).error.message).toContain('inpainting_fill 0 is not supported');

  const hr = await request.post('/sdapi/v1/txt2img', { data: { prompt: 'a lighthouse', steps: 3, width: 256, height: 256, seed: 2, enable_hr: true, hr_scale: 1.5, denoising_strength: 0.4, hr_second_pass_steps: 3 } });
  expect(hr.status(), await hr.text()).toBe(200);
  const hrBody = await hr.json();
  expectPng(new Uint8Array(Buffer.from(hrBody.images[0], 'base64')), { width: 384, height: 384 });
  expect(JSON.parse(hrBody.info).infotexts[0]).toMatch(/Hires upscale: 1\.5/);
});

test('the official openai client edits with a transparent mask and makes a variation', async ({ baseURL }) => {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed-locally', maxRetries: 0, timeout: 180_000 });
  const edited = await client.images.edit({
    image: await toFile(await picture(), 'photo.png', { type: 'image/png' }),
    mask: await toFile(await picture(true), 'mask.png', { type: 'image/png' }),
    prompt: 'a window with flowers',
    response_format: 'b64_json',
  } as unknown as OpenAI.Images.ImageEditParamsNonStreaming);
  expectPng(new Uint8Array(Buffer.from(edited.data![0].b64_json!, 'base64')), { width: 256, height: 320 });

  const varied = await client.images.createVariation({ image: await toFile(await picture(), 'photo.png', { type: 'image/png' }), response_format: 'b64_json' });
  expectPng(new Uint8Array(Buffer.from(varied.data![0].b64_json!, 'base64')), { width: 256, height: 320 });
});

test('in the browser: upload, paint a mask, inpaint, vary, upscale, and the share page shows the source', async ({ page, browser }) => {
  // the image editor runs under the pages' strict CSP (no style attributes, no inline scripts)
  const violations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text()); });
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.fillSettings({ prompt: 'a portrait with a hat', width: 512, height: 512, steps: 4 });
  await page.getByTestId('image-file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: await picture() });
  await expect(page.getByTestId('image-size-note')).toContainText('256×320 (already a multiple of 16)');
  await expect(studio.width).toHaveValue('256');
  await expect(studio.height).toHaveValue('320');
  await expect(page.getByTestId('source-preview')).toBeVisible();

  // paint a stroke across the middle of the canvas (scrolled into the controls' view first: the mouse works in
  // viewport coordinates, and the image section can sit below the fold of the scrolling controls panel)
  await page.getByTestId('mask-canvas').scrollIntoViewIfNeeded();
  const box = (await page.getByTestId('mask-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.65, box.y + box.height * 0.6, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId('mask-settings')).toBeVisible();
  await page.getByLabel('Strength').fill('0.9');
  await expect(page.getByText(/^Strong:/)).toBeVisible();

  await studio.generateButton.click();
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  const inpaintedId = await studio.shownResultId();
  const params = studio.viewer.getByRole('definition');
  await expect(studio.viewer.getByText('Denoising strength')).toBeVisible();
  await expect(studio.viewer.getByText('Mask blur')).toBeVisible();
  expect(await params.allTextContents()).toContain('0.9');

  await studio.viewer.getByRole('button', { name: 'Vary (subtle)' }).click();
  await expect(studio.viewer).not.toHaveAttribute('data-result-id', inpaintedId);
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  const variedId = await studio.shownResultId();
  await expect(studio.viewer.getByText(`result ${inpaintedId}`)).toBeVisible();

  await studio.viewer.getByRole('button', { name: 'Upscale ×1.5' }).click();
  await expect(studio.viewer).not.toHaveAttribute('data-result-id', variedId);
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  await expect(studio.viewer.getByText('384 × 480')).toBeVisible();

  const stranger = await browser.newContext();
  const share = await stranger.newPage();
  await share.goto(`/r/${inpaintedId}`);
  const source = share.getByTestId('share-source');
  await expect(source).toContainText('strength 0.9');
  await expect(source.getByRole('img')).toBeVisible();
  const src = await source.getByRole('img').getAttribute('src');
  const png = new Uint8Array(await (await share.request.get(src!)).body());
  expectPng(png, { width: 256, height: 320 });
  await stranger.close();
  expect(violations).toEqual([]);
});
