// Tests the history store on a temp DATA_DIR: atomic file-then-row writes, persistence across a reopen (a server
// restart), paging, and crash leftovers. Uses real better-sqlite3 and real files; no engine involved.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { encode } from 'fast-png';
import { isResultId } from '../results.ts';
import { ResultsStore, writeFileAtomic, type NewResult } from './results-store.ts';
import { tinyResult } from './test-result.ts';

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1]);

function sampleResult(seed: number): NewResult {
  const png = encode({ width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 255, 0]), channels: 3, depth: 8 });
  return {
    png,
    thumbnail: png,
    request: { prompt: `一只猫 ${seed}`, negativePrompt: '', steps: 8, cfg: 1, width: 256, height: 256, seed, precision: 'fp32', ep: 'cpu' },
    model: { id: 'tiny', name: 'tiny random-weights demo', tiny: true },
    components: [
      { component: 'te', precision: 'fp32', ep: 'cpu', reason: 'requested' },
      { component: 'dit', precision: 'fp32', ep: 'cpu', reason: 'requested' },
      { component: 'vae', precision: 'fp32', ep: 'cpu', reason: 'requested' },
    ],
    timings: { denoise: 12 },
    tokens: { count: 5, truncated: false },
    durationMs: 20,
    queuedMs: 0,
    memory: { kind: 'cpu' },
  };
}

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-store-'));
});

afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('ResultsStore', () => {
  test('save writes the PNG byte for byte, then the row, and leaves no temp file', async () => {
    const store = ResultsStore.open(dataDir);
    const input = sampleResult(1);
    const record = await store.save(input);
    assert.ok(isResultId(record.id), `id ${record.id} should be 22 base64url characters (128 bits)`);
    assert.deepEqual(new Uint8Array(fs.readFileSync(store.imagePath(record.id))), input.png);
    assert.ok(fs.existsSync(store.thumbnailPath(record.id)));
    assert.deepEqual(
      fs.readdirSync(store.imagesDir).filter((name) => name.endsWith('.tmp')),
      [],
    );
    assert.equal(store.get(record.id)?.request.prompt, '一只猫 1');
    store.close();
  });

  test('results survive closing and reopening the store (a server restart)', async () => {
    const first = ResultsStore.open(dataDir);
    const saved = await first.save(sampleResult(2 ** 53 - 1));
    first.close();

    const second = ResultsStore.open(dataDir);
    const loaded = second.get(saved.id);
    assert.deepEqual(loaded, saved);
    assert.equal(loaded?.request.seed, Number.MAX_SAFE_INTEGER, 'a 53-bit seed must round-trip exactly');
    assert.ok(fs.existsSync(second.imagePath(saved.id)));
    second.close();
  });

  test('a failed row insert removes the files it wrote', async () => {
    const store = ResultsStore.open(dataDir);
    const record = await store.save(sampleResult(3));
    // Dropping the table makes the next insert fail after its files are already in place.
    (store as unknown as { db: { exec(sql: string): void } }).db.exec('DROP TABLE results');
    await assert.rejects(store.save(sampleResult(4)));
    const left = fs.readdirSync(store.imagesDir).sort();
    assert.deepEqual(left, [`${record.id}.png`, `${record.id}.thumb.png`].sort());
    store.close();
  });

  test('temp files left by a crash are removed on open and never listed', async () => {
    fs.mkdirSync(path.join(dataDir, 'images'), { recursive: true });
    const leftover = path.join(dataDir, 'images', 'abc.png.123456.tmp');
    fs.writeFileSync(leftover, 'partial');
    const store = ResultsStore.open(dataDir);
    assert.equal(fs.existsSync(leftover), false);
    assert.equal(store.list().items.length, 0);
    store.close();
  });

  test('image files whose row was never inserted (a crash between the two) are removed on open', async () => {
    const first = ResultsStore.open(dataDir);
    const kept = await first.save(sampleResult(6));
    first.close();
    const orphan = 'B'.repeat(22);
    fs.writeFileSync(path.join(dataDir, 'images', `${orphan}.png`), 'complete but unlisted');
    fs.writeFileSync(path.join(dataDir, 'images', `${orphan}.thumb.png`), 'complete but unlisted');
    fs.writeFileSync(path.join(dataDir, 'images', 'notes.txt'), 'not ours: left alone');
    const store = ResultsStore.open(dataDir);
    assert.deepEqual(fs.readdirSync(store.imagesDir).sort(), [`${kept.id}.png`, `${kept.id}.thumb.png`, 'notes.txt'].sort());
    store.close();
    const reader = ResultsStore.open(dataDir, { sweep: false });
    fs.writeFileSync(path.join(dataDir, 'images', `${orphan}.png`), 'x');
    reader.close();
    assert.ok(fs.existsSync(path.join(dataDir, 'images', `${orphan}.png`)), 'sweep: false touches nothing');
  });

  test('paths are built from result ids only, and a symlink in an image\'s place is not followed', async () => {
    const store = ResultsStore.open(dataDir);
    assert.throws(() => store.imagePath('../studio.db'), /Not a result id/);
    assert.throws(() => store.thumbnailPath('A'.repeat(21) + '/'), /Not a result id/);
    const record = await store.save(sampleResult(7));
    assert.deepEqual(await store.readImage(record.id), new Uint8Array(fs.readFileSync(store.imagePath(record.id))));
    const secret = path.join(dataDir, 'secret.txt');
    fs.writeFileSync(secret, 'outside the images folder');
    fs.rmSync(store.imagePath(record.id));
    fs.symlinkSync(secret, store.imagePath(record.id));
    await assert.rejects(store.readImage(record.id), { code: 'ELOOP' });
    store.close();
  });

  test('a version 1 database (results only) is migrated in place and keeps its results', async () => {
    const first = ResultsStore.open(dataDir);
    const saved = await first.save(sampleResult(8));
    const db = (first as unknown as { db: { exec(sql: string): void; pragma(sql: string): void } }).db;
    db.exec('DROP TABLE jobs');
    db.pragma('user_version = 1');
    first.close();
    const second = ResultsStore.open(dataDir);
    assert.deepEqual(second.get(saved.id), saved);
    assert.equal(second.jobs.get('nope'), undefined, 'the jobs table exists again');
    second.close();
  });

  test('list pages newest first with a cursor and ends with a null cursor', async () => {
    const store = ResultsStore.open(dataDir);
    const base = Date.parse('2025-01-01T00:00:00Z');
    const saved = [];
    for (let index = 0; index < 5; index++) {
      // Two results share a millisecond to exercise the id tie-break.
      saved.push(await store.save(sampleResult(index), new Date(base + Math.min(index, 3) * 1000)));
    }
    const first = store.list({ limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const second = store.list({ limit: 2, cursor: first.nextCursor });
    const third = store.list({ limit: 2, cursor: second.nextCursor });
    assert.equal(third.nextCursor, null);
    const ids = [...first.items, ...second.items, ...third.items].map((item) => item.id);
    assert.equal(new Set(ids).size, 5, 'no result is repeated or skipped across pages');
    assert.equal(first.items[0].request.seed === 4 || first.items[0].request.seed === 3, true);
    assert.throws(() => store.list({ cursor: 'not-a-cursor' }), /Invalid cursor/);
    store.close();
  });

  test('get rejects ids that are not share ids (no path tricks reach the disk)', () => {
    const store = ResultsStore.open(dataDir);
    assert.equal(store.get('../../etc/passwd'), undefined);
    store.close();
  });

  test('delete removes the row and its files', async () => {
    const store = ResultsStore.open(dataDir);
    const record = await store.save(sampleResult(5));
    assert.equal(await store.delete(record.id), true);
    assert.equal(store.get(record.id), undefined);
    assert.equal(fs.existsSync(store.imagePath(record.id)), false);
    store.close();
  });
});

describe('writeFileAtomic', () => {
  test('replaces an existing file in one step', async () => {
    const target = path.join(dataDir, 'file.bin');
    fs.writeFileSync(target, 'old');
    await writeFileAtomic(target, new TextEncoder().encode('new'));
    assert.equal(fs.readFileSync(target, 'utf8'), 'new');
    assert.deepEqual(fs.readdirSync(dataDir), ['file.bin']);
  });
});

describe('favourites and the prompt search', () => {
  test('a starred result is listed under favourites; the search finds prompts by words, % and _ literally', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-filter-'));
    const store = ResultsStore.open(dir);
    try {
      const make = (prompt: string, at: number) =>
        store.save(tinyResult({ prompt, steps: 2, cfg: 1, width: 64, height: 64, seed: at, precision: 'fp32', ep: 'cpu' }, PNG_BYTES), new Date(at));
      const violin = await make('Portrait of a Violinist', 1);
      await make('a fisherman at dawn', 2);
      const percent = await make('100% cotton_shirt', 3);
      assert.deepEqual(store.list({ query: 'violin' }).items.map((item) => item.id), [violin.id]);
      assert.equal(store.count({ query: 'violin' }), 1);
      assert.deepEqual(store.list({ query: '0% c' }).items.map((item) => item.id), [percent.id]);
      assert.equal(store.count({ query: '_' }), 1, '_ matches itself, not any character');
      assert.equal(store.count({ favourites: true }), 0);
      assert.equal(store.setFavourite(violin.id, true), true);
      assert.equal(store.get(violin.id)?.favourite, true);
      assert.deepEqual(store.list({ favourites: true }).items.map((item) => item.id), [violin.id]);
      assert.equal(store.setFavourite(violin.id, false), true);
      assert.equal(store.get(violin.id)?.favourite, undefined);
      assert.equal(store.setFavourite('A'.repeat(22), true), false);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
