// kill -9 of the real server while it generates and writes results, three times at different moments (a job has
// just started; the last denoising step is done, so the decode, PNG encode and atomic save are under way; a result
// has just been saved and the next job starts), each time followed by a restart on the same data folder. After each
// kill the database passes SQLite's integrity check and every listed result has complete files; after each restart
// every job submitted so far either succeeded with a served result or failed as "interrupted" (none lost, none
// stuck), the data folder holds exactly the listed files, and the studio generates again.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test } from '@playwright/test';
import { expectPng } from './support/png.ts';
import { rawRequest, startStudio, type StudioServer } from './support/studio-server.ts';

interface JobView {
  status: string;
  output?: { id: string };
  error?: { code: string; message: string };
}

type KillMoment = { event: 'started' | 'progress' | 'succeeded'; job: number; lastStep?: boolean };

const MOMENTS: KillMoment[] = [
  { event: 'started', job: 1 },
  { event: 'progress', job: 2, lastStep: true },
  { event: 'succeeded', job: 1 },
];

let server: StudioServer | undefined;

test.afterAll(async () => {
  await server?.kill('SIGKILL');
  if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
});

async function submit(baseURL: string, index: number): Promise<string> {
  const body = JSON.stringify({ prompt: `crash test ${index}`, steps: 3, cfg: 1, width: 320, height: 320, seed: index });
  const response = await rawRequest(baseURL, { method: 'POST', path: '/api/generate', headers: { 'content-type': 'application/json' }, body });
  expect(response.status, response.text).toBe(202);
  return (JSON.parse(response.text) as { id: string }).id;
}

/** Reads one job's event stream until `moment` happens, then kills the server with SIGKILL at once. */
async function killAt(current: StudioServer, jobId: string, moment: KillMoment): Promise<void> {
  const response = await fetch(`${current.baseURL}/api/jobs/${jobId}/events`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the job ended before ${moment.event}`);
    buffered += decoder.decode(value, { stream: true });
    const frames = buffered.split('\n\n');
    buffered = frames.pop()!;
    for (const frame of frames) {
      const event = /event: (\w+)/.exec(frame)?.[1];
      if (event !== moment.event) continue;
      const data = JSON.parse(/data: (.*)/.exec(frame)![1]) as { progress?: { step: number; totalSteps: number } };
      if (moment.lastStep && data.progress?.step !== data.progress?.totalSteps) continue;
      current.process.kill('SIGKILL');
      expect(await current.exited).toBe('SIGKILL');
      return;
    }
  }
}

/** With the server dead: SQLite's integrity check passes and every listed result has complete PNG files. */
function checkDatabaseAndFiles(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'studio.db'));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const ids = (db.prepare('SELECT id FROM results').all() as { id: string }[]).map((row) => row.id);
    for (const id of ids) {
      const bytes = fs.readFileSync(path.join(dataDir, 'images', `${id}.png`));
      // A complete PNG ends with the IEND chunk: length 0, "IEND", CRC ae 42 60 82.
      expect(bytes.subarray(-12).toString('hex'), `${id}.png is complete`).toBe('0000000049454e44ae426082');
      // The thumbnail is a JPEG since issue 18: a complete one ends with the EOI marker ff d9.
      const thumbnail = fs.readFileSync(path.join(dataDir, 'images', `${id}.thumb.jpg`));
      expect(thumbnail.subarray(-2).toString('hex'), `${id}.thumb.jpg is complete`).toBe('ffd9');
    }
    return ids.length;
  } finally {
    db.close();
  }
}

test('SIGKILL during generations and result writes leaves a consistent database and data folder, and the studio restarts', async () => {
  test.setTimeout(300_000);
  server = await startStudio();
  const dataDir = server.dataDir;
  const submitted: string[] = [];

  for (const moment of MOMENTS) {
    const batch: string[] = [];
    for (let index = 0; index < 4; index++) batch.push(await submit(server.baseURL, submitted.length + index));
    submitted.push(...batch);
    await killAt(server, batch[moment.job], moment);
    const listed = checkDatabaseAndFiles(dataDir);

    server = await startStudio({ dataDir });
    const jobs = await Promise.all(
      submitted.map(async (id) => {
        const response = await rawRequest(server!.baseURL, { path: `/api/jobs/${id}` });
        expect(response.status, `job ${id} is known after the restart`).toBe(200);
        return (JSON.parse(response.text) as { job: JobView }).job;
      }),
    );
    const succeeded = jobs.filter((job) => job.status === 'succeeded');
    const interrupted = jobs.filter((job) => job.status === 'failed' && job.error?.code === 'interrupted');
    console.log(
      `[crash] kill -9 at ${moment.event}${moment.lastStep ? ' (last step)' : ''} of job ${moment.job + 1}/4: ` +
        `${succeeded.length} succeeded, ${interrupted.length} interrupted of ${jobs.length} jobs; ${listed} results listed`,
    );
    expect(succeeded.length + interrupted.length, 'every job ended: none lost, none stuck').toBe(jobs.length);
    expect(interrupted.length).toBeGreaterThan(0);
    expect(interrupted[0].error!.message).toMatch(/server stopped/);

    const { total } = JSON.parse((await rawRequest(server.baseURL, { path: '/api/results?limit=1' })).text) as { total: number };
    expect(total).toBe(listed);
    for (const job of succeeded) {
      expect((await rawRequest(server.baseURL, { path: `/api/results/${job.output!.id}` })).status).toBe(200);
    }
    const files = fs.readdirSync(path.join(dataDir, 'images'));
    expect(files.filter((name) => name.endsWith('.tmp')), 'no temp file survives a restart').toEqual([]);
    expect(files.length, 'exactly the listed results, two files each').toBe(2 * total);
  }

  // The studio works after the last restart.
  const id = await submit(server.baseURL, 100);
  await expect
    .poll(async () => (JSON.parse((await rawRequest(server!.baseURL, { path: `/api/jobs/${id}` })).text) as { job: JobView }).job.status, { timeout: 60_000 })
    .toBe('succeeded');
  const { job } = JSON.parse((await rawRequest(server.baseURL, { path: `/api/jobs/${id}` })).text) as { job: JobView };
  const image = await rawRequest(server.baseURL, { path: `/api/results/${job.output!.id}/image.png` });
  expectPng(new Uint8Array(image.body), { width: 320, height: 320 });
});
