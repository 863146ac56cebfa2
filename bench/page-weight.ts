// The weight of the studio's first page load with 24 results in the history, measured in headless Chromium: every
// byte the network moved for `/` (HTML, scripts, styles, fonts, thumbnails, API calls), after scrolling to the end so
// every lazy thumbnail loads. Also what the same 24 thumbnails weighed as the 384 px PNGs the studio stored before
// (made from the same pixels), side by side. Needs `npm run build` first; starts its own server on a temp folder.
// Run: npx tsx bench/page-weight.ts [--size 512] [--steps 1]. The tiny model's images are noise, the worst case for
// JPEG; photos compress far better. Prints one JSON object; asserts nothing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decode } from 'fast-png';
import { chromium } from '@playwright/test';
import { freePort } from '../lib/free-port.ts';
import { makeThumbnail } from '../lib/png.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '512' }, steps: { type: 'string', default: '1' } } });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-weight-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['dist/server.mjs'], {
  env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: path.join(root, 'data'), WEIGHTS_DIR: path.join(root, 'weights'), ZIMAGE_EP: 'cpu', NEXT_TELEMETRY_DISABLED: '1' },
  stdio: 'ignore',
});
try {
  for (let ready = false; !ready; ) {
    ready = await fetch(`${base}/api/system`).then((response) => response.ok, () => false);
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // 24 results: three batches of 8.
  const size = Number(values.size);
  for (let batch = 0; batch < 3; batch++) {
    const response = await fetch(`${base}/api/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: `page weight ${batch}`, steps: Number(values.steps), cfg: 1, width: size, height: size, seed: batch * 8, count: 8, preview: false }),
    });
    const { id } = (await response.json()) as { id: string };
    for (;;) {
      const { job } = (await (await fetch(`${base}/api/jobs/${id}`)).json()) as { job: { status: string } };
      if (job.status === 'succeeded') break;
      if (job.status !== 'queued' && job.status !== 'running') throw new Error(`job ${id} ${job.status}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const byType: Record<string, number> = {};
  const types = new Map<string, string>();
  let total = 0;
  let thumbnails = 0;
  cdp.on('Network.responseReceived', (event) => types.set(event.requestId, event.type === 'Image' && event.response.url.includes('/thumbnail') ? 'Thumbnail' : event.type));
  cdp.on('Network.loadingFinished', (event) => {
    const type = types.get(event.requestId) ?? 'Other';
    byType[type] = (byType[type] ?? 0) + event.encodedDataLength;
    total += event.encodedDataLength;
    if (type === 'Thumbnail') thumbnails++;
  });
  await page.goto(base, { waitUntil: 'networkidle' });
  for (const item of await page.getByTestId('history-item').all()) await item.scrollIntoViewIfNeeded();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1000);
  await browser.close();

  // The same 24 thumbnails as the 384 px PNGs stored before JPEG thumbnails, from the same pixels.
  const images = path.join(root, 'data', 'images');
  let pngThumbs = 0, jpegThumbs = 0;
  for (const name of fs.readdirSync(images)) {
    if (name.endsWith('.thumb.jpg')) jpegThumbs += fs.statSync(path.join(images, name)).size;
    else if (!name.includes('.thumb.') && name.endsWith('.png')) {
      const image = decode(fs.readFileSync(path.join(images, name)));
      pngThumbs += makeThumbnail(image.data as Uint8Array, image.width, image.height).length;
    }
  }
  const kb = (bytes: number) => Math.round(bytes / 1024);
  console.log(JSON.stringify({
    historyItems: 24, imageSize: `${size}×${size}`, thumbnailsLoaded: thumbnails,
    pageKiB: kb(total), byTypeKiB: Object.fromEntries(Object.entries(byType).map(([type, bytes]) => [type, kb(bytes)])),
    thumbnails24KiB: { jpegNow: kb(jpegThumbs), pngBefore: kb(pngThumbs) },
  }, null, 2));
} finally {
  server.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
}
