// Who gets in, and how much: security headers on pages and API answers (and the studio still works under its CSP);
// a studio exposed without a token refuses to start, or with ZIMAGE_ALLOW_OPEN=1 says loudly that it is open; with a
// token, the API wants it, pages send the browser to /login, the session cookie lets the studio work, and share
// links stay public; per-client rate limits and event-stream limits answer 429 with a message.
import { expect, test } from '@playwright/test';
import { StudioPage } from './pages/studio-page.ts';
import { expectPng } from './support/png.ts';
import { rawRequest, refusalMessage, startsStudios } from './support/studio-server.ts';

const TOKEN = 'e2e-token-0123456789abcdef';
const start = startsStudios();

test('pages carry a nonce CSP without inline styles, no framing and nosniff; studio, share and compare pages run under it without a violation', async ({ page, baseURL }) => {
  // Every violation the browser reports, on every page this tab opens (the listener is installed before any script).
  const violations: string[] = [];
  await page.exposeFunction('reportCspViolation', (line: string) => violations.push(line));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportCspViolation: (line: string) => void }).reportCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.documentURI} (${event.sample})`,
      );
    });
  });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto('/');
  const headers = response!.headers();
  const csp = headers['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(csp).toMatch(/style-src 'self' 'nonce-[^']+'(;|$)/);
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('same-origin');

  // The studio: a job with its progress bar, then the result's evidence with its share bars.
  const studio = new StudioPage(page);
  await studio.fillSettings({ prompt: 'under a strict CSP', width: 256, height: 256, steps: 2 });
  await studio.generateButton.click();
  await expect(studio.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  await expect(studio.viewer.getByRole('img')).toBeVisible();
  await studio.openEvidence();
  const id = await studio.shownResultId();

  // The share page, server-rendered, with the evidence open.
  const share = await page.goto(`/r/${id}`);
  expect(share!.headers()['content-security-policy']).not.toContain('unsafe-inline');
  await expect(page.getByTestId('share-page').getByRole('img')).toBeVisible();

  // The comparison page: its columns keep the image's shape through a CSS value set after mount.
  const created = await page.request.post('/api/comparisons', { data: { resultId: id } });
  expect(created.status()).toBe(201);
  const { url } = (await created.json()) as { url: string };
  const comparison = await page.goto(new URL(url, baseURL).pathname);
  expect(comparison!.headers()['content-security-policy']).not.toContain('unsafe-inline');
  const frame = page.locator('[data-state="unavailable"] [class*="frame-aspect"]').first();
  await expect(frame).toBeVisible();
  await expect.poll(() => frame.evaluate((element: HTMLElement) => element.style.getPropertyValue('--frame-aspect'))).toBe('256 / 256');

  expect(violations).toEqual([]);

  const api = await rawRequest(baseURL!, { path: '/api/system' });
  expect(api.headers['content-security-policy']).toMatch(/^default-src 'none'/);
  expect(api.headers['x-content-type-options']).toBe('nosniff');
  await page.goto('/');
  const asset = (await page.content()).match(/\/_next\/static\/[^"]+\.js/)![0];
  expect((await rawRequest(baseURL!, { path: asset })).headers['x-content-type-options']).toBe('nosniff');
});

test('exposed without a token the studio refuses to start; ZIMAGE_ALLOW_OPEN=1 starts it with a loud warning', async () => {
  // PUBLIC_URL on another host makes the studio reachable from elsewhere, without binding beyond 127.0.0.1 here.
  const refused = await start({ env: { PUBLIC_URL: 'http://studio.example.net' }, expectExit: true });
  expect(await refused.exited).toBe(1);
  expect(refused.log()).toContain('Refusing to serve without an API token');
  expect(refused.log()).toContain('ZIMAGE_API_TOKEN');

  const open = await start({ env: { PUBLIC_URL: 'http://studio.example.net', ZIMAGE_ALLOW_OPEN: '1' } });
  expect(open.log()).toContain('WARNING: OPEN TO THE NETWORK WITHOUT A TOKEN');
  expect((await rawRequest(open.baseURL, { path: '/api/results' })).status).toBe(200);
});

test('with a token: the API wants it, the browser signs in, share links stay public, signing out ends it', async ({ browser }) => {
  const studio = await start({ env: { ZIMAGE_API_TOKEN: TOKEN }, token: TOKEN });

  const anonymous = await rawRequest(studio.baseURL, { path: '/api/results' });
  expect(anonymous.status).toBe(401);
  expect(refusalMessage(anonymous)).toContain('Authorization: Bearer');
  expect((await rawRequest(studio.baseURL, { path: '/api/results', headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } })).status).toBe(401);
  expect((await rawRequest(studio.baseURL, { path: '/api/results', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  const basic = `Basic ${Buffer.from(`a1111:${TOKEN}`).toString('base64')}`;
  expect((await rawRequest(studio.baseURL, { path: '/api/system', headers: { authorization: basic } })).status).toBe(200);
  const page = await rawRequest(studio.baseURL, { path: '/readme' });
  expect(page.status).toBe(303);
  expect(page.headers.location).toBe('/login?next=%2Freadme');

  const context = await browser.newContext({ baseURL: studio.baseURL });
  const tab = await context.newPage();
  await tab.goto('/');
  await expect(tab).toHaveURL(/\/login\?next=%2F$/);
  await tab.getByLabel('API token').fill('not-the-token-at-all');
  await tab.getByRole('button', { name: 'Sign in' }).click();
  // filtered: Next.js keeps an empty route announcer with role=alert on every page
  await expect(tab.getByRole('alert').filter({ hasText: 'That is not the token' })).toBeVisible();
  await tab.getByLabel('API token').fill(TOKEN);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await expect(tab).toHaveURL(`${studio.baseURL}/`);
  const cookie = (await context.cookies()).find((entry) => entry.name === 'zimage_session');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Lax');
  expect(cookie?.value).not.toContain(TOKEN);

  const studioPage = new StudioPage(tab);
  await studioPage.fillSettings({ prompt: 'signed in', width: 256, height: 256, steps: 2 });
  await studioPage.generateButton.click();
  await expect(studioPage.jobCards.first()).toHaveAttribute('data-status', 'succeeded');
  const id = await studioPage.shownResultId();

  const stranger = await browser.newContext({ baseURL: studio.baseURL });
  const share = await stranger.newPage();
  await share.goto(`/r/${id}`);
  await expect(share.getByTestId('share-page').getByRole('img')).toBeVisible();
  const image = await rawRequest(studio.baseURL, { path: `/api/results/${id}/image.png` });
  expectPng(new Uint8Array(image.body), { width: 256, height: 256 });
  expect((await rawRequest(studio.baseURL, { path: `/api/results/${id}` })).status, 'the record is private').toBe(401);
  expect((await rawRequest(studio.baseURL, { method: 'DELETE', path: `/api/results/${id}` })).status).toBe(401);
  await stranger.close();

  const signOut = await tab.request.delete('/api/session');
  expect(signOut.status()).toBe(200);
  await tab.goto('/');
  await expect(tab).toHaveURL(/\/login/);
  await context.close();
});

test('per-client rate limits and event-stream limits answer 429 with a message, and streams give their place back', async () => {
  // 127.0.0.1 plays a trusted reverse proxy, so X-Forwarded-For names the clients.
  const studio = await start({ env: { ZIMAGE_RATE_LIMIT: '30', ZIMAGE_GENERATE_RATE_LIMIT: '3', ZIMAGE_MAX_EVENT_STREAMS: '8', ZIMAGE_TRUSTED_PROXIES: '127.0.0.1' } });
  const as = (client: string) => ({ 'x-forwarded-for': client });

  const burst = await Promise.all(Array.from({ length: 40 }, () => rawRequest(studio.baseURL, { path: '/api/results', headers: as('10.0.0.1') })));
  const limited = burst.filter((response) => response.status === 429);
  expect(limited.length).toBeGreaterThanOrEqual(10);
  expect(burst.filter((response) => response.status === 200).length).toBeLessThanOrEqual(30);
  expect(Number(limited[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(refusalMessage(limited[0])).toContain('ZIMAGE_RATE_LIMIT');
  expect((await rawRequest(studio.baseURL, { path: '/api/results', headers: as('10.0.0.2') })).status, 'another client is not slowed').toBe(200);

  // A long job to follow, so the streams stay open.
  const body = JSON.stringify({ prompt: 'a long one', steps: 100, cfg: 1, width: 1024, height: 1024, seed: 1 });
  const generations = [];
  for (let index = 0; index < 4; index++) {
    generations.push(await rawRequest(studio.baseURL, { method: 'POST', path: '/api/generate', headers: { 'content-type': 'application/json', ...as('10.0.0.3') }, body }));
  }
  expect(generations.map((response) => response.status)).toEqual([202, 202, 202, 429]);
  expect(refusalMessage(generations[3])).toContain('ZIMAGE_GENERATE_RATE_LIMIT');
  const jobId = (JSON.parse(generations[0].text) as { id: string }).id;

  const streams: AbortController[] = [];
  const open = async (client: string) => {
    const controller = new AbortController();
    const response = await fetch(`${studio.baseURL}/api/jobs/${jobId}/events`, { headers: as(client), signal: controller.signal });
    if (response.status === 200) streams.push(controller);
    return response;
  };
  expect((await open('10.0.1.1')).status).toBe(200);
  expect((await open('10.0.1.1')).status).toBe(200);
  const perClient = await open('10.0.1.1');
  expect(perClient.status, 'a quarter of 8 per client').toBe(429);
  expect(((await perClient.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
  for (const client of ['10.0.1.2', '10.0.1.2', '10.0.1.3', '10.0.1.3', '10.0.1.4', '10.0.1.4']) expect((await open(client)).status).toBe(200);
  const total = await open('10.0.1.5');
  expect(total.status, 'eight in total').toBe(429);
  expect(((await total.json()) as { error: { message: string } }).error.message).toContain('8 job event streams open');

  for (const controller of streams.splice(0)) controller.abort();
  await expect.poll(async () => (await open('10.0.1.5')).status, { message: 'closed streams give their place back' }).toBe(200);
  for (const controller of streams.splice(0)) controller.abort();
  for (const response of generations.slice(0, 3)) {
    const id = (JSON.parse(response.text) as { id: string }).id;
    await rawRequest(studio.baseURL, { method: 'POST', path: `/api/jobs/${id}/cancel`, headers: as('10.0.0.4') });
  }
});

test('a client cannot pose as others with X-Forwarded-For; behind a trusted proxy the hop it added counts', async () => {
  // Counts, not exact numbers: the bucket refills 10 per minute while the requests run on a slow machine.
  const direct = await start({ env: { ZIMAGE_RATE_LIMIT: '10' } });
  // No proxy is trusted: every forged value is the same client, the TCP peer 127.0.0.1.
  const forged = [];
  for (let index = 0; index < 20; index++) {
    forged.push(await rawRequest(direct.baseURL, { path: '/api/results', headers: { 'x-forwarded-for': `10.9.${index}.1, 10.8.0.${index}` } }));
  }
  expect(forged.filter((response) => response.status === 200).length).toBeLessThanOrEqual(12);
  const refused = forged.filter((response) => response.status === 429);
  expect(refused.length).toBeGreaterThanOrEqual(8);
  expect(refusalMessage(refused[0])).toContain('from 127.0.0.1');

  // 127.0.0.1 is a trusted proxy: the right-most hop it did not add is the client; what the client wrote left of it
  // (its own forged X-Forwarded-For, which a proxy keeps and appends to) changes nothing.
  const proxied = await start({ env: { ZIMAGE_RATE_LIMIT: '10', ZIMAGE_TRUSTED_PROXIES: '127.0.0.1,10.20.0.0/16' } });
  const via = (forgedHop: string) => ({ 'x-forwarded-for': `${forgedHop}, 203.0.113.7, 10.20.0.5` });
  const behind = [];
  for (let index = 0; index < 20; index++) {
    behind.push(await rawRequest(proxied.baseURL, { path: '/api/results', headers: via(`198.51.100.${index}`) }));
  }
  expect(behind.filter((response) => response.status === 200).length).toBeLessThanOrEqual(12);
  const limited = behind.filter((response) => response.status === 429);
  expect(limited.length).toBeGreaterThanOrEqual(8);
  expect(refusalMessage(limited[0])).toContain('from 203.0.113.7');
  const other = await rawRequest(proxied.baseURL, { path: '/api/results', headers: { 'x-forwarded-for': '203.0.113.8, 10.20.0.5' } });
  expect(other.status, 'another client behind the proxy is not slowed').toBe(200);
});

test('headers over 16 KB get the API\'s JSON 431 with a message, not a bare status line', async ({ baseURL }) => {
  const response = await rawRequest(baseURL!, { path: '/api/system', headers: { 'x-padding': 'a'.repeat(20_000) } });
  expect(response.status).toBe(431);
  expect(response.headers['content-type']).toBe('application/json');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  const body = JSON.parse(response.text) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('headers_too_large');
  expect(body.error.message).toContain('16 KB');
});
