// The BF16 integrity view on the real studio (tiny model, CPU): the card's badge is the census verdict with its
// evidence, the model panel shows the load-time audit, and "Compare" opens /c/<id> — on this CPU-only machine a single
// FP32 column (the result itself) with the machine's reasons for BF16 and FP16, no slider, and a share link that
// works in a fresh browser. Never compares generated pixels.
import { expect, test } from '@playwright/test';
import type { SystemResponse } from '../lib/system.ts';
import { ComparisonPage } from './pages/comparison-page.ts';
import { StudioPage } from './pages/studio-page.ts';

test('the card shows the census verdict and its evidence; the model panel shows the load-time audit', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();

  await studio.openModel();
  await studio.auditPanel.locator('summary').click();
  await expect(studio.auditPanel.getByTestId('audit-status')).toHaveText('matches its label');
  for (const component of ['te', 'dit', 'vae']) {
    await expect(studio.auditPanel.getByTestId(`audit-${component}`)).toContainText('computes in FP32');
  }
  await expect(studio.auditPanel.getByTestId('audit-dit')).toContainText(/weights by bytes: FP32 \d/);

  // Two generations on the same sessions: the second's census was measured on the first generation of those sessions.
  for (const prompt of ['evidence: first run', 'evidence: second run']) {
    await studio.fillSettings({ prompt, width: 256, height: 256, steps: 2 });
    await studio.generateButton.click();
    await expect(studio.jobCards.filter({ hasText: prompt })).toHaveAttribute('data-status', 'succeeded');
  }
  await expect(studio.viewer.getByTestId('result-prompt')).toHaveText('evidence: second run');
  const badge = studio.viewerBadge('run');
  await expect(badge).toHaveText(/^FP32 · 100(\.00)? % of FLOPs · CPU$/);
  await expect(badge).toHaveAttribute('data-level', 'green');
  await expect(studio.viewerBadge('vram')).toHaveText(/CPU$/);
  await expect(studio.viewer.getByTestId('census-scope')).toContainText(/measured on generation \d+ of these sessions/);
  await expect(studio.viewer.getByTestId('health-line')).toHaveCount(0);

  const evidence = await studio.openEvidence();
  await expect(evidence.getByTestId('evidence-verdict')).toHaveText(/^FP32 · 100(\.00)? % of FLOPs · CPU$/);
  await expect(evidence.getByTestId('evidence-scope')).toContainText(/Measured on generation \d+ of these sessions/);
  await expect(evidence.getByTestId('evidence-steps')).toHaveText('No NaN or Inf in the latents after any of the 2 steps.');
  await expect(evidence.getByTestId('evidence-component-dit')).toContainText('computes in FP32');
  await expect(evidence).toContainText('Ran on the CPU: no GPU memory was used.');
});

test('Compare on the CPU: one FP32 column, the reasons BF16 and FP16 cannot run, and a share link that works elsewhere', async ({ page, browser, request }) => {
  const system = (await (await request.get('/api/system')).json()) as SystemResponse;
  const reason = (precision: string) => system.system.precisions.find((entry) => entry.precision === precision)?.reason ?? '';
  expect(reason('bf16'), 'this test expects a machine without bf16').not.toBe('');

  const studio = new StudioPage(page);
  await studio.goto();
  const prompt = 'compare: a cellist in the rain';
  await studio.fillSettings({ prompt, width: 256, height: 320, steps: 3 });
  await studio.generateButton.click();
  await expect(studio.jobCards.filter({ hasText: prompt })).toHaveAttribute('data-status', 'succeeded');
  await expect(studio.viewer.getByTestId('result-prompt')).toHaveText(prompt);
  const resultId = await studio.shownResultId();

  await studio.viewer.getByRole('button', { name: 'Compare' }).click();
  const launcher = studio.viewer.getByTestId('compare-launcher');
  const plan = (precision: string) => launcher.locator(`[data-testid="compare-plan"][data-precision="${precision}"]`);
  await expect(plan('fp32')).toHaveAttribute('data-action', 'reuse');
  await expect(plan('bf16')).toHaveAttribute('data-action', 'unavailable');
  await expect(plan('bf16')).toContainText(reason('bf16'));
  await expect(plan('fp16')).toHaveAttribute('data-action', 'unavailable');
  await expect(launcher).toContainText('Nothing new runs on this machine');
  await launcher.getByRole('button', { name: 'Open the comparison' }).click();

  await expect(page).toHaveURL(/\/c\/[A-Za-z0-9_-]{22}$/);
  const comparison = new ComparisonPage(page);
  await expect(comparison.prompt).toHaveText(prompt);
  await expect(comparison.columns).toHaveCount(3);
  await expect(comparison.column('fp32')).toHaveAttribute('data-state', 'result');
  const image = comparison.column('fp32').locator('img');
  await expect(image).toHaveAttribute('src', `/api/results/${resultId}/image.png`);
  await expect(image).toHaveJSProperty('complete', true);
  expect(await image.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBe(256);
  await expect(comparison.column('fp32').getByTestId('badge-run')).toHaveText(/^FP32 · 100(\.00)? % of FLOPs · CPU$/);
  for (const precision of ['bf16', 'fp16'] as const) {
    await expect(comparison.column(precision)).toHaveAttribute('data-state', 'unavailable');
    await expect(comparison.reasonOf(precision)).toHaveText(reason(precision));
  }
  await expect(comparison.note).toContainText('Only FP32 ran');
  await expect(comparison.pairView).toHaveCount(0);

  const link = await comparison.shareLink.getAttribute('href');
  expect(link).toBe(page.url());

  // A fresh browser context: no cookies, no storage, nothing shared with the studio tab.
  const stranger = await browser.newContext();
  const shared = new ComparisonPage(await stranger.newPage());
  await shared.goto(link!);
  await expect(shared.prompt).toHaveText(prompt);
  await expect(shared.column('fp32')).toHaveAttribute('data-state', 'result');
  await expect(shared.column('fp32').locator('img')).toHaveJSProperty('complete', true);
  await expect(shared.reasonOf('bf16')).toHaveText(reason('bf16'));
  await expect(shared.page.locator('meta[name="robots"]')).toHaveAttribute('content', /noindex/);
  await stranger.close();
});

test('the comparison API refuses bad input with fixable errors', async ({ request }) => {
  const unknownResult = await request.post('/api/comparisons', { data: { resultId: 'A'.repeat(22) } });
  expect(unknownResult.status()).toBe(404);
  expect((await unknownResult.json()).error.code).toBe('result_not_found');

  const badPrecision = await request.post('/api/comparisons', { data: { resultId: 'A'.repeat(22), precisions: ['int8'] } });
  expect(badPrecision.status()).toBe(400);
  expect((await badPrecision.json()).error.message).toContain('bf16, fp16, fp16-safe, fp32');

  expect((await request.get('/api/comparisons/not-an-id')).status()).toBe(400);
  expect((await request.get(`/api/comparisons/${'B'.repeat(22)}`)).status()).toBe(404);
  expect((await request.get('/api/models/tiny/audit?precision=bf16')).status()).toBe(404);
});
