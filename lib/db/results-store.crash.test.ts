// Kills a process with SIGKILL while it saves results as fast as it can (journal rows, temp files, fsync, renames,
// row inserts), eight times at different moments, and checks after every kill that the database passes SQLite's
// integrity check and that every listed result has both files complete; then that a reopened store leaves exactly
// the listed files and marks the interrupted jobs failed. The writer is this same file, started with
// CRASH_WRITER_DIR set.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { JobInput, StudioJob } from '../system.ts';
import { ResultsStore } from './results-store.ts';
import { tinyResult } from './test-result.ts';

/** 256 KiB per image, so a kill often lands inside a write rather than between two. */
const PAYLOAD_BYTES = 256 * 1024;

/** Deterministic bytes per seed, so a reader can tell a complete file from a torn one. */
function payload(seed: number, variant: string): Uint8Array {
  const block = createHash('sha256').update(`${variant}:${seed}`).digest();
  const bytes = new Uint8Array(PAYLOAD_BYTES);
  for (let offset = 0; offset < bytes.length; offset += block.length) bytes.set(block.subarray(0, bytes.length - offset), offset);
  return bytes;
}

async function writeUntilKilled(dataDir: string): Promise<never> {
  const store = ResultsStore.open(dataDir);
  process.stdout.write('ready\n');
  for (let seed = Date.now(); ; seed++) {
    const input: JobInput = {
      modelId: 'tiny',
      request: { prompt: `crash ${seed}`, negativePrompt: '', steps: 1, cfg: 1, width: 256, height: 256, seed, precision: 'fp32', ep: 'cpu' },
    };
    const job: StudioJob = { id: `job-${seed}`, status: 'queued', version: 1, input, createdAt: Date.now(), position: 1 };
    store.jobs.record({ type: 'queued', job });
    store.jobs.record({ type: 'started', job: { ...job, status: 'running', version: 2, startedAt: Date.now(), position: null } });
    const record = await store.save(tinyResult(input.request, payload(seed, 'png'), payload(seed, 'thumb')));
    store.jobs.record({ type: 'succeeded', job: { ...job, status: 'succeeded', version: 3, output: record, finishedAt: Date.now(), position: null } });
  }
}

/** Every listed row has both files, byte for byte what was written; returns the listed ids. */
function checkConsistent(dataDir: string): Set<string> {
  const db = new Database(path.join(dataDir, 'studio.db'));
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const rows = db.prepare('SELECT id, record FROM results').all() as { id: string; record: string }[];
    for (const row of rows) {
      const { seed } = (JSON.parse(row.record) as { request: { seed: number } }).request;
      const images = path.join(dataDir, 'images');
      assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(images, `${row.id}.png`))), payload(seed, 'png'), `${row.id}.png is complete`);
      assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(images, `${row.id}.thumb.png`))), payload(seed, 'thumb'), `${row.id}.thumb.png is complete`);
    }
    return new Set(rows.map((row) => row.id));
  } finally {
    db.close();
  }
}

function runAndKill(dataDir: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, CRASH_WRITER_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the writer exited on its own (${signal ?? _code})`))));
  });
}

if (process.env.CRASH_WRITER_DIR) {
  await writeUntilKilled(process.env.CRASH_WRITER_DIR);
} else {
  test('SIGKILL at any moment of a save leaves a sound database and only complete, listed results', { timeout: 120_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-crash-'));
    try {
      let listed = new Set<string>();
      for (const delayMs of [40, 75, 110, 150, 190, 240, 300, 370]) {
        await runAndKill(dataDir, delayMs);
        listed = checkConsistent(dataDir);
      }
      assert.ok(listed.size >= 8, `the writer saved results between kills (${listed.size})`);

      const store = ResultsStore.open(dataDir); // what a restarted server does
      const files = fs.readdirSync(store.imagesDir).sort();
      assert.deepEqual(files, [...listed].flatMap((id) => [`${id}.png`, `${id}.thumb.png`]).sort(), 'no temp file, no unlisted image');
      const db = new Database(path.join(dataDir, 'studio.db'), { readonly: true });
      const unfinished = db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE finished_at IS NULL').get() as { n: number };
      db.close();
      assert.ok(unfinished.n >= 1, 'some job was running at a kill');
      assert.equal(store.jobs.failInterrupted(Date.now()), unfinished.n);
      store.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
