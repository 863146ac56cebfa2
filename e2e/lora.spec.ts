// LoRAs through the real studio on the real engine (tiny model, CPU): a tiny LoRA written into WEIGHTS_DIR/loras
// while the server runs is listed by /sdapi/v1/loras with its metadata; <lora:NAME:0.8> in the studio's prompt gives
// other pixels than the same seed without it (both made on this machine, this run — not a cross-machine pixel
// comparison), the result card, the evidence panel and the share page name it, and "Reuse settings" puts it back in
// the picker; the picker's own flow (search, add, weight) runs too; A1111's txt2img writes the tags and Lora hashes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { decode } from 'fast-png';
import { writeTestLora } from '../inference/lora/test-loras.ts';
import { TINY } from '../inference/tiny.ts';
import { SharePage } from './pages/share-page.ts';
import { StudioPage } from './pages/studio-page.ts';

const dim = TINY.dit.dim;
const loraDir = path.join(process.env.E2E_ROOT!, 'weights', 'loras');
const file = path.join(loraDir, 'portrait', 'film.safetensors');

test.beforeAll(() => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // rank 4, alpha 4, large enough to move the tiny model's pixels at weight 0.8
  writeTestLora(file, 'ai-toolkit', [
    { path: 'layers.0.attention.to_q', out: dim, in: dim },
    { path: 'layers.0.feed_forward.w1', out: Math.floor((dim / 3) * 8), in: dim },
    { path: 'layers.1.adaLN_modulation.0', out: 4 * dim, in: Math.min(dim, 256) },
  ], { alpha: 4, seed: 3, metadata: { 'modelspec.trigger_phrase': 'filmic', 'modelspec.architecture': 'Z-Image-Turbo/lora', ss_output_name: 'Film look' } });
});

async function pixelsOf(request: import('@playwright/test').APIRequestContext, id: string): Promise<Buffer> {
  const png = await request.get(`/api/results/${id}/image.png`);
  return Buffer.from(decode(new Uint8Array(await png.body())).data as Uint8Array);
}

test('GET /sdapi/v1/loras lists the file with name, alias, path and metadata; txt2img writes the tags and Lora hashes', async ({ request }) => {
  const list = await request.get('/sdapi/v1/loras');
  expect(list.status()).toBe(200);
  const loras = (await list.json()) as { name: string; alias: string; path: string; metadata: Record<string, string> }[];
  const entry = loras.find((l) => l.name === 'portrait/film');
  expect(entry).toBeTruthy();
  expect(entry!.alias).toBe('Film look');
  expect(entry!.path).toBe(file);
  expect(entry!.metadata['modelspec.trigger_phrase']).toBe('filmic');

  const response = await request.post('/sdapi/v1/txt2img', { data: { prompt: 'portrait <lora:portrait/film:0.8>', steps: 3, width: 256, height: 256, seed: 11 } });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { parameters: { prompt: string }; info: string };
  expect(body.parameters.prompt).toBe('portrait <lora:portrait/film:0.8>');
  const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const infotext = (JSON.parse(body.info) as { infotexts: string[] }).infotexts[0];
  expect(infotext).toContain('portrait <lora:portrait/film:0.8>\n');
  expect(infotext).toContain(`Lora hashes: "portrait/film: ${sha.slice(0, 12)}"`);

  const unknown = await request.post('/api/generate', { data: { prompt: 'x <lora:nope:1>', steps: 2, cfg: 1, width: 256, height: 256, seed: 1 } });
  expect(unknown.status()).toBe(400);
  expect((await unknown.json()).error.message).toContain('No usable LoRA named "nope"');
});

test('the studio generates with <lora:NAME:0.8>: other pixels than the same seed without it, shown on the card, evidence, share page and in Reuse settings', async ({ page, request, browser }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  const generate = async (prompt: string) => {
    const before = await studio.jobCards.count();
    await studio.fillSettings({ prompt, width: 256, height: 256, steps: 3 });
    await studio.seed.fill('4242');
    await studio.generateButton.click();
    await expect(studio.jobCards).toHaveCount(before + 1);
    await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
    await expect(studio.viewer.getByRole('img')).toBeVisible();
    return studio.shownResultId();
  };
  const plainId = await generate('portrait of a sailor');
  const loraId = await generate('portrait of a sailor <lora:portrait/film:0.8>');
  expect(loraId).not.toBe(plainId);
  const [plain, withLora] = await Promise.all([pixelsOf(request, plainId), pixelsOf(request, loraId)]);
  expect(plain.length).toBe(withLora.length);
  expect(plain.equals(withLora), 'the LoRA changes the pixels of the same seed').toBe(false);

  // the card: prompt without the tag, the stack as a badge and a parameter row, the evidence names the layers
  await expect(studio.viewer.getByTestId('result-prompt')).toHaveText('portrait of a sailor');
  await expect(studio.viewer.getByTestId('badge-loras')).toContainText('film 0.8');
  await expect(studio.viewer.getByLabel('Parameters')).toContainText('portrait/film × 0.8');
  await studio.viewer.getByTestId('evidence').locator('summary').click();
  const evidence = studio.viewer.getByTestId('evidence-loras');
  await expect(evidence).toContainText('portrait/film');
  await expect(evidence).toContainText('layers.*.attention.to_q');
  await expect(evidence).toContainText('layers.*.adaLN_modulation.0');

  // Reuse settings: the stack is back in the picker, weight included
  await studio.viewer.getByRole('button', { name: 'Reuse settings' }).click();
  const entry = page.getByTestId('lora-entry').filter({ hasText: 'portrait/film' });
  await expect(entry).toBeVisible();
  await expect(entry.getByLabel('Weight of portrait/film, exact')).toHaveValue('0.8');
  await expect(studio.prompt).toHaveValue('portrait of a sailor');

  // the share page, in a fresh browser
  const link = await studio.shareLink();
  const stranger = await browser.newContext();
  const share = new SharePage(await stranger.newPage());
  await share.goto(link);
  await expect(share.root.getByLabel('Parameters')).toContainText('portrait/film × 0.8');
  await expect(share.root.getByTestId('evidence-loras')).toContainText('sha256');
  await stranger.close();
});

test('the picker: search by trigger word, add, change the weight, generate; weight 0 is the base model', async ({ page, request }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  const picker = page.getByTestId('lora-picker');
  await picker.getByRole('searchbox').fill('filmic');
  const option = picker.getByTestId('lora-option').filter({ hasText: 'portrait/film' });
  await expect(option).toContainText('base: Z-Image-Turbo/lora');
  await expect(option).toContainText('trigger: filmic');
  await option.getByRole('button', { name: 'Add portrait/film' }).click();
  const entry = picker.getByTestId('lora-entry').filter({ hasText: 'portrait/film' });
  await entry.getByLabel('Weight of portrait/film, exact').fill('0');
  await expect(entry).toContainText('Weight 0: the base model runs, exactly.');
  await studio.fillSettings({ prompt: 'portrait of a baker', width: 256, height: 256, steps: 3 });
  await studio.seed.fill('777');
  await studio.generateButton.click();
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  const zeroId = await studio.shownResultId();
  await expect(studio.viewer.getByLabel('Parameters')).toContainText('portrait/film × 0');

  await entry.getByRole('button', { name: 'Remove portrait/film' }).click();
  await expect(picker.getByTestId('lora-entry')).toHaveCount(0);
  await studio.seed.fill('777');
  await studio.generateButton.click();
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  await expect.poll(() => studio.shownResultId()).not.toBe(zeroId);
  const baseId = await studio.shownResultId();
  const [zero, base] = await Promise.all([pixelsOf(request, zeroId), pixelsOf(request, baseId)]);
  expect(zero.equals(base), 'weight 0 gives the base model\'s pixels').toBe(true);
});
