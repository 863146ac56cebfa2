// End-to-end tests: build and start the real studio (`npm start`) on the embedded tiny model, on the CPU, with
// DATA_DIR and WEIGHTS_DIR in a fresh temp folder and a free port, then drive it with Debian's headless Chromium.
// Deliberately one worker (the CI machine has 2 cores and the engine runs one job at a time anyway).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';

// This file is evaluated by the runner and again in each worker; values travel through process.env so all agree.
process.env.E2E_PORT ??= execFileSync(process.execPath, [
  '-e',
  "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
]).toString();
process.env.E2E_ROOT ??= fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-e2e-'));

const port = process.env.E2E_PORT;
const root = process.env.E2E_ROOT;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  use: {
    baseURL,
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], viewport: { width: 1440, height: 900 } } }],
  webServer: {
    command: 'npm start',
    // /api/system answers only once the engine has made the default model, so tests start on a ready studio.
    url: `${baseURL}/api/system`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      HOST: '127.0.0.1',
      PORT: port,
      DATA_DIR: path.join(root, 'data'),
      WEIGHTS_DIR: path.join(root, 'weights'),
      ZIMAGE_EP: 'cpu',
      NEXT_TELEMETRY_DISABLED: '1',
    },
  },
});
