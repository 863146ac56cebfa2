// Tests the BF16 vs FP16 view's plan and bookkeeping without an engine: which precisions become jobs, which reuse
// the result and which keep the machine's reason (a CPU-only machine and a CUDA one); how a stored column follows
// its job to a result or an error; and the note under a single column.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { comparedPrecisions, JOB_LOST, loneColumnNote, planComparison, resolveColumn, RESULT_DELETED, type StoredColumn } from './comparison.ts';
import { PRECISION_LABELS, precisionOptions } from './precision.ts';
import { tinyRecord } from './db/test-result.ts';
import type { ResultRecord } from './results.ts';
import type { StudioJob } from './system.ts';

const CPU_MACHINE = [
  { precision: 'bf16' as const, available: false, reason: 'bf16 runs only on the CUDA execution provider: no NVIDIA GPU found' },
  { precision: 'fp16' as const, available: false, reason: 'fp16 runs on the GPU only: no NVIDIA GPU found' },
  { precision: 'fp16-safe' as const, available: false, reason: 'fp16 runs on the GPU only: no NVIDIA GPU found' },
  { precision: 'fp32' as const, available: true },
];
const GPU_MACHINE = CPU_MACHINE.map((entry) => ({ precision: entry.precision, available: true }));

describe('which precisions a comparison holds', () => {
  test('BF16 and FP16 by default, plus the result\'s own, in the studio\'s order', () => {
    assert.deepEqual(comparedPrecisions('fp32'), ['bf16', 'fp16', 'fp32']);
    assert.deepEqual(comparedPrecisions('bf16'), ['bf16', 'fp16']);
    assert.deepEqual(comparedPrecisions('bf16', ['fp32', 'fp16-safe', 'fp16']), ['bf16', 'fp16', 'fp16-safe', 'fp32']);
  });
});

describe('planComparison', () => {
  test('on a CPU-only machine: the fp32 result is reused, BF16 and FP16 keep the machine\'s reason, nothing runs', () => {
    const options = precisionOptions(CPU_MACHINE, { name: 'tiny', precisions: ['fp32'] });
    const plan = planComparison('fp32', comparedPrecisions('fp32'), options);
    assert.deepEqual(plan, [
      { precision: 'bf16', action: 'unavailable', reason: CPU_MACHINE[0].reason },
      { precision: 'fp16', action: 'unavailable', reason: CPU_MACHINE[1].reason },
      { precision: 'fp32', action: 'reuse' },
    ]);
  });

  test('on a GPU: a bf16 result is reused and fp16 runs; a precision the model lacks says so', () => {
    const options = precisionOptions(GPU_MACHINE, { name: 'Z-Image-Turbo', precisions: ['bf16', 'fp16'] });
    const plan = planComparison('bf16', comparedPrecisions('bf16', ['bf16', 'fp16', 'fp16-safe']), options);
    assert.deepEqual(plan.map((step) => step.action), ['reuse', 'submit', 'unavailable']);
    assert.match((plan[2] as { reason: string }).reason, /Not converted for Z-Image-Turbo/);
  });

  test('a model gone from the weights folder runs nothing new', () => {
    const plan = planComparison('bf16', ['bf16', 'fp16'], undefined, 'gone');
    assert.deepEqual(plan, [{ precision: 'bf16', action: 'reuse' }, { precision: 'fp16', action: 'unavailable', reason: 'gone' }]);
  });
});

function result(id: string, precision: 'bf16' | 'fp16' | 'fp32' = 'fp16'): ResultRecord {
  return tinyRecord({ prompt: 'p', steps: 8, cfg: 1, width: 256, height: 256, seed: 7, precision, ep: 'cuda' },
    { id, createdAt: '2025-01-01T00:00:00.000Z', model: { id: 'z', name: 'Z', tiny: false }, durationMs: 1000 });
}

function job(status: StudioJob['status'], extra: Partial<StudioJob> = {}): StudioJob {
  return {
    id: 'job-1',
    status,
    version: 1,
    input: { modelId: 'z', request: result('x').request },
    createdAt: 0,
    position: status === 'queued' ? 2 : null,
    ...extra,
  };
}

describe('resolveColumn', () => {
  const source = 'S'.repeat(22);
  const done = 'D'.repeat(22);
  const history = new Map([[source, result(source, 'bf16')], [done, result(done)]]);
  const get = (id: string) => history.get(id);
  const jobColumn: StoredColumn = { precision: 'fp16', state: 'job', jobId: 'job-1' };

  test('a waiting or running job shows its place or progress and changes nothing stored', () => {
    const queued = resolveColumn(jobColumn, job('queued'), get, source);
    assert.deepEqual(queued, { view: { precision: 'fp16', state: 'pending', status: 'queued', position: 2, progress: undefined } });
    const progress = { phase: 'denoise' as const, step: 3, totalSteps: 8, elapsedMs: 10 };
    assert.deepEqual(resolveColumn(jobColumn, job('running', { progress }), get, source).view, { precision: 'fp16', state: 'pending', status: 'running', position: null, progress });
  });

  test('a job that succeeded becomes its result id in the record', () => {
    const resolved = resolveColumn(jobColumn, job('succeeded', { output: result(done) }), get, source);
    assert.deepEqual(resolved.stored, { precision: 'fp16', state: 'result', resultId: done });
    assert.equal(resolved.view.state === 'result' && resolved.view.result.id, done);
    assert.equal(resolved.view.state === 'result' && resolved.view.source, false);
  });

  test('a failed, canceled or forgotten job is stored with its error', () => {
    const error = { code: 'cuda-session-failed', message: 'out of memory' };
    assert.deepEqual(resolveColumn(jobColumn, job('failed', { error }), get, source).stored, { precision: 'fp16', state: 'failed', error });
    assert.equal(resolveColumn(jobColumn, job('canceled'), get, source).stored?.state, 'failed');
    assert.deepEqual(resolveColumn(jobColumn, undefined, get, source).stored, { precision: 'fp16', state: 'failed', error: JOB_LOST });
  });

  test('the source result is marked; a deleted result reads as failed without rewriting the record', () => {
    const own = resolveColumn({ precision: 'bf16', state: 'result', resultId: source }, null, get, source);
    assert.equal(own.view.state === 'result' && own.view.source, true);
    const gone = resolveColumn({ precision: 'bf16', state: 'result', resultId: 'G'.repeat(22) }, null, get, source);
    assert.deepEqual(gone, { view: { precision: 'bf16', state: 'failed', error: RESULT_DELETED } });
  });
});

describe('loneColumnNote', () => {
  test('one column ran: says which, and that the others did not', () => {
    const note = loneColumnNote({
      columns: [
        { precision: 'bf16', state: 'unavailable', reason: 'r' },
        { precision: 'fp16', state: 'unavailable', reason: 'r' },
        { precision: 'fp32', state: 'result', result: result('A'.repeat(22), 'fp32'), source: true },
      ],
    }, PRECISION_LABELS);
    assert.match(note ?? '', /^Only FP32 ran.*BF16 and FP16 did not run/);
  });

  test('no note while a job may still add a column, or when two ran', () => {
    const ran = { precision: 'fp32' as const, state: 'result' as const, result: result('A'.repeat(22), 'fp32'), source: true };
    assert.equal(loneColumnNote({ columns: [ran, { precision: 'fp16', state: 'pending', status: 'queued', position: 1 }] }, PRECISION_LABELS), undefined);
    assert.equal(loneColumnNote({ columns: [ran, { ...ran, precision: 'bf16' }] }, PRECISION_LABELS), undefined);
  });
});
