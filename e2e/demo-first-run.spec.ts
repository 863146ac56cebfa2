// A newcomer's first run on the real studio (fresh DATA_DIR and WEIGHTS_DIR, CPU): the default model is the trained
// demo, its note says plainly what it is, the size starts at its native 256×256, and a prompt from the note gives an
// image. Screenshots of that first run go to the test's output folder, or to DEMO_SCREENSHOTS=<dir> when set (the
// README's quick-start images are made that way). Never compares generated pixels (inference/demo-model.test.ts
// checks what the images mean).
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { StudioPage } from './pages/studio-page.ts';
import { expectPng } from './support/png.ts';

const HAS_DEMO = fs.existsSync(path.resolve('models/demo/model_index.json'));

test('the first run draws with the demo model at its native size, and says what the model is', async ({ page, request }, info) => {
  test.skip(!HAS_DEMO, 'models/demo is not in this checkout (scripts/demo/train.py, then scripts/demo/adopt.sh)');
  const shots = process.env.DEMO_SCREENSHOTS ?? info.outputPath();
  fs.mkdirSync(shots, { recursive: true });
  const studio = new StudioPage(page);
  await studio.goto();
  await expect(studio.demoModelNote).toBeVisible();
  await expect(studio.demoModelNote).toContainText("not Z-Image's quality");
  await expect(studio.model.locator('option:checked')).toHaveText(/^demo/);
  await expect(studio.width).toHaveValue('256');
  await expect(studio.height).toHaveValue('256');
  await page.screenshot({ path: path.join(shots, 'demo-first-run-1-open.png') });

  await studio.prompt.fill('a portrait with short red hair, glasses, a yellow shirt, blue background, light from the left');
  await studio.seed.fill('7');
  await studio.generateButton.click();
  const job = studio.jobCards.first();
  await expect(job).toHaveAttribute('data-status', 'succeeded');
  await expect(studio.viewer.getByRole('img')).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'demo-first-run-2-image.png') });

  const id = await studio.shownResultId();
  const image = await request.get(`/api/results/${id}/image.png`);
  expect(image.headers()['content-type']).toBe('image/png');
  const png = new Uint8Array(await image.body());
  expectPng(png, { width: 256, height: 256 });
  fs.writeFileSync(path.join(shots, 'demo-first-image.png'), png);

  await studio.prompt.fill('蓝色背景，金色长发，绿色眼睛，特写');
  await studio.generateButton.click();
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  await expect(studio.viewer).not.toHaveAttribute('data-result-id', id);
  await page.screenshot({ path: path.join(shots, 'demo-first-run-3-chinese.png') });
});
