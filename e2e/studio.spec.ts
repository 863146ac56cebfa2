// Drives the real studio on the real engine (embedded tiny model, CPU) through headless Chromium: generate with live
// progress and honest badges, find it in the history after a reload, open its share link in a fresh browser, and
// refuse an invalid size before any request. Never compares generated pixels.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { SharePage } from './pages/share-page.ts';
import { StudioPage } from './pages/studio-page.ts';
import { expectPng } from './support/png.ts';

test('generates on the tiny model with live progress, honest badges, history and a share link', async ({ page, browser, request }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  // With models/demo committed, the default is the trained demo model at its native size; the tiny random one is a
  // pick away. Without it, the tiny model is the default.
  if (fs.existsSync(path.resolve('models/demo/model_index.json'))) {
    await expect(studio.demoModelNote).toBeVisible();
    await expect(studio.width).toHaveValue('256');
    await studio.model.selectOption('tiny');
  }
  await expect(studio.tinyModelNote).toBeVisible();
  await expect(studio.tinyModelNote.getByRole('link')).toHaveAttribute('href', /#adding-real-weights$/);

  const prompt = 'Portrait of a violinist, soft window light / 小提琴手的肖像';
  await studio.fillSettings({ prompt, width: 256, height: 320, steps: 8 });
  await studio.generateButton.click();

  const job = studio.jobCards.first();
  await expect(job).toBeVisible();
  const progress = studio.progressOf(job);
  await expect(progress).toHaveAttribute('aria-valuemax', '8');
  await expect(job.getByTestId('job-detail')).toContainText(/Step \d+\/8/);
  await expect(job).toHaveAttribute('data-status', 'succeeded');
  await expect(progress).toHaveAttribute('aria-valuenow', '8');

  await expect(studio.viewer.getByRole('img')).toBeVisible();
  // The precision badge is the census verdict: fp32 did the work, every node on the CPU.
  await expect(studio.viewerBadge('run')).toHaveText(/^FP32 · 100(\.00)? % of FLOPs · CPU$/);
  await expect(studio.viewerBadge('run')).toHaveAttribute('data-level', 'green');
  await expect(studio.viewerBadge('vram')).toContainText('CPU');
  await expect(studio.viewerBadge('time')).toHaveText(/\d/);
  const id = await studio.shownResultId();
  expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);

  await page.reload();
  await expect(studio.historyItems.first()).toHaveAttribute('data-result-id', id);
  await expect(studio.viewer.getByTestId('result-prompt')).toHaveText(prompt);

  const link = await studio.shareLink();
  expect(link).toMatch(new RegExp(`/r/${id}$`));

  // A fresh browser context: no cookies, no storage, nothing shared with the studio tab.
  const stranger = await browser.newContext();
  const share = new SharePage(await stranger.newPage());
  await share.goto(link);
  await expect(share.image).toBeVisible();
  await expect(share.prompt).toHaveText(prompt);
  await expect(share.runBadge).toHaveText(/^FP32 · 100(\.00)? % of FLOPs · CPU$/);
  // Issue 18: the evidence is folded on the share page (the badges say the verdict), and the Open Graph image is a
  // JPEG of at most 1200 px, not the full PNG; the full PNG is still what /image.png serves.
  await expect(share.page.getByTestId('evidence')).not.toHaveAttribute('open', '');
  const ogImage = await share.ogImage().getAttribute('content');
  expect(ogImage).toMatch(new RegExp(`^http://[^/]+/api/results/${id}/og\\.jpg$`));
  const og = await request.get(ogImage!);
  expect(og.headers()['content-type']).toBe('image/jpeg');
  expect([...(await og.body()).subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  const image = await request.get(`/api/results/${id}/image.png`);
  expect(image.headers()['content-type']).toBe('image/png');
  expectPng(new Uint8Array(await image.body()), { width: 256, height: 320 });
  await stranger.close();
});

test('width 1000 shows an inline error and no request reaches the engine', async ({ page }) => {
  const studio = new StudioPage(page);
  const sent: { width: number }[] = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname === '/api/generate') sent.push(req.postDataJSON() as { width: number });
  });
  await studio.goto();
  await studio.fillSettings({ prompt: 'a quiet portrait', width: 1000, height: 256, steps: 2 });

  await expect(studio.width).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert').filter({ hasText: 'Width 1000 is not a multiple of 16' })).toBeVisible();
  await expect(page.getByText('Use 992 or 1008')).toBeVisible();
  await studio.generateButton.click();
  await expect(studio.jobCards).toHaveCount(0);

  // Fixing the width lets the next press through: the first request the server ever sees carries the fix,
  // so the press with width 1000 sent nothing.
  await studio.width.fill('256');
  await expect(studio.width).not.toHaveAttribute('aria-invalid', 'true');
  await studio.generateButton.click();
  await expect(studio.jobCards.first()).toBeVisible();
  expect(sent).toHaveLength(1);
  expect(sent[0].width).toBe(256);
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
});

test('a job submitted while another runs waits with its position, and both can be canceled', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  // Long enough on the tiny model to still be running when the second job arrives.
  await studio.fillSettings({ prompt: 'first: a long run', width: 1024, height: 1024, steps: 100 });
  await studio.generateButton.click();
  const first = studio.jobCards.filter({ hasText: 'first: a long run' });
  await expect(first).toHaveAttribute('data-status', 'running');

  await studio.fillSettings({ prompt: 'second: waits in line', width: 256, height: 256, steps: 4 });
  await studio.generateButton.click();
  const second = studio.jobCards.filter({ hasText: 'second: waits in line' });
  await expect(second).toHaveAttribute('data-status', 'queued');
  await expect(second.getByTestId('job-detail')).toHaveText('Next in line');
  await expect(page.getByRole('banner')).toContainText('1 waiting');

  await second.getByRole('button', { name: 'Cancel job' }).click();
  await expect(second).toHaveAttribute('data-status', 'canceled');
  await first.getByRole('button', { name: 'Cancel job' }).click();
  await expect(first).toHaveAttribute('data-status', 'canceled');
  await expect(page.getByRole('banner')).toContainText('idle');
});
