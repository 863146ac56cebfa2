// Issue 18 on the real studio (embedded tiny model, CPU engine, headless Chromium): a batch of 4 is one job that
// shows a live preview while it runs and 4 images when done; the server killed and restarted mid-job reads
// "connection lost", then "interrupted"; generate, cancel and a delete cancelled with Escape by keyboard alone; the
// phone-size flow (prompt in view, Generate reachable while looking at the result, progress brought into view); a
// PNG dropped on the page restores its settings; and axe-core finds nothing serious or critical. Never compares
// generated pixels.
import fs from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { encodePng } from '../inference/pipeline/png.ts';
import { StudioPage } from './pages/studio-page.ts';
import { startStudio, type StudioServer } from './support/studio-server.ts';

test('a batch of 4 is one job: live previews while it runs, then 4 images, each selectable, downloadable and shareable', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.fillSettings({ prompt: 'batch: four portraits', width: 384, height: 384, steps: 16, count: 4 });
  await studio.seed.fill('4242');
  await expect(page.getByText('4 images: seeds 4242–4245.')).toBeVisible();
  await studio.generateButton.click();

  const job = studio.jobCards.filter({ hasText: 'batch: four portraits' });
  await expect(studio.jobCards).toHaveCount(1);
  await expect(job.getByTestId('preview-slot')).toHaveCount(4);
  // A preview image appears while the job runs (a JPEG data: URL from the job's events).
  await expect(job.getByTestId('live-preview').first()).toBeVisible();
  await expect(job.getByTestId('live-preview').first()).toHaveAttribute('src', /^data:image\/jpeg;base64,/);
  await expect(job).toHaveAttribute('data-status', 'running');
  await expect(job.getByTestId('job-detail')).toContainText(/Image [1-4]\/4/);

  await expect(job).toHaveAttribute('data-status', 'succeeded');
  const items = job.getByTestId('batch-item');
  await expect(items).toHaveCount(4);
  for (let index = 0; index < 4; index++) {
    await expect(items.nth(index)).toContainText(String(4242 + index));
    await expect(items.nth(index).getByRole('link', { name: `Download image ${index + 1} of 4` })).toHaveAttribute('href', /\/image\.png\?download=1$/);
    await expect(items.nth(index).getByRole('button', { name: `Share image ${index + 1} of 4` })).toBeVisible();
  }
  await items.nth(2).getByRole('button', { name: /^Open image 3 of 4/ }).click();
  await expect(studio.viewer).toHaveAttribute('data-result-id', (await items.nth(2).getAttribute('data-result-id'))!);
  await expect(studio.viewer.getByTestId('result-prompt')).toHaveText('batch: four portraits');
  // One job, one entry in Runs; four results in the history.
  await expect(studio.jobCards).toHaveCount(1);
  for (const id of await items.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-result-id')))) {
    await expect(page.locator(`[data-testid="history-item"][data-result-id="${id}"]`)).toHaveCount(1);
  }
});

test.describe('a server that goes away mid-job', () => {
  let server: StudioServer | undefined;
  test.afterEach(async () => {
    await server?.kill('SIGKILL');
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
    server = undefined;
  });

  test('says "connection lost" within seconds, then "interrupted" once it is back', async ({ page }) => {
    server = await startStudio();
    const { port, dataDir } = server;
    const studio = new StudioPage(page);
    await page.goto(server.baseURL);
    await studio.fillSettings({ prompt: 'interrupted: a long run', width: 1024, height: 1024, steps: 100 });
    await studio.generateButton.click();
    const job = studio.jobCards.filter({ hasText: 'interrupted: a long run' });
    await expect(job.getByTestId('job-detail')).toContainText(/Step \d+\/100/);

    await server.kill('SIGKILL');
    await expect(studio.connectionLost).toBeVisible({ timeout: 5_000 });
    await expect(job).toHaveAttribute('data-connection', 'lost');
    await expect(job).toContainText('Connection lost');

    server = await startStudio({ port, dataDir });
    await expect(job).toHaveAttribute('data-status', 'failed');
    await expect(job).toContainText('Interrupted');
    await expect(job.getByTestId('job-detail')).toContainText('The server stopped');
    await expect(studio.connectionLost).toHaveCount(0);
    // The job is over: nothing left to cancel.
    await expect(job.getByRole('button', { name: /^Cancel job/ })).toHaveCount(0);
  });
});

test('keyboard only: generate, cancel, and a delete prompt closed with Escape', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.prompt.focus();
  await page.keyboard.type('keyboard: a long run');
  await studio.width.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('1024');
  await studio.steps.focus();
  for (let press = 0; press < 20; press++) await page.keyboard.press('Shift+ArrowUp');
  await expect(studio.steps).toHaveValue('100');
  await studio.prompt.focus();
  await page.keyboard.press('ControlOrMeta+Enter');
  const job = studio.jobCards.filter({ hasText: 'keyboard: a long run' });
  await expect(job).toHaveAttribute('data-status', 'running');

  const cancel = job.getByRole('button', { name: /^Cancel job \d+$/ });
  await cancel.focus();
  await page.keyboard.press('Enter');
  await expect(job).toHaveAttribute('data-status', 'canceled');

  // A short run to have a result to (not) delete.
  await studio.steps.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('2');
  await studio.width.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('256');
  await studio.prompt.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('keyboard: keep me');
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(studio.jobCards.filter({ hasText: 'keyboard: keep me' })).toHaveAttribute('data-status', 'succeeded');
  const id = await studio.shownResultId();

  const trash = studio.viewer.getByRole('button', { name: 'Delete from history' });
  await trash.focus();
  await page.keyboard.press('Enter');
  await expect(studio.viewer.getByRole('button', { name: 'Delete for good' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(studio.viewer.getByRole('button', { name: 'Delete for good' })).toHaveCount(0);
  await expect(trash).toBeFocused();
  await expect(page.locator(`[data-testid="history-item"][data-result-id="${id}"]`)).toHaveCount(1);
});

test('an invalid field takes the focus when Generate is pressed', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.fillSettings({ prompt: 'focus test', width: 256, height: 1000, steps: 2 });
  await studio.generateButton.click();
  await expect(studio.height).toBeFocused();
  await expect(studio.jobCards).toHaveCount(0);
});

async function inViewport(page: Page, testIdOrLocator: ReturnType<Page['locator']>): Promise<boolean> {
  const box = await testIdOrLocator.boundingBox();
  const size = page.viewportSize()!;
  return box !== null && box.y >= 0 && box.y + Math.min(box.height, 40) <= size.height;
}

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the prompt is in view at once, the progress comes into view, Generate stays reachable by the result', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.goto();
    expect(await inViewport(page, studio.prompt)).toBe(true);
    await studio.fillSettings({ prompt: 'phone: a portrait', width: 256, height: 256, steps: 4 });
    await studio.generateButton.click();
    const job = studio.jobCards.filter({ hasText: 'phone: a portrait' });
    await expect(job).toBeVisible();
    await expect.poll(() => inViewport(page, job)).toBe(true);
    await expect(job).toHaveAttribute('data-status', 'succeeded');
    await studio.viewer.scrollIntoViewIfNeeded();
    expect(await inViewport(page, studio.generateButton)).toBe(true);
    await expect(studio.generateButton).toBeEnabled();
  });
});

test('the prompt is in view on first visit at 1440×900', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  expect(await inViewport(page, studio.prompt)).toBe(true);
  await expect(page.getByTestId('model-section')).not.toHaveAttribute('open', '');
});

test('a PNG dropped on the page restores its settings: our metadata exactly, or A1111 parameters', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  const request = { prompt: 'dropped: 老渔夫的肖像', negativePrompt: 'blurry', steps: 11, cfg: 2.5, width: 832, height: 1216, seed: 123456789, precision: 'fp32', ep: 'cpu' };
  const ours = await encodePng(new Uint8Array(4 * 4 * 3), 4, 4, {
    parameters: 'ignored here',
    'zimage-studio': JSON.stringify({ request, model: { id: 'tiny', name: 'tiny random-weights demo' } }),
  });
  await dropFile(page, 'ours.png', ours);
  await expect(page.getByTestId('drop-status')).toContainText('Loaded the settings of ours.png (studio metadata)');
  await expect(studio.prompt).toHaveValue(request.prompt);
  await expect(studio.negativePrompt).toHaveValue('blurry');
  await expect(studio.steps).toHaveValue('11');
  await expect(page.getByRole('textbox', { name: 'CFG', exact: true })).toHaveValue('2.5');
  await expect(studio.width).toHaveValue('832');
  await expect(studio.height).toHaveValue('1216');
  await expect(studio.seed).toHaveValue('123456789');

  const a1111 = await encodePng(new Uint8Array(4 * 4 * 3), 4, 4, {
    parameters: 'a1111: a lighthouse\nNegative prompt: fog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768, Model: sdxl',
  });
  await dropFile(page, 'a1111.png', a1111);
  await expect(page.getByTestId('drop-status')).toContainText('(A1111 parameters)');
  await expect(studio.prompt).toHaveValue('a1111: a lighthouse');
  await expect(studio.negativePrompt).toHaveValue('fog');
  await expect(studio.steps).toHaveValue('20');
  await expect(studio.seed).toHaveValue('42');
  await expect(studio.height).toHaveValue('768');

  await dropFile(page, 'notes.txt', new TextEncoder().encode('hello'));
  await expect(page.getByTestId('drop-status')).toContainText('not a PNG');
  await expect(studio.prompt).toHaveValue('a1111: a lighthouse');
});

/** Drops a file on the page the way a browser does: dragenter, dragover and drop carrying it in a DataTransfer. */
async function dropFile(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, data }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type: name.endsWith('.png') ? 'image/png' : 'text/plain' }));
      return dt;
    },
    { name, data: [...bytes] },
  );
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('main', type, { dataTransfer: transfer });
}

test('no serious or critical accessibility findings (axe-core) on the studio with results, a batch card and the share page', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.fillSettings({ prompt: 'axe: two portraits', width: 256, height: 256, steps: 2, count: 2 });
  await studio.generateButton.click();
  await expect(studio.jobCards.filter({ hasText: 'axe: two portraits' })).toHaveAttribute('data-status', 'succeeded');
  await studio.openModel();
  const findings = async () => {
    const report = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    return report.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 5).join(' | ')}`);
  };
  expect(await findings()).toEqual([]);
  const link = await studio.shareLink();
  await page.goto(link);
  await expect(page.getByTestId('share-page')).toBeVisible();
  expect(await findings()).toEqual([]);
});

test('history: search, favourites, multi-select delete with undo, the lightbox, aspect chips by arrow keys, token count', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  // Aspect chips are one radio group: arrow keys move and choose, and the size follows at the same megapixels.
  const chips = page.getByRole('radiogroup', { name: 'Aspect ratio' });
  await page.getByRole('radiogroup', { name: 'Image size' }).getByRole('radio', { name: /^small, 0\.6 megapixels/ }).click();
  await chips.getByRole('radio', { name: /^square 1 to 1/ }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(chips.getByRole('radio', { name: /^portrait 4 to 5, 688 by 864$/ })).toBeFocused();
  await expect(chips.getByRole('radio', { name: /^portrait 4 to 5/ })).toHaveAttribute('aria-checked', 'true');
  await expect(studio.width).toHaveValue('688');
  await expect(studio.height).toHaveValue('864');

  // A word no other spec's prompt has, so the search finds exactly this batch on the shared server.
  await studio.prompt.fill('history: a zephyrlighthouse at dusk');
  await expect(page.getByTestId('token-count')).toHaveText(/^\d+ \/ 512 tokens$/);
  await studio.fillSettings({ prompt: 'history: a zephyrlighthouse at dusk', width: 256, height: 256, steps: 1, count: 3 });
  await studio.generateButton.click();
  const job = studio.jobCards.filter({ hasText: 'history: a zephyrlighthouse' });
  await expect(job.getByTestId('batch-item')).toHaveCount(3);
  const ids = await job.getByTestId('batch-item').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-result-id')!));

  // Search finds the batch by a word of its prompt; favourites only shows the starred one.
  const search = page.getByRole('searchbox', { name: 'Search prompts in the history' });
  await search.fill('zephyrlighthouse');
  await expect(studio.historyItems).toHaveCount(3);
  await expect(page.getByTestId('history-total')).toHaveText('3 images found');
  const item = (id: string) => page.locator(`[data-testid="history-item"][data-result-id="${id}"]`);
  await item(ids[1]).getByRole('button', { name: /^Favourite:/ }).click();
  await expect(item(ids[1]).getByRole('button', { name: /^Favourite:/ })).toHaveAttribute('aria-pressed', 'true');
  await page.getByLabel('Favourites only').check();
  await expect(studio.historyItems).toHaveCount(1);
  await expect(studio.historyItems.first()).toHaveAttribute('data-result-id', ids[1]);
  await page.getByLabel('Favourites only').uncheck();
  await expect(studio.historyItems).toHaveCount(3);

  // The lightbox: arrow keys go through the results, Escape closes it.
  await studio.historyItems.first().getByRole('button', { name: /^Open:/ }).click();
  await studio.viewer.getByRole('button', { name: 'Enlarge' }).click();
  const lightbox = page.getByTestId('lightbox');
  await expect(lightbox).toBeVisible();
  await expect(page.getByTestId('lightbox-position')).toContainText('1 / 3');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('lightbox-position')).toContainText('2 / 3');
  await page.keyboard.press('Escape');
  await expect(lightbox).toHaveCount(0);

  // Two ticked, deleted, brought back with Undo; then deleted for good once the undo window closes.
  await item(ids[0]).getByRole('checkbox').check();
  await item(ids[2]).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Delete 2 selected' }).click();
  await expect(studio.historyItems).toHaveCount(1);
  await page.getByTestId('undo-delete').getByRole('button', { name: 'Undo' }).click();
  await expect(studio.historyItems).toHaveCount(3);
  await item(ids[0]).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Delete 1 selected' }).click();
  await expect(page.getByTestId('undo-delete')).toHaveCount(0, { timeout: 15_000 });
  await expect.poll(async () => (await page.request.get(`/api/results/${ids[0]}`)).status(), { timeout: 10_000 }).toBe(404);
  expect((await page.request.get(`/api/results/${ids[2]}`)).status()).toBe(200);
});
