// Tests what makes storing a worker's output idempotent: the result id derived from the job id, and the store
// returning the first record when the same job's result is saved again (a server retrying after a crash).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ResultsStore, type NewResult } from '../db/results-store.ts';
import { tinyResult } from '../db/test-result.ts';
import { isResultId } from '../results.ts';
import { fromProduced, jobRoute, resultIdForJob, toProduced } from './generation.ts';
import { saveJob } from './save-job.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function result(seed: number): NewResult {
  return tinyResult({ prompt: 'p', steps: 2, cfg: 1, width: 64, height: 64, seed, precision: 'fp32', ep: 'cpu' }, PNG);
}

test('the result id is a valid result id, the same for the same job, different across jobs', () => {
  const id = resultIdForJob('job-a');
  assert.ok(isResultId(id));
  assert.equal(resultIdForJob('job-a'), id);
  assert.notEqual(resultIdForJob('job-b'), id);
  assert.notEqual(id, 'job-a', 'not the job id itself');
});

test('saving a job\'s result twice under its derived id stores it once and returns the first record', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-generation-'));
  const store = ResultsStore.open(dir);
  try {
    const id = resultIdForJob('job-1');
    const first = await store.save(result(1), new Date(1000), id);
    const again = await store.save(result(2), new Date(2000), id);
    assert.deepEqual(again, first);
    assert.equal(store.count(), 1);
    assert.equal(store.get(id)?.request.seed, 1);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a result survives the trip through Redis: JSON record plus PNG bytes', () => {
  const produced = toProduced([result(7)]);
  // The record crosses Redis as JSON text; the files as bytes.
  const back = fromProduced({ json: JSON.parse(JSON.stringify(produced.json)), files: produced.files });
  assert.deepEqual(back, [result(7)]);
  assert.throws(() => fromProduced({ json: {}, files: {} }), /lacks the png or thumbnail file of image 1/);
  assert.equal(jobRoute('z-image-turbo', 'bf16'), 'z-image-turbo.bf16');
});

test('a batch crosses Redis as one output and is stored under ids derived from the job and each image', async () => {
  const batch = [result(1), result(2), result(3)].map((entry, index) => ({ ...entry, batch: { index, count: 3 } }));
  const produced = toProduced(batch);
  const back = fromProduced({ json: JSON.parse(JSON.stringify(produced.json)), files: produced.files });
  assert.deepEqual(back, batch);
  const ids = [0, 1, 2].map((index) => resultIdForJob('job-b', index));
  assert.equal(ids[0], resultIdForJob('job-b'), 'image 0 keeps the id a single-image job has');
  assert.equal(new Set(ids).size, 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-generation-'));
  const store = ResultsStore.open(dir);
  try {
    const saved = await saveJob(store, back, { ids });
    assert.deepEqual(saved.map((record) => record.id), ids);
    assert.deepEqual(store.get(ids[2])?.batch, { index: 2, count: 3, ids });
    // A second settle (a server retrying) stores nothing new.
    await saveJob(store, back, { ids });
    assert.equal(store.count(), 3);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
