// Tests the comparison store on a temp DATA_DIR: 128-bit ids, persistence across a reopen (a restart), whole-record
// updates, and the refusals — malformed ids, a symlink planted in a record's place — plus the temp-file sweep.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ComparisonRecord } from '../comparison.ts';
import { ComparisonStore, newComparisonId } from './comparison-store.ts';

describe('ComparisonStore', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-compare-'));
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const record = (): ComparisonRecord => ({
    id: newComparisonId(),
    createdAt: '2025-01-01T00:00:00.000Z',
    sourceId: 'S'.repeat(22),
    model: { id: 'tiny', name: 'tiny', tiny: true },
    settings: { prompt: '一只猫', steps: 8, cfg: 1, width: 256, height: 256, seed: 7 },
    ep: 'cpu',
    columns: [{ precision: 'fp32', state: 'result', resultId: 'S'.repeat(22) }, { precision: 'bf16', state: 'unavailable', reason: 'no CUDA' }],
  });

  test('ids are 128-bit, 22 characters, and differ', () => {
    const ids = new Set(Array.from({ length: 100 }, newComparisonId));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  });

  test('a saved comparison survives a reopen (a restart) and an update rewrites it whole', async () => {
    const saved = record();
    await ComparisonStore.open(dataDir).save(saved);
    const reopened = ComparisonStore.open(dataDir);
    assert.deepEqual(reopened.get(saved.id), saved);
    const updated = { ...saved, columns: saved.columns.slice(0, 1) };
    await reopened.save(updated);
    assert.deepEqual(ComparisonStore.open(dataDir).get(saved.id), updated);
  });

  test('unknown, malformed and symlinked ids read as missing; temp files are swept', async () => {
    const store = ComparisonStore.open(dataDir);
    assert.equal(store.get(newComparisonId()), undefined);
    assert.equal(store.get('../../etc/passwd'), undefined);
    const id = newComparisonId();
    fs.writeFileSync(path.join(dataDir, 'elsewhere.json'), JSON.stringify(record()));
    fs.symlinkSync(path.join(dataDir, 'elsewhere.json'), path.join(store.dir, `${id}.json`));
    assert.equal(store.get(id), undefined);
    fs.writeFileSync(path.join(store.dir, `${id}.json.abc.tmp`), 'partial');
    ComparisonStore.open(dataDir);
    assert.equal(fs.existsSync(path.join(store.dir, `${id}.json.abc.tmp`)), false);
  });
});
